import Testing
@testable import NeuralNet

@Suite struct ProtobufTests {
    @Test func varintsAndFieldKeys() {
        var w = ProtoWriter()
        w.int(1, 300)
        #expect(w.bytes == [0x08, 0xAC, 0x02])
        w = ProtoWriter()
        w.int(2, -1)   // int64 −1 is ten bytes on the wire
        #expect(w.bytes == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        w = ProtoWriter()
        w.string(4, "Conv")
        #expect(w.bytes == [0x22, 4, 0x43, 0x6F, 0x6E, 0x76])
        w = ProtoWriter()
        w.float(2, 1)
        #expect(w.bytes == [0x15, 0x00, 0x00, 0x80, 0x3F])
        w = ProtoWriter()
        w.message(5) { $0.int(3, 1) }
        #expect(w.bytes == [0x2A, 2, 0x18, 1])
    }

    @Test func fashionModelDeclaresItsInterface() {
        let model = FashionCNN(maxBatch: 1, seed: 1).onnxModel()
        #expect(model.opset == 13)
        #expect(model.nodes.map(\.opType) ==
            ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"])
        #expect(model.inputs.map(\.name) == ["input"] && model.outputs.map(\.name) == ["logits"])
        #expect(model.inputs[0].shape == [.parameter("N"), .value(1), .value(28), .value(28)])
        #expect(model.initializers.map(\.values.count).reduce(0, +) == FashionCNN.parameterCount)
        // Weights are stored as raw little-endian float32: the file is at least 4 bytes per parameter.
        #expect(model.serialized().count > 4 * FashionCNN.parameterCount)
    }
}

import Foundation
import Testing
@testable import ONNXRuntime

@Suite("Sessions over real ONNX models")
struct SessionTests {
    let ort: ORTRuntime
    let directory: URL
    let linear: String

    init() throws {
        ort = try Fixtures.ort()
        directory = try Fixtures.temporaryDirectory()
        linear = try Fixtures.sharedLinearModel.get()
    }

    @Test("inputs and outputs are described with names, types and dynamic dimensions")
    func describesModel() throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        #expect(session.inputs == [ORTTensorInfo(name: "input", elementType: .float32, shape: [-1, 4])])
        #expect(session.outputs.map(\.name) == ["logits", "relu"])
        #expect(session.outputs[0].shape == [-1, 3])
        #expect(session.inputs[0].description == "float32 [N,4]")
    }

    @Test("a run over our own memory matches x·W + b, and sees later writes to that memory")
    func preparedRunUsesOurMemory() throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        let input = try ORTTensor(runtime: ort, shape: [2, 4], elementType: .float32)
        let logits = try ORTTensor(runtime: ort, shape: [2, 3], elementType: .float32)
        let prepared = try session.prepare(inputs: [("input", input)], outputs: [("logits", logits)])

        let x1: [Float] = [1, 2, 3, 4, -1, 0.5, 0, 2]
        _ = input.floats.update(fromContentsOf: x1)
        try session.run(prepared)
        #expect(Fixtures.close(Array(logits.floats), Fixtures.expectedLogits(x1)))

        let x2: [Float] = [0, 0, 0, 0, 1, 1, 1, 1]
        _ = input.floats.update(fromContentsOf: x2)
        try session.run(prepared)
        #expect(Fixtures.close(Array(logits.floats), Fixtures.expectedLogits(x2)))
    }

    @Test("a tensor wrapping caller memory is read in place")
    func wrapsCallerMemory() throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        var x: [Float] = [2, 0, 0, 1]
        try x.withUnsafeMutableBytes { raw in
            let tensor = try ORTTensor(runtime: ort, wrapping: raw.baseAddress!, byteCount: raw.count, shape: [1, 4],
                                       elementType: .float32)
            #expect(tensor.data == raw.baseAddress!)
            let outputs = try session.run([("input", tensor)])
            #expect(outputs.map(\.name) == ["logits", "relu"])
            #expect(outputs[0].shape == [1, 3])
            #expect(Fixtures.close(outputs[0].floats, Fixtures.expectedLogits([2, 0, 0, 1])))
            #expect(Fixtures.close(outputs[1].floats, Fixtures.expectedLogits([2, 0, 0, 1]).map { max($0, 0) }))
        }
    }

    @Test("every graph optimisation level and thread count gives the same answer")
    func optionsAreApplied() throws {
        let x: [Float] = [0.5, -0.5, 1.5, 2]
        for level in ORTSessionOptions.GraphOptimization.allCases {
            for threads in [1, 2] {
                let session = try ORTSession(runtime: ort, modelPath: linear,
                                             options: ORTSessionOptions(intraOpThreads: threads, graphOptimization: level))
                #expect(session.options.graphOptimization == level)
                let input = try ORTTensor(runtime: ort, shape: [1, 4], elementType: .float32)
                _ = input.floats.update(fromContentsOf: x)
                let y = try session.run([("input", input)])[0].floats
                for (a, b) in zip(y, Fixtures.expectedLogits(x)) { #expect(abs(a - b) < 1e-5) }
            }
        }
    }

    @Test("wrong input shape, wrong element type, unknown and missing tensors are refused before running")
    func refusesMismatchedTensors() throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        let wrongShape = try ORTTensor(runtime: ort, shape: [1, 784], elementType: .float32)
        #expect(throws: ORTError.inputMismatch(model: linear, tensor: "input", expected: "float32 [N,4]",
                                               got: "float32 [1,784]")) {
            _ = try session.prepare(inputs: [("input", wrongShape)], outputs: [])
        }
        let wrongType = try ORTTensor(runtime: ort, shape: [1, 4], elementType: .int32)
        #expect(throws: ORTError.inputMismatch(model: linear, tensor: "input", expected: "float32 [N,4]",
                                               got: "int32 [1,4]")) {
            _ = try session.prepare(inputs: [("input", wrongType)], outputs: [])
        }
        let good = try ORTTensor(runtime: ort, shape: [1, 4], elementType: .float32)
        #expect(throws: ORTError.unknownTensor(model: linear, name: "data", known: ["input"])) {
            _ = try session.prepare(inputs: [("input", good), ("data", good)], outputs: [])
        }
        #expect(throws: ORTError.inputMismatch(model: linear, tensor: "input", expected: "float32 [N,4]", got: "no tensor")) {
            _ = try session.prepare(inputs: [], outputs: [])
        }
        let message = ORTError.inputMismatch(model: linear, tensor: "input", expected: "float32 [N,4]",
                                             got: "float32 [1,784]").description
        #expect(message.contains(linear) && message.contains("'input'") && message.contains("float32 [N,4]"))
    }

    @Test("an output buffer of the wrong batch size fails at run time with ONNX Runtime's message")
    func runtimeErrorCarriesORTMessage() throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        let input = try ORTTensor(runtime: ort, shape: [2, 4], elementType: .float32)
        let logits = try ORTTensor(runtime: ort, shape: [3, 3], elementType: .float32)
        let prepared = try session.prepare(inputs: [("input", input)], outputs: [("logits", logits)])
        #expect {
            try session.run(prepared)
        } throws: { error in
            guard case ORTError.call(let function, _, let message) = error else { return false }
            return function == "Run(\(linear))" && !message.isEmpty
        }
    }

    @Test("a missing model file names the file")
    func missingModel() throws {
        let path = directory.appendingPathComponent("nope.onnx").path
        #expect(throws: ORTError.modelNotFound(path: path)) {
            _ = try ORTSession(runtime: ort, modelPath: path)
        }
        #expect(throws: ORTError.modelNotFound(path: directory.path)) {
            _ = try ORTSession(runtime: ort, modelPath: directory.path)
        }
    }

    @Test("a corrupt model file names the file and carries ONNX Runtime's reason")
    func corruptModel() throws {
        let path = directory.appendingPathComponent("corrupt.onnx").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: linear)))
        bytes.removeLast(bytes.count / 2)  // truncated protobuf
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try ORTSession(runtime: ort, modelPath: path)
        } throws: { error in
            guard case ORTError.invalidModel(let p, _, let message) = error else { return false }
            return p == path && !message.isEmpty && "\(error)".contains("not a valid ONNX model")
        }
        #expect {
            _ = try ORTSession(runtime: ort, modelData: Array("hello".utf8), name: "inline-bytes")
        } throws: { error in
            guard case ORTError.invalidModel(let p, _, _) = error else { return false }
            return p == "inline-bytes"
        }
    }

    @Test("a model loaded from memory runs like one loaded from its file")
    func modelFromMemory() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: linear)))
        let session = try ORTSession(runtime: ort, modelData: bytes, name: "linear-bytes")
        let input = try ORTTensor(runtime: ort, shape: [1, 4], elementType: .float32)
        _ = input.floats.update(fromContentsOf: [1, 1, 1, 1] as [Float])
        #expect(Fixtures.close(try session.run([("input", input)])[0].floats, Fixtures.expectedLogits([1, 1, 1, 1])))
    }

    @Test("one session serves two threads at once, each with its own prepared run")
    func concurrentRuns() async throws {
        let session = try ORTSession(runtime: ort, modelPath: linear)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for t in 0..<2 {
                group.addTask {
                    let input = try ORTTensor(runtime: session.runtime, shape: [1, 4], elementType: .float32)
                    let out = try ORTTensor(runtime: session.runtime, shape: [1, 3], elementType: .float32)
                    let prepared = try session.prepare(inputs: [("input", input)], outputs: [("logits", out)])
                    for i in 0..<500 {
                        let x: [Float] = [Float(t), Float(i), 1, -1]
                        _ = input.floats.update(fromContentsOf: x)
                        try session.run(prepared)
                        if !Fixtures.close(Array(out.floats), Fixtures.expectedLogits(x)) { return false }
                    }
                    return true
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == [true, true])
    }

    @Test("the onnx wheel's ResNet-50 runs and agrees with Python ONNX Runtime")
    func resnet50() throws {
        let path = try Fixtures.resnet50Path()
        let session = try ORTSession(runtime: ort, modelPath: path)
        #expect(session.inputs == [ORTTensorInfo(name: "gpu_0/data_0", elementType: .float32, shape: [1, 3, 224, 224])])
        #expect(session.outputs == [ORTTensorInfo(name: "gpu_0/softmax_1", elementType: .float32, shape: [1, 1000])])
        let input = try ORTTensor(runtime: ort, shape: [1, 3, 224, 224], elementType: .float32)
        for i in 0..<input.elementCount { input.floats[i] = Float(i % 255) / 255 - 0.5 }
        let y = try session.run([("gpu_0/data_0", input)])[0].floats
        #expect(y.count == 1000)
        let reference = try Fixtures.runPython("""
        import sys, numpy as np, onnxruntime as ort
        o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.log_severity_level = 3
        s = ort.InferenceSession(sys.argv[1], o, providers=["CPUExecutionProvider"])
        x = ((np.arange(3*224*224) % 255) / 255.0 - 0.5).astype(np.float32).reshape(1, 3, 224, 224)
        print(" ".join(repr(float(v)) for v in s.run(None, {"gpu_0/data_0": x})[0].ravel()))
        """, arguments: [path]).split(separator: " ").map { Float($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        #expect(reference.count == 1000)
        let maxDiff = zip(y, reference).map { abs($0 - $1) }.max() ?? 1
        #expect(maxDiff < 1e-6)
        #expect(abs(y.reduce(0, +) - 1) < 1e-3)
    }
}

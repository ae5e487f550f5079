#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal protobuf writer: varints, length-delimited fields and fixed32, enough for the ONNX messages below.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    mutating func int(_ field: Int, _ value: Int64) {
        key(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, wireType: 2)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        let b = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: b >> (8 * i))) }
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}

/// The parts of ONNX (`onnx.proto`, IR version 7) needed to describe a feed-forward float32 model, and their
/// protobuf encoding. Field numbers are those of `onnx.proto`.
public enum ONNX {
    public enum Dimension: Sendable, Equatable {
        case value(Int)
        /// A symbolic (dynamic) dimension, such as the batch.
        case parameter(String)
    }

    public enum Attribute: Sendable {
        case int(String, Int64)
        case ints(String, [Int64])
        case float(String, Float)

        func encode(into w: inout ProtoWriter) {
            // AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT = 1, INT = 2, INTS = 7).
            switch self {
            case .int(let name, let v):
                w.string(1, name); w.int(3, v); w.int(20, 2)
            case .ints(let name, let vs):
                w.string(1, name)
                for v in vs { w.int(8, v) }
                w.int(20, 7)
            case .float(let name, let v):
                w.string(1, name); w.float(2, v); w.int(20, 1)
            }
        }
    }

    public struct Node: Sendable {
        public var opType: String
        public var inputs: [String]
        public var outputs: [String]
        public var name: String
        public var attributes: [Attribute]

        public init(_ opType: String, inputs: [String], outputs: [String], name: String,
                    attributes: [Attribute] = []) {
            self.opType = opType; self.inputs = inputs; self.outputs = outputs; self.name = name
            self.attributes = attributes
        }

        func encode(into w: inout ProtoWriter) {
            // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
            for i in inputs { w.string(1, i) }
            for o in outputs { w.string(2, o) }
            w.string(3, name)
            w.string(4, opType)
            for a in attributes { w.message(5) { a.encode(into: &$0) } }
        }
    }

    /// A float32 initializer (weights), stored as little-endian raw data.
    public struct Tensor: Sendable {
        public var name: String
        public var dims: [Int]
        public var values: [Float]

        public init(name: String, dims: [Int], values: [Float]) {
            self.name = name; self.dims = dims; self.values = values
        }

        func encode(into w: inout ProtoWriter) {
            // TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9.
            for d in dims { w.int(1, Int64(d)) }
            w.int(2, 1)
            w.string(8, name)
            var raw = [UInt8]()
            raw.reserveCapacity(values.count * 4)
            for v in values {
                let b = v.bitPattern
                raw.append(UInt8(truncatingIfNeeded: b)); raw.append(UInt8(truncatingIfNeeded: b >> 8))
                raw.append(UInt8(truncatingIfNeeded: b >> 16)); raw.append(UInt8(truncatingIfNeeded: b >> 24))
            }
            w.bytes(9, raw)
        }
    }

    /// A graph input or output: float32 (ONNX `elem_type` 1) unless `int64` (7) is asked for.
    public struct ValueInfo: Sendable {
        public var name: String
        public var shape: [Dimension]
        /// `TensorProto.DataType`: 1 float, 7 int64.
        public var elementType: Int64

        public init(name: String, shape: [Dimension], int64: Bool = false) {
            self.name = name
            self.shape = shape
            self.elementType = int64 ? 7 : 1
        }

        func encode(into w: inout ProtoWriter) {
            // ValueInfoProto: name = 1, type = 2. TypeProto: tensor_type = 1. Tensor: elem_type = 1, shape = 2.
            // TensorShapeProto: dim = 1. Dimension: dim_value = 1, dim_param = 2.
            w.string(1, name)
            w.message(2) { t in
                t.message(1) { tt in
                    tt.int(1, elementType)
                    tt.message(2) { s in
                        for d in shape {
                            s.message(1) { dw in
                                switch d {
                                case .value(let v): dw.int(1, Int64(v))
                                case .parameter(let p): dw.string(2, p)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public struct Model: Sendable {
        public var graphName: String
        public var nodes: [Node]
        public var initializers: [Tensor]
        public var inputs: [ValueInfo]
        public var outputs: [ValueInfo]
        public var opset: Int
        public var producerName: String
        public var producerVersion: String

        public init(graphName: String, nodes: [Node], initializers: [Tensor], inputs: [ValueInfo],
                    outputs: [ValueInfo], opset: Int = 13, producerName: String = "SwiftMLPerf",
                    producerVersion: String = "0.1") {
            self.graphName = graphName; self.nodes = nodes; self.initializers = initializers
            self.inputs = inputs; self.outputs = outputs; self.opset = opset
            self.producerName = producerName; self.producerVersion = producerVersion
        }

        /// The serialised `ModelProto`.
        public func serialized() -> [UInt8] {
            var w = ProtoWriter()
            // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8.
            w.int(1, 7)
            w.string(2, producerName)
            w.string(3, producerVersion)
            w.message(7) { g in
                // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
                for n in nodes { g.message(1) { n.encode(into: &$0) } }
                g.string(2, graphName)
                for t in initializers { g.message(5) { t.encode(into: &$0) } }
                for i in inputs { g.message(11) { i.encode(into: &$0) } }
                for o in outputs { g.message(12) { o.encode(into: &$0) } }
            }
            w.message(8) { o in
                // OperatorSetIdProto: domain = 1 ("" is the default ai.onnx domain), version = 2.
                o.string(1, "")
                o.int(2, Int64(opset))
            }
            return w.bytes
        }

        /// Writes the serialised model to `path`.
        public func write(to path: String) throws {
            let data = serialized()
            guard let f = fopen(path, "wb") else {
                throw ONNXExportError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            let n = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            let closed = fclose(f)
            guard n == data.count, closed == 0 else {
                throw ONNXExportError.cannotWrite(path: path, reason: "short write (\(n) of \(data.count) bytes)")
            }
        }
    }
}

public enum ONNXExportError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "\(path): cannot write the ONNX model: \(reason)"
        }
    }
}

extension FashionCNN {
    /// The model as ONNX (opset 13): input "input" float32 `[N, 1, 28, 28]`, output "logits" float32 `[N, 10]`,
    /// N dynamic. The same graph as `torch.onnx.export` of the PyTorch reference (Conv, Relu, MaxPool, Flatten, Gemm).
    public func onnxModel() -> ONNX.Model {
        let p = parameterArray
        let inits = FashionCNN.slices.map {
            ONNX.Tensor(name: $0.name, dims: $0.shape, values: Array(p[$0.offset..<$0.offset + $0.count]))
        }
        let conv: [ONNX.Attribute] = [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1]),
                                      .ints("strides", [1, 1]), .ints("dilations", [1, 1]), .int("group", 1)]
        let pool: [ONNX.Attribute] = [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])]
        let gemm: [ONNX.Attribute] = [.float("alpha", 1), .float("beta", 1), .int("transB", 1)]
        let nodes = [
            ONNX.Node("Conv", inputs: ["input", "conv1.weight", "conv1.bias"], outputs: ["conv1"], name: "conv1",
                      attributes: conv),
            ONNX.Node("Relu", inputs: ["conv1"], outputs: ["relu1"], name: "relu1"),
            ONNX.Node("MaxPool", inputs: ["relu1"], outputs: ["pool1"], name: "pool1", attributes: pool),
            ONNX.Node("Conv", inputs: ["pool1", "conv2.weight", "conv2.bias"], outputs: ["conv2"], name: "conv2",
                      attributes: conv),
            ONNX.Node("Relu", inputs: ["conv2"], outputs: ["relu2"], name: "relu2"),
            ONNX.Node("MaxPool", inputs: ["relu2"], outputs: ["pool2"], name: "pool2", attributes: pool),
            ONNX.Node("Flatten", inputs: ["pool2"], outputs: ["flat"], name: "flatten", attributes: [.int("axis", 1)]),
            ONNX.Node("Gemm", inputs: ["flat", "fc1.weight", "fc1.bias"], outputs: ["fc1"], name: "fc1",
                      attributes: gemm),
            ONNX.Node("Relu", inputs: ["fc1"], outputs: ["relu3"], name: "relu3"),
            ONNX.Node("Gemm", inputs: ["relu3", "fc2.weight", "fc2.bias"], outputs: ["logits"], name: "fc2",
                      attributes: gemm),
        ]
        return ONNX.Model(
            graphName: "fashion_mnist_cnn", nodes: nodes, initializers: inits,
            inputs: [ONNX.ValueInfo(name: "input", shape: [.parameter("N"), .value(1), .value(28), .value(28)])],
            outputs: [ONNX.ValueInfo(name: "logits", shape: [.parameter("N"), .value(10)])])
    }
}

import CONNXRuntime

/// Element type of a tensor.
public enum ORTElementType: Int, Sendable, CustomStringConvertible {
    case undefined = 0, float32, uint8, int8, uint16, int16, int32, int64, string, bool, float16, float64, uint32,
         uint64, complex64, complex128, bfloat16

    init(_ raw: ORTTensorElementType) { self = ORTElementType(rawValue: Int(raw.rawValue)) ?? .undefined }

    var raw: ORTTensorElementType { ORTTensorElementType(UInt32(rawValue)) }

    /// Bytes per element (0 for strings and undefined).
    public var size: Int {
        switch self {
        case .undefined, .string: return 0
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .float32, .int32, .uint32: return 4
        case .int64, .uint64, .float64, .complex64: return 8
        case .complex128: return 16
        }
    }

    public var description: String {
        switch self {
        case .undefined: return "undefined"
        case .float32: return "float32"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .string: return "string"
        case .bool: return "bool"
        case .float16: return "float16"
        case .float64: return "float64"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .bfloat16: return "bfloat16"
        }
    }
}

/// A model input or output as the model declares it. A dimension of -1 is dynamic (symbolic in the model, such
/// as a batch dimension "N").
public struct ORTTensorInfo: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// `.undefined` for values that are not tensors (sequences, maps).
    public var elementType: ORTElementType
    public var shape: [Int]

    public init(name: String, elementType: ORTElementType, shape: [Int]) {
        self.name = name; self.elementType = elementType; self.shape = shape
    }

    /// True when `shape` fits the declared shape: same rank, equal wherever the declared dimension is fixed.
    public func accepts(shape given: [Int]) -> Bool {
        given.count == shape.count && zip(shape, given).allSatisfy { $0 < 0 || $0 == $1 }
    }

    /// Like "float32 [N,1,28,28]" (a dynamic dimension shows as N for the first, ? elsewhere).
    public var description: String { "\(elementType) \(Self.format(shape))" }

    public static func format(_ shape: [Int]) -> String {
        "[" + shape.enumerated().map { $0.element >= 0 ? String($0.element) : ($0.offset == 0 ? "N" : "?") }
            .joined(separator: ",") + "]"
    }
}

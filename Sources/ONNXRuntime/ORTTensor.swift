import CONNXRuntime

/// An ONNX Runtime tensor (`OrtValue`) over memory that we own: either memory the caller hands in (never copied;
/// it must outlive the tensor) or a buffer this tensor allocates itself, 64-byte aligned, freed with it.
/// Writing into `data` between runs changes the tensor's contents: this is how batches are fed without copies.
public final class ORTTensor: @unchecked Sendable {
    public let elementType: ORTElementType
    public let shape: [Int]
    /// Number of elements (product of the shape).
    public let elementCount: Int
    /// The tensor's memory, `elementCount * elementType.size` bytes.
    public let data: UnsafeMutableRawPointer
    public var byteCount: Int { elementCount * elementType.size }

    let value: OpaquePointer
    private let runtime: ORTRuntime
    private let ownsData: Bool

    /// A tensor over `data`, which must hold `byteCount` ≥ shape's element count × element size bytes and must
    /// stay valid for the tensor's lifetime.
    public init(runtime: ORTRuntime, wrapping data: UnsafeMutableRawPointer, byteCount: Int, shape: [Int],
                elementType: ORTElementType) throws {
        let count = try Self.elementCount(shape)
        let needed = count * elementType.size
        guard elementType.size > 0, byteCount >= needed else {
            throw ORTError.inputMismatch(model: "-", tensor: "(buffer)", expected: "\(needed) bytes for \(elementType) "
                                         + ORTTensorInfo.format(shape), got: "\(byteCount) bytes")
        }
        self.runtime = runtime
        self.elementType = elementType
        self.shape = shape
        self.elementCount = count
        self.data = data
        self.ownsData = false
        self.value = try Self.makeValue(runtime, data, needed, shape, elementType)
    }

    /// A tensor over a new zero-filled buffer of its own.
    public init(runtime: ORTRuntime, shape: [Int], elementType: ORTElementType) throws {
        let count = try Self.elementCount(shape)
        guard elementType.size > 0 else {
            throw ORTError.inputMismatch(model: "-", tensor: "(buffer)", expected: "a numeric element type",
                                         got: "\(elementType)")
        }
        let bytes = max(count * elementType.size, 1)
        let data = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        do {
            self.value = try Self.makeValue(runtime, data, count * elementType.size, shape, elementType)
        } catch {
            data.deallocate()
            throw error
        }
        self.runtime = runtime
        self.elementType = elementType
        self.shape = shape
        self.elementCount = count
        self.data = data
        self.ownsData = true
    }

    deinit {
        runtime.api.pointee.ReleaseValue!(value)
        if ownsData { data.deallocate() }
    }

    /// The contents as float32 (the tensor must be float32).
    public var floats: UnsafeMutableBufferPointer<Float> {
        precondition(elementType == .float32, "tensor is \(elementType), not float32")
        return UnsafeMutableBufferPointer(start: data.assumingMemoryBound(to: Float.self), count: elementCount)
    }

    private static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else {
                throw ORTError.inputMismatch(model: "-", tensor: "(buffer)", expected: "a concrete shape",
                                             got: ORTTensorInfo.format(shape))
            }
            count *= d
        }
        return count
    }

    private static func makeValue(_ runtime: ORTRuntime, _ data: UnsafeMutableRawPointer, _ bytes: Int,
                                  _ shape: [Int], _ type: ORTElementType) throws -> OpaquePointer {
        let dims = shape.map { Int64($0) }
        var value: OpaquePointer?
        try dims.withUnsafeBufferPointer { d in
            try runtime.check(runtime.api.pointee.CreateTensorWithDataAsOrtValue!(
                runtime.cpuMemory, data, bytes, d.baseAddress, d.count, type.raw, &value),
                "CreateTensorWithDataAsOrtValue(\(type) \(ORTTensorInfo.format(shape)))")
        }
        return value!
    }
}

/// An output that ONNX Runtime allocated, copied out (used by `ORTSession.run(_:)`, the convenience path).
public struct ORTOutput: Sendable, Equatable {
    public var name: String
    public var elementType: ORTElementType
    public var shape: [Int]
    /// The raw little-endian contents.
    public var bytes: [UInt8]

    /// The contents as float32 values (the output must be float32).
    public var floats: [Float] {
        precondition(elementType == .float32, "output \(name) is \(elementType), not float32")
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

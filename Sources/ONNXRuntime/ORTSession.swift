import CONNXRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loaded model. `run` may be called from several threads at once (ONNX Runtime's `Run` is thread-safe), each
/// with its own `ORTPreparedRun`.
public final class ORTSession: @unchecked Sendable {
    public let runtime: ORTRuntime
    /// The model file, or the label given for a model loaded from memory.
    public let modelName: String
    public let inputs: [ORTTensorInfo]
    public let outputs: [ORTTensorInfo]
    public let options: ORTSessionOptions

    let session: OpaquePointer
    let runFunction: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<UnsafePointer<CChar>?>?,
                                     UnsafePointer<OpaquePointer?>?, Int, UnsafePointer<UnsafePointer<CChar>?>?, Int,
                                     UnsafeMutablePointer<OpaquePointer?>?) -> OpaquePointer?

    /// Loads the model file at `modelPath`. A missing file is `ORTError.modelNotFound`; a file ONNX Runtime
    /// rejects is `ORTError.invalidModel` with its message.
    public convenience init(runtime: ORTRuntime, modelPath: String, options: ORTSessionOptions = .init()) throws {
        guard access(modelPath, R_OK) == 0 else { throw ORTError.modelNotFound(path: modelPath) }
        var info = stat()
        guard stat(modelPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ORTError.modelNotFound(path: modelPath)
        }
        try self.init(runtime: runtime, name: modelPath, options: options) { env, opts, out in
            runtime.api.pointee.CreateSession!(env, modelPath, opts, out)
        }
    }

    /// Loads a model from its serialized bytes; `name` labels it in errors.
    public convenience init(runtime: ORTRuntime, modelData: [UInt8], name: String,
                            options: ORTSessionOptions = .init()) throws {
        try self.init(runtime: runtime, name: name, options: options) { env, opts, out in
            modelData.withUnsafeBytes { runtime.api.pointee.CreateSessionFromArray!(env, $0.baseAddress, $0.count, opts, out) }
        }
    }

    private init(runtime: ORTRuntime, name: String, options: ORTSessionOptions,
                 create: (OpaquePointer, OpaquePointer, UnsafeMutablePointer<OpaquePointer?>) -> OpaquePointer?) throws {
        let api = runtime.api.pointee
        let sessionOptions = try options.make(runtime)
        defer { api.ReleaseSessionOptions!(sessionOptions) }
        var session: OpaquePointer?
        if let status = create(runtime.env, sessionOptions, &session) {
            let (code, message) = runtime.takeStatus(status)
            throw ORTError.invalidModel(path: name, code: code, message: message)
        }
        guard let session else { throw ORTError.invalidModel(path: name, code: .fail, message: "no session created") }
        do {
            self.inputs = try Self.describe(runtime, session, input: true)
            self.outputs = try Self.describe(runtime, session, input: false)
        } catch {
            api.ReleaseSession!(session)
            throw error
        }
        self.runtime = runtime
        self.modelName = name
        self.options = options
        self.session = session
        self.runFunction = api.Run!
    }

    deinit { runtime.api.pointee.ReleaseSession!(session) }

    /// The declared input or output called `name`.
    public func input(named name: String) -> ORTTensorInfo? { inputs.first { $0.name == name } }
    public func output(named name: String) -> ORTTensorInfo? { outputs.first { $0.name == name } }

    /// Binds tensors to the model's inputs and outputs once, checking names, element types and shapes, so that
    /// `run(_:)` can then be called any number of times without allocating. Every model input must be bound;
    /// outputs not bound are not computed.
    public func prepare(inputs given: [(name: String, tensor: ORTTensor)],
                        outputs wanted: [(name: String, tensor: ORTTensor)]) throws -> ORTPreparedRun {
        for info in inputs where !given.contains(where: { $0.name == info.name }) {
            throw ORTError.inputMismatch(model: modelName, tensor: info.name, expected: info.description,
                                         got: "no tensor")
        }
        for (name, tensor) in given { try check(tensor, against: input(named: name), name: name, in: inputs) }
        for (name, tensor) in wanted { try check(tensor, against: output(named: name), name: name, in: outputs) }
        return ORTPreparedRun(session: self, inputs: given, outputs: wanted)
    }

    /// Runs the model on a prepared binding: the outputs' memory receives the results. Allocates nothing.
    @inline(__always)
    public func run(_ prepared: ORTPreparedRun) throws {
        if let status = runFunction(session, nil, prepared.inputNames, prepared.inputValues, prepared.inputCount,
                                    prepared.outputNames, prepared.outputCount, prepared.outputValues) {
            throw runtime.takeError(status, "Run(\(modelName))")
        }
    }

    /// Convenience (allocates; not for hot paths): runs with the given inputs and returns every output, copied.
    public func run(_ given: [(name: String, tensor: ORTTensor)]) throws -> [ORTOutput] {
        let prepared = try prepare(inputs: given, outputs: [])
        let api = runtime.api.pointee
        let names = outputs.map { strdup($0.name) }
        defer { names.forEach { free($0) } }
        var values = [OpaquePointer?](repeating: nil, count: outputs.count)
        defer { values.forEach { api.ReleaseValue!($0) } }
        try names.map { UnsafePointer($0) }.withUnsafeBufferPointer { outNames in
            try values.withUnsafeMutableBufferPointer { outValues in
                if let status = runFunction(session, nil, prepared.inputNames, prepared.inputValues,
                                            prepared.inputCount, outNames.baseAddress, outNames.count,
                                            outValues.baseAddress) {
                    throw runtime.takeError(status, "Run(\(modelName))")
                }
            }
        }
        return try zip(outputs, values).map { info, value in try copyOut(value!, name: info.name) }
    }

    private func copyOut(_ value: OpaquePointer, name: String) throws -> ORTOutput {
        let api = runtime.api.pointee
        var shapeInfo: OpaquePointer?
        try runtime.check(api.GetTensorTypeAndShape!(value, &shapeInfo), "GetTensorTypeAndShape(\(name))")
        defer { api.ReleaseTensorTypeAndShapeInfo!(shapeInfo) }
        let (type, shape) = try Self.typeAndShape(runtime, shapeInfo!)
        var raw: UnsafeMutableRawPointer?
        try runtime.check(api.GetTensorMutableData!(value, &raw), "GetTensorMutableData(\(name))")
        let count = shape.reduce(1, *) * type.size
        let bytes = raw.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
        return ORTOutput(name: name, elementType: type, shape: shape, bytes: bytes)
    }

    private func check(_ tensor: ORTTensor, against info: ORTTensorInfo?, name: String,
                       in known: [ORTTensorInfo]) throws {
        guard let info else {
            throw ORTError.unknownTensor(model: modelName, name: name, known: known.map(\.name))
        }
        guard tensor.elementType == info.elementType, info.accepts(shape: tensor.shape) else {
            throw ORTError.inputMismatch(model: modelName, tensor: name, expected: info.description,
                                         got: "\(tensor.elementType) \(ORTTensorInfo.format(tensor.shape))")
        }
    }

    private static func describe(_ runtime: ORTRuntime, _ session: OpaquePointer, input: Bool) throws -> [ORTTensorInfo] {
        let api = runtime.api.pointee
        let which = input ? "Input" : "Output"
        var count = 0
        try runtime.check(input ? api.SessionGetInputCount!(session, &count) : api.SessionGetOutputCount!(session, &count),
                          "SessionGet\(which)Count")
        var result: [ORTTensorInfo] = []
        for i in 0..<count {
            var cName: UnsafeMutablePointer<CChar>?
            try runtime.check(input ? api.SessionGetInputName!(session, i, runtime.allocator, &cName)
                                    : api.SessionGetOutputName!(session, i, runtime.allocator, &cName),
                              "SessionGet\(which)Name(\(i))")
            let name = String(cString: cName!)
            _ = api.AllocatorFree!(runtime.allocator, cName)
            var typeInfo: OpaquePointer?
            try runtime.check(input ? api.SessionGetInputTypeInfo!(session, i, &typeInfo)
                                    : api.SessionGetOutputTypeInfo!(session, i, &typeInfo),
                              "SessionGet\(which)TypeInfo(\(i))")
            defer { api.ReleaseTypeInfo!(typeInfo) }
            var tensorInfo: OpaquePointer?
            try runtime.check(api.CastTypeInfoToTensorInfo!(typeInfo, &tensorInfo), "CastTypeInfoToTensorInfo")
            if let tensorInfo {
                let (type, shape) = try typeAndShape(runtime, tensorInfo)
                result.append(ORTTensorInfo(name: name, elementType: type, shape: shape))
            } else {
                result.append(ORTTensorInfo(name: name, elementType: .undefined, shape: []))
            }
        }
        return result
    }

    static func typeAndShape(_ runtime: ORTRuntime, _ info: OpaquePointer) throws -> (ORTElementType, [Int]) {
        let api = runtime.api.pointee
        var type = ORTTensorElementType(0)
        try runtime.check(api.GetTensorElementType!(info, &type), "GetTensorElementType")
        var rank = 0
        try runtime.check(api.GetDimensionsCount!(info, &rank), "GetDimensionsCount")
        var dims = [Int64](repeating: 0, count: rank)
        try dims.withUnsafeMutableBufferPointer { d in
            try runtime.check(api.GetDimensions!(info, d.baseAddress, rank), "GetDimensions")
        }
        return (ORTElementType(type), dims.map { Int($0) })
    }
}

/// Tensors bound to a session's inputs and outputs (see `ORTSession.prepare`), held as the C arrays that
/// ONNX Runtime's `Run` takes. One per thread: the tensors' memory is that thread's buffers.
public final class ORTPreparedRun: @unchecked Sendable {
    public let session: ORTSession
    /// The bound tensors, kept alive for as long as this binding.
    public let inputTensors: [ORTTensor]
    public let outputTensors: [ORTTensor]

    let inputCount: Int
    let outputCount: Int
    let inputNames: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let inputValues: UnsafeMutablePointer<OpaquePointer?>
    let outputNames: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let outputValues: UnsafeMutablePointer<OpaquePointer?>

    init(session: ORTSession, inputs: [(name: String, tensor: ORTTensor)],
         outputs: [(name: String, tensor: ORTTensor)]) {
        self.session = session
        self.inputTensors = inputs.map(\.tensor)
        self.outputTensors = outputs.map(\.tensor)
        inputCount = inputs.count
        outputCount = outputs.count
        inputNames = .allocate(capacity: max(inputCount, 1))
        inputValues = .allocate(capacity: max(inputCount, 1))
        outputNames = .allocate(capacity: max(outputCount, 1))
        outputValues = .allocate(capacity: max(outputCount, 1))
        for (i, input) in inputs.enumerated() {
            inputNames[i] = UnsafePointer(strdup(input.name))
            inputValues[i] = input.tensor.value
        }
        for (i, output) in outputs.enumerated() {
            outputNames[i] = UnsafePointer(strdup(output.name))
            outputValues[i] = output.tensor.value
        }
    }

    deinit {
        for i in 0..<inputCount { free(UnsafeMutableRawPointer(mutating: inputNames[i])) }
        for i in 0..<outputCount { free(UnsafeMutableRawPointer(mutating: outputNames[i])) }
        inputNames.deallocate(); inputValues.deallocate(); outputNames.deallocate(); outputValues.deallocate()
    }
}

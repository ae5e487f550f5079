import CONNXRuntime

/// An error from ONNX Runtime or from preparing to call it. Every case says what went wrong, on which file or
/// model, and what to do about it; `description` is the one line to show a user.
public enum ORTError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No ONNX Runtime shared library could be found. `tried` lists each place looked at and why it failed.
    case libraryNotFound(tried: [String])
    /// `variable` (`ORT_LIBRARY_PATH`) is set to `path`, which is not a readable file.
    case libraryPathInvalid(variable: String, path: String)
    /// The library file exists but `dlopen` refused it.
    case libraryLoadFailed(path: String, reason: String)
    /// The library does not export the C API entry point (`OrtGetApiBase`).
    case symbolMissing(path: String, symbol: String)
    /// The library is older than the C API version we need.
    case apiVersionUnsupported(path: String, requested: UInt32, libraryVersion: String)
    /// The model file does not exist or cannot be read.
    case modelNotFound(path: String)
    /// ONNX Runtime could not load the model (corrupt file, not ONNX, unsupported operator…).
    case invalidModel(path: String, code: ORTStatusCode, message: String)
    /// A tensor handed to the model does not match what the model declares.
    case inputMismatch(model: String, tensor: String, expected: String, got: String)
    /// A name that is not one of the model's inputs or outputs.
    case unknownTensor(model: String, name: String, known: [String])
    /// Any other failed ONNX Runtime call, with ONNX Runtime's own message.
    case call(function: String, code: ORTStatusCode, message: String)

    public var description: String {
        switch self {
        case .libraryNotFound(let tried):
            return "ONNX Runtime library not found (\(tried.joined(separator: "; "))). "
                + "Install it with `bash scripts/setup.sh` (the project's environment .venv, with onnxruntime==1.31.1), "
                + "or `pip install onnxruntime==1.31.1` for the interpreter named by MLPERF_PYTHON, "
                + "or set ORT_LIBRARY_PATH to the full path of libonnxruntime.so."
        case .libraryPathInvalid(let variable, let path):
            return "\(variable) is set to \(path), which is not a readable file. Point \(variable) at "
                + "onnxruntime/capi/libonnxruntime.so.* (from `pip install onnxruntime==1.31.1`), or unset it to use "
                + "the project's environment."
        case .libraryLoadFailed(let path, let reason):
            return "cannot load the ONNX Runtime library \(path): \(reason). "
                + "Reinstall it with `pip install --force-reinstall onnxruntime==1.31.1`, or point ORT_LIBRARY_PATH "
                + "at a working libonnxruntime.so."
        case .symbolMissing(let path, let symbol):
            return "\(path) is not an ONNX Runtime library: it does not export \(symbol). "
                + "Point ORT_LIBRARY_PATH at onnxruntime/capi/libonnxruntime.so.* from `pip install onnxruntime==1.31.1`."
        case .apiVersionUnsupported(let path, let requested, let version):
            return "the ONNX Runtime library \(path) (version \(version)) does not provide C API version \(requested); "
                + "ONNX Runtime 1.15 or newer is needed: `pip install onnxruntime==1.31.1`."
        case .modelNotFound(let path):
            return "model file \(path) does not exist or cannot be read. Check the path given with --model, "
                + "or create the model first (e.g. train and export it)."
        case .invalidModel(let path, let code, let message):
            return "ONNX Runtime cannot load the model \(path) (\(code)): \(message). "
                + "The file is not a valid ONNX model for this ONNX Runtime; re-export it."
        case .inputMismatch(let model, let tensor, let expected, let got):
            return "model \(model): tensor '\(tensor)' expects \(expected), but was given \(got). "
                + "Use a model whose input matches the benchmark's data, or the matching benchmark."
        case .unknownTensor(let model, let name, let known):
            return "model \(model) has no tensor named '\(name)' (it has: \(known.joined(separator: ", ")))."
        case .call(let function, let code, let message):
            return "ONNX Runtime \(function) failed (\(code)): \(message)"
        }
    }
}

/// The error code of a failed ONNX Runtime call (`OrtErrorCode`).
public enum ORTStatusCode: Int, Sendable, CustomStringConvertible {
    case ok = 0, fail, invalidArgument, noSuchFile, noModel, engineError, runtimeException, invalidProtobuf,
         modelLoaded, notImplemented, invalidGraph, executionProviderFailure
    case unknown = -1

    init(_ raw: ORTErrorCode) { self = ORTStatusCode(rawValue: Int(raw.rawValue)) ?? .unknown }

    public var description: String {
        switch self {
        case .ok: return "ORT_OK"
        case .fail: return "ORT_FAIL"
        case .invalidArgument: return "ORT_INVALID_ARGUMENT"
        case .noSuchFile: return "ORT_NO_SUCHFILE"
        case .noModel: return "ORT_NO_MODEL"
        case .engineError: return "ORT_ENGINE_ERROR"
        case .runtimeException: return "ORT_RUNTIME_EXCEPTION"
        case .invalidProtobuf: return "ORT_INVALID_PROTOBUF"
        case .modelLoaded: return "ORT_MODEL_LOADED"
        case .notImplemented: return "ORT_NOT_IMPLEMENTED"
        case .invalidGraph: return "ORT_INVALID_GRAPH"
        case .executionProviderFailure: return "ORT_EP_FAIL"
        case .unknown: return "unknown ORT error code"
        }
    }
}

import CONNXRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ONNX Runtime, loaded: the library opened with `dlopen`, its C API table, one `OrtEnv`, the CPU memory
/// description used for tensors over our own memory, and ORT's default allocator. Create one per process and share
/// it: sessions keep it alive. The library is never unloaded (ONNX Runtime does not support being unloaded).
public final class ORTRuntime: @unchecked Sendable {
    /// The file that was loaded.
    public let libraryPath: String
    /// ONNX Runtime's version string, e.g. "1.31.1".
    public let version: String
    /// ONNX Runtime's build description (git commit, build type).
    public let buildInfo: String

    let api: UnsafePointer<OrtApi>
    let env: OpaquePointer
    let cpuMemory: OpaquePointer
    let allocator: OpaquePointer
    let releaseStatus: @convention(c) (OpaquePointer?) -> Void
    let errorCode: @convention(c) (OpaquePointer?) -> ORTErrorCode
    let errorMessage: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?

    /// Finds the library (see `ORTLibraryLocator`) and loads it.
    public convenience init(environment: [String: String], logLevel: ORTLogLevel = .fatal) throws {
        try self.init(libraryPath: ORTLibraryLocator(environment: environment).locate(), logLevel: logLevel)
    }

    /// Loads the library at `libraryPath`. ONNX Runtime's own log goes to stderr from `logLevel` up; the default
    /// keeps it quiet, since every failure also comes back as an `ORTError` carrying ORT's message.
    public init(libraryPath: String, logLevel: ORTLogLevel = .fatal) throws {
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw ORTError.libraryLoadFailed(path: libraryPath, reason: reason)
        }
        guard let symbol = dlsym(handle, "OrtGetApiBase") else {
            throw ORTError.symbolMissing(path: libraryPath, symbol: "OrtGetApiBase")
        }
        let getApiBase = unsafeBitCast(symbol, to: ORTGetApiBaseFunction.self)
        guard let base = getApiBase() else {
            throw ORTError.symbolMissing(path: libraryPath, symbol: "OrtGetApiBase (returned NULL)")
        }
        let version = base.pointee.GetVersionString.flatMap { $0() }.map { String(cString: $0) } ?? "unknown"
        guard let api = base.pointee.GetApi?(UInt32(ORTAPI_VERSION_REQUESTED)) else {
            throw ORTError.apiVersionUnsupported(path: libraryPath, requested: UInt32(ORTAPI_VERSION_REQUESTED),
                                                 libraryVersion: version)
        }
        self.libraryPath = libraryPath
        self.version = version
        self.api = api
        self.buildInfo = api.pointee.GetBuildInfoString.flatMap { $0() }.map { String(cString: $0) } ?? ""
        self.releaseStatus = api.pointee.ReleaseStatus!
        self.errorCode = api.pointee.GetErrorCode!
        self.errorMessage = api.pointee.GetErrorMessage!

        var env: OpaquePointer?
        try Self.check(api, api.pointee.CreateEnv!(ORTLoggingLevel(UInt32(logLevel.rawValue)), "swiftmlperf", &env),
                       "CreateEnv")
        var memory: OpaquePointer?
        do {
            try Self.check(api, api.pointee.CreateCpuMemoryInfo!(ORT_ALLOCATOR_ARENA, ORT_MEMTYPE_DEFAULT, &memory),
                           "CreateCpuMemoryInfo")
            var allocator: OpaquePointer?
            try Self.check(api, api.pointee.GetAllocatorWithDefaultOptions!(&allocator), "GetAllocatorWithDefaultOptions")
            self.allocator = allocator!
        } catch {
            api.pointee.ReleaseMemoryInfo!(memory)
            api.pointee.ReleaseEnv!(env)
            throw error
        }
        self.env = env!
        self.cpuMemory = memory!
    }

    deinit {
        api.pointee.ReleaseMemoryInfo!(cpuMemory)
        api.pointee.ReleaseEnv!(env)
    }

    /// Throws `ORTError.call` carrying ORT's code and message when `status` is an error; releases it.
    @inline(__always)
    func check(_ status: OpaquePointer?, _ function: @autoclosure () -> String) throws {
        guard let status else { return }
        throw takeError(status, function())
    }

    /// Converts a non-NULL status into an error and releases it.
    func takeError(_ status: OpaquePointer, _ function: String) -> ORTError {
        let (code, message) = takeStatus(status)
        return .call(function: function, code: code, message: message)
    }

    func takeStatus(_ status: OpaquePointer) -> (ORTStatusCode, String) {
        let code = ORTStatusCode(errorCode(status))
        let message = errorMessage(status).map { String(cString: $0) } ?? ""
        releaseStatus(status)
        return (code, message)
    }

    static func check(_ api: UnsafePointer<OrtApi>, _ status: OpaquePointer?, _ function: String) throws {
        guard let status else { return }
        let code = ORTStatusCode(api.pointee.GetErrorCode!(status))
        let message = api.pointee.GetErrorMessage!(status).map { String(cString: $0) } ?? ""
        api.pointee.ReleaseStatus!(status)
        throw ORTError.call(function: function, code: code, message: message)
    }
}

/// The minimum severity of ONNX Runtime's own log messages that reach stderr.
public enum ORTLogLevel: Int, Sendable {
    case verbose = 0, info, warning, error, fatal
}

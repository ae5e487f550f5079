import CLoadGenSupport
import MLLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mlperf_log_detail.txt`: one `:::MLLOG` line per event in LoadGen's dialect, written and flushed as logged (events
/// are rare and never logged from the issue loop), so nothing is lost on an error or interruption.
final class DetailLog {
    private let file: UnsafeMutablePointer<FILE>?
    let originNs: Int64
    private(set) var errors: [String] = []
    private(set) var warnings: [String] = []
    private let pid = Int64(getpid())
    private let tid = Int64(truncatingIfNeeded: UInt(pthread_self())) & 0x7fff_ffff
    let path: String

    init(path: String, originNs: Int64) throws(LoadGenError) {
        guard let f = fopen(path, "w") else { throw LoadGenError.cannotWrite(path, String(cString: strerror(errno))) }
        file = f
        self.path = path
        self.originNs = originNs
    }

    deinit { if let file { fclose(file) } }

    func log(_ key: String, _ value: JSONValue, error: Bool = false, warning: Bool = false, line: Int = #line) {
        let record = MLLogRecord(namespace: "mlperf::logging", timeMs: Double(lg_now_ns() - originNs) / 1e6, key: key,
                                 value: value,
                                 metadata: [JSONField("is_error", .bool(error)), JSONField("is_warning", .bool(warning)),
                                            JSONField("file", "loadgen.swift"), JSONField("line_no", .int(Int64(line))),
                                            JSONField("pid", .int(pid)), JSONField("tid", .int(tid))])
        if error, case .string(let s) = value { errors.append(s) }
        if warning, case .string(let s) = value { warnings.append(s) }
        guard let file else { return }
        let text = MLLogDialect.loadgen.line(record) + "\n"
        fputs(text, file)
        fflush(file)
    }

    func error(_ key: String, _ message: String, line: Int = #line) { log(key, .string(message), error: true, line: line) }
    func warning(_ message: String, line: Int = #line) { log("warning_generic_message", .string(message), warning: true, line: line) }
}

/// Errors that stop a test before it can produce results (everything else is logged and judged).
public enum LoadGenError: Error, CustomStringConvertible, Sendable {
    case cannotWrite(String, String)
    case qsl(String)
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let why): return "cannot write \(path): \(why)"
        case .qsl(let why): return "query sample library: \(why)"
        case .invalidSettings(let why): return "invalid test settings: \(why)"
        }
    }
}

/// Writes a text file whole.
func writeFile(_ path: String, _ text: String) throws(LoadGenError) {
    guard let f = fopen(path, "w") else { throw LoadGenError.cannotWrite(path, String(cString: strerror(errno))) }
    defer { fclose(f) }
    fputs(text, f)
}

/// Creates a directory and its parents.
func makeDirectories(_ path: String) throws(LoadGenError) {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw LoadGenError.cannotWrite(path, String(cString: strerror(errno)))
        }
    }
}

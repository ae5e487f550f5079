#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Emits MLLOG events to a sink. Thread-safe if the sink is. The library never prints: the sink decides where lines
/// go (a file, stdout, a harness that watches the run live).
public final class MLLogger: Sendable {
    public typealias Sink = @Sendable (_ line: String, _ record: MLLogRecord) -> Void

    public let dialect: MLLogDialect
    public let namespace: String
    let sink: Sink
    let clock: @Sendable () -> Double

    /// `clock` returns the time to log in ms (default: wall-clock ms since the Unix epoch, as the reference logger).
    public init(dialect: MLLogDialect = .training, namespace: String = "",
                clock: @escaping @Sendable () -> Double = MLLogger.wallClockMs, sink: @escaping Sink) {
        self.dialect = dialect
        self.namespace = namespace
        self.clock = clock
        self.sink = sink
    }

    public static func wallClockMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec / 1_000_000)
    }

    public func event(_ key: String, _ value: JSONValue = .null, metadata: [JSONField] = [],
                      file: String = #fileID, line: Int = #line) {
        log(.pointInTime, key, value, metadata, file, line)
    }

    public func start(_ key: String, _ value: JSONValue = .null, metadata: [JSONField] = [],
                      file: String = #fileID, line: Int = #line) {
        log(.intervalStart, key, value, metadata, file, line)
    }

    public func end(_ key: String, _ value: JSONValue = .null, metadata: [JSONField] = [],
                    file: String = #fileID, line: Int = #line) {
        log(.intervalEnd, key, value, metadata, file, line)
    }

    /// Logs a fully built record as is.
    public func log(_ record: MLLogRecord) {
        sink(dialect.line(record), record)
    }

    private func log(_ type: MLLogEventType, _ key: String, _ value: JSONValue, _ extra: [JSONField],
                     _ file: String, _ line: Int) {
        // The reference logger puts file and lineno first, then merges caller metadata over them.
        var md = [JSONField("file", .string(file)), JSONField("lineno", .int(Int64(line)))]
        for f in extra {
            if let i = md.firstIndex(where: { $0.key == f.key }) { md[i] = f } else { md.append(f) }
        }
        log(MLLogRecord(namespace: namespace, timeMs: clock(), eventType: type, key: key, value: value, metadata: md))
    }
}

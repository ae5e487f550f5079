/// The event types of an MLLOG line.
public enum MLLogEventType: String, Sendable {
    case pointInTime = "POINT_IN_TIME"
    case intervalStart = "INTERVAL_START"
    case intervalEnd = "INTERVAL_END"
}

/// One `:::MLLOG {json}` event.
public struct MLLogRecord: Sendable, Equatable {
    public var namespace: String
    /// Training: integer ms since the Unix epoch. LoadGen: ms since the log origin, fractional (ns precision).
    public var timeMs: Double
    public var eventType: MLLogEventType
    public var key: String
    public var value: JSONValue
    public var metadata: [JSONField]

    public init(namespace: String = "", timeMs: Double, eventType: MLLogEventType = .pointInTime, key: String,
                value: JSONValue, metadata: [JSONField] = []) {
        self.namespace = namespace
        self.timeMs = timeMs
        self.eventType = eventType
        self.key = key
        self.value = value
        self.metadata = metadata
    }
}

/// The two official spellings of an MLLOG line. One implementation of the format in the package.
public enum MLLogDialect: Sendable {
    /// `mlperf_logging.mllog` (training): `{"namespace", "time_ms" (int), "event_type", "key", "value", "metadata"}`,
    /// doubles as Python `repr`.
    case training
    /// LoadGen's `mlperf_log_detail.txt`: `{"key", "value", "time_ms" (`<int>.<6 digits>`), "namespace",
    /// "event_type", "metadata"}`, doubles as C++ `ostream <<`.
    case loadgen

    public static let prefix = ":::MLLOG "

    /// The full line without a trailing newline.
    public func line(_ r: MLLogRecord) -> String {
        var out = MLLogDialect.prefix
        out.reserveCapacity(160)
        switch self {
        case .training:
            let w = JSONWriter(doubleStyle: .python, nonFiniteAsLiterals: true)
            out += "{\"namespace\": "
            JSONWriter.writeString(r.namespace, into: &out)
            out += ", \"time_ms\": "
            out += r.timeMs.isFinite ? String(Int64(r.timeMs.rounded(.down))) : w.format(r.timeMs)
            out += ", \"event_type\": \"" + r.eventType.rawValue + "\", \"key\": "
            JSONWriter.writeString(r.key, into: &out)
            out += ", \"value\": "
            w.write(r.value, into: &out)
            out += ", \"metadata\": "
            w.write(.object(r.metadata), into: &out)
            out += "}"
        case .loadgen:
            let w = JSONWriter(doubleStyle: .cppStream, nonFiniteAsLiterals: true)
            out += "{\"key\": "
            JSONWriter.writeString(r.key, into: &out)
            out += ", \"value\": "
            w.write(r.value, into: &out)
            out += ", \"time_ms\": "
            out += MLLogDialect.fixedMillis(r.timeMs)
            out += ", \"namespace\": "
            JSONWriter.writeString(r.namespace, into: &out)
            out += ", \"event_type\": \"" + r.eventType.rawValue + "\", \"metadata\": "
            w.write(.object(r.metadata), into: &out)
            out += "}"
        }
        return out
    }

    /// `<int>.<6 digits>` as LoadGen prints ms with ns precision.
    static func fixedMillis(_ ms: Double) -> String {
        let ns = Int64((ms * 1_000_000).rounded())
        let whole = ns / 1_000_000
        let frac = String(abs(ns % 1_000_000))
        return String(whole) + "." + String(repeating: "0", count: 6 - frac.count) + frac
    }
}

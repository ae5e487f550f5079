/// One parsed `:::MLLOG` line with where it came from.
public struct MLLogEntry: Sendable, Equatable {
    public var record: MLLogRecord
    /// 1-based line number in the file or stream.
    public var line: Int
    /// 0-based index among the MLLOG lines: the `lineno` the official checker prints.
    public var index: Int
    /// The line from the `:::MLLOG ` token on, trimmed: what the official checker calls `full_string`.
    public var text: String

    public init(record: MLLogRecord, line: Int, index: Int, text: String) {
        self.record = record
        self.line = line
        self.index = index
        self.text = text
    }
}

/// A problem found while parsing a log. Every issue names its line.
public struct MLLogIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text after `:::MLLOG ` is not valid JSON (often a truncated line).
        case invalidJSON = "invalid_json"
        /// Valid JSON but not an object.
        case notAnObject = "not_an_object"
        /// `key`, `value`, `metadata` or `time_ms` is absent (the official parser crashes on these).
        case missingField = "missing_field"
        /// A field has the wrong type (`time_ms` not a number, `key` not a string, `metadata` not an object).
        case badField = "bad_field"
        /// `time_ms` is smaller than on the previous MLLOG line. The official checker does not look at this.
        case timeWentBackwards = "time_went_backwards"
    }

    public var kind: Kind
    /// 1-based line number.
    public var line: Int
    public var message: String

    public init(kind: Kind, line: Int, message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    /// Whether the official parser also rejects the line (everything but time going backwards).
    public var isOfficialParseError: Bool { kind != .timeWentBackwards }

    public var description: String { "line \(line): \(message)" }
}

public struct MLLogParseResult: Sendable {
    public var entries: [MLLogEntry] = []
    public var issues: [MLLogIssue] = []
    public init() {}
}

/// The tolerant MLLOG parser, with the official edge cases (spec training.md §1, §4.2):
/// - lines without `:::MLLOG ` are skipped (any other output may be mixed in);
/// - anything before the last `:::MLLOG ` on a line is stripped (launcher prefixes such as `[1,0]<stdout>: `);
/// - the rest must be one JSON object with `key`, `value`, `metadata` and `time_ms`; `time_ms` may be a number, a
///   numeric string or a boolean (Python's `float()`); `namespace` and `event_type` are optional and never judged;
/// - bytes that are not UTF-8 are read as Latin-1, as the official parser reads every file.
/// Bad lines become issues with their line number; parsing never stops early and never traps.
public struct MLLogParser: Sendable {
    public static let token: [UInt8] = Array(MLLogDialect.prefix.utf8)

    /// State for incremental use (a live stream): the MLLOG index and the last time seen.
    public struct Stream: Sendable {
        public private(set) var lineNumber = 0
        public private(set) var mllogCount = 0
        public private(set) var lastTimeMs: Double? = nil
        public init() {}

        /// Feeds one line (without its newline). Returns nil when the line has no MLLOG token.
        public mutating func feed(_ line: some Collection<UInt8>) -> (entry: MLLogEntry?, issues: [MLLogIssue])? {
            lineNumber += 1
            guard let result = MLLogParser.parseLine(Array(line), lineNumber: lineNumber, index: mllogCount) else {
                return nil
            }
            mllogCount += 1
            switch result {
            case .failure(let issue): return (nil, [issue])
            case .success(let entry):
                var issues: [MLLogIssue] = []
                if let last = lastTimeMs, entry.record.timeMs < last {
                    issues.append(MLLogIssue(kind: .timeWentBackwards, line: lineNumber,
                        message: "time_ms \(MLLogParser.ms(entry.record.timeMs)) is earlier than the previous MLLOG line's \(MLLogParser.ms(last)) (key '\(entry.record.key)')"))
                }
                if !entry.record.timeMs.isNaN { lastTimeMs = entry.record.timeMs }
                return (entry, issues)
            }
        }
    }

    public static func parse(_ text: String) -> MLLogParseResult { parse(bytes: Array(text.utf8)) }

    public static func parse(bytes: [UInt8]) -> MLLogParseResult {
        var result = MLLogParseResult()
        var stream = Stream()
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n, bytes[end] != 0x0A { end += 1 }
            if let (entry, issues) = stream.feed(bytes[start..<end]) {
                if let entry { result.entries.append(entry) }
                result.issues += issues
            }
            start = end + 1
        }
        return result
    }

    /// Parses one line. nil: not an MLLOG line. `index` becomes the entry's MLLOG index.
    public static func parseLine(_ line: [UInt8], lineNumber: Int, index: Int) -> Result<MLLogEntry, MLLogIssue>? {
        guard let at = lastToken(in: line) else { return nil }
        var body = Array(line[(at + token.count)...])
        // Trim surrounding whitespace (and a CR) as the official `strip()` does.
        while let l = body.last, l == 0x20 || l == 0x09 || l == 0x0D || l == 0x0B || l == 0x0C { body.removeLast() }
        var text = MLLogDialect.prefix
        text += JSONParser.decode(body)
        func fail(_ kind: MLLogIssue.Kind, _ msg: String) -> Result<MLLogEntry, MLLogIssue> {
            .failure(MLLogIssue(kind: kind, line: lineNumber, message: msg))
        }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: body) } catch {
            return fail(.invalidJSON, "not valid JSON after ':::MLLOG ': \(error.message) at column \(error.offset + token.count + 1)")
        }
        guard case .object = json else { return fail(.notAnObject, "the text after ':::MLLOG ' is JSON but not an object") }
        for field in ["key", "value", "metadata", "time_ms"] where json.lastValue(forKey: field) == nil {
            return fail(.missingField, "missing field '\(field)' (every MLLOG line needs key, value, metadata and time_ms)")
        }
        guard case .string(let key) = json.lastValue(forKey: "key")! else {
            return fail(.badField, "field 'key' must be a string")
        }
        guard let time = timeValue(json.lastValue(forKey: "time_ms")!) else {
            return fail(.badField, "field 'time_ms' must be a number (got \(JSONWriter().string(json.lastValue(forKey: "time_ms")!)))")
        }
        guard case .object(let rawMetadata) = json.lastValue(forKey: "metadata")! else {
            return fail(.badField, "field 'metadata' must be an object")
        }
        var metadata: [JSONField] = []
        for f in rawMetadata {
            if let k = metadata.firstIndex(where: { $0.key == f.key }) { metadata[k].value = f.value } else { metadata.append(f) }
        }
        let eventType = json.lastValue(forKey: "event_type")?.stringValue.flatMap(MLLogEventType.init(rawValue:)) ?? .pointInTime
        let namespace = json.lastValue(forKey: "namespace")?.stringValue ?? ""
        let record = MLLogRecord(namespace: namespace, timeMs: time, eventType: eventType, key: key,
                                 value: json.lastValue(forKey: "value")!, metadata: metadata)
        return .success(MLLogEntry(record: record, line: lineNumber, index: index, text: text))
    }

    /// Python `float(x)` for the JSON types a `time_ms` may hold.
    static func timeValue(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            let t = s.trimmingWhitespace().replacing("_", with: "")
            switch t.lowercased() {
            case "nan", "+nan", "-nan": return .nan
            case "inf", "+inf", "infinity", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            default: return Double(t)
            }
        default: return nil
        }
    }

    /// Byte offset of the last `:::MLLOG ` token in a line.
    public static func lastToken(in line: [UInt8]) -> Int? {
        let t = token
        guard line.count >= t.count else { return nil }
        var i = line.count - t.count
        while i >= 0 {
            if line[i] == t[0] {
                var match = true
                for k in 1..<t.count where line[i + k] != t[k] { match = false; break }
                if match { return i }
            }
            i -= 1
        }
        return nil
    }

    static func ms(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e17 ? String(Int64(d)) : String(d)
    }
}

extension MLLogRecord {
    /// The metadata value for `key`, if present.
    public func metadata(_ key: String) -> JSONValue? { metadata.first { $0.key == key }?.value }
}

extension String {
    func trimmingWhitespace() -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s.removeFirst() }
        while let l = s.last, ws.contains(l) { s.removeLast() }
        return String(s)
    }
}

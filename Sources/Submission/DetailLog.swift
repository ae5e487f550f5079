import Foundation
import MLLog

/// The keys of a LoadGen `mlperf_log_detail.txt` as the submission checker reads them: the first value of each key,
/// and the lines marked `is_error`. Source: the checker's `MLPerfLog` (first occurrence wins; an unparsable
/// `:::MLLOG` line makes the whole file unreadable).
public struct DetailLog: Sendable {
    public let path: String
    public private(set) var values: [String: JSONValue] = [:]
    /// `value` of every line whose metadata has `"is_error": true`.
    public private(set) var errors: [String] = []

    /// - Throws: `SubmissionError.unreadable` when the file is missing, or `.invalid` (with the line) when a line
    ///   is not valid MLLOG JSON.
    public init(path: String) throws(SubmissionError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(file: path, reason: "no such file")
        }
        let parsed = MLLogParser.parse(bytes: [UInt8](data))
        if let issue = parsed.issues.first(where: { $0.isOfficialParseError }) {
            throw .invalid(file: path, line: issue.line, expected: "a :::MLLOG JSON line", found: issue.message)
        }
        for entry in parsed.entries {
            let r = entry.record
            if values[r.key] == nil { values[r.key] = r.value }
            if r.metadata("is_error")?.boolValue == true { errors.append(r.value.stringValue ?? "\(r.value)") }
        }
    }

    public subscript(key: String) -> JSONValue? { values[key] }
    public func int(_ key: String) -> Int64? { values[key]?.int64Value }
    public func double(_ key: String) -> Double? { values[key]?.doubleValue }
    public func string(_ key: String) -> String? { values[key]?.stringValue }
    /// A seed as logged (an unsigned 64-bit integer).
    public func seed(_ key: String) -> UInt64? {
        switch values[key] {
        case .uint(let u): return u
        case .int(let i): return i >= 0 ? UInt64(i) : nil
        default: return nil
        }
    }
    /// Booleans as LoadGen logs them (`true`/`false`, or 1/0).
    public func bool(_ key: String) -> Bool? {
        switch values[key] {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s): return s.lowercased() == "true"
        default: return nil
        }
    }
}

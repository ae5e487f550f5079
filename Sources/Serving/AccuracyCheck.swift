import Datasets
import Foundation

/// The responses of an accuracy-mode run, by QSL index, as read from `mlperf_log_accuracy.json` (a JSON array of
/// `{"seq_id", "qsl_idx", "data"}`, `data` the response bytes in hex; LoadGen's accuracy log format).
public struct AccuracyLog: Sendable {
    /// `responses[i]`: the first response's bytes for sample `i`, or nil when it had none.
    public var responses: [[UInt8]?]
    /// Responses whose `data` is not hex (their sample counts as answered but undecodable).
    public var unreadable: Set<Int>
    /// Responses for an index that already had one (ignored after the first).
    public var duplicates: Int
    public var path: String

    public var missing: Int { responses.lazy.filter { $0 == nil }.count - unreadable.count }
}

/// A benchmark's accuracy as judged from its accuracy log: the metric (top-1, HR@10 …), other figures, and the
/// closed division's bound (≥ 99 % of the FP32 reference, MLPerf inference rules' default accuracy target).
public struct AccuracyReport: Sendable {
    /// The metric's name in the field's terms: `top-1 accuracy`, `HR@10`.
    public var metric: String
    public var value: Double
    /// Other figures (e.g. `NDCG@10`), reported, not judged.
    public var extras: [(name: String, value: Double)]
    /// Samples with a response (duplicates not counted).
    public var total: Int
    /// Samples counted as right (classification: correct predictions; NCF: hits).
    public var correct: Int
    /// Dataset indices that had no response.
    public var missing: Int
    public var duplicates: Int
    /// Responses whose data is not what the contract says (wrong length, no such class).
    public var undecodable: Int
    public var referenceAccuracy: Double
    /// The closed division's requirement: 99 % of the reference.
    public var required: Double { referenceAccuracy * 0.99 }
    public var passed: Bool { missing == 0 && undecodable == 0 && value >= required }
    /// Kept for the classification callers: the metric value.
    public var accuracy: Double { value }

    public init(metric: String, value: Double, extras: [(name: String, value: Double)] = [], total: Int, correct: Int,
                log: AccuracyLog, undecodable: Int, referenceAccuracy: Double) {
        self.metric = metric
        self.value = value
        self.extras = extras
        self.total = total
        self.correct = correct
        self.missing = log.missing
        self.duplicates = log.duplicates
        self.undecodable = undecodable
        self.referenceAccuracy = referenceAccuracy
    }

    /// The official accuracy scripts' line (`accuracy=90.000%, good=9, total=10` for classifiers).
    public var line: String {
        if metric == "top-1 accuracy" {
            return String(format: "accuracy=%.3f%%, good=%d, total=%d", value * 100, correct, total)
        }
        return ([(metric, value)] + extras).map { String(format: "%@=%.4f", $0.0, $0.1) }.joined(separator: ", ")
            + ", good=\(correct), total=\(total)"
    }

    public var verdict: String {
        var s = String(format: "%@ — %@ %.4f vs required %.4f (99%% of the FP32 reference %.4f)",
                       passed ? "PASS" : "FAIL", metric, value, required, referenceAccuracy)
        if missing > 0 { s += "; \(missing) samples have no response (an accuracy run must cover the whole dataset)" }
        if undecodable > 0 { s += "; \(undecodable) responses are not what the model contract says" }
        if duplicates > 0 { s += "; \(duplicates) duplicate responses ignored" }
        return s
    }
}

public enum AccuracyCheck {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String, String)
        case malformed(String, String)
        public var description: String {
            switch self {
            case .unreadable(let path, let why): return "\(path): cannot read the accuracy log: \(why)"
            case .malformed(let path, let why): return "\(path): not an MLPerf accuracy log: \(why)"
            }
        }
    }

    /// Reads an accuracy log of a data set with `sampleCount` samples.
    /// - Throws: `Failure.unreadable` (no file, a directory), `.malformed` (not JSON, not the layout, an index outside
    ///   the data set, naming the entry).
    public static func read(log path: String, sampleCount: Int) throws -> AccuracyLog {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            throw Failure.unreadable(path, "it is a directory; give the mlperf_log_accuracy.json inside it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.unreadable(path, exists ? "permission denied" : "no such file")
        }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw Failure.malformed(path, "invalid JSON (\(error.localizedDescription))")
        }
        guard let entries = root as? [[String: Any]] else {
            throw Failure.malformed(path, "expected a JSON array of {\"seq_id\", \"qsl_idx\", \"data\"} objects")
        }
        var log = AccuracyLog(responses: Array(repeating: nil, count: sampleCount), unreadable: [], duplicates: 0,
                              path: path)
        var seen = [Bool](repeating: false, count: sampleCount)
        for (i, e) in entries.enumerated() {
            guard let idx = (e["qsl_idx"] as? NSNumber)?.intValue, let hex = e["data"] as? String else {
                throw Failure.malformed(path, "entry \(i) has no qsl_idx or data")
            }
            guard idx >= 0 && idx < sampleCount else {
                throw Failure.malformed(path, "entry \(i): qsl_idx \(idx) is outside the dataset (0..<\(sampleCount))")
            }
            if seen[idx] { log.duplicates += 1; continue }
            seen[idx] = true
            if let bytes = decodeHex(hex) { log.responses[idx] = bytes } else { log.unreadable.insert(idx) }
        }
        return log
    }

    /// Top-1 accuracy of a classifier's log (`argmax_int32` responses) against `labels`.
    public static func classification(_ log: AccuracyLog, labels: [Int], classCount: Int,
                                      referenceAccuracy: Double) -> AccuracyReport {
        var total = log.unreadable.count, correct = 0, undecodable = log.unreadable.count
        for (idx, response) in log.responses.enumerated() {
            guard let bytes = response else { continue }
            total += 1
            guard bytes.count == 4 else { undecodable += 1; continue }
            let cls = Int(Int32(bitPattern: uint32LE(bytes, at: 0)))
            guard cls >= 0 && cls < classCount else { undecodable += 1; continue }
            if cls == labels[idx] { correct += 1 }
        }
        return AccuracyReport(metric: "top-1 accuracy", value: total > 0 ? Double(correct) / Double(total) : 0,
                              total: total, correct: correct, log: log, undecodable: undecodable,
                              referenceAccuracy: referenceAccuracy)
    }

    /// Checks a Fashion-MNIST accuracy log against the test labels.
    public static func fashionMNIST(log path: String, labels: [UInt8], referenceAccuracy: Double = 0.90) throws -> AccuracyReport {
        classification(try read(log: path, sampleCount: labels.count), labels: labels.map(Int.init),
                       classCount: FashionMNIST.classCount, referenceAccuracy: referenceAccuracy)
    }

    /// The little-endian UInt32 at byte `offset` of a response (the layout of every multi-byte response field).
    public static func uint32LE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    /// Hex digits → bytes (nil: odd length or a non-hex digit).
    static func decodeHex(_ hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(u.count / 2)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        return bytes
    }

    /// Eight hex digits → little-endian Int32.
    static func decodeInt32LE(_ hex: String) -> Int32? {
        guard hex.utf8.count == 8, let b = decodeHex(hex) else { return nil }
        return Int32(bitPattern: uint32LE(b, at: 0))
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}

import Benchmarks
import Datasets
import Foundation

/// The MLPerf accuracy check for a classifier: decode each response of `mlperf_log_accuracy.json` (the predicted
/// class as one little-endian Int32), compare with the labels, and judge against the closed division's bound
/// (≥ 99 % of the FP32 reference accuracy).
public struct AccuracyReport: Sendable {
    public var total: Int
    public var correct: Int
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    /// Dataset indices that had no response.
    public var missing: Int
    /// Responses for an index that already had one (ignored after the first).
    public var duplicates: Int
    /// Responses whose data is not 4 bytes or names no class.
    public var undecodable: Int
    public var referenceAccuracy: Double
    /// The closed division's requirement: 99 % of the reference.
    public var required: Double { referenceAccuracy * 0.99 }
    public var passed: Bool { missing == 0 && undecodable == 0 && accuracy >= required }

    /// The official accuracy scripts' line.
    public var line: String {
        String(format: "accuracy=%.3f%%, good=%d, total=%d", accuracy * 100, correct, total)
    }

    public var verdict: String {
        var s = String(format: "%@ — top-1 %.4f vs required %.4f (99%% of the FP32 reference %.4f)",
                       passed ? "PASS" : "FAIL", accuracy, required, referenceAccuracy)
        if missing > 0 { s += "; \(missing) samples have no response (an accuracy run must cover the whole dataset)" }
        if undecodable > 0 { s += "; \(undecodable) responses are not a 4-byte class index" }
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

    /// Checks a Fashion-MNIST accuracy log against the test labels.
    public static func fashionMNIST(log path: String, labels: [UInt8],
                                    referenceAccuracy: Double = FashionMNISTBenchmark.qualityTarget) throws -> AccuracyReport {
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
        var seen = [Bool](repeating: false, count: labels.count)
        var report = AccuracyReport(total: 0, correct: 0, missing: 0, duplicates: 0, undecodable: 0,
                                    referenceAccuracy: referenceAccuracy)
        for (i, e) in entries.enumerated() {
            guard let idx = (e["qsl_idx"] as? NSNumber)?.intValue, let hex = e["data"] as? String else {
                throw Failure.malformed(path, "entry \(i) has no qsl_idx or data")
            }
            guard idx >= 0 && idx < labels.count else {
                throw Failure.malformed(path, "entry \(i): qsl_idx \(idx) is outside the dataset (0..<\(labels.count))")
            }
            if seen[idx] { report.duplicates += 1; continue }
            seen[idx] = true
            report.total += 1
            guard let cls = decodeInt32LE(hex), cls >= 0 && cls < FashionMNIST.classCount else {
                report.undecodable += 1
                continue
            }
            if UInt8(cls) == labels[idx] { report.correct += 1 }
        }
        report.missing = seen.lazy.filter { !$0 }.count
        return report
    }

    /// Eight hex digits → little-endian Int32.
    static func decodeInt32LE(_ hex: String) -> Int32? {
        let u = Array(hex.utf8)
        guard u.count == 8 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 8, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        return Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
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

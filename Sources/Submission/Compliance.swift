import Foundation
import MLLog

/// MLPerf inference compliance tests TEST01 and TEST04: their `audit.config` and our own verification of their runs
/// (source: mlcommons/inference `compliance/TEST01`, `compliance/TEST04` — the audit settings and what
/// `run_verification.py` decides; the files we write carry the `TEST PASS` / `TEST FAIL` lines the submission checker
/// looks for).
public enum ComplianceTest: String, Sendable, CaseIterable {
    /// Accuracy in performance mode: a sample of the responses is logged and must equal the accuracy run's.
    case test01 = "TEST01"
    /// No caching: every query issues the same sample, and the score may not beat the performance run's by > 10 %.
    case test04 = "TEST04"

    /// The official TEST01 accuracy-log seed.
    public static let test01AccuracyLogSeed: UInt64 = 720381539243781796

    /// The `audit.config` text. TEST01 logs about `samplingTarget` responses (the official file uses 4096 for
    /// resnet50; a smaller data set is sampled whole at most once per query).
    public func auditConfig(samplingTarget: Int) -> String {
        switch self {
        case .test01:
            return """
            # TEST01 (written by SwiftMLPerf, official semantics): accuracy logging in performance mode
            *.*.mode = 2
            *.*.accuracy_log_rng_seed = \(Self.test01AccuracyLogSeed)
            *.*.accuracy_log_sampling_target = \(samplingTarget)

            """
        case .test04:
            return """
            # TEST04 (written by SwiftMLPerf, official semantics): the same sample for every query
            *.*.mode = 2
            *.*.performance_issue_unique = 0
            *.*.performance_issue_same = 1
            *.*.performance_issue_same_index = 3

            """
        }
    }

    /// The outcome of one verification, as the text of its `verify_*.txt`.
    public struct Verification: Sendable {
        public var passed: Bool
        public var text: String
    }

    /// `verify_performance.txt`, with the official scripts' rules (compliance/TEST0x/verify_performance.py):
    /// both runs VALID, the same Server target latency, and
    /// - TEST01: the test's result field (Offline samples/s, Server completed samples/s, SingleStream/MultiStream
    ///   early-stopping latency in ns) within ±10 % of the performance run's, ±20 % when that latency is ≤ 200 µs
    ///   (SingleStream) or ≤ 1.6 ms (MultiStream);
    /// - TEST04: the test's score (the same, latencies as 1e9 / latency) below the performance run's × 1.10 (× 1.20
    ///   when that score is ≤ 200 000 for SingleStream or ≤ 1 600 000 for MultiStream, as the script compares it).
    /// - Throws: `SubmissionError` when either detail log cannot be read or has no result.
    public func verifyPerformance(testRun: String, performanceRun: String) throws(SubmissionError) -> Verification {
        let test = try DetailLog(path: testRun + "/mlperf_log_detail.txt")
        let reference = try DetailLog(path: performanceRun + "/mlperf_log_detail.txt")
        let fields = ["Offline": "result_samples_per_second", "SingleStream": "early_stopping_latency_ss",
                      "MultiStream": "early_stopping_latency_ms", "Server": "result_completed_samples_per_sec"]
        let scenario = reference.string("effective_scenario") ?? ""
        guard let field = fields[scenario], var r = reference.double(field), var t = test.double(field) else {
            throw .invalid(file: performanceRun + "/mlperf_log_detail.txt", line: nil, expected: "a result in both runs", found: "none")
        }
        func fail(_ why: String) -> Verification { Verification(passed: false, text: "TEST FAIL: \(why)\n") }
        if reference.string("result_validity") != "VALID" { return fail("Reference results are invalid") }
        if test.string("result_validity") != "VALID" { return fail("Test results are invalid") }
        if test.string("effective_scenario") != scenario { return fail("Test and reference scenarios do not match!") }
        if scenario == "Server", test.int("effective_target_latency_ns") != reference.int("effective_target_latency_ns") {
            return fail("Server target latency mismatch")
        }
        let latency = scenario == "SingleStream" || scenario == "MultiStream"
        if self == .test04 && latency { r = 1e9 / r; t = 1e9 / t }
        let small = (scenario == "SingleStream" && r <= 200_000) || (scenario == "MultiStream" && r <= 1_600_000)
        let threshold = small ? 0.20 : 0.10
        let passed = self == .test01 ? (r * (1 - threshold) <= t && t <= r * (1 + threshold)) : t < r * (1 + threshold)
        let text = """
        reference score = \(r)
        test score = \(t)
        threshold = \(threshold)
        \(passed ? "TEST PASS" : "TEST FAIL: Test score invalid")

        """
        return Verification(passed: passed, text: text)
    }

    /// TEST01's `verify_accuracy.txt`, with the official rule (compliance/TEST01/verify_accuracy.py): for each
    /// response logged in performance mode whose sample (`qsl_idx`) was logged before, the first element
    /// (`elementBytes` wide: 4 for int32/float32 responses) must be equal; the test passes when there is no mismatch
    /// and at least one match. Full-response differences are counted too, for information.
    /// - Throws: `SubmissionError` naming the file when a log cannot be read.
    public static func verifyAccuracy(testLog: String, accuracyLog: String, elementBytes: Int = 4) throws(SubmissionError) -> Verification {
        let reference = try responses(accuracyLog)
        let test = try responses(testLog)
        var matches = 0, mismatches = 0, missing = 0, fullDifferences = 0
        // As the official script: each performance response is compared with the last response stored for its
        // sample (the accuracy run's first, then the previous performance one), then stored.
        var stored = reference.first
        for (idx, data) in test.entries {
            if let want = stored[idx] {
                matches += 1
                if data.prefix(elementBytes * 2) != want.prefix(elementBytes * 2) { mismatches += 1 }
                if data != want { fullDifferences += 1 }
            } else {
                missing += 1
            }
            stored[idx] = data
        }
        let passed = mismatches == 0 && matches > 0
        let text = """
        num_acc_log_entries = \(reference.count)
        num_perf_log_entries = \(test.count)
        num_perf_log_qsl_idx_match = \(matches)
        num_perf_log_data_mismatch = \(mismatches)
        num_missing_qsl_idxs = \(missing)
        full responses differing (information) = \(fullDifferences)
        TEST \(passed ? "PASS" : "FAIL")

        """
        return Verification(passed: passed, text: text)
    }

    /// An accuracy log's entries in order, the first `data` per `qsl_idx`, and the entry count.
    static func responses(_ path: String) throws(SubmissionError) -> (entries: [(Int64, String)], first: [Int64: String], count: Int) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file") }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: [UInt8](data)) } catch {
            throw .invalid(file: path, line: nil, expected: "a LoadGen accuracy log (a JSON array)", found: error.description)
        }
        guard case .array(let entries) = json else {
            throw .invalid(file: path, line: nil, expected: "a JSON array", found: "another JSON value")
        }
        var list: [(Int64, String)] = [], first: [Int64: String] = [:]
        for e in entries {
            guard let idx = e["qsl_idx"]?.int64Value, let d = e["data"]?.stringValue else { continue }
            list.append((idx, d.uppercased()))
            if first[idx] == nil { first[idx] = d.uppercased() }
        }
        return (list, first, entries.count)
    }
}

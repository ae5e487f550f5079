import Foundation
import TestSupport
import LoadGen
import Testing

/// Bit-exact query generation: for the same settings and seeds, the same loadable set, sample indices, sequence
/// ids, query counts and Server schedule as the official LoadGen. The vectors were produced by the official wheel
/// (PyPI mlcommons-loadgen) with `Fixtures/make_vectors.py`.
@Suite struct OfficialVectorsTests {
    struct Vector: @unchecked Sendable, CustomStringConvertible {
        let name: String
        let scenario: TestScenario
        let mode: TestMode
        let total: Int
        let perf: Int
        let settings: [String: Any]
        let expected: [String: Any]
        var description: String { name }
    }

    static let fixtureDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let vectors: [Vector] = {
        let data = try! Data(contentsOf: fixtureDir.appendingPathComponent("vectors.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["configs"] as! [[String: Any]]).map { c in
            Vector(name: c["name"] as! String, scenario: TestScenario(name: c["scenario"] as! String)!,
                   mode: TestMode(name: c["mode"] as! String)!, total: c["total"] as! Int, perf: c["perf"] as! Int,
                   settings: c["settings"] as! [String: Any], expected: c["expected"] as! [String: Any])
        }
    }()

    static func settings(for v: Vector) -> TestSettings {
        var s = TestSettings()
        s.scenario = v.scenario
        s.mode = v.mode
        s.qslRngSeed = 2085463073848966840
        s.sampleIndexRngSeed = 2747215439041700203
        s.scheduleRngSeed = 16159082839903944936
        for (k, value) in v.settings {
            let n = value as? NSNumber
            switch k {
            case "server_target_qps": s.serverTargetQPS = n!.doubleValue
            case "min_duration_ms": s.minDurationMs = n!.uint64Value
            case "min_query_count": s.minQueryCount = n!.uint64Value
            case "accuracy_log_probability": s.accuracyLogProbability = n!.doubleValue
            case "sample_concatenate_permutation": s.sampleConcatenatePermutation = n!.boolValue
            case "performance_issue_unique": s.performanceIssueUnique = n!.boolValue
            case "performance_issue_same": s.performanceIssueSame = n!.boolValue
            case "performance_issue_same_index": s.performanceIssueSameIndex = n!.uint64Value
            case "multi_stream_samples_per_query": s.multiStreamSamplesPerQuery = n!.uint64Value
            case "accuracy_log_rng_seed": s.accuracyLogRngSeed = n!.uint64Value
            case "accuracy_log_sampling_target": s.accuracyLogSamplingTarget = n!.uint64Value
            case "performance_sample_count_override": s.performanceSampleCountOverride = n!.uint64Value
            case "accuracy_sample_count_override": s.accuracySampleCountOverride = n!.uint64Value
            case "single_stream_expected_latency_ns": s.singleStreamExpectedLatencyNs = n!.uint64Value
            default: Issue.record("fixture setting \(k) not mapped")
            }
        }
        return s
    }

    @Test(arguments: OfficialVectorsTests.vectors)
    func matchesOfficialLoadGen(_ v: Vector) throws {
        let dir = try TempDir()
        var options = RunOptions(log: LogSettings(outputDirectory: dir.path))
        options.auditConfigPath = nil
        let result = try LoadGen.run(sut: NullSUT(), qsl: NullQSL(totalSampleCount: v.total, performanceSampleCount: v.perf),
                                     settings: Self.settings(for: v), options: options)
        let detail = try DetailLogFile(path: dir.path + "/mlperf_log_detail.txt")
        let e = v.expected
        #expect(detail.first("loaded_qsl_set") as? [Int] == e["loaded_qsl_set"] as? [Int], "loaded_qsl_set")
        for key in ["generated_query_count", "generated_samples_per_query", "generated_query_duration",
                    "effective_min_query_count", "effective_samples_per_query", "result_query_count"] {
            #expect((detail.first(key) as? NSNumber)?.int64Value == (e[key] as? NSNumber)?.int64Value, "\(key)")
        }
        let acc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/mlperf_log_accuracy.json"))) as! [[String: Any]]
        let ours = acc.map { [$0["seq_id"] as! Int, $0["qsl_idx"] as! Int] }.sorted { $0[0] < $1[0] }
        let theirs = (e["samples"] as! [[Int]])
        #expect(ours.count == theirs.count, "logged sample count")
        if let i = (0..<min(ours.count, theirs.count)).first(where: { ours[$0] != theirs[$0] }) {
            Issue.record("first differing sample at \(i): ours \(ours[i]) official \(theirs[i])")
        }
        // The same errors as the official LoadGen (e.g. both end a too-short equal-issue run early).
        #expect(result.errors == (e["errors"] as? [String] ?? []), "errors: \(result.errors)")
    }
}

/// A temporary directory removed on deinit.
final class TempDir {
    let path: String
    init() throws {
        path = try Scratch.directory("loadgen").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Reads `:::MLLOG` lines strictly, as the official submission checker does (json.loads on every line).
struct DetailLogFile {
    var records: [[String: Any]] = []
    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard line.hasPrefix(":::MLLOG ") else { throw Failure("line without :::MLLOG prefix: \(line)") }
            let json = line.dropFirst(":::MLLOG ".count)
            guard let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                throw Failure("not a JSON object: \(line)")
            }
            records.append(obj)
        }
    }
    func first(_ key: String) -> Any? { records.first { $0["key"] as? String == key }?["value"] }
    func all(_ key: String) -> [Any] { records.filter { $0["key"] as? String == key }.compactMap { $0["value"] } }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

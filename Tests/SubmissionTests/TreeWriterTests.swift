import Foundation
import LoadGen
@testable import Submission
import Testing
import TestSupport

@Suite("submission tree files")
struct TreeWriterTests {
    static var oracle: String { OfficialCheckerAgreementTests.oracles + "/tools/submission" }

    @Test("accuracy log truncation and hash equal the official truncate_accuracy_log.py's", arguments: [100, 4095, 4096, 9000, 50_000])
    func truncation(_ size: Int) throws {
        let dir = try Scratch.directory("truncate").path
        var text = "["
        var i = 0
        while text.utf8.count < size { text += "{\"seq_id\": \(i), \"qsl_idx\": \(i * 7 % 1000), \"data\": \"0A0B0C0D\"},\n"; i += 1 }
        let data = Data(text.utf8.prefix(size))
        try data.write(to: URL(fileURLWithPath: dir + "/log.json"))
        let script = """
        import hashlib, sys
        sys.path.insert(0, sys.argv[1])
        import truncate_accuracy_log as t
        h = t.get_hash(sys.argv[2]); t.truncate_file(sys.argv[2]); print(h)
        """
        let hash = try Python.run(script, arguments: [Self.oracle, dir + "/log.json"], interpreter: Python.project)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let theirs = try Data(contentsOf: URL(fileURLWithPath: dir + "/log.json"))
        #expect(InferenceTreeWriter.truncated(data) == theirs)
        #expect(InferenceTreeWriter.sha256(data) == hash)
        let acc = InferenceTreeWriter.accuracyText(line: "HR@10=0.6781, NDCG@10=0.4302", value: 0.6781, metric: "HR@10", log: data)
        #expect(acc.contains("\nhash=\(hash)\n") && acc.contains("accuracy=67.810% (HR@10"))
    }

    @Test("user.conf from a detail log: our own conf parser reads back the run's requested settings")
    func userConf() throws {
        let dir = try Scratch.directory("userconf").path
        let keys: [(String, String)] = [("effective_scenario", "\"Server\""), ("requested_min_duration_ms", "10000"),
                                        ("requested_min_query_count", "1000"), ("requested_server_target_qps", "1979.5"),
                                        ("requested_server_target_latency_ns", "250000000")]
        let log = keys.map { ":::MLLOG {\"key\": \"\($0.0)\", \"value\": \($0.1), \"time_ms\": 0.1, \"namespace\": \"mlperf::logging\", \"event_type\": \"POINT_IN_TIME\", \"metadata\": {\"is_error\": false, \"is_warning\": false, \"file\": \"x\", \"line_no\": 1, \"pid\": 1, \"tid\": 1}}" }
        try log.joined(separator: "\n").write(toFile: dir + "/mlperf_log_detail.txt", atomically: true, encoding: .utf8)
        let text = try InferenceTreeWriter.userConf(fromDetailLog: dir + "/mlperf_log_detail.txt", model: "ncf")
        var s = try TestSettings.official(model: "ncf", scenario: .server)
        try s.apply(try ConfigFile(name: "user.conf", text: text), model: "ncf", kind: .userConf)
        #expect(s.minDurationMs == 10000 && s.minQueryCount == 1000 && s.serverTargetQPS == 1979.5)
        #expect(s.serverTargetLatencyNs == 250_000_000)
    }

    @Test("a bad submitter or system name is refused before anything is written")
    func badNames() {
        #expect(throws: SubmissionError.self) { try InferenceTreeWriter(root: "/tmp/x", division: "closed", submitter: "My Org", system: "s") }
        #expect(throws: SubmissionError.self) { try InferenceTreeWriter(root: "/tmp/x", division: "private", submitter: "o", system: "s") }
        #expect(throws: SubmissionError.self) { try InferenceTreeWriter(root: "/tmp/x", division: "open", submitter: "o", system: ".s") }
    }
}

@Suite("the official accuracy patterns")
struct AccuracyPatternTests {
    @Test("every pattern of the official table compiles, with Python's meaning (the F1 pattern's literal '{')")
    func patterns() throws {
        let rules = try InferenceRuleBook.official("v6.1")
        for (name, p) in rules.accuracyPatterns {
            #expect((try? NSRegularExpression(pattern: PythonRegex.icuPattern(p))) != nil, "\(name): \(p)")
        }
        #expect(PythonRegex.matchFirstGroup(rules.accuracyPatterns["F1"]!, #"{"exact_match": 83.5, "f1": 90.874}"#) == "90.874")
        #expect(PythonRegex.matchFirstGroup(rules.accuracyPatterns["acc"]!, "accuracy=76.456%, good=38228, total=50000") == "76.456")
        #expect(PythonRegex.matchFirstGroup(rules.accuracyPatterns["mAP"]!, "mAP=37.552%") == "37.552")
        #expect(PythonRegex.matchFirstGroup(rules.accuracyPatterns["acc"]!, "  accuracy=1") == nil)  // anchored at the start
    }
}

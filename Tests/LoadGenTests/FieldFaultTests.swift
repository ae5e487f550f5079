import Foundation
import LoadGen
import TestSupport
import Testing

/// The official LoadGen run once by `Fixtures/official_probe.py` (null SUT): its `FromConfig` return code, the first
/// value of every detail-log key and its summary text.
struct OfficialProbe {
    var fromConfig: Int?
    var detail: [String: Any]
    var summary: String
    /// Every detail-log record in order: (key, value, is_error, is_warning).
    var records: [(key: String, value: Any, isError: Bool, isWarning: Bool, kind: String, event: String)] = []
    /// The accuracy log's entries, sorted: "seq_id qsl_idx data".
    var accuracy: [String] = []

    static func run(conf: String?, model: String = "resnet50", scenario: TestScenario, mode: TestMode,
                    total: Int = 64, perf: Int = 64, audit: String? = nil) throws -> OfficialProbe {
        let script = OfficialVectorsTests.fixtureDir.appendingPathComponent("official_probe.py").path
        let out = try Scratch.directory("official-probe").path
        let text = try Python.run("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                  arguments: [script, conf ?? "-", model, scenario.rawValue, mode.rawValue, String(total),
                                              String(perf), out] + (audit.map { [$0] } ?? []), interpreter: Python.project)
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let records = (obj["records"] as? [[Any]] ?? []).map {
            (key: $0[0] as? String ?? "", value: $0[1], isError: ($0[2] as? Bool) ?? false, isWarning: ($0[3] as? Bool) ?? false,
             kind: $0.count > 4 ? ($0[4] as? String ?? "") : "", event: $0.count > 5 ? ($0[5] as? String ?? "") : "")
        }
        return OfficialProbe(fromConfig: (obj["from_config"] as? NSNumber)?.intValue,
                             detail: obj["detail"] as? [String: Any] ?? [:], summary: obj["summary"] as? String ?? "",
                             records: records,
                             accuracy: (obj["accuracy"] as? [[Any]] ?? []).map { $0.map { "\($0)" }.joined(separator: " ") })
    }
}

/// Inputs from the field that broke LoadGen, each checked against the official LoadGen where it has an answer.
@Suite("LoadGen field faults")
struct FieldFaultTests {
    private func write(_ text: String, _ name: String = "user.conf") throws -> String {
        let path = try Scratch.directory("conf").path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: conf values whose meaning depends on the parser

    @Test("a conf value that is not exactly its key's type is an error naming file, line, key and the official reading",
          arguments: [
            ("Offline", "min_duration", "1.5e3", "requested_min_duration_ms"),
            ("SingleStream", "min_query_count", "-5", "requested_min_query_count"),
            ("SingleStream", "max_query_count", "2.9", "requested_max_query_count"),
            ("Offline", "performance_sample_count_override", "1e2", "requested_performance_sample_count_override"),
          ])
    func inexactValues(scenario: String, key: String, value: String, officialKey: String) throws {
        let text = "# a comment\n*.\(scenario).\(key) = \(value)\n"
        let path = try write(text)
        let official = try OfficialProbe.run(conf: path, scenario: TestScenario(name: scenario)!, mode: .accuracyOnly)
        #expect(official.fromConfig == 0, "the official LoadGen accepts the token")
        let read = (official.detail[officialKey] as? NSNumber).map { "\($0.uint64Value)" } ?? "?"
        #expect {
            _ = try ConfigFile(path: path)
        } throws: { error in
            let e = error as! ConfigError
            return e.file == path && e.line == 2 && e.message.contains("`*.\(scenario).\(key)`")
                && e.message.contains("got `\(value)`") && e.message.contains("the official LoadGen would read \(read)")
        }
    }

    @Test("a token the official parser refuses is reported as such; exact integers in any base are accepted")
    func refusedAndExactTokens() throws {
        let path = try write("*.Offline.target_qps = 3x\n")
        let official = try OfficialProbe.run(conf: path, scenario: .offline, mode: .accuracyOnly)
        #expect(official.fromConfig == -22, "EINVAL: the official LoadGen applies nothing from the file")
        #expect {
            _ = try ConfigFile(path: path)
        } throws: { error in "\(error)".contains("the official LoadGen rejects the whole file") }

        let exact = try write("*.SingleStream.min_query_count = 0x20\n*.Offline.min_query_count = 010\n*.Offline.target_qps = 0x10\n")
        let conf = try ConfigFile(path: exact)
        for (scenario, key, officialKey) in [(TestScenario.singleStream, "min_query_count", "requested_min_query_count"),
                                             (.offline, "min_query_count", "requested_min_query_count"),
                                             (.offline, "target_qps", "requested_offline_expected_qps")] {
            var s = TestSettings()
            s.scenario = scenario
            try s.apply(conf, model: "resnet50", kind: .userConf)
            let ours: Double = key == "target_qps" ? s.offlineExpectedQPS : Double(s.minQueryCount)
            let theirs = try OfficialProbe.run(conf: exact, scenario: scenario, mode: .accuracyOnly)
            #expect((theirs.detail[officialKey] as? NSNumber)?.doubleValue == ours, "\(scenario) \(key)")
        }
    }

    @Test("target_latency is a number of ms for SingleStream and MultiStream (as the official double) and an integer for Server")
    func targetLatencyTypes() throws {
        let path = try write("*.SingleStream.target_latency = 0.5\n*.MultiStream.target_latency = 2.25\n")
        let conf = try ConfigFile(path: path)
        var ss = TestSettings()
        try ss.apply(conf, model: "resnet50", kind: .userConf)
        #expect(ss.singleStreamExpectedLatencyNs == 500_000 && ss.multiStreamExpectedLatencyNs == 2_250_000)
        let official = try OfficialProbe.run(conf: path, scenario: .singleStream, mode: .accuracyOnly, total: 8, perf: 8)
        #expect((official.detail["requested_single_stream_expected_latency_ns"] as? NSNumber)?.doubleValue == 500_000)
        let server = try ConfigFile(name: "u.conf", text: "*.Server.target_latency = 0.5\n")
        var sv = TestSettings()
        sv.scenario = .server
        #expect { try sv.apply(server, model: "x", kind: .userConf) } throws: {
            "\($0)".contains("`target_latency` for Server takes an unsigned integer (ms), got `0.5`")
        }
    }

    @Test("a user.conf TTFT/TPOT bound applies when mlperf.conf turned token latencies on, as in the official LoadGen")
    func tokenBoundsFromUserConf() throws {
        var s = try TestSettings.official(model: "llama2-70b", scenario: .server)
        #expect(s.useTokenLatencies)
        let conf = try ConfigFile(name: "user.conf", text: "llama2-70b.Server.ttft_latency = 5000\nllama2-70b.Server.tpot_latency = 400\n")
        try s.apply(conf, model: "llama2-70b", kind: .userConf)
        #expect(s.serverTTFTLatency == 5_000_000_000 && s.serverTPOTLatency == 400_000_000)
    }

    @Test("switches take 0 or 1: other values mean true for some keys and false for others in the official LoadGen")
    func switchValues() throws {
        #expect { _ = try ConfigFile(name: "u.conf", text: "*.*.sample_concatenate_permutation = 2\n") } throws: {
            "\($0)".contains("takes 0 or 1, got `2` (the official LoadGen would read false (only 1 means true))")
        }
        #expect { _ = try ConfigFile(name: "u.conf", text: "*.*.performance_issue_unique = 3\n") } throws: {
            "\($0)".contains("takes 0 or 1, got `3` (the official LoadGen would read true)")
        }
        _ = try ConfigFile(name: "u.conf", text: "*.*.sample_concatenate_permutation = 1\n*.*.print_timestamps = 0\n")
    }

    @Test("huge counts in accuracy mode and offline_expected_qps = 0 run without a trap, as the official LoadGen runs them")
    func edgeCountsRun() throws {
        var acc = TestSettings()
        acc.mode = .accuracyOnly
        acc.minQueryCount = .max
        acc.performanceSampleCountOverride = .max
        let (r, _) = try runTest(NullSUT(), acc, total: 16, perf: 16)
        #expect(r.noTestReason == nil && r.accuracyLoggedSamples == 16)
        var off = TestSettings()
        off.scenario = .offline
        off.offlineExpectedQPS = 0
        off.minDurationMs = 0
        off.minQueryCount = 50
        let (ro, _) = try runTest(NullSUT(), off, total: 16, perf: 16)
        #expect(ro.noTestReason == nil && ro.performance?.sampleCount == 50)
    }

    @Test("a token run whose SUT never reports first tokens is INVALID with the official error, not VALID on empty vectors")
    func missingFirstTokens() throws {
        var s = TestSettings()
        s.scenario = .server
        s.useTokenLatencies = true
        s.serverTargetQPS = 2000
        s.minDurationMs = 0
        s.minQueryCount = 100
        let (r, _) = try runTest(NullSUT(), s, total: 16, perf: 16)
        #expect(r.performance?.rules.contains { $0.rule == "first_tokens" && !$0.passed } == true)
        #expect(r.errors.contains { $0.contains("Attempted to record a sample latency before it's first token latency") })
        #expect(r.isValid == false)
    }

    @Test("a millisecond value that overflows 64-bit nanoseconds is an error, not a trap")
    func millisecondOverflow() throws {
        for key in ["Server.target_latency", "SingleStream.target_latency", "MultiStream.target_latency"] {
            let conf = try ConfigFile(name: "u.conf", text: "*.\(key) = 99999999999999\n")
            var s = TestSettings()
            s.scenario = TestScenario(name: String(key.split(separator: ".")[0]))!
            #expect(throws: ConfigError.self) { try s.apply(conf, model: "x", kind: .userConf) }
        }
        let llm = try ConfigFile(name: "u.conf", text: "*.Server.use_token_latencies = 1\n*.Server.ttft_latency = 99999999999999\n")
        var s = TestSettings()
        s.scenario = .server
        #expect(throws: ConfigError.self) { try s.apply(llm, model: "x", kind: .userConf) }
    }

    // MARK: settings that crashed or never ended

    /// One invalid value per case, named `setting=value` after the official setting the error must name.
    static let invalidCases = ["server_target_qps=0", "server_target_qps=-3", "server_target_qps=nan",
                               "server_target_qps=inf", "offline_expected_qps=-5", "single_stream_expected_latency_ns=0",
                               "multi_stream_samples_per_query=0", "server_target_latency_percentile=1.5",
                               "accuracy_log_probability=2"]

    static func applyInvalid(_ name: String, to s: inout TestSettings) {
        switch name {
        case "server_target_qps=0": s.scenario = .server; s.serverTargetQPS = 0
        case "server_target_qps=-3": s.scenario = .server; s.serverTargetQPS = -3
        case "server_target_qps=nan": s.scenario = .server; s.serverTargetQPS = .nan
        case "server_target_qps=inf": s.scenario = .server; s.serverTargetQPS = .infinity
        case "offline_expected_qps=-5": s.scenario = .offline; s.offlineExpectedQPS = -5
        case "single_stream_expected_latency_ns=0": s.singleStreamExpectedLatencyNs = 0
        case "multi_stream_samples_per_query=0": s.scenario = .multiStream; s.multiStreamSamplesPerQuery = 0
        case "server_target_latency_percentile=1.5": s.scenario = .server; s.serverTargetLatencyPercentile = 1.5
        case "accuracy_log_probability=2": s.accuracyLogProbability = 2
        default: Issue.record("unknown case \(name)")
        }
    }

    @Test("settings no test can run with: one error naming the setting, no trap, no test",
          arguments: FieldFaultTests.invalidCases)
    func invalidSettingsRunNoTest(_ name: String) throws {
        let setting = String(name.split(separator: "=")[0])
        var s = TestSettings()
        s.minDurationMs = 0
        Self.applyInvalid(name, to: &s)
        let (r, dir) = try runTest(NullSUT(), s)
        #expect(r.noTestReason?.hasPrefix(setting) == true, "\(r.noTestReason ?? "nil")")
        #expect(r.performance == nil && !r.isValid)
        #expect(r.errors.contains { $0.contains(setting) })
        let detail = try String(contentsOfFile: dir.path + "/mlperf_log_detail.txt", encoding: .utf8)
        #expect(detail.contains("\"error_invalid_test_settings\""))
    }

    @Test("settings that imply more queries than memory holds are refused up front, saying how many")
    func queryMemoryBound() throws {
        var s = TestSettings()
        s.scenario = .server
        s.serverTargetQPS = 1e9
        let (r, _) = try runTest(NullSUT(), s)
        #expect(r.noTestReason?.contains("imply 10000000000 queries") == true, "\(r.noTestReason ?? "nil")")
        #expect(r.noTestReason?.contains("GiB") == true)
        // The same settings fit a larger limit: the check is a budget, not a hard-coded rate.
        var e = EffectiveSettings(s, qslTotalCount: 64, qslPerformanceCount: 64)
        #expect(QueryBudget.check(e, limitBytes: 1e15) == nil)
        e.targetQPS = 1000
        #expect(QueryBudget.implied(e).queries == 10_000)
        // Offline: one query of samples_per_query samples.
        var off = TestSettings()
        off.scenario = .offline
        off.offlineExpectedQPS = 1e12
        let (ro, _) = try runTest(NullSUT(), off)
        #expect(ro.noTestReason?.contains("offline_expected_qps") == true, "\(ro.noTestReason ?? "nil")")
    }

    @Test("FindPeakPerformance stops its search at the memory budget with the peak found so far")
    func findPeakStopsAtTheBudget() throws {
        var s = TestSettings()
        s.scenario = .server
        s.mode = .findPeakPerformance
        s.serverTargetQPS = 1000
        s.minDurationMs = 100
        s.minQueryCount = 50
        s.serverTargetLatencyNs = 1_000_000_000
        let (r, _) = try runTest(NullSUT(), s) { $0.queryMemoryLimitBytes = 2_000_000 }
        #expect(r.noTestReason == nil)
        #expect(r.peakQPS.map { $0 >= 1000 } == true)
        #expect(r.errors.contains { $0.contains("FindPeakPerformance stopped before") })
    }

    // MARK: paths that are not files

    @Test("a conf or audit.config path that is a directory is an error, never an empty configuration")
    func directoriesAreNotConfigs() throws {
        let dir = try Scratch.directory("conf-dir").path
        #expect {
            _ = try ConfigFile(path: dir)
        } throws: { error in "\(error)" == "\(dir): is a directory, not a config file" }
        var s = TestSettings()
        s.minDurationMs = 0
        let (r, _) = try runTest(NullSUT(), s) { $0.auditConfigPath = dir }
        #expect(r.noTestReason?.contains("is a directory") == true)
        #expect(r.performance == nil)
    }

    // MARK: token latencies (LLM runs)

    /// The official LoadGen with a Python LLM-like SUT (`Fixtures/official_token_probe.py`), same timings as ours.
    private func officialTokenRun(_ scenario: TestScenario, ttftNs: UInt64, tpotNs: UInt64, minQueries: Int) throws -> OfficialProbe {
        let script = OfficialVectorsTests.fixtureDir.appendingPathComponent("official_token_probe.py").path
        let out = try Scratch.directory("official-token").path
        let text = try Python.run("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                  arguments: [script, scenario.rawValue, "400", String(ttftNs), String(tpotNs), String(minQueries),
                                              "200", "50", "8", "4", out], interpreter: Python.project)
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return OfficialProbe(fromConfig: nil, detail: obj["detail"] as? [String: Any] ?? [:], summary: obj["summary"] as? String ?? "")
    }

    /// A summary or log text with every number replaced by `#` and without our additions (SUT name, issue lag).
    static func skeleton(_ text: String) -> [String] {
        var lines: [String] = []
        var inLag = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("SUT name") { continue }
            if line.hasPrefix("Issue lag (") { inLag = true; continue }
            if inLag { if line.isEmpty { inLag = false }; continue }
            var out = ""
            var inNumber = false
            for c in line {
                if c.isNumber || (inNumber && (c == "." || c == "e" || c == "+" || c == "-")) {
                    if !inNumber { out.append("#") }
                    inNumber = true
                } else {
                    inNumber = false
                    out.append(c)
                }
            }
            lines.append(out)
        }
        return lines
    }

    @Test("LLM runs are judged on TTFT and TPOT as the official LoadGen judges them: same verdicts, same summary layout",
          arguments: [("Server", 2_000_000_000, 0), ("Server", 0, 2_000_000_000), ("Server", 2_000_000_000, 2_000_000_000),
                      ("SingleStream", 2_000_000_000, 0), ("MultiStream", 2_000_000_000, 2_000_000_000),
                      ("Offline", 2_000_000_000, 0)] as [(String, UInt64, UInt64)])
    func tokenLatencyRuns(scenario name: String, ttftNs: UInt64, tpotNs: UInt64) throws {
        let scenario = TestScenario(name: name)!
        let minQueries = scenario == .server ? 600 : 100
        var s = TestSettings()
        s.scenario = scenario
        s.useTokenLatencies = true
        s.serverTTFTLatency = ttftNs
        s.serverTPOTLatency = tpotNs
        s.serverTargetQPS = 400
        s.minDurationMs = 0
        s.minQueryCount = UInt64(minQueries)
        let sut = SleepSUT(serviceMicroseconds: 0, workers: 4,
                           tokens: TokenProfile(firstTokenMicroseconds: 200, perTokenMicroseconds: 50, minTokens: 8, maxTokens: 8))
        defer { sut.shutdown() }
        let (r, dir) = try runTest(sut, s, total: 64, perf: 64)
        let official = try officialTokenRun(scenario, ttftNs: ttftNs, tpotNs: tpotNs, minQueries: minQueries)
        let ours = try DetailLogFile(path: dir.path + "/mlperf_log_detail.txt")
        for key in ["result_validity", "result_perf_constraints_met", "early_stopping_met", "result_invalid_reason",
                    "result_min_queries_met"] {
            #expect("\(ours.first(key) ?? "absent")" == "\(official.detail[key] ?? "absent")", "\(key)")
        }
        for key in ["early_stopping_ttft_result", "early_stopping_tpot_result"] {
            #expect(Self.skeleton(ours.first(key) as? String ?? "absent") == Self.skeleton(official.detail[key] as? String ?? "absent"), "\(key)")
        }
        #expect(ours.first("early_stopping_result") == nil && official.detail["early_stopping_result"] == nil)
        // The same result keys (token throughput, TTFT and TPOT statistics, tokens per second for the scenario).
        let ourKeys = Set(ours.records.compactMap { $0["key"] as? String }.filter { $0.hasPrefix("result_") || $0.hasPrefix("early_stopping") })
        let theirKeys = Set(official.detail.keys.filter { $0.hasPrefix("result_") || $0.hasPrefix("early_stopping") })
        #expect(ourKeys == theirKeys, "only ours: \(ourKeys.subtracting(theirKeys).sorted()); only official: \(theirKeys.subtracting(ourKeys).sorted())")
        let summary = try String(contentsOfFile: dir.path + "/mlperf_log_summary.txt", encoding: .utf8)
        let (a, b) = (Self.skeleton(summary), Self.skeleton(official.summary))
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("summary line \(i + 1) differs: ours `\(a[i])`, official `\(b[i])`")
        }
        #expect(a.count == b.count, "summary lines: ours \(a.count), official \(b.count)")
        #expect(r.performance?.isValid == (official.detail["result_validity"] as? String == "VALID"))
    }

    // MARK: enumerated values in the detail log

    @Test("scenario and mode names in the detail log are the official spellings", arguments: TestScenario.allCases)
    func enumeratedValues(_ scenario: TestScenario) throws {
        var s = TestSettings()
        s.scenario = scenario
        s.mode = .accuracyOnly
        s.serverTargetQPS = 1000
        let (_, dir) = try runTest(NullSUT(), s, total: 8, perf: 8)
        let ours = try DetailLogFile(path: dir.path + "/mlperf_log_detail.txt")
        let fast = try write("*.Server.target_qps = 1000\n")
        let official = try OfficialProbe.run(conf: fast, scenario: scenario, mode: .accuracyOnly, total: 8, perf: 8)
        for key in ["requested_scenario", "requested_test_mode", "effective_scenario", "effective_test_mode"] {
            #expect(ours.first(key) as? String == official.detail[key] as? String, "\(key)")
        }
    }

    // MARK: runs that never happen

    @Test("FindPeakPerformance outside Server runs no test and writes the summary the official LoadGen writes")
    func findPeakOutsideServer() throws {
        var s = TestSettings()
        s.scenario = .offline
        s.mode = .findPeakPerformance
        let (r, dir) = try runTest(NullSUT(), s, total: 64, perf: 64)
        #expect(r.noTestReason?.contains("only supported in Server scenarios") == true)
        let ours = try String(contentsOfFile: dir.path + "/mlperf_log_summary.txt", encoding: .utf8)
        let official = try OfficialProbe.run(conf: nil, scenario: .offline, mode: .findPeakPerformance)
        #expect(ours == official.summary)
        #expect(official.detail["error_invalid_config"] != nil)
    }

    @Test("a QSL without samples runs no test (the official LoadGen crashes here)")
    func emptyQSL() throws {
        var s = TestSettings()
        s.mode = .accuracyOnly
        let (r, dir) = try runTest(NullSUT(), s, total: 0, perf: 0)
        #expect(r.noTestReason?.contains("QSL reports no samples") == true)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/mlperf_log_summary.txt"))
    }

    @Test("an accuracy run writes the summary's warning and error lines, as the official LoadGen does")
    func accuracySummaryMatchesOfficial() throws {
        var s = TestSettings()
        s.mode = .accuracyOnly
        let (r, dir) = try runTest(NullSUT(), s, total: 64, perf: 64)
        #expect(r.noTestReason == nil && r.accuracyLoggedSamples == 64)
        let ours = try String(contentsOfFile: dir.path + "/mlperf_log_summary.txt", encoding: .utf8)
        let official = try OfficialProbe.run(conf: nil, scenario: .singleStream, mode: .accuracyOnly)
        #expect(ours == official.summary)
    }
}

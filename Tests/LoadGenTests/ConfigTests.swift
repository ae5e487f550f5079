import LoadGen
import Testing

@Suite struct ConfigTests {
    @Test func officialTableGivesResnetServerSettings() throws {
        let s = try TestSettings.official(model: "resnet50", scenario: .server)
        #expect(s.serverTargetLatencyNs == 15_000_000)
        #expect(s.serverTargetLatencyPercentile == 0.99)
        #expect(s.minDurationMs == 600_000)
        #expect(s.performanceSampleCountOverride == 1024)
        #expect(s.qslRngSeed == 2085463073848966840)
        #expect(s.sampleIndexRngSeed == 2747215439041700203)
        #expect(s.scheduleRngSeed == 16159082839903944936)
    }

    @Test func officialTableTokenModelsAndMultiStream() throws {
        let llama = try TestSettings.official(model: "llama3_1-8b", scenario: .server)
        #expect(llama.useTokenLatencies)
        #expect(llama.serverTTFTLatency == 2_000_000_000)
        #expect(llama.serverTPOTLatency == 100_000_000)
        #expect(llama.sampleConcatenatePermutation)
        let ms = try TestSettings.official(model: "retinanet", scenario: .multiStream)
        #expect(ms.multiStreamExpectedLatencyNs == 528_000_000)
        #expect(ms.minQueryCount == 662)
        #expect(ms.multiStreamSamplesPerQuery == 8)
        let off = try TestSettings.official(model: "resnet50", scenario: .offline)
        #expect(off.minQueryCount == 24576)
        let pp = try TestSettings.official(model: "pointpainting", scenario: .singleStream)
        #expect(abs(pp.singleStreamTargetLatencyPercentile - 0.999) < 1e-12)
    }

    @Test func lookupOrderAndUnits() throws {
        let conf = try ConfigFile(name: "user.conf", text: """
        # comment line
        *.*.min_duration = 1000
        *.Server.target_qps = 250.5
        resnet50.*.min_duration = 2000
        resnet50.Server.min_duration = 3000
        *.Server.target_latency = 7
        *.SingleStream.target_latency_percentile = 95
        *.Server.qsl_rng_seed = 5
        resnet50.Server.mode = 1
        """)
        var s = TestSettings()
        s.scenario = .server
        try s.apply(conf, model: "resnet50", kind: .userConf)
        #expect(s.minDurationMs == 3000)
        #expect(s.serverTargetQPS == 250.5)
        #expect(s.serverTargetLatencyNs == 7_000_000)
        #expect(abs(s.singleStreamTargetLatencyPercentile - 0.95) < 1e-12)
        #expect(s.qslRngSeed == 0, "seeds are only honoured from mlperf.conf")
        #expect(s.mode == .accuracyOnly)
        var other = TestSettings()
        other.scenario = .offline
        try other.apply(conf, model: "bert", kind: .userConf)
        #expect(other.minDurationMs == 1000)
        #expect(conf.notes(kind: .userConf).contains { $0.contains("user.conf:8") && $0.contains("qsl_rng_seed") })
    }

    @Test func auditConfigMatchesOnlyWildcardModel() throws {
        let conf = try ConfigFile(name: "audit.config", text: "resnet50.Server.min_query_count = 7\n*.Server.max_query_count = 9\n")
        var s = TestSettings()
        s.scenario = .server
        try s.apply(conf, model: "resnet50", kind: .auditConfig)
        #expect(s.minQueryCount == 100)
        #expect(s.maxQueryCount == 9)
    }

    @Test(arguments: [
        ("*.Server.target_qps 100", 1, "expected `model.scenario.key = value`"),
        ("\n\n*.Server.target_qps = fast", 3, "takes a finite number, got `fast`"),
        ("*.*.my_own_key = fast", 1, "needs to be an integer or a number"),
        ("*.Server.target_qps = 5 # trailing", 1, "a comment must be on its own line"),
        ("target_qps = 5", 1, "key `target_qps`"),
    ])
    func malformedLinesNameFileAndLine(text: String, line: Int, message: String) {
        do {
            _ = try ConfigFile(name: "my.conf", text: text)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "my.conf")
            #expect(error.line == line)
            #expect(error.description.hasPrefix("my.conf:\(line): "))
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func badModeValueIsAnError() throws {
        let conf = try ConfigFile(name: "u.conf", text: "*.*.mode = 7")
        var s = TestSettings()
        #expect(throws: ConfigError.self) { try s.apply(conf, model: "x", kind: .userConf) }
    }

    @Test func scenarioAndModeNames() {
        #expect(TestScenario(name: "singlestream") == .singleStream)
        #expect(TestScenario(name: "Multi Stream") == .multiStream)
        #expect(TestScenario(name: "bogus") == nil)
        #expect(TestMode(name: "performance") == .performanceOnly)
        #expect(TestMode(name: "FindPeakPerformance") == .findPeakPerformance)
    }

    @Test func effectiveOfflineSizing() {
        var s = TestSettings()
        s.scenario = .offline
        s.offlineExpectedQPS = 1000
        s.minDurationMs = 10_000
        let e = EffectiveSettings(s, qslTotalCount: 100, qslPerformanceCount: 100)
        #expect(e.samplesPerQuery == 11_000)
        #expect(e.minQueryCount == 1)
        #expect(e.targetDurationMs == 0)
        var ss = TestSettings()
        ss.sampleConcatenatePermutation = true
        ss.minDurationMs = 1000
        ss.singleStreamExpectedLatencyNs = 1_000_000
        let se = EffectiveSettings(ss, qslTotalCount: 300, qslPerformanceCount: 300)
        #expect(se.minQueryCount == 2100, "2000 rounded up to the next multiple of 300")
    }
}

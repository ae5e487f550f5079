/// The four MLPerf inference scenarios.
public enum TestScenario: String, Sendable, CaseIterable, Codable {
    case singleStream = "SingleStream"
    case multiStream = "MultiStream"
    case server = "Server"
    case offline = "Offline"

    /// Parses the official spelling, case-insensitively (`SingleStream`, `singlestream`, `Single Stream`).
    public init?(name: String) {
        let key = name.lowercased().filter { $0 != " " && $0 != "-" && $0 != "_" }
        guard let s = TestScenario.allCases.first(where: { $0.rawValue.lowercased() == key }) else { return nil }
        self = s
    }

}

/// The test modes.
public enum TestMode: String, Sendable, CaseIterable, Codable {
    case submissionRun = "SubmissionRun"
    case accuracyOnly = "AccuracyOnly"
    case performanceOnly = "PerformanceOnly"
    case findPeakPerformance = "FindPeakPerformance"

    /// Parses the official spelling or a short alias (`performance`, `accuracy`, `submission`, `findpeak`).
    public init?(name: String) {
        switch name.lowercased().filter({ $0 != " " && $0 != "-" && $0 != "_" }) {
        case "submissionrun", "submission": self = .submissionRun
        case "accuracyonly", "accuracy": self = .accuracyOnly
        case "performanceonly", "performance": self = .performanceOnly
        case "findpeakperformance", "findpeak": self = .findPeakPerformance
        default: return nil
        }
    }

    /// The conf-file code (`mode = N`).
    var confCode: Int {
        switch self {
        case .submissionRun: return 0
        case .accuracyOnly: return 1
        case .performanceOnly: return 2
        case .findPeakPerformance: return 3
        }
    }

}

/// Every official `TestSettings` field, with the official defaults. Property names are the official C++ names in
/// lowerCamelCase; `officialName(of:)`-style snake_case spellings appear in logs.
public struct TestSettings: Sendable, Equatable {
    public var scenario: TestScenario = .singleStream
    public var mode: TestMode = .performanceOnly

    public var singleStreamExpectedLatencyNs: UInt64 = 1_000_000
    public var singleStreamTargetLatencyPercentile: Double = 0.90
    public var multiStreamExpectedLatencyNs: UInt64 = 8_000_000
    public var multiStreamTargetLatencyPercentile: Double = 0.99
    public var multiStreamSamplesPerQuery: UInt64 = 8
    public var serverTargetQPS: Double = 1
    public var serverTargetLatencyNs: UInt64 = 100_000_000
    public var serverTargetLatencyPercentile: Double = 0.99
    public var serverCoalesceQueries: Bool = false
    public var serverFindPeakQPSDecimalsOfPrecision: Int = 1
    public var serverFindPeakQPSBoundaryStepSize: Double = 1
    public var serverMaxAsyncQueries: UInt64 = 0
    public var serverNumIssueQueryThreads: UInt64 = 0
    public var offlineExpectedQPS: Double = 1
    public var sampleConcatenatePermutation: Bool = false

    public var minDurationMs: UInt64 = 10_000
    public var maxDurationMs: UInt64 = 0
    public var minQueryCount: UInt64 = 100
    public var maxQueryCount: UInt64 = 0

    public var qslRngSeed: UInt64 = 0
    public var sampleIndexRngSeed: UInt64 = 0
    public var scheduleRngSeed: UInt64 = 0
    public var accuracyLogRngSeed: UInt64 = 0
    public var accuracyLogProbability: Double = 0
    public var accuracyLogSamplingTarget: UInt64 = 0

    public var test05: Bool = false
    public var test05QslRngSeed: UInt64 = 0
    public var test05SampleIndexRngSeed: UInt64 = 0
    public var test05ScheduleRngSeed: UInt64 = 0

    public var printTimestamps: Bool = false
    public var performanceIssueUnique: Bool = false
    public var performanceIssueSame: Bool = false
    public var performanceIssueSameIndex: UInt64 = 0
    public var performanceSampleCountOverride: UInt64 = 0
    public var accuracySampleCountOverride: UInt64 = 0

    public var useTokenLatencies: Bool = false
    public var serverTTFTLatency: UInt64 = 100_000_000
    public var serverTPOTLatency: UInt64 = 100_000_000
    public var inferTokenLatencies: Bool = false
    public var tokenLatencyScalingFactor: UInt64 = 0

    public init() {}

    /// The official defaults plus the built-in `mlperf.conf` for `model` and `scenario` (what
    /// `FromConfig(user.conf)` starts from in the official LoadGen).
    public static func official(model: String, scenario: TestScenario) throws -> TestSettings {
        var s = TestSettings()
        s.scenario = scenario
        try s.apply(ConfigFile.builtinMLPerfConf, model: model, kind: .mlperfConf)
        return s
    }
}

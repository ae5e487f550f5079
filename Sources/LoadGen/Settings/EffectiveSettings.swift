/// The settings a run actually uses, derived from `TestSettings` and the QSL as the official `TestSettingsInternal`
/// does (spec §2.4). Logged as `effective_*`.
public struct EffectiveSettings: Sendable, Equatable {
    public var scenario: TestScenario
    public var mode: TestMode
    public var samplesPerQuery: UInt64
    public var targetQPS: Double
    public var targetLatencyNs: UInt64
    public var targetLatencyPercentile: Double
    public var maxAsyncQueries: UInt64
    public var targetDurationMs: UInt64
    public var minDurationMs: UInt64
    public var maxDurationMs: UInt64
    public var minQueryCount: UInt64
    public var maxQueryCount: UInt64
    public var minSampleCount: UInt64
    public var qslRngSeed: UInt64
    public var sampleIndexRngSeed: UInt64
    public var scheduleRngSeed: UInt64
    public var accuracyLogRngSeed: UInt64
    public var accuracyLogProbability: Double
    public var accuracyLogSamplingTarget: UInt64
    public var printTimestamps: Bool
    public var performanceIssueUnique: Bool
    public var performanceIssueSame: Bool
    public var performanceIssueSameIndex: UInt64
    public var performanceSampleCount: UInt64
    public var accuracySampleCount: UInt64
    public var sampleConcatenatePermutation: Bool
    public var serverCoalesceQueries: Bool
    public var useTokenLatencies: Bool
    public var serverTTFTLatency: UInt64
    public var serverTPOTLatency: UInt64
    public var inferTokenLatencies: Bool
    public var tokenLatencyScalingFactor: UInt64

    public init(_ s: TestSettings, qslTotalCount: Int, qslPerformanceCount: Int) {
        var s = s
        if s.test05 {
            s.mode = .performanceOnly
            s.qslRngSeed = s.test05QslRngSeed
            s.sampleIndexRngSeed = s.test05SampleIndexRngSeed
            s.scheduleRngSeed = s.test05ScheduleRngSeed
        }
        scenario = s.scenario
        mode = s.mode
        samplesPerQuery = 1
        targetLatencyNs = 0
        maxAsyncQueries = 0
        minDurationMs = s.minDurationMs
        maxDurationMs = s.maxDurationMs
        minQueryCount = s.minQueryCount
        maxQueryCount = s.maxQueryCount
        qslRngSeed = s.qslRngSeed
        sampleIndexRngSeed = s.sampleIndexRngSeed
        scheduleRngSeed = s.scheduleRngSeed
        accuracyLogRngSeed = s.accuracyLogRngSeed
        accuracyLogProbability = s.accuracyLogProbability
        accuracyLogSamplingTarget = s.accuracyLogSamplingTarget
        printTimestamps = s.printTimestamps
        performanceIssueUnique = s.performanceIssueUnique
        performanceIssueSame = s.performanceIssueSame
        performanceIssueSameIndex = s.performanceIssueSameIndex
        sampleConcatenatePermutation = s.sampleConcatenatePermutation
        serverCoalesceQueries = s.serverCoalesceQueries
        useTokenLatencies = s.useTokenLatencies
        serverTTFTLatency = s.serverTTFTLatency
        serverTPOTLatency = s.serverTPOTLatency
        inferTokenLatencies = s.inferTokenLatencies
        tokenLatencyScalingFactor = s.tokenLatencyScalingFactor
        performanceSampleCount = s.performanceSampleCountOverride != 0
            ? s.performanceSampleCountOverride : UInt64(qslPerformanceCount)
        accuracySampleCount = s.accuracySampleCountOverride != 0
            ? s.accuracySampleCountOverride : UInt64(qslTotalCount)
        targetDurationMs = s.minDurationMs

        switch s.scenario {
        case .singleStream:
            targetQPS = 1e9 / Double(s.singleStreamExpectedLatencyNs)
            maxAsyncQueries = 1
            targetLatencyPercentile = s.singleStreamTargetLatencyPercentile
        case .multiStream:
            targetQPS = 1e9 / Double(s.multiStreamExpectedLatencyNs)
            maxAsyncQueries = 1
            targetLatencyPercentile = s.multiStreamTargetLatencyPercentile
            samplesPerQuery = s.multiStreamSamplesPerQuery
        case .server:
            targetQPS = s.serverTargetQPS < 0 ? 1 : s.serverTargetQPS
            targetLatencyNs = s.serverTargetLatencyNs
            targetLatencyPercentile = s.serverTargetLatencyPercentile
            maxAsyncQueries = s.serverMaxAsyncQueries
        case .offline:
            targetQPS = s.offlineExpectedQPS
            targetLatencyPercentile = 0.99
            maxAsyncQueries = 1
            samplesPerQuery = s.performanceIssueUnique
                ? performanceSampleCount
                : max(s.minQueryCount, saturatingUInt64(1.1 * (Double(s.minDurationMs) / 1000) * targetQPS))
            minQueryCount = 1
            targetDurationMs = 0
        }
        // Equal issue in SingleStream pads min_query_count up to a multiple of the count the QSL reports, not the
        // effective performance_sample_count: an override does not change it (official
        // test_settings_internal.cc; checked against the official wheel in RunBehaviourTests).
        let qslCount = UInt64(qslPerformanceCount)
        if s.scenario == .singleStream && s.sampleConcatenatePermutation && qslCount > 0 {
            minQueryCount = max(minQueryCount, saturatingUInt64(2.0 * (Double(s.minDurationMs) / 1000) * targetQPS))
            minQueryCount = saturatingSum(minQueryCount, qslCount - minQueryCount % qslCount)
        }
        minSampleCount = saturatingProduct(minQueryCount, samplesPerQuery)
    }
}

/// `UInt64(d)` without the trap: NaN and values ≤ 0 give 0, values past the range give `UInt64.max`. Invalid settings
/// are reported by `TestSettings.problems`; this only keeps the arithmetic that logs them from crashing.
func saturatingUInt64(_ d: Double) -> UInt64 {
    if d.isNaN || d <= 0 { return 0 }
    return d >= 18_446_744_073_709_551_615.0 ? .max : UInt64(d)
}

/// `a * b`, or `.max` when it does not fit.
func saturatingProduct(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedReportingOverflow(by: b)
    return r.overflow ? .max : r.partialValue
}

/// `a + b` for non-negative operands, or `.max` when it does not fit.
func saturatingSum<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
    let r = a.addingReportingOverflow(b)
    return r.overflow ? .max : r.partialValue
}

/// Distribution statistics of a latency vector (ns), with percentiles by the official rule `sorted[Int(n·p)]`.
public struct LatencyStats: Sendable, Equatable, Codable {
    public static let reportedPercentiles: [Double] = [0.50, 0.90, 0.95, 0.97, 0.99, 0.999]
    public var count: Int
    public var min: Int64
    public var max: Int64
    public var mean: Int64
    /// Values at `reportedPercentiles`.
    public var percentiles: [Int64]

    /// All zeros (what the official LoadGen prints for a vector it never filled).
    public static let zero = LatencyStats(count: 0, min: 0, max: 0, mean: 0, percentiles: Array(repeating: 0, count: 6))

    init(count: Int, min: Int64, max: Int64, mean: Int64, percentiles: [Int64]) {
        self.count = count; self.min = min; self.max = max; self.mean = mean; self.percentiles = percentiles
    }

    init(sorted v: UnsafeBufferPointer<Int64>) {
        count = v.count
        guard !v.isEmpty else {
            min = 0; max = 0; mean = 0
            percentiles = LatencyStats.reportedPercentiles.map { _ in 0 }
            return
        }
        min = v[0]
        max = v[v.count - 1]
        var sum: Double = 0
        for x in v { sum += Double(x) }
        mean = Int64(sum / Double(v.count))
        percentiles = LatencyStats.reportedPercentiles.map { LatencyStats.percentile(v, $0) }
    }

    static func percentile(_ v: UnsafeBufferPointer<Int64>, _ p: Double) -> Int64 {
        guard !v.isEmpty else { return 0 }
        return v[Swift.min(Int(Double(v.count) * p), v.count - 1)]
    }

    public func value(at p: Double) -> Int64? {
        LatencyStats.reportedPercentiles.firstIndex(of: p).map { percentiles[$0] }
    }
}

/// One validity rule, with the measured value, what was required, and what to change when it fails.
public struct ValidityRule: Sendable, Equatable, Codable {
    public var rule: String
    public var passed: Bool
    public var measured: String
    public var required: String
    public var advice: String?
}

/// Early stopping outcome for one latency vector.
public struct EarlyStoppingOutcome: Sendable, Equatable, Codable {
    public var met: Bool
    /// The official summary text (lines joined by "\n").
    public var text: String
    /// SingleStream/MultiStream: the percentile estimate (ns).
    public var estimate: Int64?
    /// SingleStream: the 99th-percentile estimate (ns), when enough queries ran.
    public var estimate99: Int64?
    /// How many more queries would be needed (when not met).
    public var moreQueriesNeeded: Int64?
}

/// The results of one performance run: official metrics, validity with explanations, and the generator's own lag.
public struct PerformanceSummary: Sendable, Codable {
    public var scenario: TestScenario
    public var queriesIssued: Int
    public var samplesIssued: Int
    /// Samples that completed (latencies recorded).
    public var sampleCount: Int
    public var samplesNeverCompleted: Int
    public var duplicateCompletions: Int
    public var unknownCompletions: Int
    public var sampleLatency: LatencyStats
    /// MultiStream only: per-query latency.
    public var queryLatency: LatencyStats?
    /// The scenario's target percentile and its latency (SS: sample p90; MS: query p99; Server: sample p99).
    public var targetPercentile: Double
    public var targetPercentileLatency: Int64
    public var finalQueryScheduledTimeNs: Int64
    public var finalQueryIssuedTimeNs: Int64
    public var finalQueryAllSamplesDoneTimeNs: Int64
    public var overLatencyCount: Int
    /// Early stopping on the sample (SS, Server) or query (MS) latencies; nil for Offline and for token-latency runs.
    public var earlyStopping: EarlyStoppingOutcome?
    /// Token-latency runs (`use_token_latencies`, not Offline): early stopping on the TPOT vector against
    /// `server_tpot_latency`, then, only when that passes, on the TTFT vector against `server_ttft_latency` (the
    /// official LoadGen evaluates `tpot && ttft` and so leaves the TTFT result empty after a TPOT failure).
    public var tpotEarlyStopping: EarlyStoppingOutcome?
    public var ttftEarlyStopping: EarlyStoppingOutcome?
    /// Token-latency runs: the TTFT and TPOT at the target percentile (what Server's perf constraint compares).
    public var ttftTargetPercentileLatency: Int64?
    public var tpotTargetPercentileLatency: Int64?
    /// The token bounds the run was judged against (ns).
    public var serverTTFTLatencyNs: UInt64
    public var serverTPOTLatencyNs: UInt64
    public var issueLag: LatencyStats
    public var tokenCount: Int64
    public var ttft: LatencyStats?
    public var tpot: LatencyStats?

    public var minDurationMet: Bool
    public var minQueriesMet: Bool
    public var perfConstraintsMet: Bool
    public var earlyStoppingMet: Bool
    public var rules: [ValidityRule]
    /// True when the run was cut short (Ctrl-C): its figures are partial.
    public var partial: Bool
    public var endReason: String

    public var isValid: Bool { rules.allSatisfy(\.passed) }

    /// The official LoadGen's recommendation for a failed perf constraint (results.cc `PerfConstraintsMet`): one
    /// string, TTFT's and TPOT's joined by "\n * " in token runs. Empty when the constraint is met.
    public var officialPerfRecommendation: String {
        guard !perfConstraintsMet else { return "" }
        guard let ttftP = ttftTargetPercentileLatency, let tpotP = tpotTargetPercentileLatency else {
            return "Reduce target QPS to improve latency."
        }
        var parts: [String] = []
        if ttftP > Int64(clamping: serverTTFTLatencyNs) { parts.append("TTFT constrain not met: Reduce target QPS to improve latency.") }
        if tpotP > Int64(clamping: serverTPOTLatencyNs) { parts.append("TPOT constrain not met: Reduce target QPS to improve latency.") }
        return parts.joined(separator: "\n * ")
    }

    /// The official min-duration recommendation for the scenario (results.cc `MinDurationMet`).
    public var officialDurationRecommendation: String {
        switch scenario {
        case .singleStream, .multiStream: return "Decrease the expected latency so the loadgen pre-generates more queries."
        case .server: return "Increase the target QPS so the loadgen pre-generates more queries."
        case .offline: return "Increase expected QPS so the loadgen pre-generates a larger (coalesced) query."
        }
    }

    /// The summary's "Recommendations:" items, exactly as the official LoadGen writes them (perf constraint, min
    /// duration, min queries; early stopping has none). Our explained reasons are in `rules`.
    public var officialRecommendations: [String] {
        var out: [String] = []
        if !perfConstraintsMet { out.append(officialPerfRecommendation) }
        if !minDurationMet { out.append(officialDurationRecommendation) }
        if !minQueriesMet {
            out.append("The test exited early, before enough queries were issued.\n   See the detailed log for why this may have occurred.")
        }
        return out
    }

    /// The official four conditions (min duration, min queries, perf constraints, early stopping) all hold. `isValid`
    /// also requires our own rules (every sample completed once, well-formed responses, not interrupted).
    public var officialConditionsMet: Bool { minDurationMet && minQueriesMet && perfConstraintsMet && earlyStoppingMet }

    /// The detail log's `result_invalid_reason`, as the official LoadGen builds it (newlines become spaces).
    public var officialInvalidReason: String {
        var r = ""
        if !perfConstraintsMet { r += officialPerfRecommendation + " " }
        if !minDurationMet { r += officialDurationRecommendation + " " }
        if !minQueriesMet { r += "The test exited early, before enough queries were issued." }
        return String(r.map { $0 == "\n" ? " " : $0 })
    }

    // Scenario metrics.
    public var qpsWithLoadgenOverhead: Double {
        finalQueryIssuedTimeNs > 0 ? Double(sampleCount - 1) / (Double(finalQueryIssuedTimeNs) / 1e9) : 0
    }
    public var qpsWithoutLoadgenOverhead: Double {
        sampleLatency.mean > 0 ? 1e9 / Double(sampleLatency.mean) : 0
    }
    public var completedSamplesPerSecond: Double {
        finalQueryAllSamplesDoneTimeNs > 0 ? Double(sampleCount - 1) / (Double(finalQueryAllSamplesDoneTimeNs) / 1e9) : 0
    }
    public var scheduledSamplesPerSecond: Double {
        finalQueryScheduledTimeNs > 0 ? Double(sampleCount - 1) / (Double(finalQueryScheduledTimeNs) / 1e9) : 0
    }
    public var samplesPerSecond: Double {
        sampleLatency.max > 0 ? Double(sampleCount) / (Double(sampleLatency.max) / 1e9) : 0
    }

    /// The headline metric: name, value and unit, as MLPerf reports it for the scenario.
    public var metric: (name: String, value: Double, unit: String) {
        switch scenario {
        case .singleStream:
            return ("\(pctLabel(targetPercentile))th percentile latency", Double(targetPercentileLatency), "ns")
        case .multiStream:
            return ("\(pctLabel(targetPercentile))th percentile latency", Double(targetPercentileLatency), "ns")
        case .server: return ("Completed samples per second", completedSamplesPerSecond, "samples/s")
        case .offline: return ("Samples per second", samplesPerSecond, "samples/s")
        }
    }
}

func pctLabel(_ p: Double) -> String {
    // The official "%.1f" of p·100 ("90.0", "99.9").
    let v = (p * 1000).rounded() / 10
    let whole = Int(v)
    let tenth = Int(((v - Double(whole)) * 10).rounded())
    return "\(whole).\(tenth)"
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TestSettings {
    /// The settings no test can be run with, checked before any query is generated: one sentence each, naming the
    /// official setting (as `error_invalid_test_settings` does) and the value. Empty when the settings are usable.
    ///
    /// The official LoadGen logs an error for a negative `server_target_qps` / `offline_expected_qps` and then runs at
    /// 1 QPS; a zero or non-finite rate, a zero expected latency or `samples_per_query`, or a percentile outside
    /// (0, 1] make it divide by zero, generate without end or crash. We refuse to run all of these.
    public func problems() -> [String] {
        var out: [String] = []
        func rate(_ name: String, _ v: Double) {
            if !v.isFinite || v <= 0 { out.append("\(name) must be a finite number > 0, got \(v)") }
        }
        func percentile(_ name: String, _ v: Double) {
            if !v.isFinite || v <= 0 || v > 1 { out.append("\(name) must be in (0, 1], got \(v)") }
        }
        switch scenario {
        case .singleStream:
            if singleStreamExpectedLatencyNs == 0 { out.append("single_stream_expected_latency_ns must be > 0, got 0") }
            percentile("single_stream_target_latency_percentile", singleStreamTargetLatencyPercentile)
        case .multiStream:
            if multiStreamExpectedLatencyNs == 0 { out.append("multi_stream_expected_latency_ns must be > 0, got 0") }
            if multiStreamSamplesPerQuery == 0 { out.append("multi_stream_samples_per_query must be ≥ 1, got 0") }
            percentile("multi_stream_target_latency_percentile", multiStreamTargetLatencyPercentile)
        case .server:
            rate("server_target_qps", serverTargetQPS)
            percentile("server_target_latency_percentile", serverTargetLatencyPercentile)
            if mode == .findPeakPerformance && (!serverFindPeakQPSBoundaryStepSize.isFinite || serverFindPeakQPSBoundaryStepSize <= 0) {
                out.append("server_find_peak_qps_boundary_step_size must be a finite number > 0, got \(serverFindPeakQPSBoundaryStepSize)")
            }
        case .offline:
            // 0 is allowed (the official LoadGen then issues min_query_count samples); a negative rate is not.
            if !offlineExpectedQPS.isFinite || offlineExpectedQPS < 0 {
                out.append("offline_expected_qps must be a finite number ≥ 0, got \(offlineExpectedQPS)")
            }
        }
        if !accuracyLogProbability.isFinite || accuracyLogProbability < 0 || accuracyLogProbability > 1 {
            out.append("accuracy_log_probability must be in [0, 1], got \(accuracyLogProbability)")
        }
        // Durations become nanoseconds, doubled for SingleStream and MultiStream query generation.
        let longest = UInt64(Int64.max / 2_000_000)
        for (name, ms) in [("min_duration_ms", minDurationMs), ("max_duration_ms", maxDurationMs)] where ms > longest {
            out.append("\(name) must be at most \(longest) ms, got \(ms)")
        }
        return out
    }
}

/// The memory a performance run's query plan needs, estimated from the settings before anything is generated,
/// so that settings that imply billions of queries get one clear error instead of exhausting memory (the
/// official LoadGen is killed there).
public enum QueryBudget {
    /// Bytes held per generated sample while a run lasts: its QSL index (4), the completer's per-sample state
    /// (issue time, completion time and flags, 24), the accuracy-log draw (8) and the result arrays (up to 16), with
    /// room to spare.
    public static let bytesPerSample = 64.0
    /// Bytes held per generated query on top of its samples (Server schedule, per-query latency).
    public static let bytesPerQuery = 16.0

    /// Half of the machine's physical memory (8 GiB when it cannot be read).
    public static func defaultLimitBytes() -> Double {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? Double(pages) * Double(size) / 2 : 8 * 1_073_741_824
    }

    /// (queries, samples) that generating a performance run with `e` produces, as `generateQueries` does: Server
    /// schedules until the min duration, SingleStream and MultiStream until twice the min duration, at least
    /// min_query_count queries; Offline is one query of samples_per_query samples.
    public static func implied(_ e: EffectiveSettings) -> (queries: Double, samples: Double) {
        let spq = Double(max(e.samplesPerQuery, 1))
        if e.scenario == .offline { return (1, spq) }
        let horizonS = Double(e.targetDurationMs) / 1000 * (e.scenario == .server ? 1 : 2)
        let queries = max(Double(e.minQueryCount), (horizonS * e.targetQPS).rounded(.up))
        return (queries, queries * spq)
    }

    /// Nil when the run fits in `limitBytes`; else one sentence with the implied counts, the estimate and the fix.
    public static func check(_ e: EffectiveSettings, limitBytes: Double = defaultLimitBytes()) -> String? {
        let (queries, samples) = implied(e)
        let bytes = samples * bytesPerSample + queries * bytesPerQuery
        guard bytes > limitBytes else { return nil }
        let rate = e.scenario == .server ? "server_target_qps \(e.targetQPS)"
            : e.scenario == .offline ? "offline_expected_qps \(e.targetQPS)" : "a target rate of \(e.targetQPS) queries/s"
        return "the settings imply \(format(queries)) queries of \(e.samplesPerQuery) samples (\(rate), "
            + "min_duration \(e.minDurationMs) ms, min_query_count \(e.minQueryCount)); generating them needs about "
            + "\(gib(bytes)) GiB, more than the \(gib(limitBytes)) GiB allowed (half the physical memory). "
            + "Lower the target rate or min_duration."
    }

    private static func gib(_ bytes: Double) -> String {
        let g = bytes / 1_073_741_824
        return g >= 100 ? String(Int(g.rounded())) : String((g * 10).rounded() / 10)
    }

    private static func format(_ v: Double) -> String {
        v < 1e15 ? String(UInt64(v)) : "\(v)"
    }
}

import MLLog

/// `mlperf_log_summary.txt`, in the official layout (spec §8.1), so that the official compliance scripts' regular
/// expressions find their lines.
enum SummaryText {
    static let banner = String(repeating: "=", count: 48)

    static func fixed2(_ x: Double) -> String { JSONWriter.cStyle(x, spec: "%.2f") }
    static func stream(_ x: Double) -> String { JSONWriter.cppStream(x) }
    static func pad(_ label: String) -> String { label + String(repeating: " ", count: max(32 - label.count, 0)) + ": " }
    static func yesNo(_ b: Bool) -> String { b ? "Yes" : "NO" }

    static func render(sutName: String, s: EffectiveSettings, p: PerformanceSummary, warnings: Int, errors: Int) -> String {
        var o = ""
        func line(_ t: String = "") { o += t + "\n" }
        line(banner); line("MLPerf Results Summary"); line(banner)
        line("SUT name : \(sutName)")
        line("Scenario : \(s.scenario.rawValue)")
        line("Mode     : \(s.mode.rawValue)")
        switch s.scenario {
        case .singleStream:
            line("\(pctLabel(s.targetLatencyPercentile))th percentile latency (ns) : \(p.targetPercentileLatency)")
        case .multiStream:
            line("\(pctLabel(s.targetLatencyPercentile))th percentile latency (ns) : \(p.targetPercentileLatency)")
        case .server:
            line("Completed samples per second    : \(fixed2(p.completedSamplesPerSecond))")
        case .offline:
            line("Samples per second: \(stream(p.samplesPerSecond))")
        }
        if s.useTokenLatencies {
            switch s.scenario {
            case .server:
                let tps = p.finalQueryAllSamplesDoneTimeNs > 0 ? Double(p.tokenCount) / (Double(p.finalQueryAllSamplesDoneTimeNs) / 1e9) : 0
                line("Completed tokens per second: \(fixed2(tps))")
            case .offline:
                let tps = p.sampleLatency.max > 0 ? Double(p.tokenCount) / (Double(p.sampleLatency.max) / 1e9) : 0
                line("Tokens per second: \(stream(tps))")
            default:
                if let t = p.ttft { line("\(pctLabel(s.targetLatencyPercentile))th first token percentile latency (ns) : \(t.value(at: s.targetLatencyPercentile) ?? t.percentiles[4])") }
            }
        }
        if s.inferTokenLatencies {
            let factor = Double(s.tokenLatencyScalingFactor)
            switch s.scenario {
            case .offline:
                let v = p.sampleLatency.max > 0 ? factor * Double(p.sampleCount) / (Double(p.sampleLatency.max) / 1e9) : 0
                line("Tokens per second (inferred): \(stream(v))")
            case .server:
                let done = Double(p.finalQueryAllSamplesDoneTimeNs) / 1e9
                line("Completed tokens per second (inferred): \(fixed2(done > 0 ? factor * Double(p.sampleCount - 1) / done : 0))")
            default: break
            }
        }
        line("Result is : \(p.isValid ? "VALID" : "INVALID")")
        if s.scenario == .server { line("  Performance constraints satisfied : \(yesNo(p.perfConstraintsMet))") }
        line("  Min duration satisfied : \(yesNo(p.minDurationMet))")
        line("  Min queries satisfied : \(yesNo(p.minQueriesMet))")
        line("  Early stopping satisfied: \(yesNo(p.earlyStoppingMet))")
        if !p.isValid {
            // The official items; a run INVALID only on a rule the official LoadGen does not have (samples that never
            // completed, malformed responses) gets that rule's advice instead.
            line("Recommendations:")
            var items = p.officialRecommendations
            if p.officialConditionsMet { items = p.rules.filter { !$0.passed }.map { $0.advice ?? $0.rule } }
            for r in items { line(" * \(r)") }
        }
        if let es = p.earlyStopping {
            line("Early Stopping Result:")
            line(es.text)
        } else if p.tpotEarlyStopping != nil {
            // Token runs: TTFT first (empty when TPOT failed and TTFT was not evaluated), then TPOT.
            line("TTFT Early Stopping Result:")
            line(p.ttftEarlyStopping?.text ?? "")
            line("TPOT Early Stopping Result:")
            line(p.tpotEarlyStopping?.text ?? "")
        }
        line()
        line(banner); line("Additional Stats"); line(banner)
        switch s.scenario {
        case .singleStream:
            line(pad("QPS w/ loadgen overhead") + fixed2(p.qpsWithLoadgenOverhead))
            line(pad("QPS w/o loadgen overhead") + fixed2(p.qpsWithoutLoadgenOverhead))
            line()
        case .server:
            line("Scheduled samples per second : \(fixed2(p.scheduledSamplesPerSecond))")
        default: break
        }
        if s.scenario == .multiStream, let q = p.queryLatency {
            line("Per-query latency:  ")
            stats(q, &o)
        } else {
            stats(p.sampleLatency, &o)
        }
        if s.useTokenLatencies {
            // The official token block, label for label (results.cc LogSummary).
            line()
            let tokens = Double(p.tokenCount)
            switch s.scenario {
            case .singleStream:
                let issued = Double(p.finalQueryIssuedTimeNs) / 1e9
                let busy = Double(p.sampleLatency.mean) / 1e9 * Double(p.sampleCount)
                line("TPS w/ loadgen overhead         : " + fixed2(issued > 0 ? tokens / issued : 0))
                line("TPS w/o loadgen overhead        : " + fixed2(busy > 0 ? tokens / busy : 0))
            case .server:
                let done = Double(p.finalQueryAllSamplesDoneTimeNs) / 1e9
                line("Completed tokens per second                 : " + fixed2(done > 0 ? tokens / done : 0))
            default: break
            }
            if s.scenario != .offline {
                let t = p.ttft ?? .zero, tp = p.tpot ?? .zero
                line("Min First Token latency (ns)                : \(t.min)")
                line("Max First Token latency (ns)                : \(t.max)")
                line("Mean First Token latency (ns)               : \(t.mean)")
                for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
                    line("\(fixed2(pp * 100)) percentile first token latency (ns)   : \(t.percentiles[i])")
                }
                line()
                line("Min Time per Output Token (ns)                : \(tp.min)")
                line("Max Time per Output Token (ns)                : \(tp.max)")
                line("Mean Time per Output Token (ns)               : \(tp.mean)")
                for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
                    line("\(fixed2(pp * 100)) percentile time to output token (ns)   : \(tp.percentiles[i])")
                }
            }
        }
        line()
        line("Issue lag (LoadGen's own, ns; \(lagDefinition(s.scenario))):")
        line(pad("Issue lag min (ns)") + "\(p.issueLag.min)")
        line(pad("Issue lag p50 (ns)") + "\(p.issueLag.percentiles[0])")
        line(pad("Issue lag p99 (ns)") + "\(p.issueLag.percentiles[4])")
        line(pad("Issue lag p99.9 (ns)") + "\(p.issueLag.percentiles[5])")
        line(pad("Issue lag max (ns)") + "\(p.issueLag.max)")
        line()
        parameters(s, &o)
        footer(warnings: warnings, errors: errors, &o)
        return o
    }

    static func lagDefinition(_ sc: TestScenario) -> String {
        switch sc {
        case .server, .offline: return "actual issue − scheduled time"
        default: return "issue − previous query's completion"
        }
    }

    static func stats(_ l: LatencyStats, _ o: inout String) {
        o += pad("Min latency (ns)") + "\(l.min)\n"
        o += pad("Max latency (ns)") + "\(l.max)\n"
        o += pad("Mean latency (ns)") + "\(l.mean)\n"
        for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
            o += pad("\(fixed2(pp * 100)) percentile latency (ns)") + "\(l.percentiles[i])\n"
        }
    }

    static func parameters(_ s: EffectiveSettings, _ o: inout String) {
        o += banner + "\nTest Parameters Used\n" + banner + "\n"
        o += "samples_per_query : \(s.samplesPerQuery)\n"
        o += "target_qps : \(stream(s.targetQPS))\n"
        if s.useTokenLatencies {
            o += "ttft_latency (ns): \(s.serverTTFTLatency)\n"
            o += "tpot_latency (ns): \(s.serverTPOTLatency)\n"
        } else {
            o += "target_latency (ns): \(s.targetLatencyNs)\n"
        }
        o += "max_async_queries : \(s.maxAsyncQueries)\n"
        o += "min_duration (ms): \(s.minDurationMs)\n"
        o += "max_duration (ms): \(s.maxDurationMs)\n"
        o += "min_query_count : \(s.minQueryCount)\n"
        o += "max_query_count : \(s.maxQueryCount)\n"
        o += "qsl_rng_seed : \(s.qslRngSeed)\n"
        o += "sample_index_rng_seed : \(s.sampleIndexRngSeed)\n"
        o += "schedule_rng_seed : \(s.scheduleRngSeed)\n"
        o += "accuracy_log_rng_seed : \(s.accuracyLogRngSeed)\n"
        o += "accuracy_log_probability : \(stream(s.accuracyLogProbability))\n"
        o += "accuracy_log_sampling_target : \(s.accuracyLogSamplingTarget)\n"
        o += "print_timestamps : \(s.printTimestamps ? 1 : 0)\n"
        o += "performance_issue_unique : \(s.performanceIssueUnique ? 1 : 0)\n"
        o += "performance_issue_same : \(s.performanceIssueSame ? 1 : 0)\n"
        o += "performance_issue_same_index : \(s.performanceIssueSameIndex)\n"
        o += "performance_sample_count : \(s.performanceSampleCount)\n"
        o += "accuracy_sample_count : \(s.accuracySampleCount)\n"
        if s.sampleConcatenatePermutation {
            o += "WARNING: sample_concatenate_permutation was set to true. \n"
            o += "Generated samples per query might be different as the one in the setting.\n"
            o += "Check the generated_samples_per_query line in the detailed log for the real\n"
            o += "samples_per_query value\n"
        }
    }

    static func footer(warnings: Int, errors: Int, _ o: inout String) {
        o += "\n"
        switch warnings {
        case 0: o += "No warnings encountered during test.\n"
        case 1: o += "1 warning encountered. See detailed log.\n"
        default: o += "\(warnings) warnings encountered. See detailed log.\n"
        }
        o += "\n"
        switch errors {
        case 0: o += "No errors encountered during test.\n"
        case 1: o += "1 ERROR encountered. See detailed log.\n"
        default: o += "\(errors) ERRORS encountered. See detailed log.\n"
        }
    }
}

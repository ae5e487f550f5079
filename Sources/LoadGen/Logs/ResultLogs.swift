import MLLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DetailLog {
    /// The `requested_*` and `effective_*` keys (spec §8.2).
    func logSettings(requested r: TestSettings, effective e: EffectiveSettings) {
        log("requested_scenario", .string(r.scenario.rawValue))
        log("requested_test_mode", .string(r.mode.rawValue))
        switch r.scenario {
        case .singleStream:
            // A double in the official TestSettings (so `1e+07` in its log).
            log("requested_single_stream_expected_latency_ns", .double(Double(r.singleStreamExpectedLatencyNs)))
            log("requested_single_stream_target_latency_percentile", .double(r.singleStreamTargetLatencyPercentile))
        case .multiStream:
            log("requested_multi_stream_expected_latency_ns", .double(Double(r.multiStreamExpectedLatencyNs)))
            log("requested_multi_stream_target_latency_percentile", .double(r.multiStreamTargetLatencyPercentile))
            log("requested_multi_stream_samples_per_query", .uint(r.multiStreamSamplesPerQuery))
        case .server:
            log("requested_server_target_qps", .double(r.serverTargetQPS))
            log("requested_server_target_latency_ns", .uint(r.serverTargetLatencyNs))
            log("requested_server_target_latency_percentile", .double(r.serverTargetLatencyPercentile))
            log("requested_server_coalesce_queries", .bool(r.serverCoalesceQueries))
            log("requested_server_find_peak_qps_decimals_of_precision", .int(Int64(r.serverFindPeakQPSDecimalsOfPrecision)))
            log("requested_server_find_peak_qps_boundary_step_size", .double(r.serverFindPeakQPSBoundaryStepSize))
            log("requested_server_max_async_queries", .uint(r.serverMaxAsyncQueries))
            log("requested_server_num_issue_query_threads", .uint(r.serverNumIssueQueryThreads))
        case .offline:
            log("requested_offline_expected_qps", .double(r.offlineExpectedQPS))
        }
        log("requested_min_duration_ms", .uint(r.minDurationMs))
        log("requested_max_duration_ms", .uint(r.maxDurationMs))
        log("requested_min_query_count", .uint(r.minQueryCount))
        log("requested_max_query_count", .uint(r.maxQueryCount))
        log("requested_qsl_rng_seed", .uint(r.qslRngSeed))
        log("requested_sample_index_rng_seed", .uint(r.sampleIndexRngSeed))
        log("requested_schedule_rng_seed", .uint(r.scheduleRngSeed))
        log("requested_accuracy_log_rng_seed", .uint(r.accuracyLogRngSeed))
        log("requested_accuracy_log_probability", .double(r.accuracyLogProbability))
        log("requested_accuracy_log_sampling_target", .uint(r.accuracyLogSamplingTarget))
        log("requested_print_timestamps", .bool(r.printTimestamps))
        log("requested_performance_issue_unique", .bool(r.performanceIssueUnique))
        log("requested_performance_issue_same", .bool(r.performanceIssueSame))
        log("requested_performance_issue_same_index", .uint(r.performanceIssueSameIndex))
        log("requested_performance_sample_count_override", .uint(r.performanceSampleCountOverride))
        log("requested_accuracy_sample_count_override", .uint(r.accuracySampleCountOverride))
        log("requested_sample_concatenate_permutation", .bool(r.sampleConcatenatePermutation))
        if r.useTokenLatencies {
            log("requested_use_token_latencies", .bool(r.useTokenLatencies))
            if r.scenario != .offline {
                log("requested_server_ttft_latency", .uint(r.serverTTFTLatency))
                log("requested_server_tpot_latency", .uint(r.serverTPOTLatency))
            }
        }
        log("effective_scenario", .string(e.scenario.rawValue))
        log("effective_test_mode", .string(e.mode.rawValue))
        log("effective_samples_per_query", .uint(e.samplesPerQuery))
        log("effective_target_qps", .double(e.targetQPS))
        log("effective_target_latency_ns", .uint(e.targetLatencyNs))
        log("effective_target_latency_percentile", .double(e.targetLatencyPercentile))
        log("effective_max_async_queries", .uint(e.maxAsyncQueries))
        log("effective_target_duration_ms", .uint(e.targetDurationMs))
        log("effective_min_duration_ms", .uint(e.minDurationMs))
        log("effective_max_duration_ms", .uint(e.maxDurationMs))
        log("effective_min_query_count", .uint(e.minQueryCount))
        log("effective_max_query_count", .uint(e.maxQueryCount))
        log("effective_min_sample_count", .uint(e.minSampleCount))
        log("effective_qsl_rng_seed", .uint(e.qslRngSeed))
        log("effective_sample_index_rng_seed", .uint(e.sampleIndexRngSeed))
        log("effective_schedule_rng_seed", .uint(e.scheduleRngSeed))
        log("effective_accuracy_log_rng_seed", .uint(e.accuracyLogRngSeed))
        log("effective_accuracy_log_probability", .double(e.accuracyLogProbability))
        log("effective_accuracy_log_sampling_target", .uint(e.accuracyLogSamplingTarget))
        log("effective_print_timestamps", .bool(e.printTimestamps))
        log("effective_performance_issue_unique", .bool(e.performanceIssueUnique))
        log("effective_performance_issue_same", .bool(e.performanceIssueSame))
        log("effective_performance_issue_same_index", .uint(e.performanceIssueSameIndex))
        log("effective_performance_sample_count", .uint(e.performanceSampleCount))
        log("effective_accuracy_sample_count", .uint(e.accuracySampleCount))
        log("effective_sample_concatenate_permutation", .bool(e.sampleConcatenatePermutation))
    }

    /// The end of every issuing series (each performance run, each accuracy-mode loadable set), as the official
    /// `IssueQueries` logs it: the logger's contention counters (ours takes no retries: 0, kept for key-for-key
    /// conformance), then the power interval (`power_begin`, `power_end`; POINT_IN_TIME records in the official
    /// wheel's log, whatever the source's macro names suggest).
    func logSeriesEnd(powerBegin: String, powerEnd: String) {
        for key in ["logger_swap_request_slots_retry_count", "logger_swap_request_slots_retry_retry_count",
                    "logger_swap_request_slots_retry_reencounter_count", "logger_start_reading_entries_retry_count",
                    "logger_tls_total_log_cas_fail_count", "logger_tls_total_swap_buffers_slot_retry_count"] {
            log(key, .int(0))
        }
        log("power_begin", .string(powerBegin))
        log("power_end", .string(powerEnd))
    }

    /// The result keys the submission checker reads (spec §8.2, §8.5), plus our issue-lag figures.
    func logResults(_ p: PerformanceSummary, _ e: EffectiveSettings) {
        log("result_validity", .string(p.isValid ? "VALID" : "INVALID"))
        if e.scenario == .server { log("result_perf_constraints_met", .bool(p.perfConstraintsMet)) }
        log("result_min_duration_met", .bool(p.minDurationMet))
        log("result_min_queries_met", .bool(p.minQueriesMet))
        log("early_stopping_met", .bool(p.earlyStoppingMet))
        if !p.officialConditionsMet {
            log("result_invalid_reason", .string(p.officialInvalidReason))
        } else if !p.isValid {
            let failed = p.rules.filter { !$0.passed }
            log("result_invalid_reason", .string(failed.map { $0.advice ?? $0.rule }.joined(separator: " ").replacingNewlines()))
        }
        // Logged in every scenario, empty where there is nothing to say (Offline, TTFT after a TPOT failure).
        if e.useTokenLatencies {
            log("early_stopping_ttft_result", .string((p.ttftEarlyStopping?.text ?? "").replacingNewlines()))
            log("early_stopping_tpot_result", .string((p.tpotEarlyStopping?.text ?? "").replacingNewlines()))
        } else {
            log("early_stopping_result", .string((p.earlyStopping?.text ?? "").replacingNewlines()))
        }
        // The estimates come from the last early-stopping evaluation, as in the official LoadGen (TTFT's when it ran).
        let lastES = p.earlyStopping ?? p.ttftEarlyStopping ?? p.tpotEarlyStopping
        log("result_query_count", .int(Int64(p.queriesIssued)))
        if e.scenario == .server { log("result_overlatency_query_count", .int(Int64(p.overLatencyCount))) }
        switch e.scenario {
        case .singleStream:
            log("result_qps_with_loadgen_overhead", .double(p.qpsWithLoadgenOverhead))
            log("result_qps_without_loadgen_overhead", .double(p.qpsWithoutLoadgenOverhead))
            // Always logged, 0 when not estimated (the official members' initial value).
            log("early_stopping_latency_ss", .int(lastES?.estimate ?? 0))
            log("early_stopping_latency_ms", .int(lastES?.estimate99 ?? 0))
        case .multiStream:
            defer { log("early_stopping_latency_ms", .int(lastES?.estimate ?? 0)) }
            if let q = p.queryLatency {
                log("result_min_query_latency_ns", .int(q.min))
                log("result_max_query_latency_ns", .int(q.max))
                log("result_mean_query_latency_ns", .int(q.mean))
                for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
                    log("result_\(SummaryText.fixed2(pp * 100))_percentile_per_query_latency_ns", .int(q.percentiles[i]))
                }
            }
        case .server:
            log("result_scheduled_samples_per_sec", .double(p.scheduledSamplesPerSecond))
            log("result_completed_samples_per_sec", .double(p.completedSamplesPerSecond))
        case .offline:
            log("result_samples_per_second", .double(p.samplesPerSecond))
        }
        log("result_min_latency_ns", .int(p.sampleLatency.min))
        log("result_max_latency_ns", .int(p.sampleLatency.max))
        log("result_mean_latency_ns", .int(p.sampleLatency.mean))
        for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
            log("result_\(SummaryText.fixed2(pp * 100))_percentile_latency_ns", .int(p.sampleLatency.percentiles[i]))
        }
        // Token figures, key for key as the official LogDetail writes them (results.cc).
        func per(_ x: Double, _ ns: Int64) -> Double { ns > 0 ? x / (Double(ns) / 1e9) : 0 }
        let tokens = Double(p.tokenCount)
        if e.useTokenLatencies {
            if e.scenario != .offline {
                let t = p.ttft ?? .zero, tp = p.tpot ?? .zero
                log("result_first_token_min_latency_ns", .int(t.min))
                log("result_first_token_max_latency_ns", .int(t.max))
                log("result_first_token_mean_latency_ns", .int(t.mean))
                for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
                    log("result_first_token_\(SummaryText.fixed2(pp * 100))_percentile_latency_ns", .int(t.percentiles[i]))
                }
                log("result_token_throughput_with_loadgen_overhead", .double(per(tokens, p.finalQueryIssuedTimeNs)))
                // The official divides by mean latency (ns) × sample count, without a unit conversion: tokens per ns.
                let busyNs = Double(p.sampleLatency.mean) * Double(p.sampleCount)
                log("result_token_throughput", .double(busyNs > 0 ? tokens / busyNs : 0))
                for (i, pp) in LatencyStats.reportedPercentiles.enumerated() {
                    log("result_time_per_output_token_\(SummaryText.fixed2(pp * 100))_percentile_ns", .int(tp.percentiles[i]))
                }
                log("result_time_to_output_token_min", .int(tp.min))
                log("result_time_to_output_token_max", .int(tp.max))
                log("result_time_to_output_token_mean", .int(tp.mean))
                log("result_completed_tokens_per_second", .double(per(tokens, p.finalQueryAllSamplesDoneTimeNs)))
            } else {
                log("result_tokens_per_second", .double(per(tokens, p.sampleLatency.max)))
            }
        }
        if e.inferTokenLatencies {
            let factor = Double(e.tokenLatencyScalingFactor)
            switch e.scenario {
            case .server:
                log("result_inferred_completed_tokens_per_second",
                    .double(per(Double(p.sampleCount - 1) * factor, p.finalQueryAllSamplesDoneTimeNs)))
            case .offline:
                log("result_inferred_tokens_per_second", .double(per(Double(p.sampleCount) * factor, p.sampleLatency.max)))
            default: break
            }
        }
        log("swiftmlperf_issue_lag_min_ns", .int(p.issueLag.min))
        log("swiftmlperf_issue_lag_p50_ns", .int(p.issueLag.percentiles[0]))
        log("swiftmlperf_issue_lag_p99_ns", .int(p.issueLag.percentiles[4]))
        log("swiftmlperf_issue_lag_max_ns", .int(p.issueLag.max))
    }
}

extension String {
    func replacingNewlines() -> String { String(map { $0 == "\n" ? " " : $0 }) }
}

/// `mlperf_log_accuracy.json`: a JSON array of `{ "seq_id" : N, "qsl_idx" : N, "data" : "HEX" }`.
enum AccuracyLogWriter {
    static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func write(path: String, entries: [(seq: Int, qsl: Int, data: [UInt8], tokens: Int?, tokenData: [UInt8]?)]) throws(LoadGenError) {
        guard let f = fopen(path, "w") else { throw LoadGenError.cannotWrite(path, String(cString: strerror(errno))) }
        defer { fclose(f) }
        fputs("[", f)
        var first = true
        var line: [UInt8] = []
        for e in entries {
            line.removeAll(keepingCapacity: true)
            if !first { line.append(UInt8(ascii: ",")) }
            first = false
            line.append(contentsOf: Array("\n{ \"seq_id\" : \(e.seq), \"qsl_idx\" : \(e.qsl), \"data\" : \"".utf8))
            appendHex(e.data, &line)
            line.append(UInt8(ascii: "\""))
            if let td = e.tokenData {
                line.append(contentsOf: Array(", \"token_data\" : \"".utf8))
                appendHex(td, &line)
                line.append(UInt8(ascii: "\""))
            }
            if let t = e.tokens { line.append(contentsOf: Array(", \"token_count\" : \(t)".utf8)) }
            line.append(contentsOf: Array(" }".utf8))
            _ = line.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        }
        fputs("\n]\n", f)
    }

    static func appendHex(_ bytes: [UInt8], _ out: inout [UInt8]) {
        for b in bytes {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
    }
}

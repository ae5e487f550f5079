import MLLog

/// `results.json`: the same figures as the official logs, for machines, with an explained verdict.
enum ResultsJSON {
    static func stats(_ l: LatencyStats) -> JSONValue {
        var f = [JSONField("count", .int(Int64(l.count))), JSONField("min", .int(l.min)), JSONField("max", .int(l.max)),
                 JSONField("mean", .int(l.mean))]
        for (i, p) in LatencyStats.reportedPercentiles.enumerated() {
            f.append(JSONField("p\(SummaryText.fixed2(p * 100))", .int(l.percentiles[i])))
        }
        return .object(f)
    }

    static func render(_ r: TestResult, model: String, requested: TestSettings) -> String {
        let e = r.settings
        var f: [JSONField] = [
            JSONField("tool", "SwiftMLPerf LoadGen"),
            JSONField("loadgen_compatible_version", .string(LoadGen.compatibleVersion)),
            JSONField("model", .string(model)),
            JSONField("scenario", .string(e.scenario.rawValue)),
            JSONField("mode", .string(e.mode.rawValue)),
            JSONField("sut_name", .string(r.sutName)),
            JSONField("result", .string(r.performance == nil ? "NO PERFORMANCE RUN" : (r.isValid ? "VALID" : "INVALID"))),
            JSONField("partial", .bool(r.partial)),
        ]
        if let p = r.performance {
            let m = p.metric
            f.append(JSONField("metric", .object([JSONField("name", .string(m.name)), JSONField("value", .double(m.value)),
                                                  JSONField("unit", .string(m.unit))])))
            var rules: [JSONValue] = p.rules.map { rule in
                var o = [JSONField("rule", .string(rule.rule)), JSONField("passed", .bool(rule.passed)),
                         JSONField("measured", .string(rule.measured)), JSONField("required", .string(rule.required))]
                if let a = rule.advice { o.append(JSONField("advice", .string(a))) }
                return .object(o)
            }
            if !r.errors.isEmpty {
                rules.append(.object([JSONField("rule", "no_errors"), JSONField("passed", false),
                                      JSONField("measured", .string("\(r.errors.count) errors logged")),
                                      JSONField("required", "no errors"),
                                      JSONField("advice", .string(r.errors.joined(separator: " ")))]))
            }
            f.append(JSONField("rules", .array(rules)))
            var figures: [JSONField] = [
                JSONField("queries_issued", .int(Int64(p.queriesIssued))),
                JSONField("samples_issued", .int(Int64(p.samplesIssued))),
                JSONField("samples_completed", .int(Int64(p.sampleCount))),
                JSONField("target_percentile", .double(p.targetPercentile)),
                JSONField("target_percentile_latency_ns", .int(p.targetPercentileLatency)),
                JSONField("final_query_issued_time_ns", .int(p.finalQueryIssuedTimeNs)),
                JSONField("final_query_scheduled_time_ns", .int(p.finalQueryScheduledTimeNs)),
                JSONField("final_query_all_samples_done_time_ns", .int(p.finalQueryAllSamplesDoneTimeNs)),
            ]
            switch e.scenario {
            case .singleStream:
                figures.append(JSONField("qps_with_loadgen_overhead", .double(p.qpsWithLoadgenOverhead)))
                figures.append(JSONField("qps_without_loadgen_overhead", .double(p.qpsWithoutLoadgenOverhead)))
            case .server:
                figures.append(JSONField("completed_samples_per_second", .double(p.completedSamplesPerSecond)))
                figures.append(JSONField("scheduled_samples_per_second", .double(p.scheduledSamplesPerSecond)))
                figures.append(JSONField("overlatency_query_count", .int(Int64(p.overLatencyCount))))
            case .offline:
                figures.append(JSONField("samples_per_second", .double(p.samplesPerSecond)))
            case .multiStream: break
            }
            func esJSON(_ es: EarlyStoppingOutcome) -> JSONValue {
                var o = [JSONField("met", .bool(es.met)), JSONField("text", .string(es.text))]
                if let v = es.estimate { o.append(JSONField("estimate_ns", .int(v))) }
                if let v = es.estimate99 { o.append(JSONField("estimate_p99_ns", .int(v))) }
                return .object(o)
            }
            if let es = p.earlyStopping { figures.append(JSONField("early_stopping", esJSON(es))) }
            if let tp = p.tpotEarlyStopping {
                figures.append(JSONField("early_stopping_tpot", esJSON(tp)))
                figures.append(JSONField("early_stopping_ttft", p.ttftEarlyStopping.map(esJSON) ?? .string("not evaluated: TPOT early stopping failed")))
            }
            if let t = p.ttftTargetPercentileLatency { figures.append(JSONField("ttft_target_percentile_ns", .int(t))) }
            if let t = p.tpotTargetPercentileLatency { figures.append(JSONField("tpot_target_percentile_ns", .int(t))) }
            f.append(JSONField("figures", .object(figures)))
            f.append(JSONField("latency_ns", stats(p.sampleLatency)))
            if let q = p.queryLatency { f.append(JSONField("query_latency_ns", stats(q))) }
            if let t = p.ttft { f.append(JSONField("ttft_ns", stats(t))) }
            if let t = p.tpot { f.append(JSONField("tpot_ns", stats(t))) }
            f.append(JSONField("issue_lag_ns", stats(p.issueLag)))
        }
        if let peak = r.peakQPS { f.append(JSONField("peak_qps", .double(peak))) }
        f.append(JSONField("accuracy_log_entries", .int(Int64(r.accuracyLoggedSamples))))
        f.append(JSONField("effective_settings", .object([
            JSONField("samples_per_query", .uint(e.samplesPerQuery)), JSONField("target_qps", .double(e.targetQPS)),
            JSONField("target_latency_ns", .uint(e.targetLatencyNs)),
            JSONField("target_latency_percentile", .double(e.targetLatencyPercentile)),
            JSONField("min_duration_ms", .uint(e.minDurationMs)), JSONField("max_duration_ms", .uint(e.maxDurationMs)),
            JSONField("min_query_count", .uint(e.minQueryCount)), JSONField("max_query_count", .uint(e.maxQueryCount)),
            JSONField("performance_sample_count", .uint(e.performanceSampleCount)),
            JSONField("accuracy_sample_count", .uint(e.accuracySampleCount)),
            JSONField("qsl_rng_seed", .uint(e.qslRngSeed)), JSONField("sample_index_rng_seed", .uint(e.sampleIndexRngSeed)),
            JSONField("schedule_rng_seed", .uint(e.scheduleRngSeed)),
        ])))
        f.append(JSONField("errors", .array(r.errors.map { .string($0) })))
        f.append(JSONField("warnings", .array(r.warnings.map { .string($0) })))
        f.append(JSONField("files", .array(r.files.map { .string($0) })))
        return JSONWriter(doubleStyle: .python).pretty(.object(f))
    }
}

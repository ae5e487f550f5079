import CLoadGenSupport

extension PerformanceSummary {
    /// Turns one issuing series into the official figures. Runs after issuing, off the hot path. Reuses the
    /// completer's timestamp buffer for the latency vector (sorted in place) to keep peak memory per sample low.
    init(plan: QueryPlan, outcome: IssueOutcome, completer: QueryCompleter, settings s: EffectiveSettings) {
        scenario = s.scenario
        let spq = plan.samplesPerQuery
        queriesIssued = outcome.queriesIssued
        samplesIssued = outcome.samplesIssued
        duplicateCompletions = Int(completer.counter(.duplicate))
        unknownCompletions = Int(completer.counter(.unknown))
        partial = outcome.endReason == .cancelled
        endReason = "\(outcome.endReason)"

        let start = outcome.startNs
        let n = outcome.samplesIssued
        let comp = completer.completion
        // Close the slots of samples that never completed, so that a late completion can't race the sort.
        var missing = 0
        if completer.counter(.completed) < Int64(n) {
            for k in 0..<n where lg_cas(comp + k, 0, -1) { missing += 1 }
        }
        samplesNeverCompleted = missing

        func scheduled(_ q: Int) -> Int64 {
            switch s.scenario {
            case .server: return start + plan.scheduledDelta[q]
            case .offline: return start
            default: return outcome.issueTime[q]
            }
        }

        // Per-query latency (MultiStream) and the last completion, before the buffer becomes latencies.
        var maxCompletion = start
        var queryLat: [Int64] = []
        if s.scenario == .multiStream { queryLat.reserveCapacity(outcome.queriesIssued) }
        for q in 0..<outcome.queriesIssued {
            var qmax: Int64 = 0
            var complete = true
            let lo = q * spq, hi = Swift.min((q + 1) * spq, n)
            for k in lo..<hi {
                let c = comp[k]
                if c <= 0 { complete = false; continue }
                if c > qmax { qmax = c }
            }
            if qmax > maxCompletion { maxCompletion = qmax }
            if s.scenario == .multiStream && complete { queryLat.append(qmax - scheduled(q)) }
        }

        // Tokens: TTFT = first token − scheduled; TPOT = (latency − TTFT) / (tokens − 1).
        var ttftV: [Int64] = []
        var tpotV: [Int64] = []
        var tokens: Int64 = 0
        if let tk = completer.tokens {
            for q in 0..<outcome.queriesIssued {
                let sch = scheduled(q)
                for k in q * spq..<Swift.min((q + 1) * spq, n) where comp[k] > 0 {
                    tokens += tk[k]
                    if s.scenario != .offline, let ft = completer.firstToken, ft[k] > 0 {
                        let ttft = ft[k] - sch
                        ttftV.append(ttft)
                        if tk[k] > 1 { tpotV.append((comp[k] - sch - ttft) / (tk[k] - 1)) }
                    }
                }
            }
        }
        tokenCount = tokens

        // Sample latencies, in place: completion − scheduled; missing samples are dropped.
        var count = 0
        for q in 0..<outcome.queriesIssued {
            let sch = scheduled(q)
            for k in q * spq..<Swift.min((q + 1) * spq, n) {
                let c = comp[k]
                if c > 0 { comp[count] = c - sch; count += 1 }
            }
        }
        sampleCount = count
        var lat = UnsafeMutableBufferPointer(start: comp, count: count)
        lat.sort()
        let sortedLat = UnsafeBufferPointer(lat)
        sampleLatency = LatencyStats(sorted: sortedLat)

        targetPercentile = s.targetLatencyPercentile
        queryLatency = nil
        if s.scenario == .multiStream {
            queryLat.sort()
            let ql = queryLat.withUnsafeBufferPointer { LatencyStats(sorted: $0) }
            queryLatency = ql
            targetPercentileLatency = queryLat.withUnsafeBufferPointer { LatencyStats.percentile($0, s.targetLatencyPercentile) }
        } else {
            targetPercentileLatency = LatencyStats.percentile(sortedLat, s.targetLatencyPercentile)
        }

        let lastQ = Swift.max(outcome.queriesIssued - 1, 0)
        switch s.scenario {
        case .server: finalQueryScheduledTimeNs = outcome.queriesIssued > 0 ? plan.scheduledDelta[lastQ] : 0
        case .offline: finalQueryScheduledTimeNs = 0
        default: finalQueryScheduledTimeNs = outcome.queriesIssued > 0 ? outcome.issueTime[lastQ] - start : 0
        }
        finalQueryIssuedTimeNs = outcome.queriesIssued > 0 ? outcome.issueTime[lastQ] - start : 0
        finalQueryAllSamplesDoneTimeNs = maxCompletion - start

        // Over-latency count (Server): latencies above the bound, from the sorted vector.
        let bound = Int64(clamping: s.targetLatencyNs)
        overLatencyCount = s.scenario == .server ? PerformanceSummary.countAbove(sortedLat, bound) : 0

        var lagSorted = Array(outcome.lag.prefix(outcome.queriesIssued))
        if s.scenario == .singleStream || s.scenario == .multiStream, !lagSorted.isEmpty { lagSorted.removeFirst() }
        lagSorted.sort()
        issueLag = lagSorted.withUnsafeBufferPointer { LatencyStats(sorted: $0) }

        ttftV.sort(); tpotV.sort()
        if !ttftV.isEmpty {
            ttft = ttftV.withUnsafeBufferPointer { LatencyStats(sorted: $0) }
            tpot = tpotV.withUnsafeBufferPointer { LatencyStats(sorted: $0) }
        } else {
            ttft = nil; tpot = nil
        }
        let tokenRun = s.useTokenLatencies && s.scenario != .offline
        serverTTFTLatencyNs = s.serverTTFTLatency
        serverTPOTLatencyNs = s.serverTPOTLatency
        ttftTargetPercentileLatency = tokenRun ? ttftV.withUnsafeBufferPointer { LatencyStats.percentile($0, s.targetLatencyPercentile) } : nil
        tpotTargetPercentileLatency = tokenRun ? tpotV.withUnsafeBufferPointer { LatencyStats.percentile($0, s.targetLatencyPercentile) } : nil

        // Early stopping (spec §6). Token runs judge the TPOT and TTFT vectors against their own bounds instead.
        func judgeEarlyStopping(_ sorted: UnsafeBufferPointer<Int64>, bound: Int64) -> EarlyStoppingOutcome? {
            switch s.scenario {
            case .singleStream:
                return PerformanceSummary.closedLoopEarlyStopping(sorted, s, queries: outcome.queriesIssued, singleStream: true)
            case .multiStream:
                // MultiStream always uses the per-query latencies (the official code ignores the vector passed).
                return queryLat.withUnsafeBufferPointer {
                    PerformanceSummary.closedLoopEarlyStopping($0, s, queries: outcome.queriesIssued, singleStream: false)
                }
            case .server:
                return PerformanceSummary.serverEarlyStopping(overLatency: Int64(PerformanceSummary.countAbove(sorted, bound)),
                                                              queries: Int64(outcome.queriesIssued),
                                                              percentile: s.targetLatencyPercentile)
            case .offline:
                return nil
            }
        }
        if tokenRun {
            let tp = tpotV.withUnsafeBufferPointer { judgeEarlyStopping($0, bound: Int64(clamping: s.serverTPOTLatency)) }
            let tt = tp?.met == true
                ? ttftV.withUnsafeBufferPointer { judgeEarlyStopping($0, bound: Int64(clamping: s.serverTTFTLatency)) } : nil
            tpotEarlyStopping = tp
            ttftEarlyStopping = tt
            earlyStopping = nil
            earlyStoppingMet = (tp?.met ?? true) && (tt?.met ?? false)
        } else {
            let es = judgeEarlyStopping(sortedLat, bound: bound)
            tpotEarlyStopping = nil
            ttftEarlyStopping = nil
            earlyStopping = es
            earlyStoppingMet = es?.met ?? true
        }

        // Validity (spec §5).
        let minDurNs = Int64(clamping: s.minDurationMs) * 1_000_000
        let durationMeasured: Int64
        switch s.scenario {
        case .offline: durationMeasured = sampleLatency.max
        case .server: durationMeasured = finalQueryScheduledTimeNs
        default: durationMeasured = finalQueryIssuedTimeNs
        }
        minDurationMet = durationMeasured >= minDurNs
        minQueriesMet = UInt64(outcome.queriesIssued) >= s.minQueryCount && UInt64(count) >= s.minSampleCount
        // Server's perf constraint: the target-percentile latency within target_latency, or for token runs the
        // TTFT and TPOT percentiles within server_ttft_latency and server_tpot_latency (official PerfConstraintsMet).
        let ttftOK = (ttftTargetPercentileLatency ?? 0) <= Int64(clamping: s.serverTTFTLatency)
        let tpotOK = (tpotTargetPercentileLatency ?? 0) <= Int64(clamping: s.serverTPOTLatency)
        perfConstraintsMet = s.scenario != .server || (tokenRun ? ttftOK && tpotOK : targetPercentileLatency <= bound)

        self.rules = []
        var rules: [ValidityRule] = []
        let durationAdvice: String
        switch s.scenario {
        case .singleStream, .multiStream:
            let mean = s.scenario == .multiStream ? (queryLatency?.mean ?? 0) : sampleLatency.mean
            durationAdvice = "Decrease the expected latency so the loadgen pre-generates more queries"
                + (mean > 0 ? " (measured mean latency \(mean) ns; try expected latency ≈ \(mean) ns)." : ".")
        case .server:
            durationAdvice = "Increase the target QPS so the loadgen pre-generates more queries."
        case .offline:
            let rate = samplesPerSecond
            durationAdvice = "Increase expected QPS so the loadgen pre-generates a larger (coalesced) query"
                + (rate > 0 ? " (measured \(Int(rate)) samples/s; set offline_expected_qps ≥ \(Int(rate.rounded(.up))))." : ".")
        }
        rules.append(ValidityRule(rule: "min_duration", passed: minDurationMet,
                                  measured: "\(durationMeasured / 1_000_000) ms", required: "≥ \(s.minDurationMs) ms",
                                  advice: minDurationMet ? nil : durationAdvice))
        let moreQ = Swift.max(Int64(clamping: s.minQueryCount) - Int64(outcome.queriesIssued), 0)
        rules.append(ValidityRule(rule: "min_queries", passed: minQueriesMet,
                                  measured: "\(outcome.queriesIssued) queries, \(count) samples",
                                  required: "≥ \(s.minQueryCount) queries, ≥ \(s.minSampleCount) samples",
                                  advice: minQueriesMet ? nil : "The test exited early, before enough queries were issued (\(endReasonText(outcome.endReason))); process at least \(Swift.max(moreQ, 1)) more queries."))
        if s.scenario == .server {
            let suggested = Swift.min(s.targetQPS, completedSamplesPerSecond / Double(Swift.max(spq, 1))) * 0.9
            let p = pctLabel(s.targetLatencyPercentile)
            if tokenRun {
                // The official recommendation (TTFT first, then TPOT on its own line), with our hint.
                rules.append(ValidityRule(rule: "perf_constraints", passed: perfConstraintsMet,
                                          measured: "p\(p) TTFT \(ttftTargetPercentileLatency ?? 0) ns, p\(p) TPOT \(tpotTargetPercentileLatency ?? 0) ns",
                                          required: "TTFT ≤ \(s.serverTTFTLatency) ns, TPOT ≤ \(s.serverTPOTLatency) ns",
                                          advice: perfConstraintsMet ? nil
                                            : officialPerfRecommendation + " (try about \(Int(suggested)) QPS)"))
            } else {
                rules.append(ValidityRule(rule: "perf_constraints", passed: perfConstraintsMet,
                                          measured: "p\(p) latency \(targetPercentileLatency) ns",
                                          required: "≤ \(bound) ns",
                                          advice: perfConstraintsMet ? nil : "Reduce target QPS to improve latency (try about \(Int(suggested)) QPS)."))
            }
        }
        if let es = earlyStopping {
            rules.append(ValidityRule(rule: "early_stopping", passed: es.met, measured: es.met ? "met" : "not met",
                                      required: "met at 99% confidence",
                                      advice: es.met ? nil : "Process at least \(es.moreQueriesNeeded ?? 1) more queries."))
        } else if tokenRun {
            let tp = tpotEarlyStopping, tt = ttftEarlyStopping
            let failed = tp?.met == false ? ("TPOT", tp) : ("TTFT", tt)
            let more = failed.1?.moreQueriesNeeded
            rules.append(ValidityRule(rule: "early_stopping", passed: earlyStoppingMet,
                                      measured: "TPOT \(tp.map { $0.met ? "met" : "not met" } ?? "n/a"), TTFT \(tt.map { $0.met ? "met" : "not met" } ?? "not evaluated")",
                                      required: "TPOT and TTFT early stopping met at 99% confidence",
                                      advice: earlyStoppingMet ? nil
                                        : "\(failed.0) early stopping not met: process at least \(more ?? 1) more queries."))
        }
        if missing > 0 {
            rules.append(ValidityRule(rule: "all_samples_completed", passed: false,
                                      measured: "\(missing) of \(n) samples never completed", required: "all issued samples complete",
                                      advice: "The SUT stopped completing samples (\(endReasonText(outcome.endReason))); check that it completes every sample it is issued."))
        }
        let failures = completer.failures
        if failures.count > 0 {
            rules.append(ValidityRule(rule: "sut_failures", passed: false,
                                      measured: "\(failures.count) of \(n) samples failed in the SUT"
                                        + (failures.firstReason.map { " (first: \($0))" } ?? ""),
                                      required: "every issued sample served",
                                      advice: "The SUT could not serve these samples (network error, error status, malformed "
                                        + "response or timeout); mlperf_log_detail.txt has the first reason."))
        }
        if duplicateCompletions > 0 || unknownCompletions > 0 {
            rules.append(ValidityRule(rule: "responses_well_formed", passed: false,
                                      measured: "\(duplicateCompletions) duplicate and \(unknownCompletions) unknown response ids",
                                      required: "each issued sample completed exactly once",
                                      advice: "The SUT completed ids it was not issued, or completed a sample twice."))
        }
        if completer.tokens != nil {
            let early = completer.counter(.beforeFirstToken), late = completer.counter(.firstTokenAfterCompletion)
            if early > 0 || late > 0 {
                rules.append(ValidityRule(rule: "first_tokens", passed: false,
                                          measured: "\(early) samples completed without a first token, \(late) first tokens after completion",
                                          required: "every sample reports its first token, then completes",
                                          advice: "Attempted to record a sample latency before it's first token latency: with "
                                            + "use_token_latencies the SUT must call firstToken for each sample before completing it "
                                            + "(TTFT and TPOT are computed from it)."))
            }
            let bad = completer.counter(.badTokens)
            if bad > 0 {
                rules.append(ValidityRule(rule: "token_counts", passed: false, measured: "\(bad) responses with n_tokens ≤ 1",
                                          required: "n_tokens > 1",
                                          advice: "Number of tokens need to be greater than 1. With use_token_latencies (LLM "
                                            + "benchmarks: TTFT and TPOT decide validity) the SUT must report each sample's first "
                                            + "token and its output token count, as the built-in llm:<first-token µs>:<µs per "
                                            + "token>:<tokens> SUT does."))
            }
        }
        if partial {
            rules.append(ValidityRule(rule: "complete_run", passed: false, measured: "interrupted",
                                      required: "the run not interrupted", advice: "The run was cancelled; its figures are partial."))
        }
        self.rules = rules
    }

    /// How many of the ascending `sorted` latencies exceed `bound` (binary search).
    static func countAbove(_ sorted: UnsafeBufferPointer<Int64>, _ bound: Int64) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi { let m = (lo + hi) / 2; if sorted[m] > bound { hi = m } else { lo = m + 1 } }
        return sorted.count - lo
    }

    static func closedLoopEarlyStopping(_ sorted: UnsafeBufferPointer<Int64>, _ s: EffectiveSettings, queries: Int,
                                        singleStream: Bool) -> EarlyStoppingOutcome {
        var es = EarlyStopping(percentile: s.targetLatencyPercentile)
        let need = es.minimumQueries()
        let p = pctLabel(s.targetLatencyPercentile)
        guard let (est, discarded) = es.estimate(sortedLatencies: sorted) else {
            return EarlyStoppingOutcome(met: false,
                text: " * Only processed \(queries) queries.\n * Need to process at least \(need) queries for early stopping.",
                estimate: nil, estimate99: nil, moreQueriesNeeded: need - Int64(queries))
        }
        var text = " * Processed at least \(need) queries (\(queries)).\n * Would discard \(discarded) highest latency queries.\n * Early stopping \(p)th percentile estimate: \(est)"
        var est99: Int64? = nil
        if singleStream {
            var es99 = EarlyStopping(percentile: 0.99)
            if let (e, _) = es99.estimate(sortedLatencies: sorted) {
                est99 = e
                text += "\n * Early stopping 99.0th percentile estimate: \(e)"
            } else {
                text += "\n * Not enough queries processed for 99.0th percentile\n early stopping estimate (would need to process at\n least \(es99.minimumQueries()) total queries)."
            }
        }
        return EarlyStoppingOutcome(met: true, text: text, estimate: est, estimate99: est99, moreQueriesNeeded: nil)
    }

    static func serverEarlyStopping(overLatency t: Int64, queries n: Int64, percentile p: Double) -> EarlyStoppingOutcome {
        var es = EarlyStopping(percentile: p)
        let h = es.minPassing(overLatency: t)
        if n >= h + t {
            return EarlyStoppingOutcome(met: true, text: " * Run successful.", estimate: nil, estimate99: nil, moreQueriesNeeded: nil)
        }
        let more = h + t - n
        return EarlyStoppingOutcome(met: false,
            text: " * Run unsuccessful.\n * Processed \(n) queries.\n * Would need to run at least \(more) more queries,\n with the run being successful if every additional\n query were under latency.",
            estimate: nil, estimate99: nil, moreQueriesNeeded: more)
    }
}

func endReasonText(_ r: EndReason) -> String {
    switch r {
    case .natural: return "ended naturally"
    case .ranOut: return "ran out of generated queries"
    case .maxQueryCount: return "max_query_count reached"
    case .maxDuration: return "max_duration reached"
    case .tooManyOutstanding: return "too many outstanding queries"
    case .cancelled: return "cancelled"
    case .completionTimeout: return "the SUT stopped completing samples before the watchdog expired"
    }
}

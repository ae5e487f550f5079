import CLoadGenSupport
import MLLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of `LoadGen.run`.
public struct TestResult: Sendable {
    public var settings: EffectiveSettings
    public var sutName: String
    /// The (last) performance run; nil in accuracy-only mode.
    public var performance: PerformanceSummary?
    /// FindPeakPerformance: the highest target QPS that met the latency constraint.
    public var peakQPS: Double?
    /// Responses written to the accuracy log.
    public var accuracyLoggedSamples: Int
    public var summaryText: String?
    public var errors: [String]
    public var warnings: [String]
    public var files: [String]
    public var partial: Bool
    /// Why no test was performed (invalid settings, a QSL without samples, a mode the scenario does not support,
    /// an unreadable audit.config); nil when the mode's phases ran. The detail log has the same as an error.
    public var noTestReason: String?

    /// VALID ⇔ a performance run was judged VALID and no error was logged.
    public var isValid: Bool { (performance?.isValid ?? false) && errors.isEmpty && !partial }
}

/// The MLPerf inference load generator.
public enum LoadGen {
    /// The official LoadGen version whose behaviour this implements.
    public static let compatibleVersion = "6.0.17"
    public static let version = "6.0.17 (SwiftMLPerf)"

    /// Runs a whole test on the calling thread (the issue thread): settings ← audit.config, then the mode's phases,
    /// then the logs. Throws only when it cannot write logs or the QSL fails; everything else is logged and judged.
    public static func run(sut: any SystemUnderTest, qsl: any QuerySampleLibrary, settings requested: TestSettings,
                           options: RunOptions = RunOptions()) throws -> TestResult {
        var t = try TestRun(sut: sut, qsl: qsl, requested: requested, options: options)
        return try t.execute()
    }
}

/// One `LoadGen.run`: sequence ids and the accuracy-log RNG live across its phases, as in the official SequenceGen.
struct TestRun {
    let sut: any SystemUnderTest
    let qsl: any QuerySampleLibrary
    var requested: TestSettings
    let options: RunOptions
    let detail: DetailLog
    var sequenceRNG = MT19937(seed: 5489)
    var nextSequenceID = 0
    var accuracyEntries: [(seq: Int, qsl: Int, data: [UInt8], tokens: Int?, tokenData: [UInt8]?)] = []
    var cancelled = false
    let live = LiveCounters()
    let originNs = lg_now_ns()

    init(sut: any SystemUnderTest, qsl: any QuerySampleLibrary, requested: TestSettings, options: RunOptions) throws {
        self.sut = sut
        self.qsl = qsl
        self.requested = requested
        self.options = options
        try makeDirectories(options.log.outputDirectory)
        detail = try DetailLog(path: options.log.path("detail", "txt"), originNs: originNs)
    }

    mutating func execute() throws -> TestResult {
        detail.log("loadgen_version", .string(LoadGen.version))
        detail.log("loadgen_build_date_local", "n/a")
        detail.log("loadgen_build_date_utc", "n/a")
        detail.log("loadgen_git_commit_date", "n/a")
        detail.log("loadgen_git_log_message", .string("SwiftMLPerf LoadGen, behaviour of the official LoadGen \(LoadGen.compatibleVersion)"))
        detail.log("loadgen_git_status_message", "")
        detail.log("loadgen_file_sha1", .object([]))
        detail.log("test_datetime", .string(TestRun.isoDate(lg_wall_ns())))
        let t0 = lg_now_ns()
        let sutName = sut.name
        detail.log("sut_name", .string(sutName))
        detail.log("get_sut_name_duration_ns", .int(lg_now_ns() - t0))
        detail.log("qsl_name", .string(qsl.name))
        detail.log("qsl_reported_total_count", .int(Int64(qsl.totalSampleCount)))
        detail.log("qsl_reported_performance_count", .int(Int64(qsl.performanceSampleCount)))
        for note in options.configNotes { detail.warning(note) }

        // An audit.config that exists but cannot be read or applied stops the test: running without it would give
        // a compliance run the wrong settings.
        var auditProblem: String? = nil
        if let audit = options.auditConfigPath, access(audit, F_OK) == 0 {
            let name = audit.split(separator: "/").last.map(String.init) ?? audit
            detail.warning("Found Audit Config file (\(name)). Overriding TestSettings from audit.config file.")
            do {
                let conf = try ConfigFile(path: audit)
                try requested.apply(conf, model: options.model, kind: .auditConfig)
            } catch {
                detail.error("error_invalid_config", "\(error)")
                auditProblem = "\(error)"
            }
        }
        let e = EffectiveSettings(requested, qslTotalCount: qsl.totalSampleCount,
                                  qslPerformanceCount: qsl.performanceSampleCount)
        detail.logSettings(requested: requested, effective: e)
        if requested.performanceIssueUnique && requested.performanceIssueSame {
            detail.error("error_invalid_test_settings", "Performance_issue_unique and performance_issue_same, both cannot be true at the same time.")
        }
        if requested.performanceIssueSame && e.performanceIssueSameIndex >= e.performanceSampleCount {
            detail.error("error_invalid_test_settings", "Sample Idx to be repeated in performance_issue_same mode cannot be greater than loaded performance_sample_count.")
        }
        if requested.serverNumIssueQueryThreads > 0 {
            detail.warning("server_num_issue_query_threads is not supported: queries are issued from the test thread.")
        }
        var noTest: String? = auditProblem
        for problem in requested.problems() {
            detail.error("error_invalid_test_settings", problem)
            noTest = noTest ?? problem
        }
        if e.performanceSampleCount == 0 || qsl.totalSampleCount == 0 {
            let problem = "The QSL reports no samples (total \(qsl.totalSampleCount), performance \(e.performanceSampleCount))."
            detail.error("error_invalid_test_settings", problem)
            noTest = noTest ?? problem
        }
        if noTest == nil && e.mode == .findPeakPerformance && e.scenario != .server {
            // As the official FindPeakPerformanceMode: it starts, then refuses the scenario.
            detail.log("generic_message", "Starting FindPeakPerformance mode")
            let problem = "Finding peak performance is only supported in Server scenarios."
            detail.error("error_invalid_config", problem)
            noTest = problem
        }
        if noTest == nil, e.mode != .accuracyOnly, !e.performanceIssueUnique,
           let problem = QueryBudget.check(e, limitBytes: options.queryMemoryLimitBytes) {
            detail.error("error_invalid_test_settings", problem)
            noTest = problem
        }
        if let noTest {
            // The reason is in the error above, results.json and the CLI's message (not as an extra log record).
            return try finish(e, sutName: sutName, performance: nil, peak: nil, noTest: noTest)
        }

        var performance: PerformanceSummary? = nil
        var peak: Double? = nil
        switch e.mode {
        case .accuracyOnly:
            try runAccuracy(e)
        case .performanceOnly:
            performance = try runPerformance(e)
        case .submissionRun:
            try runAccuracy(e)
            if !cancelled { performance = try runPerformance(e) }
        case .findPeakPerformance:
            (performance, peak) = try findPeak(e)
        }
        return try finish(e, sutName: sutName, performance: performance, peak: peak)
    }

    // MARK: Phases

    mutating func runPerformance(_ e: EffectiveSettings) throws -> PerformanceSummary {
        detail.log("generic_message", "Starting performance mode")
        let padding = e.scenario == .multiStream ? Int(clamping: e.samplesPerQuery) - 1 : 0
        let sets = generateLoadableSets(total: qsl.totalSampleCount, requested: Int(clamping: e.performanceSampleCount),
                                        setSize: Int(clamping: e.performanceSampleCount), seed: e.qslRngSeed, padding: padding)
        let set = sets[0]
        try load(set)
        detail.log("loaded_qsl_set", .array(set.indices.map { .int(Int64($0)) }))
        let sampling = e.accuracyLogProbability > 0 || e.accuracyLogSamplingTarget > 0
        let plan = generateQueries(e, kind: .performance, set: set, sequenceRNG: &sequenceRNG, keepAccuracyLogValues: sampling)
        logGenerated(plan)
        var capture: AccuracyCapture? = nil
        if sampling {
            var r = MT19937(seed: e.accuracyLogRngSeed)
            let offset = r.canonical()
            var prob = e.accuracyLogProbability
            if e.accuracyLogSamplingTarget > 0 {
                let expected: UInt64 = e.scenario == .offline
                    ? max(saturatingUInt64(e.targetQPS * Double(e.minDurationMs) / 1000), e.minSampleCount)
                    : max(saturatingProduct(saturatingUInt64(e.targetQPS * Double(e.minDurationMs) / 1000), e.samplesPerQuery),
                          e.minSampleCount)
                prob = expected > 0 ? Double(e.accuracyLogSamplingTarget) / Double(expected) : 1
            }
            capture = AccuracyCapture(logAll: false, probability: prob, offset: offset, values: plan.accuracyLogValue)
        }
        let (outcome, completer) = issue(plan, e, kind: .performance, capture: capture, phase: "performance")
        logEnd(outcome, e)
        reportResponseErrors(completer)
        collectAccuracy(capture, plan: plan, firstID: completer.firstID)
        let summary = PerformanceSummary(plan: plan, outcome: outcome, completer: completer, settings: e)
        checkClocks(outcome)
        let powerEnd = outcome.startWallNs + summary.finalQueryAllSamplesDoneTimeNs
        detail.logSeriesEnd(powerBegin: TestRun.powerDate(outcome.startWallNs), powerEnd: TestRun.powerDate(powerEnd))
        detail.logResults(summary, e)
        detail.log("num_errors", .int(Int64(detail.errors.count)))
        try unload(set)
        nextSequenceID += plan.sampleCount
        return summary
    }

    mutating func runAccuracy(_ e: EffectiveSettings) throws {
        detail.log("generic_message", "Starting accuracy mode")
        let padding = e.scenario == .multiStream ? Int(clamping: e.samplesPerQuery) - 1 : 0
        let sets = generateLoadableSets(total: qsl.totalSampleCount, requested: Int(clamping: e.accuracySampleCount),
                                        setSize: Int(clamping: e.performanceSampleCount), seed: e.qslRngSeed, padding: padding)
        for set in sets {
            try load(set)
            detail.log("loaded_qsl_set", .array(set.indices.map { .int(Int64($0)) }))
            let plan = generateQueries(e, kind: .accuracy, set: set, sequenceRNG: &sequenceRNG, keepAccuracyLogValues: false)
            logGenerated(plan)
            let capture = AccuracyCapture(logAll: true, probability: 1, offset: 0, values: [])
            let (outcome, completer) = issue(plan, e, kind: .accuracy, capture: capture, phase: "accuracy")
            if outcome.waitTimedOut || outcome.endReason == .completionTimeout {
                detail.error("error_runtime", "Accuracy run: the SUT did not complete all \(outcome.samplesIssued) issued samples before the watchdog (\(options.completionTimeoutNs / 1_000_000_000) s without a completion).")
            }
            reportResponseErrors(completer)
            var lastCompletion = outcome.startNs
            for k in 0..<plan.sampleCount where completer.completion[k] > lastCompletion { lastCompletion = completer.completion[k] }
            detail.logSeriesEnd(powerBegin: TestRun.powerDate(outcome.startWallNs),
                                powerEnd: TestRun.powerDate(outcome.startWallNs + lastCompletion - outcome.startNs))
            collectAccuracy(capture, plan: plan, firstID: completer.firstID)
            try unload(set)
            nextSequenceID += plan.sampleCount
            if outcome.endReason == .cancelled { cancelled = true; break }
        }
    }

    /// FindPeakPerformance (Server): widen the QPS until the latency bound fails, then bisect.
    mutating func findPeak(_ e: EffectiveSettings) throws -> (PerformanceSummary?, Double?) {
        var s = e
        var lastGood: PerformanceSummary? = nil
        func runAt(_ qps: Double, _ t: inout TestRun) throws -> PerformanceSummary {
            s.targetQPS = qps
            t.detail.log("generic_message", .string("FindPeakPerformance: running at target QPS \(qps)"))
            return try t.runPerformance(s)
        }
        var lower = e.targetQPS
        let first = try runAt(lower, &self)
        if !first.perfConstraintsMet || cancelled {
            detail.error("error_runtime", "FindPeakPerformance: the latency constraint is not met at the starting target QPS \(lower); lower server_target_qps.")
            return (first, nil)
        }
        lastGood = first
        var upper = lower
        while true {
            upper = lower * (1 + requested.serverFindPeakQPSBoundaryStepSize)
            var next = s
            next.targetQPS = upper
            if let problem = QueryBudget.check(next, limitBytes: options.queryMemoryLimitBytes) {
                detail.error("error_invalid_test_settings", "FindPeakPerformance stopped before \(upper) QPS: \(problem) "
                             + "The peak is at least \(lower) QPS.")
                return (lastGood, lower)
            }
            let r = try runAt(upper, &self)
            if cancelled { return (lastGood, lower) }
            if !r.perfConstraintsMet { break }
            lower = upper
            lastGood = r
        }
        let scale = pow(10.0, Double(requested.serverFindPeakQPSDecimalsOfPrecision))
        while (lower * scale).rounded(.down) + 1 < (upper * scale).rounded(.down) {
            let mid = lower + (upper - lower) / 2
            let r = try runAt(mid, &self)
            if cancelled { break }
            if r.perfConstraintsMet { lower = mid; lastGood = r } else { upper = mid }
        }
        detail.log("generic_message", .string("FindPeakPerformance: peak QPS \(lower)"))
        return (lastGood, lower)
    }

    // MARK: Pieces

    mutating func issue(_ plan: QueryPlan, _ e: EffectiveSettings, kind: IssueKind, capture: AccuracyCapture?,
                        phase: String) -> (IssueOutcome, QueryCompleter) {
        let completer = QueryCompleter(firstID: nextSequenceID, count: plan.sampleCount, tokens: e.useTokenLatencies,
                                       needsFirstToken: e.scenario != .offline,
                                       accuracy: capture)
        let issuer = Issuer(settings: e, kind: kind, sut: sut, completer: completer, cancellation: options.cancellation,
                            completionTimeoutNs: options.completionTimeoutNs, live: live)
        live.reset()
        let monitor = options.progress.map { callback in
            ProgressMonitor(live: live, completer: completer, phase: phase, plannedQueries: plan.queryCount,
                            minDurationNs: kind == .performance ? Int64(clamping: e.minDurationMs) * 1_000_000 : 0,
                            intervalMs: options.progressIntervalMs, callback: callback)
        }
        let outcome = issuer.run(plan)
        monitor?.stop()
        if outcome.endReason == .cancelled { cancelled = true }
        return (outcome, completer)
    }

    func logGenerated(_ plan: QueryPlan) {
        detail.log("generated_query_count", .int(Int64(plan.queryCount)))
        detail.log("generated_samples_per_query", .int(Int64(plan.samplesPerQuery)))
        detail.log("generated_query_duration", .int(plan.durationNs))
    }

    func logEnd(_ o: IssueOutcome, _ e: EffectiveSettings) {
        switch o.endReason {
        case .natural:
            // The official issue loop says so in every scenario but Server (whose loop has no such check).
            if e.scenario != .server {
                detail.log("generic_message", "Ending naturally: Minimum query count and test duration met.")
            }
        case .ranOut:
            detail.error("error_runtime", "Ending early: Ran out of generated queries to issue before the minimum query count and test duration were reached. Please update the relevant expected latency or target qps in the TestSettings so they are more accurate.")
        case .maxQueryCount:
            detail.error("error_runtime", "Ending early: Max query count reached.")
        case .maxDuration:
            detail.error("error_runtime", "Ending early: Max test duration reached.")
        case .tooManyOutstanding:
            detail.error("error_runtime", "Ending early: Too many outstanding queries. issued \(o.queriesIssued), max_async_queries \(e.maxAsyncQueries).")
        case .cancelled:
            detail.error("error_runtime", "Ending early: the test was interrupted; results are partial.")
        case .completionTimeout:
            detail.error("error_runtime", "Ending early: the SUT did not complete the outstanding query within \(options.completionTimeoutNs / 1_000_000_000) s.")
        }
        if o.waitTimedOut {
            detail.error("error_runtime", "The SUT did not complete all issued samples before \(e.maxDurationMs > 0 ? "max_duration" : "the watchdog (\(options.completionTimeoutNs / 1_000_000_000) s without a completion)").")
        }
    }

    func reportResponseErrors(_ c: QueryCompleter) {
        let dup = c.counter(.duplicate), unknown = c.counter(.unknown)
        if dup > 0 { detail.error("error_runtime", "The SUT completed \(dup) samples more than once.") }
        if unknown > 0 { detail.error("error_runtime", "The SUT completed \(unknown) response ids that were not issued in this run.") }
        let failures = c.failures
        if failures.count > 0 {
            detail.error("error_runtime", "The SUT failed \(failures.count) samples; first: \(failures.firstReason ?? "(no reason given)")")
        }
        let bad = c.counter(.badTokens)
        if bad > 0 { detail.error("error_runtime", "\(bad) responses reported n_tokens ≤ 1: Number of tokens need to be greater than 1.") }
        let early = c.counter(.beforeFirstToken)
        if early > 0 {
            detail.error("error_runtime", "\(early) samples completed without a first token: Attempted to record a sample latency before it's first token latency")
        }
        let late = c.counter(.firstTokenAfterCompletion)
        if late > 0 { detail.error("error_runtime", "\(late) first tokens arrived after their sample had completed.") }
    }

    mutating func collectAccuracy(_ capture: AccuracyCapture?, plan: QueryPlan, firstID: Int) {
        guard let capture else { return }
        let entries = capture.entries.withLock { $0 }
        let tokenData = capture.tokenData.withLock { $0 }
        for e in entries {
            accuracyEntries.append((seq: firstID + e.seq, qsl: Int(plan.sampleIndex[e.seq]), data: e.data,
                                    tokens: requested.useTokenLatencies ? e.tokenCount : nil,
                                    tokenData: requested.useTokenLatencies && requested.scenario != .offline ? (tokenData[e.seq] ?? []) : nil))
        }
    }

    func load(_ set: LoadableSet) throws {
        do { try qsl.loadSamplesToRAM(set.indices) } catch {
            detail.error("error_runtime", "LoadSamplesToRam failed: \(error)")
            throw LoadGenError.qsl("loading samples failed: \(error)")
        }
    }

    func unload(_ set: LoadableSet) throws {
        do { try qsl.unloadSamplesFromRAM(set.indices) } catch {
            detail.error("error_runtime", "UnloadSamplesFromRam failed: \(error)")
        }
    }

    func checkClocks(_ o: IssueOutcome) {
        let mono = Double(lg_now_ns() - o.startNs)
        let wall = Double(lg_wall_ns() - o.startWallNs)
        guard mono > 1e8 else { return }
        let ratio = wall / mono
        if ratio < 0.99 || ratio > 1.01 {
            detail.error("error_runtime", "PerfClock and system_clock differ by more than 1%!")
        } else if ratio < 0.999 || ratio > 1.001 {
            detail.warning("PerfClock and system_clock differ by more than 0.1%!")
        }
    }

    mutating func finish(_ e: EffectiveSettings, sutName: String, performance p: PerformanceSummary?,
                         peak: Double?, noTest: String? = nil) throws -> TestResult {
        var files = [detail.path]
        let accPath = options.log.path("accuracy", "json")
        try AccuracyLogWriter.write(path: accPath, entries: accuracyEntries)
        files.append(accPath)
        var summary: String? = nil
        if let p {
            // The footer counts include the final num_errors line's own state, as the official summary does.
            let text = SummaryText.render(sutName: sutName, s: e, p: p, warnings: detail.warnings.count,
                                          errors: detail.errors.count)
            let path = options.log.path("summary", "txt")
            try writeFile(path, text)
            files.insert(path, at: 0)
            summary = text
        } else {
            // Without a performance run the official LoadGen still writes the summary: its warning and error lines.
            var text = ""
            SummaryText.footer(warnings: detail.warnings.count, errors: detail.errors.count, &text)
            let path = options.log.path("summary", "txt")
            try writeFile(path, text)
            files.insert(path, at: 0)
        }
        var result = TestResult(settings: e, sutName: sutName, performance: p, peakQPS: peak,
                                accuracyLoggedSamples: accuracyEntries.count, summaryText: summary,
                                errors: detail.errors, warnings: detail.warnings, files: files, partial: cancelled,
                                noTestReason: noTest)
        let jsonPath = options.log.outputDirectory + "/results.json"
        try writeFile(jsonPath, ResultsJSON.render(result, model: options.model, requested: requested))
        result.files.append(jsonPath)
        return result
    }

    static func isoDate(_ wallNs: Int64) -> String {
        var t = time_t(wallNs / 1_000_000_000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return format4(Int(tmv.tm_year) + 1900) + "-" + two(Int(tmv.tm_mon) + 1) + "-" + two(Int(tmv.tm_mday))
            + "T" + two(Int(tmv.tm_hour)) + ":" + two(Int(tmv.tm_min)) + ":" + two(Int(tmv.tm_sec)) + "Z"
    }

    /// `%m-%d-%Y %H:%M:%S.mmm` in UTC, as the official power_begin/power_end.
    static func powerDate(_ wallNs: Int64) -> String {
        var t = time_t(wallNs / 1_000_000_000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let ms = Int((wallNs / 1_000_000) % 1000)
        return two(Int(tmv.tm_mon) + 1) + "-" + two(Int(tmv.tm_mday)) + "-" + format4(Int(tmv.tm_year) + 1900) + " "
            + two(Int(tmv.tm_hour)) + ":" + two(Int(tmv.tm_min)) + ":" + two(Int(tmv.tm_sec)) + "."
            + String(repeating: "0", count: 3 - String(ms).count) + String(ms)
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    static func format4(_ v: Int) -> String { String(repeating: "0", count: max(0, 4 - String(v).count)) + String(v) }
}

/// Polls the live counters from its own thread and reports progress; the issue loop never calls back.
final class ProgressMonitor: @unchecked Sendable {
    private let stopFlag = CancellationFlag()
    private var thread = pthread_t()

    init(live: LiveCounters, completer: QueryCompleter, phase: String, plannedQueries: Int, minDurationNs: Int64,
         intervalMs: Int, callback: @escaping @Sendable (RunProgress) -> Void) {
        let stop = stopFlag
        let body: @Sendable () -> Void = {
            while !stop.isCancelled {
                var slept = 0
                while slept < intervalMs && !stop.isCancelled {
                    Issuer.sleep(ns: 10_000_000)
                    slept += 10
                }
                if stop.isCancelled { break }
                let start = live.startNs
                callback(RunProgress(phase: phase, issuedQueries: live.queries, plannedQueries: plannedQueries,
                                     completedSamples: Int(completer.counter(.completed)), issuedSamples: live.samples,
                                     elapsedNs: start > 0 ? lg_now_ns() - start : 0, minDurationNs: minDurationNs))
            }
        }
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        pthread_create(&thread, nil, { raw in
            let b = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            b.body()
            return nil
        }, box)
    }

    func stop() {
        stopFlag.cancel()
        pthread_join(thread, nil)
    }
}

final class ThreadBody: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

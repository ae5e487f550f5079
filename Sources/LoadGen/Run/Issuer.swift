import CLoadGenSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why issuing stopped.
enum EndReason: Equatable {
    case natural            // min query count and duration met (or all queries issued: Server, Offline, accuracy)
    case ranOut             // the pre-generated queries ran out first (SS/MS)
    case maxQueryCount
    case maxDuration
    case tooManyOutstanding
    case cancelled
    case completionTimeout  // the SUT stopped completing (SS/MS wait, or the final wait)
}

/// What one issuing series did, in flat per-query arrays.
struct IssueOutcome {
    var startNs: Int64 = 0
    var startWallNs: Int64 = 0
    var queriesIssued = 0
    var samplesIssued = 0
    var issueTime: [Int64] = []
    /// Issue lag per query: Server and Offline: actual issue − scheduled time; SingleStream/MultiStream: issue −
    /// completion of the previous query (the generator's turnaround).
    var lag: [Int64] = []
    var endReason: EndReason = .natural
    var lastIssueNs: Int64 = 0
    var waitTimedOut = false
}

/// Issues a query plan to a SUT on the calling thread, in the way the scenario prescribes (spec §4.4).
struct Issuer {
    let settings: EffectiveSettings
    let kind: IssueKind
    let sut: any SystemUnderTest
    let completer: QueryCompleter
    let cancellation: CancellationFlag?
    let completionTimeoutNs: Int64
    let live: LiveCounters

    func run(_ plan: QueryPlan) -> IssueOutcome {
        var out = IssueOutcome()
        let n = plan.queryCount
        var issueTime = [Int64](repeating: 0, count: n)
        var lagTime = [Int64](repeating: 0, count: n)
        plan.sampleIndex.withUnsafeBufferPointer { idx in
            issueTime.withUnsafeMutableBufferPointer { issue in
                lagTime.withUnsafeMutableBufferPointer { lag in
                    guard let base = idx.baseAddress else { return }
                    switch settings.scenario {
                    case .singleStream, .multiStream:
                        closedLoop(plan, base, issue, lag, &out)
                    case .server:
                        server(plan, base, issue, lag, &out)
                    case .offline:
                        out.startWallNs = lg_wall_ns()
                        let now = lg_now_ns()
                        out.startNs = now
                        live.start(now)
                        issue[0] = now
                        sut.issueQuery(QuerySampleBatch(firstID: completer.firstID, indices: base, count: plan.sampleCount),
                                       completer: completer)
                        out.queriesIssued = 1
                        out.samplesIssued = plan.sampleCount
                        out.lastIssueNs = now
                        live.issued(1, plan.sampleCount)
                    }
                }
            }
        }
        out.issueTime = issueTime
        out.lag = lagTime
        sut.flushQueries()
        if out.endReason != .completionTimeout { waitForCompletion(&out) }
        return out
    }

    private var minDurationNs: Int64 { Int64(clamping: settings.minDurationMs) * 1_000_000 }
    private var maxDurationNs: Int64 { Int64(clamping: settings.maxDurationMs) * 1_000_000 }

    /// SingleStream / MultiStream: one query outstanding; the next is issued as soon as the previous completes.
    private func closedLoop(_ plan: QueryPlan, _ idx: UnsafePointer<Int32>, _ issue: UnsafeMutableBufferPointer<Int64>,
                            _ lag: UnsafeMutableBufferPointer<Int64>, _ out: inout IssueOutcome) {
        let spq = plan.samplesPerQuery
        let performance = kind == .performance
        let minQueries = Int(clamping: settings.minQueryCount)
        let maxQueries = Int(clamping: settings.maxQueryCount)
        let firstID = completer.firstID
        let completion = completer.completion
        out.startWallNs = lg_wall_ns()
        let start = lg_now_ns()
        out.startNs = start
        live.start(start)
        out.endReason = performance ? .ranOut : .natural
        var q = 0
        while q < plan.queryCount {
            let needed = Int64(q * spq)
            if lg_load(completer.counters) < needed && !waitCompleted(needed, since: lg_now_ns()) {
                out.endReason = cancellation?.isCancelled == true ? .cancelled : .completionTimeout
                break
            }
            let now = lg_now_ns()
            if q > 0 {
                var done: Int64 = 0
                for j in (q - 1) * spq..<q * spq { done = max(done, lg_load_relaxed(completion + j)) }
                lag[q] = now - done
            }
            issue[q] = now
            sut.issueQuery(QuerySampleBatch(firstID: firstID &+ q * spq, indices: idx + q * spq, count: spq),
                           completer: completer)
            q += 1
            out.queriesIssued = q
            out.samplesIssued = q * spq
            out.lastIssueNs = now
            live.issued(q, q * spq)
            if cancellation?.isCancelled == true { out.endReason = .cancelled; break }
            guard performance else { continue }
            if q >= minQueries && now - start >= minDurationNs { out.endReason = .natural; break }
            if maxQueries > 0 && q >= maxQueries { out.endReason = .maxQueryCount; break }
            if maxDurationNs > 0 && now - start >= maxDurationNs { out.endReason = .maxDuration; break }
        }
    }

    /// Server: queries at their Poisson-scheduled times; sleeps for long gaps and spins for the last ~100 µs.
    private func server(_ plan: QueryPlan, _ idx: UnsafePointer<Int32>, _ issue: UnsafeMutableBufferPointer<Int64>,
                        _ lag: UnsafeMutableBufferPointer<Int64>, _ out: inout IssueOutcome) {
        let spq = plan.samplesPerQuery
        let n = plan.queryCount
        let performance = kind == .performance
        let coalesce = settings.serverCoalesceQueries
        let maxAsync = Int64(clamping: settings.maxAsyncQueries)
        let maxQueries = Int(clamping: settings.maxQueryCount)
        let firstID = completer.firstID
        lg_set_timer_slack(1)
        defer { lg_set_timer_slack(50_000) }
        plan.scheduledDelta.withUnsafeBufferPointer { delta in
            out.startWallNs = lg_wall_ns()
            let start = lg_now_ns()
            out.startNs = start
            live.start(start)
            var q = 0
            while q < n {
                let scheduled = start + delta[q]
                var now = lg_now_ns()
                if now < scheduled {
                    // Sleep (with 1 µs timer slack) until just before the scheduled time, then spin the last
                    // microseconds: the core stays free for the SUT's threads, and the issue stays punctual.
                    if scheduled - now > 30_000 { lg_sleep_until(scheduled - 15_000) }
                    now = lg_now_ns()
                    while now < scheduled {
                        lg_cpu_relax()
                        now = lg_now_ns()
                    }
                }
                var last = q + 1
                if coalesce { while last < n && start + delta[last] <= now { last += 1 } }
                for j in q..<last {
                    issue[j] = now
                    lag[j] = now - (start + delta[j])
                }
                sut.issueQuery(QuerySampleBatch(firstID: firstID &+ q * spq, indices: idx + q * spq,
                                                count: (last - q) * spq), completer: completer)
                q = last
                out.queriesIssued = q
                out.samplesIssued = q * spq
                out.lastIssueNs = now
                live.issued(q, q * spq)
                if cancellation?.isCancelled == true { out.endReason = .cancelled; break }
                guard performance else { continue }
                if maxAsync > 0 && Int64(q) - lg_load_relaxed(completer.counters) / Int64(spq) > maxAsync {
                    out.endReason = .tooManyOutstanding; break
                }
                if maxQueries > 0 && q >= maxQueries { out.endReason = .maxQueryCount; break }
                if maxDurationNs > 0 && now - start >= maxDurationNs { out.endReason = .maxDuration; break }
            }
        }
    }

    /// Waits until `target` samples have completed: a 2 µs spin, then blocked on the completer's futex (woken by
    /// the completion), re-checking cancellation and the watchdog every 10 ms. False on timeout or cancellation.
    private func waitCompleted(_ target: Int64, since: Int64) -> Bool {
        let deadline = saturatingSum(since, completionTimeoutNs)
        while !completer.waitCompleted(atLeast: target, timeoutNs: 10_000_000) {
            if cancellation?.isCancelled == true { return false }
            if lg_now_ns() > deadline { return false }
        }
        return true
    }

    /// After issuing: wait for every issued sample, until `max_duration` (if set) or the watchdog: no sample
    /// completed for `completionTimeoutNs` (counted from the last issue, then from the latest completion, so a slow
    /// SUT that keeps completing — a translator working through an Offline accuracy query — is never cut off, and
    /// one that hangs is).
    private func waitForCompletion(_ out: inout IssueOutcome) {
        let target = Int64(out.samplesIssued)
        var watchdog = saturatingSum(out.lastIssueNs, completionTimeoutNs)
        var hard = Int64.max
        if maxDurationNs > 0 && kind == .performance { hard = out.startNs + maxDurationNs }
        if out.endReason == .cancelled { hard = min(hard, lg_now_ns() + 1_000_000_000) }
        var completed = completer.counter(.completed)
        // Blocked on the completer's futex; every 10 ms (or at the deadline) the watchdog and Ctrl-C are checked.
        while !completer.waitCompleted(atLeast: target,
                                       timeoutNs: max(1, min(10_000_000, min(watchdog, hard) - lg_now_ns()))) {
            let now = lg_now_ns()
            let done = completer.counter(.completed)
            if done > completed {
                completed = done
                watchdog = saturatingSum(now, completionTimeoutNs)
            }
            if now > min(watchdog, hard) { out.waitTimedOut = true; return }
            if out.endReason != .cancelled && cancellation?.isCancelled == true {
                out.endReason = .cancelled
                hard = min(hard, now + 1_000_000_000)
            }
        }
    }

    static func sleep(ns: Int64) {
        var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        nanosleep(&ts, nil)
    }
}

/// Counters a monitor thread reads for progress; written with relaxed stores by the issue loop.
final class LiveCounters: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Int64>  // [start, queries, samples]
    init() {
        slots = .allocate(capacity: 3)
        slots.initialize(repeating: 0, count: 3)
    }
    deinit { slots.deallocate() }
    @inline(__always) func start(_ t: Int64) { lg_store(slots, t) }
    @inline(__always) func issued(_ queries: Int, _ samples: Int) {
        lg_store(slots + 1, Int64(queries))
        lg_store(slots + 2, Int64(samples))
    }
    func reset() { for i in 0..<3 { lg_store(slots + i, 0) } }
    var startNs: Int64 { lg_load(slots) }
    var queries: Int { Int(lg_load(slots + 1)) }
    var samples: Int { Int(lg_load(slots + 2)) }
}

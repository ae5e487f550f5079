import CLoadGenSupport
import Synchronization

/// The handle a SUT completes samples with. It comes with each `issueQuery` call (no global state) and may be
/// called from any thread, concurrently.
///
/// Hot path: one clock read per call, then per sample a range check and one compare-and-swap on a pre-allocated
/// slot — no allocation, no lock, no strings. Unknown and duplicate ids are counted (and reported after the run),
/// never trapped. Response bytes are copied only for samples that go to the accuracy log.
public final class QueryCompleter: @unchecked Sendable {
    let firstID: ResponseID
    let count: Int
    /// Completion timestamp per sample (monotonic ns, 0 = pending).
    let completion: UnsafeMutablePointer<Int64>
    /// First-token timestamp per sample (token latencies only).
    let firstToken: UnsafeMutablePointer<Int64>?
    /// Output token count per sample (token latencies only).
    let tokens: UnsafeMutablePointer<Int64>?
    /// [completed samples, duplicates, unknown ids, bad token counts, completions before first token,
    /// first tokens after completion, failed samples]
    let counters: UnsafeMutablePointer<Int64>
    /// The first failure's reason (`fail`); off the hot path.
    let firstFailure = Mutex<String?>(nil)
    let accuracy: AccuracyCapture?
    /// Token runs outside Offline: every sample must report its first token before it completes.
    let needsFirstToken: Bool
    /// The completed-sample count the blocked issue thread waits for (0: nobody waits). Only the completion that
    /// reaches it pays for a wake-up.
    let waitTarget: UnsafeMutablePointer<Int64>
    /// The futex word waiters sleep on; bumped by each wake-up.
    let wakeWord: UnsafeMutablePointer<Int32>

    init(firstID: ResponseID, count: Int, tokens useTokens: Bool, needsFirstToken: Bool = false,
         accuracy: AccuracyCapture?) {
        self.firstID = firstID
        self.count = count
        self.needsFirstToken = useTokens && needsFirstToken
        completion = .allocate(capacity: max(count, 1))
        completion.initialize(repeating: 0, count: max(count, 1))
        if useTokens {
            let ft = UnsafeMutablePointer<Int64>.allocate(capacity: max(count, 1))
            ft.initialize(repeating: 0, count: max(count, 1))
            firstToken = ft
            let tk = UnsafeMutablePointer<Int64>.allocate(capacity: max(count, 1))
            tk.initialize(repeating: 0, count: max(count, 1))
            tokens = tk
        } else {
            firstToken = nil
            tokens = nil
        }
        counters = .allocate(capacity: 8)
        counters.initialize(repeating: 0, count: 8)
        waitTarget = .allocate(capacity: 1)
        waitTarget.initialize(to: 0)
        wakeWord = .allocate(capacity: 1)
        wakeWord.initialize(to: 0)
        self.accuracy = accuracy
    }

    deinit {
        completion.deallocate()
        firstToken?.deallocate()
        tokens?.deallocate()
        counters.deallocate()
        waitTarget.deallocate()
        wakeWord.deallocate()
    }

    /// Counts `n` completed samples and, when they reach the count a blocked issue thread waits for, wakes it.
    @inline(__always) private func addCompleted(_ n: Int64) {
        let total = lg_add_seq(counters, n)
        let target = lg_load_seq(waitTarget)
        if target > 0 && total >= target {
            lg_add32(wakeWord, 1)
            lg_futex_wake_all(wakeWord)
        }
    }

    /// Blocks the calling (issue) thread until at least `target` samples have completed or `timeoutNs` has passed;
    /// returns whether the target was reached. Spins for the first `spinNs` (a SUT that completes inline, or within
    /// a few µs, never pays for a sleep), then sleeps on a futex: no CPU is used while the SUT works.
    func waitCompleted(atLeast target: Int64, timeoutNs: Int64, spinNs: Int64 = 2_000) -> Bool {
        let spinEnd = lg_now_ns() + spinNs
        while lg_load(counters) < target {
            if lg_now_ns() >= spinEnd { break }
            lg_cpu_relax()
        }
        if lg_load(counters) >= target { return true }
        // Publish the target, then read the word, then re-check: a completion that reaches the target either is
        // seen by the re-check or bumps the word before (FUTEX_WAIT returns at once) or after (it wakes us).
        lg_store_seq(waitTarget, max(target, 1))
        defer { lg_store_seq(waitTarget, 0) }
        let seen = lg_load32(wakeWord)
        if lg_load_seq(counters) >= target { return true }
        lg_futex_wait(wakeWord, seen, max(timeoutNs, 1))
        return lg_load(counters) >= target
    }

    enum Counter: Int { case completed = 0, duplicate, unknown, badTokens, beforeFirstToken, firstTokenAfterCompletion, failed }

    @inline(__always) func counter(_ c: Counter) -> Int64 { lg_load(counters + c.rawValue) }

    /// Completes one sample. A SUT must hold a strong reference to the completer until every `complete` call has
    /// returned (the call touches it after the count that may end the run).
    public func complete(_ id: ResponseID, data: UnsafeRawBufferPointer? = nil, tokenCount: Int = 0) {
        let now = lg_now_ns()
        if record(id, data: data, tokenCount: tokenCount, at: now) { addCompleted(1) }
    }

    /// Completes a batch of samples with one timestamp.
    public func complete(_ responses: UnsafeBufferPointer<QuerySampleResponse>) {
        let now = lg_now_ns()
        var done: Int64 = 0
        for r in responses where record(r.id, data: r.data, tokenCount: r.tokenCount, at: now) { done += 1 }
        if done > 0 { addCompleted(done) }
    }

    /// Completes every sample of an issued batch, without response data, with one timestamp.
    public func complete(_ batch: QuerySampleBatch) {
        let now = lg_now_ns()
        var done: Int64 = 0
        let first = batch.firstID
        for i in 0..<batch.count where record(first &+ i, data: nil, tokenCount: 0, at: now) { done += 1 }
        if done > 0 { addCompleted(done) }
    }

    /// Completes one sample that the SUT could not serve (a network error, an HTTP error status, a malformed
    /// response): it is counted as completed, so the run ends normally with complete logs, and as failed, which
    /// makes the performance run INVALID (rule `sut_failures`) and logs an `error_runtime` with the first `reason`.
    /// No response data is logged for it; token checks do not apply to it.
    public func fail(_ id: ResponseID, reason: @autoclosure () -> String) {
        let now = lg_now_ns()
        let k = id &- firstID
        guard k >= 0 && k < count else {
            lg_add(counters + Counter.unknown.rawValue, 1)
            return
        }
        guard lg_cas(completion + k, 0, now) else {
            lg_add(counters + Counter.duplicate.rawValue, 1)
            return
        }
        if lg_add_seq(counters + Counter.failed.rawValue, 1) == 1 {
            let text = reason()
            firstFailure.withLock { if $0 == nil { $0 = text } }
        }
        if let acc = accuracy, acc.shouldLog(k) { acc.append(seq: k, data: nil, tokenCount: 0) }
        addCompleted(1)
    }

    /// Samples completed with `fail`, and the first reason given.
    public var failures: (count: Int, firstReason: String?) {
        (Int(lg_load(counters + Counter.failed.rawValue)), firstFailure.withLock { $0 })
    }

    /// Records the first token of an LLM response (time to first token). `data` is kept for the accuracy log.
    public func firstToken(_ id: ResponseID, data: UnsafeRawBufferPointer? = nil) {
        let now = lg_now_ns()
        let k = id &- firstID
        guard k >= 0 && k < count, let ft = firstToken else {
            if firstToken != nil { lg_add(counters + Counter.unknown.rawValue, 1) }
            return
        }
        _ = lg_cas(ft + k, 0, now)
        if lg_load(completion + k) != 0 { lg_add(counters + Counter.firstTokenAfterCompletion.rawValue, 1) }
        if let acc = accuracy, acc.shouldLog(k) { acc.firstTokenData(seq: k, data: data) }
    }

    @inline(__always)
    private func record(_ id: ResponseID, data: UnsafeRawBufferPointer?, tokenCount: Int, at now: Int64) -> Bool {
        let k = id &- firstID
        guard k >= 0 && k < count else {
            lg_add(counters + Counter.unknown.rawValue, 1)
            return false
        }
        guard lg_cas(completion + k, 0, now) else {
            lg_add(counters + Counter.duplicate.rawValue, 1)
            return false
        }
        if let tk = tokens {
            tk[k] = Int64(tokenCount)
            if tokenCount <= 1 { lg_add(counters + Counter.badTokens.rawValue, 1) }
            if needsFirstToken, let ft = firstToken, lg_load(ft + k) == 0 {
                lg_add(counters + Counter.beforeFirstToken.rawValue, 1)
            }
        }
        if let acc = accuracy, acc.shouldLog(k) { acc.append(seq: k, data: data, tokenCount: tokenCount) }
        return true
    }
}

/// Which responses go to `mlperf_log_accuracy.json`, and their bytes. Off the hot path unless sampled.
final class AccuracyCapture: @unchecked Sendable {
    struct Entry {
        var seq: Int
        var data: [UInt8]
        var tokenCount: Int
    }

    let logAll: Bool
    let probability: Double
    let offset: Double
    let values: [Double]
    let entries = Mutex<[Entry]>([])
    let tokenData = Mutex<[Int: [UInt8]]>([:])

    init(logAll: Bool, probability: Double, offset: Double, values: [Double]) {
        self.logAll = logAll
        self.probability = probability
        self.offset = offset
        self.values = values
    }

    @inline(__always) func shouldLog(_ k: Int) -> Bool {
        if logAll { return true }
        guard k < values.count else { return false }
        let v = values[k] + offset
        return v - v.rounded(.down) <= probability
    }

    func append(seq: Int, data: UnsafeRawBufferPointer?, tokenCount: Int) {
        let bytes = data.map { [UInt8]($0) } ?? []
        entries.withLock { $0.append(Entry(seq: seq, data: bytes, tokenCount: tokenCount)) }
    }

    func firstTokenData(seq: Int, data: UnsafeRawBufferPointer?) {
        let bytes = data.map { [UInt8]($0) } ?? []
        tokenData.withLock { $0[seq] = bytes }
    }
}

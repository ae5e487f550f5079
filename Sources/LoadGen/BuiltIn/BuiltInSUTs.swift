import CLoadGenSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A SUT that completes every sample inline, inside `issueQuery`, with no response data: it measures LoadGen itself.
/// Large queries (Offline) are completed in chunks of `chunk` samples, one completion call (and timestamp) each, so
/// the measured latency includes LoadGen's own per-sample completion work, as a real batched SUT would see it.
public final class NullSUT: SystemUnderTest {
    public let name: String
    let chunk: Int
    public init(name: String = "NullSUT", chunk: Int = 1024) {
        self.name = name
        self.chunk = max(chunk, 1)
    }
    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        if samples.count <= chunk { completer.complete(samples); return }
        let idx = samples.qslIndices.baseAddress!
        var i = 0
        while i < samples.count {
            let n = min(chunk, samples.count - i)
            completer.complete(QuerySampleBatch(firstID: samples.firstID + i, indices: idx + i, count: n))
            i += n
        }
    }
    public func flushQueries() {}
}

/// A QSL with no data: load and unload do nothing.
public final class NullQSL: QuerySampleLibrary {
    public let name = "NullQSL"
    public let totalSampleCount: Int
    public let performanceSampleCount: Int
    public init(totalSampleCount: Int = 1024, performanceSampleCount: Int = 1024) {
        self.totalSampleCount = totalSampleCount
        self.performanceSampleCount = performanceSampleCount
    }
    public func loadSamplesToRAM(_ indices: [Int]) throws {}
    public func unloadSamplesFromRAM(_ indices: [Int]) throws {}
}

/// How a built-in SUT answers like an LLM: after `firstTokenMicroseconds` it reports the first token
/// (`QueryCompleter.firstToken`), then one token every `perTokenMicroseconds`, and completes the sample with its
/// token count. The count is fixed (`minTokens == maxTokens`) or drawn per sample, uniformly in
/// `minTokens...maxTokens`, from a hash of `seed` and the sample's id (the same run gives the same counts).
public struct TokenProfile: Sendable, Equatable {
    public var firstTokenMicroseconds: Int
    public var perTokenMicroseconds: Int
    public var minTokens: Int
    public var maxTokens: Int
    public var seed: UInt64

    /// - Precondition-free: counts below 2 are raised to 2 (LoadGen requires n_tokens > 1).
    public init(firstTokenMicroseconds: Int, perTokenMicroseconds: Int, minTokens: Int, maxTokens: Int, seed: UInt64 = 0) {
        self.firstTokenMicroseconds = max(firstTokenMicroseconds, 0)
        self.perTokenMicroseconds = max(perTokenMicroseconds, 0)
        self.minTokens = max(minTokens, 2)
        self.maxTokens = max(maxTokens, self.minTokens)
        self.seed = seed
    }

    /// The output token count of sample `id` (splitmix64 of seed and id).
    public func tokens(for id: Int) -> Int {
        if minTokens == maxTokens { return minTokens }
        var z = seed &+ UInt64(bitPattern: Int64(id)) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return minTokens + Int(z % UInt64(maxTokens - minTokens + 1))
    }
}

/// A SUT with a fixed service time per sample, served by `workers` threads (a queue of sample ranges behind a mutex:
/// SUT-side, not LoadGen's hot path). Models a device with a known latency and concurrency. With a `TokenProfile`
/// it answers like an LLM instead (first token, then a token stream), for runs with `use_token_latencies`.
public final class SleepSUT: SystemUnderTest, @unchecked Sendable {
    public let name: String
    private let queue: SleepQueue
    private var threads: [pthread_t] = []

    public init(serviceMicroseconds: Int, workers: Int = 1, tokens: TokenProfile? = nil) {
        if let t = tokens {
            let count = t.minTokens == t.maxTokens ? "\(t.minTokens)" : "\(t.minTokens)-\(t.maxTokens)"
            name = "LLMSleepSUT(first token \(t.firstTokenMicroseconds)us, \(t.perTokenMicroseconds)us/token, \(count) tokens x\(workers))"
        } else {
            name = "SleepSUT(\(serviceMicroseconds)us x\(workers))"
        }
        let queue = SleepQueue(serviceNs: Int64(serviceMicroseconds) * 1000, tokens: tokens)
        self.queue = queue
        for _ in 0..<max(workers, 1) {
            var t = pthread_t()
            // Workers hold the queue, never the SUT, so the SUT can be released (and join them) at any time.
            let box = Unmanaged.passRetained(ThreadBody { queue.work() }).toOpaque()
            pthread_create(&t, nil, { raw in
                let b = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
                b.body()
                return nil
            }, box)
            threads.append(t)
        }
    }

    /// Stops the workers (pending samples are dropped). Idempotent.
    public func shutdown() {
        queue.stop()
        for t in threads { pthread_join(t, nil) }
        threads.removeAll()
    }

    deinit { shutdown() }

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        queue.push(first: samples.firstID, count: samples.count, completer: completer)
    }

    public func flushQueries() {}
}

/// The sleep SUT's work queue: ranges of sample ids, taken one sample at a time.
final class SleepQueue: @unchecked Sendable {
    let serviceNs: Int64
    let tokens: TokenProfile?
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var ranges: [(first: Int, count: Int)] = []
    private var head = 0
    private var stopping = false
    private var completer: QueryCompleter?

    init(serviceNs: Int64, tokens: TokenProfile?) {
        self.serviceNs = serviceNs
        self.tokens = tokens
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    deinit {
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&cond)
    }

    func push(first: Int, count: Int, completer: QueryCompleter) {
        pthread_mutex_lock(&mutex)
        self.completer = completer
        ranges.append((first, count))
        // A multi-sample query (Offline, MultiStream) has work for every worker: wake them all, not one.
        if count > 1 { pthread_cond_broadcast(&cond) } else { pthread_cond_signal(&cond) }
        pthread_mutex_unlock(&mutex)
    }

    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }

    func work() {
        lg_set_timer_slack(1)
        while true {
            pthread_mutex_lock(&mutex)
            while head >= ranges.count && !stopping { pthread_cond_wait(&cond, &mutex) }
            if stopping { pthread_mutex_unlock(&mutex); return }
            let id = ranges[head].first
            ranges[head].first += 1
            ranges[head].count -= 1
            if ranges[head].count == 0 {
                head += 1
                if head > 4096 && head * 2 > ranges.count {
                    ranges.removeFirst(head)
                    head = 0
                }
            }
            let c = completer
            pthread_mutex_unlock(&mutex)
            if let t = tokens {
                let n = t.tokens(for: id)
                SleepQueue.sleep(Int64(t.firstTokenMicroseconds) * 1000)
                c?.firstToken(id)
                SleepQueue.sleep(Int64(t.perTokenMicroseconds) * 1000 * Int64(n - 1))
                c?.complete(id, tokenCount: n)
            } else {
                SleepQueue.sleep(serviceNs)
                c?.complete(id)
            }
        }
    }

    /// Sleeps `ns`, then spins the last stretch the timer overshot.
    static func sleep(_ ns: Int64) {
        guard ns > 0 else { return }
        let until = lg_now_ns() + ns
        var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        nanosleep(&ts, nil)
        while lg_now_ns() < until { lg_cpu_relax() }
    }
}

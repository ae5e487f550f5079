import LoadGen
import ONNXRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dynamic batcher on worker threads, for Offline and Server. `issueQuery` only appends the query (a view into
/// LoadGen's storage, never copied) to a queue under a short lock and wakes a worker; each worker takes up to
/// `maxBatch` samples, across queries, waiting up to `maxWaitMicroseconds` from the oldest sample's arrival for a
/// fuller batch, then gathers, runs and completes them with its own buffers. All workers share one ORT session.
///
/// Call `shutdown()` when the test is over (it drains the queue and joins the workers); `deinit` does it too.
public final class BatchingSUT: SystemUnderTest, @unchecked Sendable {
    public let name: String
    public let configuration: ServingConfiguration
    private let runners: [BatchRunner]
    private let queue: SampleQueue
    private var threads: [pthread_t] = []
    private var stopped = false

    public init(model: ServedModel, provider: SampleProvider, configuration: ServingConfiguration = .init(),
                name: String? = nil) throws {
        self.configuration = configuration
        self.name = name ?? "ORT-batching"
        runners = try (0..<configuration.workers).map { _ in
            try BatchRunner(model: model, provider: provider, maxBatch: configuration.maxBatch)
        }
        queue = SampleQueue(maxBatch: runners[0].maxBatch,
                            maxWaitNanoseconds: UInt64(configuration.maxWaitMicroseconds) * 1000)
        threads = runners.map { WorkerContext.start(queue: queue, runner: $0) }
    }

    deinit { shutdown() }

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        queue.push(samples, completer: completer)
    }

    /// LoadGen issues nothing more in this series: workers stop waiting for fuller batches.
    public func flushQueries() { queue.flush() }

    /// Drops queued samples that no worker has taken yet (interruption); batches already running finish.
    public func discardPending() { queue.discard() }

    /// Finishes the queued work and joins the workers. Idempotent.
    public func shutdown() {
        guard !stopped else { return }
        stopped = true
        queue.stop()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// The first error ORT reported on any worker (read after `shutdown()`).
    public var firstError: Error? { runners.lazy.compactMap(\.firstError).first }

    /// Batches and samples run so far (exact after `shutdown()`).
    public var statistics: ServingStatistics {
        ServingStatistics(batches: runners.reduce(0) { $0 + $1.batchesRun },
                          samples: runners.reduce(0) { $0 + $1.samplesRun })
    }

    /// The batch size actually used (a fixed-batch model caps it).
    public var maxBatch: Int { runners[0].maxBatch }
}

final class WorkerContext: @unchecked Sendable {
    let queue: SampleQueue
    let runner: any SampleRunner
    init(queue: SampleQueue, runner: any SampleRunner) { self.queue = queue; self.runner = runner }

    /// Starts a thread running `queue.work(runner)`.
    static func start(queue: SampleQueue, runner: any SampleRunner) -> pthread_t {
        let context = Unmanaged.passRetained(WorkerContext(queue: queue, runner: runner)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
            context.queue.work(context.runner)
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed (\(rc))")
        return thread
    }
}

/// What a `SampleQueue` worker feeds: samples gathered one at a time, then run and completed together.
protocol SampleRunner: AnyObject {
    func add(id: ResponseID, index: Int)
    func flush(_ completer: QueryCompleter)
}

extension BatchRunner: SampleRunner {}

/// The queue between LoadGen's issuing thread and the workers: a ring of queries (segments of consecutive sample
/// ids), consumed sample by sample. Preallocated; it doubles only if more queries are outstanding than it holds.
final class SampleQueue: @unchecked Sendable {
    private struct Segment {
        var firstID: ResponseID
        var indices: UnsafePointer<Int32>
        var count: Int
        var taken: Int
        var arrivalNanoseconds: UInt64
        var completer: Unmanaged<QueryCompleter>
    }

    private let maxBatch: Int
    private let maxWaitNanoseconds: UInt64
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var ring: UnsafeMutablePointer<Segment>
    private var capacity: Int
    private var head = 0
    private var segmentCount = 0
    /// Samples queued and not yet taken.
    private var available = 0
    /// Workers blocked in a wait.
    private var waiting = 0
    private var flushing = false
    private var stopping = false
    /// Keeps the completers that segments refer to (unretained) alive.
    private var completers: [QueryCompleter] = []

    init(maxBatch: Int, maxWaitNanoseconds: UInt64, initialCapacity: Int = 1 << 14) {
        self.maxBatch = maxBatch
        self.maxWaitNanoseconds = maxWaitNanoseconds
        capacity = initialCapacity
        ring = .allocate(capacity: capacity)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition); condition.deallocate()
        pthread_mutex_destroy(mutex); mutex.deallocate()
        ring.deallocate()
    }

    func push(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        guard samples.count > 0 else { return }
        let now = monotonicNanoseconds()
        pthread_mutex_lock(mutex)
        if completers.last !== completer { completers.append(completer) }
        if segmentCount == capacity { grow() }
        ring[(head + segmentCount) & (capacity - 1)] = Segment(
            firstID: samples.firstID, indices: samples.qslIndices.baseAddress!, count: samples.count, taken: 0,
            arrivalNanoseconds: now, completer: Unmanaged.passUnretained(completer))
        segmentCount += 1
        available += samples.count
        flushing = false
        if waiting > 0 { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
    }

    func flush() {
        pthread_mutex_lock(mutex)
        flushing = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func discard() {
        pthread_mutex_lock(mutex)
        head = (head + segmentCount) & (capacity - 1)
        segmentCount = 0
        available = 0
        pthread_mutex_unlock(mutex)
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// A worker's loop: take a batch, run it outside the lock, repeat; returns once stopped and drained.
    func work(_ runner: any SampleRunner) {
        let ids = UnsafeMutablePointer<ResponseID>.allocate(capacity: maxBatch)
        let indices = UnsafeMutablePointer<Int>.allocate(capacity: maxBatch)
        defer { ids.deallocate(); indices.deallocate() }
        var deadline = timespec()
        pthread_mutex_lock(mutex)
        while true {
            while available == 0 && !stopping {
                waiting += 1
                pthread_cond_wait(condition, mutex)
                waiting -= 1
            }
            if available == 0 { break }  // stopping and drained
            if maxWaitNanoseconds > 0 && available < maxBatch && !flushing && !stopping {
                let due = ring[head].arrivalNanoseconds &+ maxWaitNanoseconds
                deadline.tv_sec = Int(due / 1_000_000_000)
                deadline.tv_nsec = Int(due % 1_000_000_000)
                while available > 0 && available < maxBatch && !flushing && !stopping && monotonicNanoseconds() < due {
                    waiting += 1
                    pthread_cond_timedwait(condition, mutex, &deadline)
                    waiting -= 1
                }
                if available == 0 { continue }
            }
            // Take up to maxBatch samples, across queries that share a completer.
            let completer = ring[head].completer
            var n = 0
            while n < maxBatch && segmentCount > 0 {
                let s = head
                if ring[s].completer.toOpaque() != completer.toOpaque() { break }
                let take = min(maxBatch - n, ring[s].count - ring[s].taken)
                for k in 0..<take {
                    let offset = ring[s].taken + k
                    ids[n] = ring[s].firstID &+ offset
                    indices[n] = Int(ring[s].indices[offset])
                    n += 1
                }
                ring[s].taken += take
                available -= take
                if ring[s].taken == ring[s].count {
                    head = (head + 1) & (capacity - 1)
                    segmentCount -= 1
                }
            }
            if available > 0 && waiting > 0 { pthread_cond_signal(condition) }
            pthread_mutex_unlock(mutex)

            for k in 0..<n { runner.add(id: ids[k], index: indices[k]) }
            runner.flush(completer.takeUnretainedValue())

            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Doubles the ring (called with the lock held; only when more queries are outstanding than it holds).
    private func grow() {
        let bigger = UnsafeMutablePointer<Segment>.allocate(capacity: capacity * 2)
        for i in 0..<segmentCount { (bigger + i).initialize(to: ring[(head + i) & (capacity - 1)]) }
        ring.deallocate()
        ring = bigger
        capacity *= 2
        head = 0
    }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

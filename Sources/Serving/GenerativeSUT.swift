import LoadGen
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model that answers each sample with a generated token sequence (an encoder–decoder translator): one sample at
/// a time, reporting when its first token is chosen. One instance per SUT worker (it may keep buffers).
public protocol SequenceGenerator: AnyObject {
    /// Generates sample `index`'s output token ids into `output` (room for `capacity`), calls `onFirstToken` once
    /// right after the first token is chosen, and returns the ids written and the tokens generated (the ids plus an
    /// end-of-sequence token that ended them, if any: the count TPOT divides by).
    /// - Throws: the model's error; the sample is then failed (`QueryCompleter.fail`), with the error as reason.
    func generate(sample index: Int, into output: UnsafeMutablePointer<Int32>, capacity: Int,
                  onFirstToken: () -> Void) throws -> (written: Int, generated: Int)
    /// The most tokens any sample's output can have.
    var maxOutputTokens: Int { get }
}

/// Serves a `SequenceGenerator` to LoadGen: each sample's response is its output token ids (little-endian Int32),
/// with its generated-token count, and its first token is reported (`firstToken`, for MLPerf's TTFT and TPOT in token-latency
/// runs). SingleStream and MultiStream run on LoadGen's issuing thread, sample after sample; Offline and Server
/// queue samples to `workers` threads (each with its own generator), as `BatchingSUT` does, one sample a run.
public final class GenerativeSUT: SystemUnderTest, ServingSUT, @unchecked Sendable {
    public let name: String
    private let runners: [GenerationRunner]
    private let queue: SampleQueue?
    private var threads: [pthread_t] = []
    private var stopped = false

    /// `generators`: one per worker (Offline/Server); SingleStream and MultiStream use the first only.
    public init(generators: [any SequenceGenerator], queued: Bool, name: String) {
        precondition(!generators.isEmpty, "GenerativeSUT needs a generator")
        self.name = name
        runners = generators.map { GenerationRunner(generator: $0) }
        if queued {
            let queue = SampleQueue(maxBatch: 1, maxWaitNanoseconds: 0)
            self.queue = queue
            threads = runners.map { WorkerContext.start(queue: queue, runner: $0) }
        } else {
            queue = nil
        }
    }

    deinit { shutdown() }

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        if let queue {
            queue.push(samples, completer: completer)
            return
        }
        let indices = samples.qslIndices
        for i in 0..<indices.count {
            runners[0].add(id: samples.firstID &+ i, index: Int(indices[i]))
            runners[0].flush(completer)
        }
    }

    public func flushQueries() { queue?.flush() }
    public func discardPending() { queue?.discard() }

    public func shutdown() {
        guard !stopped else { return }
        stopped = true
        queue?.stop()
        for thread in threads { pthread_join(thread, nil) }
    }

    public var firstError: Error? { runners.lazy.compactMap(\.firstError).first }

    /// Samples generated (each one run); exact after `shutdown()`.
    public var statistics: ServingStatistics {
        let n = runners.reduce(0) { $0 + $1.samplesRun }
        return ServingStatistics(batches: n, samples: n)
    }

    /// Output tokens generated in all (exact after `shutdown()`).
    public var tokensGenerated: Int { runners.reduce(0) { $0 + $1.tokensGenerated } }

    public var maxBatch: Int { 1 }
}

/// One worker's state: the generator and its output buffer; `flush` generates the one gathered sample.
final class GenerationRunner: SampleRunner {
    let generator: any SequenceGenerator
    private let output: UnsafeMutablePointer<Int32>
    private var id: ResponseID = 0
    private var index = -1
    private(set) var samplesRun = 0
    private(set) var tokensGenerated = 0
    private(set) var firstError: Error?

    init(generator: any SequenceGenerator) {
        self.generator = generator
        output = .allocate(capacity: max(1, generator.maxOutputTokens))
    }

    deinit { output.deallocate() }

    func add(id: ResponseID, index: Int) {
        self.id = id
        self.index = index
    }

    func flush(_ completer: QueryCompleter) {
        guard index >= 0 else { return }
        let id = self.id, index = self.index
        self.index = -1
        do {
            let (n, generated) = try generator.generate(sample: index, into: output,
                                                        capacity: generator.maxOutputTokens) {
                completer.firstToken(id)
            }
            for k in 0..<n { output[k] = output[k].littleEndian }
            samplesRun += 1
            tokensGenerated += generated
            completer.complete(id, data: UnsafeRawBufferPointer(start: output, count: n * 4), tokenCount: generated)
        } catch {
            if firstError == nil { firstError = error }
            completer.fail(id, reason: "sample \(index): \(error)")
        }
    }
}

/// What a short untimed run of a `SequenceGenerator` found, to size LoadGen's queries for a generative benchmark
/// (whose samples take very different times: the output length varies).
public struct GenerativeCalibration: Sendable, Equatable {
    public var samples: Int
    /// Mean time to generate one sample, alone (ns).
    public var meanSampleLatencyNs: UInt64
    /// Mean time to the first token (ns).
    public var meanFirstTokenNs: UInt64
    /// Mean tokens generated per sample (the end-of-sequence token included).
    public var meanTokens: Double
    /// Samples per second on one worker.
    public var throughput: Double { meanSampleLatencyNs == 0 ? 0 : 1e9 / Double(meanSampleLatencyNs) }

    /// Generates samples spread evenly over `0..<sampleCount` (after one warm-up) until `budgetNanoseconds` have
    /// passed and at least `minimumSamples` are done, or every sample is.
    public static func measure(generator: any SequenceGenerator, sampleCount: Int, minimumSamples: Int = 8,
                               budgetNanoseconds: UInt64 = 2_000_000_000) throws -> GenerativeCalibration {
        precondition(sampleCount > 0, "calibration needs samples")
        let output = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, generator.maxOutputTokens))
        defer { output.deallocate() }
        _ = try generator.generate(sample: 0, into: output, capacity: generator.maxOutputTokens) {}
        // A stride coprime with the count visits every sample once before repeating, spread over the set.
        var stride = max(1, sampleCount / 7 + 1)
        while gcd(stride, sampleCount) != 1 { stride += 1 }
        var index = 0, done = 0, tokens = 0
        var totalNs: UInt64 = 0, firstNs: UInt64 = 0
        let start = monotonicNanoseconds()
        while done < sampleCount && (done < minimumSamples || monotonicNanoseconds() - start < budgetNanoseconds) {
            let t0 = monotonicNanoseconds()
            var first: UInt64 = 0
            let (_, generated) = try generator.generate(sample: index, into: output, capacity: generator.maxOutputTokens) {
                first = monotonicNanoseconds()
            }
            let t1 = monotonicNanoseconds()
            totalNs += t1 - t0
            firstNs += (first == 0 ? t1 : first) - t0
            tokens += generated
            done += 1
            index = (index + stride) % sampleCount
        }
        return GenerativeCalibration(samples: done, meanSampleLatencyNs: totalNs / UInt64(done),
                                     meanFirstTokenNs: firstNs / UInt64(done), meanTokens: Double(tokens) / Double(done))
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

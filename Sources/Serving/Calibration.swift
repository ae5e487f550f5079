import LoadGen
import Foundation
import ONNXRuntime

/// What a short untimed measurement before the test found, to size LoadGen's query generation.
public struct Calibration: Sendable, Equatable {
    /// Median latency of one sample run alone (ns).
    public var singleSampleLatencyNs: UInt64
    /// Median latency of a batch of `batch` samples (ns).
    public var batchLatencyNs: UInt64
    public var batch: Int
    /// Samples per second at that batch size, on one worker.
    public var throughput: Double { batchLatencyNs == 0 ? 0 : Double(batch) * 1e9 / Double(batchLatencyNs) }

    /// Runs `model` on samples the QSL has loaded (indices `loaded`, taken in turn), for about `budgetNanoseconds` in
    /// all.
    public static func measure(model: ServedModel, provider: SampleProvider, loaded: [Int], batch requested: Int,
                               budgetNanoseconds: UInt64 = 400_000_000) throws -> Calibration {
        precondition(!loaded.isEmpty, "calibration needs loaded samples")
        let batch = model.effectiveMaxBatch(requested)
        func timeRuns(_ b: Int, _ budget: UInt64) throws -> UInt64 {
            let runner = try BatchRunner(model: model, provider: provider, maxBatch: b)
            // Each run takes the next `b` loaded samples, so a large loaded set is walked as the test walks it
            // (embedding models are cache-sensitive: the same few samples again would overstate the throughput).
            var cursor = 0
            func fill() {
                for _ in 0..<b { runner.add(id: 0, index: loaded[cursor]); cursor = (cursor + 1) % loaded.count }
            }
            fill()
            try runner.runOnly()  // warm-up
            var times: [UInt64] = []
            let start = monotonicNanoseconds()
            while times.count < 3 || (monotonicNanoseconds() - start < budget && times.count < 1000) {
                fill()
                let t0 = monotonicNanoseconds()
                try runner.runOnly()
                times.append(monotonicNanoseconds() - t0)
            }
            times.sort()
            return times[times.count / 2]
        }
        let single = try timeRuns(model.fixedBatch ?? 1, budgetNanoseconds / 2)
        let batched = batch == (model.fixedBatch ?? 1) ? single : try timeRuns(batch, budgetNanoseconds / 2)
        return Calibration(singleSampleLatencyNs: single, batchLatencyNs: batched, batch: batch)
    }
}

/// The search for the highest VALID Server target QPS that `mlperf bench inference` runs for both
/// implementations alike (bench/ort_reference_sut.py has the same algorithm): double from `start` while VALID,
/// then bisect the bracket until it is within `tolerance` of its upper end, at most `maxRuns` runs.
public enum PeakSearch {
    public struct Outcome: Sendable, Equatable {
        /// The highest target QPS that was VALID (0 if none was).
        public var peak: Double
        public var runs: [(qps: Double, valid: Bool)]
        public static func == (a: Outcome, b: Outcome) -> Bool {
            a.peak == b.peak && a.runs.map(\.qps) == b.runs.map(\.qps) && a.runs.map(\.valid) == b.runs.map(\.valid)
        }
    }

    /// Doubles from `start` while probes are VALID, then bisects the bracket to within `tolerance`, in at most
    /// `maxRuns` probes. An INVALID probe is run once more at the same QPS before it is believed (`confirmInvalid`):
    /// one scheduler stall on a shared machine must not cap the peak. Every probe is in `runs`.
    public static func run(start: Double, maxRuns: Int, tolerance: Double = 0.05, confirmInvalid: Bool = true,
                           trial: (Double) throws -> Bool) rethrows -> Outcome {
        var lo = 0.0
        var hi: Double?
        var q = start
        var runs: [(qps: Double, valid: Bool)] = []
        while runs.count < maxRuns {
            var valid = try trial(q)
            runs.append((q, valid))
            if !valid && confirmInvalid && runs.count < maxRuns {
                valid = try trial(q)
                runs.append((q, valid))
            }
            if valid { lo = q } else { hi = q }
            guard let upper = hi else { q *= 2; continue }
            if upper - lo <= tolerance * upper { break }
            q = lo > 0 ? (lo + upper) / 2 : upper / 2
        }
        return Outcome(peak: lo, runs: runs)
    }
}

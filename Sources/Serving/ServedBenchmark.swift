import LoadGen
import Foundation
import ONNXRuntime

/// An inference benchmark served through ONNX Runtime: what its samples look like, which model tensors to use, and
/// how `mlperf run` sizes its LoadGen settings.
public struct ServedBenchmark: Sendable, Equatable {
    /// The CLI name (`mlperf run NAME`).
    public var name: String
    /// One line for humans (results and reports).
    public var label: String
    /// One sample's shape, without the batch dimension.
    public var sampleShape: [Int]
    /// Untrained or synthetic: accuracy mode is refused.
    public var performanceOnly: Bool
    /// Model tensors (nil: the model's only input, its first output).
    public var inputName: String?
    public var outputName: String?
    /// Server latency bound (ns) used unless a conf file or the command line sets one.
    public var serverTargetLatencyNs: UInt64

    /// Fashion-MNIST: the project's own trained CNN, exported to ONNX (input "input" [N,1,28,28], output "logits"
    /// [N,10]), on the 10 000 test images. Server bound 10 ms, p99 (MLPerf's default latency bound class for small
    /// vision models).
    public static let fashionMNIST = ServedBenchmark(
        name: "fashion-mnist", label: "Fashion-MNIST CNN (trained here, exported to ONNX)", sampleShape: [1, 28, 28],
        performanceOnly: false, inputName: "input", outputName: "logits", serverTargetLatencyNs: 10_000_000)

    /// resnet50-perf: see `ResNet50Perf`. The official ResNet-50 Server bound (15 ms) assumes an accelerator; one
    /// inference takes ~100 ms on one core of the project's machines, so the bound here is 1 s (p99).
    public static let resnet50Perf = ServedBenchmark(
        name: ResNet50Perf.name, label: ResNet50Perf.label, sampleShape: ResNet50Perf.sampleShape,
        performanceOnly: true, inputName: nil, outputName: nil, serverTargetLatencyNs: 1_000_000_000)

    public static let all: [ServedBenchmark] = [.fashionMNIST, .resnet50Perf]

    public static func named(_ name: String) throws -> ServedBenchmark {
        guard let b = all.first(where: { $0.name == name.lowercased() }) else {
            throw ServingError.unknownBenchmark(name, known: all.map(\.name))
        }
        return b
    }

    /// The model used when none is given: for a benchmark trained here, the one `mlperf suite` trained and exported
    /// (`SuiteLayout.modelPath`); for `resnet50-perf`, the `onnx` wheel's test model.
    /// - Parameters:
    ///   - suiteOutput: the suite's output directory (`SuiteLayout.defaultOutputDirectory` unless the user moved it).
    ///   - environment: the process environment (for the project's Python).
    /// - Throws: `ServingError.trainedModelMissing`, which names the path and the one command that makes the model.
    public func defaultModel(suiteOutput: String = SuiteLayout.defaultOutputDirectory,
                             environment: [String: String]) throws -> String {
        if self == .resnet50Perf { return try ResNet50Perf.locateModel(environment: environment) }
        let path = SuiteLayout.modelPath(benchmark: name, output: suiteOutput)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ServingError.trainedModelMissing(benchmark: name, path: path,
                                                   command: SuiteLayout.trainCommand(output: suiteOutput))
        }
        return path
    }

    /// Opens the model and checks it fits this benchmark's samples.
    public func loadModel(runtime: ORTRuntime, path: String, options: ORTSessionOptions) throws -> ClassifierModel {
        let session = try ORTSession(runtime: runtime, modelPath: path, options: options)
        return try ClassifierModel(session: session, sampleShape: sampleShape, inputName: inputName,
                                   outputName: outputName)
    }
}

/// What a short untimed measurement before the test found, to size LoadGen's query generation.
public struct Calibration: Sendable, Equatable {
    /// Median latency of one sample run alone (ns).
    public var singleSampleLatencyNs: UInt64
    /// Median latency of a batch of `batch` samples (ns).
    public var batchLatencyNs: UInt64
    public var batch: Int
    /// Samples per second at that batch size, on one worker.
    public var throughput: Double { batchLatencyNs == 0 ? 0 : Double(batch) * 1e9 / Double(batchLatencyNs) }

    /// Runs `model` on samples the QSL has loaded (indices `loaded`), for about `budgetNanoseconds` in all.
    public static func measure(model: ClassifierModel, provider: SampleProvider, loaded: [Int], batch requested: Int,
                               budgetNanoseconds: UInt64 = 400_000_000) throws -> Calibration {
        precondition(!loaded.isEmpty, "calibration needs loaded samples")
        let batch = model.effectiveMaxBatch(requested)
        func timeRuns(_ b: Int, _ budget: UInt64) throws -> UInt64 {
            let runtime = model.session.runtime
            let input = try ORTTensor(runtime: runtime, shape: [b] + model.sampleShape, elementType: .float32)
            let output = try ORTTensor(runtime: runtime, shape: [b] + model.output.shape.dropFirst(),
                                       elementType: .float32)
            let prepared = try model.session.prepare(inputs: [(model.input.name, input)],
                                                     outputs: [(model.output.name, output)])
            let n = model.sampleElementCount
            let base = input.floats.baseAddress!
            for i in 0..<b { (base + i * n).update(from: provider.sample(loaded[i % loaded.count]), count: n) }
            try model.session.run(prepared)  // warm-up
            var times: [UInt64] = []
            let start = monotonicNanoseconds()
            while times.count < 3 || (monotonicNanoseconds() - start < budget && times.count < 1000) {
                let t0 = monotonicNanoseconds()
                try model.session.run(prepared)
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

/// Where `mlperf suite` keeps what later commands reuse. `mlperf run`, `mlperf bench inference` and the suite itself
/// all find a trained model here when `--model` is not given.
public enum SuiteLayout {
    /// The suite's default output directory (relative to the current directory, as every `--out` is).
    public static let defaultOutputDirectory = "out/suite"

    /// The ONNX model the suite trains and exports for `benchmark`: `OUTPUT/model/BENCHMARK.onnx`.
    public static func modelPath(benchmark: String, output: String = defaultOutputDirectory) -> String {
        output + "/model/\(benchmark).onnx"
    }

    /// The one command that trains and exports the models into `output` (and runs nothing else).
    public static func trainCommand(output: String = defaultOutputDirectory) -> String {
        output == defaultOutputDirectory ? "mlperf suite --train-only" : "mlperf suite --train-only --out \(output)"
    }
}

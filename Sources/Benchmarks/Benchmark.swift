import Datasets
import Foundation
import LoadGen
import MLLog
import ONNXRuntime
import ProjectEnvironment
import Serving
import Training

/// Where a benchmark's data set lives and how to get it.
public struct DataSource: Sendable {
    /// In words, with the package: `MovieLens ml-latest-small (Debian r-cran-dslabs 0.7.4-1)`.
    public var description: String
    /// The environment variable that overrides the directory.
    public var environmentVariable: String
    /// The directory used when neither `--data-dir` nor the variable is set (relative paths: to the checkout).
    public var defaultDirectory: String
    /// The command that fetches the data (quoted in errors).
    public var fetchCommand: String

    public init(description: String, environmentVariable: String, defaultDirectory: String, fetchCommand: String) {
        self.description = description
        self.environmentVariable = environmentVariable
        self.defaultDirectory = defaultDirectory
        self.fetchCommand = fetchCommand
    }

    /// `override` (`--data-dir`), else `$VARIABLE`, else the default; a relative default is found above the running
    /// executable or the current directory (the checkout), like the project's Python.
    public func directory(override: String? = nil,
                          environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let override, !override.isEmpty { return override }
        if let v = environment[environmentVariable], !v.isEmpty { return v }
        if defaultDirectory.hasPrefix("/") { return defaultDirectory }
        for start in ProjectPython.defaultSearchStarts() {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent(defaultDirectory).path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                dir.deleteLastPathComponent()
            }
        }
        return defaultDirectory
    }

    /// What a missing-data error says after the path.
    public var missingHint: String {
        "the \(description) data set is not there: run `\(fetchCommand)`, or point \(environmentVariable) or "
            + "--data-dir at it"
    }
}

/// A benchmark's test set loaded for inference: the QSL, and (for a benchmark served as tensors) the same object as
/// the SUT's sample provider.
public protocol InferenceData: AnyObject {
    var qsl: any QuerySampleLibrary { get }
    /// The input tensors of each sample; nil for a generative benchmark, whose generators read the QSL themselves.
    var provider: (any SampleProvider)? { get }
}

extension InferenceData {
    /// The sample provider of a benchmark served as tensors.
    /// - Throws: `ServingError.notTensorServed` for a generative benchmark.
    public func tensors(benchmark: String) throws -> any SampleProvider {
        guard let provider else { throw ServingError.notTensorServed(benchmark: benchmark) }
        return provider
    }
}

/// Scores an accuracy log (`mlperf_log_accuracy.json`) of a benchmark's test set: (data directory, log path, FP32
/// reference quality, the model that answered, when known) → the report judged against the closed bound (99 % of
/// the reference). The model path matters to a benchmark whose responses are the model's own token ids
/// (translation decodes them with the vocabulary beside the model).
public typealias AccuracyScorer = @Sendable (_ dataDirectory: String, _ log: String, _ referenceAccuracy: Double,
                                             _ modelPath: String?) throws -> AccuracyReport

/// How a generative benchmark (one whose samples are answered by a generated token sequence, such as translation) is
/// served in process: `GenerativeSUT` over generators the benchmark opens, instead of one ONNX model under a
/// contract. Server then judges token latencies (MLPerf's `use_token_latencies`: TTFT and TPOT at the 99th
/// percentile) unless a conf file says otherwise.
public struct GenerativeServing: Sendable {
    /// Opens `count` generators over the model at `modelPath` (one per worker; each keeps its own buffers) for the
    /// loaded test set `data` (what `Benchmark.loadInference` returned for the same model).
    public var makeGenerators: @Sendable (_ runtime: ORTRuntime, _ modelPath: String, _ options: ORTSessionOptions,
                                          _ data: any InferenceData, _ count: Int) throws -> [any SequenceGenerator]
    /// Server's time-to-first-token bound (ns, p99).
    public var serverTTFTLatencyNs: UInt64
    /// Server's time-per-output-token bound (ns, p99).
    public var serverTPOTLatencyNs: UInt64

    public init(makeGenerators: @escaping @Sendable (ORTRuntime, String, ORTSessionOptions, any InferenceData, Int) throws
                    -> [any SequenceGenerator],
                serverTTFTLatencyNs: UInt64, serverTPOTLatencyNs: UInt64) {
        self.makeGenerators = makeGenerators
        self.serverTTFTLatencyNs = serverTTFTLatencyNs
        self.serverTPOTLatencyNs = serverTPOTLatencyNs
    }
}

/// The short training mode of `mlperf suite` for a benchmark whose full training would push the suite past ~20
/// minutes on 2 cores: fewer epochs to a lower, clearly labelled target. The model it makes is served and judged as
/// usual (accuracy ≥ 99 % of what that run reached); the benchmark's real target is unchanged.
public struct SuiteTraining: Sendable {
    public var maxEpochs: Int
    public var target: Double
    /// Said wherever the suite shows the result: `short mode: 1 epoch to BLEU ≥ 2 (the benchmark: BLEU ≥ 13)`.
    public var label: String

    public init(maxEpochs: Int, target: Double, label: String) {
        self.maxEpochs = maxEpochs
        self.target = target
        self.label = label
    }
}

/// What one in-process training run is asked to do.
public struct TrainingRequest: Sendable {
    public var seed: UInt64
    /// nil: the benchmark's `DataSource` default.
    public var dataDirectory: String?
    /// Where to write the trained model as ONNX (after `run_stop`, untimed), or nil.
    public var onnxOutputPath: String?
    public var division: String
    public var systemName: String
    public var threads: Int
    /// nil: the benchmark's closed-division epoch cap.
    public var maxEpochs: Int?

    public init(seed: UInt64, dataDirectory: String? = nil, onnxOutputPath: String? = nil, division: String = "closed",
                systemName: String = "cpu", threads: Int = 1, maxEpochs: Int? = nil) {
        self.seed = seed
        self.dataDirectory = dataDirectory
        self.onnxOutputPath = onnxOutputPath
        self.division = division
        self.systemName = systemName
        self.threads = threads
        self.maxEpochs = maxEpochs
    }
}

/// What an in-process Swift trainer reports beside its MLLOG: its sgemm work (for `mlperf bench training`).
public struct SwiftTrainingReport: Sendable {
    public var sgemmFlops: Double
    public var sgemmSeconds: Double

    public init(sgemmFlops: Double = 0, sgemmSeconds: Double = 0) {
        self.sgemmFlops = sgemmFlops
        self.sgemmSeconds = sgemmSeconds
    }
}

/// An in-process Swift reference trainer: one run for a request, MLLOG through the logger, polling the flag.
public typealias SwiftTrainer = @Sendable (TrainingRequest, MLLogger, @Sendable () -> Bool) throws -> SwiftTrainingReport

/// One benchmark of the suite, defined in one place (`Sources/Benchmarks/<Name>/`): its data, its training task
/// (target, closed rules, runs), its inference model contract, latency bounds, accuracy metric, and how it trains.
/// The CLI has no per-benchmark code: every command works from this description (`BenchmarkRegistry`).
public struct Benchmark: Sendable {
    /// The CLI name and `submission_benchmark`.
    public var name: String
    public var aliases: [String]
    /// The MLPerf area: `image classification`, `recommendation` …
    public var area: String
    /// One line for humans.
    public var label: String
    public var data: DataSource?
    /// nil: inference only (no training task).
    public var training: TrainingBenchmark?
    public var contract: ModelContract
    /// Server latency bound (ns, p99) used unless a conf file or the command line sets one.
    public var serverTargetLatencyNs: UInt64
    /// Untrained or synthetic: accuracy mode is refused.
    public var performanceOnly: Bool
    /// Loads the test set for inference. `modelPath`: the model being served (a benchmark may keep files beside it,
    /// e.g. the sentiment vocabulary).
    public var loadInference: @Sendable (_ dataDirectory: String, _ modelPath: String) throws -> any InferenceData
    /// The accuracy metric (nil: performance only).
    public var scoreAccuracy: AccuracyScorer?
    /// The in-process Swift reference trainer, if the benchmark has one.
    public var swiftTrainer: SwiftTrainer?
    /// The PyTorch reference trainer (a script under `references/pytorch/`), if the benchmark has one. It takes
    /// `--seed`, `--threads`, `--division`, `--platform`, `--data-dir` and `--onnx-out`.
    public var pytorchScript: String?
    /// The model file when none is given and the benchmark does not train (resnet50-perf, text-detection).
    public var builtInModel: (@Sendable ([String: String]) throws -> String)?
    /// For a benchmark that does not train: the FP32 quality of its built-in model (the closed bound is 99 % of it).
    public var referenceQuality: Double?
    /// The compliance tests a closed result needs, as the official checker asks of the official model of the same
    /// area: TEST01 and TEST04 for image classification (resnet); TEST01 alone for recommendation, language and
    /// detection (dlrm-v2, bert, retinanet/yolo are exempt from TEST04, whose same-sample queries also speed up a
    /// small model through the CPU caches).
    public var complianceTests: [String]
    /// Set for a generative benchmark: how it is served (then `contract` only describes the encoder's input).
    public var generative: GenerativeServing?
    /// The shorter training `mlperf suite` runs by default when the full one would make the suite too long (the
    /// full benchmark is `mlperf train NAME`, or `mlperf suite --full-training`); nil: the suite trains to the target.
    public var suiteTraining: SuiteTraining?

    public init(name: String, aliases: [String] = [], area: String, label: String, data: DataSource?,
                training: TrainingBenchmark?, contract: ModelContract, serverTargetLatencyNs: UInt64,
                performanceOnly: Bool = false,
                loadInference: @escaping @Sendable (String, String) throws -> any InferenceData,
                scoreAccuracy: AccuracyScorer?,
                swiftTrainer: SwiftTrainer? = nil,
                pytorchScript: String? = nil, builtInModel: (@Sendable ([String: String]) throws -> String)? = nil,
                referenceQuality: Double? = nil, complianceTests: [String] = ["TEST01", "TEST04"],
                generative: GenerativeServing? = nil, suiteTraining: SuiteTraining? = nil) {
        self.name = name
        self.aliases = aliases
        self.area = area
        self.label = label
        self.data = data
        self.training = training
        self.contract = contract
        self.serverTargetLatencyNs = serverTargetLatencyNs
        self.performanceOnly = performanceOnly
        self.loadInference = loadInference
        self.scoreAccuracy = scoreAccuracy
        self.swiftTrainer = swiftTrainer
        self.pytorchScript = pytorchScript
        self.builtInModel = builtInModel
        self.referenceQuality = referenceQuality
        self.complianceTests = complianceTests
        self.generative = generative
        self.suiteTraining = suiteTraining
    }

    /// The quality an accuracy run is judged against by default: the training target, or the built-in model's
    /// reference quality.
    public var defaultReferenceQuality: Double? { training?.target ?? referenceQuality }

    /// `defaultReferenceQuality` on the scale of `AccuracyReport.value`, which is higher-is-better: `1 − q` for a
    /// lower-is-better quality (WER: the accuracy is `1 − WER`, as MLPerf's rnnt checker reads `100 − WER`).
    public var reportedReferenceQuality: Double? {
        defaultReferenceQuality.map { training?.higherIsBetter == false ? 1 - $0 : $0 }
    }

    public func matches(_ name: String) -> Bool {
        let n = name.lowercased()
        return n == self.name || aliases.contains(n)
    }

    /// The model used when none is given: for a benchmark trained here, the one `mlperf suite` trained and exported
    /// (`SuiteLayout.modelPath`); else the built-in one.
    /// - Throws: `ServingError.trainedModelMissing`, which names the path and the one command that makes the model.
    public func defaultModel(suiteOutput: String = SuiteLayout.defaultOutputDirectory,
                             environment: [String: String]) throws -> String {
        if let builtInModel { return try builtInModel(environment) }
        let path = SuiteLayout.modelPath(benchmark: name, output: suiteOutput)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ServingError.trainedModelMissing(benchmark: name, path: path,
                                                   command: SuiteLayout.trainCommand(output: suiteOutput, benchmark: name))
        }
        return path
    }

    /// Opens the model and checks it against the contract.
    public func loadModel(runtime: ORTRuntime, path: String, options: ORTSessionOptions) throws -> ServedModel {
        try ServedModel(session: ORTSession(runtime: runtime, modelPath: path, options: options), contract: contract)
    }

    /// The data directory: `override`, else the data source's variable, else its default.
    public func dataDirectory(override: String? = nil) -> String {
        data?.directory(override: override) ?? override ?? ""
    }

    /// Loads the test set and checks that it fits the contract.
    public func inferenceData(dataDirectory override: String? = nil, modelPath: String) throws -> any InferenceData {
        try loadInference(dataDirectory(override: override), modelPath)
    }
}

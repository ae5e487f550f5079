import NeuralNet
import Datasets
import MLLog

/// Options of one Swift reference run of the Fashion-MNIST benchmark.
public struct FashionMNISTOptions: Sendable {
    /// Seeds the initial weights and the per-epoch shuffles. The same seed gives bit-identical weights.
    public var seed: UInt64
    /// The directory of the four IDX files (default `$FASHION_MNIST_DIR`, else Debian's directory).
    public var dataDirectory: String
    public var maxEpochs: Int
    /// Where to write the trained model as ONNX after `run_stop` (untimed), or nil.
    public var onnxOutputPath: String?
    /// `submission_division`: "closed" or "open".
    public var division: String
    /// `submission_org`.
    public var organization: String
    /// `submission_platform`: the system name.
    public var systemName: String
    /// `submission_status`: "onprem", "cloud" or "research".
    public var status: String
    /// OpenBLAS threads (1 is the reference setting, and needed for bit-identical runs).
    public var threads: Int
    /// Train on only the first N training images (tests). nil is the full benchmark; the MLLOG still says what
    /// was used in `train_samples`.
    public var trainSampleLimit: Int?
    /// Evaluate on only the first N test images (tests). nil is the full benchmark.
    public var evalSampleLimit: Int?
    /// The run succeeds at the first evaluation at or above this.
    public var targetAccuracy: Double

    public init(seed: UInt64, dataDirectory: String = FashionMNIST.defaultDirectory(),
                maxEpochs: Int = FashionMNISTBenchmark.maxEpochs, onnxOutputPath: String? = nil,
                division: String = "closed", organization: String = "SwiftMLPerf", systemName: String = "cpu",
                status: String = "onprem", threads: Int = 1, trainSampleLimit: Int? = nil,
                evalSampleLimit: Int? = nil, targetAccuracy: Double = FashionMNISTBenchmark.qualityTarget) {
        self.seed = seed; self.dataDirectory = dataDirectory; self.maxEpochs = maxEpochs
        self.onnxOutputPath = onnxOutputPath; self.division = division; self.organization = organization
        self.systemName = systemName; self.status = status; self.threads = threads
        self.trainSampleLimit = trainSampleLimit; self.evalSampleLimit = evalSampleLimit
        self.targetAccuracy = targetAccuracy
    }
}

/// The result of one run.
public struct FashionMNISTOutcome: Sendable {
    public var epochsRun: Int
    /// `eval_accuracy` after each epoch.
    public var accuracies: [Double]
    public var finalAccuracy: Double { accuracies.last ?? 0 }
    public var reachedTarget: Bool
    /// The run stopped because `isCancelled` returned true (logged as `run_stop` aborted).
    public var cancelled: Bool
    /// Seconds from `run_start` to `run_stop` (monotonic clock).
    public var trainSeconds: Double
    /// Seconds of the training passes only (no evaluation), summed over epochs.
    public var epochSeconds: [Double]
    /// sgemm work during the run (training and evaluation).
    public var sgemm: SGEMMStats
    /// The mean training loss of each epoch.
    public var trainLosses: [Double]
    /// The trained weights, in `FashionCNN.slices` order.
    public var parameters: [Float]
    public var onnxPath: String?

    /// sgemm FLOPs and time, as the harness reports them.
    public var sgemmFlops: Double { sgemm.flops }
    public var sgemmSeconds: Double { sgemm.seconds }
}

/// The Swift reference implementation of the Fashion-MNIST benchmark: data loading, the CNN on OpenBLAS, SGD with
/// momentum, evaluation every epoch, MLLOG through `logger`. In-process entry point for `mlperf train`.
public enum FashionMNISTReference {
    public static func train(_ options: FashionMNISTOptions, logger: MLLogger,
                             isCancelled: @Sendable () -> Bool) throws -> FashionMNISTOutcome {
        let bench = FashionMNISTBenchmark.self
        logger.referenceHeader(benchmark: bench.name, division: options.division, organization: options.organization,
                               platform: options.systemName, status: options.status)

        BLAS.setThreads(options.threads)
        let train = try FashionMNIST.load(.train, directory: options.dataDirectory)
        let test = try FashionMNIST.load(.test, directory: options.dataDirectory)
        let trainCount = min(options.trainSampleLimit ?? train.count, train.count)
        let evalCount = min(options.evalSampleLimit ?? test.count, test.count)
        let batchSize = bench.globalBatchSize
        let model = FashionCNN(maxBatch: batchSize, seed: options.seed)
        var shuffler = Xoshiro256(seed: options.seed ^ 0x5348_5546_464C_4521)
        var order = [Int32](0..<Int32(trainCount))
        let lr = Float(bench.baseLearningRate)
        let mu = Float(bench.momentum)

        logger.end("init_stop")
        logger.start("run_start")
        let runStart = monotonicNanos()
        logger.event("seed", .uint(options.seed))
        logger.event("global_batch_size", .int(Int64(batchSize)))
        logger.event("opt_name", .string(bench.optimizer))
        logger.event("opt_base_learning_rate", .double(bench.baseLearningRate))
        logger.event("opt_momentum", .double(bench.momentum))
        logger.event("opt_weight_decay", .double(bench.weightDecay))
        logger.event("train_samples", .int(Int64(trainCount)))
        logger.event("eval_samples", .int(Int64(evalCount)))

        var outcome = FashionMNISTOutcome(epochsRun: 0, accuracies: [], reachedTarget: false, cancelled: false,
                                          trainSeconds: 0, epochSeconds: [], sgemm: SGEMMStats(), trainLosses: [],
                                          parameters: [], onnxPath: nil)
        epochs: for epoch in 1...max(1, options.maxEpochs) {
            logger.epochBegin(epoch)
            let t0 = monotonicNanos()
            var lossSum = 0.0
            var steps = 0
            order.withUnsafeMutableBufferPointer { shuffler.shuffle($0) }
            var start = 0
            while start < trainCount {
                if isCancelled() { outcome.cancelled = true; break epochs }
                let b = min(batchSize, trainCount - start)
                order.withUnsafeBufferPointer { o in
                    for r in 0..<b { model.setSample(row: r, from: train, index: Int(o[start + r])) }
                }
                lossSum += Double(model.trainStep(batch: b, learningRate: lr, momentum: mu))
                steps += 1
                start += b
            }
            outcome.epochSeconds.append(Double(monotonicNanos() - t0) / 1e9)
            outcome.trainLosses.append(lossSum / Double(max(steps, 1)))
            logger.epochTrained(epoch)
            let correct = model.correctCount(on: test, limit: evalCount)
            let accuracy = Double(correct) / Double(evalCount)
            logger.epochEvaluated(epoch, quality: accuracy)
            outcome.epochsRun = epoch
            outcome.accuracies.append(accuracy)
            if accuracy >= options.targetAccuracy { outcome.reachedTarget = true; break }
            if isCancelled() { outcome.cancelled = true; break }
        }
        outcome.trainSeconds = Double(monotonicNanos() - runStart) / 1e9
        logger.end("run_stop", metadata: [JSONField("status", .string(outcome.reachedTarget ? "success" : "aborted"))])
        outcome.sgemm = model.stats
        outcome.parameters = model.parameterArray
        if let path = options.onnxOutputPath {
            try model.onnxModel().write(to: path)
            outcome.onnxPath = path
        }
        return outcome
    }
}

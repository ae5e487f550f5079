import Datasets
import Foundation
import MLLog
import NeuralNet

extension SentimentBenchmark {
    // Closed-division hyper-parameters: the same in Swift (here) and PyTorch (references/pytorch/train_sentiment.py).
    public static let embeddingDimension = 32
    public static let globalBatchSize = 32
    public static let learningRate = 0.005
    public static let beta1 = 0.9
    public static let beta2 = 0.999
    public static let epsilon = 1e-8
    public static let weightDecay = 0.0
    // Vocabulary (docs/datasets.md): built from the training reviews only.
    public static let vocabularyMinCount = 2
    public static let maxUnigrams = 10_000
    public static let maxBigrams = 20_000
}

/// The Swift reference of the `sentiment` benchmark: the vocabulary and sequences built in Swift (the same rules as
/// the PyTorch reference, checked equal by the tests), `NeuralNet.MeanBagClassifier` trained with Adam, accuracy
/// on the test reviews after every epoch, MLLOG through `logger` with the PyTorch reference's keys.
public enum SentimentReference {
    public static func train(_ request: TrainingRequest, logger: MLLogger, isCancelled: @Sendable () -> Bool,
                             maxEpochs: Int = SentimentBenchmark.maxEpochs,
                             target: Double = SentimentBenchmark.qualityTarget, trainLimit: Int? = nil,
                             evalLimit: Int? = nil) throws -> ReferenceOutcome {
        let b = SentimentBenchmark.self
        logger.referenceHeader(benchmark: b.name, division: request.division, platform: request.systemName)

        BLAS.setThreads(request.threads)
        let foods = try FineFoods.load(directory: request.dataDirectory ?? b.data.directory(), hint: b.data.missingHint)
        let vocabulary = SentimentVocabulary.build(trainReviews: foods.trainReviews)
        let nTrain = min(trainLimit ?? foods.trainReviews.count, foods.trainReviews.count)
        let nEval = min(evalLimit ?? foods.testReviews.count, foods.testReviews.count)
        let length = vocabulary.sequenceLength
        let trainIDs = foods.trainReviews.prefix(nTrain).flatMap { vocabulary.encode($0) }
        let testIDs = foods.testReviews.prefix(nEval).flatMap { vocabulary.encode($0) }
        let batchSize = b.globalBatchSize
        let hyper = AdamHyperparameters(learningRate: Float(b.learningRate), beta1: Float(b.beta1),
                                        beta2: Float(b.beta2), epsilon: Float(b.epsilon))
        let evalBatch = 250
        let model = MeanBagClassifier(vocabulary: vocabulary.size, dimension: b.embeddingDimension, classes: 2,
                                      sequenceLength: length, maxBatch: max(batchSize, evalBatch), seed: request.seed,
                                      hyper: hyper)
        var rng = Xoshiro256(seed: request.seed ^ 0x5345_4E54_494D_454E)
        var order = [Int32](0..<Int32(nTrain))
        var batchIDs = [Int64](repeating: 0, count: batchSize * length)
        var batchLabels = [Int32](repeating: 0, count: batchSize)

        logger.end("init_stop")
        logger.start("run_start")
        let runStart = monotonicNanos()
        logger.event("seed", .uint(request.seed))
        logger.event("global_batch_size", .int(Int64(batchSize)))
        logger.adamHyperparameters(learningRate: b.learningRate, beta1: b.beta1, beta2: b.beta2, epsilon: b.epsilon,
                                   weightDecay: b.weightDecay)
        logger.event("train_samples", .int(Int64(nTrain)))
        logger.event("eval_samples", .int(Int64(nEval)))

        var outcome = ReferenceOutcome()
        epochs: for epoch in 1...max(1, maxEpochs) {
            logger.epochBegin(epoch)
            order.withUnsafeMutableBufferPointer { rng.shuffle($0) }
            var start = 0
            while start < nTrain {
                if isCancelled() { outcome.cancelled = true; break epochs }
                let n = min(batchSize, nTrain - start)
                for r in 0..<n {
                    let j = Int(order[start + r])
                    for t in 0..<length { batchIDs[r * length + t] = trainIDs[j * length + t] }
                    batchLabels[r] = Int32(foods.trainLabels[j])
                }
                _ = model.trainStep(batchIDs, labels: batchLabels, batch: n)
                start += n
            }
            logger.epochTrained(epoch)
            var correct = 0
            var first = 0
            while first < nEval {
                let n = min(evalBatch, nEval - first)
                let logits = testIDs.withUnsafeBufferPointer { model.forward($0.baseAddress! + first * length, batch: n) }
                for i in 0..<n where (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == foods.testLabels[first + i] {
                    correct += 1
                }
                first += n
            }
            let accuracy = Double(correct) / Double(nEval)
            logger.epochEvaluated(epoch, quality: accuracy)
            outcome.epochsRun = epoch
            outcome.qualities.append(accuracy)
            if accuracy >= target { outcome.reachedTarget = true; break }
            if isCancelled() { outcome.cancelled = true; break }
        }
        outcome.trainSeconds = Double(monotonicNanos() - runStart) / 1e9
        outcome.sgemm = model.stats
        logger.end("run_stop", metadata: [JSONField("status", .string(outcome.reachedTarget ? "success" : "aborted"))])
        if let path = request.onnxOutputPath {
            try model.onnxModel().write(to: path)
            try vocabulary.write(path: SentimentVocabulary.path(forModel: path))
            outcome.onnxPath = path
        }
        return outcome
    }
}

import Datasets
import Foundation
import MLLog
import NeuralNet

extension NCFBenchmark {
    // Closed-division hyper-parameters: the same in Swift (here) and PyTorch (references/pytorch/train_ncf.py).
    /// GMF embedding size.
    public static let mfDimension = 8
    /// MLP widths; the first is the concatenated user and item embeddings (32 + 32).
    public static let mlpLayers = [64, 32, 16, 8]
    public static let globalBatchSize = 2048
    public static let learningRate = 0.005
    public static let beta1 = 0.9
    public static let beta2 = 0.999
    public static let epsilon = 1e-8
    public static let weightDecay = 0.0
    /// Training negatives drawn per training positive, every epoch, among the items the user never rated.
    public static let negativesPerPositive = 4
    /// Embeddings start as N(0, 0.01²).
    public static let embeddingStd: Float = 0.01
}

/// The Swift reference of the `ncf` benchmark: NeuMF on OpenBLAS (`NeuralNet.NeuMF`), lazy Adam on the embeddings,
/// HR@10 after every epoch, MLLOG through `logger` with the PyTorch reference's keys.
public enum NCFReference {
    public static func train(_ request: TrainingRequest, logger: MLLogger, isCancelled: @Sendable () -> Bool,
                             maxEpochs: Int = NCFBenchmark.maxEpochs, target: Double = NCFBenchmark.qualityTarget,
                             trainLimit: Int? = nil, evalLimit: Int? = nil) throws -> ReferenceOutcome {
        let b = NCFBenchmark.self
        logger.referenceHeader(benchmark: b.name, division: request.division, platform: request.systemName)

        BLAS.setThreads(request.threads)
        let data = try MovieLens.load(directory: request.dataDirectory ?? b.data.directory(),
                                      hint: b.data.missingHint)
        let nPositives = min(trainLimit ?? data.trainUsers.count, data.trainUsers.count)
        let evalUsers = min(evalLimit ?? data.userCount, data.userCount)
        let nTrain = nPositives * (1 + b.negativesPerPositive)
        let batchSize = b.globalBatchSize
        let hyper = AdamHyperparameters(learningRate: Float(b.learningRate), beta1: Float(b.beta1),
                                        beta2: Float(b.beta2), epsilon: Float(b.epsilon))
        let model = NeuMF(config: .init(users: data.userCount, items: data.itemCount, mfDimension: b.mfDimension,
                                        mlpLayers: b.mlpLayers, embeddingStd: b.embeddingStd),
                          maxBatch: max(batchSize, b.candidates * 16), seed: request.seed, hyper: hyper)
        var rng = Xoshiro256(seed: request.seed ^ 0x4E43_465F_5452_4149)
        var users = [Int32](repeating: 0, count: nTrain), items = [Int32](repeating: 0, count: nTrain)
        var labels = [Float](repeating: 0, count: nTrain)
        var order = [Int32](0..<Int32(nTrain))
        var batchUsers = [Int32](repeating: 0, count: batchSize), batchItems = [Int32](repeating: 0, count: batchSize)
        var batchLabels = [Float](repeating: 0, count: batchSize)

        logger.end("init_stop")
        logger.start("run_start")
        let runStart = monotonicNanos()
        logger.event("seed", .uint(request.seed))
        logger.event("global_batch_size", .int(Int64(batchSize)))
        logger.adamHyperparameters(learningRate: b.learningRate, beta1: b.beta1, beta2: b.beta2, epsilon: b.epsilon,
                                   weightDecay: b.weightDecay)
        logger.event("train_negatives_per_positive", .int(Int64(b.negativesPerPositive)))
        logger.event("train_samples", .int(Int64(nTrain)))
        logger.event("eval_samples", .int(Int64(evalUsers)))

        var outcome = ReferenceOutcome()
        epochs: for epoch in 1...max(1, maxEpochs) {
            logger.epochBegin(epoch)
            // Positives, then negatives drawn among the items the user never rated.
            for i in 0..<nPositives {
                users[i] = data.trainUsers[i]; items[i] = data.trainItems[i]; labels[i] = 1
            }
            var k = nPositives
            for _ in 0..<b.negativesPerPositive {
                for i in 0..<nPositives {
                    let u = data.trainUsers[i]
                    var item: Int32
                    repeat { item = Int32(rng.nextIndex(below: data.itemCount)) } while binarySearch(data.rated[Int(u)], item)
                    users[k] = u; items[k] = item; labels[k] = 0
                    k += 1
                }
            }
            order.withUnsafeMutableBufferPointer { rng.shuffle($0) }
            var start = 0
            while start < nTrain {
                if isCancelled() { outcome.cancelled = true; break epochs }
                let n = min(batchSize, nTrain - start)
                for r in 0..<n {
                    let j = Int(order[start + r])
                    batchUsers[r] = users[j]; batchItems[r] = items[j]; batchLabels[r] = labels[j]
                }
                _ = model.trainStep(users: batchUsers, items: batchItems, labels: batchLabels, batch: n)
                start += n
            }
            logger.epochTrained(epoch)
            let (hr, ndcg) = evaluate(model, data, users: evalUsers)
            logger.epochEvaluated(epoch, quality: hr, extra: [JSONField("ndcg_at_10", .double(ndcg))])
            outcome.epochsRun = epoch
            outcome.qualities.append(hr)
            outcome.secondary.append(ndcg)
            if hr >= target { outcome.reachedTarget = true; break }
            if isCancelled() { outcome.cancelled = true; break }
        }
        outcome.trainSeconds = Double(monotonicNanos() - runStart) / 1e9
        outcome.sgemm = model.stats
        logger.end("run_stop", metadata: [JSONField("status", .string(outcome.reachedTarget ? "success" : "aborted"))])
        if let path = request.onnxOutputPath {
            try model.onnxModel(candidates: b.candidates).write(to: path)
            outcome.onnxPath = path
        }
        return outcome
    }

    /// HR@10 and NDCG@10 over the first `users` test users (the tie rule of `NCFBenchmark.rank`).
    static func evaluate(_ model: NeuMF, _ data: MovieLens, users: Int) -> (Double, Double) {
        let c = NCFBenchmark.candidates
        let perChunk = model.maxBatch / c
        var u = [Int32](repeating: 0, count: perChunk * c), it = [Int32](repeating: 0, count: perChunk * c)
        var hits = 0, ndcg = 0.0
        var first = 0
        while first < users {
            let n = min(perChunk, users - first)
            for s in 0..<n {
                let user = first + s
                for k in 0..<c {
                    u[s * c + k] = Int32(user)
                    it[s * c + k] = k == 0 ? data.testPositive[user]
                        : data.testNegatives[user * MovieLens.negativesPerUser + k - 1]
                }
            }
            let scores = model.forward(users: u, items: it, batch: n * c)
            for s in 0..<n {
                let rank = NCFBenchmark.rank(scores: UnsafeBufferPointer(start: scores + s * c, count: c))
                if rank < NCFBenchmark.topK { hits += 1; ndcg += 1 / log2(Double(rank + 2)) }
            }
            first += n
        }
        return (Double(hits) / Double(users), ndcg / Double(users))
    }
}

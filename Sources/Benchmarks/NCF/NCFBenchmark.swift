import Datasets
import Foundation
import LoadGen
import Serving
import Training

/// Recommendation: NeuMF (GMF + MLP towers, MLPerf NCF's reference model) on the real MovieLens ml-latest-small
/// ratings, leave-one-out, HR@10 over the test positive and 100 sampled negatives (docs/datasets.md, `ncf`).
public enum NCFBenchmark {
    public static let name = "ncf"
    public static let area = "recommendation"
    public static let dataset = "MovieLens ml-latest-small (Debian r-cran-dslabs 0.7.4-1)"
    /// Candidates per inference sample: the test positive and its 100 negatives.
    public static let candidates = 1 + MovieLens.negativesPerUser
    /// HR@K's K.
    public static let topK = 10
    /// Quality target (HR@10), from 10 seeded PyTorch reference runs (references/pytorch/calibration.json).
    public static let qualityTarget = 0.65
    public static let maxEpochs = 10

    public static let data = DataSource(
        description: dataset, environmentVariable: "MLPERF_MOVIELENS_DIR",
        defaultDirectory: "data/pkgs/r-cran-dslabs/usr/lib/R/site-library/dslabs/data",
        fetchCommand: "bash scripts/setup.sh")

    public static let training = TrainingBenchmark(
        name: name, aliases: ["recommendation"], qualityMetric: "HR@10 (1 test positive vs 100 negatives per user)",
        target: qualityTarget, higherIsBetter: true, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// The ONNX contract: `user` and `item` int64 [N,101] (one sample = one user's candidate list, the positive
    /// first), `scores` float32 [N,101] (logits); each response is the 101 scores as float32.
    public static let contract = ModelContract(
        inputs: [TensorSpec(name: "user", elementType: .int64, sampleShape: [candidates]),
                 TensorSpec(name: "item", elementType: .int64, sampleShape: [candidates])],
        output: TensorSpec(name: "scores", sampleShape: [candidates]), response: .float32Scores)

    /// Server bound 10 ms p99 (a 101-candidate scoring is ~0.1 ms on one core; MLPerf's recommendation (DLRM) bound
    /// is 30 ms for much larger models).
    public static let benchmark = Benchmark(
        name: name, aliases: ["recommendation"], area: area,
        label: "NeuMF on MovieLens ml-latest-small (trained here, exported to ONNX)", data: data, training: training,
        contract: contract, serverTargetLatencyNs: 10_000_000,
        loadInference: { directory, _ in try NCFInference(movieLens: MovieLens.load(directory: directory, hint: data.missingHint)) },
        scoreAccuracy: { directory, log, reference, _ in
            let users = try MovieLens.load(directory: directory, hint: data.missingHint).userCount
            return hitRate(try AccuracyCheck.read(log: log, sampleCount: users), referenceAccuracy: reference)
        },
        swiftTrainer: { request, logger, isCancelled in
            let outcome = try NCFReference.train(request, logger: logger, isCancelled: isCancelled,
                                          maxEpochs: request.maxEpochs ?? maxEpochs)
            return SwiftTrainingReport(sgemmFlops: outcome.sgemm.flops, sgemmSeconds: outcome.sgemm.seconds)
        },
        pytorchScript: "references/pytorch/train_ncf.py",
        complianceTests: ["TEST01"])  // as dlrm-v2: no TEST04

    /// HR@10 and NDCG@10 of one user's scores (candidate 0 is the positive). A negative scoring equal to the
    /// positive counts against it; a NaN positive is a miss.
    /// - Returns: the positive's rank among the candidates (0 = first).
    @inlinable public static func rank(scores: UnsafeBufferPointer<Float>) -> Int {
        let positive = scores[0]
        if positive.isNaN { return scores.count }  // no score: a miss
        var rank = 0
        for k in 1..<scores.count where scores[k] >= positive { rank += 1 }
        return rank
    }
}

/// The 671 test users as inference samples, and HR@10 / NDCG@10 over an accuracy log.
final class NCFInference: InferenceData {
    let movieLens: MovieLens
    let tensors: TensorQSL
    var qsl: any QuerySampleLibrary { tensors }
    var provider: (any SampleProvider)? { tensors }

    init(movieLens: MovieLens) {
        self.movieLens = movieLens
        let n = NCFBenchmark.candidates
        var users: [Int64] = [], items: [Int64] = []
        users.reserveCapacity(movieLens.userCount * n)
        items.reserveCapacity(movieLens.userCount * n)
        for u in 0..<movieLens.userCount {
            users += Array(repeating: Int64(u), count: n)
            items.append(Int64(movieLens.testPositive[u]))
            for k in 0..<MovieLens.negativesPerUser {
                items.append(Int64(movieLens.testNegatives[u * MovieLens.negativesPerUser + k]))
            }
        }
        tensors = TensorQSL(name: "ncf-movielens", totalSampleCount: movieLens.userCount, int64Inputs: [users, items])
    }

}

extension NCFBenchmark {
    /// HR@10 (judged) and NDCG@10 (reported) over an accuracy log of 101 float32 scores per user.
    public static func hitRate(_ log: AccuracyLog, referenceAccuracy: Double) -> AccuracyReport {
        var total = log.unreadable.count, hits = 0, undecodable = log.unreadable.count
        var ndcg = 0.0
        for response in log.responses {
            guard let bytes = response else { continue }
            total += 1
            guard bytes.count == NCFBenchmark.candidates * 4 else { undecodable += 1; continue }
            let scores = (0..<NCFBenchmark.candidates).map { k in
                Float(bitPattern: AccuracyCheck.uint32LE(bytes, at: 4 * k))
            }
            let rank = scores.withUnsafeBufferPointer { NCFBenchmark.rank(scores: $0) }
            if rank < NCFBenchmark.topK {
                hits += 1
                ndcg += 1 / log2(Double(rank + 2))
            }
        }
        let users = Double(max(total, 1))
        return AccuracyReport(metric: "HR@10", value: Double(hits) / users, extras: [("NDCG@10", ndcg / users)],
                              total: total, correct: hits, log: log, undecodable: undecodable,
                              referenceAccuracy: referenceAccuracy)
    }
}

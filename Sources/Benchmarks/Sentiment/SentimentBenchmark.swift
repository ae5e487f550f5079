import Datasets
import LoadGen
import Serving
import Training

/// Sentiment analysis: a bag-of-n-grams embedding model on real Amazon fine-food reviews (5 stars or not),
/// accuracy on the 1,000 test reviews of other products (docs/datasets.md, `sentiment`).
public enum SentimentBenchmark {
    public static let name = "sentiment"
    public static let area = "sentiment analysis"
    public static let dataset = "Amazon fine-food reviews (Debian r-cran-modeldata 1.1.0-1, small_fine_foods)"
    public static let sequenceLength = 512
    /// Quality target (accuracy), from 10 seeded PyTorch reference runs (references/pytorch/calibration.json).
    public static let qualityTarget = 0.80
    public static let maxEpochs = 10

    public static let data = DataSource(
        description: dataset, environmentVariable: "MLPERF_FINE_FOODS_DIR",
        defaultDirectory: "data/pkgs/r-cran-modeldata/usr/lib/R/site-library/modeldata/data",
        fetchCommand: "bash scripts/setup.sh")

    public static let training = TrainingBenchmark(
        name: name, aliases: ["fine-foods"], qualityMetric: "accuracy on the 1,000 test reviews",
        target: qualityTarget, higherIsBetter: true, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// The ONNX contract: `tokens` int64 [N,512] (fixed length, 0-padded; the vocabulary is `<model>.vocab.json`),
    /// `logits` float32 [N,2] (class 1 = great); responses are the argmax class.
    public static let contract = ModelContract(
        inputs: [TensorSpec(name: "tokens", elementType: .int64, sampleShape: [sequenceLength])],
        output: TensorSpec(name: "logits", sampleShape: [2]), response: .argmaxInt32)

    /// Server bound 10 ms p99 (an embedding bag over 512 ids is microseconds on one core).
    public static let benchmark = Benchmark(
        name: name, aliases: ["fine-foods"], area: area,
        label: "n-gram embedding bag on fine-food reviews (trained here, exported to ONNX)", data: data,
        training: training, contract: contract, serverTargetLatencyNs: 10_000_000,
        loadInference: { directory, model in
            let foods = try FineFoods.load(directory: directory, hint: data.missingHint)
            let vocabulary = try SentimentVocabulary.read(path: SentimentVocabulary.path(forModel: model))
            return try SentimentInference(foods: foods, vocabulary: vocabulary)
        },
        scoreAccuracy: { directory, log, reference, _ in
            let labels = try FineFoods.load(directory: directory, hint: data.missingHint).testLabels
            return AccuracyCheck.classification(try AccuracyCheck.read(log: log, sampleCount: labels.count),
                                                labels: labels, classCount: 2, referenceAccuracy: reference)
        },
        swiftTrainer: { request, logger, isCancelled in
            let outcome = try SentimentReference.train(request, logger: logger, isCancelled: isCancelled,
                                          maxEpochs: request.maxEpochs ?? maxEpochs)
            return SwiftTrainingReport(sgemmFlops: outcome.sgemm.flops, sgemmSeconds: outcome.sgemm.seconds)
        },
        pytorchScript: "references/pytorch/train_sentiment.py",
        complianceTests: ["TEST01"])  // as bert: no TEST04
}

/// The 1,000 test reviews, tokenised with the model's vocabulary, and accuracy over an accuracy log.
final class SentimentInference: InferenceData {
    let labels: [Int]
    let tensors: TensorQSL
    var qsl: any QuerySampleLibrary { tensors }
    var provider: (any SampleProvider)? { tensors }

    init(foods: FineFoods, vocabulary: SentimentVocabulary) throws {
        guard vocabulary.sequenceLength == SentimentBenchmark.sequenceLength else {
            throw DatasetError.badValue(path: "vocabulary", detail: "sequence_length \(vocabulary.sequenceLength), "
                                        + "the model contract needs \(SentimentBenchmark.sequenceLength)")
        }
        labels = foods.testLabels
        let ids = foods.testReviews.flatMap { vocabulary.encode($0) }
        tensors = TensorQSL(name: "sentiment-fine-foods", totalSampleCount: foods.testReviews.count, int64Inputs: [ids])
    }
}

import Datasets
import LoadGen
import Serving
import Training

extension FashionMNISTBenchmark {
    /// The training task: top-1 accuracy on the 10k test set ≥ 0.90 within 15 epochs (SwiftMLPerf's own benchmark).
    public static let training = TrainingBenchmark(
        name: name, aliases: ["fashion_mnist"], qualityMetric: "top-1 accuracy on the 10k test set",
        target: qualityTarget, higherIsBetter: true, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// The suite entry: the CNN trained here (Swift on OpenBLAS, or PyTorch), exported to ONNX (input "input"
    /// float32 [N,1,28,28], output "logits" [N,10], argmax responses), on the 10 000 test images. Server bound 10 ms
    /// p99 (MLPerf's default latency class for small vision models).
    public static let benchmark = Benchmark(
        name: name, aliases: ["fashion_mnist"], area: area, label: "Fashion-MNIST CNN (trained here, exported to ONNX)",
        data: DataSource(description: dataset, environmentVariable: FashionMNIST.directoryVariable,
                         defaultDirectory: FashionMNIST.debianDirectory,
                         fetchCommand: "apt-get install dataset-fashion-mnist"),
        training: training,
        contract: .classifier(sampleShape: [1, 28, 28], input: onnxInputName, output: onnxOutputName),
        serverTargetLatencyNs: 10_000_000,
        loadInference: { directory, _ in try FashionMNISTInference(directory: directory) },
        scoreAccuracy: { directory, log, reference, _ in
            let test = try FashionMNIST.load(.test, directory: directory)
            return try AccuracyCheck.fashionMNIST(log: log, labels: test.labels, referenceAccuracy: reference)
        },
        swiftTrainer: { request, logger, isCancelled in
            let outcome = try FashionMNISTReference.train(
                FashionMNISTOptions(seed: request.seed, dataDirectory: request.dataDirectory ?? FashionMNIST.defaultDirectory(),
                                    maxEpochs: request.maxEpochs ?? maxEpochs, onnxOutputPath: request.onnxOutputPath,
                                    division: request.division, systemName: request.systemName, threads: request.threads),
                logger: logger, isCancelled: isCancelled)
            return SwiftTrainingReport(sgemmFlops: outcome.sgemmFlops, sgemmSeconds: outcome.sgemmSeconds)
        },
        pytorchScript: "references/pytorch/train_fashion_mnist.py")
}

/// The Fashion-MNIST test set for inference.
final class FashionMNISTInference: InferenceData {
    let fashion: FashionMNISTQSL
    var qsl: any QuerySampleLibrary { fashion }
    var provider: (any SampleProvider)? { fashion }

    init(directory: String) throws { fashion = try FashionMNISTQSL(directory: directory) }
}

import ArgumentParser
import Benchmarks
import Datasets
import Foundation
import Serving

/// `mlperf accuracy fashion-mnist LOG`: top-1 accuracy of an accuracy-mode run, judged the closed division's way.
struct AccuracyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "Check an accuracy run: decode mlperf_log_accuracy.json and compute top-1 against the labels.",
        usage: "mlperf accuracy <benchmark> <log> [<options>]",
        discussion: """
        The closed division requires at least 99% of the FP32 reference accuracy: pass the accuracy the \
        reference trainer reported for the served model with --reference-accuracy (default: the benchmark's \
        quality target, 0.90). Writes accuracy.txt (the official accuracy scripts' line) and accuracy.json next to \
        the log.

        Example:
          mlperf run fashion-mnist --scenario Offline --mode accuracy
          mlperf accuracy fashion-mnist \\
            out/run/fashion-mnist/Offline-accuracy/mlperf_log_accuracy.json \\
            --reference-accuracy 0.9009
        """
    )

    @Argument(help: "fashion-mnist.") var benchmark: String
    @Argument(help: "The mlperf_log_accuracy.json of an accuracy-mode run.") var log: String
    @Option(help: "The FP32 reference accuracy (fraction).") var referenceAccuracy: Double = FashionMNISTBenchmark.qualityTarget
    @Option(help: "Fashion-MNIST directory (default: $FASHION_MNIST_DIR or the Debian path).") var dataDir: String?

    func validate() throws {
        guard benchmark == FashionMNISTBenchmark.name else {
            throw ValidationError("accuracy is checked for fashion-mnist only (resnet50-perf has untrained weights: performance only)")
        }
        guard referenceAccuracy > 0 && referenceAccuracy <= 1 else { throw ValidationError("--reference-accuracy must be in (0, 1]") }
    }

    func run() throws {
        let report = try checkFashionMNISTAccuracy(log: log, referenceAccuracy: referenceAccuracy, dataDir: dataDir)
        print(report.line)
        print(report.verdict)
        if !report.passed { throw ExitCode(1) }
    }
}

/// Checks an accuracy log and writes accuracy.txt / accuracy.json beside it.
func checkFashionMNISTAccuracy(log: String, referenceAccuracy: Double, dataDir: String?) throws -> AccuracyReport {
    let test = try FashionMNIST.load(.test, directory: dataDir ?? FashionMNIST.defaultDirectory())
    let report = try AccuracyCheck.fashionMNIST(log: log, labels: test.labels, referenceAccuracy: referenceAccuracy)
    let dir = (log as NSString).deletingLastPathComponent
    try (report.line + "\n" + report.verdict + "\n").write(toFile: (dir.isEmpty ? "." : dir) + "/accuracy.txt", atomically: true, encoding: .utf8)
    let json: [String: Any] = ["benchmark": FashionMNISTBenchmark.name, "accuracy": report.accuracy, "good": report.correct,
                               "total": report.total, "missing": report.missing, "undecodable": report.undecodable,
                               "duplicates": report.duplicates, "reference_accuracy": report.referenceAccuracy,
                               "required": report.required, "passed": report.passed]
    try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        .write(to: URL(fileURLWithPath: (dir.isEmpty ? "." : dir) + "/accuracy.json"))
    return report
}

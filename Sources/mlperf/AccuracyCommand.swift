import ArgumentParser
import Benchmarks
import Datasets
import Foundation
import Serving

/// `mlperf accuracy BENCH LOG`: the benchmark's accuracy metric over an accuracy-mode run, judged the closed
/// division's way.
struct AccuracyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "Check an accuracy run: decode mlperf_log_accuracy.json and compute the benchmark's metric.",
        usage: "mlperf accuracy <benchmark> <log> [<options>]",
        discussion: benchmarkList() + """


        The metric is the benchmark's (top-1 accuracy, HR@10 …). The closed division requires at least 99% of the \
        FP32 reference: pass the quality the reference trainer reported for the served model with \
        --reference-accuracy (default: the benchmark's quality target). Writes accuracy.txt (the official \
        accuracy scripts' line) and accuracy.json next to the log.

        Example:
          mlperf run fashion-mnist --scenario Offline --mode accuracy
          mlperf accuracy fashion-mnist \\
            out/run/fashion-mnist/Offline-accuracy/mlperf_log_accuracy.json \\
            --reference-accuracy 0.9009
          mlperf accuracy ncf out/run/ncf/Offline-accuracy/mlperf_log_accuracy.json
        """
    )

    @Argument(help: "The benchmark (listed above).") var benchmark: String
    @Argument(help: "The mlperf_log_accuracy.json of an accuracy-mode run.") var log: String
    @Option(help: "The FP32 reference quality (fraction; default: the quality target).") var referenceAccuracy: Double?
    @Option(help: "The benchmark's data directory (default: its environment variable, else the set-up's).") var dataDir: String?
    @Option(help: "The model that answered (translation decodes its token ids with the vocabulary beside it; default: the one `mlperf suite` trained).") var model: String?

    func validate() throws {
        let bench = try BenchmarkRegistry.require(benchmark)
        guard bench.scoreAccuracy != nil else {
            throw ValidationError("\(bench.name) has untrained weights: performance only, no accuracy")
        }
        if let r = referenceAccuracy, !(r > 0) { throw ValidationError("--reference-accuracy must be above 0 (on the metric's scale: a fraction, or BLEU 0-100)") }
    }

    func run() throws {
        let bench = try BenchmarkRegistry.require(benchmark)
        let report = try checkAccuracy(bench, log: log,
                                       referenceAccuracy: referenceAccuracy ?? bench.defaultReferenceQuality ?? 1,
                                       dataDir: dataDir,
                                       modelPath: model ?? (try? bench.defaultModel(environment: ProcessInfo.processInfo.environment)))
        print(report.line)
        print(report.verdict)
        if !report.passed { throw ExitCode(1) }
    }
}

/// Checks an accuracy log and writes accuracy.txt / accuracy.json beside it.
/// `modelPath`: the model that answered, for a benchmark whose scorer needs files beside it (translation).
func checkAccuracy(_ bench: Benchmark, log: String, referenceAccuracy: Double, dataDir: String?,
                   modelPath: String? = nil) throws -> AccuracyReport {
    guard let score = bench.scoreAccuracy else { throw ServingError.performanceOnly(benchmark: bench.name) }
    let report = try score(bench.dataDirectory(override: dataDir), log, referenceAccuracy, modelPath)
    let dir = (log as NSString).deletingLastPathComponent
    try (report.line + "\n" + report.verdict + "\n").write(toFile: (dir.isEmpty ? "." : dir) + "/accuracy.txt", atomically: true, encoding: .utf8)
    var json: [String: Any] = ["benchmark": bench.name, "metric": report.metric, "value": report.value,
                               "accuracy": report.value, "good": report.correct,
                               "total": report.total, "missing": report.missing, "undecodable": report.undecodable,
                               "duplicates": report.duplicates, "reference_accuracy": report.referenceAccuracy,
                               "required": report.required, "passed": report.passed]
    for e in report.extras { json[e.name] = e.value }
    try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        .write(to: URL(fileURLWithPath: (dir.isEmpty ? "." : dir) + "/accuracy.json"))
    return report
}

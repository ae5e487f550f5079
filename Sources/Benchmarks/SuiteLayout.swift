import Foundation

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
    public static func trainCommand(output: String = defaultOutputDirectory, benchmark: String? = nil) -> String {
        "mlperf suite --train-only" + (benchmark.map { " --benchmarks \($0)" } ?? "")
            + (output == defaultOutputDirectory ? "" : " --out \(output)")
    }
}

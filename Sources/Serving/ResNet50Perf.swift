import Datasets
import ONNXRuntime
import ProjectEnvironment

/// `resnet50-perf`: the real ResNet-50 architecture (the ONNX model the PyPI `onnx` package ships among its
/// backend test data, `light_resnet50.onnx`, 1×3×224×224 → 1×1000 softmax) fed synthetic 224×224 inputs.
/// Its weights are generated, not trained, so its answers mean nothing: **performance mode only**.
public enum ResNet50Perf {
    public static let name = "resnet50-perf"
    public static let label = "ResNet-50 (ONNX test model from the onnx wheel, untrained weights; performance only)"
    /// One sample: 3×224×224 float32.
    public static let sampleShape = [3, 224, 224]
    /// Where the model sits inside the `onnx` package.
    public static let modelSubpath = "backend/test/data/light/light_resnet50.onnx"
    /// Synthetic samples: 1024 distinct inputs, 128 loaded at once (77 MB).
    public static let totalSampleCount = 1024
    public static let performanceSampleCount = 128

    /// The model file in the `onnx` package of the project's interpreter (`MLPERF_PYTHON`, else the checkout's
    /// `.venv`).
    /// - Throws: `ProjectPythonError` when there is no interpreter, `ServingError.modelMissing` when the package or
    ///   the file is missing.
    public static func locateModel(environment: [String: String]) throws -> String {
        let python = try PythonPackages.interpreter(environment: environment)
        switch PythonPackages.directory(of: "onnx", python: python) {
        case .success(let directory):
            let path = directory + "/" + modelSubpath
            guard isReadable(path) else {
                throw ServingError.modelMissing(benchmark: name, path: path,
                                                fix: "reinstall the onnx package: `rm -rf .venv && bash scripts/setup.sh`")
            }
            return path
        case .failure(let failure):
            throw ServingError.modelMissing(benchmark: name, path: "onnx/" + modelSubpath,
                                            fix: "\(failure.reason); install it with `bash scripts/setup.sh` "
                                                + "(or pass the model with --model)")
        }
    }

    /// The synthetic query sample library.
    public static func makeQSL(totalSampleCount: Int = totalSampleCount,
                               performanceSampleCount: Int = performanceSampleCount) -> SyntheticQSL {
        SyntheticQSL(name: "resnet50-perf-synthetic", sampleShape: sampleShape, totalSampleCount: totalSampleCount,
                     performanceSampleCount: performanceSampleCount)
    }
}

/// Errors of setting up a served benchmark (ORT's own errors come as `ORTError`).
public enum ServingError: Error, Equatable, CustomStringConvertible, Sendable {
    case modelMissing(benchmark: String, path: String, fix: String)
    /// No `--model` was given and the model that training exports is not at `path` yet; `command` makes it.
    case trainedModelMissing(benchmark: String, path: String, command: String)
    /// The model's declared tensor does not fit what the benchmark feeds or reads.
    case modelDoesNotFit(model: String, tensor: String, declared: String, needed: String)
    case performanceOnly(benchmark: String)
    case unknownBenchmark(String, known: [String])
    /// ORT failed while serving (samples were completed without data); the message is ORT's.
    case inferenceFailed(String)

    public var description: String {
        switch self {
        case .modelMissing(let benchmark, let path, let fix):
            return "\(benchmark): model file \(path) not found: \(fix)."
        case .trainedModelMissing(let benchmark, let path, let command):
            return "\(benchmark): no --model given and no trained model at \(path). Train and export it with "
                + "`\(command)` (or pass --model FILE.onnx)."
        case .modelDoesNotFit(let model, let tensor, let declared, let needed):
            return "model \(model) declares '\(tensor)' as \(declared), but this benchmark needs \(needed). "
                + "Pass the model made for this benchmark with --model, or run the benchmark this model was made for."
        case .performanceOnly(let benchmark):
            return "\(benchmark) has untrained weights: it runs in performance mode only (use --mode performance)."
        case .unknownBenchmark(let name, let known):
            return "unknown inference benchmark '\(name)' (known: \(known.joined(separator: ", ")))."
        case .inferenceFailed(let message):
            return "inference failed during the run: \(message)"
        }
    }
}

func isReadable(_ path: String) -> Bool {
    #if canImport(Glibc)
    return access(path, R_OK) == 0
    #else
    return false
    #endif
}
#if canImport(Glibc)
import Glibc
#endif

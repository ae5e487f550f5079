import Datasets
import LoadGen
import Serving
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

extension ResNet50Perf {
    /// The suite entry. The official ResNet-50 Server bound (15 ms) assumes an accelerator; one inference takes
    /// ~100 ms on one core of the project's machines, so the bound here is 1 s (p99).
    public static let benchmark = Benchmark(
        name: name, area: "image classification", label: label, data: nil, training: nil,
        contract: .classifier(sampleShape: sampleShape), serverTargetLatencyNs: 1_000_000_000, performanceOnly: true,
        loadInference: { _, _ in ResNet50PerfInference(qsl: makeQSL()) }, scoreAccuracy: nil,
        builtInModel: { try locateModel(environment: $0) })
}

final class ResNet50PerfInference: InferenceData {
    let synthetic: SyntheticQSL
    var qsl: any QuerySampleLibrary { synthetic }
    var provider: (any SampleProvider)? { synthetic }
    init(qsl: SyntheticQSL) { synthetic = qsl }
}

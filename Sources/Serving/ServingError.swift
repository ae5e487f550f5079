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
    /// A generative benchmark (its samples are answered by generated token sequences) was asked for what only a
    /// benchmark served as tensors has: one ONNX model under a contract, or a KServe v2 request body.
    case notTensorServed(benchmark: String)

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
        case .notTensorServed(let benchmark):
            return "\(benchmark) is a generative benchmark (each sample is answered by generated tokens): it is served "
                + "in process by `mlperf run \(benchmark)` (greedy decoding over its ONNX encoder and decoder), not as "
                + "one tensor model (KServe v2, `mlperf bench inference`)."
        }
    }
}

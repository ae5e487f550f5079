import MLLog
import NeuralNet

/// The result of one run of a Swift reference trainer (ncf, sentiment).
public struct ReferenceOutcome: Sendable {
    public var epochsRun: Int = 0
    /// The quality (`eval_accuracy`) after each epoch.
    public var qualities: [Double] = []
    /// A second figure per epoch where the benchmark reports one (ncf: NDCG@10), else empty.
    public var secondary: [Double] = []
    public var reachedTarget = false
    /// The run stopped because `isCancelled` returned true (logged as `run_stop` aborted).
    public var cancelled = false
    /// Seconds from `run_start` to `run_stop` (monotonic clock).
    public var trainSeconds: Double = 0
    public var onnxPath: String?
    /// sgemm work of the run (training and evaluation).
    public var sgemm = SGEMMStats()

    public init() {}
}

/// The MLLOG lines every reference trainer writes (Swift here, and the PyTorch scripts under `references/pytorch/`
/// in the same order), so that one closed ruleset checks both implementations of a benchmark.
extension MLLogger {
    /// `submission_*`, `cache_clear`, then `init_start`.
    func referenceHeader(benchmark: String, division: String, organization: String = "SwiftMLPerf",
                         platform: String, status: String = "onprem") {
        event("submission_benchmark", .string(benchmark))
        event("submission_division", .string(division))
        event("submission_org", .string(organization))
        event("submission_platform", .string(platform))
        event("submission_status", .string(status))
        event("cache_clear", true)
        start("init_start")
    }

    /// `opt_name` adam and its hyper-parameters (`opt_base_learning_rate`, `opt_adam_beta_1/2`, `opt_adam_epsilon`,
    /// `opt_weight_decay`).
    func adamHyperparameters(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double) {
        event("opt_name", "adam")
        event("opt_base_learning_rate", .double(learningRate))
        event("opt_adam_beta_1", .double(beta1))
        event("opt_adam_beta_2", .double(beta2))
        event("opt_adam_epsilon", .double(epsilon))
        event("opt_weight_decay", .double(weightDecay))
    }

    /// `block_start` (one epoch per block) and `epoch_start`.
    func epochBegin(_ epoch: Int) {
        let e = JSONValue.int(Int64(epoch))
        start("block_start", metadata: [JSONField("first_epoch_num", e), JSONField("epoch_count", 1)])
        start("epoch_start", metadata: [JSONField("epoch_num", e)])
    }

    /// `epoch_stop` and `eval_start`: training of the epoch is over, evaluation begins.
    func epochTrained(_ epoch: Int) {
        let e = JSONValue.int(Int64(epoch))
        end("epoch_stop", metadata: [JSONField("epoch_num", e)])
        start("eval_start", metadata: [JSONField("epoch_num", e)])
    }

    /// `eval_accuracy` (with `extra` metadata), `eval_stop` and `block_stop`.
    func epochEvaluated(_ epoch: Int, quality: Double, extra: [JSONField] = []) {
        let e = JSONValue.int(Int64(epoch))
        event("eval_accuracy", .double(quality), metadata: [JSONField("epoch_num", e)] + extra)
        end("eval_stop", metadata: [JSONField("epoch_num", e)])
        end("block_stop", metadata: [JSONField("first_epoch_num", e)])
    }
}

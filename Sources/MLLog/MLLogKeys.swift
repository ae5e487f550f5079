/// The standard MLLOG keys (`mlperf_logging.mllog.constants`), spec training.md §2. Unknown keys are allowed.
public enum MLLogKey {
    // Submission info.
    public static let submissionBenchmark = "submission_benchmark"
    public static let submissionDivision = "submission_division"
    public static let submissionOrg = "submission_org"
    public static let submissionPlatform = "submission_platform"
    public static let submissionStatus = "submission_status"
    public static let submissionEntry = "submission_entry"
    public static let submissionPocName = "submission_poc_name"
    public static let submissionPocEmail = "submission_poc_email"
    // Timing.
    public static let initStart = "init_start"
    public static let initStop = "init_stop"
    public static let runStart = "run_start"
    public static let runStop = "run_stop"
    public static let blockStart = "block_start"
    public static let blockStop = "block_stop"
    public static let epochStart = "epoch_start"
    public static let epochStop = "epoch_stop"
    public static let evalStart = "eval_start"
    public static let evalStop = "eval_stop"
    public static let stagingStart = "staging_start"
    public static let stagingStop = "staging_stop"
    // Run info.
    public static let cacheClear = "cache_clear"
    public static let evalAccuracy = "eval_accuracy"
    public static let evalSamples = "eval_samples"
    public static let trainSamples = "train_samples"
    public static let trainedSamples = "trained_samples"
    public static let seed = "seed"
    public static let weightsInitialization = "weights_initialization"
    // Hyper-parameters.
    public static let globalBatchSize = "global_batch_size"
    public static let gradientAccumulationSteps = "gradient_accumulation_steps"
    public static let maxSteps = "max_steps"
    public static let maxSamples = "max_samples"
    public static let maxSequenceLength = "max_sequence_length"
    public static let optName = "opt_name"
    public static let optBaseLearningRate = "opt_base_learning_rate"
    public static let optEndLearningRate = "opt_end_learning_rate"
    public static let optWeightDecay = "opt_weight_decay"
    public static let optGradientClipNorm = "opt_gradient_clip_norm"
    public static let optLearningRateWarmupSteps = "opt_learning_rate_warmup_steps"
    public static let optLearningRateWarmupEpochs = "opt_learning_rate_warmup_epochs"
    public static let optLearningRateDecaySteps = "opt_learning_rate_decay_steps"
    public static let optLearningRateDecaySchedule = "opt_learning_rate_decay_schedule"
    /// Not an official key: SwiftMLPerf's Fashion-MNIST benchmark logs its SGD momentum under it.
    public static let optMomentum = "opt_momentum"
    // Parallelism, precision and configuration disclosure (mandatory from 6.1.0).
    public static let tensorParallelism = "tensor_parallelism"
    public static let pipelineParallelism = "pipeline_parallelism"
    public static let contextParallelism = "context_parallelism"
    public static let expertParallelism = "expert_parallelism"
    public static let microBatchSize = "micro_batch_size"
    public static let lowestNumericalPrecisionInLinear = "lowest_numerical_precision_in_linear"
    public static let lowestNumericalPrecisionInAttn = "lowest_numerical_precision_in_attn"
    public static let lowestNumericalPrecisionInComm = "lowest_numerical_precision_in_comm"
    public static let configFilename = "config_filename"
}

/// Metadata key names.
public enum MLLogMetadataKey {
    public static let file = "file"
    public static let lineno = "lineno"
    public static let epochNum = "epoch_num"
    public static let epochCount = "epoch_count"
    public static let firstEpochNum = "first_epoch_num"
    public static let samplesCount = "samples_count"
    public static let stepNum = "step_num"
    public static let status = "status"
}

/// Values of `run_stop`'s `status` metadata.
public enum MLLogRunStatus {
    public static let success = "success"
    public static let aborted = "aborted"
}

extension JSONField {
    /// `epoch_num` metadata (classic benchmarks count epochs from 1).
    public static func epochNum(_ n: Int) -> JSONField { JSONField(MLLogMetadataKey.epochNum, .int(Int64(n))) }
    /// `samples_count` metadata (the modern benchmarks' eval and block position).
    public static func samplesCount(_ n: Int64) -> JSONField { JSONField(MLLogMetadataKey.samplesCount, .int(n)) }
    /// `first_epoch_num` metadata of a block.
    public static func firstEpochNum(_ n: Int) -> JSONField { JSONField(MLLogMetadataKey.firstEpochNum, .int(Int64(n))) }
    /// `epoch_count` metadata of a block.
    public static func epochCount(_ n: Int) -> JSONField { JSONField(MLLogMetadataKey.epochCount, .int(Int64(n))) }
    /// `status` metadata of `run_stop` (`MLLogRunStatus.success` or `.aborted`).
    public static func status(_ s: String) -> JSONField { JSONField(MLLogMetadataKey.status, .string(s)) }
}

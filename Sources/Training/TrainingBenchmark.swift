/// A training benchmark: what to train to which quality, under which ruleset.
public struct TrainingBenchmark: Sendable, Equatable {
    /// The name on the command line, in `submission_benchmark` and in `results/<system>/<name>/`.
    public var name: String
    /// Other spellings accepted on the command line and in logs.
    public var aliases: [String]
    /// The `eval_accuracy` metric, in words.
    public var qualityMetric: String
    /// The quality target.
    public var target: Double
    /// Whether a larger `eval_accuracy` is better (accuracy) or a smaller one (loss, perplexity).
    public var higherIsBetter: Bool
    /// The most epochs a closed run may take.
    public var maxEpochs: Int
    /// The compliance ruleset id (`Training` resources: `Rulesets/training_<id>/`).
    public var rulesetID: String
    /// Runs per result (the olympic mean drops the fastest and slowest).
    public var requiredRuns: Int
    /// How many fastest (and slowest) runs the olympic score drops.
    public var olympicDrop: Int

    public init(name: String, aliases: [String] = [], qualityMetric: String, target: Double, higherIsBetter: Bool,
                maxEpochs: Int, rulesetID: String, requiredRuns: Int = 5, olympicDrop: Int = 1) {
        self.name = name
        self.aliases = aliases
        self.qualityMetric = qualityMetric
        self.target = target
        self.higherIsBetter = higherIsBetter
        self.maxEpochs = maxEpochs
        self.rulesetID = rulesetID
        self.requiredRuns = requiredRuns
        self.olympicDrop = olympicDrop
    }

    /// The target as a condition on the quality, for people: `≥ 0.9`, or `≤ 0.3` when lower is better.
    public var targetCondition: String { "\(higherIsBetter ? "≥" : "≤") \(target)" }

    /// Whether an `eval_accuracy` value meets the target.
    public func meetsTarget(_ quality: Double) -> Bool {
        higherIsBetter ? quality >= target : quality <= target
    }

    public func matches(_ name: String) -> Bool { name == self.name || aliases.contains(name) }
}

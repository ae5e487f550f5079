/// One rule a file broke: which file, which rule, what was expected and what was found.
public struct CheckProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var file: String
    /// A short rule id (`seeds`, `min_duration`, `accuracy_target`, `system_field` …).
    public var rule: String
    public var expected: String
    public var found: String
    public var severity: Severity

    public init(file: String, rule: String, expected: String, found: String, severity: Severity = .error) {
        self.file = file; self.rule = rule; self.expected = expected; self.found = found; self.severity = severity
    }

    public var description: String {
        "\(severity == .error ? "ERROR" : "WARNING") \(file): \(rule): expected \(expected), found \(found)"
    }
}

/// The checker's verdict on one result (`<division>/<submitter>/results/<system>/<model>/<scenario>`).
public struct ResultVerdict: Sendable, Codable {
    /// The path relative to the tree's root.
    public var path: String
    public var division: String
    public var submitter: String
    public var system: String
    public var model: String
    /// The official model the result is checked as (through `model_mapping.json` in the open division).
    public var mlperfModel: String
    public var scenario: String
    public var accepted: Bool
    /// The scenario's metric as the checker reports it (SingleStream/MultiStream in ms, Offline samples/s,
    /// Server completed samples/s; tokens/s for LLMs), nil when the performance run could not be read.
    public var value: Double?
    public var unit: String
    /// The accuracy figures read from `accuracy.txt` (metric → value).
    public var accuracy: [String: Double]
    /// Whether the compliance tests the division needs passed (always true in the open division).
    public var compliance: Bool
    /// Whether the performance run itself passed (the official checker counts a required scenario as present then,
    /// whatever its accuracy or compliance).
    public var performanceValid = false
    public var problems: [CheckProblem]
    public var warnings: [CheckProblem]
}

/// Everything `InferenceChecker` found in a tree.
public struct CheckReport: Sendable, Codable {
    public var root: String
    public var version: String
    public var results: [ResultVerdict]
    /// Problems that belong to no single result (an invalid division, a system file with no results, a missing
    /// `calibration.md`, a model without its required scenarios …). Any of them fails the tree.
    public var treeProblems: [CheckProblem]

    /// True when every result is accepted and nothing else is wrong (the official checker's exit status 0).
    public var passed: Bool { treeProblems.isEmpty && results.allSatisfy(\.accepted) }
    public var accepted: [ResultVerdict] { results.filter(\.accepted) }
}

import Foundation

/// One accuracy requirement of an official model: the metric's name in the checker's table (`acc`, `mAP`, `ROUGE1` …)
/// and its threshold, already multiplied by the 99 % / 99.9 % factor.
public struct AccuracyRequirement: Sendable, Codable, Equatable {
    public var metric: String
    public var value: Double
    public init(metric: String, value: Double) { self.metric = metric; self.value = value }
}

/// The rules an inference submission checker applies, for one checker version.
///
/// The official tables (`v5.1`, `v6.1`) are data taken from the MLCommons inference submission checker
/// (`tools/submission/submission_checker_old.py`), extracted by `scripts/dev/extract_inference_rules.py` into
/// `Rules/official_inference_rules.json`; the rules themselves are implemented in `InferenceChecker`.
/// ``adding(_:)`` extends a table with SwiftMLPerf's own benchmarks (the `swiftmlperf-1.0` rule book).
public struct InferenceRuleBook: Sendable {
    /// `v5.1`, `v6.1`, or `swiftmlperf-1.0`.
    public var version: String
    public var qslSeed: UInt64, sampleIndexSeed: UInt64, scheduleSeed: UInt64
    /// Models allowed in the closed and network divisions.
    public var models: [String]
    /// `required-scenarios-<type>` / `optional-scenarios-<type>`, keyed by system type
    /// (`datacenter`, `edge`, `datacenter-edge`) then model.
    public var requiredScenarios: [String: [String: [String]]]
    public var optionalScenarios: [String: [String: [String]]]
    public var accuracyTargets: [String: [AccuracyRequirement]]
    public var accuracyUpperLimits: [String: [AccuracyRequirement]]
    /// TEST01's allowed accuracy change in percent per model and metric (default 1 %, 0.1 % for "99.9" models).
    public var accuracyDeltaPercent: [String: [String: Double]]
    public var performanceSampleCount: [String: Int]
    /// The least `effective_accuracy_sample_count` of an accuracy run (the performance sample count when absent).
    public var accuracySampleCount: [String: Int]
    /// Samples in each model's data set (a mismatch in the accuracy run is a warning).
    public var datasetSize: [String: Int]
    /// Server (and Interactive) p99 latency bound in ns.
    public var latencyConstraintNs: [String: [String: Int]]
    public var minQueries: [String: [String: Int]]
    /// Official aliases (e.g. `resnet50` → `resnet`).
    public var modelMapping: [String: String]
    /// The detail-log key holding each scenario's metric, and per-model overrides (tokens/s for LLMs).
    public var resultField: [String: String]
    public var resultFieldOverride: [String: [String: String]]
    /// Compliance tests each model needs in the closed and network divisions.
    public var complianceTests: [String: [String]]
    /// Regular expressions (Python `re.match` semantics: anchored at the line start) per accuracy metric name.
    public var accuracyPatterns: [String: String]
    public var offlineMinSamplesPerQuery: [String: Int]
    public var equalIssueModels: Set<String>
    public var tokenLatencyModels: Set<String>
    /// TTFT / TPOT p99 bounds (ns) per model and scenario.
    public var llmLatencyLimits: [String: [String: [String: Int]]]
    public var requiredAccuracyFiles: [String]
    /// Extra files an accuracy directory must hold, per model then version (SDXL's sample images).
    public var requiredAccuracyExtraFiles: [String: [String: [String: [String]]]]
    public var systemRequiredFields: [String]
    public var systemMeaningfulFields: [String]
    public var measurementsRequiredFields: [String]
    public var validAvailabilities: [String]
    /// MLPerf's minimum run length (600 000 ms).
    public var minDurationMs: Int
    /// Largest accepted `mlperf_log_accuracy.json` after truncation (10 KiB).
    public var maxAccuracyLogBytes: Int
    /// SwiftMLPerf's own benchmarks in this book (empty in the official tables). Closed results of these must also
    /// record the model's SHA-256, use no retraining and no weight transformation other than a quantization
    /// calibrated on the benchmark's calibration list.
    public var suiteModels: Set<String> = []

    /// Versions of the official table shipped with SwiftMLPerf.
    public static let officialVersions = ["v5.1", "v6.1"]

    /// The official rules of checker `version` (`v5.1` or `v6.1`).
    /// - Throws: `SubmissionError.unknownRuleBook` for any other version.
    public static func official(_ version: String) throws(SubmissionError) -> InferenceRuleBook {
        let table: OfficialTable
        do {
            let url = Bundle.module.resourceURL!.appendingPathComponent("Rules/official_inference_rules.json")
            table = try JSONDecoder().decode(OfficialTable.self, from: Data(contentsOf: url))
        } catch {
            throw .unreadable(file: "official_inference_rules.json", reason: "\(error)")
        }
        guard let v = table.versions[version] else {
            throw .unknownRuleBook(version, known: officialVersions)
        }
        func seed(_ k: String) -> UInt64 { UInt64(v.seeds[k] ?? "") ?? 0 }
        var required: [String: [String: [String]]] = [:], optional: [String: [String: [String]]] = [:]
        for type in ["datacenter", "edge", "datacenter-edge"] {
            required[type] = v.scenarios["required-scenarios-" + type]
            optional[type] = v.scenarios["optional-scenarios-" + type]
        }
        return InferenceRuleBook(
            version: version, qslSeed: seed("qsl_rng_seed"), sampleIndexSeed: seed("sample_index_rng_seed"),
            scheduleSeed: seed("schedule_rng_seed"), models: v.models, requiredScenarios: required,
            optionalScenarios: optional, accuracyTargets: v.accuracyTarget, accuracyUpperLimits: v.accuracyUpperLimit,
            accuracyDeltaPercent: v.accuracyDeltaPerc,
            performanceSampleCount: v.performanceSampleCount, accuracySampleCount: v.accuracySampleCount,
            datasetSize: v.datasetSize, latencyConstraintNs: v.latencyConstraint,
            minQueries: v.minQueries, modelMapping: v.modelMapping, resultField: v.resultField,
            resultFieldOverride: v.resultFieldOverwrite, complianceTests: table.complianceTests,
            accuracyPatterns: table.accuracyPatterns, offlineMinSamplesPerQuery: table.offlineMinSamplesPerQuery,
            equalIssueModels: Set(table.equalIssueModels), tokenLatencyModels: Set(table.llmTokenLatencyModels),
            llmLatencyLimits: table.llmLatencyLimits, requiredAccuracyFiles: table.requiredAccuracyFiles,
            requiredAccuracyExtraFiles: table.requiredAccuracyExtraFiles,
            systemRequiredFields: table.systemRequiredFields, systemMeaningfulFields: table.systemMeaningfulFields,
            measurementsRequiredFields: table.measurementsRequiredFields,
            validAvailabilities: table.validAvailabilities, minDurationMs: table.minDurationMs,
            maxAccuracyLogBytes: table.maxAccuracyLogBytes)
    }

    /// This table plus SwiftMLPerf's own benchmarks as closed-division models, renamed `version`.
    public func adding(_ benchmarks: [SuiteModelRules], version: String) -> InferenceRuleBook {
        var book = self
        book.version = version
        for b in benchmarks {
            book.models.append(b.name)
            book.suiteModels.insert(b.name)
            for type in ["datacenter", "edge", "datacenter-edge"] {
                book.requiredScenarios[type, default: [:]][b.name] = b.requiredScenarios
                book.optionalScenarios[type, default: [:]][b.name] = []
            }
            book.accuracyTargets[b.name] = [AccuracyRequirement(metric: "acc", value: b.accuracyTargetPercent)]
            book.performanceSampleCount[b.name] = b.performanceSampleCount
            if b.datasetSize > 0 { book.datasetSize[b.name] = b.datasetSize }
            if let ns = b.serverLatencyNs { book.latencyConstraintNs[b.name] = ["Server": ns] }
            book.minQueries[b.name] = ["SingleStream": 1024, "MultiStream": 270336, "Server": 270336, "Offline": 1]
            book.offlineMinSamplesPerQuery[b.name] = 1
            book.complianceTests[b.name] = b.complianceTests
        }
        return book
    }

    /// The official model name `model` stands for, given an open-division `model_mapping.json`.
    /// SwiftMLPerf's benchmarks are themselves in a book that has them (`swiftmlperf-1.0`), whatever the mapping.
    public func mlperfModel(_ model: String, extraMapping: [String: String]) -> String {
        if suiteModels.contains(model) { return model }
        if let m = modelMapping[model] { return m }
        if let m = extraMapping[model] { return modelMapping[m] ?? m }
        return model
    }
}

/// A SwiftMLPerf benchmark as the `swiftmlperf-1.0` rule book sees it (filled from the benchmark registry).
public struct SuiteModelRules: Sendable {
    public var name: String
    /// The closed target in percent, read from an `accuracy=NN.NNN%` line (the official `acc` pattern).
    public var accuracyTargetPercent: Double
    public var performanceSampleCount: Int
    public var datasetSize: Int
    public var serverLatencyNs: Int?
    public var requiredScenarios: [String]
    public var complianceTests: [String]
    public init(name: String, accuracyTargetPercent: Double, performanceSampleCount: Int, datasetSize: Int,
                serverLatencyNs: Int?,
                requiredScenarios: [String] = ["SingleStream", "MultiStream", "Server", "Offline"],
                complianceTests: [String] = []) {
        self.name = name; self.accuracyTargetPercent = accuracyTargetPercent
        self.performanceSampleCount = performanceSampleCount; self.datasetSize = datasetSize
        self.serverLatencyNs = serverLatencyNs
        self.requiredScenarios = requiredScenarios; self.complianceTests = complianceTests
    }
}

/// The shape of `Rules/official_inference_rules.json`.
private struct OfficialTable: Decodable {
    struct Version: Decodable {
        var models: [String]
        var scenarios: [String: [String: [String]]]
        var accuracyTarget: [String: [AccuracyRequirement]]
        var accuracyUpperLimit: [String: [AccuracyRequirement]]
        var accuracyDeltaPerc: [String: [String: Double]]
        var performanceSampleCount: [String: Int]
        var accuracySampleCount: [String: Int]
        var datasetSize: [String: Int]
        var latencyConstraint: [String: [String: Int]]
        var minQueries: [String: [String: Int]]
        var modelMapping: [String: String]
        var seeds: [String: String]
        var resultField: [String: String]
        var resultFieldOverwrite: [String: [String: String]]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func get<T: Decodable>(_ k: String, _ t: T.Type) throws -> T { try c.decode(T.self, forKey: Key(k)) }
            models = try get("models", [String].self)
            var s: [String: [String: [String]]] = [:]
            for k in c.allKeys where k.stringValue.contains("-scenarios-") {
                s[k.stringValue] = try c.decode([String: [String]].self, forKey: k)
            }
            scenarios = s
            accuracyTarget = try get("accuracy-target", [String: [AccuracyRequirement]].self)
            accuracyUpperLimit = try get("accuracy-upper-limit", [String: [AccuracyRequirement]].self)
            accuracyDeltaPerc = try get("accuracy-delta-perc", [String: [String: Double]].self)
            performanceSampleCount = try get("performance-sample-count", [String: Int].self)
            accuracySampleCount = try get("accuracy-sample-count", [String: Int].self)
            datasetSize = try get("dataset-size", [String: Int].self)
            latencyConstraint = try get("latency-constraint", [String: [String: Int]].self)
            minQueries = try get("min-queries", [String: [String: Int]].self)
            modelMapping = try get("model_mapping", [String: String].self)
            seeds = try get("seeds", [String: String].self)
            resultField = try get("result-field", [String: String].self)
            resultFieldOverwrite = try get("result-field-overwrite", [String: [String: String]].self)
        }
    }
    var versions: [String: Version]
    var complianceTests: [String: [String]]
    var accuracyPatterns: [String: String]
    var offlineMinSamplesPerQuery: [String: Int]
    var equalIssueModels: [String]
    var llmTokenLatencyModels: [String]
    var llmLatencyLimits: [String: [String: [String: Int]]]
    var requiredAccuracyFiles: [String]
    var requiredAccuracyExtraFiles: [String: [String: [String: [String]]]]
    var systemRequiredFields: [String]
    var systemMeaningfulFields: [String]
    var measurementsRequiredFields: [String]
    var validAvailabilities: [String]
    var minDurationMs: Int
    var maxAccuracyLogBytes: Int

    enum CodingKeys: String, CodingKey {
        case versions
        case complianceTests = "compliance-tests", accuracyPatterns = "accuracy-patterns"
        case offlineMinSamplesPerQuery = "offline-min-samples-per-query", equalIssueModels = "equal-issue-models"
        case llmTokenLatencyModels = "llm-token-latency-models", llmLatencyLimits = "llm-latency-limits"
        case requiredAccuracyFiles = "required-accuracy-files"
        case requiredAccuracyExtraFiles = "required-accuracy-extra-files"
        case systemRequiredFields = "system-required-fields", systemMeaningfulFields = "system-meaningful-fields"
        case measurementsRequiredFields = "measurements-required-fields"
        case validAvailabilities = "valid-availabilities", minDurationMs = "min-duration-ms"
        case maxAccuracyLogBytes = "max-accuracy-log-bytes"
    }
}

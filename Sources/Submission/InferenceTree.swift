import Crypto
import Foundation
import MLLog

/// One inference result to put into a submission tree: a benchmark's performance run in one scenario and the
/// accuracy run of the same scenario, both as LoadGen wrote them.
public struct InferenceResultInput: Sendable {
    public var benchmark: String
    /// `SingleStream`, `MultiStream`, `Server` or `Offline`.
    public var scenario: String
    /// Directory holding `mlperf_log_summary.txt` and `mlperf_log_detail.txt` of the performance run.
    public var performanceDirectory: String
    /// Directory of the accuracy run (the same files plus `mlperf_log_accuracy.json`).
    public var accuracyDirectory: String
    /// The benchmark's own accuracy line (e.g. `HR@10=0.6781, NDCG@10=0.4302, good=455, total=671`).
    public var accuracyLine: String
    /// The accuracy figure as a fraction and its name (`top-1 accuracy`, `HR@10`, `F1@IoU0.5` …).
    public var accuracyValue: Double
    public var accuracyMetric: String
    /// The ONNX model the runs served.
    public var modelPath: String
    /// `measurements.json` fields: input and weight types, how the weights were made.
    public var inputDataTypes: String
    public var startingWeights: String
    public var retraining: String
    public var weightTransformations: String
    /// The `user.conf` the runs are equivalent to, and the command that reproduces them (for README.md).
    public var userConf: String
    public var command: String

    public init(benchmark: String, scenario: String, performanceDirectory: String, accuracyDirectory: String,
                accuracyLine: String, accuracyValue: Double, accuracyMetric: String, modelPath: String,
                inputDataTypes: String, startingWeights: String, retraining: String = "No",
                weightTransformations: String = "none", userConf: String, command: String) {
        self.benchmark = benchmark; self.scenario = scenario; self.performanceDirectory = performanceDirectory
        self.accuracyDirectory = accuracyDirectory; self.accuracyLine = accuracyLine
        self.accuracyValue = accuracyValue; self.accuracyMetric = accuracyMetric; self.modelPath = modelPath
        self.inputDataTypes = inputDataTypes; self.startingWeights = startingWeights; self.retraining = retraining
        self.weightTransformations = weightTransformations; self.userConf = userConf; self.command = command
    }
}

/// Writes the official inference submission tree, `<root>/<division>/<submitter>/…`:
/// `systems/<system>.json`, `src/<benchmark>/README.md`, `results/<system>/<benchmark>/<scenario>/`
/// {`performance/run_1/`, `accuracy/` (`accuracy.txt` with its `hash=` line, the accuracy log truncated as the
/// official `truncate_accuracy_log.py` does), `measurements.json`, `user.conf`, `mlperf.conf`, `README.md`}, and
/// `calibration.md` (closed, network) or `model_mapping.json` (open). Source of the layout:
/// `tools/submission/submission_structure.md` of mlcommons/inference.
public struct InferenceTreeWriter: Sendable {
    public var root: String
    public var division: String
    public var submitter: String
    public var system: String

    /// Bytes kept at each end of a truncated accuracy log (the official VIEWABLE_SIZE).
    public static let viewableBytes = 4096

    public init(root: String, division: String, submitter: String, system: String) throws(SubmissionError) {
        guard ["closed", "open", "network"].contains(division) else {
            throw .invalid(file: "--division", line: nil, expected: "closed, open or network", found: division)
        }
        for (name, value) in [("submitter", submitter), ("system", system)] where value.isEmpty || value.contains(" ") || value.contains("/") || value.hasPrefix(".") {
            throw .invalid(file: "--\(name)", line: nil, expected: "a name without spaces, '/' or a leading '.'", found: value)
        }
        self.root = root; self.division = division; self.submitter = submitter; self.system = system
    }

    public var base: String { "\(root)/\(division)/\(submitter)" }
    public func resultDirectory(benchmark: String, scenario: String) -> String {
        "\(base)/results/\(system)/\(benchmark)/\(scenario)"
    }

    /// Writes `systems/<system>.json` (division and submitter set to the tree's) and the division's files.
    public func writeSystem(_ description: SystemDescription, calibration: String) throws {
        var d = description
        d["division"] = .string(division)
        d["submitter"] = .string(submitter)
        try FileManager.default.createDirectory(atPath: base + "/systems", withIntermediateDirectories: true)
        try d.write(to: base + "/systems/\(system).json")
        if division != "open" {
            try calibration.write(toFile: base + "/calibration.md", atomically: true, encoding: .utf8)
        }
    }

    /// Adds (or replaces) one result. `officialModel` maps the benchmark to an official model in
    /// `model_mapping.json` (open division only; the closed division needs the benchmark itself to be a model of
    /// the rule book the tree is checked with).
    public func add(_ r: InferenceResultInput, officialModel: String?, mlperfConf: String) throws {
        let fm = FileManager.default
        let dir = resultDirectory(benchmark: r.benchmark, scenario: r.scenario)
        // Every input first: a failed add leaves the previous result as it was.
        for file in ["mlperf_log_summary.txt", "mlperf_log_detail.txt"].map({ r.performanceDirectory + "/" + $0 })
            + ["mlperf_log_summary.txt", "mlperf_log_detail.txt", "mlperf_log_accuracy.json"].map({ r.accuracyDirectory + "/" + $0 })
        where !fm.fileExists(atPath: file) {
            throw SubmissionError.missing(file, hint: "the run did not write it; run the benchmark again")
        }
        try? fm.removeItem(atPath: dir)
        let perf = dir + "/performance/run_1", acc = dir + "/accuracy"
        try fm.createDirectory(atPath: perf, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: acc, withIntermediateDirectories: true)
        for name in ["mlperf_log_summary.txt", "mlperf_log_detail.txt"] {
            try Self.copy(r.performanceDirectory + "/" + name, to: perf + "/" + name)
            try Self.copy(r.accuracyDirectory + "/" + name, to: acc + "/" + name)
        }
        if fm.fileExists(atPath: r.performanceDirectory + "/energy.json") {
            try Self.copy(r.performanceDirectory + "/energy.json", to: dir + "/energy.json")
        }
        let accuracyLog = r.accuracyDirectory + "/mlperf_log_accuracy.json"
        guard let log = fm.contents(atPath: accuracyLog) else {
            throw SubmissionError.missing(accuracyLog, hint: "run the benchmark in accuracy mode first")
        }
        try Self.truncated(log).write(to: URL(fileURLWithPath: acc + "/mlperf_log_accuracy.json"))
        try Self.accuracyText(line: r.accuracyLine, value: r.accuracyValue, metric: r.accuracyMetric, log: log)
            .write(toFile: acc + "/accuracy.txt", atomically: true, encoding: .utf8)

        let model = fm.contents(atPath: r.modelPath).map { Self.sha256($0) } ?? ""
        let measurements: JSONValue = .object([
            "input_data_types": .string(r.inputDataTypes), "retraining": .string(r.retraining),
            "starting_weights_filename": .string(r.startingWeights), "weight_data_types": "fp32",
            "weight_transformations": .string(r.weightTransformations),
            "model_sha256": .string(model), "accuracy_metric": .string(r.accuracyMetric),
        ])
        try (JSONWriter().pretty(measurements) + "\n").write(toFile: dir + "/measurements.json", atomically: true, encoding: .utf8)
        try r.userConf.write(toFile: dir + "/user.conf", atomically: true, encoding: .utf8)
        try mlperfConf.write(toFile: dir + "/mlperf.conf", atomically: true, encoding: .utf8)
        try """
        # \(r.benchmark) \(r.scenario)

        Made by SwiftMLPerf. The performance run and the accuracy run were made with:

            \(r.command)

        `user.conf` holds the settings those runs used (from the detail log's `requested_*` keys); `mlperf.conf` is
        the LoadGen's built-in one. Model: `\((r.modelPath as NSString).lastPathComponent)`, SHA-256 \(model).

        """.write(toFile: dir + "/README.md", atomically: true, encoding: .utf8)

        let src = base + "/src/" + r.benchmark
        try fm.createDirectory(atPath: src, withIntermediateDirectories: true)
        try """
        # \(r.benchmark)

        The benchmark is SwiftMLPerf's `\(r.benchmark)` (Sources/Benchmarks in https://github.com/ — the SwiftMLPerf
        package); the SUT is ONNX Runtime in process, driven by SwiftMLPerf's LoadGen.

        """.write(toFile: src + "/README.md", atomically: true, encoding: .utf8)

        if division == "open", let officialModel {
            try mergeModelMapping([r.benchmark: officialModel])
        }
    }

    /// Adds a compliance test of one result: `<scenario>/TESTxx/` with `performance/run_1/` (the test run's logs),
    /// `verify_performance.txt`, and for TEST01 `verify_accuracy.txt` and `accuracy/` (its sampled accuracy log,
    /// truncated, and `accuracy.txt` with the log's hash), as the official `run_verification.py` lays them out.
    public func addCompliance(benchmark: String, scenario: String, test: ComplianceTest, runDirectory: String,
                              performance: ComplianceTest.Verification,
                              accuracy: ComplianceTest.Verification?) throws {
        let fm = FileManager.default
        let dir = resultDirectory(benchmark: benchmark, scenario: scenario) + "/" + test.rawValue
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir + "/performance/run_1", withIntermediateDirectories: true)
        for name in ["mlperf_log_summary.txt", "mlperf_log_detail.txt"] {
            try Self.copy(runDirectory + "/" + name, to: dir + "/performance/run_1/" + name)
        }
        try performance.text.write(toFile: dir + "/verify_performance.txt", atomically: true, encoding: .utf8)
        if let accuracy {
            try accuracy.text.write(toFile: dir + "/verify_accuracy.txt", atomically: true, encoding: .utf8)
            try fm.createDirectory(atPath: dir + "/accuracy", withIntermediateDirectories: true)
            let log = fm.contents(atPath: runDirectory + "/mlperf_log_accuracy.json") ?? Data()
            try Self.truncated(log).write(to: URL(fileURLWithPath: dir + "/accuracy/mlperf_log_accuracy.json"))
            try "\(test.rawValue): responses logged in performance mode, compared with the accuracy run (verify_accuracy.txt)\n\nhash=\(Self.sha256(log))\n"
                .write(toFile: dir + "/accuracy/accuracy.txt", atomically: true, encoding: .utf8)
        }
    }

    /// Adds entries to `open/<submitter>/model_mapping.json`.
    public func mergeModelMapping(_ entries: [String: String]) throws {
        let path = base + "/model_mapping.json"
        var map: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: path),
           let j = try? JSONSerialization.jsonObject(with: data) as? [String: String] { map = j }
        for (k, v) in entries { map[k] = v }
        try JSONSerialization.data(withJSONObject: map, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
    }

    /// `accuracy.txt`: the benchmark's line; the same figure as `accuracy=NN.NNN%` when the line does not already
    /// have that form (the form the checker's `acc` pattern reads); then `hash=<SHA-256 of the full accuracy log>`.
    public static func accuracyText(line: String, value: Double, metric: String, log: Data) -> String {
        var text = line + "\n"
        if !line.hasPrefix("accuracy=") {
            text += String(format: "accuracy=%.3f%% (%@, in the checker's 'acc' form)\n", value * 100, metric)
        }
        return text + "\nhash=\(sha256(log))\n"
    }

    /// The official truncation: logs of at least 4096 bytes keep their first and last 4096 bytes around
    /// `\n\n...\n\n`.
    public static func truncated(_ data: Data) -> Data {
        guard data.count >= viewableBytes else { return data }
        var out = Data(data.prefix(viewableBytes))
        out.append(Data("\n\n...\n\n".utf8))
        out.append(data.suffix(viewableBytes))
        return out
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func copy(_ from: String, to: String) throws {
        guard FileManager.default.fileExists(atPath: from) else {
            throw SubmissionError.missing(from, hint: "the run did not write it")
        }
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// The `user.conf` equivalent to a run: its `requested_*` settings that differ from LoadGen's defaults, as
    /// `<model>.<scenario>.<key> = value` lines (times in ms).
    public static func userConf(fromDetailLog path: String, model: String) throws(SubmissionError) -> String {
        let log = try DetailLog(path: path)
        guard let scenario = log.string("effective_scenario") else {
            throw .invalid(file: path, line: nil, expected: "an effective_scenario key", found: "none")
        }
        var lines = ["# Settings of this run (from the detail log's requested_* keys)"]
        func ms(_ ns: Int64) -> String { ns % 1_000_000 == 0 ? String(ns / 1_000_000) : String(format: "%.6f", Double(ns) / 1e6) }
        func add(_ key: String, _ value: String) { lines.append("\(model).\(scenario).\(key) = \(value)") }
        if let v = log.int("requested_min_duration_ms") { add("min_duration", String(v)) }
        if let v = log.int("requested_min_query_count") { add("min_query_count", String(v)) }
        if let v = log.int("requested_max_duration_ms"), v > 0 { add("max_duration", String(v)) }
        switch scenario {
        case "Server":
            if let v = log.double("requested_server_target_qps") { add("target_qps", "\(v)") }
            if let v = log.int("requested_server_target_latency_ns") { add("target_latency", ms(v)) }
        case "Offline":
            if let v = log.double("requested_offline_expected_qps") { add("target_qps", "\(v)") }
        case "SingleStream":
            if let v = log.int("requested_single_stream_expected_latency_ns") { add("target_latency", ms(v)) }
        case "MultiStream":
            if let v = log.int("requested_multi_stream_expected_latency_ns") { add("target_latency", ms(v)) }
            if let v = log.int("requested_multi_stream_samples_per_query") { add("samples_per_query", String(v)) }
        default: break
        }
        if let v = log.int("requested_performance_sample_count_override"), v > 0 {
            add("performance_sample_count_override", String(v))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

import Foundation
import MLLog

/// Checks an MLPerf inference submission tree (`closed|open|network/<submitter>/{results,systems,src,…}`) the way
/// the MLCommons submission checker does, and gives each result a verdict with its reasons.
///
/// Rules and their source (`tools/submission/submission_checker_old.py`, whose accept/reject decisions the tests
/// compare with ours on the same trees):
/// - tree: only `closed`, `open`, `network` divisions; no files beside them but `.md`/`.pdf`; per submitter no broken
///   links, no file over 50 MB, no hidden, spaced or `__pycache__` names, no empty directory; every system file has
///   results; closed and network need `calibration.md`;
/// - system: `systems/<system>.json` with the required fields (the meaningful ones non-empty), a valid `status` and
///   `system_type`, the tree's submitter and division, network mode only in the network division;
/// - model and scenarios: closed/network use the version's models and their scenarios; all required scenarios present;
/// - measurements: `user.conf`, `README.md` (non-empty), `measurements.json` with its fields, a `src/` directory;
/// - accuracy: exactly the four accuracy files; each target metric found in `accuracy.txt` at or above its threshold
///   (any figure is enough in the open division), a `hash=` line, the accuracy log ≤ 10 KiB, no LoadGen errors,
///   `effective_accuracy_sample_count` ≥ the model's count;
/// - performance (`performance/run_1`): VALID, no LoadGen errors, performance sample count, the three official seeds,
///   equal-issue mode where needed, LLM token latencies, Server latency bound, early stopping met, minimum queries,
///   Offline samples per query, `min_duration` ≥ 600 s;
/// - compliance (closed and network): each TEST the model needs, with its `verify_*.txt` saying TEST PASS and its
///   performance run checked like the main one.
///
/// Quirks kept so that verdicts agree: an unmet early-stopping condition, an Offline p99 above a latency bound and
/// an accuracy run that does not cover the data set are reported as warnings only, as the official checker only
/// logs them; a result inferred from another scenario's run (Offline from SingleStream or MultiStream, MultiStream
/// from SingleStream) is computed as the official checker does.
public struct InferenceChecker: Sendable {
    public var rules: InferenceRuleBook
    /// Skip the compliance directories (the official `--skip_compliance`).
    public var skipCompliance = false
    /// Report `min_duration` below 600 s as a warning instead of an error (for the suite's short runs; the result is
    /// then not acceptable to the official checker, and the verdict says so in its warnings).
    public var allowShortRuns = false

    public init(rules: InferenceRuleBook) { self.rules = rules }

    static let divisions = ["closed", "open", "network"]
    static let perfFiles: Set<String> = ["mlperf_log_summary.txt", "mlperf_log_detail.txt"]
    static let perfOptional: Set<String> = ["mlperf_log_accuracy.json", "mlperf_log_trace.json", "results.json",
                                            ".gitkeep"]
    static let measureFiles = ["user.conf", "README.md"]
    static let systemTypes = ["datacenter", "edge", "datacenter,edge", "edge,datacenter"]
    static let scenarioNames = ["singlestream": "SingleStream", "multistream": "MultiStream", "server": "Server",
                                "offline": "Offline", "interactive": "Interactive"]

    /// Checks the tree at `root`. Problems are collected, never thrown: one bad result does not stop the others.
    public func check(root: String) -> CheckReport {
        var report = CheckReport(root: root, version: rules.version, results: [], treeProblems: [])
        let fs = FileTree(root: root)
        let rootFiles = fs.files("").filter { !$0.hasSuffix(".md") && !$0.hasSuffix(".pdf") }
        for division in fs.dirs("") {
            guard Self.divisions.contains(division) else {
                if ![".git", ".github", "assets"].contains(division) {
                    report.treeProblems.append(CheckProblem(file: division, rule: "division",
                        expected: "closed, open or network", found: division))
                }
                continue
            }
            if !rootFiles.isEmpty {
                report.treeProblems.append(CheckProblem(file: ".", rule: "root_files",
                    expected: "only division folders and .md/.pdf files", found: rootFiles.joined(separator: ", ")))
                break
            }
            let stray = fs.files(division)
            if !stray.isEmpty {
                report.treeProblems.append(CheckProblem(file: division, rule: "division_files",
                    expected: "only submitter folders", found: stray.joined(separator: ", ")))
                continue
            }
            for submitter in fs.dirs(division) {
                checkSubmitter(division: division, submitter: submitter, fs: fs, into: &report)
            }
        }
        report.results.sort { $0.path < $1.path }
        return report
    }

    private func checkSubmitter(division: String, submitter: String, fs: FileTree, into report: inout CheckReport) {
        let base = division + "/" + submitter
        let resultsPath = base + "/results"
        guard fs.isDirectory(resultsPath) else { return }
        if let problem = fs.hygieneProblem(base) { report.treeProblems.append(problem); return }
        var extraMapping: [String: String] = [:]
        if division == "open", let data = fs.contents(base + "/model_mapping.json") {
            if case .object(let fields)? = try? JSONParser.parse(bytes: [UInt8](data)) {
                for f in fields { if let s = f.value.stringValue { extraMapping[f.key] = s } }
            } else {
                report.treeProblems.append(CheckProblem(file: base + "/model_mapping.json", rule: "model_mapping",
                    expected: "a JSON object of model name → official model", found: "unreadable JSON"))
            }
        }
        let systemsWithFiles = Set(fs.files(base + "/systems").filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(5)) })
        let resultSystems = fs.dirs(resultsPath)
        let orphans = systemsWithFiles.subtracting(resultSystems).sorted()
        if !orphans.isEmpty {
            report.treeProblems.append(CheckProblem(file: base + "/systems", rule: "system_without_results",
                expected: "results for every system file", found: orphans.map { $0 + ".json" }.joined(separator: ", ")))
        }
        if division != "open", !fs.exists(base + "/calibration.md"), !fs.exists(base + "/documentation/calibration.md") {
            report.treeProblems.append(CheckProblem(file: base, rule: "calibration",
                expected: "calibration.md or documentation/calibration.md", found: "neither"))
        }
        for system in resultSystems {
            let systemFile = base + "/systems/" + system + ".json"
            guard let data = fs.contents(systemFile) else {
                report.treeProblems.append(CheckProblem(file: systemFile, rule: "system_file",
                    expected: "the system description of results/\(system)", found: "no file"))
                continue
            }
            guard case .object(let fields)? = try? JSONParser.parse(bytes: [UInt8](data)) else {
                report.treeProblems.append(CheckProblem(file: systemFile, rule: "system_file",
                    expected: "a JSON object", found: "unreadable JSON"))
                continue
            }
            let systemJSON = SystemJSON(fields: fields)
            let problems = checkSystem(systemJSON, file: systemFile, submitter: submitter, division: division)
            if !problems.isEmpty { report.treeProblems.append(contentsOf: problems); continue }
            let type = systemJSON.string("system_type").contains(",") ? "datacenter-edge"
                : systemJSON.string("system_type")
            for model in fs.dirs(resultsPath + "/" + system) {
                checkModel(ResultContext(division: division, submitter: submitter, system: system, model: model,
                                         mlperfModel: rules.mlperfModel(model, extraMapping: extraMapping),
                                         systemType: type, systemJSON: systemJSON),
                           fs: fs, into: &report)
            }
        }
    }

    struct ResultContext {
        /// The division whose rules apply.
        var division, submitter, system, model, mlperfModel, systemType: String
        var systemJSON: SystemJSON
        /// The division directory the files are in (the same, except when an open result is judged as closed).
        var location: String? = nil
        var closedOrNetwork: Bool { division != "open" }
        var submitterPath: String { "\(location ?? division)/\(submitter)" }
        var modelPath: String { "\(submitterPath)/results/\(system)/\(model)" }
    }

    /// For each open-division result, the closed-division rules it breaks (its model not a closed model of this
    /// rule book, an accuracy under the closed target, a model not recorded …), keyed by the result's path.
    public func closedDivisionGaps(_ report: CheckReport, root: String) -> [String: [CheckProblem]] {
        let fs = FileTree(root: root)
        var gaps: [String: [CheckProblem]] = [:]
        for r in report.results where r.division == "open" {
            let model = rules.mlperfModel(r.model, extraMapping: [:])
            guard rules.models.contains(model) else {
                gaps[r.path] = [CheckProblem(file: r.path, rule: "model",
                    expected: "a closed model of \(rules.version)", found: r.model)]
                continue
            }
            guard let data = fs.contents("open/\(r.submitter)/systems/\(r.system).json"),
                  case .object(let fields)? = try? JSONParser.parse(bytes: [UInt8](data)) else { continue }
            let system = SystemJSON(fields: fields)
            let type = system.string("system_type").contains(",") ? "datacenter-edge" : system.string("system_type")
            let ctx = ResultContext(division: "closed", submitter: r.submitter, system: r.system, model: r.model,
                                    mlperfModel: model, systemType: type, systemJSON: system, location: "open")
            var check = self
            check.skipCompliance = true
            let closed = check.checkScenario(ctx, scenario: (r.path as NSString).lastPathComponent, fixed: r.scenario,
                                             fs: fs)
            let already = Set(r.problems.map(\.rule))
            let extra = closed.problems.filter { !already.contains($0.rule) }
            if !extra.isEmpty { gaps[r.path] = extra }
        }
        return gaps
    }

    private func checkSystem(_ s: SystemJSON, file: String, submitter: String, division: String) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        let status = s.string("status").lowercased()
        if !rules.validAvailabilities.contains(status) {
            problems.append(CheckProblem(file: file, rule: "status",
                expected: rules.validAvailabilities.joined(separator: "|"), found: status))
            return problems
        }
        if !Self.systemTypes.contains(s.string("system_type")) {
            problems.append(CheckProblem(file: file, rule: "system_type",
                expected: Self.systemTypes.joined(separator: "|"), found: s.string("system_type")))
            return problems
        }
        let network = s.string("is_network").lowercased() == "true"
        if (division == "network" && !network) || (division == "closed" && network) {
            problems.append(CheckProblem(file: file, rule: "network_mode",
                expected: "is_network \(division == "network") in the \(division) division", found: "\(network)"))
        }
        for k in rules.systemRequiredFields {
            guard let v = s.fields[k] else {
                problems.append(CheckProblem(file: file, rule: "system_field", expected: "field \(k)", found: "missing"))
                continue
            }
            if rules.systemMeaningfulFields.contains(k), SystemJSON.isEmpty(v) {
                problems.append(CheckProblem(file: file, rule: "system_field",
                    expected: "a meaningful value for \(k)", found: "empty"))
            }
        }
        if s.string("submitter").lowercased() != submitter.lowercased() {
            problems.append(CheckProblem(file: file, rule: "submitter", expected: submitter, found: s.string("submitter")))
        }
        if s.string("division") != division {
            problems.append(CheckProblem(file: file, rule: "division", expected: division, found: s.string("division")))
        }
        return problems
    }

    private func checkModel(_ ctx: ResultContext, fs: FileTree, into report: inout CheckReport) {
        if ctx.closedOrNetwork && !rules.models.contains(ctx.mlperfModel) {
            report.treeProblems.append(CheckProblem(file: ctx.modelPath, rule: "model",
                expected: "a \(rules.version) model for the \(ctx.division) division", found: ctx.model))
            return
        }
        guard let required = rules.requiredScenarios[ctx.systemType]?[ctx.mlperfModel] else {
            report.treeProblems.append(CheckProblem(file: ctx.modelPath, rule: "model",
                expected: "a model of the \(rules.version) table (system type \(ctx.systemType))",
                found: ctx.mlperfModel))
            return
        }
        var missing = Set(required)
        var optional = Set(rules.optionalScenarios[ctx.systemType]?[ctx.mlperfModel] ?? [])
        let all = missing.union(optional)
        for scenario in fs.dirs(ctx.modelPath) {
            let fixed = Self.scenarioNames[scenario.lowercased()] ?? scenario
            let path = ctx.modelPath + "/" + scenario
            if ctx.closedOrNetwork && !all.contains(fixed) {
                report.treeProblems.append(CheckProblem(file: path, rule: "scenario",
                    expected: all.sorted().joined(separator: "|"), found: scenario))
                continue
            }
            let verdict = checkScenario(ctx, scenario: scenario, fixed: fixed, fs: fs)
            if verdict.performanceValid { missing.remove(fixed); optional.remove(fixed) }
            report.results.append(verdict)
        }
        if ctx.closedOrNetwork && !missing.isEmpty {
            report.treeProblems.append(CheckProblem(file: ctx.modelPath, rule: "required_scenarios",
                expected: required.sorted().joined(separator: ", "), found: "missing \(missing.sorted().joined(separator: ", "))"))
        }
        if ctx.closedOrNetwork && optional.contains("Server") && optional.contains("Interactive") {
            report.treeProblems.append(CheckProblem(file: ctx.modelPath, rule: "required_scenarios",
                expected: "one of Server, Interactive", found: "neither"))
        }
    }

    private func checkScenario(_ ctx: ResultContext, scenario: String, fixed: String, fs: FileTree) -> ResultVerdict {
        let path = ctx.modelPath + "/" + scenario
        var v = ResultVerdict(path: path, division: ctx.division, submitter: ctx.submitter, system: ctx.system,
                              model: ctx.model, mlperfModel: ctx.mlperfModel, scenario: fixed, accepted: false,
                              value: nil, unit: Self.unit(model: ctx.mlperfModel, scenario: fixed, rules: rules),
                              accuracy: [:], compliance: !ctx.closedOrNetwork, problems: [], warnings: [])
        var findings = Findings()
        checkMeasurements(ctx, path: path, fs: fs, into: &findings)
        if findings.errors.isEmpty {
            let accuracyValid = checkAccuracy(ctx, path: path + "/accuracy", fs: fs, into: &findings,
                                              figures: &v.accuracy)
            let perfPath = path + "/performance/run_1"
            var perfValid = false
            if !fs.isDirectory(perfPath) {
                findings.error(perfPath, "performance_run", "performance/run_1", "missing")
            } else if let diff = FileTree.diff(fs.files(perfPath), Self.perfFiles, optional: Self.perfOptional) {
                findings.error(perfPath, "file_list", Self.perfFiles.sorted().joined(separator: ", "), diff)
            } else {
                (perfValid, v.value) = checkPerformance(ctx, path: perfPath, scenario: fixed, fs: fs, into: &findings)
            }
            v.performanceValid = perfValid
            if perfValid && ctx.closedOrNetwork && !skipCompliance {
                v.compliance = checkCompliance(ctx, path: path, scenario: fixed, fs: fs, into: &findings)
                perfValid = v.compliance
            }
            v.accepted = perfValid && accuracyValid && findings.errors.isEmpty
        }
        v.problems = findings.errors
        v.warnings = findings.warnings
        return v
    }

    private func checkMeasurements(_ ctx: ResultContext, path: String, fs: FileTree, into f: inout Findings) {
        let files = fs.files(path)
        for name in Self.measureFiles {
            if !files.contains(name) { f.error(path, "measurement_files", name, "missing") }
            else if fs.size(path + "/" + name) == 0 { f.error(path + "/" + name, "measurement_files", "a non-empty file", "empty") }
        }
        guard let name = files.first(where: { $0.lowercased() == "measurements.json" }) else {
            f.error(path, "measurements_json", "measurements.json", "missing")
            return
        }
        guard case .object(let fields)? = fs.contents(path + "/" + name).flatMap({ try? JSONParser.parse(bytes: [UInt8]($0)) })
        else { f.error(path + "/" + name, "measurements_json", "a JSON object", "unreadable JSON"); return }
        let json = SystemJSON(fields: fields)
        for k in rules.measurementsRequiredFields {
            guard let value = json.fields[k] else { f.error(path + "/" + name, "measurements_field", "field \(k)", "missing"); continue }
            if SystemJSON.isEmpty(value) { f.error(path + "/" + name, "measurements_field", "a meaningful value for \(k)", "empty") }
        }
        if ctx.closedOrNetwork && rules.suiteModels.contains(ctx.mlperfModel) {
            let file = path + "/" + name
            let hash = json.string("model_sha256")
            if hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
                f.error(file, "closed_model_hash", "model_sha256: the SHA-256 of the ONNX model served", hash.isEmpty ? "none" : hash)
            }
            if json.string("retraining").lowercased() != "no" {
                f.error(file, "closed_no_retraining", "retraining: No (the reference trainer's weights)", json.string("retraining"))
            }
            let transform = json.string("weight_transformations").lowercased()
            if transform != "none" && !transform.contains("calibration list") {
                f.error(file, "closed_weight_transformations",
                        "none, or a quantization calibrated on the benchmark's calibration list", json.string("weight_transformations"))
            }
        }
        let root = ctx.submitterPath
        if !fs.exists(root + "/src/" + ctx.model) && !fs.exists(root + "/src") {
            f.error(root, "code", "src/\(ctx.model)", "missing")
        }
    }

    private func checkAccuracy(_ ctx: ResultContext, path: String, fs: FileTree, into out: inout Findings,
                               figures: inout [String: Double]) -> Bool {
        var f = Findings()
        let valid = checkAccuracyFiles(ctx, path: path, fs: fs, into: &f, figures: &figures)
        // The open division takes any accuracy figure: what would fail closed is only a warning there.
        if !valid && !ctx.closedOrNetwork && !figures.isEmpty {
            out.warnings += f.warnings + f.errors.map { var p = $0; p.severity = .warning; return p }
            return true
        }
        out.errors += f.errors
        out.warnings += f.warnings
        return valid
    }

    private func checkAccuracyFiles(_ ctx: ResultContext, path: String, fs: FileTree, into f: inout Findings,
                                    figures: inout [String: Double]) -> Bool {
        guard fs.exists(path + "/accuracy.txt") else {
            f.error(path, "accuracy_txt", "accuracy.txt", "missing")
            return false
        }
        if let diff = FileTree.diff(fs.files(path), Set(rules.requiredAccuracyFiles), optional: Self.perfOptional.subtracting(["mlperf_log_accuracy.json"])) {
            f.error(path, "file_list", rules.requiredAccuracyFiles.joined(separator: ", "), diff)
            return false
        }
        var valid = true
        let targets = rules.accuracyTargets[ctx.mlperfModel] ?? []
        var seen = Array(repeating: false, count: targets.count)
        var hash: String?
        let text = String(decoding: fs.contents(path + "/accuracy.txt") ?? Data(), as: UTF8.self)
        var checkedValues: [(AccuracyRequirement, Double)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("hash="), line.dropFirst(5).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
               line.count > 5 { hash = String(line.dropFirst(5)) }
            for (i, t) in targets.enumerated() {
                guard let pattern = rules.accuracyPatterns[t.metric],
                      let figure = PythonRegex.matchFirstGroup(pattern, line).flatMap(Double.init) else { continue }
                figures[t.metric] = figure
                checkedValues.append((t, figure))
                if figure >= t.value { seen[i] = true } else { valid = false }
            }
        }
        for (t, figure) in checkedValues where figure < t.value {
            f.warn(path + "/accuracy.txt", "accuracy_target", "\(t.metric) ≥ \(t.value)", "\(figure)")
        }
        for limit in rules.accuracyUpperLimits[ctx.mlperfModel] ?? [] {
            guard let pattern = rules.accuracyPatterns[limit.metric] else { continue }
            for line in text.split(separator: "\n").map(String.init) {
                if let x = PythonRegex.matchFirstGroup(pattern, line).flatMap(Double.init), x > limit.value {
                    valid = false
                    f.warn(path + "/accuracy.txt", "accuracy_upper_limit", "\(limit.metric) ≤ \(limit.value)", "\(x)")
                }
            }
        }
        valid = valid && seen.allSatisfy { $0 }
        let anyFigure = !figures.isEmpty
        var hardErrors = false
        if hash == nil {
            f.error(path + "/accuracy.txt", "accuracy_hash", "a hash=<sha256 of mlperf_log_accuracy.json> line", "none")
            hardErrors = true
        }
        let log = path + "/mlperf_log_accuracy.json"
        if let size = fs.size(log), size > rules.maxAccuracyLogBytes {
            f.error(log, "accuracy_log_size", "≤ \(rules.maxAccuracyLogBytes) bytes (truncated)", "\(size) bytes")
            hardErrors = true
        }
        do {
            let detail = try DetailLog(path: fs.path(path + "/mlperf_log_detail.txt"))
            if !detail.errors.isEmpty {
                f.error(path + "/mlperf_log_detail.txt", "loadgen_errors", "no LoadGen errors",
                        detail.errors.joined(separator: "; "))
                hardErrors = true
            }
            if let total = detail.int("qsl_reported_total_count"), let size = rules.datasetSize[ctx.mlperfModel],
               total != Int64(size) {
                f.warn(path + "/mlperf_log_detail.txt", "dataset_size", "\(size) samples", "\(total)")
            }
            if let count = detail.int("effective_accuracy_sample_count") {
                let needed = rules.accuracySampleCount[ctx.mlperfModel] ?? rules.performanceSampleCount[ctx.mlperfModel] ?? 0
                if count < Int64(needed) {
                    f.error(path + "/mlperf_log_detail.txt", "accuracy_sample_count", "≥ \(needed)", "\(count)")
                    hardErrors = true
                }
            }
        } catch {
            f.error(path + "/mlperf_log_detail.txt", "detail_log", "a readable detail log", "\(error)")
            hardErrors = true
        }
        if let extra = rules.requiredAccuracyExtraFiles[ctx.mlperfModel]?[rules.version] {
            for (dir, names) in extra {
                let present = Set(fs.files(path + "/" + dir).map { String($0.split(separator: ".").first ?? "") })
                let absent = names.filter { !present.contains($0) }
                if !fs.isDirectory(path + "/" + dir) || !absent.isEmpty {
                    f.error(path, "accuracy_extra_files", "\(dir)/ with \(names.joined(separator: ", "))",
                            absent.isEmpty ? "no \(dir)/" : "missing \(absent.joined(separator: ", "))")
                    hardErrors = true
                }
            }
        }
        if hardErrors { valid = false }
        if !valid && !hardErrors {
            if !anyFigure {
                f.error(path + "/accuracy.txt", "accuracy_metric",
                        targets.map { "a \($0.metric) line" }.joined(separator: ", "), "none")
            } else {
                f.error(path + "/accuracy.txt", "accuracy_target",
                        targets.map { "\($0.metric) ≥ \($0.value)" }.joined(separator: ", "),
                        figures.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))
            }
        }
        return valid
    }

    /// The checks of `check_performance_dir` on one run directory; returns validity and the result value.
    func checkPerformance(_ ctx: ResultContext, path: String, scenario fixed: String, fs: FileTree,
                          into f: inout Findings) -> (Bool, Double?) {
        let detailPath = path + "/mlperf_log_detail.txt"
        let log: DetailLog
        do { log = try DetailLog(path: fs.path(detailPath)) }
        catch { f.error(detailPath, "detail_log", "a readable detail log", "\(error)"); return (false, nil) }
        let model = ctx.mlperfModel
        var valid = log.string("result_validity") == "VALID"
        if !valid {
            f.error(detailPath, "result_validity", "VALID", log.string("result_validity") ?? "no result_validity")
        }
        guard let scenario = log.string("effective_scenario"),
              let field = rules.resultFieldOverride[model]?[scenario] ?? rules.resultField[scenario],
              var value = log.double(field) else {
            f.error(detailPath, "result_field", "effective_scenario and its metric", "missing")
            return (false, nil)
        }
        if rules.tokenLatencyModels.contains(model) {
            if log.bool("requested_use_token_latencies") != true {
                f.error(detailPath, "token_latencies", "use_token_latencies enabled", "disabled"); valid = false
            } else if fixed == "Server" || fixed == "Interactive", let limits = rules.llmLatencyLimits[model]?[fixed] {
                let ttft = log.double("result_first_token_99.00_percentile_latency_ns") ?? .infinity
                let tpot = log.double("result_time_per_output_token_99.00_percentile_ns") ?? .infinity
                if !(ttft < Double(limits["ttft"] ?? 0) && tpot < Double(limits["tpot"] ?? 0)) {
                    f.error(detailPath, "ttft_tpot", "p99 TTFT < \(limits["ttft"] ?? 0) ns and TPOT < \(limits["tpot"] ?? 0) ns",
                            "TTFT \(ttft) ns, TPOT \(tpot) ns")
                    valid = false
                }
            }
        }
        if rules.equalIssueModels.contains(model), log.bool("effective_sample_concatenate_permutation") != true {
            f.error(detailPath, "equal_issue", "sample_concatenate_permutation true", "false"); valid = false
        }
        if !log.errors.isEmpty {
            f.error(detailPath, "loadgen_errors", "no LoadGen errors", log.errors.joined(separator: "; ")); valid = false
        }
        let psc = log.int("effective_performance_sample_count") ?? 0
        if let needed = rules.performanceSampleCount[model], psc < Int64(needed) {
            f.error(detailPath, "performance_sample_count", "≥ \(needed)", "\(psc)"); valid = false
        }
        for (key, want) in [("qsl_rng_seed", rules.qslSeed), ("sample_index_rng_seed", rules.sampleIndexSeed),
                            ("schedule_rng_seed", rules.scheduleSeed)] {
            let got = log.seed("effective_" + key)
            if got != want {
                f.error(detailPath, "seeds", "\(key) \(want)", got.map(String.init) ?? "missing"); valid = false
            }
        }
        if scenario == "SingleStream" || scenario == "MultiStream" { value /= 1e6 }
        let earlyStopping = ["Server", "SingleStream", "MultiStream"].contains(scenario)
        let bound = rules.latencyConstraintNs[model]?[scenario]
        if earlyStopping {
            if log.bool("early_stopping_met") == false {
                f.warn(detailPath, "early_stopping", "early stopping condition met",
                       log.string("early_stopping_result") ?? "not met")
            }
            if let bound, let target = log.int("effective_target_latency_ns"), target > Int64(bound) {
                f.error(detailPath, "latency_constraint", "target latency ≤ \(bound) ns", "\(target) ns"); valid = false
            }
        } else {
            let p99 = log.double(scenario == "MultiStream" ? "result_99.00_percentile_per_query_latency_ns"
                                                            : "result_99.00_percentile_latency_ns") ?? 0
            if let bound, p99 > Double(bound) {
                f.warn(detailPath, "latency_constraint", "p99 ≤ \(bound) ns", "\(p99) ns")
            }
            let minQueries = log.int("effective_min_query_count") ?? 0
            if let needed = rules.minQueries[model]?[scenario], minQueries < Int64(needed) {
                f.error(detailPath, "min_queries", "min_query_count ≥ \(needed)", "\(minQueries)"); valid = false
            }
        }
        if scenario == "Offline" {
            let spq = log.int("effective_samples_per_query") ?? 0
            if let needed = rules.offlineMinSamplesPerQuery[model], spq < Int64(needed) {
                f.error(detailPath, "offline_samples_per_query", "≥ \(needed)", "\(spq)"); valid = false
            }
        }
        let duration = log.int("effective_min_duration_ms") ?? 0
        if duration < Int64(rules.minDurationMs) {
            if allowShortRuns {
                f.warn(detailPath, "min_duration", "≥ \(rules.minDurationMs) ms (allowed short here; the official checker rejects it)",
                       "\(duration) ms")
            } else {
                f.error(detailPath, "min_duration", "≥ \(rules.minDurationMs) ms", "\(duration) ms"); valid = false
            }
        }
        if fixed != scenario {
            // The official get_inferred_result: a result may be inferred from another scenario's run.
            switch (fixed, scenario) {
            case ("Offline", "SingleStream"):
                value = log.double("result_qps_without_loadgen_overhead") ?? value
            case ("Offline", "MultiStream"):
                if let mean = log.double("result_mean_query_latency_ns"), mean > 0 {
                    value = Double(log.int("effective_samples_per_query") ?? 0) * 1000 / (mean / 1e6)
                }
            case ("MultiStream", "SingleStream"):
                if let es = log.double("early_stopping_latency_ms") { value = es * 8 / 1e6 }
                else { f.error(detailPath, "inferred_result", "early_stopping_latency_ms to infer MultiStream", "missing"); valid = false }
            case ("Interactive", "Server"):
                break
            case ("Interactive", _):
                f.error(detailPath, "scenario_mismatch", "a Server run in an Interactive folder", scenario); valid = false
            default:
                f.warn(detailPath, "scenario_mismatch", "a \(fixed) run (the official checker takes it as it is)", scenario)
            }
            if ["Offline", "MultiStream"].contains(fixed) && ["SingleStream", "MultiStream"].contains(scenario) {
                f.warn(detailPath, "inferred_result", "a \(fixed) run", "\(fixed) inferred from a \(scenario) run")
            }
        }
        let network = ctx.systemJSON.string("is_network").lowercased() == "true"
        if network, !(log.string("sut_name") ?? "").contains("Network SUT") {
            f.error(detailPath, "network_sut_name", "a SUT name containing 'Network SUT'", log.string("sut_name") ?? "")
            valid = false
        }
        return (valid, value)
    }

    private func checkCompliance(_ ctx: ResultContext, path: String, scenario: String, fs: FileTree,
                                 into f: inout Findings) -> Bool {
        let tests = rules.complianceTests[ctx.mlperfModel] ?? ["TEST01", "TEST04"]
        guard !tests.isEmpty else { return true }
        guard fs.isDirectory(path) else { f.error(path, "compliance", "a compliance directory", "missing"); return false }
        var passed = true
        for test in tests {
            let dir = path + "/" + test
            guard fs.isDirectory(dir) else {
                f.error(path, "compliance", test, "missing"); passed = false; continue
            }
            if tests.contains("TEST06") { continue }  // as the official checker: no performance part then
            var perf = Findings()
            let (perfValid, _) = checkPerformance(ctx, path: dir + "/performance/run_1", scenario: scenario, fs: fs,
                                                  into: &perf)
            f.errors += perf.errors.map { var p = $0; p.rule = test + "." + p.rule; return p }
            let verified = Self.contains(fs, dir + "/verify_performance.txt", "TEST PASS")
            if !verified {
                f.error(dir + "/verify_performance.txt", "compliance", "TEST PASS", fs.exists(dir + "/verify_performance.txt") ? "no TEST PASS" : "missing")
            }
            let runFiles = fs.files(dir + "/performance/run_1")
            if !fs.isDirectory(dir + "/performance/run_1") {
                f.error(dir, "compliance", "performance/run_1", "missing"); passed = false
            } else if let diff = FileTree.diff(runFiles, Self.perfFiles, optional: Self.perfOptional) {
                f.error(dir + "/performance/run_1", "file_list", Self.perfFiles.sorted().joined(separator: ", "), diff)
                passed = false
            }
            passed = passed && perfValid && verified
        }
        for test in ["TEST01", "TEST06"] where tests.contains(test) {
            passed = checkComplianceAccuracy(path + "/" + test, test: test, model: ctx.mlperfModel, fs: fs, into: &f) && passed
        }
        return passed
    }

    private func checkComplianceAccuracy(_ dir: String, test: String, model: String, fs: FileTree,
                                         into f: inout Findings) -> Bool {
        let verify = dir + "/verify_accuracy.txt"
        guard let data = fs.contents(verify) else { f.error(verify, "compliance", "verify_accuracy.txt", "missing"); return false }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if test == "TEST06" {
            let ok = (lines.contains("First token check pass: True") || lines.contains("First token check pass: Skipped"))
                && lines.contains("EOS check pass: True") && lines.contains("Sample length check pass: True")
            if !ok { f.error(verify, "compliance", "first token, EOS and sample length checks True", "a failed check") }
            return ok
        }
        let accPassed = lines.contains { $0.contains("TEST PASS") }
        let needed: Set<String> = accPassed ? ["mlperf_log_accuracy.json", "accuracy.txt"]
            : ["mlperf_log_accuracy.json", "accuracy.txt", "baseline_accuracy.txt", "compliance_accuracy.txt"]
        guard fs.isDirectory(dir + "/accuracy") else { f.error(dir, "compliance", "accuracy/", "missing"); return false }
        if let diff = FileTree.diff(fs.files(dir + "/accuracy"), needed, optional: Self.perfOptional.subtracting(["mlperf_log_accuracy.json"])) {
            f.error(dir + "/accuracy", "file_list", needed.sorted().joined(separator: ", "), diff)
            return false
        }
        if accPassed { return true }
        // Non-deterministic mode: the accuracy on the logged responses within the model's delta of the baseline's.
        func figures(_ name: String) -> [String: Double] {
            var out: [String: Double] = [:]
            let text = String(decoding: fs.contents(dir + "/accuracy/" + name) ?? Data(), as: UTF8.self)
            for line in text.split(separator: "\n").map(String.init) {
                for t in rules.accuracyTargets[model] ?? [] {
                    if let p = rules.accuracyPatterns[t.metric], let v = PythonRegex.matchFirstGroup(p, line).flatMap(Double.init) {
                        out[t.metric] = v
                    }
                }
            }
            return out
        }
        let baseline = figures("baseline_accuracy.txt"), compliance = figures("compliance_accuracy.txt")
        for t in rules.accuracyTargets[model] ?? [] {
            let b = baseline[t.metric] ?? 0, c = compliance[t.metric] ?? 0
            guard b != 0, c != 0 else {
                f.error(dir + "/accuracy", "compliance_accuracy", "\(t.metric) in baseline_accuracy.txt and compliance_accuracy.txt", "none")
                return false
            }
            let allowed = rules.accuracyDeltaPercent[model]?[t.metric] ?? (model.contains("99.9") ? 0.1 : 1)
            let delta = abs(1 - b / c) * 100
            if delta > allowed {
                f.error(dir + "/accuracy", "compliance_accuracy", "\(t.metric) within \(allowed) % of the baseline", String(format: "%.3f %%", delta))
                return false
            }
        }
        return true
    }

    static func contains(_ fs: FileTree, _ path: String, _ needle: String) -> Bool {
        guard let d = fs.contents(path) else { return false }
        return String(decoding: d, as: UTF8.self).contains(needle)
    }

    /// The official summary's unit for a model and scenario.
    static func unit(model: String, scenario: String, rules: InferenceRuleBook) -> String {
        if rules.resultFieldOverride[model]?[scenario]?.contains("tokens") == true { return "Tokens/s" }
        switch scenario {
        case "SingleStream", "MultiStream": return "Latency (ms)"
        case "Offline": return "Samples/s"
        default: return "Queries/s"
        }
    }
}

/// Errors and warnings gathered for one result.
struct Findings {
    var errors: [CheckProblem] = []
    var warnings: [CheckProblem] = []
    mutating func error(_ file: String, _ rule: String, _ expected: String, _ found: String) {
        errors.append(CheckProblem(file: file, rule: rule, expected: expected, found: found))
    }
    mutating func warn(_ file: String, _ rule: String, _ expected: String, _ found: String) {
        warnings.append(CheckProblem(file: file, rule: rule, expected: expected, found: found, severity: .warning))
    }
}

/// A system description's fields as the checker reads them (Python's `str()` view of each value).
struct SystemJSON: Sendable {
    var fields: [String: JSONValue] = [:]
    init(fields list: [JSONField]) { for f in list where fields[f.key] == nil { fields[f.key] = f.value } }
    func string(_ k: String) -> String {
        switch fields[k] {
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "True" : "False"
        case .int(let i)?: return String(i)
        case .uint(let u)?: return String(u)
        case .double(let d)?: return String(d)
        default: return ""
        }
    }
    /// Python truthiness: empty strings, 0, false, null and empty containers are "not meaningful".
    static func isEmpty(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .uint(let u): return u == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }
}

import ArgumentParser
import Benchmarks
import Foundation
import LoadGen
import MLLog
import Submission

/// `mlperf submission …`: turn runs into an MLPerf submission tree, check it, summarize it.
struct SubmissionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submission",
        abstract: "Build, check and summarize MLPerf submission trees from the runs made here.",
        discussion: """
        A typical sequence, after `mlperf suite`:
          mlperf submission init                          # systems/<system>.json from this machine
          mlperf submission add --from out/suite          # results of the suite's runs (+ missing accuracy runs)
          mlperf submission check                         # a verdict per result, with reasons
          mlperf submission summarize --price-per-hour 0.10

        The inference tree is --tree (default out/submission) in the official layout: \
        <division>/<submitter>/{systems,src,results}/…; the training tree is --training-tree (default \
        out/submission-training): <submitter>/{systems,results}/…. \
        The open division (default) maps SwiftMLPerf's benchmarks to an official model in model_mapping.json, so \
        the official submission checker can read the tree; the closed division holds SwiftMLPerf's benchmarks \
        under SwiftMLPerf's rule book (`check --version swiftmlperf-1.0`), which the official checker does not know.
        """,
        subcommands: [SubmissionInitCommand.self, SubmissionAddCommand.self, SubmissionCheckCommand.self,
                      SubmissionSummarizeCommand.self])
}

/// Where the tree is and whose it is (shared by the subcommands).
struct TreeOptions: ParsableArguments {
    @Option(help: "The submission tree's root.") var tree: String = "out/submission"
    @Option(help: "closed | open | network.") var division: String = "open"
    @Option(help: "The submitting organisation (a directory name).") var submitter: String = "SwiftMLPerf"
    @Option(help: "The system's name in the tree (default: <cores>xCPU-ORT).") var system: String?
    @Option(help: "The training tree's root (default: the tree's path + \"-training\").") var trainingTree: String?

    var trainingRoot: String { trainingTree ?? tree + "-training" }

    var systemName: String {
        system ?? "\(ProcessInfo.processInfo.activeProcessorCount)xCPU-ORT"
    }

    func writer() throws -> InferenceTreeWriter {
        if division == "network" {
            throw ValidationError("--division network needs results from a network SUT (\"Network SUT\" in its name) and the "
                                  + "network fields of the system description, which `mlperf run` does not make yet; use closed or open")
        }
        return try InferenceTreeWriter(root: tree, division: division, submitter: submitter, system: systemName)
    }
}

/// The official model each suite benchmark is read as in the open division: `resnet`, the official task whose
/// accuracy line (`accuracy=NN.NNN%`) is the form every accuracy.txt written here carries.
let openDivisionOfficialModel = "resnet"

/// `swiftmlperf-1.0`: the official v6.1 table plus the suite's benchmarks as closed models.
func swiftMLPerfRuleBook() throws -> InferenceRuleBook {
    let suite = BenchmarkRegistry.all.filter { $0.scoreAccuracy != nil }.map { b in
        SuiteModelRules(name: b.name, accuracyTargetPercent: 99 * (b.reportedReferenceQuality ?? 0),
                        performanceSampleCount: 1, datasetSize: 0, serverLatencyNs: Int(b.serverTargetLatencyNs),
                        complianceTests: b.complianceTests)
    }
    return try InferenceRuleBook.official("v6.1").adding(suite, version: "swiftmlperf-1.0")
}

func ruleBook(_ version: String) throws -> InferenceRuleBook {
    version == "swiftmlperf-1.0" ? try swiftMLPerfRuleBook() : try InferenceRuleBook.official(version)
}

struct SubmissionInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write systems/<system>.json from this machine (CPU, sockets, cores, memory, storage, GPUs, OS, ONNX Runtime).",
        usage: "mlperf submission init [<options>]",
        discussion: """
        Fields that cannot be detected are written as "N/A". --system-json names a JSON object whose fields \
        replace the detected ones (e.g. {"status": "preview", "cooling": "air"}).

        Example:
          mlperf submission init --submitter MyOrg --system 2xEPYC-ORT --system-json my-system.json
        """)
    @OptionGroup var options: TreeOptions
    @Option(help: "A JSON object of system fields that replace the detected ones.") var systemJSON: String?
    @Option(help: "The runs' directory, to read the ONNX Runtime version from (default out/suite).") var from: String = SuiteLayout.defaultOutputDirectory

    func run() throws {
        let writer = try options.writer()
        try FileManager.default.createDirectory(atPath: options.tree, withIntermediateDirectories: true)
        var d = SystemDescription.detect(
            submitter: options.submitter, division: options.division, systemName: options.systemName,
            framework: "ONNX Runtime \(ortVersion(in: from) ?? "(version unknown)")",
            softwareStack: "SwiftMLPerf (LoadGen \(LoadGen.compatibleVersion) compatible), Swift, OpenBLAS",
            treeDirectory: options.tree)
        if let systemJSON { try d.override(withFile: systemJSON) }
        try writer.writeSystem(d, calibration: calibrationText)
        Console.out("Wrote \(writer.base)/systems/\(options.systemName).json (\(d.text("host_processor_model_name")), "
                    + "\(d.chips.count) \(d.chips.kind)\(d.chips.count == 1 ? "" : "s") for per-chip figures)")
    }
}

/// The calibration document the closed division needs.
let calibrationText = """
# Calibration

SwiftMLPerf's reference models run in FP32 through ONNX Runtime: no quantization, so no calibration set was used.
A quantized closed result must calibrate on the benchmark's fixed calibration list only
(`Calibration` in Sources/Serving walks that list) and say so here.

"""

/// ONNX Runtime's version as a run recorded it in serving.json (any run under `dir`).
func ortVersion(in dir: String) -> String? {
    guard let walker = FileManager.default.enumerator(atPath: dir) else { return nil }
    while let rel = walker.nextObject() as? String {
        guard rel.hasSuffix("serving.json"), let data = FileManager.default.contents(atPath: dir + "/" + rel),
              let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let ort = j["onnxruntime"] as? [String: Any], let v = ort["version"] as? String else { continue }
        return v
    }
    return nil
}

struct SubmissionAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add the results of runs already made (a suite output) to the tree, running what is missing.",
        usage: "mlperf submission add [<options>]",
        discussion: """
        For each benchmark and scenario of --from's suite.json: the performance run's logs go to \
        performance/run_1; the accuracy run of the same scenario goes to accuracy/ (run now, on the same model, \
        when --from has none); accuracy.txt gets the benchmark's line, the figure in the form the official \
        checker reads, and the hash of the accuracy log, which is then truncated as the official tool does. \
        measurements.json records the model's SHA-256. The training logs under --from/training go to the \
        training tree, <submitter>/results/<system>/<benchmark>/.

        Example:
          mlperf submission add --from out/suite --benchmarks ncf,sentiment
        """)
    @OptionGroup var options: TreeOptions
    @Option(help: "The suite's output directory (its suite.json).") var from: String = SuiteLayout.defaultOutputDirectory
    @Option(help: "Comma-separated benchmarks (default: all in suite.json).") var benchmarks: String?
    @Flag(inversion: .prefixedNo, help: "Run and verify TEST01 and TEST04 (default: yes in the closed and network divisions, no in open).")
    var compliance: Bool?

    /// How many times a performance run and its compliance tests are made when a verification fails on timing.
    static let complianceAttempts = 3

    struct ComplianceRun { var test: ComplianceTest; var directory: String; var performance: ComplianceTest.Verification; var accuracy: ComplianceTest.Verification? }

    /// TEST01 and TEST04 for one result: each run like the performance run (same model, duration, Server rate) with
    /// the test's audit.config and verified against the performance and accuracy runs. The verifications compare
    /// timings, which a shared machine makes noisy on short runs: when one fails, the performance run and both
    /// tests are made again, back to back (up to `complianceAttempts` times in all), as a submitter would. Returns
    /// the performance run the tests were verified against, and the tests.
    func runCompliance(_ name: String, tests: [ComplianceTest], scenario: String, modelPath: String,
                       perfDir suitePerfDir: String, accDir: String) throws -> (perfDir: String, runs: [ComplianceRun]) {
        let perf = try DetailLog(path: suitePerfDir + "/mlperf_log_detail.txt")
        let accuracySamples = try DetailLog(path: accDir + "/mlperf_log_detail.txt").int("effective_accuracy_sample_count") ?? 1024
        var base = [name, "--scenario", scenario, "--mode", "performance", "--model", modelPath, "--quiet"]
        if let ms = perf.int("requested_min_duration_ms") { base += ["--duration-ms", "\(ms)"] }
        if let q = perf.int("requested_min_query_count") { base += ["--min-query-count", "\(q)"] }
        if scenario == "Server", let qps = perf.double("requested_server_target_qps") { base += ["--target-qps", "\(qps)"] }
        func run(_ args: [String]) throws {
            do { try RunCommand.parse(args).run() } catch let e as ExitCode where e.rawValue == 1 {
                // An INVALID run still has its logs; the verification and the checker say what is wrong.
            }
            fflush(nil)
        }
        func valid(_ dir: String) -> Bool { (try? DetailLog(path: dir + "/mlperf_log_detail.txt"))?.string("result_validity") == "VALID" }
        var attempts: [(perfDir: String, runs: [ComplianceRun], passes: Int)] = []
        for attempt in 1...Self.complianceAttempts {
            var perfDir = suitePerfDir
            if attempt > 1 {
                perfDir = from + "/\(name)/\(scenario)-performance-compliance\(attempt)"
                Console.out("== \(name) \(scenario): performance run again (attempt \(attempt)), then \(tests.map(\.rawValue).joined(separator: ", "))")
                try run(base + ["--out", perfDir])
            }
            var runs: [ComplianceRun] = []
            for test in tests {
                let dir = from + "/\(name)/\(scenario)-\(test.rawValue)" + (attempt > 1 ? "-attempt\(attempt)" : "")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let audit = dir + "/audit.config"
                try test.auditConfig(samplingTarget: Int(min(4096, accuracySamples))).write(toFile: audit, atomically: true, encoding: .utf8)
                Console.out("== \(name) \(scenario): \(test.rawValue)")
                try run(base + ["--out", dir, "--audit-config", audit])
                let p = try test.verifyPerformance(testRun: dir, performanceRun: perfDir)
                let a = test == .test01
                    ? try ComplianceTest.verifyAccuracy(testLog: dir + "/mlperf_log_accuracy.json", accuracyLog: accDir + "/mlperf_log_accuracy.json")
                    : nil
                Console.out("   \(test.rawValue): performance \(p.passed ? "PASS" : "FAIL")" + (a.map { ", accuracy \($0.passed ? "PASS" : "FAIL")" } ?? ""))
                runs.append(ComplianceRun(test: test, directory: dir, performance: p, accuracy: a))
            }
            // The passes of this attempt: a VALID performance run, each test VALID and verified.
            let passes = (valid(perfDir) ? 1 : 0) + runs.filter { valid($0.directory) && $0.performance.passed && $0.accuracy?.passed != false }.count
            attempts.append((perfDir, runs, passes))
            if passes == 1 + runs.count { break }
        }
        // The first attempt that passed everything, else the one that passed most (the earliest among equals).
        let best = attempts.enumerated().max { a, b in a.element.passes < b.element.passes || (a.element.passes == b.element.passes && a.offset > b.offset) }!.element
        return (best.perfDir, best.runs)
    }

    func run() throws {
        let writer = try options.writer()
        guard FileManager.default.fileExists(atPath: writer.base + "/systems/\(options.systemName).json") else {
            throw ValidationError("\(writer.base)/systems/\(options.systemName).json is missing; run `mlperf submission init` "
                                  + "with the same --tree, --division, --submitter and --system first")
        }
        let suitePath = from + "/suite.json"
        guard let data = FileManager.default.contents(atPath: suitePath),
              let suite = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let runs = suite["runs"] as? [[String: Any]], let benches = suite["benchmarks"] as? [[String: Any]] else {
            throw ValidationError("\(suitePath) is missing or not a suite result; run `mlperf suite --out \(from)` first")
        }
        let wanted = benchmarks.map { Set($0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }) }
        var added = 0
        for run in runs {
            guard let name = run["benchmark"] as? String, wanted?.contains(name) ?? true,
                  let scenario = run["scenario"] as? String, let suitePerfDir = run["logs"] as? String,
                  let bench = BenchmarkRegistry.named(name),
                  let info = benches.first(where: { $0["benchmark"] as? String == name }),
                  let model = info["model"] as? [String: Any], let modelPath = model["path"] as? String else { continue }
            let reference = model["reference_quality"] as? Double ?? bench.defaultReferenceQuality ?? 0
            let accDir = from + "/\(name)/\(scenario)-accuracy"
            if !FileManager.default.fileExists(atPath: accDir + "/mlperf_log_accuracy.json") {
                Console.out("== \(name) \(scenario): accuracy run (none in \(from))")
                var args = [name, "--scenario", scenario, "--mode", "accuracy", "--model", modelPath, "--out", accDir, "--quiet"]
                // Server issues the accuracy run on its Poisson schedule too: at the performance run's rate, not
                // mlperf.conf's default 1 QPS (which would take hours over a whole data set).
                if scenario == "Server", let qps = try DetailLog(path: suitePerfDir + "/mlperf_log_detail.txt").double("requested_server_target_qps") {
                    args += ["--target-qps", "\(qps)"]
                }
                try RunCommand.parse(args).run()
                fflush(nil)
            }
            let acc = try checkAccuracy(bench, log: accDir + "/mlperf_log_accuracy.json", referenceAccuracy: reference, dataDir: nil,
                                        modelPath: modelPath)
            var perfDir = suitePerfDir
            var complianceRuns: [ComplianceRun] = []
            if compliance ?? (options.division != "open") {
                (perfDir, complianceRuns) = try runCompliance(name, tests: bench.complianceTests.compactMap(ComplianceTest.init(rawValue:)),
                                                              scenario: scenario, modelPath: modelPath, perfDir: perfDir, accDir: accDir)
            }
            let implementation = model["implementation"] as? String ?? "reference"
            let input = InferenceResultInput(
                benchmark: name, scenario: scenario, performanceDirectory: perfDir, accuracyDirectory: accDir,
                accuracyLine: acc.line, accuracyValue: acc.value, accuracyMetric: acc.metric, modelPath: modelPath,
                inputDataTypes: bench.contract.inputs.map { $0.elementType.description == "float32" ? "fp32" : $0.elementType.description }.joined(separator: ","),
                startingWeights: implementation == "pretrained"
                    ? "\((modelPath as NSString).lastPathComponent) (pretrained weights shipped by a package)"
                    : "\((modelPath as NSString).lastPathComponent), trained by SwiftMLPerf's \(implementation) reference under the closed ruleset (seed \(model["seed"] ?? "?"))",
                userConf: try InferenceTreeWriter.userConf(fromDetailLog: perfDir + "/mlperf_log_detail.txt", model: name),
                command: "mlperf run \(name) --scenario \(scenario) --model \(modelPath) [--mode accuracy]")
            try writer.add(input, officialModel: openDivisionOfficialModel, mlperfConf: mlperfConfText)
            for c in complianceRuns {
                try writer.addCompliance(benchmark: name, scenario: scenario, test: c.test, runDirectory: c.directory,
                                         performance: c.performance, accuracy: c.accuracy)
            }
            Console.out("Added \(writer.resultDirectory(benchmark: name, scenario: scenario)) (\(run["result"] ?? "?"), \(acc.line))")
            added += 1
        }
        let training = try TrainingTreeWriter(root: options.trainingRoot, submitter: options.submitter, system: options.systemName)
        let copied = try training.addResults(from: from + "/training/results", benchmarks: wanted)
        if copied > 0 {
            let system = TrainingTreeWriter.trainingSystem(
                try SystemDescription.read(writer.base + "/systems/\(options.systemName).json"),
                vcpus: ProcessInfo.processInfo.activeProcessorCount)
            try FileManager.default.createDirectory(atPath: training.base + "/systems", withIntermediateDirectories: true)
            try system.write(to: training.systemFile)
            Console.out("Added \(copied) training result file\(copied == 1 ? "" : "s") under \(training.base)/results")
        }
        if added == 0 && copied == 0 { throw ValidationError("nothing to add from \(suitePath)") }
    }
}

/// The built-in mlperf.conf as text.
let mlperfConfText: String = ConfigFile.builtinMLPerfConfText

struct SubmissionCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check an inference submission tree: a verdict for every result, with its reasons.",
        usage: "mlperf submission check [<options>]",
        discussion: """
        The rules are the MLCommons inference submission checker's (--version v6.1 or v5.1: the official tables), \
        or swiftmlperf-1.0 (the default): v6.1 plus SwiftMLPerf's benchmarks as closed-division models. Each \
        reason names the file, the rule, what was expected and what was found. For an open result, the rules it \
        would break in the closed division are listed too.

        Runs shorter than MLPerf's 600 s are errors, as for the official checker; --allow-short-runs reports them \
        as warnings (the result stays unacceptable to the official checker). Exit status 1 unless every result is \
        accepted. Training trees: `mlperf check training out/submission-training/<submitter>/results/<system>`.

        Examples:
          mlperf submission check
          mlperf submission check --tree sub --version v6.1 --json verdicts.json
        """)
    @Option(help: "The submission tree's root.") var tree: String = "out/submission"
    @Option(help: "v5.1 | v6.1 | swiftmlperf-1.0.") var version: String = "swiftmlperf-1.0"
    @Flag(help: "Runs under 600 s are warnings, not errors.") var allowShortRuns = false
    @Flag(help: "Do not check the compliance (TEST0x) directories.") var skipCompliance = false
    @Option(help: "Write the report as JSON to this file.") var json: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: tree) else { throw ValidationError("\(tree): no such directory") }
        var checker = InferenceChecker(rules: try ruleBook(version))
        checker.allowShortRuns = allowShortRuns
        checker.skipCompliance = skipCompliance
        let report = checker.check(root: tree)
        let closed = checker.closedDivisionGaps(report, root: tree)
        for r in report.results {
            let value = r.value.map { String(format: "%.4g %@", $0, r.unit) } ?? "-"
            Console.out("\(r.accepted ? "ACCEPTED" : "REJECTED") \(r.path)  \(value)"
                        + (r.mlperfModel != r.model ? "  (read as \(r.mlperfModel))" : ""))
            for p in r.problems { Console.out("    ✗ \(p)") }
            for w in r.warnings { Console.out("    ! \(w)") }
            for g in closed[r.path] ?? [] { Console.out("    closed would need: \(g.rule): \(g.expected) (found \(g.found))") }
        }
        for p in report.treeProblems { Console.out("TREE \(p)") }
        let mapped = Set(report.results.filter { $0.division == "open" && $0.mlperfModel == $0.model }.map(\.model))
            .filter { checker.rules.suiteModels.contains($0) }
        if !mapped.isEmpty {
            Console.out("note: \(mapped.sorted().joined(separator: ", ")) checked as SwiftMLPerf's own benchmark\(mapped.count == 1 ? "" : "s"); the official checker "
                        + "reads model_mapping.json and judges \(mapped.count == 1 ? "it" : "them") as \(openDivisionOfficialModel) (see --version v6.1)")
        }
        Console.out("\(report.accepted.count) of \(report.results.count) results accepted; "
                    + "\(report.treeProblems.count) tree problem\(report.treeProblems.count == 1 ? "" : "s"); rules \(version). "
                    + (report.passed ? "SUMMARY: submission looks OK" : "SUMMARY: submission has errors"))
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if !report.passed { throw ExitCode(1) }
    }
}

struct SubmissionSummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "The results table (text, the official CSV columns, JSON), the suite score, and per-chip, energy and cost figures.",
        usage: "mlperf submission summarize [<options>]",
        discussion: """
        Results are those the checker accepts (--version, as for `check`); --allow-short-runs adds those rejected \
        only because a run was shorter than 600 s, marked so. Per chip: throughput divided by the accelerators, \
        or by the CPU sockets when there are none. Energy: from each result's energy.json (written by `mlperf run` \
        when the machine has RAPL counters or an NVIDIA GPU), or from --power-log (a PTD log, integrated between \
        the run's power_begin and power_end); otherwise "not measured" with the reason. Cost: --price-per-hour or \
        --price-file ({"price_per_hour": 3.06, "currency": "USD", "note": "…"}) gives the cost per million \
        inferences and the cost to train.

        The suite score is the weighted geometric mean of the ratios to --reference (default: the results file \
        SwiftMLPerf ships, made on the machine it names), closed and open apart, with its caveats.

        Examples:
          mlperf submission summarize --allow-short-runs --price-per-hour 0.10
          mlperf submission summarize --reference other-machine.json --weights ncf=2,sentiment=1
        """)
    @Option(help: "The submission tree's root.") var tree: String = "out/submission"
    @Option(help: "The training tree's root (default: the tree's path + \"-training\").") var trainingTree: String?
    @Option(help: "v5.1 | v6.1 | swiftmlperf-1.0.") var version: String = "swiftmlperf-1.0"
    @Flag(help: "Include results rejected only for runs under 600 s.") var allowShortRuns = false
    @Option(help: "Reference results file (default: the shipped one).") var reference: String?
    @Option(help: "Benchmark weights, e.g. ncf=2,sentiment=1 (default 1 each).") var weights: String?
    @Option(help: "Price of the system per hour.") var pricePerHour: Double?
    @Option(help: "A price file (JSON with price_per_hour, currency, note).") var priceFile: String?
    @Option(help: "A power log in MLPerf Power's PTD format, covering the runs.") var powerLog: String?
    @Option(help: "Where to write summary.txt, summary.csv and summary.json.") var out: String = "out/submission-summary"
    @Option(help: "Also write this tree's results as a reference results file (for --reference elsewhere).") var writeReference: String?
    @Option(help: "The machine to name in --write-reference.") var referenceSystem: String = "this machine"

    func run() throws {
        guard FileManager.default.fileExists(atPath: tree) else { throw ValidationError("\(tree): no such directory") }
        if pricePerHour != nil && priceFile != nil { throw ValidationError("give --price-per-hour or --price-file, not both") }
        let price = try priceFile.map { try HourlyPrice.read($0) }
            ?? pricePerHour.map { try HourlyPrice(perHour: $0, source: "--price-per-hour") }
        let ptd = try powerLog.map { try PTDLog(path: $0) }
        var weightMap: [String: Double] = [:]
        for item in (weights ?? "").split(separator: ",") {
            let kv = item.split(separator: "=")
            guard kv.count == 2, let w = Double(kv[1]), w >= 0 else {
                throw ValidationError("--weights: expected name=weight (weight ≥ 0), found `\(item)`")
            }
            weightMap[String(kv[0])] = w
        }
        var checker = InferenceChecker(rules: try ruleBook(version))
        checker.allowShortRuns = allowShortRuns
        let report = checker.check(root: tree)
        let (rows, problems) = Summarizer.inferenceRows(report, root: tree, price: price, powerLog: ptd)
        let training = Summarizer.trainingRows(root: trainingTree ?? tree + "-training", price: price)
        let ref = try reference.map { try ReferenceResults.read($0) } ?? ReferenceResults.builtIn()
        var scores: [SuiteScore] = []
        for division in ["closed", "open", "network"] {
            var results = rows.filter { $0.division == division }.map { (benchmark: $0.model, scenario: $0.scenario, value: $0.result, units: $0.units) }
            if division == "closed" {  // training results are closed-division (closed ruleset)
                results += training.compactMap { t in t.minutes.map { (benchmark: t.benchmark, scenario: "training", value: $0, units: "minutes") } }
            }
            if !results.isEmpty { scores.append(SuiteScore.compute(division: division, results: results, reference: ref, weights: weightMap)) }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let text = summaryText(rows, training: training, scores: scores, report: report, problems: problems)
        Console.out(text)
        try text.write(toFile: out + "/summary.txt", atomically: true, encoding: .utf8)
        try Summarizer.csv(rows).write(toFile: out + "/summary.csv", atomically: true, encoding: .utf8)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(SummaryDocument(version: version, inference: rows, training: training, scores: scores, problems: problems))
            .write(to: URL(fileURLWithPath: out + "/summary.json"))
        Console.out("Wrote \(out)/summary.txt, summary.csv (the official columns), summary.json")
        if let writeReference {
            let figures = rows.map { ReferenceFigure(benchmark: $0.model, scenario: $0.scenario, value: $0.result, units: $0.units) }
                + training.compactMap { t in t.minutes.map { ReferenceFigure(benchmark: t.benchmark, scenario: "training", value: $0, units: "minutes") } }
            let r = ReferenceResults(system: referenceSystem, note: "made by `mlperf submission summarize --write-reference` from \(tree)", figures: figures)
            try enc.encode(r).write(to: URL(fileURLWithPath: writeReference))
            Console.out("Wrote the reference results \(writeReference)")
        }
        if rows.isEmpty && training.isEmpty {
            let short = report.results.filter { !$0.accepted && $0.problems.contains { $0.rule == "min_duration" } }.count
            throw ValidationError("no results to summarize in \(tree)" + (short > 0 ? " (\(short) rejected for runs under 600 s: --allow-short-runs takes them, if nothing else is wrong)" : ""))
        }
    }

    func summaryText(_ rows: [SummaryRow], training: [TrainingSummaryRow], scores: [SuiteScore], report: CheckReport,
                     problems: [String]) -> String {
        func f(_ v: Double?, _ fmt: String = "%.4g") -> String { v.map { String(format: fmt, $0) } ?? "-" }
        var t = "Inference results (\(rows.count); rules \(version))\n"
        t += ["division", "benchmark", "scenario", "result", "units", "per chip", "J/sample", "cost/1M inf.", "accuracy"]
            .map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined() + "\n"
        for r in rows {
            let cells = [r.division, r.model, r.scenario, f(r.result), r.units, r.perChip.map { f($0) + "/\(r.chipKind == "CPU socket" ? "skt" : "acc")" } ?? "-",
                         f(r.joulesPerSample), f(r.costPerMillionInferences, "%.4f"), r.accuracy]
            t += cells.map { $0.padding(toLength: max(14, $0.count + 1), withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        if let r = rows.first(where: { $0.costPerMillionInferences != nil }) ?? rows.first {
            t += "Chips: \(r.chips) \(r.chipKind)\(r.chips == 1 ? "" : "s") (from systems/\(r.platform).json). "
            t += "Energy: " + (r.energy.map { $0.joules != nil ? "\($0.source), \(f($0.averageWatts)) W average" : ($0.note ?? "not measured") } ?? "-") + ". "
            t += "Cost: " + (r.costPerMillionInferences != nil ? "per million inferences = price per hour / 3600 / samples per second × 10⁶" : r.costNote) + ".\n"
        }
        if rows.contains(where: { $0.notes.contains("600 s") }) { t += "Results from runs shorter than 600 s are marked in summary.csv's notes.\n" }
        if !training.isEmpty {
            t += "\nTraining results (time to train)\n"
            for r in training {
                t += "  \(r.benchmark) on \(r.system): \(f(r.minutes, "%.3f")) min — \(r.scoring); cost to train \(f(r.costToTrain, "%.5f")) (\(r.costNote)); "
                    + "energy: " + (r.energy.map { $0.joules != nil ? "\(f($0.joules)) J (\($0.source))" : ($0.note ?? "not measured") } ?? "-") + "\n"
            }
        }
        for s in scores {
            t += "\nSuite score (\(s.division)): " + (s.score.map { String(format: "%.3f", $0) } ?? "-")
                + " — weighted geometric mean of \(s.ratios.count) ratios to the reference (>1: better than the reference)\n"
            for r in s.ratios { t += "  \(r.benchmark) \(r.scenario): \(f(r.ours)) vs \(f(r.reference)) → \(String(format: "%.3f", r.ratio)) (weight \(f(r.weight)))\n" }
            for c in s.caveats { t += "  caveat: \(c)\n" }
        }
        for p in problems { t += "problem: \(p)\n" }
        return t
    }
}

/// summary.json.
struct SummaryDocument: Encodable {
    var version: String
    var inference: [SummaryRow]
    var training: [TrainingSummaryRow]
    var scores: [SuiteScore]
    var problems: [String]
}

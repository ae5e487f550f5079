import ArgumentParser
import Benchmarks
import Foundation
import MLLog
import NeuralNet
import LoadGen
import Training

/// Maps `--impl NAME` to a benchmark's workload: `swift` (its in-process Swift reference) or `pytorch` (its PyTorch
/// reference script under the project's interpreter). `onnxOutput` (with `{run}`/`{seed}` substituted by the harness
/// for external commands) receives the trained model.
/// `short`: `mlperf suite`'s short mode for the benchmark (PyTorch references only: `--max-epochs`, `--target`).
func trainingWorkload(_ bench: Benchmark, impl: String, context: WorkloadContext, onnxOutput: String? = nil,
                      dataDir: String? = nil, short: SuiteTraining? = nil) throws -> Workload {
    if short != nil && impl != "pytorch" {
        throw ValidationError("\(bench.name): the suite's short training mode runs the PyTorch reference only")
    }
    switch impl {
    case "pytorch":
        guard let script = bench.pytorchScript else {
            throw ValidationError("\(bench.name) has no PyTorch reference (--impl swift, or --command \"...\")")
        }
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("--impl pytorch needs \(script) (run from the repository root)")
        }
        var arguments = [try projectPython(), script, "--seed", "{seed}", "--threads", "1",
                         "--division", "{division}", "--platform", "{system}"]
        if bench.data != nil { arguments += ["--data-dir", bench.dataDirectory(override: dataDir)] }
        if let onnxOutput { arguments += ["--onnx-out", onnxOutput] }
        if let short { arguments += ["--max-epochs", "\(short.maxEpochs)", "--target", "\(short.target)"] }
        return .command(ExternalCommand(arguments: arguments))
    case "swift":
        guard let trainer = bench.swiftTrainer else {
            throw ValidationError("\(bench.name) has no Swift reference yet (--impl pytorch)")
        }
        let request = TrainingRequest(seed: 0, dataDirectory: dataDir, onnxOutputPath: onnxOutput,
                                      division: context.division, systemName: context.system)
        return .inProcess(name: "swift reference") { seed, logger, isCancelled in
            var r = request
            r.seed = seed
            _ = try trainer(r, logger, isCancelled)
        }
    default:
        throw ValidationError("unknown --impl '\(impl)' (known: swift, pytorch; or give --command \"...\")")
    }
}

/// The training benchmarks, for help texts.
let trainingBenchmarkNames = BenchmarkRegistry.all.filter { $0.training != nil }.map(\.name).joined(separator: ", ")

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time to train: run a training workload N times, check every log, score as MLPerf does.",
        discussion: """
        Each run gets a distinct seed and its MLLOG log is saved as OUT/results/SYSTEM/BENCH/result_<i>.txt (the \
        official submission layout); the workload's raw output goes to OUT/logs/. Time to train is run_stop − \
        run_start. After the runs: the olympic score (fastest and slowest dropped; one failed run counts as the \
        slowest, more invalidate the result), mean/median/CV, the convergence (RCP) check, and OUT/results.json.

        An external command gets the seed where it says {seed}, or as an appended `--seed N`; {run}, {division}, \
        {system} and {benchmark} are substituted too, and the same values are in MLPERF_* environment variables. \
        MLLOG lines are read from its stdout/stderr, or from --log-file when given.

        Ctrl-C stops the current run; finished runs are kept and scored as a partial result. Ctrl-C twice quits.

        Examples:
          mlperf train fashion-mnist --impl swift --runs 5
          mlperf train fashion-mnist --impl pytorch --system my-box --timeout 20
          mlperf train fashion-mnist --out results-dir \\
            --command "python3 my_trainer.py --seed {seed}"
        """)

    @Argument(help: "The benchmark (\(trainingBenchmarkNames)).")
    var benchmark: String

    @Option(help: "Implementation to run: swift | pytorch.")
    var impl: String?

    @Option(help: "External training command that prints MLLOG lines (quoted as one argument).")
    var command: String?

    @Option(name: .customLong("log-file"), help: "Read MLLOG from this file the command writes ({run}, {seed} substituted).")
    var logFile: String?

    @Option(help: "The benchmark's data directory (--impl swift | pytorch; default: its environment variable, else the set-up's).")
    var dataDir: String?

    @Option(help: "Number of runs.")
    var runs: Int = 5

    @Option(help: "closed | open.")
    var division: String = "closed"

    @Option(help: "System name (the results/<system>/ directory).")
    var system: String = "local"

    @Option(help: "Output directory (the submission root).")
    var out: String = "mlperf-results"

    @Option(help: "Per-run timeout in minutes.")
    var timeout: Double?

    @Option(help: "Base seed; run seeds are derived from it (default: random).")
    var seed: UInt64?

    @Option(help: "Compliance ruleset id (default: the benchmark's).")
    var ruleset: String?

    @Option(name: .customLong("rules-dir"), help: "A directory of rulesets (training_<id>/<file>.json, rcps_<bench>.json) instead of the built-in ones.")
    var rulesDir: String?

    @Flag(name: .customLong("rcp-bypass"), help: "Do not fail the result on the convergence (RCP) check.")
    var rcpBypass = false

    @Option(name: .customLong("write-rcp"), help: "Write the converged runs' epochs-to-converge as an RCP file (official layout), to make a benchmark's reference convergence points (use ≥ 2N reference runs).")
    var writeRCP: String?

    mutating func run() throws {
        guard let entry = BenchmarkRegistry.named(benchmark), let bench = entry.training else {
            throw ValidationError("unknown training benchmark '\(benchmark)' (known: \(trainingBenchmarkNames))")
        }
        guard (impl == nil) != (command == nil) else { throw ValidationError("give exactly one of --impl NAME or --command \"...\"") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        let context = WorkloadContext(benchmark: bench.name, division: division, system: system)
        let workload: Workload
        if let impl { workload = try trainingWorkload(entry, impl: impl, context: context, dataDir: dataDir) } else {
            do { workload = .command(ExternalCommand(arguments: try ExternalCommand.split(command!), logFile: logFile)) }
            catch { throw TrainingCLIError(error.message) }
        }
        let options = HarnessOptions(runs: runs, division: division, system: system, outputDirectory: out,
                                     timeoutSeconds: timeout.map { $0 * 60 }, baseSeed: seed, rulesetID: ruleset,
                                     rcpBypass: rcpBypass)
        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let printer = ProgressPrinter()
        let energy = TrainingEnergyRecorder()
        let harness = TrainingHarness(benchmark: bench, workload: workload, options: options,
                                      rulesets: rulesDir.map { RulesetStore(directory: URL(fileURLWithPath: $0)) } ?? .builtIn)
        print("mlperf train \(bench.name): \(runs) run\(runs == 1 ? "" : "s"), \(division), target \(bench.qualityMetric) \(bench.targetCondition), ruleset \(ruleset ?? bench.rulesetID)")
        let result: TrainingResult
        do {
            result = try harness.run(isCancelled: { cancel.isCancelled },
                                     events: { energy.handle($0); printer.handle($0) })
        } catch { throw TrainingCLIError(error.message) }
        printer.summary(result)
        if let path = writeRCP {
            guard let record = result.rcpRecord() else { throw TrainingCLIError("--write-rcp: fewer than two runs converged") }
            let json = RCPRecord.fileJSON([record], creator: "SwiftMLPerf mlperf train", platform: system,
                                          hyperparameters: result.loggedHyperparameters())
            guard FileManager.default.createFile(atPath: path, contents: Data(JSONWriter().string(json).utf8)) else {
                throw TrainingCLIError("--write-rcp: cannot write \(path)")
            }
            print("  RCP record \(record.name): \(record.convergence.count) convergence points written to \(path)\(record.convergence.count < 2 * bench.requiredRuns ? " (the rules ask for at least \(2 * bench.requiredRuns))" : "")")
        }
        if result.score.minutes == nil || result.rcp?.passed == false { throw ExitCode(1) }
    }
}

/// Prints harness events: one live status line per run (rewritten in place on a terminal), then a verdict line.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private let tty = isatty(STDOUT_FILENO) == 1
    private var lastPrint = 0.0
    private var lastKey = ""
    private var lineOpen = false

    func handle(_ e: HarnessEvent) {
        lock.lock(); defer { lock.unlock() }
        switch e {
        case .runStarted(let i, let n, let seed, let log, let cmd):
            print("run \(i + 1)/\(n): seed \(seed), log \(log)\n  $ \(cmd)")
        case .progress(let p):
            // On a terminal the line is rewritten in place; otherwise a line when the epoch or quality changes, or
            // every 10 s.
            let now = Date().timeIntervalSince1970
            let key = "\(p.runIndex) \(p.epoch ?? -1) \(p.latestQuality ?? -1)"
            guard tty || key != lastKey || now - lastPrint >= 10 else { return }
            lastPrint = now
            lastKey = key
            let line = ProgressPrinter.status(p)
            if tty { print("\r\u{1B}[2K" + line, terminator: ""); lineOpen = true } else { print("  " + line) }
            fflush(nil)
        case .runFinished(let r):
            if lineOpen { print(""); lineOpen = false }
            let q = r.bestQuality.map { String(format: "%.4f", $0) } ?? "-"
            switch r.status {
            case .success:
                print(String(format: "  ✔ run %d: time to train %.4f min (%.1f s), best quality %@, log compliant", r.index + 1,
                             r.minutes ?? 0, (r.timeToTrainMs ?? 0) / 1000, q))
            case .failed(let why):
                print("  ✘ run \(r.index + 1) FAILED: \(why)")
                if !r.outputTail.isEmpty {
                    print("    last output lines (all in \(r.rawOutputPath ?? "the raw log")):")
                    for l in r.outputTail.suffix(6) { print("    | \(l)") }
                }
                for m in r.parseIssues.prefix(5) { print("      \(m)") }
            case .cancelled:
                print("  ■ run \(r.index + 1) cancelled (Ctrl-C); not scored")
            }
            if case .failed = r.status { for w in r.compliance.messages.prefix(8) { print("      \(w)") } }
        }
        fflush(nil)
    }

    static func status(_ p: TrainingProgress) -> String {
        var s = "run \(p.runIndex + 1)/\(p.runs)"
        s += "  epoch \(p.epoch.map(String.init) ?? "-")"
        let cmp = p.higherIsBetter ? "≥" : "≤"
        s += "  quality \(p.latestQuality.map { String(format: "%.4f", $0) } ?? "-") (target \(cmp) \(p.target))"
        if p.reachedTarget { s += " ✓" }
        s += String(format: "  elapsed %.1fs", p.elapsedSeconds)
        if let left = p.estimatedSecondsLeft { s += String(format: "  left ~%.1fs", left) }
        if p.issues > 0 { s += "  \(p.issues) log issue\(p.issues == 1 ? "" : "s")" }
        return s
    }

    func summary(_ r: TrainingResult) {
        print("")
        print("Result for \(r.benchmark.name) (\(r.options.division), system \(r.options.system))\(r.partial ? " — PARTIAL (\(r.runs.count) of \(r.options.runs) runs)" : ""):")
        for run in r.runs {
            let t = run.minutes.map { String(format: "%.4f min", $0) } ?? "-"
            let st: String
            switch run.status { case .success: st = "ok"; case .failed(let w): st = "FAILED: " + w; case .cancelled: st = "cancelled" }
            print("  result_\(run.index).txt  seed \(run.seed)  \(t)  \(st)")
            for w in run.warnings { print("    warning: \(w)") }
        }
        if let s = r.statistics {
            print(String(format: "  successful runs %d: mean %.4f min, median %.4f min, CV %.1f%%, fastest %.4f, slowest %.4f",
                         s.count, s.mean, s.median, s.coefficientOfVariation * 100, s.min, s.max))
        }
        if let m = r.score.minutes {
            let n = r.score.counted.count
            print(String(format: "  SCORE: %.4f min — olympic mean of %d run%@ (%d fastest and %d slowest dropped%@)", m, n,
                         n == 1 ? "" : "s", r.score.maxDrop, r.score.maxDrop - r.score.failedRuns,
                         r.score.failedRuns > 0 ? ", the failed run counting as the slowest" : ""))
        } else {
            print("  NO SCORE: \(r.score.invalidReason ?? "")")
        }
        if let v = r.rcp {
            print("  convergence (RCP): \(v.summary)")
            if v.scalingFactor > 1, let s = r.scaledMinutes { print(String(format: "  scaled score: %.4f min (×%.6f)", s, v.scalingFactor)) }
        } else if let n = r.rcpNote {
            print("  convergence (RCP): \(n)")
        }
        print("  logs: \(r.benchmarkDirectory)/result_*.txt   summary: \(r.resultsJSONPath)")
    }
}

import ArgumentParser
import Benchmarks
import Datasets
import Foundation
import MLLog
import NeuralNet

/// `mlperf bench training`: trains a benchmark's reference in Swift (OpenBLAS) and in PyTorch on this machine,
/// several seeded runs each, and compares time-to-train.
struct BenchTrainingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Time-to-train of a benchmark's reference: Swift on OpenBLAS against PyTorch.",
        usage: "mlperf bench training [<options>]",
        discussion: """
            Runs both implementations of --benchmark (\(trainingBenchmarkNames)) with the same seeds, alternating, \
            one compute thread each by default, and \
            prints the median time-to-train (run_start to run_stop), the epochs to reach the target, the \
            Swift/PyTorch ratio, and the sgemm rate Swift reached against this machine's measured single-thread \
            sgemm peak. Each run's MLLOG goes to the output directory, with a JSON summary.

            Examples:
              mlperf bench training --runs 5
              mlperf bench training --benchmark ncf --runs 10
              mlperf bench training --impl swift --runs 3 --verify-onnx
            """
    )

    enum Implementation: String, ExpressibleByArgument, CaseIterable {
        case both, swift, pytorch
    }

    @Option(help: "The benchmark (default: the suite's first).")
    var benchmark = BenchmarkRegistry.suite.first?.name ?? ""

    @Option(help: "Seeded runs per implementation.")
    var runs = 5

    @Option(help: "Which implementations to run (\(Implementation.allCases.map(\.rawValue).joined(separator: ", "))).")
    var impl: Implementation = .both

    @Option(help: "The first seed; run i uses seed + i.")
    var seed: UInt64 = 1

    @Option(help: "Epoch cap per run (default: the benchmark's closed-division cap).")
    var maxEpochs: Int?

    @Option(help: "Compute threads for OpenBLAS and PyTorch.")
    var threads = 1

    @Option(help: "The benchmark's data directory (default: its environment variable, else the set-up's).")
    var dataDir: String?

    @Option(help: "Python with PyTorch (default: the project's environment .venv, which sees Debian's python3-torch; or $MLPERF_PYTHON).")
    var python: String?

    @Option(help: "The PyTorch reference script (default: the benchmark's).")
    var script: String?

    @Option(help: "Directory for the MLLOG of each run, the ONNX exports and bench_training.json.")
    var outputDir = "bench-training"

    @Flag(help: "Export each implementation's first run to ONNX and score it with `mlperf run` (accuracy mode, ONNX Runtime) and the benchmark's metric.")
    var verifyOnnx = false

    mutating func run() throws {
        guard let bench = BenchmarkRegistry.named(benchmark), let training = bench.training else {
            throw ValidationError("unknown training benchmark '\(benchmark)' (known: \(trainingBenchmarkNames))")
        }
        guard impl == .pytorch || bench.swiftTrainer != nil else {
            throw ValidationError("\(bench.name) has no Swift reference (--impl pytorch)")
        }
        guard let script = script ?? bench.pytorchScript else {
            throw ValidationError("\(bench.name) has no PyTorch reference: give --script, or --impl swift")
        }
        let dir = bench.dataDirectory(override: dataDir)
        let fm = FileManager.default
        try fm.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        if impl != .swift, !fm.fileExists(atPath: script) {
            throw ValidationError("\(script): PyTorch reference script not found (run from the repository root or pass --script)")
        }
        let python = impl == .swift ? "" : try projectPython(self.python)
        if impl != .swift, python.contains("/"), !fm.isExecutableFile(atPath: python) {
            throw ValidationError("\(python): not found; run `bash scripts/setup.sh` (it installs python3-torch and .venv)")
        }

        BLAS.setThreads(threads)
        let peak = BLAS.measurePeak(size: 1024, repetitions: 5)
        print(String(format: "sgemm peak (1024², %d thread%@): %.1f GFLOP/s", threads, threads == 1 ? "" : "s",
                     peak / 1e9))

        var results: [RunResult] = []
        for i in 0..<runs {
            let s = seed + UInt64(i)
            let export = verifyOnnx && i == 0
            if impl != .pytorch {
                results.append(try runSwift(bench, seed: s, dataDir: dir, onnx: export ? "\(outputDir)/swift.onnx" : nil))
            }
            if impl != .swift {
                results.append(try runPyTorch(script: script, seed: s, dataDir: dir,
                                              onnx: export ? "\(outputDir)/pytorch.onnx" : nil))
            }
        }

        var summary: [String: Any] = ["benchmark": bench.name, "runs": runs, "threads": threads,
                                      "sgemm_peak_flops": peak, "target": training.target,
                                      "results": results.map(\.json)]
        print("")
        var medians: [String: Double] = [:]
        for name in ["swift", "pytorch"] {
            let rs = results.filter { $0.impl == name }
            guard !rs.isEmpty else { continue }
            let ok = rs.filter(\.success)
            let ttt = median(rs.map(\.seconds))
            medians[name] = ttt
            let epochs = median(ok.map { Double($0.epochs) })
            let accs = rs.map { String(format: "%.4f", $0.accuracy) }.joined(separator: " ")
            print(String(format: "%-7@ reached target in %d/%d runs; median time-to-train %.2f s; median epochs to target %@; final quality %@",
                         name as NSString, ok.count, rs.count, ttt, ok.isEmpty ? "-" : String(format: "%.1f", epochs),
                         accs))
            summary[name] = ["successes": ok.count, "median_time_to_train_s": ttt,
                             "median_epochs_to_target": ok.isEmpty ? NSNull() : epochs,
                             "median_epoch_s": median(rs.flatMap(\.epochSeconds))] as [String: Any]
        }
        if let sw = medians["swift"], let pt = medians["pytorch"] {
            print(String(format: "ratio Swift/PyTorch (median time-to-train): %.3f (goal ≤ 0.5)", sw / pt))
            summary["ratio_swift_over_pytorch"] = sw / pt
        }
        let swiftRuns = results.filter { $0.impl == "swift" }
        if !swiftRuns.isEmpty {
            let flops = swiftRuns.reduce(0) { $0 + $1.sgemmFlops }
            let secs = swiftRuns.reduce(0) { $0 + $1.sgemmSeconds }
            let train = swiftRuns.reduce(0) { $0 + $1.seconds }
            let rate = secs > 0 ? flops / secs : 0
            // The sgemm goal is for sgemm-bound models (Fashion-MNIST's CNN); embedding models spend their time elsewhere.
            let goal = train > 0 && secs / train >= 0.5 ? " (goal ≥ 60%)" : " (sgemm-light model: no sgemm goal)"
            print(String(format: "Swift sgemm rate during training: %.1f GFLOP/s = %.0f%% of the measured peak %.1f GFLOP/s%@; sgemm is %.0f%% of Swift's time-to-train",
                         rate / 1e9, 100 * rate / peak, peak / 1e9, goal, 100 * secs / train))
            summary["swift_sgemm_rate_flops"] = rate
            summary["swift_sgemm_fraction_of_peak"] = rate / peak
            summary["swift_sgemm_share_of_time"] = secs / train
        }
        if verifyOnnx {
            var checks: [[String: Any]] = []
            for r in results where r.onnx != nil {
                let ort = try scoreONNX(bench, r.onnx!, dataDir: dir)
                // ONNX Runtime and the trainer sum in different orders: a borderline sample may flip (1/1000 of
                // the sentiment test set), so agreement is to within 0.0025.
                let agree = abs(ort - r.accuracy) <= 0.0025
                print(String(format: "ONNX %@: ONNX Runtime accuracy %.4f, trainer reported %.4f: %@",
                             r.onnx! as NSString, ort, r.accuracy, agree ? "match" : "MISMATCH"))
                checks.append(["file": r.onnx!, "ort_accuracy": ort, "trainer_accuracy": r.accuracy, "match": agree])
            }
            summary["onnx_checks"] = checks
        }
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: "\(outputDir)/bench_training.json"))
        print("results: \(outputDir)/bench_training.json, logs: \(outputDir)/*.log")
    }

    struct RunResult {
        var impl: String
        var seed: UInt64
        var seconds: Double
        var epochs: Int
        var accuracy: Double
        var success: Bool
        var epochSeconds: [Double] = []
        var sgemmFlops: Double = 0
        var sgemmSeconds: Double = 0
        var onnx: String?

        var json: [String: Any] {
            ["impl": impl, "seed": seed, "time_to_train_s": seconds, "epochs": epochs, "accuracy": accuracy,
             "success": success, "epoch_s": epochSeconds, "sgemm_flops": sgemmFlops, "sgemm_s": sgemmSeconds]
        }
    }

    /// Collects MLLOG lines of one run: writes them to the run's log and reports progress.
    final class LogCollector: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        var runStartMs: Double?
        var runStopMs: Double?
        var lastEpochMs: Double?
        var epochMs: [Double] = []
        var accuracies: [Double] = []
        var status: String?
        let label: String

        init(label: String) { self.label = label }

        func take(line: String, key: String, timeMs: Double, value: Any?, metadata: [String: Any]) {
            lock.lock(); defer { lock.unlock() }
            lines.append(line)
            switch key {
            case "run_start": runStartMs = timeMs
            case "epoch_start": lastEpochMs = timeMs
            case "epoch_stop": if let t = lastEpochMs { epochMs.append(timeMs - t) }
            case "eval_accuracy":
                let acc = (value as? Double) ?? (value as? NSNumber)?.doubleValue ?? 0
                accuracies.append(acc)
                let elapsed = runStartMs.map { (timeMs - $0) / 1000 } ?? 0
                print(String(format: "  %@ epoch %d: eval_accuracy %.4f (%.1f s)", label as NSString,
                             accuracies.count, acc, elapsed))
                fflush(nil)
            case "run_stop":
                runStopMs = timeMs
                status = metadata["status"] as? String
            default: break
            }
        }

        func result(impl: String, seed: UInt64) -> RunResult {
            RunResult(impl: impl, seed: seed, seconds: ((runStopMs ?? 0) - (runStartMs ?? 0)) / 1000,
                      epochs: accuracies.count, accuracy: accuracies.last ?? 0, success: status == "success",
                      epochSeconds: epochMs.map { $0 / 1000 })
        }
    }

    func runSwift(_ bench: Benchmark, seed: UInt64, dataDir: String, onnx: String?) throws -> RunResult {
        print("swift seed \(seed):")
        let collector = LogCollector(label: "swift seed \(seed)")
        let logger = MLLogger(dialect: .training) { line, record in
            var md: [String: Any] = [:]
            for f in record.metadata { if case .string(let s) = f.value { md[f.key] = s } }
            collector.take(line: line, key: record.key, timeMs: record.timeMs, value: record.value.doubleValue,
                           metadata: md)
        }
        let request = TrainingRequest(seed: seed, dataDirectory: dataDir, onnxOutputPath: onnx,
                                      systemName: "cpu-\(threads)thread", threads: threads, maxEpochs: maxEpochs)
        let report = try bench.swiftTrainer!(request, logger, { false })
        try (collector.lines.joined(separator: "\n") + "\n")
            .write(toFile: "\(outputDir)/swift_seed\(seed).log", atomically: true, encoding: .utf8)
        var r = collector.result(impl: "swift", seed: seed)
        r.sgemmFlops = report.sgemmFlops
        r.sgemmSeconds = report.sgemmSeconds
        r.onnx = onnx
        print(String(format: "  swift seed %llu: %@ after %d epochs, %.2f s; sgemm %.1f GFLOP/s", seed,
                     r.success ? "success" : "aborted", r.epochs, r.seconds,
                     report.sgemmSeconds > 0 ? report.sgemmFlops / report.sgemmSeconds / 1e9 : 0))
        return r
    }

    func runPyTorch(script: String, seed: UInt64, dataDir: String, onnx: String?) throws -> RunResult {
        print("pytorch seed \(seed):")
        let collector = LogCollector(label: "pytorch seed \(seed)")
        let python = try projectPython(self.python)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = [script, "--seed", String(seed), "--data-dir", dataDir, "--threads", String(threads),
                    "--platform", "cpu-\(threads)thread"]
        if let maxEpochs { args += ["--max-epochs", String(maxEpochs)] }
        if let onnx { args += ["--onnx-out", onnx] }
        p.arguments = [python] + args
        var env = ProcessInfo.processInfo.environment
        env["OMP_NUM_THREADS"] = String(threads)
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.standardError
        try p.run()
        var pending = Data()
        let handle = pipe.fileHandleForReading
        func consume(_ line: String) {
            guard let r = line.range(of: ":::MLLOG ") else { return }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line[r.upperBound...].utf8)) as? [String: Any],
                  let key = obj["key"] as? String else { return }
            let t = (obj["time_ms"] as? NSNumber)?.doubleValue ?? 0
            collector.take(line: line, key: key, timeMs: t, value: obj["value"],
                           metadata: obj["metadata"] as? [String: Any] ?? [:])
        }
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let nl = pending.firstIndex(of: 0x0A) {
                consume(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...nl)
            }
        }
        if !pending.isEmpty { consume(String(decoding: pending, as: UTF8.self)) }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ValidationError("PyTorch reference failed (exit status \(p.terminationStatus)): \(python) \(args.joined(separator: " "))")
        }
        try (collector.lines.joined(separator: "\n") + "\n")
            .write(toFile: "\(outputDir)/pytorch_seed\(seed).log", atomically: true, encoding: .utf8)
        var r = collector.result(impl: "pytorch", seed: seed)
        r.onnx = onnx
        print(String(format: "  pytorch seed %llu: %@ after %d epochs, %.2f s", seed,
                     r.success ? "success" : "aborted", r.epochs, r.seconds))
        return r
    }

    /// The exported model's quality through our own serving path: `mlperf run` in accuracy mode (ONNX Runtime under
    /// LoadGen, the whole test set), then the benchmark's metric.
    func scoreONNX(_ bench: Benchmark, _ path: String, dataDir: String) throws -> Double {
        let out = "\(outputDir)/verify-\((path as NSString).lastPathComponent)"
        let run = try RunCommand.parse([bench.name, "--scenario", "Offline", "--mode", "accuracy", "--model", path,
                                        "--data-dir", dataDir, "--out", out, "--quiet"])
        try run.run()
        fflush(nil)
        return try checkAccuracy(bench, log: out + "/mlperf_log_accuracy.json", referenceAccuracy: 1e-9,
                                 dataDir: dataDir, modelPath: path).value
    }
}

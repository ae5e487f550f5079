import ArgumentParser
import Benchmarks
import Foundation
import LoadGen
import NeuralNet
import Serving
import Training

/// `mlperf suite`: the reference suite end to end — train → reach the target → export ONNX → accuracy run →
/// performance runs in the four scenarios → one results table (and suite.json).
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run the reference suite: train Fashion-MNIST in Swift, serve it through ONNX Runtime under LoadGen in all four scenarios, check accuracy, print one table.",
        usage: "mlperf suite [<options>]",
        discussion: """
        Step 1 trains the Swift reference (OpenBLAS, 1 thread) to top-1 ≥ 0.90 under the training harness (MLLOG \
        log, compliance check) and exports ONNX to OUT/model/fashion-mnist.onnx, where `mlperf run` and `mlperf \
        bench inference` find it when no --model is given. A model trained before in --out is reused unless \
        --retrain; --train-only stops after this step.

        Step 2 is the accuracy run (Offline, accuracy mode, all 10 000 test images) and the closed-division check: \
        ≥ 99% of the accuracy the trainer reported.

        Step 3 runs SingleStream, MultiStream, Server and Offline in performance mode, each --duration-ms long (the \
        official minimum is 10 minutes; the default here is sized for a 2-core machine), with settings calibrated \
        on the model. A Server run INVALID on latency alone is run again at half its target QPS, up to 5 times \
        (every attempt's logs kept).

        Output: the table on stdout, OUT/suite.json, and every run's official logs under OUT.

        Examples:
          mlperf suite
          mlperf suite --train-only
          mlperf suite --retrain --duration-ms 60000 --out out/suite-long
        """
    )

    /// How many times a Server run INVALID on latency alone is run again at half its target QPS.
    static let serverRetries = 5

    @Option(help: "Output directory.") var out: String = SuiteLayout.defaultOutputDirectory
    @Flag(help: "Train a new model even if one was trained before.") var retrain = false
    @Flag(help: "Only train and export the model (step 1), then stop.") var trainOnly = false
    @Option(help: "Minimum duration of each performance run, in ms.") var durationMs: UInt64 = 10_000
    @Option(help: "Training seed.") var seed: UInt64 = 1
    @Option(help: "System name for the training results layout.") var system: String = "cpu"
    @Option(help: "Comma-separated scenarios to run.") var scenarios: String = "SingleStream,MultiStream,Server,Offline"

    func validate() throws {
        for s in scenarios.split(separator: ",") where TestScenario(name: String(s)) == nil {
            throw ValidationError("unknown scenario `\(s)`; valid: \(TestScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let started = Date()
        Console.out("== SwiftMLPerf reference suite → \(out)")

        // 1. Model.
        let model = try trainedModel()
        if Interrupt.wasInterrupted { throw ExitCode(130) }
        if trainOnly {
            Console.out("Model ready: \(model.path) (top-1 \(String(format: "%.4f", model.accuracy))); "
                        + "`mlperf run fashion-mnist` uses it when no --model is given.")
            return
        }

        // 2. Accuracy.
        Console.out("\n== [2/3] Accuracy run: fashion-mnist, Offline, accuracy mode, 10 000 test images")
        let accDir = out + "/fashion-mnist/Offline-accuracy"
        let accRun = try RunCommand.parse(["fashion-mnist", "--scenario", "Offline", "--mode", "accuracy",
                                           "--model", model.path, "--out", accDir, "--quiet"])
        try accRun.run()
        fflush(nil)
        let acc = try checkFashionMNISTAccuracy(log: accDir + "/mlperf_log_accuracy.json",
                                                referenceAccuracy: model.accuracy, dataDir: nil)
        Console.out("  \(acc.line)\n  \(acc.verdict)")

        // 3. Performance.
        var rows: [[String: Any]] = []
        let list = scenarios.split(separator: ",").map { TestScenario(name: String($0))! }
        for (i, scenario) in list.enumerated() {
            if Interrupt.wasInterrupted { break }
            Console.out("\n== [3/3] Performance \(i + 1)/\(list.count): fashion-mnist \(scenario.rawValue), \(durationMs) ms")
            let dir = out + "/fashion-mnist/\(scenario.rawValue)-performance"
            let args = ["fashion-mnist", "--scenario", scenario.rawValue, "--mode", "performance",
                        "--model", model.path, "--duration-ms", "\(durationMs)", "--quiet"]
            for k in 1...Self.serverRetries {  // earlier suites' retried attempts
                try? FileManager.default.removeItem(atPath: dir + "-attempt\(k)")
            }
            let run = try RunCommand.parse(args + ["--out", dir])
            try run.run()
            fflush(nil)
            var r = try row(scenario: scenario, dir: dir, accuracy: acc)
            // Server's target QPS comes from a short untimed calibration, and on a VM the tail latency can exceed the
            // bound long before the throughput is reached: while a run is INVALID on the latency rules alone, run
            // again at half the target, as a user would, up to `serverRetries` times. Every attempt's logs are kept
            // (DIR-attemptN) and the row says what was tried.
            var tried: [[String: Any]] = []
            while scenario == .server, !Interrupt.wasInterrupted, tried.count < Self.serverRetries,
                  r["result"] as? String == "INVALID", let failed = r["failed_rules"] as? [String], !failed.isEmpty,
                  Set(failed).isSubset(of: ["perf_constraints", "early_stopping"]), let qps = r["target_qps"] as? Double {
                let retryQPS = (qps * 0.5).rounded()
                let attemptDir = dir + "-attempt\(tried.count + 1)"
                try FileManager.default.moveItem(atPath: dir, toPath: attemptDir)
                Console.out("Server INVALID at \(Int(qps)) QPS (latency); running again at \(Int(retryQPS)) QPS (logs of that attempt: \(attemptDir))")
                tried.append(["target_qps": qps, "logs": attemptDir, "reasons": r["reasons"] ?? []])
                let retry = try RunCommand.parse(args + ["--out", dir, "--target-qps", "\(retryQPS)"])
                try retry.run()
                fflush(nil)
                r = try row(scenario: scenario, dir: dir, accuracy: acc)
            }
            if !tried.isEmpty {
                r["retried_after"] = tried
                let qpsList = tried.compactMap { ($0["target_qps"] as? Double).map { "\(Int($0))" } }.joined(separator: ", ")
                r["note"] = "run at \(Int(r["target_qps"] as? Double ?? 0)) QPS after INVALID (latency) at \(qpsList) QPS"
            }
            rows.append(r)
        }

        // Table.
        Console.out("\n" + table(rows, accuracy: acc, model: model))
        let summary: [String: Any] = [
            "benchmark": FashionMNISTBenchmark.name,
            "model": ["path": model.path, "reference_accuracy": model.accuracy, "trained_now": model.trainedNow,
                      "seed": model.seed, "time_to_train_s": model.timeToTrainSeconds as Any, "training_log": model.log],
            "accuracy": ["top1": acc.accuracy, "required": acc.required, "passed": acc.passed, "line": acc.line],
            "runs": rows,
            "partial": Interrupt.wasInterrupted,
            "wall_seconds": Date().timeIntervalSince(started),
        ]
        try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: out + "/suite.json"))
        Console.out("Wrote \(out)/suite.json (wall \(Int(Date().timeIntervalSince(started))) s)")
        let allValid = rows.allSatisfy { $0["result"] as? String == "VALID" } && rows.count == list.count
        if !allValid || !acc.passed { throw ExitCode(1) }
    }

    struct Model { var path: String; var accuracy: Double; var seed: UInt64; var trainedNow: Bool; var timeToTrainSeconds: Double?; var log: String }

    /// Reuses the model trained before, or trains the Swift reference under the harness (one run, closed rules).
    func trainedModel() throws -> Model {
        let onnx = SuiteLayout.modelPath(benchmark: FashionMNISTBenchmark.name, output: out)
        let dir = (onnx as NSString).deletingLastPathComponent
        let meta = dir + "/model.json"
        if !retrain, FileManager.default.fileExists(atPath: onnx), let data = FileManager.default.contents(atPath: meta),
           let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let a = j["accuracy"] as? Double {
            Console.out("\n== [1/3] Model: reusing \(onnx) (top-1 \(String(format: "%.4f", a)) when trained; --retrain to train again)")
            return Model(path: onnx, accuracy: a, seed: (j["seed"] as? NSNumber)?.uint64Value ?? 0, trainedNow: false,
                         timeToTrainSeconds: j["time_to_train_s"] as? Double, log: j["log"] as? String ?? "")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let bench = TrainingBenchmarks.fashionMNIST
        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let printer = ProgressPrinter()
        let system = self.system
        for attempt in 0..<2 {
            let runSeed = seed + UInt64(attempt)
            Console.out("\n== [1/3] Training the Swift reference (seed \(runSeed)) to top-1 ≥ \(bench.target), exporting ONNX")
            let workload = Workload.inProcess(name: "swift reference") { seed, logger, isCancelled in
                _ = try FashionMNISTReference.train(
                    FashionMNISTOptions(seed: seed, onnxOutputPath: onnx, division: "closed", systemName: system),
                    logger: logger, isCancelled: isCancelled)
            }
            let options = HarnessOptions(runs: 1, division: "closed", system: system, outputDirectory: out + "/training",
                                         baseSeed: runSeed)
            let harness = TrainingHarness(benchmark: bench, workload: workload, options: options)
            let r: RunResult
            do {
                r = try harness.runSingle(index: attempt, seed: runSeed, isCancelled: { cancel.isCancelled },
                                          events: { printer.handle($0) })
            } catch { throw TrainingCLIError(error.message) }
            if case .cancelled = r.status { throw ExitCode(130) }
            guard r.succeeded, let quality = r.bestQuality, FileManager.default.fileExists(atPath: onnx) else {
                if attempt == 0 { Console.out("  the run did not reach the target; one more try with the next seed"); continue }
                throw TrainingCLIError("training did not reach top-1 ≥ \(bench.target) in two runs; see \(r.logPath)")
            }
            let info: [String: Any] = ["accuracy": quality, "seed": runSeed, "time_to_train_s": (r.timeToTrainMs ?? 0) / 1000,
                                       "log": r.logPath, "trained_at": ISO8601DateFormatter().string(from: Date())]
            try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: meta))
            Console.out(String(format: "  trained: top-1 %.4f, time to train %.1f s, log %@ (compliant), model %@",
                               quality, (r.timeToTrainMs ?? 0) / 1000, r.logPath, onnx))
            return Model(path: onnx, accuracy: quality, seed: runSeed, trainedNow: true,
                         timeToTrainSeconds: (r.timeToTrainMs ?? 0) / 1000, log: r.logPath)
        }
        throw TrainingCLIError("training failed")
    }

    func row(scenario: TestScenario, dir: String, accuracy: AccuracyReport) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: dir + "/results.json"),
              let j = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(dir)/results.json is missing: the \(scenario.rawValue) run did not finish")
        }
        let metric = j["metric"] as? [String: Any] ?? [:]
        let rules = (j["rules"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }
        let reasons = rules.map { "\($0["rule"] ?? ""): \($0["advice"] ?? $0["measured"] ?? "")" }
        var out: [String: Any] = [
            "scenario": scenario.rawValue, "metric": metric["name"] ?? "", "value": metric["value"] ?? 0,
            "unit": metric["unit"] ?? "", "result": j["result"] ?? "?", "reasons": reasons,
            "failed_rules": rules.compactMap { $0["rule"] as? String }, "accuracy": accuracy.accuracy, "logs": dir]
        if let qps = (j["effective_settings"] as? [String: Any])?["target_qps"] as? Double { out["target_qps"] = qps }
        return out
    }

    func table(_ rows: [[String: Any]], accuracy: AccuracyReport, model: Model) -> String {
        func cell(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        var t = cell("benchmark", 14) + cell("scenario", 14) + cell("metric", 32) + cell("value", 22) + cell("result", 10) + "accuracy\n"
        t += String(repeating: "-", count: 104) + "\n"
        let accCell = String(format: "%.2f%% %@", accuracy.accuracy * 100, accuracy.passed ? "(PASS)" : "(FAIL)")
        for r in rows {
            let v = (r["value"] as? NSNumber)?.doubleValue ?? 0
            let unit = r["unit"] as? String ?? ""
            let value = unit == "ns" ? String(format: "%.1f µs", v / 1000) : String(format: "%.1f %@", v, unit)
            t += cell("fashion-mnist", 14) + cell(r["scenario"] as? String ?? "", 14) + cell(r["metric"] as? String ?? "", 32)
                + cell(value, 22) + cell(r["result"] as? String ?? "", 10) + accCell + "\n"
            for reason in r["reasons"] as? [String] ?? [] { t += "    ↳ \(reason)\n" }
            if let note = r["note"] as? String { t += "    ↳ \(note)\n" }
        }
        t += String(format: "Accuracy: %@ — %@\n", accuracy.line, accuracy.verdict)
        t += "Model: \(model.path) (seed \(model.seed), FP32 reference top-1 \(String(format: "%.4f", model.accuracy))\(model.trainedNow ? ", trained in this run" : ", reused"))"
        return t
    }
}

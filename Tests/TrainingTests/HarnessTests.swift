import Benchmarks
import Foundation
import MLLog
import Synchronization
import Testing
@testable import Training

@Suite struct HarnessTests {
    static var standin: String { Fixtures.directory + "/standin_train.py" }

    /// An in-process workload: a real (tiny) computation that logs a closed fashion-mnist run through the logger.
    static func inProcess(failOnSeed: UInt64? = nil, throwOnRun: Bool = false) -> InProcessTraining {
        { seed, logger, isCancelled in
            logger.event(MLLogKey.cacheClear, true)
            logger.start(MLLogKey.initStart)
            for (k, v) in [("submission_benchmark", "fashion-mnist"), ("submission_division", "closed"),
                           ("submission_org", "SwiftMLPerf"), ("submission_platform", "test")] as [(String, JSONValue)] {
                logger.event(k, v)
            }
            logger.event(MLLogKey.seed, .uint(seed))
            for (k, v) in [("global_batch_size", 64), ("opt_name", "sgd"), ("opt_base_learning_rate", 0.02),
                           ("opt_momentum", 0.9), ("opt_weight_decay", 0.0), ("train_samples", 60000),
                           ("eval_samples", 10000)] as [(String, JSONValue)] {
                logger.event(k, v)
            }
            logger.end(MLLogKey.initStop)
            logger.start(MLLogKey.runStart)
            // Fit y = 3x by gradient descent; "accuracy" is 1 - relative error.
            var w = 0.0
            var status = MLLogRunStatus.aborted
            for epoch in 1...15 {
                if isCancelled() { break }
                logger.start(MLLogKey.epochStart, metadata: [JSONField("epoch_num", .int(Int64(epoch)))])
                for i in 0..<1000 { let x = Double(i % 10) / 10; w -= 0.001 * 2 * (w * x - 3 * x) * x }
                logger.end(MLLogKey.epochStop, metadata: [JSONField("epoch_num", .int(Int64(epoch)))])
                logger.start(MLLogKey.evalStart, metadata: [JSONField("epoch_num", .int(Int64(epoch)))])
                logger.end(MLLogKey.evalStop, metadata: [JSONField("epoch_num", .int(Int64(epoch)))])
                let acc = 1 - abs(w - 3) / 3
                logger.event(MLLogKey.evalAccuracy, .double(acc), metadata: [JSONField("epoch_num", .int(Int64(epoch)))])
                if throwOnRun && epoch == 2 { throw HarnessError("simulated failure") }
                if acc >= 0.9 && seed != failOnSeed { status = MLLogRunStatus.success; break }
            }
            logger.end(MLLogKey.runStop, metadata: [JSONField("status", .string(status))])
        }
    }

    @Test func inProcessRunsAreScored() throws {
        let out = Fixtures.tempDir("h1")
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .inProcess(name: "test", HarnessTests.inProcess()),
                                options: HarnessOptions(runs: 3, outputDirectory: out, baseSeed: 1))
        let events = Mutex<[String]>([])
        let r = try h.run(events: { e in
            if case .progress(let p) = e { events.withLock { $0.append("epoch \(p.epoch ?? -1)") } }
        })
        #expect(r.runs.count == 3)
        #expect(r.runs.allSatisfy { $0.succeeded }, "\(r.runs.map(\.status))")
        #expect(Set(r.runs.map(\.seed)).count == 3)
        #expect(r.score.minutes != nil)
        #expect(r.score.counted.count == 1)
        #expect(r.runs.allSatisfy { $0.convergencePoint != nil })
        // Closed fashion-mnist ships reference convergence points, so the convergence check ran.
        #expect(r.rcp != nil)
        #expect(r.rcp?.reference?.batchSize == 64)
        #expect(events.withLock { !$0.isEmpty })
        for i in 0..<3 {
            #expect(FileManager.default.fileExists(atPath: "\(out)/results/local/fashion-mnist/result_\(i).txt"))
        }
        let json = try JSONParser.parse(String(contentsOfFile: "\(out)/results.json", encoding: .utf8))
        #expect(json["score"]?["olympic_mean_min"]?.doubleValue == r.score.minutes)
        #expect(json["runs"].map { if case .array(let a) = $0 { a.count } else { 0 } } == 3)
        // The saved log passes the checker on its own.
        let report = ComplianceChecker(ruleset: "swift-1.0").check(file: "\(out)/results/local/fashion-mnist/result_0.txt")
        #expect(report.isCompliant, "\(report.messages)")
    }

    @Test func throwingAndNonConvergingRunsFail() throws {
        let out = Fixtures.tempDir("h2")
        let seeds = TrainingHarness.seeds(base: 5, count: 3)
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .inProcess(name: "t", HarnessTests.inProcess(failOnSeed: seeds[1])),
                                options: HarnessOptions(runs: 3, outputDirectory: out, baseSeed: 5))
        let r = try h.run()
        #expect(r.runs[0].succeeded && r.runs[2].succeeded)
        guard case .failed(let why) = r.runs[1].status else { Issue.record("run 2 should fail"); return }
        #expect(why.contains("aborted"))
        // One failed run stands in for the slowest: both good runs minus the fastest are averaged.
        #expect(r.score.failedRuns == 1)
        #expect(r.score.counted.count == 1)

        let h2 = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                 workload: .inProcess(name: "t", HarnessTests.inProcess(throwOnRun: true)),
                                 options: HarnessOptions(runs: 2, outputDirectory: Fixtures.tempDir("h3"), baseSeed: 5))
        let r2 = try h2.run()
        #expect(r2.runs.allSatisfy { if case .failed(let w) = $0.status { w.contains("simulated failure") } else { false } })
        #expect(r2.score.minutes == nil)
        #expect(r2.score.invalidReason != nil)
    }

    @Test func externalCommandWithCrashMissingRunStopGarbageAndHang() throws {
        let out = Fixtures.tempDir("h4")
        // Runs: 0 ok, 1 crash, 2 no run_stop, 3 garbage line (non-compliant), 4 hang → timeout.
        let modes = ["", "crash@1", "no-run-stop@2", "garbage@3", "hang@4"]
        var results: [RunResult] = []
        for (i, mode) in modes.enumerated() {
            var args = [Fixtures.python, HarnessTests.standin]
            if !mode.isEmpty { args += ["--misbehave", mode] }
            let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training, workload: .command(ExternalCommand(arguments: args)),
                                    options: HarnessOptions(runs: i + 1, outputDirectory: out + "/\(i)",
                                                        timeoutSeconds: mode.hasPrefix("hang") ? 4 : nil, baseSeed: 9))
            // Only the last run of each session has the misbehaviour; run just that one index.
            let r = try h.runSingle(index: i, seed: 1000 + UInt64(i))
            results.append(r)
        }
        #expect(results[0].succeeded, "\(results[0].status) \(results[0].compliance.messages)")
        #expect(results[0].timeToTrainMs.map { $0 > 0 } == true)
        func reason(_ r: RunResult) -> String { if case .failed(let w) = r.status { w } else { "" } }
        #expect(reason(results[1]).contains("exited with status"))
        #expect(results[1].outputTail.contains { $0.contains("simulated crash") })
        #expect(reason(results[2]).contains("without run_stop"))
        #expect(reason(results[3]).contains("not compliant"))
        #expect(results[3].parseIssues.contains { $0.kind == .invalidJSON })
        #expect(reason(results[4]).contains("timed out"))
        #expect(results[4].wallSeconds < 15)
        // Logs are kept for failed runs.
        for r in results { #expect(FileManager.default.fileExists(atPath: r.logPath)) }
    }

    @Test func seedPlaceholderAndLogFile() throws {
        let out = Fixtures.tempDir("h5")
        let log = out + "/mllog_{run}_{seed}.txt"
        let cmd = ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin, "--seed={seed}", "--log", log])
        #expect(cmd.resolvedArguments(WorkloadContext(benchmark: "b", division: "closed", system: "s", runIndex: 2), seed: 77)
                == [Fixtures.python, HarnessTests.standin, "--seed=77", "--log", out + "/mllog_2_77.txt"])
        #expect(ExternalCommand(arguments: ["x"]).resolvedArguments(WorkloadContext(benchmark: "b", division: "closed", system: "s"), seed: 5) == ["x", "--seed", "5"])
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .command(ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin, "--seed", "{seed}", "--log", log], logFile: log)),
                                options: HarnessOptions(runs: 1, outputDirectory: out, baseSeed: 3))
        let r = try h.run()
        #expect(r.runs[0].succeeded, "\(r.runs[0].status)")
        let saved = try String(contentsOfFile: r.runs[0].logPath, encoding: .utf8)
        #expect(saved.contains("\"key\": \"seed\", \"value\": \(r.runs[0].seed)"))
    }

    @Test func cancellationKeepsFinishedRunsAsPartial() throws {
        let out = Fixtures.tempDir("h6")
        let finished = Mutex(0)
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .command(ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin, "--sleep", "0.3"])),
                                options: HarnessOptions(runs: 5, outputDirectory: out, baseSeed: 4))
        let r = try h.run(isCancelled: { finished.withLock { $0 } >= 1 }, events: { e in
            if case .runFinished = e { finished.withLock { $0 += 1 } }
        })
        #expect(r.partial)
        #expect(r.runs.count == 1)
        #expect(r.runs[0].succeeded)
    }

    @Test func divisionMismatchFailsTheRun() throws {
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .command(ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin, "--division", "open"])),
                                options: HarnessOptions(runs: 1, division: "closed", outputDirectory: Fixtures.tempDir("h7"), baseSeed: 2))
        let r = try h.runSingle(index: 0, seed: 11)
        guard case .failed(let why) = r.status else { Issue.record("should fail"); return }
        #expect(why.contains("submission_division 'open'"))
    }

    @Test func commandLineSplitting() throws {
        #expect(try ExternalCommand.split(#"python3 train.py --name "a b" 'c d' e\ f"#) == ["python3", "train.py", "--name", "a b", "c d", "e f"])
        #expect(throws: HarnessError.self) { try ExternalCommand.split("python3 'oops") }
    }

    @Test func seedsAreDistinctAndReproducible() {
        let a = TrainingHarness.seeds(base: 42, count: 10)
        #expect(Set(a).count == 10)
        #expect(a == TrainingHarness.seeds(base: 42, count: 10))
        #expect(a != TrainingHarness.seeds(base: 43, count: 10))
    }
}

@Suite struct RunMonitorTests {
    @Test func tracksEpochQualityAndEstimatesTimeLeft() {
        var m = RunMonitor(benchmark: FashionMNISTBenchmark.training, runIndex: 0, runs: 1, seed: 1, expectedEpochs: 4)
        var b = LogBuilder()
        b.add("run_start", type: .intervalStart)
        b.add("epoch_start", md: ["epoch_num": 1], dt: 0, type: .intervalStart)
        b.add("epoch_stop", md: ["epoch_num": 1], dt: 10_000, type: .intervalEnd)
        b.add("eval_accuracy", 0.8, md: ["epoch_num": 1], dt: 0)
        b.add("epoch_start", md: ["epoch_num": 2], dt: 0, type: .intervalStart)
        b.add("epoch_stop", md: ["epoch_num": 2], dt: 10_000, type: .intervalEnd)
        b.add("eval_accuracy", 0.85, md: ["epoch_num": 2], dt: 0)
        for line in b.lines { _ = m.feed(Array(line.utf8)) }
        #expect(m.progress.epoch == 2)
        #expect(m.progress.latestQuality == 0.85)
        #expect(m.progress.bestQuality == 0.85)
        #expect(!m.progress.reachedTarget)
        // 10 s per epoch, 2 of 4 expected epochs done: 20 s left at the last line's time.
        m.updateTimes(nowMs: Double(b.timeMs))
        #expect(m.progress.estimatedSecondsLeft == 20)
        #expect(m.progress.timedSeconds == 20)
        #expect(m.feed(Array("not mllog".utf8)) == nil)
    }
}

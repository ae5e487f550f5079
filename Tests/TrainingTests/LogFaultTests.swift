import Benchmarks
import Foundation
import MLLog
import TestSupport
import Testing
@testable import Training

/// Logs from the field that the harness scored wrongly, each checked against the official tools where they have an
/// answer (PyPI mlperf-logging's result summarizer).
@Suite("Training log faults")
struct LogFaultTests {
    private func run(misbehave: String, seed: UInt64) throws -> RunResult {
        let out = Fixtures.tempDir("logfault-\(misbehave)")
        let args = [Fixtures.python, HarnessTests.standin, "--misbehave", misbehave]
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training, workload: .command(ExternalCommand(arguments: args)),
                                options: HarnessOptions(runs: 1, outputDirectory: out, baseSeed: seed))
        return try h.runSingle(index: 0, seed: seed)
    }

    @Test("a non-finite run_stop time or quality fails the run with the reason; it is never scored",
          arguments: [("nan-stop-time", "run_stop has time_ms nan"), ("nan-quality", "eval_accuracy is nan")])
    func nonFiniteNumbersFailTheRun(misbehave: String, reason: String) throws {
        let r = try run(misbehave: misbehave, seed: 11)
        guard case .failed(let why) = r.status else { Issue.record("expected a failed run, got \(r.status)"); return }
        #expect(why.contains("non-finite") && why.contains(reason), "\(why)")
        #expect(r.minutes.map { $0.isFinite } ?? true)
        // No run scored: no NaN reaches the score, and the results JSON is strict (json.loads with NaN refused).
        let score = OlympicScore(successfulMinutes: r.succeeded ? [r.minutes!] : [], failed: r.succeeded ? 0 : 1, maxDrop: 1)
        #expect(score.minutes == nil)
    }

    @Test("time to train from a log with two run_start lines is measured from the last, as the official summarizer does")
    func twoRunStarts() throws {
        let r = try run(misbehave: "two-run-start", seed: 12)
        #expect(r.succeeded, "\(r.status)")
        #expect(r.warnings.contains { $0.contains("2 run_start lines") })
        let official = try Python.run("""
        import sys
        from mlperf_logging.compliance_checker.mlp_parser import parse_file
        from mlperf_logging.result_summarizer.result_summarizer import _query_run_start_stop
        lines, failed = parse_file(sys.argv[1], ruleset="6.1.0")
        start, stop = _query_run_start_stop(lines)
        print(stop - start)
        """, arguments: [r.logPath], interpreter: Fixtures.python)
        let theirs = Double(official.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(theirs != nil && r.timeToTrainMs == theirs, "ours \(r.timeToTrainMs ?? -1) ms, official \(official)")
        // The first run_start is 60 s of log time earlier: measuring from it would add a minute.
        #expect(r.timeToTrainMs.map { $0 < 60_000 } == true)
    }

    @Test("a --log-file that is a directory fails the run and is never removed (it once deleted the directory)")
    func logFileDirectoryIsKept() throws {
        let out = Fixtures.tempDir("logfile-dir")
        let victim = Fixtures.tempDir("logfile-victim")
        FileManager.default.createFile(atPath: victim + "/precious.txt", contents: Data("keep me".utf8))
        let cmd = ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin, "--seed", "{seed}", "--log", victim],
                                  logFile: victim)
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training, workload: .command(cmd),
                                options: HarnessOptions(runs: 1, outputDirectory: out, baseSeed: 3))
        let r = try h.runSingle(index: 0, seed: 3)
        guard case .failed(let why) = r.status else { Issue.record("expected a failed run, got \(r.status)"); return }
        #expect(why.contains("is not a regular file") && why.contains(victim), "\(why)")
        #expect(FileManager.default.fileExists(atPath: victim + "/precious.txt"))
    }

    @Test("an RCP file that cannot be parsed is reported as the reason the check did not run, not as 'no RCP'")
    func brokenRCPFileIsNamed() throws {
        let rules = Fixtures.tempDir("rules-copy")
        let own = RulesetStore.builtIn.directory(ruleset: "swift-1.0").path
        try FileManager.default.copyItem(atPath: own, toPath: rules + "/training_swift-1.0")
        try "{ not json".write(toFile: rules + "/training_swift-1.0/rcps_fashion-mnist.json", atomically: true, encoding: .utf8)
        let out = Fixtures.tempDir("rcp-broken")
        let h = TrainingHarness(benchmark: FashionMNISTBenchmark.training,
                                workload: .command(ExternalCommand(arguments: [Fixtures.python, HarnessTests.standin])),
                                options: HarnessOptions(runs: 1, outputDirectory: out, baseSeed: 5),
                                rulesets: RulesetStore(directory: URL(fileURLWithPath: rules)))
        let r = try h.run()
        #expect(r.rcp == nil)
        #expect(r.rcpNote?.contains("rcps_fashion-mnist.json cannot be used") == true, "\(r.rcpNote ?? "nil")")
    }

    @Test("every JSON file we write is strict JSON: NaN and infinities become null; MLLOG lines keep Python's literals")
    func strictJSON() throws {
        let value = JSONValue.object([JSONField("a", .double(.nan)), JSONField("b", .double(-.infinity)),
                                      JSONField("c", .double(1.5))])
        #expect(JSONWriter().string(value) == #"{"a": null, "b": null, "c": 1.5}"#)
        #expect(JSONWriter().pretty(value).contains("null"))
        #expect(JSONWriter(nonFiniteAsLiterals: true).string(value) == #"{"a": NaN, "b": -Infinity, "c": 1.5}"#)
        // A record whose time is NaN still becomes a line (as Python's json.dumps writes it), not a crash.
        let rec = MLLogRecord(timeMs: .nan, eventType: .intervalEnd, key: "run_stop", value: .null)
        #expect(MLLogDialect.training.line(rec).contains("\"time_ms\": NaN"))
    }
}

import Foundation
import MLLog

/// Options of one `mlperf train` session.
public struct HarnessOptions: Sendable {
    public var runs: Int
    public var division: String
    public var system: String
    /// The submission root (`<org>` in the official layout): logs go to `results/<system>/<benchmark>/result_<i>.txt`.
    public var outputDirectory: String
    /// Per-run limit; nil for none.
    public var timeoutSeconds: Double?
    /// Seeds are derived from this one (distinct per run); nil: from the system's random source.
    public var baseSeed: UInt64?
    /// The compliance ruleset (default: the benchmark's).
    public var rulesetID: String?
    public var rcpBypass: Bool
    public var compliance: ComplianceOptions
    /// Where `MLPERF_PYTHON` is looked up to find the official RCP files (`RCPSource`).
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(runs: Int = 5, division: String = "closed", system: String = "local", outputDirectory: String = "mlperf-results",
                timeoutSeconds: Double? = nil, baseSeed: UInt64? = nil, rulesetID: String? = nil, rcpBypass: Bool = false,
                compliance: ComplianceOptions = ComplianceOptions()) {
        self.runs = runs
        self.division = division
        self.system = system
        self.outputDirectory = outputDirectory
        self.timeoutSeconds = timeoutSeconds
        self.baseSeed = baseSeed
        self.rulesetID = rulesetID
        self.rcpBypass = rcpBypass
        self.compliance = compliance
    }
}

/// What happened to one run.
public struct RunResult: Sendable {
    public enum Status: Sendable, Equatable {
        case success
        case failed(String)
        /// Stopped by the user (Ctrl-C); not scored.
        case cancelled
    }

    public var index: Int
    public var seed: UInt64
    public var logPath: String
    public var rawOutputPath: String?
    public var status: Status
    /// run_stop − run_start in ms, when both were logged.
    public var timeToTrainMs: Double?
    public var bestQuality: Double?
    /// `epoch_num` (or `samples_count`) of the last eval before run_stop: the RCP convergence point.
    public var convergencePoint: Double?
    /// The logged `global_batch_size`.
    public var batchSize: Double?
    public var compliance: ComplianceReport
    public var parseIssues: [MLLogIssue]
    public var exitStatus: Int32?
    public var wallSeconds: Double
    /// The last lines of an external command's output that were not MLLOG (a traceback, usually), for failed runs.
    public var outputTail: [String] = []
    /// Things about the run's log worth a warning that do not fail it (e.g. two run_start lines).
    public var warnings: [String] = []

    public var minutes: Double? { timeToTrainMs.map { $0 / 60000 } }
    public var succeeded: Bool { status == .success }
}

/// Events for the caller (the CLI prints them).
public enum HarnessEvent: Sendable {
    case runStarted(index: Int, runs: Int, seed: UInt64, logPath: String, command: String)
    case progress(TrainingProgress)
    case runFinished(RunResult)
}

/// The result of a session: runs, score, statistics, convergence check.
public struct TrainingResult: Sendable {
    public var benchmark: TrainingBenchmark
    public var options: HarnessOptions
    public var runs: [RunResult]
    public var score: OlympicScore
    public var statistics: RunStatistics?
    /// Stopped early (Ctrl-C) or fewer runs than requested.
    public var partial: Bool
    public var rcp: RCPVerdict?
    public var rcpNote: String?
    public var benchmarkDirectory: String
    public var resultsJSONPath: String

    /// The score after the RCP scaling factor, in minutes.
    public var scaledMinutes: Double? { score.minutes.map { $0 * (rcp?.scalingFactor ?? 1) } }
}

/// Runs a workload N times and scores it as MLPerf training does.
public struct TrainingHarness: Sendable {
    public var benchmark: TrainingBenchmark
    public var workload: Workload
    public var options: HarnessOptions
    public var rulesets: RulesetStore

    public init(benchmark: TrainingBenchmark, workload: Workload, options: HarnessOptions,
                rulesets: RulesetStore = .builtIn) {
        self.benchmark = benchmark
        self.workload = workload
        self.options = options
        self.rulesets = rulesets
    }

    public var benchmarkDirectory: String {
        "\(options.outputDirectory)/results/\(options.system)/\(benchmark.name)"
    }

    /// Distinct seeds for `n` runs from `base` (SplitMix64).
    public static func seeds(base: UInt64, count: Int) -> [UInt64] {
        var out: [UInt64] = []
        var x = base
        while out.count < count {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            z &= 0x7FFF_FFFF  // fits every framework's seed type
            if !out.contains(z) { out.append(z) }
        }
        return out
    }

    public func run(isCancelled: @escaping @Sendable () -> Bool = { false },
                    events: @escaping @Sendable (HarnessEvent) -> Void = { _ in }) throws(HarnessError) -> TrainingResult {
        let (dir, logsDir, checker) = try prepare()
        let seeds = TrainingHarness.seeds(base: options.baseSeed ?? UInt64.random(in: 0...UInt64.max), count: options.runs)
        var results: [RunResult] = []
        var partial = false
        for i in 0..<options.runs {
            if isCancelled() { partial = true; break }
            let converged = results.compactMap { $0.succeeded ? $0.convergencePoint : nil }
            let expected = converged.isEmpty ? Double(benchmark.maxEpochs) : converged.reduce(0, +) / Double(converged.count)
            let r = runOnce(index: i, seed: seeds[i], dir: dir, logsDir: logsDir, checker: checker,
                            expectedEpochs: expected, isCancelled: isCancelled, events: events)
            results.append(r)
            events(.runFinished(r))
            if r.status == .cancelled { partial = true; break }
        }
        return try finish(results, partial: partial, dir: dir)
    }

    /// Runs one run with the given index and seed, without scoring (for tests and tools).
    public func runSingle(index: Int, seed: UInt64, isCancelled: @escaping @Sendable () -> Bool = { false },
                          events: @escaping @Sendable (HarnessEvent) -> Void = { _ in }) throws(HarnessError) -> RunResult {
        let (dir, logsDir, checker) = try prepare()
        return runOnce(index: index, seed: seed, dir: dir, logsDir: logsDir, checker: checker,
                       expectedEpochs: Double(benchmark.maxEpochs), isCancelled: isCancelled, events: events)
    }

    func prepare() throws(HarnessError) -> (String, String, ComplianceChecker) {
        guard options.runs >= 1 else { throw HarnessError("--runs must be at least 1") }
        guard ["closed", "open"].contains(options.division) else {
            throw HarnessError("--division must be closed or open, not '\(options.division)'")
        }
        let dir = benchmarkDirectory
        let logsDir = "\(options.outputDirectory)/logs/\(options.system)/\(benchmark.name)"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: logsDir, withIntermediateDirectories: true)
            for f in try FileManager.default.contentsOfDirectory(atPath: dir)
            where (f.hasPrefix("result_") && f.hasSuffix(".txt")) || f == "scaling.json" {
                try FileManager.default.removeItem(atPath: "\(dir)/\(f)")
            }
        } catch { throw HarnessError("cannot prepare \(dir): \(error.localizedDescription)") }
        let ruleset = options.rulesetID ?? benchmark.rulesetID
        guard rulesets.hasFile(ruleset: ruleset, name: "common") else {
            throw HarnessError("unknown ruleset '\(ruleset)' (have: \(rulesets.rulesetIDs().joined(separator: ", ")))")
        }
        return (dir, logsDir, ComplianceChecker(ruleset: ruleset, store: rulesets, options: options.compliance))
    }

    func finish(_ results: [RunResult], partial: Bool, dir: String) throws(HarnessError) -> TrainingResult {
        let scored = results.filter { $0.status != .cancelled }
        let batchSize = scored.lazy.compactMap(\.batchSize).first
        let good = scored.compactMap { $0.succeeded ? $0.minutes : nil }
        let failed = scored.filter { !$0.succeeded }.count
        let score = OlympicScore(successfulMinutes: good, failed: failed, maxDrop: benchmark.olympicDrop)
        var rcp: RCPVerdict?
        var rcpNote: String?
        let ruleset = options.rulesetID ?? benchmark.rulesetID
        let source = options.division == "open" ? RCPSource(path: nil, tried: [])
            : RCPSource.locate(benchmark: benchmark.name, ruleset: ruleset, store: rulesets, environment: options.environment)
        let loaded = source.path.map { (path: $0, records: RCPSource.load($0)) }  // read and parsed once
        if options.division == "open" {
            rcpNote = "open division: no convergence check"
        } else if let loaded, case .failure(let why) = loaded.records {
            rcpNote = "not checked: the RCP file \(loaded.path) cannot be used: \(why)"
        } else if let loaded, case .success(let records) = loaded.records {
            let points = scored.map { $0.succeeded ? $0.convergencePoint : nil }
            rcp = RCPChecker.check(submission: points, batchSize: batchSize ?? 0, records: records,
                                   submissionRuns: benchmark.requiredRuns, drop: benchmark.olympicDrop,
                                   bypass: options.rcpBypass)
            try? FileManager.default.removeItem(atPath: "\(dir)/scaling.json")
            if let v = rcp, v.scalingFactor > 1 {
                let text = JSONWriter().string(.object([JSONField("scaling_factor", .double(v.scalingFactor))]))
                if !FileManager.default.createFile(atPath: "\(dir)/scaling.json", contents: Data(text.utf8)) {
                    rcpNote = "could not write \(dir)/scaling.json"
                }
            }
        } else {
            rcpNote = "not checked: no reference convergence points for \(benchmark.name) in ruleset \(ruleset) (looked in: \(source.tried.joined(separator: "; ")))"
        }
        let result = TrainingResult(benchmark: benchmark, options: options, runs: results, score: score,
                                    statistics: RunStatistics(good), partial: partial || results.count < options.runs,
                                    rcp: rcp, rcpNote: rcpNote, benchmarkDirectory: dir,
                                    resultsJSONPath: "\(options.outputDirectory)/results.json")
        let json = ResultsJSON.make(result)
        guard FileManager.default.createFile(atPath: result.resultsJSONPath, contents: Data(JSONWriter().string(json).utf8)) else {
            throw HarnessError("cannot write \(result.resultsJSONPath)")
        }
        return result
    }

    func runOnce(index: Int, seed: UInt64, dir: String, logsDir: String, checker: ComplianceChecker,
                 expectedEpochs: Double, isCancelled: @escaping @Sendable () -> Bool,
                 events: @escaping @Sendable (HarnessEvent) -> Void) -> RunResult {
        let logPath = "\(dir)/result_\(index).txt"
        let rawPath = "\(logsDir)/run_\(index).out.txt"
        let ctx = WorkloadContext(benchmark: benchmark.name, division: options.division, system: options.system, runIndex: index)
        let monitor = SharedMonitor(RunMonitor(benchmark: benchmark, runIndex: index, runs: options.runs, seed: seed,
                                               expectedEpochs: expectedEpochs))
        let start = monotonicSeconds()
        let deadline = options.timeoutSeconds.map { start + $0 }
        let timedOut = { @Sendable in deadline.map { monotonicSeconds() > $0 } ?? false }
        var failure: String?
        var cancelled = false
        var exitStatus: Int32?
        let logFile: LineFile
        do { logFile = try LineFile(path: logPath) } catch {
            return RunResult(index: index, seed: seed, logPath: logPath, rawOutputPath: nil, status: .failed(error.message),
                             timeToTrainMs: nil, bestQuality: nil, convergencePoint: nil, batchSize: nil,
                             compliance: ComplianceReport(ruleset: checker.ruleset), parseIssues: [], exitStatus: nil, wallSeconds: 0)
        }
        var lastEvent = 0.0
        var tailLines: [String] = []
        let emitProgress = { @Sendable (force: Bool) in
            _ = force
            events(.progress(monitor.progress()))
        }
        switch workload {
        case .inProcess(let name, let body):
            events(.runStarted(index: index, runs: options.runs, seed: seed, logPath: logPath, command: name))
            let sink = SendableBox(logFile)
            let logger = MLLogger(dialect: .training) { line, _ in
                let saved = monitor.feed(Array(line.utf8))
                if let saved { sink.value.write(saved); sink.value.flush() }
                emitProgress(false)
            }
            do { try body(seed, logger, { isCancelled() || timedOut() }) } catch {
                failure = "the workload threw: \(error)"
            }
            if isCancelled() { cancelled = true }
            else if timedOut() { failure = "timed out after \(Int(options.timeoutSeconds ?? 0)) s" }
        case .command(let command):
            let args = command.resolvedArguments(ctx, seed: seed)
            events(.runStarted(index: index, runs: options.runs, seed: seed, logPath: logPath,
                               command: args.joined(separator: " ")))
            var env = command.environment
            env["MLPERF_SEED"] = String(seed)
            env["MLPERF_RUN_INDEX"] = String(index)
            env["MLPERF_DIVISION"] = options.division
            env["MLPERF_SYSTEM"] = options.system
            env["MLPERF_BENCHMARK"] = benchmark.name
            let tail = command.logFile.map { FileTail(path: ctx.substitute($0, seed: seed)) }
            if let t = tail {
                // A stale log file of an earlier run is removed; anything that is not a regular file is never
                // touched (a directory given by mistake must not be deleted), and the run fails with the reason.
                var info = stat()
                if stat(t.path, &info) == 0 {
                    guard (info.st_mode & S_IFMT) == S_IFREG else {
                        failure = "--log-file \(t.path) is not a regular file (a directory?): it must name the file "
                            + "the workload writes its MLLOG lines to; nothing was run and nothing was removed"
                        break
                    }
                    guard unlink(t.path) == 0 else {
                        failure = "--log-file \(t.path) is left from an earlier run and cannot be removed "
                            + "(\(String(cString: strerror(errno)))): its lines would be read as this run's"
                        break
                    }
                }
            }
            let raw = try? LineFile(path: rawPath)
            let child: ChildProcess
            do { child = try ChildProcess(arguments: args, environment: env) } catch {
                failure = error.message
                break
            }
            var outSplit = LineSplitter()
            var fileSplit = LineSplitter()
            func handleOutput(_ line: [UInt8]) {
                raw?.write(line)
                if MLLogParser.lastToken(in: line) == nil {
                    if tailLines.count == 12 { tailLines.removeFirst() }
                    tailLines.append(JSONParser.decode(line))
                }
                if tail == nil, let saved = monitor.feed(line) { logFile.write(saved) }
            }
            func handleFile(_ line: [UInt8]) { if let saved = monitor.feed(line) { logFile.write(saved) } }
            var eof = false
            var exitedAt: Double?
            var killAt: Double?
            var stopReason: String?
            while true {
                if let bytes = child.readAvailable(timeoutMs: 200) {
                    if !bytes.isEmpty { outSplit.feed(bytes, handleOutput) }
                } else { eof = true }
                if let t = tail { fileSplit.feed(t.readNew(), handleFile) }
                logFile.flush()
                let now = monotonicSeconds()
                if now - lastEvent > 0.5 { lastEvent = now; emitProgress(false) }
                if child.poll() {
                    if exitedAt == nil { exitedAt = now }
                    // A grandchild may hold the pipe open: give it 2 s after the child exits.
                    if eof || now - exitedAt! > 2 { break }
                } else if eof {
                    usleep(20_000)
                }
                if stopReason == nil {
                    if isCancelled() { stopReason = "cancelled" } else if timedOut() {
                        stopReason = "timed out after \(Int(options.timeoutSeconds ?? 0)) s (process group killed)"
                    }
                    if stopReason != nil { child.signalGroup(SIGTERM); killAt = now + 3 }
                } else if let k = killAt, now > k {
                    child.signalGroup(SIGKILL); killAt = nil
                }
            }
            if stopReason != nil { child.signalGroup(SIGKILL) }
            outSplit.finish(handleOutput)
            if let t = tail { fileSplit.feed(t.readNew(), handleFile); fileSplit.finish(handleFile) }
            raw?.flush()
            exitStatus = child.exitStatus
            if stopReason == "cancelled" { cancelled = true }
            else if let s = stopReason { failure = s }
            else if let sig = child.terminationSignal { failure = "the workload was killed by signal \(sig)" }
            else if let s = child.exitStatus, s != 0 { failure = "the workload exited with status \(s)" }
        }
        logFile.flush()
        let m = monitor.snapshot()
        events(.progress(m.progress))
        let parsed = MLLogParseResult(entries: m.entries, issues: m.issues)
        let report = checker.check(parsed)
        let convergence = RCPChecker.convergencePoint(parsed)
        var ttt: Double?
        if let a = m.runStartMs, let b = m.runStopMs, a.isFinite, b.isFinite { ttt = b - a }
        var warnings: [String] = []
        if m.runStartCount > 1 {
            warnings.append("the log has \(m.runStartCount) run_start lines before run_stop; time to train is measured "
                            + "from the last one, as the official result summarizer does")
        }
        let loggedDivision = m.entries.first { $0.record.key == MLLogKey.submissionDivision }?.record.value.stringValue
        let loggedBenchmark = m.entries.first { $0.record.key == MLLogKey.submissionBenchmark }?.record.value.stringValue
        if failure == nil && !cancelled {
            if m.entries.isEmpty { failure = "no MLLOG lines in the workload's output" }
            else if !m.nonFinite.isEmpty {
                failure = "the log has non-finite numbers, so the run cannot be scored: "
                    + m.nonFinite.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: "; ")
            }
            else if let d = loggedDivision, d != options.division {
                failure = "the workload logged submission_division '\(d)' but this session is --division \(options.division)"
            } else if let b = loggedBenchmark, !benchmark.matches(b) {
                failure = "the workload logged submission_benchmark '\(b)' but this session trains \(benchmark.name)"
            } else if m.runStartMs == nil { failure = "no run_start in the log" }
            else if m.runStopMs == nil { failure = "the workload ended without run_stop" }
            else if m.runStopStatus != MLLogRunStatus.success {
                failure = "run_stop status is \(m.runStopStatus.map { "'\($0)'" } ?? "missing"), not 'success'"
            } else if !m.progress.reachedTarget {
                failure = "the quality target was not reached (best \(m.progress.bestQuality.map { String($0) } ?? "none"), target \(benchmark.targetCondition))"
            } else if let t = ttt, t < 0 {
                failure = "run_stop is before run_start"
            } else if !report.isCompliant {
                let first = report.errors.first.map { $0.description } ?? ""
                failure = "the log is not compliant (\(report.errors.count) error\(report.errors.count == 1 ? "" : "s"); first: \(first))"
            }
        }
        let status: RunResult.Status = cancelled ? .cancelled : (failure.map { .failed($0) } ?? .success)
        var result = RunResult(index: index, seed: seed, logPath: logPath,
                         rawOutputPath: workload.isCommand ? rawPath : nil, status: status,
                         timeToTrainMs: ttt, bestQuality: m.progress.bestQuality,
                         convergencePoint: convergence.point, batchSize: convergence.batchSize,
                         compliance: report, parseIssues: m.issues, exitStatus: exitStatus,
                         wallSeconds: monotonicSeconds() - start)
        if case .failed = status { result.outputTail = tailLines }
        result.warnings = warnings
        return result
    }
}

extension MLLogParseResult {
    init(entries: [MLLogEntry], issues: [MLLogIssue]) {
        self.init()
        self.entries = entries
        self.issues = issues
    }
}

extension Workload {
    var isCommand: Bool { if case .command = self { return true }; return false }
}

/// The monitor behind a lock: the in-process logger may call from any thread.
final class SharedMonitor: @unchecked Sendable {
    private var monitor: RunMonitor
    private let lock = NSLock()
    init(_ m: RunMonitor) { monitor = m }
    func feed(_ line: [UInt8]) -> String? { lock.lock(); defer { lock.unlock() }; return monitor.feed(line) }
    func progress() -> TrainingProgress {
        lock.lock(); defer { lock.unlock() }
        monitor.updateTimes()
        return monitor.progress
    }
    func snapshot() -> RunMonitor { lock.lock(); defer { lock.unlock() }; monitor.updateTimes(); return monitor }
}

final class SendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

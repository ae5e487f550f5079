import ArgumentParser
import LoadGen

/// `mlperf loadgen`: run the load generator against a built-in SUT.
struct LoadGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Run LoadGen against a built-in system under test.",
        discussion: """
        Settings are built like the official LoadGen's: the official defaults, then the built-in mlperf.conf for \
        --model (if given), then --conf (a user.conf), then audit.config if present in the working directory, then \
        the command-line overrides. Logs go to --out in the official formats (mlperf_log_summary.txt, \
        mlperf_log_detail.txt, mlperf_log_accuracy.json) plus results.json.

        SUTs: `null` completes every sample inline (it measures LoadGen itself); `sleep:<µs>[x<workers>]` \
        completes each sample after a fixed service time from worker threads, e.g. `sleep:100x2`.

        Examples:
          mlperf loadgen --sut null --scenario Offline --duration-ms 2000
          mlperf loadgen --sut sleep:200x2 --scenario Server --target-qps 5000
          mlperf loadgen --sut null --model resnet50 --scenario Server \\
            --conf user.conf
        """
    )

    @Option(help: "The SUT: null | sleep:<µs>[x<workers>].") var sut: String = "null"
    @Option(help: "SingleStream | MultiStream | Server | Offline.") var scenario: String
    @Option(help: "A model of the official benchmark table (e.g. resnet50): applies its mlperf.conf settings.") var model: String?
    @Option(help: "PerformanceOnly | AccuracyOnly | SubmissionRun | FindPeakPerformance (or performance, accuracy, …); default: the conf file's mode, else PerformanceOnly.") var mode: String?
    @Option(help: "A user.conf to apply.") var conf: String?
    @Option(help: "QSL total sample count.") var totalSampleCount: Int = 1024
    @Option(help: "QSL performance sample count.") var performanceSampleCount: Int = 1024
    @Option(help: "Output directory for the logs.") var out: String = "out/loadgen"
    @OptionGroup var overrides: SettingsOverrides
    @Option(help: "Override max_duration_ms.") var maxDurationMs: UInt64?
    @Flag(help: "Server: coalesce due queries into one issue call.") var coalesce = false
    @Option(help: "Watchdog: seconds to wait for outstanding samples after the last issue.") var watchdogS: Int = 60
    @Flag(help: "Do not print the summary.") var quiet = false

    func validate() throws {
        guard TestScenario(name: scenario) != nil else {
            throw ValidationError("unknown scenario `\(scenario)`; valid: \(TestScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let mode, TestMode(name: mode) == nil {
            throw ValidationError("unknown mode `\(mode)`; valid: \(TestMode.allCases.map(\.rawValue).joined(separator: ", ")) (or performance, accuracy, submission, findpeak)")
        }
        _ = try BuiltInSUT.spec(sut)
    }

    func run() throws {
        let scen = TestScenario(name: scenario)!
        var settings = try buildSettings(model: model, scenario: scen, confPath: conf)
        if let mode { settings.mode = TestMode(name: mode)! }  // only a typed --mode overrides the conf's
        overrides.apply(to: &settings)
        if let v = maxDurationMs { settings.maxDurationMs = v }
        if coalesce { settings.serverCoalesceQueries = true }

        let system = try BuiltInSUT.parse(sut)
        let qsl = NullQSL(totalSampleCount: totalSampleCount, performanceSampleCount: performanceSampleCount)
        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let line = Console.ProgressLine()
        var options = RunOptions(log: LogSettings(outputDirectory: out))
        options.model = model ?? "*"
        options.cancellation = cancel
        options.completionTimeoutNs = Int64(watchdogS) * 1_000_000_000
        options.progress = { line.update(progressText($0)) }
        options.configNotes = confNotes
        let result = try LoadGen.run(sut: system.sut, qsl: qsl, settings: settings, options: options)
        line.finish()
        system.shutdown()
        if !quiet, let s = result.summaryText { print(s, terminator: "") }
        if let reason = result.noTestReason {
            Console.err("No test was run: \(reason)")
            Console.err("Logs: \(out)/  (the detail log has the error)")
            throw ExitCode(1)
        }
        if result.performance == nil { print("Accuracy run: \(result.accuracyLoggedSamples) responses logged.") }
        print("Logs: \(out)/  (results.json has every figure and the verdict's reasons)")
        if result.partial {
            print("PARTIAL: the run was interrupted; the logs hold what finished.")
            throw ExitCode(130)
        }
    }

    private var confNotes: [String] {
        guard let conf, let c = try? ConfigFile(path: conf) else { return [] }
        return c.notes(kind: .userConf)
    }
}

/// Settings: official defaults ← mlperf.conf (for a model) ← user.conf.
func buildSettings(model: String?, scenario: TestScenario, confPath: String?) throws -> TestSettings {
    var s = TestSettings()
    s.scenario = scenario
    if let model { s = try TestSettings.official(model: model, scenario: scenario) }
    if let confPath {
        let conf = try ConfigFile(path: confPath)
        try s.apply(conf, model: model ?? "*", kind: .userConf)
    }
    return s
}

/// The built-in SUTs of `mlperf loadgen`.
struct BuiltInSUT {
    let sut: any SystemUnderTest
    let shutdown: () -> Void

    /// Parses a SUT spec without starting anything: nil for `null`, (µs, workers) for `sleep:…`.
    static func spec(_ spec: String) throws -> (microseconds: Int, workers: Int)? {
        if spec == "null" { return nil }
        if spec.hasPrefix("sleep:") {
            let parts = spec.dropFirst(6).split(separator: "x", omittingEmptySubsequences: false)
            if let us = parts.first.flatMap({ Int($0) }), us >= 0, parts.count <= 2 {
                let workers = parts.count == 2 ? Int(parts[1]) : 1
                if let workers, workers >= 1 { return (us, workers) }
            }
        }
        throw ValidationError("unknown SUT `\(spec)`; valid: null, sleep:<µs>[x<workers>] (e.g. sleep:100x2)")
    }

    static func parse(_ text: String) throws -> BuiltInSUT {
        guard let (us, workers) = try spec(text) else { return BuiltInSUT(sut: NullSUT(), shutdown: {}) }
        let s = SleepSUT(serviceMicroseconds: us, workers: workers)
        return BuiltInSUT(sut: s, shutdown: { s.shutdown() })
    }
}

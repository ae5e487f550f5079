import ArgumentParser
import LoadGen
import NetworkSUT

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
        completes each sample after a fixed service time from worker threads, e.g. `sleep:100x2`; \
        `llm:<first-token µs>:<µs per token>:<tokens or min-max>[x<workers>]` answers like an LLM (a first \
        token, then a token stream; a fixed count, or one drawn per sample from min-max), for models with \
        token latencies (--model llama2-70b: TTFT and TPOT decide validity).

        Over the network: `openai:http://HOST:PORT` drives an OpenAI-compatible server (vLLM, llama.cpp, TGI, \
        SGLang; --model names the served model, and its mlperf.conf entry applies if it is an official one) with \
        the prompts of --dataset: a file (JSON Lines {"prompt": …, "max_tokens": N}, or one prompt per line) or \
        synthetic:<input words min-max>:<output tokens min-max>[:<count>] drawn with --seed. Streaming (the \
        default) feeds LoadGen's token latencies, so TTFT and TPOT (--ttft-ms, --tpot-ms) decide Server validity; \
        network.json adds the client's TTFT, inter-token latency, tokens, goodput and failures by reason.

        Examples:
          mlperf loadgen --sut null --scenario Offline --duration-ms 2000
          mlperf loadgen --sut sleep:200x2 --scenario Server --target-qps 5000
          mlperf loadgen --sut null --model resnet50 --scenario Server \\
            --conf user.conf
          mlperf loadgen --sut llm:2000:200:16-128x4 --model llama2-70b \\
            --scenario Server --target-qps 20 --duration-ms 5000
          mlperf loadgen --sut openai:http://127.0.0.1:8000 --model tiny-llama \\
            --dataset synthetic:16-64:16-32 --scenario Server --target-qps 4 \\
            --ttft-ms 500 --tpot-ms 50
        """
    )

    @Option(help: "The SUT: null | sleep:<µs>[x<workers>] | llm:<first-token µs>:<µs per token>:<tokens or min-max>[x<workers>] | openai:URL.") var sut: String = "null"
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
    @Option(help: "Watchdog: seconds to wait for outstanding samples while none completes (from the last issue, then from each completion).") var watchdogS: Int = 60
    @Flag(help: "Do not print the summary.") var quiet = false
    @OptionGroup(title: "OpenAI-API SUT") var llm: OpenAIRunOptions
    @OptionGroup var network: NetworkOptions

    func validate() throws {
        guard TestScenario(name: scenario) != nil else {
            throw ValidationError("unknown scenario `\(scenario)`; valid: \(TestScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let mode, TestMode(name: mode) == nil {
            throw ValidationError("unknown mode `\(mode)`; valid: \(TestMode.allCases.map(\.rawValue).joined(separator: ", ")) (or performance, accuracy, submission, findpeak)")
        }
        if sut.contains(":"), let p = sut.split(separator: ":").first, NetworkProtocol(rawValue: String(p)) != nil {
            let address = try SUTAddress(parsing: sut)
            guard address.networkProtocol == .openai else {
                throw ValidationError("--sut \(sut): KServe v2 servers run a suite benchmark's samples: "
                                      + "`mlperf run BENCH --sut \(sut)`")
            }
            guard model != nil else { throw ValidationError("--sut openai:… needs --model (the served model's name)") }
            try llm.check()
            try network.check()
            return
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

        if sut.hasPrefix("openai:") {
            return try runOpenAI(settings: settings, address: SUTAddress(parsing: sut))
        }
        let system = try BuiltInSUT.parse(sut)
        let qsl = NullQSL(totalSampleCount: totalSampleCount, performanceSampleCount: performanceSampleCount)
        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let line = Console.ProgressLine()
        let options = runOptions(cancel: cancel, line: line, watchdogNs: Int64(watchdogS) * 1_000_000_000)
        let result = try LoadGen.run(sut: system.sut, qsl: qsl, settings: settings, options: options)
        line.finish()
        system.shutdown()
        if !quiet, let s = result.summaryText { print(s, terminator: "") }
        printFailedRules(result)
        try exitIfNoTest(result, logs: out)
        if result.performance == nil { print("Accuracy run: \(result.accuracyLoggedSamples) responses logged.") }
        print("Logs: \(out)/  (results.json has every figure and the verdict's reasons)")
        if result.partial {
            print("PARTIAL: the run was interrupted; the logs hold what finished.")
            throw ExitCode(130)
        }
    }

    /// LoadGen's options: logs in --out, --model's name, Ctrl-C, progress, the watchdog, conf notes.
    func runOptions(cancel: CancellationFlag, line: Console.ProgressLine, watchdogNs: Int64) -> RunOptions {
        var options = RunOptions(log: LogSettings(outputDirectory: out))
        options.model = model ?? "*"
        options.cancellation = cancel
        options.completionTimeoutNs = watchdogNs
        options.progress = { line.update(progressText($0)) }
        options.configNotes = confNotes
        return options
    }

    var confNotes: [String] {
        guard let conf, let c = try? ConfigFile(path: conf) else { return [] }
        return c.notes(kind: .userConf)
    }
}

/// Settings: official defaults ← mlperf.conf (for a model) ← the benchmark's own defaults (`benchmarkDefaults`: a
/// generative benchmark's token latencies, so that a user.conf's `ttft_latency` applies to them) ← user.conf.
func buildSettings(model: String?, scenario: TestScenario, confPath: String?,
                   benchmarkDefaults: (inout TestSettings) -> Void = { _ in }) throws -> TestSettings {
    var s = TestSettings()
    s.scenario = scenario
    if let model { s = try TestSettings.official(model: model, scenario: scenario) }
    benchmarkDefaults(&s)
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

    enum Spec: Equatable {
        case null
        case sleep(microseconds: Int, workers: Int)
        case llm(TokenProfile, workers: Int)
    }

    static let usage = "null, sleep:<µs>[x<workers>], llm:<first-token µs>:<µs per token>:<tokens or min-max>[x<workers>] "
        + "(e.g. sleep:100x2, llm:2000:200:64x4, llm:2000:200:16-128x4)"

    /// Parses a SUT spec without starting anything.
    static func spec(_ text: String) throws -> Spec {
        func workersSplit(_ body: Substring) -> (Substring, Int)? {
            let parts = body.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            let workers = parts.count == 2 ? Int(parts[1]) : 1
            guard let workers, workers >= 1 else { return nil }
            return (parts[0], workers)
        }
        if text == "null" { return .null }
        let longest = 60_000_000  // µs: one minute per sample or token is the most a built-in SUT waits
        if text.hasPrefix("sleep:"), let (body, workers) = workersSplit(text.dropFirst(6)), let us = Int(body), us >= 0,
           us <= longest, workers <= 1024 {
            return .sleep(microseconds: us, workers: workers)
        }
        if text.hasPrefix("llm:"), let (body, workers) = workersSplit(text.dropFirst(4)) {
            let f = body.split(separator: ":", omittingEmptySubsequences: false)
            if f.count == 3, let first = Int(f[0]), let per = Int(f[1]), (0...longest).contains(first),
               (0...longest).contains(per), workers <= 1024 {
                let range = f[2].split(separator: "-", omittingEmptySubsequences: false)
                if let lo = range.first.flatMap({ Int($0) }), range.count <= 2,
                   let hi = range.count == 2 ? Int(range[1]) : lo, lo >= 2, hi >= lo, hi <= 1_000_000 {
                    return .llm(TokenProfile(firstTokenMicroseconds: first, perTokenMicroseconds: per, minTokens: lo,
                                             maxTokens: hi), workers: workers)
                }
            }
            throw ValidationError("bad LLM SUT `\(text)`: expected llm:<first-token µs>:<µs per token>:<tokens or min-max>"
                                  + "[x<workers>] with 2 to 1000000 tokens per sample (LoadGen needs n_tokens > 1), "
                                  + "times up to 60000000 µs and up to 1024 workers")
        }
        throw ValidationError("unknown SUT `\(text)`; valid: \(usage)")
    }

    static func parse(_ text: String) throws -> BuiltInSUT {
        switch try spec(text) {
        case .null:
            return BuiltInSUT(sut: NullSUT(), shutdown: {})
        case .sleep(let us, let workers):
            let s = SleepSUT(serviceMicroseconds: us, workers: workers)
            return BuiltInSUT(sut: s, shutdown: { s.shutdown() })
        case .llm(let profile, let workers):
            let s = SleepSUT(serviceMicroseconds: 0, workers: workers, tokens: profile)
            return BuiltInSUT(sut: s, shutdown: { s.shutdown() })
        }
    }
}

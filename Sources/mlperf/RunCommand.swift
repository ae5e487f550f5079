import ArgumentParser
import Datasets
import Foundation
import LoadGen
import MLLog
import ONNXRuntime
import Serving
import Submission
import Benchmarks
import NetworkSUT

/// `mlperf run BENCH`: serve an ONNX model through ONNX Runtime, in process, under LoadGen.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an inference benchmark: an ONNX model served by ONNX Runtime, in process, under LoadGen.",
        discussion: benchmarkList() + """


        A benchmark trained here uses the model that `mlperf suite` trained (out/suite/model/NAME.onnx) unless \
        --model names another; `mlperf suite --train-only` makes it. A performance-only benchmark (untrained \
        weights) refuses accuracy mode. Its data come from --data-dir, else its environment variable, else where \
        scripts/setup.sh put them.

        How samples are served: SingleStream and MultiStream run each query directly on LoadGen's issuing thread \
        (MultiStream's 8 samples as one batch); Offline and Server go through a dynamic batcher on --workers \
        threads (batches of up to --batch samples, waiting at most --max-wait-us for a fuller one). ONNX Runtime \
        uses --threads intra-op threads per run (default 1: a second thread was not faster on 2-core machines).

        Settings are built like the official LoadGen's: the official defaults and the built-in mlperf.conf for the \
        benchmark's name, then --conf (a user.conf), then audit.config if present, then the options below. Unless \
        a conf file or an option sets them, the expected latency / expected QPS / Server target QPS come from a \
        short untimed measurement of the model (so LoadGen pre-generates the right number of queries), and the \
        Server latency bound is the benchmark's (listed above). The official minimum \
        duration is 10 minutes per run: use --duration-ms for a quick one.

        Logs go to --out in the official formats (mlperf_log_summary.txt, mlperf_log_detail.txt, \
        mlperf_log_accuracy.json), plus results.json (LoadGen's figures and verdict) and serving.json (the SUT: \
        ONNX Runtime version, model, threads, batching, calibration).

        Over the network: --sut kserve-v2:http://HOST:PORT/MODEL sends the benchmark's samples to a KServe v2 (Open \
        Inference Protocol) server instead (Triton, KServe, MLServer, TorchServe; `python3 \
        references/servers/mlserver_onnx.py` serves the suite's models with MLServer) and applies the benchmark's \
        response encoding to what it returns, so accuracy mode scores it as usual. Requests: one per sample \
        (SingleStream, Server), one per query (MultiStream), --batch samples each (Offline, default 32). A failed \
        request (refused, timed out, an error status, a malformed response) makes the run INVALID with the reason; \
        network.json has the client's timing components (connection wait, server time) and failures by reason.

        Examples:
          mlperf run fashion-mnist --scenario Offline --mode accuracy
          mlperf run fashion-mnist --scenario Server --duration-ms 10000
          mlperf run fashion-mnist --model my.onnx --scenario SingleStream
          mlperf run ncf --scenario Offline --mode accuracy
          mlperf run resnet50-perf --scenario Offline --duration-ms 10000
          mlperf run fashion-mnist --scenario Server \\
            --sut kserve-v2:http://127.0.0.1:8080/fashion-mnist
        """
    )

    @Argument(help: "The benchmark (listed above).") var benchmark: String
    @Option(help: "SingleStream | MultiStream | Server | Offline.") var scenario: String
    @Option(help: "performance | accuracy (or the official mode names; default: the conf file's mode, else performance).") var mode: String?
    @Option(help: "The ONNX model file (default: the one the suite trained, or the benchmark's built-in one).") var model: String?
    @Option(help: "Largest batch per ORT run (default: SingleStream 1, MultiStream 8, Offline 32, Server 8).") var batch: Int?
    @Option(help: "Worker threads for Offline/Server (default 1).") var workers: Int?
    @Option(help: "ONNX Runtime intra-op threads per run.") var threads: Int = 1
    @Option(help: "Server/Offline: longest wait for a fuller batch, in µs (default 0).") var maxWaitUs: Int?
    @Option(help: "ONNX Runtime graph optimisation: disabled | basic | extended | all.") var graphOptimization: String = "all"
    @Option(help: "A user.conf to apply.") var conf: String?
    @Option(help: "The audit.config to apply (default: audit.config in the current directory, if any).") var auditConfig: String?
    @Option(help: "The benchmark's data directory (default: its environment variable, else where set-up put it).") var dataDir: String?
    @Option(help: "Output directory (default out/run/<benchmark>/<scenario>-<mode>).") var out: String?
    @OptionGroup var overrides: SettingsOverrides
    @Option(help: "Serve over the network instead of in process: kserve-v2:http://HOST:PORT/MODEL.") var sut: String?
    @OptionGroup var network: NetworkOptions
    @Flag(help: "Do not print the summary.") var quiet = false

    func validate() throws {
        _ = try BenchmarkRegistry.require(benchmark)
        if let sut {
            let address = try SUTAddress(parsing: sut)
            guard address.networkProtocol == .kserveV2 else {
                throw ValidationError("--sut \(sut): `mlperf run` serves a benchmark's tensors, over kserve-v2; "
                                      + "OpenAI-API servers run with `mlperf loadgen --sut openai:URL`")
            }
            try network.check()
        }
        guard TestScenario(name: scenario) != nil else {
            throw ValidationError("unknown scenario `\(scenario)`; valid: \(TestScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let mode {
            guard let m = TestMode(name: mode), m == .performanceOnly || m == .accuracyOnly else {
                throw ValidationError("mode must be performance or accuracy, got `\(mode)`")
            }
        }
        guard ORTSessionOptions.GraphOptimization(rawValue: graphOptimization) != nil else {
            throw ValidationError("--graph-optimization must be disabled, basic, extended or all")
        }
        if BenchmarkRegistry.named(benchmark)?.generative != nil {
            for (name, given) in [("--batch", batch != nil), ("--max-wait-us", maxWaitUs != nil)] where given {
                throw ValidationError("\(name): \(benchmark) generates one sample at a time on each worker (no batching); "
                                      + "use --workers for Offline and Server")
            }
        }
        for (name, value) in [("--batch", batch), ("--workers", workers), ("--threads", threads as Int?)] {
            if let value, value < (name == "--threads" ? 0 : 1) {
                throw ValidationError("\(name) must be at least \(name == "--threads" ? 0 : 1)")
            }
        }
    }

    func run() throws {
        let bench = try BenchmarkRegistry.require(benchmark)
        let scen = TestScenario(name: scenario)!
        // Settings first: a conf file's `mode` counts unless --mode was typed (a CLI default never overrides it).
        var settings = try buildSettings(model: bench.name, scenario: scen, confPath: conf) { s in
            // A generative benchmark's Server judges token latencies (TTFT, TPOT) unless a conf file says otherwise.
            if let g = bench.generative, scen == .server {
                s.useTokenLatencies = true
                s.serverTTFTLatency = g.serverTTFTLatencyNs
                s.serverTPOTLatency = g.serverTPOTLatencyNs
            }
        }
        if let mode { settings.mode = TestMode(name: mode)! }
        let testMode = settings.mode
        guard testMode == .performanceOnly || testMode == .accuracyOnly else {
            throw ValidationError("\(conf ?? "the settings"): mode \(testMode.rawValue) is not supported by `mlperf run` "
                                  + "(performance or accuracy); `mlperf loadgen` runs the others")
        }
        if bench.performanceOnly && testMode == .accuracyOnly { throw ServingError.performanceOnly(benchmark: bench.name) }
        let outDir = out ?? "out/run/\(bench.name)/\(scen.rawValue)-\(testMode == .accuracyOnly ? "accuracy" : "performance")"
        let environment = ProcessInfo.processInfo.environment

        let confFile = try conf.map { try ConfigFile(path: $0) }
        func confSets(_ key: String) -> Bool {
            confFile?.lookup(model: bench.name, scenario: scen.rawValue, key: key) != nil
        }
        if let sut {
            return try runOverNetwork(bench: bench, scenario: scen, settings: settings, address: SUTAddress(parsing: sut),
                                      outDir: outDir, notes: confFile?.notes(kind: .userConf) ?? [], confSets: confSets)
        }
        if let generative = bench.generative {
            return try runGenerative(bench: bench, generative: generative, scenario: scen, settings: settings,
                                     outDir: outDir, confNotes: confFile?.notes(kind: .userConf) ?? [], confSets: confSets)
        }
        let modelPath = try model ?? bench.defaultModel(environment: environment)
        Console.err("loading ONNX Runtime …")
        let runtime = try ORTRuntime(environment: environment)
        let sessionOptions = ORTSessionOptions(intraOpThreads: threads,
                                               graphOptimization: .init(rawValue: graphOptimization)!)
        let classifier = try bench.loadModel(runtime: runtime, path: modelPath, options: sessionOptions)
        let data = try bench.inferenceData(dataDirectory: dataDir, modelPath: modelPath)

        var configuration = ServingConfiguration.defaults(for: scen, samplesPerQuery: Int(settings.multiStreamSamplesPerQuery))
        if let batch { configuration.maxBatch = batch }
        if let workers { configuration.workers = workers }
        if let maxWaitUs { configuration.maxWaitMicroseconds = maxWaitUs }
        if !confSets("target_latency") { settings.serverTargetLatencyNs = bench.serverTargetLatencyNs }

        var calibration: Calibration?
        if testMode == .performanceOnly {
            let needed = (scen == .singleStream && overrides.expectedLatencyNs == nil && !confSets("target_latency"))
                || (scen == .multiStream && overrides.expectedLatencyNs == nil && !confSets("target_latency"))
                || ((scen == .offline || scen == .server) && overrides.targetQps == nil && !confSets("target_qps"))
            if needed {
                Console.err("calibrating (untimed) …")
                let indices = Array(0..<min(1024, data.qsl.performanceSampleCount))  // a realistic working set
                try data.qsl.loadSamplesToRAM(indices)
                let c = try Calibration.measure(model: classifier, provider: data.tensors(benchmark: bench.name), loaded: indices,
                                                batch: configuration.maxBatch)
                try data.qsl.unloadSamplesFromRAM(indices)
                calibration = c
                switch scen {
                case .singleStream: settings.singleStreamExpectedLatencyNs = c.singleSampleLatencyNs
                case .multiStream: settings.multiStreamExpectedLatencyNs = c.batchLatencyNs
                // Offline's one query holds 1.1 × min_duration × expected QPS samples: a run faster than this untimed
                // measurement (seen: 44k samples/s after a 30k calibration, and 42k after 24k) would end before
                // min_duration and be INVALID, so the expectation is doubled (a longer query is still VALID; a run
                // as slow as the calibration then lasts about 2.2 × min_duration).
                case .offline: settings.offlineExpectedQPS = c.throughput * Double(configuration.workers) * 2
                case .server: settings.serverTargetQPS = (c.throughput * 0.3).rounded(toPlaces: 1)  // headroom: the issue thread and the batcher share 2 cores
                }
            }
        }
        overrides.apply(to: &settings)

        let sut = try ORTSUT.make(scenario: scen, model: classifier, provider: data.tensors(benchmark: bench.name),
                                  configuration: configuration)
        let cancel = CancellationFlag()
        let pending = UncheckedBox(sut)  // discardPending is thread-safe
        Interrupt.install(cancel, onCancel: { pending.value.discardPending() })
        let line = Console.ProgressLine()
        let options = try runOptions(outDir: outDir, benchmark: bench.name, cancel: cancel, line: line,
                                     notes: confFile?.notes(kind: .userConf) ?? [])
        Console.err("running \(bench.name) \(scen.rawValue) \(testMode.rawValue) with \(sut.name) "
                    + "(batch ≤ \(sut.maxBatch), ORT \(runtime.version), \(threads) intra-op thread(s)) …")
        let result = try serve(sut, qsl: data.qsl, settings: settings, options: options, outDir: outDir, line: line)

        let report = ServingReport(benchmark: bench, modelPath: modelPath, runtime: runtime, options: sessionOptions,
                                   scenario: scen, mode: testMode, sut: sut, configuration: configuration,
                                   calibration: calibration, result: result)
        try report.json().write(toFile: outDir + "/serving.json", atomically: true, encoding: .utf8)

        try printOutcome(result, outDir: outDir, oneLine: report.oneLine, serving: "the SUT", error: sut.firstError)
    }

}

extension RunCommand {
    /// Runs LoadGen on `sut` with energy measured over the run (RAPL or NVML where the machine has them; otherwise
    /// the reason, in energy.json), then stops the SUT. Samples still queued when LoadGen stopped waiting (watchdog,
    /// Ctrl-C) are dropped, not served: their index storage belongs to LoadGen's finished plan.
    func serve(_ sut: any ServingSUT, qsl: any QuerySampleLibrary, settings: TestSettings, options: RunOptions,
               outDir: String, line: Console.ProgressLine) throws -> TestResult {
        let energy = EnergyProbe()
        let result = try LoadGen.run(sut: sut, qsl: qsl, settings: settings, options: options)
        sut.discardPending()
        try energy.finish().write(to: outDir + "/energy.json")
        line.finish()
        sut.shutdown()
        return result
    }

    /// What `mlperf run` prints after a run (the summary unless --quiet, failed rules, the SUT's line, where the logs
    /// are), and its exit: no test, interrupted (130), or the SUT's first inference error.
    func printOutcome(_ result: TestResult, outDir: String, oneLine: String, serving: String, error: Error?) throws {
        if !quiet, let s = result.summaryText { print(s, terminator: "") }
        printFailedRules(result)
        try exitIfNoTest(result, logs: outDir)
        if result.performance == nil { print("Accuracy run: \(result.accuracyLoggedSamples) responses logged to \(outDir)/mlperf_log_accuracy.json.") }
        print(oneLine)
        print("Logs: \(outDir)/  (results.json: LoadGen's figures and verdict; serving.json: \(serving))")
        if result.partial {
            print("PARTIAL: the run was interrupted; the logs hold what finished.")
            throw ExitCode(130)
        }
        if let error { throw ServingError.inferenceFailed("\(error)") }
    }

    /// LoadGen's options for a run of `benchmark`: logs in `outDir`, --audit-config, Ctrl-C, progress, conf notes.
    func runOptions(outDir: String, benchmark: String, cancel: CancellationFlag, line: Console.ProgressLine,
                    notes: [String]) throws -> RunOptions {
        var options = RunOptions(log: LogSettings(outputDirectory: outDir))
        options.model = benchmark
        if let auditConfig {
            guard FileManager.default.fileExists(atPath: auditConfig) else { throw ValidationError("--audit-config \(auditConfig): no such file") }
            options.auditConfigPath = auditConfig
        }
        options.cancellation = cancel
        options.progress = { line.update(progressText($0)) }
        options.configNotes = notes
        return options
    }
}

/// `serving.json`: what served the run.
struct ServingReport {
    let benchmark: Benchmark
    let modelPath: String
    let runtime: ORTRuntime
    let options: ORTSessionOptions
    let scenario: TestScenario
    let mode: TestMode
    let sut: any ServingSUT
    let configuration: ServingConfiguration
    let calibration: Calibration?
    let result: TestResult

    func json() -> String {
        let stats = sut.statistics
        var fields: [JSONField] = [
            JSONField("benchmark", .string(benchmark.name)),
            JSONField("label", .string(benchmark.label)),
            JSONField("performance_only", .bool(benchmark.performanceOnly)),
            JSONField("model", .string(modelPath)),
            JSONField("scenario", .string(scenario.rawValue)),
            JSONField("mode", .string(mode.rawValue)),
            JSONField("sut_name", .string(sut.name)),
            JSONField("onnxruntime", .object([
                JSONField("version", .string(runtime.version)),
                JSONField("library", .string(runtime.libraryPath)),
                JSONField("build", .string(runtime.buildInfo)),
                JSONField("intra_op_threads", .int(Int64(options.intraOpThreads))),
                JSONField("graph_optimization", .string(options.graphOptimization.rawValue)),
            ])),
            JSONField("batching", .object([
                JSONField("max_batch", .int(Int64(sut.maxBatch))),
                JSONField("workers", .int(Int64(configuration.workers))),
                JSONField("max_wait_us", .int(Int64(configuration.maxWaitMicroseconds))),
                JSONField("batches_run", .int(Int64(stats.batches))),
                JSONField("samples_run", .int(Int64(stats.samples))),
                JSONField("mean_batch_size", .double(stats.meanBatchSize)),
            ])),
            JSONField("result", .string(result.performance == nil ? "ACCURACY RUN" : (result.isValid ? "VALID" : "INVALID"))),
        ]
        if let c = calibration {
            fields.append(JSONField("calibration", .object([
                JSONField("single_sample_latency_ns", .int(Int64(c.singleSampleLatencyNs))),
                JSONField("batch", .int(Int64(c.batch))),
                JSONField("batch_latency_ns", .int(Int64(c.batchLatencyNs))),
                JSONField("samples_per_second", .double(c.throughput)),
            ])))
        }
        return servingJSON(fields, result: result, error: sut.firstError)
    }

    var oneLine: String {
        let stats = sut.statistics
        var s = "\(benchmark.name): \(sut.name), ORT \(runtime.version), \(options.intraOpThreads) intra-op thread(s), "
            + "batch ≤ \(sut.maxBatch) (mean \(String(format: "%.2f", stats.meanBatchSize)) over \(stats.batches) runs)"
        if benchmark.performanceOnly { s += " — performance only (untrained weights)" }
        return s
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let f = Foundation.pow(10, Double(places))
        return (self * f).rounded() / f
    }
}

/// Carries a value whose thread-safety the type system can't see into a @Sendable closure.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// serving.json's text: `fields`, then the run's metric (performance runs) and the SUT's first error, if any.
func servingJSON(_ fields: [JSONField], result: TestResult, error: Error?) -> String {
    var fields = fields
    if let p = result.performance {
        let m = p.metric
        fields.append(JSONField("metric", .object([JSONField("name", .string(m.name)), JSONField("value", .double(m.value)),
                                                   JSONField("unit", .string(m.unit))])))
    }
    if let error { fields.append(JSONField("inference_error", .string("\(error)"))) }
    return JSONWriter().pretty(.object(fields)) + "\n"
}

/// `Benchmarks:` and one line per registered benchmark (name, area, Server bound, model contract), for help texts.
func benchmarkList() -> String {
    let width = BenchmarkRegistry.all.map(\.name.count).max() ?? 0
    return "Benchmarks:\n" + BenchmarkRegistry.all.map { b in
        let bound = b.serverTargetLatencyNs >= 1_000_000_000 ? "\(b.serverTargetLatencyNs / 1_000_000_000) s"
            : "\(b.serverTargetLatencyNs / 1_000_000) ms"
        let server = b.generative.map {
            "Server p99 TTFT ≤ \($0.serverTTFTLatencyNs / 1_000_000) ms, TPOT ≤ \($0.serverTPOTLatencyNs / 1_000_000) ms"
        } ?? "Server p99 ≤ \(bound)"
        return "  " + b.name + String(repeating: " ", count: width - b.name.count + 2)
            + "\(b.area), \(server)\(b.performanceOnly ? ", performance only" : "")"
    }.joined(separator: "\n")
}

import ArgumentParser
import Benchmarks
import Foundation
import LoadGen
import MLLog
import ONNXRuntime
import Serving
import Submission

extension RunCommand {
    /// `mlperf run BENCH` for a generative benchmark (translation): `GenerativeSUT` over the benchmark's generators,
    /// one per worker; settings calibrated on a short untimed generation; Server judged on token latencies (TTFT,
    /// TPOT) unless a conf file sets `use_token_latencies`; serving.json adds tokens per second.
    func runGenerative(bench: Benchmark, generative: GenerativeServing, scenario scen: TestScenario,
                       settings requested: TestSettings, outDir: String, confNotes: [String],
                       confSets: (String) -> Bool) throws {
        var settings = requested
        let testMode = settings.mode
        let environment = ProcessInfo.processInfo.environment
        let modelPath = try model ?? bench.defaultModel(environment: environment)
        Console.err("loading ONNX Runtime …")
        let runtime = try ORTRuntime(environment: environment)
        let sessionOptions = ORTSessionOptions(intraOpThreads: threads,
                                               graphOptimization: .init(rawValue: graphOptimization)!)
        let data = try bench.inferenceData(dataDirectory: dataDir, modelPath: modelPath)
        let queued = scen == .offline || scen == .server
        let workerCount = queued ? (workers ?? 1) : 1
        let generators = try generative.makeGenerators(runtime, modelPath, sessionOptions, data, workerCount)

        if !confSets("target_latency") { settings.serverTargetLatencyNs = bench.serverTargetLatencyNs }

        var calibration: GenerativeCalibration?
        if testMode == .performanceOnly {
            let needed = ((scen == .singleStream || scen == .multiStream) && overrides.expectedLatencyNs == nil
                          && !confSets("target_latency"))
                || ((scen == .offline || scen == .server) && overrides.targetQps == nil && !confSets("target_qps"))
            if needed {
                Console.err("calibrating (untimed) …")
                let c = try GenerativeCalibration.measure(generator: generators[0], sampleCount: data.qsl.totalSampleCount)
                calibration = c
                let perQuery = UInt64(max(1, settings.multiStreamSamplesPerQuery))
                switch scen {
                case .singleStream: settings.singleStreamExpectedLatencyNs = c.meanSampleLatencyNs
                case .multiStream: settings.multiStreamExpectedLatencyNs = c.meanSampleLatencyNs * perQuery
                // As for tensor models: doubled so a run faster than the calibration still lasts min_duration.
                case .offline: settings.offlineExpectedQPS = c.throughput * Double(workerCount) * 2
                // Headroom for the queueing that TTFT counts (a sample waits behind whole translations).
                case .server: settings.serverTargetQPS = max(0.1, (c.throughput * Double(workerCount) * 0.3).rounded(toPlaces: 1))
                }
            }
        }
        overrides.apply(to: &settings)

        let sut = GenerativeSUT(generators: generators, queued: queued, name: "SwiftMLPerf-ORT-greedy")
        let cancel = CancellationFlag()
        let pending = UncheckedBox(sut)
        Interrupt.install(cancel, onCancel: { pending.value.discardPending() })
        let line = Console.ProgressLine()
        let options = try runOptions(outDir: outDir, benchmark: bench.name, cancel: cancel, line: line, notes: confNotes)
        Console.err("running \(bench.name) \(scen.rawValue) \(testMode.rawValue) with \(sut.name) (greedy decoding, "
                    + "\(workerCount) worker(s), ORT \(runtime.version), \(threads) intra-op thread(s)"
                    + "\(settings.useTokenLatencies && scen == .server ? ", token latencies" : "")) …")
        // `serve` drops what is still queued when LoadGen stops waiting: those tokens would inflate tokens per second.
        let result = try serve(sut, qsl: data.qsl, settings: settings, options: options, outDir: outDir, line: line)

        let report = GenerativeServingReport(benchmark: bench, modelPath: modelPath, runtime: runtime,
                                             options: sessionOptions, scenario: scen, mode: testMode, sut: sut,
                                             workers: workerCount, calibration: calibration, result: result)
        try report.json().write(toFile: outDir + "/serving.json", atomically: true, encoding: .utf8)

        try printOutcome(result, outDir: outDir, oneLine: report.oneLine, serving: "the SUT, tokens per second",
                         error: sut.firstError)
    }
}

/// `serving.json` of a generative run: what served it, and tokens per second beside samples per second.
struct GenerativeServingReport {
    let benchmark: Benchmark
    let modelPath: String
    let runtime: ORTRuntime
    let options: ORTSessionOptions
    let scenario: TestScenario
    let mode: TestMode
    let sut: GenerativeSUT
    let workers: Int
    let calibration: GenerativeCalibration?
    let result: TestResult

    /// Samples and output tokens per second over the performance run: from the start of the run to the completion
    /// of the last sample (LoadGen's own clock); nil in accuracy mode.
    var rates: (samples: Double, tokens: Double)? {
        guard let p = result.performance, p.finalQueryAllSamplesDoneTimeNs > 0 else { return nil }
        let seconds = Double(p.finalQueryAllSamplesDoneTimeNs) / 1e9
        // LoadGen's own count where it keeps one (token-latency runs); else the SUT's, of the samples it completed.
        let tokens = result.settings.useTokenLatencies ? Double(p.tokenCount) : Double(sut.tokensGenerated)
        return (Double(p.sampleCount) / seconds, tokens / seconds)
    }

    func json() -> String {
        var fields: [JSONField] = [
            JSONField("benchmark", .string(benchmark.name)),
            JSONField("label", .string(benchmark.label)),
            JSONField("model", .string(modelPath)),
            JSONField("scenario", .string(scenario.rawValue)),
            JSONField("mode", .string(mode.rawValue)),
            JSONField("sut_name", .string(sut.name)),
            JSONField("onnxruntime", .object([
                JSONField("version", .string(runtime.version)),
                JSONField("library", .string(runtime.libraryPath)),
                JSONField("intra_op_threads", .int(Int64(options.intraOpThreads))),
                JSONField("graph_optimization", .string(options.graphOptimization.rawValue)),
            ])),
            JSONField("workers", .int(Int64(workers))),
            JSONField("samples_run", .int(Int64(sut.statistics.samples))),
            JSONField("tokens_generated", .int(Int64(sut.tokensGenerated))),
            JSONField("token_latencies", .bool(result.settings.useTokenLatencies)),
            JSONField("result", .string(result.performance == nil ? "ACCURACY RUN" : (result.isValid ? "VALID" : "INVALID"))),
        ]
        if let r = rates {
            fields.append(JSONField("samples_per_second", .double(r.samples)))
            fields.append(JSONField("tokens_per_second", .double(r.tokens)))
        }
        if let c = calibration {
            fields.append(JSONField("calibration", .object([
                JSONField("samples", .int(Int64(c.samples))),
                JSONField("mean_sample_latency_ns", .int(Int64(c.meanSampleLatencyNs))),
                JSONField("mean_first_token_ns", .int(Int64(c.meanFirstTokenNs))),
                JSONField("mean_tokens", .double(c.meanTokens)),
                JSONField("samples_per_second", .double(c.throughput)),
            ])))
        }
        return servingJSON(fields, result: result, error: sut.firstError)
    }

    var oneLine: String {
        var s = "\(benchmark.name): \(sut.name), ORT \(runtime.version), \(workers) worker(s), "
            + "\(sut.statistics.samples) samples, \(sut.tokensGenerated) tokens"
        if let r = rates { s += String(format: " (%.1f samples/s, %.1f tokens/s)", r.samples, r.tokens) }
        return s
    }
}

import ArgumentParser
import Datasets
import Foundation
import LoadGen
import MLLog
import ONNXRuntime
import ProjectEnvironment
import Serving
import Benchmarks

/// `mlperf bench inference`: ours (Swift LoadGen + Swift ORT SUT) against the MLPerf reference pattern (the
/// official LoadGen's Python bindings + a Python onnxruntime SUT, bench/ort_reference_sut.py), same model, same
/// machine, same settings, in one invocation.
struct BenchInferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Inference serving: ours vs the MLPerf reference pattern (official LoadGen + Python ORT SUT).",
        discussion: """
        For each benchmark it runs, one after the other, with the same model file, ORT settings, batching and \
        LoadGen settings: Offline (samples/s), SingleStream (90th percentile latency) and Server (the highest \
        VALID target QPS, searched the same way on both sides: double while VALID, then bisect to 5 %). It prints \
        both figures and their ratio, and writes everything to --out (bench.json and both sides' LoadGen logs).

        The expected QPS / latency that size query generation come from a short untimed measurement of the model \
        and are passed to both sides. Goals: Offline ≥ 1.3×, SingleStream p90 ≤ 0.75×, Server peak ≥ 1.5×.

        A benchmark trained here uses the model that `mlperf suite` trained (out/suite/model/NAME.onnx) unless \
        --model names another. Both sides serve the same test set: the Swift QSL's preprocessed tensors are written \
        to OUT/NAME/samples/ and the Python SUT reads them (float32 images, int64 ids or tokens), with the same \
        response encoding.

        Examples:
          mlperf bench inference --benchmark fashion-mnist
          mlperf bench inference --benchmark ncf --scenarios Offline,Server
          mlperf bench inference --benchmark resnet50-perf --duration-ms 10000
        """
    )

    @Option(help: "A registered benchmark, or all.") var benchmark: String = "all"
    @Option(help: "The ONNX model (default: the one `mlperf suite` trained; one benchmark only).") var model: String?
    @Option(help: "resnet50-perf's ONNX model (default: the onnx wheel's).") var resnetModel: String?
    @Option(help: "Scenarios to compare, comma-separated.") var scenarios: String = "Offline,SingleStream,Server"
    @Option(help: "min_duration_ms of every LoadGen run.") var durationMs: UInt64 = 10_000
    @Option(help: "min_query_count of every LoadGen run.") var minQueryCount: UInt64 = 100
    @Option(help: "ORT intra-op threads (both sides).") var threads: Int = 1
    @Option(help: "Offline batch (both sides).") var offlineBatch: Int = 32
    @Option(help: "Server max batch (both sides).") var serverBatch: Int = 8
    @Option(help: "Worker threads for Offline/Server (both sides).") var workers: Int = 1
    @Option(help: "Server: LoadGen runs allowed per side for the peak search (an INVALID probe is confirmed by a second run).") var maxRuns: Int = 10
    @Option(help: "Offline and SingleStream: runs per side, alternating ours and the reference; the medians are compared.")
    var repeats: Int = 3
    @Option(help: "Server: peak searches per side, alternating ours and the reference; the medians are compared and the spread reported.")
    var serverRepeats: Int = 1
    /// Server runs set min_query_count ≥ target QPS × duration × this, on both sides, so that the generated
    /// schedule spans the minimum duration with margin. (Both LoadGens generate the same schedule: e.g. 1982
    /// queries at 1000 QPS for 2 s with min_query_count 1, both VALID.)
    @Option(help: "Server: min_query_count ≥ target QPS × duration × this factor (both sides).") var serverQueryFactor: Double = 1.02
    @Option(help: "Server peak criterion: valid (LoadGen's verdict) or latency (LoadGen's perf constraint only: p99 within the bound; early stopping and min duration not required, for slow models where early stopping would need minutes per run).")
    var peakCriterion: String = "valid"
    @Option(help: "The reference script.") var referenceScript: String = "bench/ort_reference_sut.py"
    @Flag(help: "Feed synthetic inputs on both sides (same compute; for machines without the dataset wiring).") var synthetic = false
    @Option(help: "Output directory.") var out: String = "out/bench/inference"

    func validate() throws {
        if benchmark != "all" { _ = try BenchmarkRegistry.require(benchmark) }
        guard peakCriterion == "valid" || peakCriterion == "latency" else {
            throw ValidationError("--peak-criterion must be valid or latency")
        }
        for s in scenarioList where TestScenario(name: s) == nil || TestScenario(name: s) == .multiStream {
            throw ValidationError("--scenarios takes Offline, SingleStream and Server, got `\(s)`")
        }
    }

    private var scenarioList: [String] { scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard FileManager.default.fileExists(atPath: referenceScript) else {
            throw ValidationError("reference script \(referenceScript) not found: run from the repository root or pass --reference-script")
        }
        // `all`: every benchmark whose responses the Python reference SUT can produce.
        let benches = benchmark == "all"
            ? BenchmarkRegistry.all.filter(Self.referenceSUTServes)
            : [try BenchmarkRegistry.require(benchmark)]
        if model != nil && benches.count > 1 {
            throw ValidationError("--model names one model: give --benchmark too")
        }
        let models = try benches.map { bench in
            try (bench.builtInModel != nil ? resnetModel : model) ?? bench.defaultModel(environment: environment)
        }
        let runtime = try ORTRuntime(environment: environment)
        var rows: [Row] = []
        var json: [JSONValue] = []
        for (bench, modelPath) in zip(benches, models) {
            let r = try benchmarkOne(bench, modelPath: modelPath, runtime: runtime, environment: environment)
            rows += r.rows
            json.append(r.json)
        }
        print("")
        print("Inference serving: ours (Swift LoadGen + Swift ORT SUT) vs MLPerf reference pattern (official LoadGen "
              + "Python bindings + Python ORT SUT); ORT \(runtime.version), \(threads) intra-op thread(s)")
        print(Row.header)
        for row in rows { print(row.line) }
        let doc = JSONValue.object([
            JSONField("onnxruntime", .string(runtime.version)),
            JSONField("intra_op_threads", .int(Int64(threads))),
            JSONField("duration_ms", .int(Int64(durationMs))),
            JSONField("benchmarks", .array(json)),
        ])
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try (JSONWriter().pretty(doc) + "\n").write(toFile: out + "/bench.json", atomically: true, encoding: .utf8)
        print("Details: \(out)/bench.json; LoadGen logs under \(out)/<benchmark>/{ours,reference}/")
    }

    struct Row {
        var benchmark: String, scenario: String, metric: String, ours: String, reference: String, ratio: String, goal: String
        static let header = pad("benchmark", 15) + pad("scenario", 14) + pad("metric", 22) + pad("ours", 14)
            + pad("reference", 14) + pad("ratio", 8) + "goal"
        var line: String {
            Row.pad(benchmark, 15) + Row.pad(scenario, 14) + Row.pad(metric, 22) + Row.pad(ours, 14)
                + Row.pad(reference, 14) + Row.pad(ratio, 8) + goal
        }
        static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    }

    /// Whether bench/ort_reference_sut.py makes this benchmark's responses: raw outputs (argmax, scores), and the
    /// CenterNet and greedy CTC post-processing (the PyTorch references' own `decode`, `greedy_decode`); not DB's
    /// (text-detection).
    static func referenceSUTServes(_ bench: Benchmark) -> Bool {
        if bench.generative != nil { return false }  // served by generators, not as one tensor model
        if case .postprocessed(let f) = bench.contract.response { return f.name.hasPrefix("centernet-") || f.name == "ctc-greedy" }
        return true
    }

    private func benchmarkOne(_ bench: Benchmark, modelPath: String, runtime: ORTRuntime,
                              environment: [String: String]) throws -> (rows: [Row], json: JSONValue) {
        if bench.generative != nil { throw ServingError.notTensorServed(benchmark: bench.name) }
        let options = ORTSessionOptions(intraOpThreads: threads)
        let classifier = try bench.loadModel(runtime: runtime, path: modelPath, options: options)
        let data = try benchData(bench, modelPath: modelPath)
        if case .postprocessed(let f) = bench.contract.response, !Self.referenceSUTServes(bench) {
            throw ValidationError("\(bench.name): its responses come from post-processing (\(f.name)) that the Python "
                                  + "reference SUT does not implement; bench inference compares raw-output, CenterNet and CTC benchmarks")
        }
        let samples = synthetic || bench.builtInModel != nil ? nil
            : try writeSamples(data, model: classifier, dir: "\(out)/\(bench.name)/samples")
        let indices = Array(0..<min(1024, data.qsl.performanceSampleCount))  // a realistic working set
        try data.qsl.loadSamplesToRAM(indices)
        let calOffline = try Calibration.measure(model: classifier, provider: data.provider, loaded: indices, batch: offlineBatch)
        try data.qsl.unloadSamplesFromRAM(indices)
        Console.err("\(bench.name): one sample \(calOffline.singleSampleLatencyNs / 1000) µs; batch \(calOffline.batch): "
                    + "\(Int(calOffline.throughput)) samples/s (untimed calibration)")
        let base = "\(out)/\(bench.name)"
        var rows: [Row] = []
        var fields: [JSONField] = [JSONField("benchmark", .string(bench.name)), JSONField("model", .string(modelPath)),
                                   JSONField("calibration_samples_per_second", .double(calOffline.throughput)),
                                   JSONField("calibration_latency_ns", .int(Int64(calOffline.singleSampleLatencyNs)))]
        for name in scenarioList {
            let scen = TestScenario(name: name)!
            var settings = TestSettings()
            settings.scenario = scen
            settings.mode = .performanceOnly
            settings.minDurationMs = durationMs
            settings.minQueryCount = minQueryCount
            settings.serverTargetLatencyNs = bench.serverTargetLatencyNs
            settings.singleStreamExpectedLatencyNs = calOffline.singleSampleLatencyNs
            settings.offlineExpectedQPS = calOffline.throughput * Double(workers)
            settings.performanceSampleCountOverride = UInt64(data.qsl.performanceSampleCount)
            var configuration = ServingConfiguration.defaults(for: scen)
            configuration.workers = workers
            if scen == .offline { configuration.maxBatch = offlineBatch }
            if scen == .server { configuration.maxBatch = serverBatch }
            let refArgs = ["--scenario", scen.rawValue, "--batch", "\(configuration.maxBatch)",
                           "--workers", "\(configuration.workers)", "--max-wait-us", "\(configuration.maxWaitMicroseconds)",
                           "--expected-qps", "\(settings.offlineExpectedQPS)",
                           "--expected-latency-ns", "\(settings.singleStreamExpectedLatencyNs)",
                           "--target-latency-ns", "\(settings.serverTargetLatencyNs)"]
            switch scen {
            case .offline, .singleStream:
                // Alternate ours and the reference `repeats` times and compare medians: one run of each, back to
                // back, swung the Offline ratio between 1.25× and 1.5× on this shared VM.
                var oursValues: [Double] = [], refValues: [Double] = []
                var oursValid: [Bool] = [], refValid: [Bool] = []
                let offline = scen == .offline
                for i in 0..<max(1, repeats) {
                    let tag = repeats > 1 ? "\(scen.rawValue)-\(i + 1)" : scen.rawValue
                    Console.err("\(bench.name) \(scen.rawValue): ours (\(i + 1)/\(max(1, repeats))) …")
                    let ours = try runOurs(classifier, data, settings, configuration, dir: "\(base)/ours/\(tag)")
                    Console.err("\(bench.name) \(scen.rawValue): reference (\(i + 1)/\(max(1, repeats))) …")
                    let ref = try runReference(bench, modelPath: modelPath, data: data, samples: samples, args: refArgs,
                                               dir: "\(base)/reference/\(tag)",
                                               environment: environment).last ?? [:]
                    let p = ours.performance!
                    oursValues.append(offline ? p.samplesPerSecond : Double(p.sampleLatency.value(at: 0.90) ?? 0))
                    refValues.append(offline ? ref["result_samples_per_second"] as? Double ?? 0
                                             : (ref["result_90.00_percentile_latency_ns"] as? NSNumber)?.doubleValue ?? 0)
                    oursValid.append(ours.isValid)
                    refValid.append(ref["valid"] as? Bool ?? false)
                    Console.err("  ours \(offline ? inferenceFmt(oursValues.last!) + " samples/s" : inferenceFmtNs(oursValues.last!)), "
                                + "reference \(offline ? inferenceFmt(refValues.last!) + " samples/s" : inferenceFmtNs(refValues.last!))")
                }
                let oursMedian = median(oursValues), refMedian = median(refValues)
                let runs: [JSONField] = [
                    JSONField("repeats", .int(Int64(oursValues.count))),
                    JSONField("ours_runs", .array(oursValues.map { .double($0) })),
                    JSONField("reference_runs", .array(refValues.map { .double($0) })),
                    JSONField("ours_valid", .bool(oursValid.allSatisfy { $0 })),
                    JSONField("reference_valid", .bool(refValid.allSatisfy { $0 }))]
                if offline {
                    rows.append(Row(benchmark: bench.name, scenario: "Offline", metric: "samples/s",
                                    ours: inferenceFmt(oursMedian), reference: inferenceFmt(refMedian),
                                    ratio: inferenceRatio(oursMedian, refMedian), goal: "≥ 1.30×"))
                    fields.append(JSONField("offline", .object([
                        JSONField("ours_samples_per_second", .double(oursMedian)),
                        JSONField("reference_samples_per_second", .double(refMedian)),
                        JSONField("batch", .int(Int64(configuration.maxBatch)))] + runs)))
                } else {
                    rows.append(Row(benchmark: bench.name, scenario: "SingleStream", metric: "p90 latency",
                                    ours: inferenceFmtNs(oursMedian), reference: inferenceFmtNs(refMedian),
                                    ratio: inferenceRatio(oursMedian, refMedian), goal: "≤ 0.75×"))
                    fields.append(JSONField("single_stream", .object([
                        JSONField("ours_p90_ns", .double(oursMedian)),
                        JSONField("reference_p90_ns", .double(refMedian))] + runs)))
                }
            case .server:
                // Both sides search from the same calibrated start; each search confirms an INVALID probe before
                // believing it, and with --server-repeats the searches alternate and the medians are compared.
                let start = max(1, (calOffline.throughput * 0.25).rounded(toPlaces: 1))
                var oursPeaks: [Double] = [], refPeaks: [Double] = []
                var oursRuns: [JSONValue] = []
                for repeatIndex in 0..<max(serverRepeats, 1) {
                    let tag = serverRepeats > 1 ? "-r\(repeatIndex + 1)" : ""
                    Console.err("\(bench.name) Server: ours, peak search from \(start) QPS …")
                    let oursPeak = try PeakSearch.run(start: start, maxRuns: maxRuns) { qps in
                        var s = settings
                        s.serverTargetQPS = qps
                        s.minQueryCount = max(minQueryCount, UInt64(qps * Double(durationMs) / 1000 * serverQueryFactor))
                        let r = try runOurs(classifier, data, s, configuration, dir: "\(base)/ours/Server\(tag)-qps-\(qps)")
                        let p99 = r.performance?.sampleLatency.value(at: 0.99) ?? 0
                        Console.err("  ours \(inferenceFmt(qps)) QPS: \(r.isValid ? "VALID" : "INVALID") (p99 \(inferenceFmtNs(Double(p99))), "
                                    + "bound \(inferenceFmtNs(Double(bench.serverTargetLatencyNs))))")
                        let latencyOK = r.performance?.perfConstraintsMet ?? false
                        oursRuns.append(.object([JSONField("target_qps", .double(qps)), JSONField("valid", .bool(r.isValid)),
                                                 JSONField("latency_ok", .bool(latencyOK)), JSONField("p99_ns", .int(p99))]))
                        return peakCriterion == "latency" ? latencyOK : r.isValid
                    }
                    Console.err("\(bench.name) Server: reference, same search …")
                    let searchArgs = refArgs + ["--find-peak", "\(start)", "--max-runs", "\(maxRuns)", "--peak-criterion", peakCriterion,
                                                "--server-min-queries-factor", "\(serverQueryFactor)"]
                    let refLines = try runReference(bench, modelPath: modelPath, data: data, samples: samples,
                                                    args: searchArgs,
                                                    dir: "\(base)/reference\(tag)",
                                                    environment: environment)
                    let refPeakOnce = refLines.last?["peak_valid_qps"] as? Double ?? 0
                    for line in refLines.dropLast() {
                        let q = line["target_qps"] as? Double ?? 0
                        let p99 = (line["result_99.00_percentile_latency_ns"] as? NSNumber)?.doubleValue ?? 0
                        Console.err("  reference \(inferenceFmt(q)) QPS: \((line["valid"] as? Bool ?? false) ? "VALID" : "INVALID") (p99 \(inferenceFmtNs(p99)))")
                    }
                    oursPeaks.append(oursPeak.peak)
                    refPeaks.append(refPeakOnce)
                }
                let oursPeak = (peak: median(oursPeaks), runs: oursRuns)
                let refPeak = median(refPeaks)
                if serverRepeats > 1 {
                    Console.err("  Server peaks over \(serverRepeats) searches: ours \(oursPeaks.map(inferenceFmt).joined(separator: ", ")); "
                                + "reference \(refPeaks.map(inferenceFmt).joined(separator: ", "))")
                }
                rows.append(Row(benchmark: bench.name, scenario: "Server",
                                metric: peakCriterion == "latency" ? "peak QPS (p99≤bound)" : "peak valid QPS",
                                ours: inferenceFmt(oursPeak.peak), reference: inferenceFmt(refPeak), ratio: inferenceRatio(oursPeak.peak, refPeak),
                                goal: "≥ 1.50×"))
                fields.append(JSONField("server", .object([
                    JSONField("ours_peak_valid_qps", .double(oursPeak.peak)), JSONField("ours_runs", .array(oursRuns)),
                    JSONField("reference_peak_valid_qps", .double(refPeak)),
                    JSONField("ours_peaks", .array(oursPeaks.map { .double($0) })),
                    JSONField("reference_peaks", .array(refPeaks.map { .double($0) })),
                    JSONField("start_qps", .double(start)),
                    JSONField("latency_bound_ns", .int(Int64(bench.serverTargetLatencyNs))),
                    JSONField("peak_criterion", .string(peakCriterion)),
                    JSONField("max_batch", .int(Int64(configuration.maxBatch)))])))
            case .multiStream:
                break
            }
        }
        return (rows, .object(fields))
    }

    private func benchData(_ bench: Benchmark, modelPath: String) throws -> SyntheticOrReal {
        if synthetic {
            guard bench.contract.inputs.count == 1, bench.contract.inputs[0].elementType == .float32,
                  let shape = bench.contract.inputs[0].sampleShape else {
                throw ValidationError("--synthetic needs a benchmark with one float32 input; \(bench.name) has \(bench.contract.description)")
            }
            let qsl = SyntheticQSL(name: "\(bench.name)-synthetic", sampleShape: shape,
                                   totalSampleCount: 10_000, performanceSampleCount: 10_000)
            return SyntheticOrReal(qsl: qsl, provider: qsl)
        }
        let data = try bench.inferenceData(modelPath: modelPath)
        return SyntheticOrReal(qsl: data.qsl, provider: try data.tensors(benchmark: bench.name))
    }

    /// The samples both sides serve.
    struct SyntheticOrReal {
        let qsl: any QuerySampleLibrary
        let provider: any SampleProvider
    }

    private func runOurs(_ model: ServedModel, _ data: SyntheticOrReal, _ settings: TestSettings,
                         _ configuration: ServingConfiguration, dir: String) throws -> TestResult {
        let sut = try ORTSUT.make(scenario: settings.scenario, model: model, provider: data.provider,
                                  configuration: configuration, name: "SwiftMLPerf-ORT")
        var options = RunOptions(log: LogSettings(outputDirectory: dir))
        options.auditConfigPath = nil
        let result = try LoadGen.run(sut: sut, qsl: data.qsl, settings: settings, options: options)
        sut.shutdown()
        if let error = sut.firstError { throw ServingError.inferenceFailed("\(error)") }
        return result
    }

    /// Writes the QSL's preprocessed samples (every input, all samples, the bytes the Swift SUT feeds ORT) and a
    /// manifest for the Python reference SUT; returns the manifest's path.
    private func writeSamples(_ data: SyntheticOrReal, model: ServedModel, dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let count = data.qsl.totalSampleCount
        let all = Array(0..<count)
        try data.qsl.loadSamplesToRAM(all)
        defer { try? data.qsl.unloadSamplesFromRAM(all) }
        var inputs: [[String: Any]] = []
        for (k, info) in model.inputs.enumerated() {
            let n = model.inputByteCounts[k]
            var bytes = [UInt8](repeating: 0, count: n * count)
            bytes.withUnsafeMutableBytes { dst in
                for i in 0..<count { (dst.baseAddress! + i * n).copyMemory(from: data.provider.sample(i, input: k), byteCount: n) }
            }
            let file = "input\(k).bin"  // the manifest keeps the tensor's name; names may hold "/" or ":"
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + file))
            let dtype: String
            switch info.elementType {
            case .float32: dtype = "<f4"
            case .int64: dtype = "<i8"
            case .int32: dtype = "<i4"
            default: throw ValidationError("bench inference: input \(info.name) is \(info.elementType), not float32/int32/int64")
            }
            inputs.append(["name": info.name, "dtype": dtype, "sample_shape": model.sampleShapes[k], "file": file])
        }
        let manifest: [String: Any] = ["count": count, "inputs": inputs, "response": model.contract.response.name]
        let path = dir + "/manifest.json"
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs the reference script; returns its JSON lines.
    private func runReference(_ bench: Benchmark, modelPath: String, data: SyntheticOrReal, samples: String?,
                              args: [String], dir: String,
                              environment: [String: String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = [try PythonPackages.interpreter(environment: environment), referenceScript,
                         "--benchmark", bench.name, "--model", modelPath, "--threads", "\(threads)",
                         "--duration-ms", "\(durationMs)", "--min-query-count", "\(minQueryCount)", "--out", dir] + args
        if let samples {
            arguments += ["--samples", samples]
        } else {
            // Synthetic inputs (or resnet50-perf's): the reference makes its own, as many as our QSL holds.
            arguments += (synthetic ? ["--synthetic"] : []) + ["--total-samples", "\(data.qsl.totalSampleCount)",
                                                               "--performance-samples", "\(data.qsl.performanceSampleCount)"]
        }
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("the reference script failed (exit \(process.terminationStatus)): \(arguments.joined(separator: " "))")
        }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}

private func inferenceFmt(_ v: Double) -> String { v >= 100 ? String(format: "%.0f", v) : String(format: "%.2f", v) }
private func inferenceFmtNs(_ ns: Double) -> String { ns >= 1e6 ? String(format: "%.2f ms", ns / 1e6) : String(format: "%.1f µs", ns / 1e3) }
private func inferenceRatio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2f×", a / b) : "n/a" }

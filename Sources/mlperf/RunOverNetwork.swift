import ArgumentParser
import Benchmarks
import Foundation
import LoadGen
import MLLog
import NetworkSUT
import Serving

extension RunCommand {
    /// `mlperf run BENCH --sut kserve-v2:URL`: the benchmark's QSL and response encoding, a KServe v2 server's model.
    func runOverNetwork(bench: Benchmark, scenario scen: TestScenario, settings requested: TestSettings,
                        address: SUTAddress, outDir: String, notes: [String], confSets: (String) -> Bool) throws {
        if bench.generative != nil { throw ServingError.notTensorServed(benchmark: bench.name) }
        var settings = requested
        let testMode = settings.mode
        let environment = ProcessInfo.processInfo.environment
        // Files beside the model (e.g. sentiment's vocabulary) still come from the local model when there is one.
        let modelPath = model ?? (try? bench.defaultModel(environment: environment)) ?? ""
        let data = try bench.inferenceData(dataDirectory: dataDir, modelPath: modelPath)
        let samplesPerRequest: Int
        switch scen {
        case .singleStream, .server: samplesPerRequest = 1
        case .multiStream: samplesPerRequest = max(1, Int(settings.multiStreamSamplesPerQuery))
        case .offline: samplesPerRequest = batch ?? 32
        }
        if !confSets("target_latency") { settings.serverTargetLatencyNs = bench.serverTargetLatencyNs }
        Console.err("connecting to \(address.baseURL) (KServe v2, model \(address.model ?? "")) …")
        let sut = try KServeV2SUT(address: address, contract: bench.contract, provider: data.tensors(benchmark: bench.name),
                                  configuration: network.configuration, maxBatch: samplesPerRequest)
        defer { sut.shutdown() }

        var calibration: [JSONField] = []
        if testMode == .performanceOnly {
            let needed = ((scen == .singleStream || scen == .multiStream) && overrides.expectedLatencyNs == nil
                            && !confSets("target_latency"))
                || ((scen == .offline || scen == .server) && overrides.targetQps == nil && !confSets("target_qps"))
            if needed {
                Console.err("calibrating over the network (untimed) …")
                let indices = Array(0..<min(256, data.qsl.performanceSampleCount))
                try data.qsl.loadSamplesToRAM(indices)
                defer { try? data.qsl.unloadSamplesFromRAM(indices) }
                _ = try sut.measureLatency(loaded: indices, batch: samplesPerRequest, requests: 4)  // warm-up
                let latency = try sut.measureLatency(loaded: indices, batch: samplesPerRequest, requests: 16)
                calibration = [JSONField("calibration_request_latency_ns", .int(Int64(latency))),
                               JSONField("calibration_samples_per_request", .int(Int64(samplesPerRequest)))]
                let perSecond = Double(samplesPerRequest) * 1e9 / Double(max(latency, 1))
                switch scen {
                case .singleStream: settings.singleStreamExpectedLatencyNs = latency
                case .multiStream: settings.multiStreamExpectedLatencyNs = latency
                // Requests overlap in flight, so a run may beat the sequential figure: doubled, as in process.
                case .offline: settings.offlineExpectedQPS = perSecond * 2
                // Headroom below the sequential rate: the server may serve one request at a time.
                case .server: settings.serverTargetQPS = (perSecond * 0.5).rounded(toPlaces: 1)
                }
            }
        }
        overrides.apply(to: &settings)

        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let line = Console.ProgressLine()
        var options = try runOptions(outDir: outDir, benchmark: bench.name, cancel: cancel, line: line, notes: notes)
        options.completionTimeoutNs = (network.requestTimeoutMs + 5_000) * 1_000_000
        Console.err("running \(bench.name) \(scen.rawValue) \(testMode.rawValue) with \(sut.name) at \(sut.inferURL) "
                    + "(\(samplesPerRequest) sample(s) per request, ≤ \(network.connections) connections) …")
        let result = try LoadGen.run(sut: sut, qsl: data.qsl, settings: settings, options: options)
        line.finish()
        sut.shutdown()
        try writeNetworkReport(to: outDir + "/network.json", address: address, sutName: sut.name,
                               extra: [JSONField("benchmark", .string(bench.name)),
                                       JSONField("scenario", .string(scen.rawValue)),
                                       JSONField("infer_url", .string(sut.inferURL)),
                                       JSONField("samples_per_request", .int(Int64(samplesPerRequest))),
                                       JSONField("server_model_metadata", .string(sut.serverMetadata))] + calibration,
                               log: sut.log, configuration: network.configuration, result: result)
        try finishNetworkRun(result, log: sut.log, outDir: outDir, quiet: quiet)
    }
}

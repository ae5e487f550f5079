import ArgumentParser
import Foundation
import LoadGen
import MLLog
import NetworkSUT

/// `mlperf loadgen --sut openai:URL`: the prompts and what each request asks for.
struct OpenAIRunOptions: ParsableArguments {
    @Option(help: "OpenAI SUT: the prompts: a file (JSON Lines with `prompt` and optional `max_tokens`, or one prompt per line), or synthetic:<input words min-max>:<output tokens min-max>[:<count>].")
    var dataset: String = "synthetic:16-64:16-32:256"
    @Option(help: "OpenAI SUT: completions | chat.") var endpoint: String = "completions"
    @Flag(help: "OpenAI SUT: do not stream (no TTFT or TPOT; latency is the whole request's).") var noStream = false
    @Flag(help: "OpenAI SUT: send ignore_eos (vLLM, llama.cpp) so that every response runs to max_tokens.") var ignoreEos = false
    @Option(help: "OpenAI SUT: max_tokens for prompt-file lines without one.") var maxTokens: Int = 16
    @Option(help: "OpenAI SUT: seed of the synthetic prompts.") var seed: UInt64 = 1
    @Option(help: "Server TTFT bound in ms (server_ttft_latency; default: mlperf.conf's for --model, else LoadGen's 100).") var ttftMs: Double?
    @Option(help: "Server TPOT bound in ms (server_tpot_latency; default as --ttft-ms).") var tpotMs: Double?

    func check() throws {
        guard OpenAIEndpoint(rawValue: endpoint) != nil else {
            throw ValidationError("--endpoint must be completions or chat, got `\(endpoint)`")
        }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        if dataset.hasPrefix("synthetic:") { _ = try synthetic() }
        for (name, v) in [("--ttft-ms", ttftMs), ("--tpot-ms", tpotMs)] where (v ?? 1) <= 0 {
            throw ValidationError("\(name) must be positive")
        }
    }

    /// `synthetic:16-64:16-32[:256]` → the ranges and the count.
    func synthetic() throws -> (ClosedRange<Int>, ClosedRange<Int>, Int) {
        let f = dataset.dropFirst("synthetic:".count).split(separator: ":", omittingEmptySubsequences: false)
        func range(_ s: Substring) -> ClosedRange<Int>? {
            let p = s.split(separator: "-", omittingEmptySubsequences: false)
            guard p.count <= 2, let lo = Int(p[0]), let hi = p.count == 2 ? Int(p[1]) : lo, lo >= 1, hi >= lo else { return nil }
            return lo...hi
        }
        guard f.count == 2 || f.count == 3, let input = range(f[0]), let output = range(f[1]),
              let count = f.count == 3 ? Int(f[2]) : 256, count >= 1 else {
            throw ValidationError("--dataset \(dataset): expected synthetic:<input words min-max>:<output tokens min-max>"
                                  + "[:<count>], e.g. synthetic:16-64:16-32:256 (all ≥ 1)")
        }
        return (input, output, count)
    }

    func prompts() throws -> PromptSet {
        if dataset.hasPrefix("synthetic:") {
            let (input, output, count) = try synthetic()
            return PromptSet.synthetic(count: count, inputWords: input, outputTokens: output, seed: seed)
        }
        return try PromptSet.load(path: dataset, defaultMaxTokens: maxTokens)
    }
}

extension LoadGenCommand {
    func runOpenAI(settings requested: TestSettings, address: SUTAddress) throws {
        var settings = requested
        let prompts = try llm.prompts()
        let options = OpenAIOptions(model: model!, endpoint: OpenAIEndpoint(rawValue: llm.endpoint)!, stream: !llm.noStream,
                                    ignoreEOS: llm.ignoreEos)
        Console.err("connecting to \(address.baseURL) (OpenAI API, model \(options.model)) …")
        let sut = try OpenAISUT(address: address, prompts: prompts, options: options, configuration: network.configuration)
        defer { sut.shutdown() }
        settings.useTokenLatencies = options.stream
        if let v = llm.ttftMs { settings.serverTTFTLatency = UInt64(v * 1e6) }
        if let v = llm.tpotMs { settings.serverTPOTLatency = UInt64(v * 1e6) }

        var calibration: [JSONField] = []
        let scen = settings.scenario
        if settings.mode == .performanceOnly || settings.mode == .submissionRun {
            let needed = ((scen == .singleStream || scen == .multiStream) && overrides.expectedLatencyNs == nil)
                || ((scen == .offline || scen == .server) && overrides.targetQps == nil)
            if needed {
                Console.err("calibrating over the network (untimed) …")
                let latency = try sut.measureLatency(requests: 3)
                calibration = [JSONField("calibration_request_latency_ns", .int(Int64(latency)))]
                let perSecond = 1e9 / Double(max(latency, 1))
                switch scen {
                case .singleStream: settings.singleStreamExpectedLatencyNs = latency
                case .multiStream: settings.multiStreamExpectedLatencyNs = latency * settings.multiStreamSamplesPerQuery
                case .offline: settings.offlineExpectedQPS = perSecond * 2
                case .server: settings.serverTargetQPS = (perSecond * 0.5 * 10).rounded() / 10
                }
            }
        }
        overrides.apply(to: &settings)
        if let v = maxDurationMs { settings.maxDurationMs = v }

        let cancel = CancellationFlag()
        Interrupt.install(cancel)
        let line = Console.ProgressLine()
        let runOptions = runOptions(cancel: cancel, line: line, watchdogNs: (network.requestTimeoutMs + 5_000) * 1_000_000)
        Console.err("running \(scen.rawValue) with \(sut.name) at \(sut.url): \(prompts.origin) …")
        let result = try LoadGen.run(sut: sut, qsl: prompts, settings: settings, options: runOptions)
        line.finish()
        sut.shutdown()
        let goodput = sut.log.goodput(ttftBoundNs: settings.serverTTFTLatency, tpotBoundNs: settings.serverTPOTLatency)
        try writeNetworkReport(
            to: out + "/network.json", address: address, sutName: sut.name,
            extra: [JSONField("model", .string(options.model)), JSONField("endpoint", .string(sut.url)),
                    JSONField("stream", .bool(options.stream)), JSONField("ignore_eos", .bool(options.ignoreEOS)),
                    JSONField("prompts", .string(prompts.origin)), JSONField("scenario", .string(scen.rawValue)),
                    JSONField("goodput", goodput)] + calibration,
            log: sut.log, configuration: network.configuration, result: result)
        try finishNetworkRun(result, log: sut.log, outDir: out, quiet: quiet)
    }
}

import ArgumentParser
import Foundation
import LoadGen
import NetworkSUT

/// `mlperf bench serving`: our OpenAI-API client and the serving tools people use, against the same real server and
/// the same prompt lengths, at fixed Poisson request rates; then each client's own ceiling against a load sink.
struct BenchServingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serving",
        abstract: "OpenAI-API load: ours vs aiperf and guidellm, same server, same rates, side by side.",
        usage: "mlperf bench serving [<options>]",
        discussion: """
        Starts llama-cpp-python's OpenAI-compatible server with the tiny random-weight Llama that set-up writes \
        (data/generated/tiny-llama; its outputs are meaningless, its serving cost is real), then at each \
        --rates request rate (Poisson arrivals) sends --requests streamed completions of --input-words words \
        and --output-tokens tokens (ignore_eos) with each client: ours (LoadGen's Server scenario over the \
        network SUT) and each peer. Reported per client, as each reports them: the achieved request rate, p50 \
        and p99 TTFT and TPOT (aiperf: inter-token latency; guidellm: time per output token). Ours measures TTFT \
        and TPOT from each request's scheduled time (LoadGen's rule), the peers from when they sent it.

        Then each client's ceiling: the highest request rate it generates against a load sink that answers at \
        once (an in-process SwiftNIO responder, not an inference server), asked for --ceiling-rate.

        Peers come from scripts/setup_peers.sh (their own environments under .venv-peers/, PyPI aiperf and \
        guidellm, never the project's .venv); a peer that is not installed is reported as missing.

        Examples:
          mlperf bench serving
          mlperf bench serving --rates 2,4,8,16 --requests 200
          mlperf bench serving --peers aiperf --rates 4
        """
    )

    @Option(help: "Request rates (requests/s, Poisson), comma-separated.") var rates: String = "2,4,8"
    @Option(help: "Requests per rate and client.") var requests: Int = 100
    @Option(help: "Prompt length in words (≈ tokens of the tiny model).") var inputWords: Int = 16
    @Option(help: "Output tokens per request (max_tokens, ignore_eos).") var outputTokens: Int = 8
    @Option(help: "Peers to run: aiperf, guidellm (comma-separated), or none.") var peers: String = "aiperf,guidellm"
    @Option(help: "Where the peers' environments are.") var peersDir: String = ".venv-peers"
    @Option(help: "Ceiling runs: the rate asked of each client (requests/s).") var ceilingRate: Double = 100_000
    @Option(help: "Ceiling runs: requests for ours (the peers send --ceiling-peer-requests).") var ceilingRequests: Int = 20_000
    @Option(help: "Ceiling runs: requests for each peer.") var ceilingPeerRequests: Int = 2_000
    @Option(help: "llama.cpp threads of the server.") var serverThreads: Int = 1
    @Option(help: "Where to write bench_serving.json and the runs' logs.") var out: String = "out/bench-serving"

    func validate() throws {
        guard !parsedRates.isEmpty, parsedRates.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--rates must be positive numbers, e.g. 2,4,8")
        }
        guard requests >= 2, inputWords >= 1, outputTokens >= 2, ceilingRequests >= 2, ceilingPeerRequests >= 2 else {
            throw ValidationError("--requests, --ceiling-requests and --ceiling-peer-requests must be ≥ 2, --input-words ≥ 1, "
                                  + "--output-tokens ≥ 2")
        }
        for p in peerList where !["aiperf", "guidellm"].contains(p) {
            throw ValidationError("unknown peer `\(p)`: aiperf, guidellm or none")
        }
    }

    var parsedRates: [Double] { rates.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
    var peerList: [String] { peers == "none" ? [] : peers.split(separator: ",").map { String($0) } }

    /// One client's figures at one rate (nil: not reported by that client).
    struct Row {
        var client: String
        var configured: Double
        var achieved: Double?
        var ttftP50: Double?, ttftP99: Double?, tpotP50: Double?, tpotP99: Double?
        /// Ours: the send rate over the rate LoadGen's seeded Poisson schedule asked for (the realised schedule of n
        /// requests differs from the configured rate by ~1/√n; this ratio is the client's own dispatch accuracy).
        var vsSchedule: Double?
        var failed: Int = 0
        var note = ""
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let root = FileManager.default.currentDirectoryPath
        let python = try projectPython()
        let modelDir = root + "/data/generated/tiny-llama"
        guard FileManager.default.fileExists(atPath: modelDir + "/model.gguf") else {
            throw ValidationError("\(modelDir)/model.gguf is missing: run scripts/setup.sh")
        }
        Console.out("Serving benchmark: OpenAI-API clients side by side. Machine: \(machineDescription())")
        Console.err("starting llama-cpp-python's server (tiny random-weight Llama) …")
        let server = try LocalServer(executable: python, arguments: [
            root + "/references/servers/llama_server.py", "--model", modelDir + "/model.gguf", "--name", "tiny-llama",
            "--threads", "\(serverThreads)"], logPath: out + "/llama-server.log")
        defer { server.stop() }
        Console.out("Server: \(server.url) (llama-cpp-python 0.3.36, tiny-llama: 2 layers, dim 64, random weights); "
                    + "prompts \(inputWords) words, \(outputTokens) output tokens, \(requests) requests per rate")

        var rows: [Row] = []
        for rate in parsedRates {
            rows.append(try ours(url: server.url, model: "tiny-llama", rate: rate, count: requests, tag: "rate-\(rate)"))
            for p in peerList {
                rows.append(peer(p, url: server.url, model: "tiny-llama", tokenizer: modelDir, rate: rate, count: requests,
                                 tag: "rate-\(rate)"))
            }
            printTable(rows.filter { $0.configured == rate }, title: "\(rate) requests/s (Poisson)")
        }

        Console.err("ceiling runs against the load sink …")
        let sink = try InstantOpenAIServer(tokens: 2, threads: 1)
        defer { sink.stop() }
        var ceilings: [Row] = [try ours(url: sink.url, model: sink.model, rate: ceilingRate, count: ceilingRequests, tag: "ceiling")]
        for p in peerList {
            ceilings.append(peer(p, url: sink.url, model: sink.model, tokenizer: modelDir, rate: ceilingRate,
                                 count: ceilingPeerRequests, tag: "ceiling"))
        }
        printTable(ceilings, title: "ceiling: asked for \(Int(ceilingRate)) requests/s of a load sink that answers at once")
        let best = ceilings.dropFirst().compactMap(\.achieved).max()
        if let ourCeiling = ceilings.first?.achieved, let best, best > 0 {
            Console.out(String(format: "Our ceiling / best peer's: %.1f× (goal ≥ 10×)", ourCeiling / best))
        }
        try writeReport(rows: rows, ceilings: ceilings)
        Console.out("Report: \(out)/bench_serving.json")
    }

    /// Our client: LoadGen's Server scenario at `rate` over the OpenAI SUT, exactly `count` requests.
    func ours(url: String, model: String, rate: Double, count: Int, tag: String) throws -> Row {
        let prompts = PromptSet.synthetic(count: count, inputWords: inputWords...inputWords,
                                          outputTokens: outputTokens...outputTokens, seed: 1)
        let sut = try OpenAISUT(address: SUTAddress(networkProtocol: .openai, baseURL: url, model: nil), prompts: prompts,
                                options: OpenAIOptions(model: model, ignoreEOS: true),
                                configuration: NetworkClientConfiguration(maxConnections: 256))
        defer { sut.shutdown() }
        var s = TestSettings()
        s.scenario = .server
        s.serverTargetQPS = rate
        s.minQueryCount = UInt64(count)
        s.maxQueryCount = UInt64(count)
        s.minDurationMs = 0
        s.useTokenLatencies = true
        s.serverTTFTLatency = 60_000_000_000
        s.serverTPOTLatency = 60_000_000_000
        var options = RunOptions(log: LogSettings(outputDirectory: "\(out)/ours-\(tag)"))
        options.completionTimeoutNs = 130_000_000_000
        let result = try LoadGen.run(sut: sut, qsl: prompts, settings: s, options: options)
        let records = sut.log.all.filter { !$0.failed }
        var row = Row(client: "ours", configured: rate)
        row.failed = sut.log.all.count - records.count
        let sends = records.map(\.sentNs).sorted()
        if sends.count > 1, let first = sends.first, let last = sends.last, last > first {
            row.achieved = Double(sends.count - 1) * 1e9 / Double(last - first)
        }
        if let p = result.performance, let achieved = row.achieved, p.scheduledSamplesPerSecond > 0 {
            row.vsSchedule = achieved / p.scheduledSamplesPerSecond
        }
        if let p = result.performance, let ttft = p.ttft, let tpot = p.tpot, ttft.count > 0 {
            let i50 = LatencyStats.reportedPercentiles.firstIndex(of: 0.5)!, i99 = LatencyStats.reportedPercentiles.firstIndex(of: 0.99)!
            row.ttftP50 = Double(ttft.percentiles[i50]) / 1e6
            row.ttftP99 = Double(ttft.percentiles[i99]) / 1e6
            row.tpotP50 = Double(tpot.percentiles[i50]) / 1e6
            row.tpotP99 = Double(tpot.percentiles[i99]) / 1e6
        }
        row.note = "send rate; TTFT/TPOT from scheduled time"
        return row
    }

    /// A peer tool at `rate` for `count` requests, its figures read from its own JSON report.
    func peer(_ name: String, url: String, model: String, tokenizer: String, rate: Double, count: Int, tag: String) -> Row {
        var row = Row(client: name, configured: rate)
        let exe = "\(peersDir)/\(name)/bin/\(name)"
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            row.note = "not installed (\(exe)): run scripts/setup_peers.sh"
            return row
        }
        let dir = "\(out)/\(name)-\(tag)"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let argv: [String]
        switch name {
        case "aiperf":
            argv = [exe, "profile", "--model-names", model, "--url", url, "--endpoint-type", "completions", "--streaming",
                    "--tokenizer", tokenizer, "--request-rate", "\(rate)", "--request-count", "\(count)",
                    "--synthetic-input-tokens-mean", "\(inputWords)", "--synthetic-input-tokens-stddev", "0",
                    "--output-tokens-mean", "\(outputTokens)", "--output-tokens-stddev", "0", "--extra-inputs",
                    "ignore_eos:true", "--random-seed", "1", "--artifact-dir", dir, "--ui-type", "none"]
        default:
            argv = [exe, "benchmark", "--target", url + "/v1", "--model", model, "--processor", tokenizer,
                    "--rate-type", "poisson", "--rate", "\(rate)", "--max-requests", "\(count)",
                    "--data", "prompt_tokens=\(inputWords),output_tokens=\(outputTokens)", "--random-seed", "1",
                    "--output-path", dir + "/benchmarks.json"]
        }
        let run: ChildResult
        // guidellm: no hub lookups. aiperf refuses a local tokenizer folder under HF_HUB_OFFLINE (it validates the
        // path as a repo id), and reads the local folder without it.
        let env = name == "guidellm" ? ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"] : [:]
        do { run = try runChild(argv, environment: env) } catch {
            row.note = "did not start: \(error)"
            return row
        }
        do {
            if name == "aiperf" {
                let j = try jsonObject(dir + "/profile_export_aiperf.json")
                row.achieved = (j["request_throughput"] as? [String: Any])?["avg"] as? Double
                let ttft = j["time_to_first_token"] as? [String: Any], itl = j["inter_token_latency"] as? [String: Any]
                row.ttftP50 = ttft?["p50"] as? Double; row.ttftP99 = ttft?["p99"] as? Double
                row.tpotP50 = itl?["p50"] as? Double; row.tpotP99 = itl?["p99"] as? Double
                row.note = "completed/duration; TTFT and ITL from send"
            } else {
                let j = try jsonObject(dir + "/benchmarks.json")
                let b = (j["benchmarks"] as? [[String: Any]])?.first ?? [:]
                let m = b["metrics"] as? [String: Any] ?? [:]
                func pct(_ metric: String, _ p: String) -> Double? {
                    (((m[metric] as? [String: Any])?["successful"] as? [String: Any])?["percentiles"] as? [String: Any])?[p] as? Double
                }
                row.achieved = ((m["requests_per_second"] as? [String: Any])?["successful"] as? [String: Any])?["mean"] as? Double
                row.ttftP50 = pct("time_to_first_token_ms", "p50"); row.ttftP99 = pct("time_to_first_token_ms", "p99")
                row.tpotP50 = pct("time_per_output_token_ms", "p50"); row.tpotP99 = pct("time_per_output_token_ms", "p99")
                row.note = "requests/s; TTFT and TPOT from send"
            }
        } catch {
            row.note = "exit \(run.status), no report (\(error)); its log is in \(dir)"
        }
        if run.status != 0 && row.achieved == nil { row.note = "exit \(run.status); see \(dir)" }
        return row
    }

    func jsonObject(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let j = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw ValidationError("\(path): not a JSON object") }
        return j
    }

    func printTable(_ rows: [Row], title: String) {
        func f(_ v: Double?, _ digits: Int = 2) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "—" }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        Console.out("\n\(title)")
        Console.out("  " + pad("client", 10) + pad("achieved/s", 12) + pad("vs asked", 10) + pad("vs sched", 10)
                    + pad("TTFT p50", 10) + pad("p99", 10) + pad("TPOT p50", 10) + pad("p99", 10) + "notes")
        for r in rows {
            let ratio = r.achieved.map { String(format: "%+.1f%%", ($0 / r.configured - 1) * 100) } ?? "—"
            let sched = r.vsSchedule.map { String(format: "%+.2f%%", ($0 - 1) * 100) } ?? "—"
            Console.out("  " + pad(r.client, 10) + pad(f(r.achieved, 1), 12) + pad(ratio, 10) + pad(sched, 10) + pad(f(r.ttftP50), 10)
                        + pad(f(r.ttftP99), 10) + pad(f(r.tpotP50, 3), 10) + pad(f(r.tpotP99, 3), 10)
                        + (r.failed > 0 ? "\(r.failed) failed; " : "") + r.note)
        }
    }

    func writeReport(rows: [Row], ceilings: [Row]) throws {
        func obj(_ r: Row) -> [String: Any] {
            var d: [String: Any] = ["client": r.client, "configured_rps": r.configured, "failed": r.failed, "note": r.note]
            if let v = r.achieved { d["achieved_rps"] = v }
            if let v = r.vsSchedule { d["achieved_over_scheduled"] = v }
            if let v = r.ttftP50 { d["ttft_p50_ms"] = v }
            if let v = r.ttftP99 { d["ttft_p99_ms"] = v }
            if let v = r.tpotP50 { d["tpot_p50_ms"] = v }
            if let v = r.tpotP99 { d["tpot_p99_ms"] = v }
            return d
        }
        let report: [String: Any] = [
            "machine": machineDescription(), "server": "llama-cpp-python 0.3.36 server, tiny-llama (random weights)",
            "input_words": inputWords, "output_tokens": outputTokens, "requests_per_rate": requests,
            "rates": rows.map(obj), "ceilings": ceilings.map(obj),
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: out + "/bench_serving.json"))
    }
}

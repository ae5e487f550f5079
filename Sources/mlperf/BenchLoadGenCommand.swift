import ArgumentParser
import Foundation

/// `mlperf bench loadgen`: ours and the official LoadGen (PyPI mlcommons-loadgen through bench/loadgen_baseline.py),
/// null SUT, same settings, same machine, one invocation. Each run is a process of its own (peak memory per run).
struct BenchLoadGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "LoadGen speed: ours vs the official LoadGen, null SUT, side by side.",
        usage: "mlperf bench loadgen [<options>]",
        discussion: """
        Measures, for both implementations: Server — the highest VALID target QPS on a ladder; Offline — \
        samples/s and peak memory per sample; SingleStream — p90 latency; and ours' issue lag at 100k QPS in \
        Server. Writes bench_loadgen.json into --out.

        Goals (issue #2): Server ≥ 1,000,000 QPS VALID; Offline ≥ 40M samples/s and ≤ 48 B/sample; SingleStream \
        p90 ≤ 200 ns; issue-lag p99 ≤ 10 µs at 100k QPS.

        Examples:
          mlperf bench loadgen
          mlperf bench loadgen --skip-official --duration-ms 2000
        """
    )

    @Option(help: "min_duration_ms of each Server and SingleStream run.") var durationMs: Int = 10000
    @Option(help: "Offline query size in samples (both implementations).") var offlineSamples: Int = 10_000_000
    @Option(help: "Our Server QPS ladder.") var oursLadder: String = "500000,1000000,2000000,3000000,4000000"
    @Option(help: "The official LoadGen's Server QPS ladder.") var officialLadder: String = "40000,60000,80000,100000,120000"
    @Option(help: "Python with mlcommons-loadgen (default: the project's environment .venv, or $MLPERF_PYTHON).") var python: String?
    @Option(help: "The official null-SUT driver.") var baselineScript: String = "bench/loadgen_baseline.py"
    @Flag(help: "Only run ours.") var skipOfficial = false
    @Option(help: "min_duration_ms of each CPU-measurement run (sleep SUT).") var cpuDurationMs: Int = 3000
    @Option(help: "Where to write bench_loadgen.json and the runs' logs.") var out: String = "out/bench-loadgen"

    func run() throws {
        // The official wheel runs in the project's Python; --skip-official needs none.
        let py = skipOfficial ? "" : try projectPython(python)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var report: [String: Any] = ["machine": machineDescription()]
        func say(_ s: String) { Console.out(s) }
        say("LoadGen benchmark: ours vs official (null SUT). Machine: \(machineDescription())")

        // 1. Server: highest VALID target QPS.
        say("\n[1/5] Server, null SUT, \(durationMs) ms per run: highest VALID target QPS")
        var oursBest = 0.0
        for q in parseLadder(oursLadder) {
            let r = try ours(["--scenario", "Server", "--target-qps", "\(q)", "--duration-ms", "\(durationMs)"], tag: "server-\(Int(q))")
            let valid = r.json["result"] as? String == "VALID"
            say("  ours     \(pad(Int(q))) QPS: \(valid ? "VALID  " : "INVALID") p99 \(latency(r.json, "p99.00")) ns  completed \(Int(figure(r.json, "completed_samples_per_second")))/s")
            if valid { oursBest = q } else { break }
        }
        var officialBest = 0.0
        if !skipOfficial {
            for q in parseLadder(officialLadder) {
                let r = try official(py, ["--scenario", "Server", "--target-qps", "\(q)", "--duration-ms", "\(durationMs)", "--no-trace"])
                let valid = r.fields["validity"] == "VALID"
                say("  official \(pad(Int(q))) QPS: \(valid ? "VALID  " : "INVALID") p99 \(r.fields["p99_ns"] ?? "?") ns  completed \(r.fields["completed_qps"] ?? "?")/s")
                if valid { officialBest = q } else { break }
            }
        }
        report["server_highest_valid_qps"] = ["ours": oursBest, "official": officialBest]

        // 2. Offline: samples/s and bytes per sample.
        say("\n[2/5] Offline, null SUT, one query of \(offlineSamples) samples")
        let qps = Double(offlineSamples) / 11.0  // 1.1 × 10 s × qps = the query size, as the official sizes it
        let small = max(offlineSamples / 100, 1000)
        let smallQPS = Double(small) / 11.0
        let o = try ours(["--scenario", "Offline", "--target-qps", "\(qps)", "--duration-ms", "10000"], tag: "offline")
        let o0 = try ours(["--scenario", "Offline", "--target-qps", "\(smallQPS)", "--duration-ms", "10000"], tag: "offline-small")
        let oursRate = figure(o.json, "samples_per_second")
        let oursBytes = Double(o.rssKB - o0.rssKB) * 1024 / Double(offlineSamples - small)
        say("  ours     \(Int(oursRate)) samples/s, peak RSS \(o.rssKB / 1024) MB (\(String(format: "%.1f", oursBytes)) B/sample), wall \(String(format: "%.1f", o.wall)) s")
        var offRate = 0.0, offBytes = 0.0
        if !skipOfficial {
            let f = try official(py, ["--scenario", "Offline", "--target-qps", "\(qps)", "--duration-ms", "10000", "--no-trace"])
            let f0 = try official(py, ["--scenario", "Offline", "--target-qps", "\(smallQPS)", "--duration-ms", "10000", "--no-trace"])
            offRate = Double(f.fields["samples_per_s"] ?? "") ?? 0
            offBytes = Double(f.rssKB - f0.rssKB) * 1024 / Double(offlineSamples - small)
            say("  official \(Int(offRate)) samples/s, peak RSS \(f.rssKB / 1024) MB (\(String(format: "%.1f", offBytes)) B/sample), wall \(String(format: "%.1f", f.wall)) s")
        }
        report["offline"] = ["ours_samples_per_s": oursRate, "official_samples_per_s": offRate,
                             "ours_bytes_per_sample": oursBytes, "official_bytes_per_sample": offBytes]

        // 3. SingleStream p90.
        say("\n[3/5] SingleStream, null SUT, \(min(durationMs, 1000)) ms: p90 latency")
        // A null-SUT query takes < 100 ns here: 1 s at 50 ns expected latency pre-generates 40M queries (~1 GB).
        let ssDuration = min(durationMs, 1000)
        let s = try ours(["--scenario", "SingleStream", "--expected-latency-ns", "50", "--duration-ms", "\(ssDuration)"], tag: "singlestream")
        let oursP90 = latency(s.json, "p90.00")
        say("  ours     p90 \(oursP90) ns, \(Int(figure(s.json, "qps_with_loadgen_overhead"))) queries/s with LoadGen overhead (\(s.json["result"] as? String ?? "?"))")
        var offP90 = 0.0
        if !skipOfficial {
            let f = try official(py, ["--scenario", "SingleStream", "--expected-latency-ns", "5000", "--duration-ms", "\(ssDuration)", "--no-trace"])
            offP90 = Double(f.fields["p90_ns"] ?? "") ?? 0
            say("  official p90 \(Int(offP90)) ns, \(f.fields["qps_w_lg"] ?? "?") queries/s with LoadGen overhead (\(f.fields["validity"] ?? "?"))")
        }
        report["singlestream_p90_ns"] = ["ours": oursP90, "official": offP90]

        // 4. Issue lag at 100k QPS.
        say("\n[4/5] Server at 100,000 QPS: our issue lag (actual − scheduled issue time)")
        let l = try ours(["--scenario", "Server", "--target-qps", "100000", "--duration-ms", "\(durationMs)"], tag: "server-100k")
        let lag = l.json["issue_lag_ns"] as? [String: Any] ?? [:]
        let lag99 = (lag["p99.00"] as? NSNumber)?.int64Value ?? -1
        say("  ours     issue lag p50 \((lag["p50.00"] as? NSNumber)?.int64Value ?? -1) ns, p99 \(lag99) ns, max \((lag["max"] as? NSNumber)?.int64Value ?? -1) ns (\(l.json["result"] as? String ?? "?"))")
        report["server_100k_issue_lag_ns"] = lag

        // 5. CPU: the same sleep SUT (1 ms per sample, 2 workers) in every scenario, process CPU seconds each.
        say("\n[5/5] CPU seconds per run, sleep SUT (1 ms per sample, 2 worker threads), \(cpuDurationMs) ms: "
            + "the whole process (LoadGen + its SUT; the official side's SUT is Python threads)")
        var cpu: [String: [String: Double]] = [:]
        for (scenario, extra) in [("SingleStream", ["--expected-latency-ns", "1000000"]),
                                  ("MultiStream", ["--expected-latency-ns", "4000000"]),
                                  ("Offline", ["--target-qps", "2000"]), ("Server", ["--target-qps", "1000"])] {
            let args = ["--scenario", scenario, "--duration-ms", "\(cpuDurationMs)", "--min-query-count", "100"] + extra
            let o = try ours(args + ["--sut", "sleep:1000x2"], tag: "cpu-\(scenario)", sut: nil)
            var row = ["ours": o.cpu]
            var line = "  \(scenario.padding(toLength: 13, withPad: " ", startingAt: 0)) ours \(String(format: "%.2f", o.cpu)) s"
            if !skipOfficial {
                let f = try official(py, args + ["--sut", "sleep", "--sleep-us", "1000", "--workers", "2", "--no-trace"])
                row["official"] = f.cpu
                line += "   official \(String(format: "%.2f", f.cpu)) s   \(ratio(o.cpu, f.cpu))"
            }
            cpu[scenario] = row
            say(line)
        }
        report["cpu_seconds_sleep_sut"] = cpu

        say("\nSummary (ours / official, ratio):")
        say("  Server highest VALID QPS   \(Int(oursBest)) / \(Int(officialBest))  \(ratio(oursBest, officialBest))   goal ≥ 1,000,000")
        say("  Offline samples/s          \(Int(oursRate)) / \(Int(offRate))  \(ratio(oursRate, offRate))   goal ≥ 40,000,000")
        say("  Offline bytes/sample       \(String(format: "%.1f", oursBytes)) / \(String(format: "%.1f", offBytes))  \(ratio(oursBytes, offBytes))   goal ≤ 48")
        say("  SingleStream p90 (ns)      \(oursP90) / \(Int(offP90))  \(ratio(Double(oursP90), offP90))   goal ≤ 200")
        say("  Server 100k issue lag p99  \(lag99) ns   goal ≤ 10,000 ns")
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: out + "/bench_loadgen.json"))
        say("Wrote \(out)/bench_loadgen.json")
    }

    struct OursRun { var json: [String: Any]; var rssKB: Int; var wall: Double; var cpu: Double }
    struct OfficialRun { var fields: [String: String]; var rssKB: Int; var wall: Double; var cpu: Double }

    /// Runs our LoadGen in a process of its own (`sut`: the built-in SUT, or nil when `args` name one).
    func ours(_ args: [String], tag: String, sut: String? = "null") throws -> OursRun {
        let dir = out + "/" + tag
        let r = try runChild([selfExecutablePath(), "loadgen", "--quiet", "--out", dir] + (sut.map { ["--sut", $0] } ?? []) + args)
        guard r.status == 0, let data = FileManager.default.contents(atPath: dir + "/results.json"),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ChildError("our LoadGen run failed (exit \(r.status)): \(args.joined(separator: " "))")
        }
        return OursRun(json: json, rssKB: r.maxRSSKB, wall: r.wallSeconds, cpu: r.cpuSeconds)
    }

    func official(_ py: String, _ args: [String]) throws -> OfficialRun {
        guard FileManager.default.fileExists(atPath: baselineScript) else {
            throw ChildError("\(baselineScript) not found: run from the repository root, or pass --baseline-script")
        }
        let r = try runChild([py, baselineScript] + args)
        guard r.status == 0, let line = r.stdout.split(separator: "\n").last(where: { $0.contains("validity=") }) else {
            throw ChildError("the official LoadGen run failed (exit \(r.status)); is mlcommons-loadgen installed for \(py)? (pip install mlcommons-loadgen)")
        }
        var fields: [String: String] = [:]
        for kv in line.split(separator: " ") {
            if let eq = kv.firstIndex(of: "=") { fields[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
        }
        return OfficialRun(fields: fields, rssKB: r.maxRSSKB, wall: r.wallSeconds, cpu: r.cpuSeconds)
    }
}

func parseLadder(_ s: String) -> [Double] { s.split(separator: ",").compactMap { Double($0) } }
func pad(_ v: Int) -> String { let s = "\(v)"; return String(repeating: " ", count: max(0, 9 - s.count)) + s }
func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2f×", a / b) : "n/a" }
func figure(_ json: [String: Any], _ key: String) -> Double {
    ((json["figures"] as? [String: Any])?[key] as? NSNumber)?.doubleValue ?? 0
}
func latency(_ json: [String: Any], _ key: String) -> Int64 {
    ((json["latency_ns"] as? [String: Any])?[key] as? NSNumber)?.int64Value ?? -1
}
func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
        .first { $0.hasPrefix("model name") }?.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
    return "\(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpu)), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
}

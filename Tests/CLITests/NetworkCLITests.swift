import Foundation
import NetworkSUT
import TestSupport
import Testing

/// Real servers on loopback ports, started by the tests (never a hand-written mock of a protocol): MLServer with the
/// project's ONNX Runtime runtime (KServe v2), llama-cpp-python's OpenAI-compatible server running a tiny
/// random-weight Llama; and, only for faults no real server produces on demand, the fault-injecting stand-in.
enum Servers {
    static let root = FileManager.default.currentDirectoryPath

    static func start(_ script: String, _ arguments: [String], log: String) throws -> LocalServer {
        try LocalServer(executable: "/usr/bin/env", arguments: [Python.project, root + "/references/servers/" + script]
                            + arguments, logPath: log)
    }

    /// MLServer serving `model` as `name`.
    static func mlserver(model: String, name: String = "fashion-mnist", dir: String) throws -> LocalServer {
        try start("mlserver_onnx.py", ["--model", model, "--name", name], log: dir + "/mlserver.log")
    }

    /// llama-cpp-python's server with the tiny random-weight model that set-up wrote (served as `tiny-llama`).
    static func llama(dir: String) throws -> LocalServer {
        try start("llama_server.py", ["--model", root + "/data/generated/tiny-llama/model.gguf", "--name", "tiny-llama"],
                  log: dir + "/llama.log")
    }

    /// The FAULT-INJECTING STAND-IN (references/servers/fault_server.py): healthy pre-run checks, then `fault`.
    static func faulty(_ fault: String, dir: String) throws -> LocalServer {
        try start("fault_server.py", ["--fault", fault], log: dir + "/fault-\(fault).log")
    }

    /// A fashion-mnist-shaped ONNX model (input [N,1,28,28] → logits [N,10], seeded random weights) where the suite
    /// puts its model, so in-process and network runs serve the same file.
    static func fashionModel(in dir: String) throws -> String {
        let modelDir = dir + "/out/suite/model"
        try FileManager.default.createDirectory(atPath: modelDir, withIntermediateDirectories: true)
        try Python.run("""
        import sys, numpy as np, onnx
        from onnx import helper, numpy_helper, TensorProto
        W = numpy_helper.from_array(np.random.default_rng(3).standard_normal((784, 10)).astype(np.float32), "W")
        shape = numpy_helper.from_array(np.array([-1, 784], dtype=np.int64), "shape")
        g = helper.make_graph([helper.make_node("Reshape", ["input", "shape"], ["flat"]),
                               helper.make_node("MatMul", ["flat", "W"], ["logits"])], "fm",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [W, shape])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
        onnx.save(m, sys.argv[1])
        """, arguments: [modelDir + "/fashion-mnist.onnx"], interpreter: Python.project)
        return modelDir + "/fashion-mnist.onnx"
    }

    /// A user.conf for short test runs: the reported percentile of every scenario at 90 (early stopping then needs
    /// 64 queries instead of 662 at the default 99th).
    static func shortRunConf(in dir: String) throws -> String {
        let path = dir + "/short.conf"
        try "*.MultiStream.target_latency_percentile = 90\n*.Server.target_latency_percentile = 90\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// `qsl_idx → data` of an accuracy log.
    static func accuracyLog(_ path: String) throws -> [Int: String] {
        let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]] ?? []
        var out: [Int: String] = [:]
        for e in entries { out[e["qsl_idx"] as? Int ?? -1] = e["data"] as? String }
        return out
    }
}

@Suite("network SUTs against real servers", .serialized)
struct NetworkCLITests {
    @Test("mlperf run fashion-mnist --sut kserve-v2 (MLServer): VALID in all four scenarios; accuracy mode logs what the in-process run logs")
    func kserveFashionMNIST() throws {
        let dir = try Scratch.directory("net-kserve").path
        let model = try Servers.fashionModel(in: dir)
        let server = try Servers.mlserver(model: model, dir: dir)
        defer { server.stop() }
        let sut = "kserve-v2:\(server.url)/fashion-mnist"
        let conf = try Servers.shortRunConf(in: dir)
        for scenario in ["SingleStream", "MultiStream", "Server", "Offline"] {
            var args = ["run", "fashion-mnist", "--scenario", scenario, "--sut", sut, "--conf", conf, "--duration-ms", "2000",
                        "--min-query-count", "64", "--out", "perf-\(scenario)", "--quiet"]
            // A Python server on a 2-core machine shared with the client and other tests: a low rate and a loose bound
            // (what is tested is the protocol and the run, not the server's tail latency).
            if scenario == "Server" { args += ["--target-qps", "20", "--latency-ns", "500000000"] }
            let r = try CLI.run(args, in: dir)
            #expect(r.status == 0, "\(scenario): \(r.stdout)\n\(r.stderr)")
            let summary = try String(contentsOfFile: "\(dir)/perf-\(scenario)/mlperf_log_summary.txt", encoding: .utf8)
            #expect(summary.contains("Result is : VALID"), "\(scenario): \(summary)")
            #expect(summary.contains("SUT name : KServe-v2-fashion-mnist"))
            let network = try Servers.json("\(dir)/perf-\(scenario)/network.json")
            let requests = network["requests"] as? [String: Any] ?? [:]
            #expect(requests["failed_requests"] as? Int == 0 && (requests["requests"] as? Int ?? 0) >= 64, "\(requests)")
            #expect(requests["connection_wait_ms"] is [String: Any] && requests["server_time_ms"] is [String: Any])
            if scenario == "Offline" {
                #expect((requests["samples"] as? Int ?? 0) > (requests["requests"] as? Int ?? 0) * 16,
                        "Offline sends --batch (32) samples per request")
            }
        }
        // Accuracy: the same model in process and behind MLServer gives the same response for every sample.
        let local = try CLI.run(["run", "fashion-mnist", "--scenario", "Offline", "--mode", "accuracy", "--out", "acc-local",
                                 "--quiet"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        let remote = try CLI.run(["run", "fashion-mnist", "--scenario", "Offline", "--mode", "accuracy", "--sut", sut,
                                  "--out", "acc-remote", "--quiet"], in: dir)
        #expect(remote.status == 0, "\(remote.stderr)")
        let a = try Servers.accuracyLog(dir + "/acc-local/mlperf_log_accuracy.json")
        let b = try Servers.accuracyLog(dir + "/acc-remote/mlperf_log_accuracy.json")
        #expect(a.count == 10_000 && a == b, "\(a.count) local vs \(b.count) remote responses")
    }

    @Test("KServe v2 faults: unreachable, unknown model, error statuses, malformed or foreign responses, a stall, a server killed mid-run — each a clear error or an INVALID run with the reason and complete logs")
    func kserveFaults() throws {
        let dir = try Scratch.directory("net-kserve-faults").path
        _ = try Servers.fashionModel(in: dir)
        func run(_ sut: String, _ extra: [String] = [], out: String) throws -> Subprocess.Output {
            try CLI.run(["run", "fashion-mnist", "--scenario", "SingleStream", "--sut", sut, "--duration-ms", "300",
                         "--min-query-count", "4", "--expected-latency-ns", "1000000", "--out", out, "--quiet"] + extra, in: dir)
        }
        // Nothing listens: refused before the run, one line naming the URL.
        let refused = try run("kserve-v2:http://127.0.0.1:9/fashion-mnist", out: "refused")
        #expect(refused.status != 0 && refused.stderr.contains("http://127.0.0.1:9/v2/health/ready: the server did not answer"),
                "\(refused.stderr)")
        #expect(refused.stderr.contains("connection refused"), "\(refused.stderr)")

        for (fault, reason, extra) in [("http500", "HTTP 500", [String]()), ("http400", "HTTP 400", []),
                                       ("malformed-json", "not a JSON object", []),
                                       ("wrong-id", "response for an unknown request", []),
                                       ("wrong-shape", "has 7 values a sample", []),
                                       ("stall", "read timeout", ["--read-timeout-ms", "300"])] {
            let server = try Servers.faulty(fault, dir: dir)
            defer { server.stop() }
            let t0 = Date()
            let r = try run("kserve-v2:\(server.url)/fashion-mnist", extra, out: fault)
            #expect(Date().timeIntervalSince(t0) < 30, "\(fault): no hang")
            #expect(r.status == 1, "\(fault): \(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("sut_failures") && r.stdout.contains(reason), "\(fault): \(r.stdout)")
            let summary = try String(contentsOfFile: "\(dir)/\(fault)/mlperf_log_summary.txt", encoding: .utf8)
            #expect(summary.contains("Result is : INVALID"), "\(fault): \(summary)")
            let detail = try String(contentsOfFile: "\(dir)/\(fault)/mlperf_log_detail.txt", encoding: .utf8)
            #expect(detail.contains("The SUT failed") && detail.contains(reason), "\(fault): the detail log has the reason")
            let network = try Servers.json("\(dir)/\(fault)/network.json")
            #expect((network["requests"] as? [String: Any])?["failed_requests"] as? Int ?? 0 > 0)
            #expect(network["result"] as? String == "INVALID")
        }

        // A real server that answers, then dies mid-run: the rest of the run fails fast, logged.
        let model = dir + "/out/suite/model/fashion-mnist.onnx"
        let server = try Servers.mlserver(model: model, dir: dir)
        let unknown = try run("kserve-v2:\(server.url)/no-such-model", out: "unknown-model")
        #expect(unknown.status != 0 && unknown.stderr.contains("no-such-model/ready: HTTP 404"), "\(unknown.stderr)")
        let killer = Thread { Thread.sleep(forTimeInterval: 1.5); server.killNow() }
        killer.start()
        let t0 = Date()
        let r = try CLI.run(["run", "fashion-mnist", "--scenario", "Server", "--sut", "kserve-v2:\(server.url)/fashion-mnist",
                             "--target-qps", "100", "--duration-ms", "4000", "--out", "killed", "--quiet"], in: dir)
        #expect(Date().timeIntervalSince(t0) < 60, "no hang after the server died")
        #expect(r.status == 1 && r.stdout.contains("sut_failures"), "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("Failed requests:"), "\(r.stdout)")
        let summary = try String(contentsOfFile: dir + "/killed/mlperf_log_summary.txt", encoding: .utf8)
        #expect(summary.contains("Result is : INVALID"))
    }

    @Test("mlperf loadgen --sut openai (llama.cpp's server, tiny random-weight model): VALID in all four scenarios with TTFT and TPOT; completions and chat, streamed or not")
    func openAIScenarios() throws {
        let dir = try Scratch.directory("net-openai").path
        let server = try Servers.llama(dir: dir)
        defer { server.stop() }
        let conf = try Servers.shortRunConf(in: dir)
        let base = ["loadgen", "--sut", "openai:\(server.url)", "--model", "tiny-llama", "--dataset", "synthetic:8-24:6-12:64",
                    "--conf", conf, "--ttft-ms", "5000", "--tpot-ms", "500", "--quiet"]
        for scenario in ["SingleStream", "MultiStream", "Server", "Offline"] {
            var args = base + ["--scenario", scenario, "--duration-ms", "1000", "--min-query-count", "64", "--out", scenario]
            if scenario == "Server" { args += ["--target-qps", "4"] }
            let r = try CLI.run(args, in: dir)
            #expect(r.status == 0, "\(scenario): \(r.stdout)\n\(r.stderr)")
            let summary = try String(contentsOfFile: "\(dir)/\(scenario)/mlperf_log_summary.txt", encoding: .utf8)
            #expect(summary.contains("Result is : VALID"), "\(scenario): \(summary)")
            #expect(summary.contains(scenario == "Offline" ? "Tokens per second" : "first token"), "\(scenario): \(summary)")
            let network = try Servers.json("\(dir)/\(scenario)/network.json")
            let requests = network["requests"] as? [String: Any] ?? [:]
            #expect(requests["failed_requests"] as? Int == 0, "\(requests)")
            #expect(requests["token_counts_from"] as? String == "stream chunks", "llama.cpp sends no usage when streaming")
            let tokens = requests["output_tokens"] as? Int ?? 0
            #expect(tokens >= 6 * (requests["requests"] as? Int ?? 0), "every response runs to max_tokens (6-12)")
            #expect(requests["client_ttft_ms"] is [String: Any] && requests["inter_token_latency_ms"] is [String: Any])
            #expect((network["goodput"] as? [String: Any])?["requests_per_second"] is Double)
        }
        // Chat, streamed, and completions without streaming (usage from the response; no token latencies).
        let chat = try CLI.run(base + ["--scenario", "SingleStream", "--endpoint", "chat", "--duration-ms", "500",
                                       "--min-query-count", "64", "--out", "chat"], in: dir)
        #expect(chat.status == 0, "\(chat.stdout)\n\(chat.stderr)")
        let plain = try CLI.run(base + ["--scenario", "SingleStream", "--no-stream", "--duration-ms", "500",
                                        "--min-query-count", "64", "--out", "plain"], in: dir)
        #expect(plain.status == 0, "\(plain.stdout)\n\(plain.stderr)")
        let plainSummary = try String(contentsOfFile: dir + "/plain/mlperf_log_summary.txt", encoding: .utf8)
        #expect(plainSummary.contains("Result is : VALID") && !plainSummary.contains("first token"), "\(plainSummary)")
        // Accuracy mode: every response's text is logged.
        let acc = try CLI.run(base + ["--scenario", "Offline", "--mode", "accuracy", "--out", "acc"], in: dir)
        #expect(acc.status == 0, "\(acc.stderr)")
        let log = try Servers.accuracyLog(dir + "/acc/mlperf_log_accuracy.json")
        #expect(log.count == 64 && log.values.allSatisfy { !$0.isEmpty })
    }

    @Test("OpenAI faults: an unknown model, malformed SSE, a stream cut off, a server killed mid-stream — each a clear error or an INVALID run")
    func openAIFaults() throws {
        let dir = try Scratch.directory("net-openai-faults").path
        func run(_ url: String, model: String = "fault-model", out: String, _ extra: [String] = []) throws -> Subprocess.Output {
            try CLI.run(["loadgen", "--sut", "openai:\(url)", "--model", model, "--dataset", "synthetic:4-8:4-8:16",
                         "--scenario", "SingleStream", "--duration-ms", "300", "--min-query-count", "4",
                         "--expected-latency-ns", "1000000", "--out", out, "--quiet"] + extra, in: dir)
        }
        for (fault, reason) in [("malformed-sse", "not a JSON object"), ("cut-stream", "after 2 chunks"),
                                ("http500", "HTTP 500")] {
            let server = try Servers.faulty(fault, dir: dir)
            defer { server.stop() }
            let r = try run(server.url, out: fault)
            #expect(r.status == 1 && r.stdout.contains("sut_failures") && r.stdout.contains(reason), "\(fault): \(r.stdout)\n\(r.stderr)")
            let summary = try String(contentsOfFile: "\(dir)/\(fault)/mlperf_log_summary.txt", encoding: .utf8)
            #expect(summary.contains("Result is : INVALID"), "\(fault)")
        }
        let server = try Servers.llama(dir: dir)
        let unknown = try run(server.url, model: "gpt-9", out: "unknown")
        #expect(unknown.status != 0 && unknown.stderr.contains("no model `gpt-9`; the server serves tiny-llama"), "\(unknown.stderr)")
        let killer = Thread { Thread.sleep(forTimeInterval: 1.0); server.killNow() }
        killer.start()
        let t0 = Date()
        let r = try CLI.run(["loadgen", "--sut", "openai:\(server.url)", "--model", "tiny-llama", "--dataset",
                             "synthetic:8-16:200-200:32", "--scenario", "Offline", "--min-query-count", "32",
                             "--target-qps", "1", "--out", "killed", "--quiet"], in: dir)
        #expect(Date().timeIntervalSince(t0) < 60, "no hang after the server died")
        #expect(r.status == 1 && r.stdout.contains("sut_failures"), "\(r.stdout)\n\(r.stderr)")
    }
}

import ArgumentParser
import Foundation
import LoadGen
import MLLog
import NetworkSUT

/// The HTTP client's options for `--sut kserve-v2:…` and `--sut openai:…` (shared by `mlperf run` and `mlperf loadgen`).
struct NetworkOptions: ParsableArguments {
    @Option(help: "Network SUTs: most connections to the server at once (requests beyond wait in the client; that wait is reported).")
    var connections: Int = 64
    @Option(help: "Network SUTs: limit to open a connection, in ms.") var connectTimeoutMs: Int64 = 5_000
    @Option(help: "Network SUTs: longest silence from the server before a request fails (a stalled server), in ms.")
    var readTimeoutMs: Int64 = 30_000
    @Option(help: "Network SUTs: longest time for one whole request, in ms.") var requestTimeoutMs: Int64 = 120_000

    var configuration: NetworkClientConfiguration {
        NetworkClientConfiguration(maxConnections: connections, connectTimeoutMs: connectTimeoutMs,
                                   readTimeoutMs: readTimeoutMs, requestTimeoutMs: requestTimeoutMs)
    }

    func check() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        for (name, v) in [("--connect-timeout-ms", connectTimeoutMs), ("--read-timeout-ms", readTimeoutMs),
                          ("--request-timeout-ms", requestTimeoutMs)] where v < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
    }
}

/// `network.json`: what the network SUT did, beside LoadGen's results.json.
func writeNetworkReport(to path: String, address: SUTAddress, sutName: String, extra: [JSONField], log: RequestLog,
                        configuration: NetworkClientConfiguration, result: TestResult) throws {
    let fields: [JSONField] = [
        JSONField("sut", .string(sutName)),
        JSONField("protocol", .string(address.networkProtocol.rawValue)),
        JSONField("base_url", .string(address.baseURL)),
        JSONField("client", .object([
            JSONField("library", .string("AsyncHTTPClient (HTTP/1.1, keep-alive, pooled)")),
            JSONField("max_connections", .int(Int64(configuration.maxConnections))),
            JSONField("connect_timeout_ms", .int(configuration.connectTimeoutMs)),
            JSONField("read_timeout_ms", .int(configuration.readTimeoutMs)),
            JSONField("request_timeout_ms", .int(configuration.requestTimeoutMs)),
        ])),
        JSONField("result", .string(result.performance == nil ? "ACCURACY RUN" : (result.isValid ? "VALID" : "INVALID"))),
    ] + extra + [JSONField("requests", log.summary())]
    try (JSONWriter().pretty(.object(fields)) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// The end of a network run: the summary, why it is INVALID, failed requests by reason, where the logs are; exit 130
/// for an interrupted run, 1 for a run with errors (failed requests among them).
func finishNetworkRun(_ result: TestResult, log: RequestLog, outDir: String, quiet: Bool) throws {
    if !quiet, let s = result.summaryText { print(s, terminator: "") }
    printFailedRules(result)
    let failures = log.failures
    if !failures.isEmpty {
        print("Failed requests: " + failures.sorted { $0.value > $1.value }.map { "\($0.value) × \($0.key)" }.joined(separator: ", "))
    }
    try exitIfNoTest(result, logs: outDir)
    if result.performance == nil {
        print("Accuracy run: \(result.accuracyLoggedSamples) responses logged to \(outDir)/mlperf_log_accuracy.json.")
    }
    print("Logs: \(outDir)/  (results.json: LoadGen's figures and verdict; network.json: the client's view)")
    if result.partial {
        print("PARTIAL: the run was interrupted; the logs hold what finished.")
        throw ExitCode(130)
    }
    if !result.errors.isEmpty { throw ExitCode(1) }
}

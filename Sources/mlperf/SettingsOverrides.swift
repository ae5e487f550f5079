import ArgumentParser
import LoadGen

/// Command-line overrides of LoadGen settings shared by `mlperf loadgen` and `mlperf run`; applied last, after the
/// conf files.
struct SettingsOverrides: ParsableArguments {
    @Option(help: "Override min_duration_ms.") var durationMs: UInt64?
    @Option(help: "Override min_query_count.") var minQueryCount: UInt64?
    @Option(help: "Server: server_target_qps; Offline: offline_expected_qps.") var targetQps: Double?
    @Option(help: "SingleStream/MultiStream: expected latency in ns (sizes query pre-generation).") var expectedLatencyNs: UInt64?
    @Option(help: "Server: latency bound in ns.") var latencyNs: UInt64?

    func apply(to settings: inout TestSettings) {
        if let v = durationMs { settings.minDurationMs = v }
        if let v = minQueryCount { settings.minQueryCount = v }
        if let v = targetQps { settings.serverTargetQPS = v; settings.offlineExpectedQPS = v }
        if let v = expectedLatencyNs { settings.singleStreamExpectedLatencyNs = v; settings.multiStreamExpectedLatencyNs = v }
        if let v = latencyNs { settings.serverTargetLatencyNs = v }
    }
}

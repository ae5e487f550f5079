import Foundation
import MLLog
import Synchronization

/// The client-side timing of every request of a run, recorded when each ends (off LoadGen's path, under a lock:
/// the network stack allocates per request anyway). All times are monotonic ns.
///
/// Components, per request (latency itself is LoadGen's, from the scheduled time):
/// - `encode`: from the SUT receiving the samples to the request body being ready (waiting for a free request
///   slot under `--connections` included: that is the client's queue).
/// - `connection_wait`: from the body being ready to the request head leaving on a connection (the HTTP client's
///   pool and connection set-up), reported on their own, not hidden.
/// - `server_time`: from the request head leaving to the response head arriving.
/// - streaming: TTFT and inter-token latency as the client saw them (first and later content chunks).
public final class RequestLog: Sendable {
    public struct Record: Sendable {
        public var samples: Int
        public var createdNs: UInt64
        public var encodedNs: UInt64
        public var sentNs: UInt64
        /// When the request body had been written (0: unknown; server time then counts from `sentNs`).
        public var bodySentNs: UInt64 = 0

        /// Where server time starts: the end of the upload, unless the response head came first (a server may
        /// answer before the client's write completes, and the HTTP client reports the write after the head), then
        /// the request head.
        var serverStartNs: UInt64 { bodySentNs != 0 && bodySentNs <= headNs ? bodySentNs : sentNs }
        public var headNs: UInt64
        public var doneNs: UInt64
        public var failed: Bool
        /// Streaming: first content chunk (0: none), content chunks, output tokens (from `usage` or counted).
        public var firstChunkNs: UInt64 = 0
        public var chunks: Int = 0
        public var outputTokens: Int = 0
        public var tokensFromUsage = false
        /// Sum of the gaps between consecutive content chunks (ns), for the mean inter-token latency.
        public var interChunkNs: UInt64 = 0
    }

    private let records = Mutex<[Record]>([])
    private let failureReasons = Mutex<[String: Int]>([:])

    public init() {}

    func add(_ r: Record) { records.withLock { $0.append(r) } }

    func addFailure(_ reason: String) {
        // Group by the reason without request-specific numbers (e.g. ids).
        failureReasons.withLock { $0[reason, default: 0] += 1 }
    }

    public var all: [Record] { records.withLock { $0 } }
    public var failures: [String: Int] { failureReasons.withLock { $0 } }

    /// Nearest-rank percentile of `sorted` (ascending), in ms.
    static func percentileMs(sorted: [UInt64], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank]) / 1e6
    }

    /// Goodput: streamed requests whose client-side TTFT (from the SUT receiving the request to the first content
    /// chunk) and TPOT ((last byte − first chunk) / (tokens − 1)) are within the bounds, per second of the span from
    /// the first request to the last response. LoadGen's own TTFT and TPOT (from the scheduled time) are in
    /// results.json; this is the serving tools' definition (vLLM's `--goodput`), for comparison with them.
    public func goodput(ttftBoundNs: UInt64, tpotBoundNs: UInt64) -> JSONValue {
        let rs = all.filter { !$0.failed && $0.firstChunkNs > 0 }
        guard let start = rs.map(\.createdNs).min(), let end = rs.map(\.doneNs).max(), end > start else { return .null }
        let good = rs.filter { r in
            let ttft = r.firstChunkNs &- r.createdNs
            let tpot = r.outputTokens > 1 ? (r.doneNs &- r.firstChunkNs) / UInt64(r.outputTokens - 1) : 0
            return ttft <= ttftBoundNs && tpot <= tpotBoundNs
        }.count
        return .object([
            JSONField("ttft_bound_ms", .double(Double(ttftBoundNs) / 1e6)),
            JSONField("tpot_bound_ms", .double(Double(tpotBoundNs) / 1e6)),
            JSONField("requests_within_bounds", .int(Int64(good))),
            JSONField("requests", .int(Int64(rs.count))),
            JSONField("requests_per_second", .double(Double(good) * 1e9 / Double(end - start))),
        ])
    }

    /// `network.json`'s body: request counts, failures by reason, and the components' p50/p90/p99 (ms).
    public func summary() -> JSONValue {
        let rs = all
        let ok = rs.filter { !$0.failed }
        func stats(_ v: [UInt64]) -> JSONValue {
            guard !v.isEmpty else { return .null }
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count) / 1e6
            var f: [JSONField] = []
            let sorted = v.sorted()  // once, for all three percentiles
            for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                f.append(JSONField(name, .double(Self.percentileMs(sorted: sorted, p) ?? 0)))
            }
            f.append(JSONField("mean", .double(mean)))
            return .object(f)
        }
        var fields = [
            JSONField("requests", .int(Int64(rs.count))),
            JSONField("samples", .int(Int64(rs.reduce(0) { $0 + $1.samples }))),
            JSONField("failed_requests", .int(Int64(rs.count - ok.count))),
            JSONField("failures", .object(failures.sorted { $0.key < $1.key }.map { JSONField($0.key, .int(Int64($0.value))) })),
            JSONField("client_queue_and_encode_ms", stats(ok.map { $0.encodedNs &- $0.createdNs })),
            JSONField("connection_wait_ms", stats(ok.map { $0.sentNs &- $0.encodedNs })),
            JSONField("server_time_ms", stats(ok.map { $0.headNs &- $0.serverStartNs })),
            JSONField("client_total_ms", stats(ok.map { $0.doneNs &- $0.createdNs })),
        ]
        let streamed = ok.filter { $0.firstChunkNs > 0 }
        if !streamed.isEmpty {
            let tokens = streamed.reduce(0) { $0 + $1.outputTokens }
            fields += [
                JSONField("client_ttft_ms", stats(streamed.map { $0.firstChunkNs &- $0.createdNs })),
                JSONField("inter_token_latency_ms", stats(streamed.filter { $0.chunks > 1 }
                    .map { $0.interChunkNs / UInt64($0.chunks - 1) })),
                JSONField("output_tokens", .int(Int64(tokens))),
                JSONField("token_counts_from", .string(streamed.allSatisfy(\.tokensFromUsage) ? "usage"
                    : streamed.contains(where: \.tokensFromUsage) ? "usage where sent, else stream chunks" : "stream chunks")),
            ]
        }
        return .object(fields)
    }
}

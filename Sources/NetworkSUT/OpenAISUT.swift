import AsyncHTTPClient
import Foundation
import LoadGen
import NIOCore
import NIOHTTP1

/// Which OpenAI API endpoint a run calls.
public enum OpenAIEndpoint: String, Sendable, CaseIterable {
    /// `POST /v1/completions` with `prompt`; streamed text is `choices[0].text`.
    case completions
    /// `POST /v1/chat/completions` with one user message; streamed text is `choices[0].delta.content`.
    case chat
}

/// What each OpenAI request asks for.
public struct OpenAIOptions: Sendable, Equatable {
    /// The served model's name (`model` in every request).
    public var model: String
    public var endpoint: OpenAIEndpoint
    /// Stream with server-sent events (TTFT, TPOT and inter-token latency are measured) or not (request latency only).
    public var stream: Bool
    /// Sends `ignore_eos: true` (vLLM, llama.cpp): every response runs to `max_tokens`.
    public var ignoreEOS: Bool
    public var temperature: Double

    public init(model: String, endpoint: OpenAIEndpoint = .completions, stream: Bool = true, ignoreEOS: Bool = false,
                temperature: Double = 0) {
        self.model = model
        self.endpoint = endpoint
        self.stream = stream
        self.ignoreEOS = ignoreEOS
        self.temperature = temperature
    }
}

/// A LoadGen SUT over an OpenAI-compatible server: one request per sample, its prompt from the `PromptSet`.
///
/// Streaming (`stream: true`, with `stream_options.include_usage`): the first non-empty content chunk calls
/// `QueryCompleter.firstToken` (TTFT); the end of the stream completes the sample with the generated text (UTF-8,
/// in the accuracy log) and its output token count: the server's `usage.completion_tokens` when it sends one, else
/// the number of content chunks (one token per chunk, as vLLM and llama.cpp stream). LoadGen's token latencies
/// (`use_token_latencies`) then judge TTFT and TPOT. Without streaming, the sample completes with the whole response
/// and `usage.completion_tokens`.
///
/// Failures (transport error, timeout, an error status, an `error` event, malformed SSE or JSON, a stream that
/// ends without `data: [DONE]`) complete the sample with `QueryCompleter.fail`: the run is INVALID with the reason.
public final class OpenAISUT: SystemUnderTest, @unchecked Sendable {
    public let name: String
    public let url: String
    public let options: OpenAIOptions
    public let log = RequestLog()
    private let prompts: PromptSet
    private let client: HTTPClient
    private let configuration: NetworkClientConfiguration
    /// Request bodies, made before the run (untimed): JSON encoding is not the client's hot path.
    private let bodies: [ByteBuffer]
    private let gate: RequestGate

    /// Checks that the server answers `GET /v1/models` (untimed) and prepares every request body.
    /// - Throws: `NetworkSUTError.unreachable` or `.httpStatus`; `.modelMismatch` if the server lists models and
    ///   `options.model` is not among them.
    public init(address: SUTAddress, prompts: PromptSet, options: OpenAIOptions,
                configuration: NetworkClientConfiguration = NetworkClientConfiguration(), name: String? = nil) throws {
        self.options = options
        self.prompts = prompts
        self.configuration = configuration
        self.url = address.baseURL + (options.endpoint == .chat ? "/v1/chat/completions" : "/v1/completions")
        self.name = name ?? "OpenAI-\(options.model)-\(options.endpoint.rawValue)\(options.stream ? "-stream" : "")"
        client = configuration.makeClient()
        gate = RequestGate(limit: configuration.maxConnections)
        do {
            let modelsURL = address.baseURL + "/v1/models"
            let r = try client.fetch(modelsURL, timeoutMs: configuration.connectTimeoutMs + configuration.readTimeoutMs)
            guard r.status == 200 else {
                throw NetworkSUTError.httpStatus(url: modelsURL, status: r.status, body: String(buffer: r.body))
            }
            if let json = try? JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any],
               let list = json["data"] as? [[String: Any]], !list.isEmpty {
                let ids = list.compactMap { $0["id"] as? String }
                guard ids.contains(options.model) else {
                    throw NetworkSUTError.modelMismatch(url: modelsURL, reason: "no model `\(options.model)`; the server "
                                                        + "serves " + ids.joined(separator: ", "))
                }
            }
        } catch {
            try? client.syncShutdown()
            throw error
        }
        bodies = prompts.prompts.map { Self.body(for: $0, options: options) }
    }

    /// Fails the requests still queued behind `--connections` (a run cut short: watchdog, Ctrl-C) and shuts the
    /// client down. Idempotent.
    public func shutdown() {
        for start in gate.close() { start() }  // each fails at once: the gate is closed
        try? client.syncShutdown()
    }

    /// Mean latency (ns) of `requests` sequential whole requests (untimed calibration), prompts taken in turn.
    /// - Throws: `NetworkSUTError` for a failed request or an error status.
    public func measureLatency(requests: Int) throws -> UInt64 {
        var total: UInt64 = 0
        for r in 0..<requests {
            let body = bodies[r % bodies.count]
            let t0 = monotonicNs()
            let res = try client.fetch(url, method: .POST, json: String(buffer: body), timeoutMs: configuration.requestTimeoutMs)
            guard res.status == 200 else {
                throw NetworkSUTError.httpStatus(url: url, status: res.status, body: String(buffer: res.body))
            }
            total += monotonicNs() - t0
        }
        return total / UInt64(max(1, requests))
    }
    public func flushQueries() {}

    /// The request body of one prompt (JSONSerialization: the prompt is escaped by Foundation).
    static func body(for prompt: Prompt, options: OpenAIOptions) -> ByteBuffer {
        var json: [String: Any] = ["model": options.model, "max_tokens": prompt.maxTokens, "temperature": options.temperature,
                                   "stream": options.stream]
        switch options.endpoint {
        case .completions: json["prompt"] = prompt.text
        case .chat: json["messages"] = [["role": "user", "content": prompt.text]]
        }
        if options.stream { json["stream_options"] = ["include_usage": true] }
        if options.ignoreEOS { json["ignore_eos"] = true }
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        return ByteBuffer(bytes: data)
    }

    public func issueQuery(_ samples: QuerySampleBatch, completer: QueryCompleter) {
        for i in 0..<samples.count {
            send(id: samples.firstID + i, index: Int(samples.qslIndices[i]), completer: completer)
        }
    }

    private func send(id: ResponseID, index: Int, completer: QueryCompleter) {
        let issuedNs = monotonicNs()
        let state = StreamState(endpoint: options.endpoint)
        let onPart: ((HTTPExchange, ByteBuffer) -> Void)? = options.stream ? { [state] ex, part in
            state.consume(part, id: id, completer: completer)
        } : nil
        gate.submit { [self] in
            let exchange = HTTPExchange(url: url, createdNs: issuedNs, onBodyPart: onPart) { [self] ex, error in
                finish(ex, error: error, state: state, id: id, completer: completer)
            }
            do {
                var request = try HTTPClient.Request(url: url, method: .POST)
                request.headers.add(name: "content-type", value: "application/json")
                if options.stream { request.headers.add(name: "accept", value: "text/event-stream") }
                request.body = .byteBuffer(bodies[index])
                guard !gate.isClosed else { throw NetworkSUTError.shutDown(url: url) }
                _ = client.execute(request: request, delegate: exchange,
                                   deadline: configuration.deadline(createdNs: issuedNs))
            } catch {
                finish(exchange, error: error, state: state, id: id, completer: completer)
            }
        }
    }

    private func finish(_ ex: HTTPExchange, error: Error?, state: StreamState, id: ResponseID, completer: QueryCompleter) {
        defer { gate.release() }  // after the sample is completed: the next request starts then
        var record = RequestLog.Record(samples: 1, createdNs: ex.createdNs, encodedNs: ex.encodedNs, sentNs: ex.sentNs, headNs: ex.headNs,
                                       doneNs: monotonicNs(), failed: true)
        record.bodySentNs = ex.bodySentNs
        record.firstChunkNs = state.firstChunkNs
        record.chunks = state.chunks
        record.interChunkNs = state.lastChunkNs &- state.firstChunkNs
        defer { log.add(record) }
        func fail(_ kind: String, _ reason: String) {
            log.addFailure(kind)
            completer.fail(id, reason: "POST \(url): \(reason)")
        }
        if let error {
            let what = describe(error)
            fail(what.components(separatedBy: ":").first ?? "transport error",
                 state.chunks > 0 ? "\(what) after \(state.chunks) chunks (stream cut off)" : what)
            return
        }
        guard (200..<300).contains(ex.status) else {
            fail("HTTP \(ex.status)", "HTTP \(ex.status): \(ex.bodyText())")
            return
        }
        var text: [UInt8]
        var tokens: Int?
        if options.stream {
            if let problem = state.problem { fail(problem.kind, problem.reason); return }
            guard state.sawDone else {
                fail("stream cut off", "the stream ended without `data: [DONE]` after \(state.chunks) chunks"
                     + (state.pendingBytes > 0 ? " (\(state.pendingBytes) bytes of an unfinished event)" : ""))
                return
            }
            text = state.text
            tokens = state.usageTokens
        } else {
            guard let json = try? JSONSerialization.jsonObject(with: Data(bytesOf: ex.body)) as? [String: Any] else {
                fail("malformed response", "the response is not a JSON object: \(ex.bodyText(limit: 120))")
                return
            }
            guard let choice = (json["choices"] as? [[String: Any]])?.first,
                  let content = options.endpoint == .chat ? (choice["message"] as? [String: Any])?["content"] as? String
                                                          : choice["text"] as? String else {
                fail("malformed response", "no `choices[0].\(options.endpoint == .chat ? "message.content" : "text")` in "
                     + ex.bodyText(limit: 120))
                return
            }
            text = Array(content.utf8)
            tokens = ((json["usage"] as? [String: Any])?["completion_tokens"] as? Int)
        }
        record.failed = false
        record.outputTokens = tokens ?? state.chunks
        record.tokensFromUsage = tokens != nil
        text.withUnsafeBytes { completer.complete(id, data: $0, tokenCount: tokens ?? state.chunks) }
    }
}

/// One streamed response: the SSE parser, the text so far, chunk times, and the first problem seen. Touched only
/// on the connection's event loop.
final class StreamState: @unchecked Sendable {
    let endpoint: OpenAIEndpoint
    var parser = ServerSentEventParser()
    var text: [UInt8] = []
    var chunks = 0
    var firstChunkNs: UInt64 = 0
    var lastChunkNs: UInt64 = 0
    var usageTokens: Int?
    var sawDone = false
    var problem: (kind: String, reason: String)?
    var pendingBytes: Int { parser.pendingBytes }

    init(endpoint: OpenAIEndpoint) { self.endpoint = endpoint }

    func consume(_ part: ByteBuffer, id: ResponseID, completer: QueryCompleter) {
        part.withUnsafeReadableBytes { bytes in
            parser.consume(bytes) { event in self.handle(event, id: id, completer: completer) }
        }
    }

    private func handle(_ event: [UInt8], id: ResponseID, completer: QueryCompleter) {
        guard problem == nil else { return }
        if event.elementsEqual("[DONE]".utf8) { sawDone = true; return }
        if sawDone { problem = ("malformed SSE", "an event after `data: [DONE]`"); return }
        guard let json = try? JSONSerialization.jsonObject(with: Data(event)) as? [String: Any] else {
            problem = ("malformed SSE", "an event's data is not a JSON object: "
                       + String(decoding: event.prefix(120), as: UTF8.self))
            return
        }
        if let error = json["error"], !(error is NSNull) {
            problem = ("error event", "the server sent an error event: \(error)")
            return
        }
        if let usage = json["usage"] as? [String: Any], let n = usage["completion_tokens"] as? Int { usageTokens = n }
        guard let choice = (json["choices"] as? [[String: Any]])?.first else { return }  // e.g. the usage-only chunk
        let content = endpoint == .chat ? (choice["delta"] as? [String: Any])?["content"] as? String
                                        : choice["text"] as? String
        guard let content, !content.isEmpty else { return }
        let now = monotonicNs()
        chunks += 1
        lastChunkNs = now
        let bytes = Array(content.utf8)
        if firstChunkNs == 0 {
            firstChunkNs = now
            bytes.withUnsafeBytes { completer.firstToken(id, data: $0) }
        }
        text += bytes
    }
}

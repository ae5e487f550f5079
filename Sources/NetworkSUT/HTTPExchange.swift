import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How the network SUTs use HTTP: one pooled HTTP/1.1 client (keep-alive) per SUT, and its time limits.
public struct NetworkClientConfiguration: Sendable, Equatable {
    /// Most connections open to the server at once; requests beyond wait in the client's queue (that wait is
    /// reported as `connection_wait`).
    public var maxConnections: Int
    /// Limit to open a connection (ms).
    public var connectTimeoutMs: Int64
    /// Longest silence while waiting for the response or between two parts of it (ms): a stalled server fails the
    /// request after this.
    public var readTimeoutMs: Int64
    /// Longest time for a whole request, from the SUT receiving it to the last byte (ms), time queued behind
    /// `maxConnections` included (so every request ends within this of its issue, which the run's watchdog counts on).
    public var requestTimeoutMs: Int64

    public init(maxConnections: Int = 64, connectTimeoutMs: Int64 = 5_000, readTimeoutMs: Int64 = 30_000,
                requestTimeoutMs: Int64 = 120_000) {
        self.maxConnections = maxConnections
        self.connectTimeoutMs = connectTimeoutMs
        self.readTimeoutMs = readTimeoutMs
        self.requestTimeoutMs = requestTimeoutMs
    }

    /// The deadline of a request the SUT received at `createdNs` (monotonic ns, `monotonicNs()`'s clock).
    func deadline(createdNs: UInt64) -> NIODeadline {
        .uptimeNanoseconds(createdNs &+ UInt64(max(0, requestTimeoutMs)) &* 1_000_000)
    }

    func makeClient() -> HTTPClient {
        var c = HTTPClient.Configuration(
            timeout: .init(connect: .milliseconds(connectTimeoutMs), read: .milliseconds(readTimeoutMs)),
            connectionPool: .init(idleTimeout: .seconds(60),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnections)))
        c.httpVersion = .http1Only
        c.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }
}

/// Monotonic nanoseconds (the clock the SUT's timing components use).
@inline(__always) func monotonicNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// One HTTP request in flight and its timestamps: when the SUT handed it to the client, when the request head went
/// out on a connection (the difference is connection wait plus client queueing), when the response head and each
/// body part came back. Every callback runs on the connection's event loop, one at a time.
final class HTTPExchange: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    let url: String
    let createdNs: UInt64
    /// When the request body was ready (encoding done); the request was handed to the HTTP client then.
    let encodedNs: UInt64
    private(set) var sentNs: UInt64 = 0
    /// When the whole request (head and body) had been written: server time counts from here.
    private(set) var bodySentNs: UInt64 = 0
    private(set) var headNs: UInt64 = 0
    private(set) var status = 0
    private(set) var contentType = ""
    /// The whole body (non-streaming), or what is left of it after `onBodyPart` consumed the parts.
    var body = ByteBuffer()
    /// Streaming: called for each body part of a 2xx response instead of collecting it.
    private let onBodyPart: ((HTTPExchange, ByteBuffer) -> Void)?
    /// Called exactly once: nil on success (any status), else the transport error.
    private let onDone: (HTTPExchange, Error?) -> Void
    private var finished = false

    /// - Parameter createdNs: when the SUT received the samples (default: now).
    init(url: String, createdNs: UInt64 = monotonicNs(), onBodyPart: ((HTTPExchange, ByteBuffer) -> Void)? = nil,
         onDone: @escaping (HTTPExchange, Error?) -> Void) {
        self.url = url
        self.createdNs = createdNs
        self.encodedNs = monotonicNs()
        self.onBodyPart = onBodyPart
        self.onDone = onDone
    }

    func didSendRequestHead(task: HTTPClient.Task<Void>, _ head: HTTPRequestHead) { sentNs = monotonicNs() }

    func didSendRequest(task: HTTPClient.Task<Void>) { bodySentNs = monotonicNs() }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        headNs = monotonicNs()
        status = Int(head.status.code)
        contentType = head.headers.first(name: "content-type") ?? ""
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        if let onBodyPart, (200..<300).contains(status) {
            onBodyPart(self, buffer)
        } else {
            var b = buffer
            body.writeBuffer(&b)
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        finish(nil)
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: Error) {
        finish(error)
    }

    private func finish(_ error: Error?) {
        guard !finished else { return }
        finished = true
        onDone(self, error)
    }

    /// The body as text (error messages), at most `limit` characters.
    func bodyText(limit: Int = 300) -> String {
        let s = body.getString(at: body.readerIndex, length: min(body.readableBytes, limit * 4)) ?? ""
        return String(s.prefix(limit)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Why one request failed, in one line: the transport error in words, or the status and the body.
func describe(_ error: Error) -> String {
    if let e = error as? HTTPClientError {
        switch e {
        case .readTimeout: return "read timeout (the server stalled)"
        case .connectTimeout: return "connect timeout"
        case .deadlineExceeded:
            return "request timeout (--request-timeout-ms, counted from the issue, time queued behind --connections "
                + "included)"
        case .remoteConnectionClosed: return "the server closed the connection mid-response"
        default: return "\(e)"
        }
    }
    let text = "\(error)"
    if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111") {
        return "connection refused (nothing listens there, or the server is gone)"
    }
    if text.contains("Connection reset") || text.contains("errno: 104") { return "connection reset by the server" }
    return text
}

extension HTTPClient {
    /// A blocking GET or POST for the set-up steps (readiness, metadata, calibration), off LoadGen's run.
    /// - Returns: status and body.
    /// - Throws: `NetworkSUTError.unreachable` with the transport error.
    func fetch(_ url: String, method: HTTPMethod = .GET, json: String? = nil, timeoutMs: Int64) throws
        -> (status: Int, body: ByteBuffer)
    {
        var request: HTTPClient.Request
        do { request = try HTTPClient.Request(url: url, method: method) } catch {
            throw NetworkSUTError.unreachable(url: url, reason: "bad URL: \(error)")
        }
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .string(json)
        }
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: (Int, ByteBuffer, Error?) = (0, ByteBuffer(), nil)
        let exchange = HTTPExchange(url: url) { ex, error in
            outcome = (ex.status, ex.body, error)
            semaphore.signal()
        }
        _ = execute(request: request, delegate: exchange, deadline: .now() + .milliseconds(timeoutMs))
        semaphore.wait()
        if let e = outcome.2 { throw NetworkSUTError.unreachable(url: url, reason: describe(e)) }
        return (outcome.0, outcome.1)
    }
}

/// Caps the requests in flight at the client's connection count; the others wait here, first in first out: that is
/// the client's queue, and its wait is part of each request's `client_queue_and_encode` time. (Handing every
/// request to the HTTP client at once would queue them in its pool instead, where a wait longer than the connect
/// timeout fails the request.)
final class RequestGate: @unchecked Sendable {
    private let limit: Int
    private var inFlight = 0
    private var queue: [() -> Void] = []
    private var head = 0
    private let lock = NSLock()
    private var closed = false

    init(limit: Int) { self.limit = max(1, limit) }

    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Stops starting queued requests and returns them (to be run by the caller, which then fails them); later
    /// `release` calls only free their slots.
    func close() -> [() -> Void] {
        lock.lock()
        closed = true
        let pending = Array(queue[head...])
        queue.removeAll()
        head = 0
        lock.unlock()
        return pending
    }

    /// Runs `start` now if a slot is free, else when one is released.
    func submit(_ start: @escaping () -> Void) {
        lock.lock()
        if inFlight < limit {
            inFlight += 1
            lock.unlock()
            start()
        } else {
            queue.append(start)
            lock.unlock()
        }
    }

    /// Frees the slot of a finished request, starting the oldest waiting one in it.
    func release() {
        lock.lock()
        guard !closed, head < queue.count else {
            inFlight -= 1
            lock.unlock()
            return
        }
        let next = queue[head]
        head += 1
        if head >= 1024 && head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        lock.unlock()
        next()
    }
}

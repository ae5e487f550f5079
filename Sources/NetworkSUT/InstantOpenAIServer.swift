import NIOCore
import NIOHTTP1
import NIOPosix

/// A LOAD SINK, not an inference server: an HTTP/1.1 server (SwiftNIO) that answers `GET /v1/models` and every
/// `POST` at once with the same streamed completion of `tokens` one-word chunks and `data: [DONE]`. It costs almost
/// nothing per request, so a client driving it at an unreachable rate shows its own ceiling: the highest request
/// rate it can generate (`mlperf bench serving`). Never used to judge correctness.
public final class InstantOpenAIServer: @unchecked Sendable {
    public let url: String
    public let model = "instant"
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// Listens on a free loopback port with `threads` event loops.
    public init(tokens: Int = 2, threads: Int = 1) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var body = ""
        for i in 0..<max(1, tokens) {
            body += "data: {\"id\":\"cmpl-instant\",\"object\":\"text_completion\",\"created\":0,\"model\":\"instant\","
                + "\"choices\":[{\"text\":\" w\(i)\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n"
        }
        body += "data: [DONE]\n\n"
        let stream = ByteBuffer(string: body)
        let models = ByteBuffer(string: "{\"object\":\"list\",\"data\":[{\"id\":\"instant\",\"object\":\"model\"}]}")
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                        channel.pipeline.addHandler(InstantHandler(stream: stream, models: models))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

private final class InstantHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let stream: ByteBuffer
    let models: ByteBuffer
    var head: HTTPRequestHead?

    init(stream: ByteBuffer, models: ByteBuffer) {
        self.stream = stream
        self.models = models
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            let body = h.method == .GET ? models : stream
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: h.method == .GET ? "application/json" : "text/event-stream")
            headers.add(name: "content-length", value: String(body.readableBytes))
            let keepAlive = h.isKeepAlive
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
            head = nil
        }
    }
}

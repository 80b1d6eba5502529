import BenchChat
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyServer
import Synchronization

/// A request built once and sent as often as needed: its head (with `Host` and `Content-Length`) and body.
struct PreparedRequest: Sendable {
    /// Method, path and headers.
    var head: HTTPRequestHead
    /// The body; empty for a GET.
    var body: ByteBuffer
    /// Where, in `body`, a UUID-shaped ClientToken starts: before each send, a closed loop writes a fresh number into
    /// its first 12 hex digits (the first two groups, lowest digit first, so that consecutive tokens differ from
    /// their first byte on, as random UUIDs do), so that each request carries a new token, as the AWS SDKs fill one
    /// in. Nil: the body is sent as it is.
    var tokenOffset: Int?

    /// A request for `path` on `authority` (`HOST:PORT`) with `headers` and a JSON body (none when `body` is empty).
    init(_ method: HTTPMethod, _ path: String, authority: String, headers: [(String, String)] = [], body: [UInt8] = [])
    {
        var fields = HTTPHeaders([("Host", authority), ("Content-Length", String(body.count))])
        if !body.isEmpty { fields.add(name: "Content-Type", value: "application/json") }
        for (name, value) in headers { fields.add(name: name, value: value) }
        head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: fields)
        self.body = ByteBuffer(bytes: body)
    }
}

/// A response: its status and body.
struct APIAnswer: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The whole body.
    var body: ByteBuffer

    /// Whether the status is 2xx.
    var succeeded: Bool { (200..<300).contains(status) }

    /// The body decoded as JSON, or an `APIBenchError` naming `operation` when the status is not 2xx or the body
    /// does not decode.
    func decode<Value: Decodable>(_ type: Value.Type, _ operation: String) throws(APIBenchError) -> Value {
        guard succeeded else {
            throw APIBenchError("\(operation) answered \(status): \(String(buffer: body).prefix(300))")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(body.readableBytesView))
        } catch {
            throw APIBenchError("\(operation) answered what does not decode: \(error)")
        }
    }
}

/// What stopped the api phase: a failed request, a server that did not start, a missing frame.
struct APIBenchError: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String

    /// An error saying `description`.
    init(_ description: String) { self.description = description }
}

/// What one connection's closed loop saw inside the measured window.
struct LoopResult: Sendable {
    /// Latencies of the requests answered inside the window, in nanoseconds.
    var latencies: [UInt64] = []
    /// Answers that were not 2xx (inside the window).
    var failures = 0
    /// The first such answer, for the report.
    var firstFailure: String?
}

/// One HTTP/1.1 keep-alive connection on NIO, one request at a time: the load's client. It is far leaner per request
/// than a general client (no pool, no redirects, the request head built once), so that the server, not the client,
/// bounds the rates even for the hello-world endpoint.
final class APIConnection: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<Conversation>

    private init(channel: any Channel, handler: NIOLoopBound<Conversation>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `host:port` on `group`.
    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> APIConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Conversation())
                }
            }
            .connect(host: host, port: port)
            .get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: Conversation.self),
                eventLoop: channel.eventLoop
            )
        }.get()
        return APIConnection(channel: channel, handler: handler)
    }

    /// Sends `request` and waits for the whole answer.
    func send(_ request: PreparedRequest) async throws -> APIAnswer {
        let promise = channel.eventLoop.makePromise(of: APIAnswer.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.send(request, promise: promise) }
        return try await promise.futureResult.get()
    }

    /// Sends `request` again and again, the next as soon as the previous is answered, until `end` (uptime
    /// nanoseconds); records the answers that arrive from `from` to `end`.
    func loop(_ request: PreparedRequest, from: UInt64, until end: UInt64) async throws -> LoopResult {
        let promise = channel.eventLoop.makePromise(of: LoopResult.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.loop(request, from: from, until: end, promise: promise) }
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }
}

/// The ClientToken digits written so far by every connection of this process: each request stamped gets the next.
private let tokenStamps = Atomic<UInt64>(0)

/// The connection's handler: answers one request's promise, or runs the closed loop on the event loop.
private final class Conversation: ChannelInboundHandler, RemovableChannelHandler {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Loop {
        var request: PreparedRequest
        var from: UInt64
        var end: UInt64
        var sentAt: UInt64 = 0
        var result = LoopResult()
        var promise: EventLoopPromise<LoopResult>
    }

    private var context: ChannelHandlerContext?
    private var waiting: EventLoopPromise<APIAnswer>?
    private var loop: Loop?
    private var status = 0
    private var body = ByteBuffer()

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send(_ request: PreparedRequest, promise: EventLoopPromise<APIAnswer>) {
        guard waiting == nil, loop == nil else {
            promise.fail(APIBenchError("a request is already in flight on this connection"))
            return
        }
        waiting = promise
        write(request)
    }

    func loop(_ request: PreparedRequest, from: UInt64, until end: UInt64, promise: EventLoopPromise<LoopResult>) {
        guard waiting == nil, loop == nil else {
            promise.fail(APIBenchError("a request is already in flight on this connection"))
            return
        }
        loop = Loop(
            request: request,
            from: from,
            end: end,
            sentAt: DispatchTime.now().uptimeNanoseconds,
            promise: promise
        )
        write(request)
    }

    private func write(_ request: PreparedRequest) {
        guard let context else { return }
        var request = request
        if let offset = request.tokenOffset {
            let stamp = tokenStamps.wrappingAdd(1, ordering: .relaxed).newValue
            // `xxxxxxxx-xxxx`: 8 digits, a dash, 4 digits.
            var digits = Array("00000000-0000".utf8)
            for (index, position) in (Array(0..<8) + Array(9..<13)).enumerated() {
                digits[position] = Self.hexDigits[Int((stamp >> UInt64(4 * index)) & 0xF)]
            }
            request.body.setBytes(digits, at: offset)
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if request.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            answered()
        }
    }

    private func answered() {
        if let promise = waiting {
            waiting = nil
            promise.succeed(APIAnswer(status: status, body: body))
            return
        }
        guard var current = loop else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if now >= current.from, now <= current.end {
            if (200..<300).contains(status) {
                current.result.latencies.append(now - current.sentAt)
            } else {
                current.result.failures += 1
                if current.result.firstFailure == nil {
                    current.result.firstFailure = "\(status): \(String(buffer: body).prefix(200))"
                }
            }
        }
        if now < current.end {
            current.sentAt = now
            loop = current
            write(current.request)
        } else {
            loop = nil
            current.promise.succeed(current.result)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(APIBenchError("the server closed the connection"))
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        waiting?.fail(error)
        waiting = nil
        loop?.promise.fail(error)
        loop = nil
    }
}

/// Builds the requests of the API as Amazon's SDKs and ChatJS send them.
struct APIRequests: Sendable {
    /// `HOST:PORT`.
    let authority: String
    /// Signs the control plane's requests (SigV4).
    let signer: SigV4Signer

    private static func json(_ value: some Encodable) -> [UInt8] {
        (try? JSONEncoder().encode(value)).map(Array.init) ?? Array("{}".utf8)
    }

    /// A SigV4-signed control-plane request.
    func control(_ method: HTTPMethod, _ path: String, _ body: some Encodable) -> PreparedRequest {
        let bytes = Self.json(body)
        let signed = signer.headers(
            method: method.rawValue,
            rawPath: path,
            rawQuery: nil,
            host: authority,
            contentType: "application/json",
            body: bytes,
            now: Int64(Date().timeIntervalSince1970 * 1_000_000)
        )
        return PreparedRequest(
            method,
            path,
            authority: authority,
            headers: signed.map { ($0.name, $0.value) },
            body: bytes
        )
    }

    /// A participant-service request (`POST /participant/<path>`) with `X-Amz-Bearer`.
    func participant(_ path: String, bearer: String, _ body: some Encodable) -> PreparedRequest {
        PreparedRequest(
            .POST,
            "/participant/" + path,
            authority: authority,
            headers: [("X-Amz-Bearer", bearer)],
            body: Self.json(body)
        )
    }

    /// An agent-desk request (`/agent/v1/<path>`), with the session token once logged in.
    func agent(_ method: HTTPMethod, _ path: String, session: String?, _ body: some Encodable) -> PreparedRequest {
        PreparedRequest(
            method,
            "/agent/v1/" + path,
            authority: authority,
            headers: session.map { [("Authorization", "Bearer " + $0)] } ?? [],
            body: method == .GET ? [] : Self.json(body)
        )
    }

    /// `GET /bench/hello`.
    var hello: PreparedRequest { PreparedRequest(.GET, "/bench/hello", authority: authority) }
}

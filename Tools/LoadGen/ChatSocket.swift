import Foundation
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// One participant websocket, spoken as ChatJS speaks it: subscribe to `aws/chat`, optional heartbeats, and every
/// pushed transcript item handed to `onItem`. The connection runs in a task of its own until the server closes it
/// or `close()` is called.
final class ChatSocket: Sendable {
    private struct State {
        var outbound: WebSocketOutboundWriter?
        var opened: CheckedContinuation<Void, any Error>?
        var closing = false
    }

    private let state = Mutex(State())
    /// Opens when the connection is over (closed by either side, or failed).
    let closed = Gate()
    /// Whether `close()` asked for the end (otherwise the server ended it, or it failed).
    var closedByUs: Bool { state.withLock { $0.closing } }

    private static let decoder = JSONDecoder()
    private static let logger = Logger(label: "parley-load.ws")

    private struct Topic: Decodable {
        var topic: String
    }

    private struct ChatFrame: Decodable {
        var content: String
    }

    private struct SubscribeFrame: Decodable {
        struct Content: Decodable { var status: String? }
        var content: Content?
    }

    private init() {}

    /// Connects to `url`, subscribes, and returns once the server confirmed the subscription.
    /// - Parameters:
    ///   - url: The websocket URL from CreateParticipantConnection.
    ///   - heartbeat: Seconds between `aws/heartbeat` frames; 0 sends none.
    ///   - onItem: Called with every pushed item, in order, on the connection's task.
    static func open(
        url: String,
        heartbeat: Double,
        onItem: @escaping @Sendable (ChatItem) -> Void
    ) async throws -> ChatSocket {
        let socket = ChatSocket()
        let timer = Task {
            try await Task.sleep(for: .seconds(60))
            socket.resumeOpened(
                .failure(LoadError(.timeout, "no subscription within 60 s", kind: "websocket subscribe timeout"))
            )
            await socket.close()
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            socket.state.withLock { $0.opened = continuation }
            Task { await socket.run(url: url, heartbeat: heartbeat, onItem: onItem) }
        }
        return socket
    }

    private func resumeOpened(_ result: Result<Void, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            defer { state.opened = nil }
            return state.opened
        }
        waiting?.resume(with: result)
    }

    private func run(url: String, heartbeat: Double, onItem: @escaping @Sendable (ChatItem) -> Void) async {
        do {
            try await WebSocketClient.connect(
                url: url,
                configuration: .init(maxFrameSize: 1 << 20, closeTimeout: .seconds(10)),
                logger: Self.logger
            ) { inbound, outbound, _ in
                self.state.withLock { $0.outbound = outbound }
                try await outbound.write(.text(#"{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}"#))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if heartbeat > 0 {
                        group.addTask {
                            while !Task.isCancelled {
                                try await Task.sleep(for: .nanoseconds(Int64(heartbeat * 1e9)))
                                try await outbound.write(.text(#"{"topic":"aws/heartbeat"}"#))
                            }
                        }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            self.handle(text, onItem: onItem)
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            resumeOpened(.failure(LoadError(.protocolViolation, "the websocket closed before it subscribed")))
        } catch {
            resumeOpened(.failure(LoadError(.transport, "websocket: \(error)", kind: "websocket transport")))
        }
        state.withLock { $0.outbound = nil }
        closed.open()
    }

    private func handle(_ text: String, onItem: @Sendable (ChatItem) -> Void) {
        let data = Data(text.utf8)
        guard let frame = try? Self.decoder.decode(Topic.self, from: data) else { return }
        switch frame.topic {
        case "aws/subscribe":
            let answer = try? Self.decoder.decode(SubscribeFrame.self, from: data)
            if answer?.content?.status == "success" {
                resumeOpened(.success(()))
            } else {
                resumeOpened(.failure(LoadError(.protocolViolation, "the subscription failed: \(text)")))
            }
        case "aws/chat":
            guard let content = try? Self.decoder.decode(ChatFrame.self, from: data).content,
                let item = try? Self.decoder.decode(ChatItem.self, from: Data(content.utf8))
            else { return }
            onItem(item)
        default:
            return
        }
    }

    /// Closes the connection (a normal closure) and waits until it is over.
    func close() async {
        let outbound = state.withLock { state -> WebSocketOutboundWriter? in
            state.closing = true
            return state.outbound
        }
        if let outbound { try? await outbound.close(.normalClosure, reason: "bye") }
        await closed.wait()
    }
}

import BenchChat
import Foundation
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// One participant websocket as ChatJS speaks it (subscribe to `aws/chat`), handing every pushed message's content
/// and its arrival time (uptime nanoseconds) to `onMessage`.
final class FanoutSocket: Sendable {
    private struct State {
        var outbound: WebSocketOutboundWriter?
        var opened: CheckedContinuation<Void, any Error>?
        var task: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private static let logger = Logger(label: "log-bench.ws")

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

    private struct Item: Decodable {
        var `Type`: String
        var Content: String?
    }

    private init() {}

    /// Connects to `url`, subscribes, and returns once the server confirmed the subscription.
    static func open(
        url: String,
        onMessage: @escaping @Sendable (_ content: String, _ arrived: UInt64) -> Void
    ) async throws -> FanoutSocket {
        let socket = FanoutSocket()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            socket.state.withLock { state in
                state.opened = continuation
                state.task = Task { await socket.run(url: url, onMessage: onMessage) }
            }
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

    private func run(url: String, onMessage: @escaping @Sendable (String, UInt64) -> Void) async {
        do {
            try await WebSocketClient.connect(
                url: url,
                configuration: .init(maxFrameSize: 1 << 20, closeTimeout: .seconds(10)),
                logger: Self.logger
            ) { inbound, outbound, _ in
                self.state.withLock { $0.outbound = outbound }
                try await outbound.write(.text(#"{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let arrived = DispatchTime.now().uptimeNanoseconds
                    self.handle(text, arrived: arrived, onMessage: onMessage)
                }
            }
            resumeOpened(.failure(APIBenchError("the websocket closed before it subscribed")))
        } catch {
            resumeOpened(.failure(APIBenchError("websocket: \(error)")))
        }
        state.withLock { $0.outbound = nil }
    }

    private func handle(_ text: String, arrived: UInt64, onMessage: (String, UInt64) -> Void) {
        let decoder = JSONDecoder()
        let data = Data(text.utf8)
        guard let frame = try? decoder.decode(Topic.self, from: data) else { return }
        switch frame.topic {
        case "aws/subscribe":
            let answer = try? decoder.decode(SubscribeFrame.self, from: data)
            if answer?.content?.status == "success" {
                resumeOpened(.success(()))
            } else {
                resumeOpened(.failure(APIBenchError("the subscription failed: \(text)")))
            }
        case "aws/chat":
            guard let content = try? decoder.decode(ChatFrame.self, from: data).content,
                let item = try? decoder.decode(Item.self, from: Data(content.utf8)),
                item.Type == "MESSAGE", let message = item.Content
            else { return }
            onMessage(message, arrived)
        default:
            return
        }
    }

    /// Closes the connection (a normal closure) and waits until it is over.
    func close() async {
        let (outbound, task) = state.withLock { ($0.outbound, $0.task) }
        if let outbound { try? await outbound.close(.normalClosure, reason: "bye") }
        await task?.value
    }
}

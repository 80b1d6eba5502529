// The participant websocket (connect-chat.md §3): the URL CreateParticipantConnection hands out,
// `ws://HOST/participant/websocket?token=…`. Opening it records `WebsocketOpened` (the URL must be used within
// 100 s, at most 5 sockets per participant); closing records `WebsocketClosed`. Frames are ChatJS's envelope
// `{"topic": …, "content": …}`: the client subscribes on `aws/subscribe`, the server answers heartbeats on
// `aws/heartbeat` and deep heartbeats on `aws/ping`, and pushes every transcript item created after the socket
// opened on `aws/chat`, its `content` the item as a JSON string. After `chat.ended` the server closes the socket.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ParleyDomain
import ParleyEngine

/// The participant websocket: upgrade decisions and the per-socket session.
enum ParticipantWebSocket {
    /// The path of the websocket URL.
    static let path = "/participant/websocket"

    /// What a socket serves: the chat and the item count when it opened.
    struct Opened {
        var token: String
        var socketId: Identifier
        var chatId: Identifier
        var itemsAtOpen: Int
    }

    /// Upgrades `GET /participant/websocket?token=…` when the engine accepts the socket; anything else (another
    /// path, a token refused) is left to the HTTP router.
    static func shouldUpgrade(
        _ request: HTTPRequest,
        instances: InstanceRegistry
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let target = request.path, let components = URLComponents(string: target), components.path == path,
            let token = components.queryItems?.first(where: { $0.name == "token" })?.value, !token.isEmpty
        else { return .dontUpgrade }
        let server = instances.owner(ofToken: token)
        var generator = SystemRandomNumberGenerator()
        let socketId = Identifier.random(using: &generator)
        guard case .success = await server.engine.submit(.openWebsocket(websocketToken: token, socketId: socketId)),
            let tokenTarget = server.snapshot.state.websocketTarget(ofToken: token),
            let chat = server.snapshot.state.chats[tokenTarget.chatId]
        else { return .dontUpgrade }
        let opened = Opened(token: token, socketId: socketId, chatId: chat.chatId, itemsAtOpen: chat.items.count)
        return .upgrade([:]) { inbound, outbound, context in
            await session(opened, inbound: inbound, outbound: outbound, server: server, logger: context.logger)
            _ = await server.engine.submit(.closeWebsocket(websocketToken: token, socketId: socketId))
        }
    }

    /// Serves one socket until the client closes it or the chat ends.
    static func session(
        _ opened: Opened,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        server: ServerState,
        logger: Logger
    ) async {
        let (subscribed, subscribe) = AsyncStream<Void>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await answer(inbound, outbound, subscribe: subscribe)
                } catch {
                    logger.debug("participant websocket read ended", metadata: ["error": "\(error)"])
                }
            }
            group.addTask {
                for await _ in subscribed { break }
                do {
                    try await push(opened, outbound, server: server)
                } catch {
                    logger.debug("participant websocket push ended", metadata: ["error": "\(error)"])
                }
            }
            await group.next()
            group.cancelAll()
        }
        subscribe.finish()
    }

    /// Answers the client's frames: subscription, heartbeats and deep heartbeats.
    static func answer(
        _ inbound: WebSocketInboundStream,
        _ outbound: WebSocketOutboundWriter,
        subscribe: AsyncStream<Void>.Continuation
    ) async throws {
        for try await message in inbound.messages(maxSize: 1 << 16) {
            guard case .text(let text) = message,
                let frame = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let topic = frame["topic"] as? String
            else { continue }
            switch topic {
            case "aws/subscribe":
                let topics = ((frame["content"] as? [String: Any])?["topics"] as? [String]) ?? []
                let ok = topics.contains("aws/chat")
                try await send(
                    ["topic": topic, "content": ["status": ok ? "success" : "failure", "topics": topics]],
                    outbound
                )
                if ok { subscribe.yield(()) }
            case "aws/unsubscribe":
                try await send(["topic": topic, "content": ["status": "success"]], outbound)
            case "aws/heartbeat":
                try await send(["topic": topic], outbound)
            case "aws/ping":
                try await send(["topic": topic, "statusCode": 200, "statusContent": "OK"], outbound)
            default:
                continue
            }
        }
    }

    /// Pushes every item created after the socket opened, as commits publish them; closes after `chat.ended`. It
    /// wakes only when its chat changes (or the socket closes), not on every commit.
    ///
    /// A delivered or read receipt changes a message already sent: it goes out as a `MESSAGEMETADATA` item carrying
    /// the message's receipts, as Amazon pushes it.
    static func push(_ opened: Opened, _ outbound: WebSocketOutboundWriter, server: ServerState) async throws {
        // Subscribed before the first read, so no change after that read is missed (see ChangeWatch).
        let changes = server.changes.subscribe(.chat(opened.chatId), in: server.snapshot.state)
        defer { server.changes.unsubscribe(changes) }
        var sent = opened.itemsAtOpen
        var receipts = server.snapshot.state.chats[opened.chatId].map(receiptsByMessage) ?? [:]
        while !Task.isCancelled {
            let snapshot = server.snapshot
            guard let chat = snapshot.state.chats[opened.chatId] else { return }
            if chat.items.count > sent {
                for item in chat.items[sent...] {
                    try await outbound.write(.text(try frame(item, chat: chat)))
                }
                sent = chat.items.count
            }
            let current = receiptsByMessage(chat)
            if current != receipts {
                for (messageId, latest) in current.sorted(by: { $0.key < $1.key }) where receipts[messageId] != latest {
                    guard let index = chat.itemIndex[messageId] else { continue }
                    try await outbound.write(.text(try metadataFrame(chat.items[index], chat: chat)))
                }
                receipts = current
            }
            if chat.status == .ended {
                try await outbound.close(.normalClosure, reason: "the chat ended")
                return
            }
            await changes.wait(after: snapshot.position)
        }
    }

    /// The `aws/chat` frame of `item`: its content is the item (the participant API's `Item`, plus
    /// `InitialContactId` and `ContactId`) as a JSON string.
    static func frame(_ item: TranscriptItem, chat: ChatSession) throws -> String {
        // Two encodings, no JSONSerialization round trip: every item goes to every socket of its chat.
        let pushed = PushedItem(
            view: TranscriptItemView(item, past: false),
            initialContactId: chat.chatId.description,
            contactId: item.contactId.description
        )
        let content = String(decoding: try JSONEncoder().encode(pushed), as: UTF8.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(ChatFrame(content: content)), as: UTF8.self)
    }

    /// A pushed item: the participant API's `Item` with `InitialContactId` and `ContactId` beside its fields.
    struct PushedItem: Encodable {
        var view: TranscriptItemView
        var initialContactId: String
        var contactId: String

        enum Keys: String, CodingKey {
            case InitialContactId, ContactId
        }

        func encode(to encoder: any Encoder) throws {
            try view.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(initialContactId, forKey: .InitialContactId)
            try container.encode(contactId, forKey: .ContactId)
        }
    }

    /// The `aws/chat` envelope.
    struct ChatFrame: Encodable {
        var content: String
        var contentType = "application/json"
        var topic = "aws/chat"
    }

    /// The receipts of every message that has any.
    static func receiptsByMessage(_ chat: ChatSession) -> [Identifier: ReceiptMap] {
        var receipts: [Identifier: ReceiptMap] = [:]
        for item in chat.items where !item.receipts.isEmpty { receipts[item.id] = item.receipts }
        return receipts
    }

    /// The `aws/chat` frame announcing the receipts of `message`: a `MESSAGEMETADATA` item.
    static func metadataFrame(_ message: TranscriptItem, chat: ChatSession) throws -> String {
        let view = TranscriptItemView(message, past: false)
        guard let metadata = view.messageMetadata else { throw APIError(.internalService, "no receipts to push") }
        let latest = message.receipts.values.flatMap { [$0.readAt, $0.deliveredAt].compactMap { $0 } }.max()
        let fields: [String: Any] = [
            "Id": UUID().uuidString.lowercased(),
            "Type": "MESSAGEMETADATA",
            "AbsoluteTime": ISOTime.format(latest ?? message.timestamp),
            "MessageMetadata": [
                "MessageId": metadata.messageId,
                "Receipts": metadata.receipts.map { receipt in
                    var entry: [String: Any] = ["RecipientParticipantId": receipt.recipientParticipantId]
                    if let delivered = receipt.deliveredTimestamp { entry["DeliveredTimestamp"] = delivered }
                    if let read = receipt.readTimestamp { entry["ReadTimestamp"] = read }
                    return entry
                },
            ],
            "InitialContactId": chat.chatId.description,
            "ContactId": message.contactId.description,
        ]
        let content = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        return try text(["topic": "aws/chat", "contentType": "application/json", "content": content])
    }

    static func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func send(_ object: [String: Any], _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(try text(object)))
    }
}

import Foundation
import HummingbirdWSClient
import Logging
import NIOWebSocket
import ParleyServer
import Synchronization
import Testing

/// The participant websocket over real TCP, spoken the way ChatJS speaks it: subscribe, heartbeats, the
/// `aws/chat` frames of new items (content as a JSON string), and the server closing after `chat.ended`.
@Suite struct ParticipantWebSocketTests {
    /// Frames received, in order.
    final class Received: Sendable {
        let frames = Mutex<[String]>([])
        var all: [[String: Any]] { frames.withLock { $0 }.map(ParticipantWebSocketTests.json) }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func aCustomerSubscribesHearsNewItemsAndTheServerClosesAfterTheChatEnds() async throws {
        let directory = TemporaryDirectory()
        let (contactId, participantToken) = try await ParticipantAPITests.startChat(directory)
        let running = try await RunningServer.start(in: directory)
        let base = running.addresses.http
        let connection = try await ParticipantAPITests.post(
            base,
            "/participant/connection",
            bearer: participantToken,
            #"{"Type":["WEBSOCKET","CONNECTION_CREDENTIALS"]}"#
        )
        let url = try #require((connection.json["Websocket"] as? [String: Any])?["Url"] as? String)
        let credentials = try #require(connection.json["ConnectionCredentials"] as? [String: Any])
        let token = try #require(credentials["ConnectionToken"] as? String)

        let received = Received()
        let logger = Logger(label: "parley.tests.ws")
        let closed = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            func next() async throws -> [String: Any]? {
                guard let message = try await messages.next() else { return nil }
                guard case .text(let text) = message else { return [:] }
                received.frames.withLock { $0.append(text) }
                return Self.json(text)
            }
            try await outbound.write(.text(#"{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}"#))
            let subscribed = try await next()
            #expect(subscribed?["topic"] as? String == "aws/subscribe")
            #expect((subscribed?["content"] as? [String: Any])?["status"] as? String == "success")
            try await outbound.write(.text(#"{"topic":"aws/heartbeat"}"#))
            #expect(try await next()?["topic"] as? String == "aws/heartbeat")
            try await outbound.write(.text(#"{"topic":"aws/ping"}"#))
            #expect(try await next()?["statusCode"] as? Int == 200)

            let sent = try await ParticipantAPITests.post(
                base,
                "/participant/message",
                bearer: token,
                #"{"ContentType":"text/plain","Content":"Over the socket?"}"#
            )
            let messageId = try #require(sent.json["Id"] as? String)
            var pushed: [String: Any] = [:]
            while let frame = try await next() {
                guard frame["topic"] as? String == "aws/chat", let content = frame["content"] as? String else {
                    continue
                }
                let item = Self.json(content)
                if item["Id"] as? String == messageId {
                    pushed = item
                    break
                }
            }
            #expect(pushed["Content"] as? String == "Over the socket?")
            #expect(pushed["InitialContactId"] as? String == contactId)
            #expect(pushed["ContactId"] as? String == contactId)
            #expect(pushed["ParticipantRole"] as? String == "CUSTOMER")

            _ = try await ParticipantAPITests.post(base, "/participant/disconnect", bearer: token, "{}")
            // The server pushes the rest (the customer left, the chat ended) and closes the socket.
            while try await next() != nil {}
        }
        #expect(closed?.closeCode == .normalClosure)
        let items = received.all.compactMap { $0["content"] as? String }.map(Self.json)
        #expect(
            items.contains { $0["ContentType"] as? String == "application/vnd.amazonaws.connect.event.chat.ended" }
        )

        // The chat ended: the URL no longer opens (the upgrade is refused with Amazon's error).
        let components = try #require(URLComponents(string: url))
        let again = try await ParticipantAPITests.get(
            base,
            components.path + "?" + (components.percentEncodedQuery ?? "")
        )
        #expect(again.status == 403)
        #expect(again.headers["x-amzn-errortype"] == "AccessDeniedException")
        await #expect(throws: (any Error).self) {
            try await WebSocketClient.connect(url: url, logger: logger) { _, _, _ in }
        }
        try await running.stop()
    }
}

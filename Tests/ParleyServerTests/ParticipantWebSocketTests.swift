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

    /// One device of the customer: a websocket that subscribes, then hands every `aws/chat` item to `items`.
    static func device(
        _ url: String,
        subscribed: AsyncStream<Void>.Continuation,
        items: AsyncStream<String>.Continuation,
        until last: @escaping @Sendable ([String: Any]) -> Bool
    ) async throws -> WebSocketCloseFrame? {
        try await WebSocketClient.connect(url: url, logger: Logger(label: "parley.tests.ws")) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            try await outbound.write(.text(#"{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}"#))
            while let message = try await messages.next() {
                guard case .text(let text) = message else { continue }
                let frame = Self.json(text)
                if frame["topic"] as? String == "aws/subscribe" {
                    subscribed.yield()
                    continue
                }
                guard frame["topic"] as? String == "aws/chat", let content = frame["content"] as? String else {
                    continue
                }
                items.yield(content)
                if last(Self.json(content)) { return }
            }
        }
    }

    /// The next item of `items` that `matches`.
    static func next(
        _ items: inout AsyncStream<String>.AsyncIterator,
        _ matches: ([String: Any]) -> Bool
    ) async -> [String: Any]? {
        while let content = await items.next() {
            let item = Self.json(content)
            if matches(item) { return item }
        }
        return nil
    }

    @Test(.timeLimit(.minutes(5)))
    func twoDevicesHearEveryItemAndAReconnectFillsTheGapFromTheTranscript() async throws {
        let directory = TemporaryDirectory()
        let (_, participantToken) = try await ParticipantAPITests.startChat(directory)
        let running = try await RunningServer.start(in: directory)
        let base = running.addresses.http
        func connection() async throws -> (url: String, token: String) {
            let answer = try await ParticipantAPITests.post(
                base,
                "/participant/connection",
                bearer: participantToken,
                #"{"Type":["WEBSOCKET","CONNECTION_CREDENTIALS"]}"#
            )
            let url = try #require((answer.json["Websocket"] as? [String: Any])?["Url"] as? String)
            let credentials = try #require(answer.json["ConnectionCredentials"] as? [String: Any])
            return (url, try #require(credentials["ConnectionToken"] as? String))
        }
        func send(_ token: String, _ text: String) async throws -> String {
            let sent = try await ParticipantAPITests.post(
                base,
                "/participant/message",
                bearer: token,
                #"{"ContentType":"text/plain","Content":"\#(text)"}"#
            )
            return try #require(sent.json["Id"] as? String)
        }
        let phone = try await connection()
        let laptop = try await connection()
        let (subscribed, subscribedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (phoneItems, phoneContinuation) = AsyncStream.makeStream(of: String.self)
        let (laptopItems, laptopContinuation) = AsyncStream.makeStream(of: String.self)
        // The phone stays until it hears the receipt; the laptop leaves after the first message.
        let phoneTask = Task {
            try await Self.device(phone.url, subscribed: subscribedContinuation, items: phoneContinuation) {
                $0["Type"] as? String == "MESSAGEMETADATA"
            }
        }
        let laptopTask = Task {
            try await Self.device(laptop.url, subscribed: subscribedContinuation, items: laptopContinuation) {
                $0["Content"] as? String == "first"
            }
        }
        var subscriptions = subscribed.makeAsyncIterator()
        _ = await subscriptions.next()
        _ = await subscriptions.next()

        let first = try await send(phone.token, "first")
        var phoneIterator = phoneItems.makeAsyncIterator()
        var laptopIterator = laptopItems.makeAsyncIterator()
        #expect(await Self.next(&phoneIterator) { $0["Id"] as? String == first } != nil)
        #expect(await Self.next(&laptopIterator) { $0["Id"] as? String == first } != nil)
        _ = try await laptopTask.value

        // While the laptop is away, two more messages arrive.
        let second = try await send(phone.token, "second")
        let third = try await send(phone.token, "third")
        #expect(await Self.next(&phoneIterator) { $0["Id"] as? String == third } != nil)

        // The laptop reconnects: the transcript fills the gap, the new socket carries what follows.
        let again = try await connection()
        let (resubscribed, resubscribedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (laterItems, laterContinuation) = AsyncStream.makeStream(of: String.self)
        let reconnected = Task {
            try await Self.device(again.url, subscribed: resubscribedContinuation, items: laterContinuation) {
                $0["Content"] as? String == "fourth"
            }
        }
        var resubscriptions = resubscribed.makeAsyncIterator()
        _ = await resubscriptions.next()
        let gap = try await ParticipantAPITests.post(
            base,
            "/participant/transcript",
            bearer: again.token,
            #"{"MaxResults":100,"SortOrder":"ASCENDING"}"#
        )
        let transcript = try #require(gap.json["Transcript"] as? [[String: Any]])
        let ids = transcript.compactMap { $0["Id"] as? String }
        #expect(ids.contains(second) && ids.contains(third))
        let greeting = try #require(
            transcript.first { $0["ParticipantRole"] as? String == "SYSTEM" && $0["Type"] as? String == "MESSAGE" }
        )
        let fourth = try await send(again.token, "fourth")
        var laterIterator = laterItems.makeAsyncIterator()
        #expect(await Self.next(&laterIterator) { $0["Id"] as? String == fourth } != nil)
        _ = try await reconnected.value

        // A read receipt changes a message already delivered: the phone hears it as MESSAGEMETADATA.
        let greetingId = try #require(greeting["Id"] as? String)
        let receipt = try await ParticipantAPITests.post(
            base,
            "/participant/event",
            bearer: phone.token,
            #"{"ContentType":"application/vnd.amazonaws.connect.event.message.read","Content":"{\"messageId\":\"\#(greetingId)\"}"}"#
        )
        #expect(receipt.status == 200, "\(receipt.json)")
        let metadata = await Self.next(&phoneIterator) { $0["Type"] as? String == "MESSAGEMETADATA" }
        let message = try #require(metadata?["MessageMetadata"] as? [String: Any])
        #expect(message["MessageId"] as? String == greetingId)
        let receipts = try #require(message["Receipts"] as? [[String: Any]])
        #expect(receipts.count == 1 && receipts[0]["ReadTimestamp"] is String)
        _ = try await phoneTask.value
        try await running.stop()
    }
}

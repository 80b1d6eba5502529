import Testing

@testable import ParleyDomain

/// SendMessage and SendEvent read their chat in place (`Transaction.sendTarget`) instead of binding it: each check
/// must still answer as `connection(_:)` and the checks after it did, in the same order when several fail at once.
@Suite struct SendTargetTests {
    static let denied = "AccessDeniedException"
    static let validation = "ValidationException"

    static func message(
        _ token: String,
        _ type: String = ContentTypes.plainText,
        clientToken: String? = nil
    )
        -> ChatCommand
    {
        .sendMessage(connectionToken: token, contentType: type, content: "hi", clientToken: clientToken)
    }

    static func receipt(_ token: String, _ type: String, _ messageId: Identifier) -> ChatCommand {
        .sendEvent(
            connectionToken: token,
            contentType: type,
            content: "{\"messageId\":\"\(messageId)\"}",
            clientToken: nil
        )
    }

    @Test func anExpiredConnectionIsNamedBeforeAnEndedChatAndTheRequestsOwnFlaws() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        let longToken = String(repeating: "k", count: 501)
        // Past the 60-minute ceiling (its timer not fired yet): ended, before the request's own flaws.
        harness.advance(61 * Duration.minute)
        let ended = harness.expectRejected(Self.message(token, "text/csv", clientToken: longToken), Self.denied, 403)
        #expect(ended?.message == "the chat has ended")
        // Past the connection's day as well: the expired token is named first.
        harness.advance(Duration.day)
        let expired = harness.expectRejected(Self.message(token, "text/csv", clientToken: longToken), Self.denied, 403)
        #expect(expired?.message == "the connection token expired; call CreateParticipantConnection again")
        let unknown = harness.expectRejected(Self.message("no-such-token"), Self.denied, 403)
        #expect(unknown?.message == "the connection token is not valid")
    }

    @Test func aChatPastItsConnectWindowWithoutTheCustomerHasEndedForTheAgent() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(4 * Duration.minute)
        try harness.send(agentToken, "are you there?")
        harness.advance(Duration.minute + Duration.second)
        let late = harness.expectRejected(Self.message(agentToken), Self.denied, 403)
        #expect(late?.message == "the chat has ended")
        // The customer connecting inside the window keeps the chat open past it.
        var connected = ChatHarness()
        let (open, _) = try connected.startConnectedChat()
        let (_, otherAgent) = try connected.joinAgent(open.contactId)
        connected.advance(6 * Duration.minute)
        try connected.send(otherAgent, "still here")
    }

    @Test func aLongClientTokenIsRefusedBeforeTheContentTypeAndARetryGetsTheFirstAnswer() throws {
        var harness = ChatHarness()
        let request = ChatHarness.request { $0.supportedMessagingContentTypes = [ContentTypes.plainText] }
        let (chat, token) = try harness.startConnectedChat(request)
        let long = harness.expectRejected(
            Self.message(token, ContentTypes.markdown, clientToken: String(repeating: "é", count: 501)),
            Self.validation,
            400
        )
        #expect(long?.message == "ClientToken is longer than 500")
        let unsupported = harness.expectRejected(Self.message(token, ContentTypes.markdown), Self.validation, 400)
        #expect(unsupported?.message == "ContentType text/markdown is not supported by this chat")
        // 500 characters of two bytes each are allowed.
        let first = try harness.send(token, "first", clientToken: String(repeating: "é", count: 500))
        harness.advance(Duration.second)
        let retry = try harness.mustWriteNothing(
            .sendMessage(
                connectionToken: token,
                contentType: ContentTypes.plainText,
                content: "another text",
                clientToken: String(repeating: "é", count: 500)
            )
        )
        #expect(retry == .sent(id: first.id, absoluteTime: first.time))
        // A retry is answered before the content type is checked again, as the first answer was.
        let retriedAsMarkdown = try harness.mustWriteNothing(
            Self.message(token, ContentTypes.markdown, clientToken: String(repeating: "é", count: 500))
        )
        #expect(retriedAsMarkdown == retry)
        // The same ClientToken on SendEvent is a request of its own kind: written, with an id of its own.
        let events = harness.log.count
        let typing = try harness.sendEvent(token, ContentTypes.typing, clientToken: String(repeating: "é", count: 500))
        #expect(typing.id != first.id && harness.log.count > events)
        #expect(try harness.chat(chat.contactId).sentByClientToken.count == 2)
        #expect(try harness.replayMatches())
    }

    @Test func receiptsAreCheckedAgainstTheChatTheyName() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        let own = try harness.send(token, "hello")
        let ownReceipt = harness.expectRejected(Self.receipt(token, ContentTypes.read, own.id), Self.validation, 400)
        #expect(ownReceipt?.message == "a participant cannot acknowledge its own message")
        let (other, otherToken) = try harness.startConnectedChat()
        let elsewhere = try harness.send(otherToken, "in another chat")
        let foreign = harness.expectRejected(
            Self.receipt(agentToken, ContentTypes.delivered, elsewhere.id),
            Self.validation,
            400
        )
        #expect(foreign?.message == "message \(elsewhere.id) is not in this chat")
        let read = try harness.sendEvent(agentToken, ContentTypes.read, "{\"messageId\":\"\(own.id)\"}")
        let session = try harness.chat(chat.contactId)
        let position = try #require(session.itemIndex[own.id])
        #expect(session.items[position].receipts[agentId]?.readAt == read.time)
        #expect(try harness.chat(other.contactId).items.allSatisfy { $0.receipts.isEmpty })
        #expect(try harness.replayMatches())
    }
}

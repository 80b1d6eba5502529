import Testing

@testable import ParleyDomain

/// The limits of SendMessage counted in characters: ClientToken's 500 and a bot's 1,024-character input. Both are
/// checked on the UTF-8 length first and counted only past it, so multi-byte text right at the limit is the case.
@Suite struct MessageLimitTests {
    @Test func clientTokensAreLimitedTo500Characters() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        // 500 characters in 1,000 bytes: within the limit.
        try harness.send(token, "hello", clientToken: String(repeating: "é", count: 500))
        for tooLong in [String(repeating: "a", count: 501), String(repeating: "é", count: 501)] {
            harness.expectRejected(
                .sendMessage(
                    connectionToken: token,
                    contentType: ContentTypes.plainText,
                    content: "hello",
                    clientToken: tooLong
                ),
                "ValidationException",
                400
            )
        }
        #expect(try harness.replayMatches())
    }

    @Test func aCustomerWritingToABotIsLimitedTo1024Characters() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let limit = ContentTypes.maxBotInputCharacters
        let longest = String(repeating: "a", count: limit)
        let tooLong = String(repeating: "a", count: limit + 1)
        // No bot: nothing but the byte limit applies.
        try harness.send(token, tooLong)

        _ = try harness.joinBot(chat.contactId)
        try harness.send(token, longest)
        // As many characters as the limit, in twice as many bytes.
        try harness.send(token, String(repeating: "é", count: limit))
        for content in [tooLong, String(repeating: "é", count: limit + 1)] {
            harness.expectRejected(
                .sendMessage(
                    connectionToken: token,
                    contentType: ContentTypes.plainText,
                    content: content,
                    clientToken: nil
                ),
                "ValidationException",
                400
            )
        }

        // With an agent present the bot no longer answers, and the limit goes.
        _ = try harness.joinAgent(chat.contactId)
        try harness.send(token, tooLong)
        #expect(try harness.replayMatches())
    }
}

import Testing

@testable import ParleyDomain

/// Participant, connection and websocket tokens name their chat (`ChatToken`) and are found through it; tokens of
/// logs written before, 64 random hex digits, are found through the token maps. Both lead to the same place at every
/// point of a history.
@Suite struct ChatTokenTests {
    /// `log` as a log written before tokens named their chat: every participant, connection and websocket token
    /// replaced by 64 random hex digits (the same replacement wherever a token recurs); returns the replacements.
    static func legacyLog(
        _ log: [(timestamp: Int64, event: ChatEvent)]
    ) -> (log: [(timestamp: Int64, event: ChatEvent)], replaced: [String: String]) {
        var random = SeededGenerator(seed: 77)
        var replaced: [String: String] = [:]
        func legacy(_ token: String) -> String {
            if let known = replaced[token] { return known }
            let new = Identifier.random(using: &random).digits(followedBy: Identifier.random(using: &random))
            replaced[token] = new
            return new
        }
        let rewritten = log.map { entry -> (timestamp: Int64, event: ChatEvent) in
            switch entry.event {
            case .participantJoined(var joined):
                joined.participantToken = legacy(joined.participantToken)
                return (entry.timestamp, .participantJoined(joined))
            case .connectionCreated(var created):
                created.connectionToken = legacy(created.connectionToken)
                created.websocketToken = created.websocketToken.map(legacy)
                return (entry.timestamp, .connectionCreated(created))
            default:
                return entry
            }
        }
        return (rewritten, replaced)
    }

    /// Where each kind of lookup leads for `token`.
    static func targets(_ token: String, in state: ChatState) -> [TokenTarget?] {
        [
            state.participantTarget(ofToken: token), state.connectionTarget(ofToken: token),
            state.websocketTarget(ofToken: token),
        ]
    }

    @Test func issuedTokensNameTheirChatAndNeedNoMap() throws {
        var harness = ChatHarness()
        let (chat, customerConnection) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgentParticipant(chat.contactId)
        let connection = try harness.connect(agentToken)
        let websocket = try #require(connection.websocketToken)
        for token in [chat.participantToken, customerConnection, agentToken, websocket] {
            #expect(token.utf8.count == 64)
            #expect(ChatToken.chatId(of: token) == chat.contactId)
        }
        #expect(harness.state.participantTokens.isEmpty)
        #expect(harness.state.connectionTokens.isEmpty)
        #expect(harness.state.websocketTokens.isEmpty)
        #expect(harness.state.participantTarget(ofToken: agentToken)?.participantId == agentId)
        #expect(harness.state.websocketTarget(ofToken: websocket)?.connectionId != nil)
        #expect(harness.state.connectionTarget(ofToken: customerConnection)?.participantId == chat.participantId)

        // The chat's id is no secret: a token with it and any other digits leads nowhere, nor does a token of one kind
        // looked up as another, nor an upper-case copy of a real one.
        var random = SeededGenerator(seed: 9)
        let forged = chat.contactId.digits(followedBy: Identifier.random(using: &random))
        #expect(Self.targets(forged, in: harness.state) == [nil, nil, nil])
        #expect(harness.state.connectionTarget(ofToken: agentToken) == nil)
        #expect(harness.state.participantTarget(ofToken: customerConnection) == nil)
        #expect(Self.targets(agentToken.uppercased(), in: harness.state) == [nil, nil, nil])
        #expect(!harness.state.holdsToken(forged))
        #expect(harness.state.holdsToken(websocket))
        harness.expectRejected(
            .sendMessage(connectionToken: forged, contentType: ContentTypes.plainText, content: "hi", clientToken: nil),
            "AccessDeniedException",
            403
        )
    }

    /// Replayed as written now and as a log of the old form, a history's tokens lead to the same targets after
    /// every event: participants leaving, agents transferring, chats ending, connections outliving their chat.
    @Test(arguments: [3, 17] as [UInt64])
    func tokensOfEitherFormLeadToTheSamePlaceThroughoutAHistory(seed: UInt64) throws {
        var harness = try ProjectionEngineTests.traffic(seed: seed)
        // Last, a chat ends without its participants leaving first (the machine never writes that; a log may hold
        // it): the old maps dropped the present participants' tokens then.
        var random = SeededGenerator(seed: seed)
        let active = try #require(
            harness.state.chats.values.first { $0.status == .active && !$0.presentParticipants.isEmpty }
        )
        let end = (harness.log.last?.timestamp ?? 0) + 1
        let ended = ChatEnded(
            chatId: active.chatId,
            contactId: active.currentContactId,
            reason: .other,
            effectiveAt: end,
            itemId: Identifier.random(using: &random)
        )
        harness.log.append((end, .chatEnded(ended)))
        let (legacy, replaced) = Self.legacyLog(harness.log)
        #expect(replaced.count > 20)
        var current = ChatState()
        var old = ChatState()
        var issued: [String] = []
        var compared = 0
        for (entry, legacyEntry) in zip(harness.log, legacy) {
            ChatMachine.apply(entry.event, at: entry.timestamp, to: &current)
            ChatMachine.apply(legacyEntry.event, at: legacyEntry.timestamp, to: &old)
            switch entry.event {
            case .participantJoined(let joined): issued.append(joined.participantToken)
            case .connectionCreated(let created):
                issued += [created.connectionToken] + (created.websocketToken.map { [$0] } ?? [])
            default: break
            }
            for token in issued {
                let legacyToken = try #require(replaced[token])
                #expect(
                    Self.targets(token, in: current) == Self.targets(legacyToken, in: old),
                    "\(entry.event.payload)"
                )
                compared += 1
            }
        }
        #expect(
            current.participantTokens.isEmpty && current.connectionTokens.isEmpty && current.websocketTokens.isEmpty
        )
        #expect(!old.connectionTokens.isEmpty)
        // The history reaches every case: tokens that stopped working and tokens still working, of each kind.
        let final = issued.map { Self.targets($0, in: current) }
        for kind in 0..<3 {
            #expect(final.contains { $0[kind] != nil })
        }
        #expect(final.contains { $0 == [nil, nil, nil] })
        #expect(compared > 1_000)
    }

    /// A server restarted on a log of the old form goes on serving its tokens: commands decide through the maps.
    @Test func tokensOfALogWrittenBeforeStillWork() throws {
        var harness = ChatHarness()
        let (chat, customer) = try harness.startConnectedChat()
        let (_, agentToken) = try harness.joinAgentParticipant(chat.contactId)
        try harness.send(customer, "before")
        let (legacy, replaced) = Self.legacyLog(harness.log)
        harness.state = ChatState()
        for entry in legacy { ChatMachine.apply(entry.event, at: entry.timestamp, to: &harness.state) }
        harness.log = legacy
        #expect(!harness.state.participantTokens.isEmpty && !harness.state.connectionTokens.isEmpty)

        let oldCustomer = try #require(replaced[customer])
        let oldAgent = try #require(replaced[agentToken])
        #expect(harness.state.connectionTarget(ofToken: customer) == nil)
        try harness.send(oldCustomer, "after")
        let agentConnection = try harness.connect(oldAgent)
        let agentConnectionToken = try #require(agentConnection.connectionToken)
        // A connection made now gets a token of the new form, found through the chat beside the old ones.
        #expect(ChatToken.chatId(of: agentConnectionToken) == chat.contactId)
        try harness.send(agentConnectionToken, "an answer")
        #expect(try harness.transcript(oldCustomer).items.contains { $0.content == "an answer" })
        _ = try harness.must(.disconnectParticipant(connectionToken: oldCustomer, clientToken: nil))
        #expect(harness.state.participantTokens.isEmpty)
        #expect(harness.state.websocketTokens.isEmpty)
        #expect(try harness.transcript(oldCustomer).items.count > 3)
        #expect(try harness.replayMatches())
    }
}

import Testing

@testable import ParleyDomain

private let plain = ContentTypes.plainText
private let markdown = ContentTypes.markdown

// MARK: - StartChatContact

@Suite struct StartChatContactTests {
    @Test func startOpensAChatWithItsCustomerCeilingAndConnectWindow() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let response = try harness.startChat(
            ChatHarness.request { $0.attributes = ["tier": "gold"] }
        )
        let chat = try harness.chat(response.contactId)
        let contact = try harness.contact(response.contactId)
        #expect(chat.status == .active)
        #expect(chat.chatId == response.contactId)
        #expect(chat.durationMinutes == 1500)
        #expect(chat.startedAt == start)
        #expect(chat.expiresAt == start + 25 * Duration.hour)
        #expect(chat.supportedContentTypes == [plain])
        #expect(chat.customerParticipantId == response.participantId)
        #expect(chat.participants[response.participantId]?.role == .customer)
        #expect(chat.participants[response.participantId]?.displayName == "Ana")
        #expect(harness.state.timers[TimerKey(.chatCeiling, chat: response.contactId)] == start + 25 * Duration.hour)
        #expect(harness.state.timers[TimerKey(.connectWindow, chat: response.contactId)] == start + 5 * Duration.minute)
        #expect(contact.initiationMethod == .api)
        #expect(contact.status == .initiated)
        #expect(contact.attributes == ["tier": "gold"])
        #expect(contact.initiatedAt == start)
        #expect(response.continuedFromContactId == nil)
        #expect(
            harness.state.participantTarget(ofToken: response.participantToken)?.participantId == response.participantId
        )
        #expect(harness.state.activeChats == 1)
        #expect(try harness.replayMatches())
    }

    @Test func unknownInstanceIsResourceNotFound() throws {
        var harness = ChatHarness()
        harness.expectRejected(
            .startChatContact(ChatHarness.request { $0.instanceId = "another-instance" }),
            "ResourceNotFoundException",
            404
        )
        var unconfigured = ChatHarness(configure: false)
        unconfigured.expectRejected(.startChatContact(ChatHarness.request()), "ResourceNotFoundException", 404)
        #expect(unconfigured.log.isEmpty)
        #expect(try harness.replayMatches())
    }

    @Test(arguments: [(0, false), (1, true), (500, true), (501, false)])
    func contactFlowIdLength(length: Int, accepted: Bool) throws {
        var harness = ChatHarness()
        // Accepted lengths name the harness flow by an ARN of that length (flows are found by id or ARN suffix).
        let suffix = "/" + ChatHarness.flowId
        let reference =
            length > suffix.count
            ? String(repeating: "f", count: length - suffix.count) + suffix
            : String(repeating: "f", count: length)
        if length == 1 {
            _ = try harness.must(
                .createContactFlow(
                    instanceId: ChatHarness.instanceId,
                    flowId: "f",
                    name: "F",
                    type: "CONTACT_FLOW",
                    description: "",
                    content: ChatHarness.queueingFlow
                )
            )
        }
        let command = ChatCommand.startChatContact(ChatHarness.request { $0.contactFlowId = reference })
        if accepted {
            _ = try harness.must(command)
            #expect(harness.state.chats.count == 1)
        } else {
            harness.expectRejected(command, "InvalidParameterException", 400)
        }
        #expect(try harness.replayMatches())
    }

    @Test(arguments: [(0, false), (1, true), (256, true), (257, false)])
    func displayNameLength(length: Int, accepted: Bool) throws {
        var harness = ChatHarness()
        let request = ChatHarness.request(displayName: String(repeating: "é", count: length))
        if accepted {
            let response = try harness.startChat(request)
            #expect(
                try harness.chat(response.contactId).participants[response.participantId]?.displayName.count == length
            )
        } else {
            harness.expectRejected(.startChatContact(request), "InvalidParameterException", 400)
        }
        #expect(try harness.replayMatches())
    }

    @Test(arguments: ["", "a b", "a.b", "a$", "clé", "a/b", "a:b"])
    func attributeKeysAllowOnlyAlphanumericsDashAndUnderscore(key: String) throws {
        var harness = ChatHarness()
        harness.expectRejected(
            .startChatContact(ChatHarness.request { $0.attributes = [key: "v"] }),
            "InvalidParameterException",
            400
        )
        let response = try harness.startChat(ChatHarness.request { $0.attributes = ["Az09-_x": "v"] })
        #expect(try harness.contact(response.contactId).attributes == ["Az09-_x": "v"])
        #expect(try harness.replayMatches())
    }

    @Test func attributesTotalAtMost32768UTF8Bytes() throws {
        var harness = ChatHarness()
        // "a" (1 byte) + 32,767 bytes = 32,768: accepted.
        let exact = ["a": String(repeating: "x", count: 32_767)]
        let response = try harness.startChat(ChatHarness.request { $0.attributes = exact })
        #expect(try harness.contact(response.contactId).attributes == exact)
        // Two pairs that add up to 32,769 bytes.
        harness.expectRejected(
            .startChatContact(
                ChatHarness.request {
                    $0.attributes = [
                        "a": String(repeating: "x", count: 16_383), "b": String(repeating: "y", count: 16_384),
                    ]
                }
            ),
            "InvalidParameterException",
            400
        )
        // 32,767 characters, but "é" is two bytes: 1 + 32,766 + 2 = 32,769 bytes.
        harness.expectRejected(
            .startChatContact(
                ChatHarness.request { $0.attributes = ["a": String(repeating: "x", count: 32_766) + "é"] }
            ),
            "InvalidParameterException",
            400
        )
        // 16,383 two-byte characters + "a" key = 32,767 bytes: accepted.
        _ = try harness.startChat(ChatHarness.request { $0.attributes = ["a": String(repeating: "é", count: 16_383)] })
        #expect(harness.state.chats.count == 2)
        #expect(try harness.replayMatches())
    }

    @Test(arguments: [(59, false), (60, true), (10_080, true), (10_081, false), (0, false), (-60, false)])
    func chatDurationInMinutesRange(minutes: Int, accepted: Bool) throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let request = ChatHarness.request { $0.chatDurationInMinutes = minutes }
        if accepted {
            let response = try harness.startChat(request)
            let deadline = start + Int64(minutes) * Duration.minute
            #expect(try harness.chat(response.contactId).expiresAt == deadline)
            #expect(harness.state.timers[TimerKey(.chatCeiling, chat: response.contactId)] == deadline)
        } else {
            harness.expectRejected(.startChatContact(request), "InvalidParameterException", 400)
        }
        #expect(try harness.replayMatches())
    }

    @Test func defaultDurationIs1500MinutesWithACeilingAt25Hours() throws {
        var harness = ChatHarness()
        harness.advance(Duration.minute)
        let start = harness.now
        let response = try harness.startChat()
        let chat = try harness.chat(response.contactId)
        #expect(chat.durationMinutes == 1500)
        #expect(harness.state.timers[TimerKey(.chatCeiling, chat: response.contactId)] == start + 25 * Duration.hour)
        #expect(try harness.replayMatches())
    }

    @Test func supportedMessagingContentTypesMustIncludePlainTextAndKnownTypes() throws {
        var harness = ChatHarness()
        for types in [[markdown], [plain, "image/png"], [], [plain, ""], [plain, ContentTypes.typing]] {
            harness.expectRejected(
                .startChatContact(ChatHarness.request { $0.supportedMessagingContentTypes = types }),
                "InvalidParameterException",
                400
            )
        }
        let all = [plain, markdown, ContentTypes.json, ContentTypes.interactive, ContentTypes.interactiveResponse]
        let response = try harness.startChat(ChatHarness.request { $0.supportedMessagingContentTypes = all })
        #expect(try harness.chat(response.contactId).supportedContentTypes == all)
        #expect(try harness.replayMatches())
    }

    @Test func initialMessageTypeAndSize() throws {
        var harness = ChatHarness()
        typealias Message = StartChatContactRequest.InitialMessage
        let rejected: [(Message, [String]?)] = [
            (Message(contentType: "image/png", content: "x"), nil),
            (Message(contentType: markdown, content: "x"), nil),  // allowed, but not in the supported list
            (Message(contentType: ContentTypes.interactive, content: "{}"), [plain, ContentTypes.interactive]),
            (Message(contentType: plain, content: String(repeating: "a", count: 16_385)), nil),
            (Message(contentType: plain, content: String(repeating: "é", count: 8_192) + "a"), nil),
            (Message(contentType: plain, content: ""), nil),
        ]
        for (message, supported) in rejected {
            harness.expectRejected(
                .startChatContact(
                    ChatHarness.request {
                        $0.initialMessage = message
                        $0.supportedMessagingContentTypes = supported
                    }
                ),
                "InvalidParameterException",
                400
            )
        }
        let exact = String(repeating: "é", count: 8_192)
        let response = try harness.startChat(
            ChatHarness.request {
                $0.initialMessage = Message(contentType: markdown, content: exact)
                $0.supportedMessagingContentTypes = [plain, markdown]
            }
        )
        let chat = try harness.chat(response.contactId)
        let message = try #require(chat.items.last)
        #expect(message.type == "MESSAGE")
        #expect(message.content == exact)
        #expect(message.contentType == markdown)
        #expect(message.participantId == response.participantId)
        #expect(chat.billableMessages == 1)
        #expect(try harness.replayMatches())
    }

    @Test func persistentChatAndRelatedContactAreExclusive() throws {
        var harness = ChatHarness()
        let first = try harness.startChat()
        harness.expectRejected(
            .startChatContact(
                ChatHarness.request {
                    $0.persistentChat = .init(
                        rehydrationType: "ENTIRE_PAST_SESSION",
                        sourceContactId: "\(first.contactId)"
                    )
                    $0.relatedContactId = "\(first.contactId)"
                }
            ),
            "InvalidRequestException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func persistentChatNeedsARehydrationType() throws {
        var harness = ChatHarness()
        let (first, token) = try harness.startConnectedChat()
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        for type in [nil, "EVERYTHING"] {
            harness.expectRejected(
                .startChatContact(
                    ChatHarness.request {
                        $0.persistentChat = .init(rehydrationType: type, sourceContactId: "\(first.contactId)")
                    }
                ),
                "InvalidParameterException",
                400
            )
        }
        #expect(try harness.replayMatches())
    }

    @Test func concurrentChatQuotaIsLimitExceeded() throws {
        var harness = ChatHarness()
        _ = try harness.must(.configureInstance(instanceId: ChatHarness.instanceId, concurrentActiveChats: 2))
        let (first, token) = try harness.startConnectedChat()
        _ = try harness.startChat()
        harness.expectRejected(.startChatContact(ChatHarness.request()), "LimitExceededException", 429)
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        #expect(try harness.chat(first.contactId).status == .ended)
        #expect(harness.state.activeChats == 1)
        _ = try harness.startChat()
        #expect(harness.state.activeChats == 2)
        #expect(try harness.replayMatches())
    }

    @Test func chatsPastTheirCeilingDoNotCountTowardsTheQuota() throws {
        var harness = ChatHarness()
        _ = try harness.must(.configureInstance(instanceId: ChatHarness.instanceId, concurrentActiveChats: 1))
        harness.advance(Duration.second)
        let (first, _) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        harness.advance(Duration.hour - 1)
        harness.expectRejected(.startChatContact(ChatHarness.request()), "LimitExceededException", 429)
        harness.advance(1)
        // The ceiling is due but the scheduler has not fired it yet: the chat is over all the same, and the next
        // command fires it first (recording TimerFired before its own events).
        #expect(harness.state.timers[TimerKey(.chatCeiling, chat: first.contactId)] != nil)
        let before = harness.log.count
        let second = try harness.startChat()
        #expect(harness.state.chats[second.contactId]?.status == .active)
        #expect(harness.state.chats[first.contactId]?.endReason == .expired)
        if case .timerFired(let fired) = harness.log[before].event {
            #expect(fired.key == TimerKey(.chatCeiling, chat: first.contactId))
        } else {
            Issue.record("the start command should begin with the due firing")
        }
        // Likewise a chat whose customer never connected within 5 minutes.
        harness.advance(5 * Duration.minute)
        #expect(harness.state.timers[TimerKey(.connectWindow, chat: second.contactId)] != nil)
        let third = try harness.startChat()
        #expect(harness.fireTimers() == 0)
        #expect(harness.state.chats[second.contactId]?.endReason == .customerConnectionNotEstablished)
        #expect(harness.state.chats[third.contactId]?.status == .active)
        #expect(harness.state.activeChats == 1)
        #expect(try harness.replayMatches())
    }

    @Test func disconnectOnCustomerExitMustBeExactlyAgent() throws {
        var harness = ChatHarness()
        for roles in [["CUSTOMER"], ["AGENT", "AGENT"], [], ["agent"], ["SUPERVISOR"]] {
            harness.expectRejected(
                .startChatContact(ChatHarness.request { $0.disconnectOnCustomerExit = roles }),
                "InvalidParameterException",
                400
            )
        }
        let response = try harness.startChat(ChatHarness.request { $0.disconnectOnCustomerExit = ["AGENT"] })
        #expect(try harness.chat(response.contactId).disconnectOnCustomerExit == [.agent])
        #expect(try harness.replayMatches())
    }

    @Test func clientTokenRetryReturnsTheSameChatAndWritesNothing() throws {
        var harness = ChatHarness()
        let request = ChatHarness.request {
            $0.clientToken = "token-1"
            $0.attributes = ["a": "1", "b": "2"]
            $0.initialMessage = .init(contentType: plain, content: "hello")
        }
        let first = try harness.startChat(request)
        harness.advance(Duration.minute)
        // Equal attributes built in another order are the same request.
        var retry = request
        retry.attributes = ["b": "2", "a": "1"]
        guard case .chatStarted(let again) = try harness.mustWriteNothing(.startChatContact(retry)) else {
            Issue.record("not a chat")
            return
        }
        #expect(again == first)
        #expect(harness.state.chats.count == 1)
        // A different token is a different chat.
        var other = request
        other.clientToken = "token-2"
        let second = try harness.startChat(other)
        #expect(second.contactId != first.contactId)
        #expect(try harness.replayMatches())
    }

    @Test func clientTokenReusedWithDifferentParametersIsIdempotencyException() throws {
        var harness = ChatHarness()
        _ = try harness.startChat(ChatHarness.request { $0.clientToken = "token-1" })
        let changes: [(inout StartChatContactRequest) -> Void] = [
            { $0.displayName = "Bea" },
            { $0.attributes = ["a": "1"] },
            { $0.chatDurationInMinutes = 1500 },
            { $0.contactFlowId = "other-flow" },
            { $0.initialMessage = .init(contentType: plain, content: "hi") },
        ]
        for change in changes {
            var request = ChatHarness.request { $0.clientToken = "token-1" }
            change(&request)
            harness.expectRejected(.startChatContact(request), "IdempotencyException", 409)
        }
        #expect(harness.state.chats.count == 1)
        #expect(try harness.replayMatches())
    }
}

// MARK: - Persistent chat

/// A past session: C1 (customer and agent talk) → C2 (the disconnect flow after the agent left) → ended.
private struct PastSession {
    var first: Identifier
    var second: Identifier
    var customerToken: String
    var itemIds: [Identifier]

    init(_ harness: inout ChatHarness) throws {
        let (chat, token) = try harness.startConnectedChat()
        harness.advance(Duration.second)
        try harness.send(token, "hello")
        harness.advance(Duration.second)
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.second)
        try harness.send(agentToken, "hi, how can I help?")
        _ = try harness.must(.setDisconnectFlow(contactId: "\(chat.contactId)", flowId: "survey-flow"))
        harness.advance(Duration.second)
        _ = try harness.must(.disconnectParticipant(connectionToken: agentToken, clientToken: nil))
        let session = try harness.chat(chat.contactId)
        #expect(session.contactIds.count == 2)
        harness.advance(Duration.second)
        try harness.send(token, "bye")
        harness.advance(Duration.second)
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        first = chat.contactId
        second = session.currentContactId
        customerToken = token
        itemIds = try harness.chat(chat.contactId).items.map(\.id)
        #expect(try harness.chat(chat.contactId).status == .ended)
    }
}

@Suite struct PersistentChatTests {
    private func persistent(_ type: String?, _ source: Identifier) -> StartChatContactRequest {
        ChatHarness.request(displayName: "Ana again") {
            $0.persistentChat = .init(rehydrationType: type, sourceContactId: "\(source)")
        }
    }

    @Test func onlyEndedChatsCanBeRehydrated() throws {
        var harness = ChatHarness()
        let active = try harness.startChat()
        harness.expectRejected(
            .startChatContact(persistent("ENTIRE_PAST_SESSION", active.contactId)),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .startChatContact(persistent("FROM_SEGMENT", active.contactId)),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .startChatContact(persistent("FROM_SEGMENT", Identifier(high: 7, low: 7))),
            "ResourceNotFoundException",
            404
        )
        #expect(try harness.replayMatches())
    }

    @Test func entirePastSessionNeedsTheInitialContact() throws {
        var harness = ChatHarness()
        let past = try PastSession(&harness)
        harness.expectRejected(
            .startChatContact(persistent("ENTIRE_PAST_SESSION", past.second)),
            "InvalidRequestException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func fromSegmentAndEntirePastSessionFollowTheSegmentChain() throws {
        var harness = ChatHarness()
        let past = try PastSession(&harness)

        // FROM_SEGMENT with C1 loads C1 and drops the later C2.
        let fromFirst = try harness.startChat(persistent("FROM_SEGMENT", past.first))
        #expect(fromFirst.continuedFromContactId == past.first)
        let fromFirstChat = try harness.chat(fromFirst.contactId)
        #expect(fromFirstChat.rehydration?.type == .fromSegment)
        #expect(fromFirstChat.rehydration?.pastContactIds == [past.first])
        #expect(try harness.contact(fromFirst.contactId).relatedContactId == past.first)

        // FROM_SEGMENT with C2 loads C1 and C2.
        let fromSecond = try harness.startChat(persistent("FROM_SEGMENT", past.second))
        #expect(fromSecond.continuedFromContactId == past.second)
        #expect(try harness.chat(fromSecond.contactId).rehydration?.pastContactIds == [past.first, past.second])
        #expect(try harness.contact(fromSecond.contactId).relatedContactId == past.second)

        // ENTIRE_PAST_SESSION with the initial contact continues from the most recent segment.
        let entire = try harness.startChat(persistent("ENTIRE_PAST_SESSION", past.first))
        #expect(entire.continuedFromContactId == past.second)
        let entireChat = try harness.chat(entire.contactId)
        #expect(entireChat.rehydration?.type == .entirePastSession)
        #expect(entireChat.rehydration?.sourceContactId == past.first)
        #expect(entireChat.rehydration?.pastContactIds == [past.first, past.second])
        #expect(try harness.replayMatches())
    }

    @Test func linkageIsCumulative() throws {
        var harness = ChatHarness()
        let past = try PastSession(&harness)
        let (second, token) = try harness.startConnectedChat(persistent("ENTIRE_PAST_SESSION", past.first))
        try harness.send(token, "I am back")
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        let third = try harness.startChat(persistent("ENTIRE_PAST_SESSION", second.contactId))
        #expect(third.continuedFromContactId == second.contactId)
        #expect(
            try harness.chat(third.contactId).rehydration?.pastContactIds == [
                past.first, past.second, second.contactId,
            ]
        )
        let fromSegment = try harness.startChat(persistent("FROM_SEGMENT", second.contactId))
        #expect(
            try harness.chat(fromSegment.contactId).rehydration?.pastContactIds
                == [past.first, past.second, second.contactId]
        )
        #expect(try harness.replayMatches())
    }

    @Test func transcriptShowsTheCurrentSessionFirstThenPagesIntoThePast() throws {
        var harness = ChatHarness()
        let past = try PastSession(&harness)
        let (chat, token) = try harness.startConnectedChat(persistent("ENTIRE_PAST_SESSION", past.first))
        try harness.send(token, "I am back")

        let first = try harness.transcript(token)
        let current = try harness.chat(chat.contactId).items.map(\.id.description)
        #expect(Set(first.items.map(\.id)) == Set(current))
        #expect(first.items.allSatisfy { $0.contactId == "\(chat.contactId)" && $0.relatedContactId == nil })
        #expect(first.initialContactId == "\(chat.contactId)")
        let token1 = try #require(first.nextToken)

        let older = try harness.transcript(token, TranscriptRequest(nextToken: token1, scanDirection: "BACKWARD"))
        #expect(Set(older.items.map(\.id)) == Set(past.itemIds.map(\.description)))
        #expect(older.items.count == past.itemIds.count)
        for item in older.items {
            #expect(item.contactId == nil)
            let related = try #require(item.relatedContactId)
            #expect(related == "\(past.first)" || related == "\(past.second)")
        }
        // The past items keep the segment they were sent in.
        let bye = try #require(older.items.first { $0.content == "bye" })
        #expect(bye.relatedContactId == "\(past.second)")
        let hello = try #require(older.items.first { $0.content == "hello" })
        #expect(hello.relatedContactId == "\(past.first)")
        #expect(older.nextToken == nil)
        // ContactId and StartPosition do not reach past-session items.
        #expect(throws: ChatError.self) { try harness.transcript(token, TranscriptRequest(contactId: "\(past.first)")) }
        #expect(throws: ChatError.self) {
            try harness.transcript(token, TranscriptRequest(startPosition: .init(id: "\(past.itemIds[0])")))
        }
        // Small pages walk back through the current items, then the past ones, each exactly once.
        var seen: [String] = []
        var request = TranscriptRequest(maxResults: 3)
        while true {
            let page = try harness.transcript(token, request)
            seen += page.items.map(\.id)
            guard let next = page.nextToken else { break }
            request.nextToken = next
        }
        #expect(seen.count == current.count + past.itemIds.count)
        #expect(Array(seen.prefix(current.count)) == current.reversed())
        #expect(Set(seen) == Set(current + past.itemIds.map(\.description)))
        #expect(try harness.replayMatches())
    }
}

// MARK: - RelatedContactId

@Suite struct RelatedContactTests {
    @Test func relatedContactCopiesItsAttributes() throws {
        var harness = ChatHarness()
        let first = try harness.startChat(ChatHarness.request { $0.attributes = ["x": "1", "y": "2"] })
        _ = try harness.must(
            .updateContactAttributes(
                instanceId: ChatHarness.instanceId,
                initialContactId: "\(first.contactId)",
                attributes: ["z": "3"]
            )
        )
        let second = try harness.startChat(
            ChatHarness.request {
                $0.relatedContactId = "\(first.contactId)"
                $0.attributes = ["y": "override"]
            }
        )
        let contact = try harness.contact(second.contactId)
        #expect(contact.relatedContactId == first.contactId)
        #expect(contact.attributes == ["x": "1", "y": "override", "z": "3"])
        #expect(second.continuedFromContactId == nil)
        #expect(try harness.replayMatches())
    }

    @Test func unknownRelatedContactIsResourceNotFound() throws {
        var harness = ChatHarness()
        for related in ["\(Identifier(high: 1, low: 2))", "not-a-contact"] {
            harness.expectRejected(
                .startChatContact(ChatHarness.request { $0.relatedContactId = related }),
                "ResourceNotFoundException",
                404
            )
        }
        #expect(try harness.replayMatches())
    }
}

// MARK: - Connections

@Suite struct ParticipantConnectionTests {
    @Test func badParticipantTokenIsAccessDenied() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        harness.expectRejected(
            .createParticipantConnection(participantToken: "nope", types: ["WEBSOCKET"], connectParticipant: true),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .createParticipantConnection(participantToken: chat.participantToken, types: [], connectParticipant: true),
            "ValidationException",
            400
        )
        harness.expectRejected(
            .createParticipantConnection(
                participantToken: chat.participantToken,
                types: ["SMS"],
                connectParticipant: true
            ),
            "ValidationException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func connectionTokenIsValidForOneDay() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat(ChatHarness.request { $0.chatDurationInMinutes = 2_880 })
        harness.advance(Duration.second)
        let connected = harness.now
        let connection = try harness.connect(chat.participantToken)
        let token = try #require(connection.connectionToken)
        #expect(connection.connectionExpiry == connected + Duration.day)

        harness.now = connected + 23 * Duration.hour + 59 * Duration.minute
        try harness.send(token, "still here")
        _ = try harness.transcript(token)

        harness.now = connected + Duration.day
        harness.expectRejected(
            .sendMessage(connectionToken: token, contentType: plain, content: "too late", clientToken: nil),
            "AccessDeniedException",
            403
        )
        let expired = #expect(throws: ChatError.self) { try harness.transcript(token) }
        #expect(expired?.code == .accessDenied)
        // The participant token still works: a fresh connection token can send again.
        let fresh = try harness.connect(chat.participantToken)
        try harness.send(try #require(fresh.connectionToken), "refreshed")
        #expect(try harness.replayMatches())
    }

    @Test func websocketURLMustBeOpenedWithin100Seconds() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        harness.advance(Duration.second)
        let issued = harness.now
        let early = try harness.connect(chat.participantToken)
        let earlyToken = try #require(early.websocketToken)
        #expect(early.websocketExpiry == issued + 100 * Duration.second)
        harness.advance(Duration.second)
        let lateIssued = harness.now
        let late = try harness.connect(chat.participantToken)
        let lateToken = try #require(late.websocketToken)

        harness.now = issued + 99 * Duration.second
        _ = try harness.must(.openWebsocket(websocketToken: earlyToken, socketId: Identifier(high: 0, low: 1)))
        harness.now = lateIssued + 100 * Duration.second
        harness.expectRejected(
            .openWebsocket(websocketToken: lateToken, socketId: Identifier(high: 0, low: 2)),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .openWebsocket(websocketToken: "unknown", socketId: Identifier(high: 0, low: 3)),
            "AccessDeniedException",
            403
        )
        #expect(try harness.chat(chat.contactId).participants[chat.participantId]?.openSockets.count == 1)
        #expect(try harness.replayMatches())
    }

    @Test func atMostFiveOpenWebsocketsPerParticipant() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        var urls: [String] = []
        for _ in 0..<7 { urls.append(try #require(try harness.connect(chat.participantToken).websocketToken)) }
        for index in 0..<5 {
            _ = try harness.must(
                .openWebsocket(websocketToken: urls[index], socketId: Identifier(high: 1, low: UInt64(index)))
            )
        }
        harness.expectRejected(
            .openWebsocket(websocketToken: urls[5], socketId: Identifier(high: 1, low: 5)),
            "ServiceQuotaExceededException",
            402
        )
        #expect(try harness.chat(chat.contactId).participants[chat.participantId]?.openSockets.count == 5)
        _ = try harness.must(.closeWebsocket(websocketToken: urls[2], socketId: Identifier(high: 1, low: 2)))
        _ = try harness.must(.openWebsocket(websocketToken: urls[5], socketId: Identifier(high: 1, low: 5)))
        harness.expectRejected(
            .openWebsocket(websocketToken: urls[6], socketId: Identifier(high: 1, low: 6)),
            "ServiceQuotaExceededException",
            402
        )
        let sockets = try harness.chat(chat.contactId).participants[chat.participantId]?.openSockets
        #expect(sockets == [0, 1, 3, 4, 5].map { Identifier(high: 1, low: $0) })
        // Closing a socket that is not open writes nothing.
        _ = try harness.mustWriteNothing(
            .closeWebsocket(websocketToken: urls[2], socketId: Identifier(high: 1, low: 2))
        )
        #expect(try harness.replayMatches())
    }

    @Test func theSameParticipantTokenConnectsASecondDevice() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        let phone = try #require(try harness.connect(chat.participantToken).connectionToken)
        harness.advance(Duration.minute)
        let laptop = try #require(try harness.connect(chat.participantToken).connectionToken)
        #expect(phone != laptop)
        let fromPhone = try harness.send(phone, "from my phone")
        let fromLaptop = try harness.send(laptop, "from my laptop")
        let session = try harness.chat(chat.contactId)
        #expect(session.connections.count == 2)
        for id in [fromPhone.id, fromLaptop.id] {
            let item = session.items[try #require(session.itemIndex[id])]
            #expect(item.participantId == chat.participantId)
            #expect(item.role == .customer)
        }
        #expect(try harness.replayMatches())
    }

    @Test func noCustomerConnectionInFiveMinutesEndsTheChat() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let chat = try harness.startChat()
        harness.now = start + 5 * Duration.minute - 1
        #expect(harness.fireTimers() == 0)
        #expect(try harness.chat(chat.contactId).status == .active)
        harness.now = start + 5 * Duration.minute
        #expect(harness.fireTimers() == 1)
        let session = try harness.chat(chat.contactId)
        #expect(session.status == .ended)
        #expect(session.endReason == .customerConnectionNotEstablished)
        #expect(session.endedAt == start + 5 * Duration.minute)
        #expect(session.participants[chat.participantId]?.isPresent == false)
        let contact = try harness.contact(chat.contactId)
        #expect(contact.status == .ended)
        #expect(contact.disconnectReason == .customerConnectionNotEstablished)
        #expect(contact.disconnectedAt == start + 5 * Duration.minute)
        #expect(harness.state.timers.isEmpty)
        #expect(harness.state.activeChats == 0)
        #expect(try harness.replayMatches())
    }

    @Test func connectingAt4m59sCancelsTheConnectWindow() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let chat = try harness.startChat()
        harness.now = start + 4 * Duration.minute + 59 * Duration.second
        _ = try harness.connect(chat.participantToken)
        #expect(harness.state.timers[TimerKey(.connectWindow, chat: chat.contactId)] == nil)
        #expect(try harness.contact(chat.contactId).status == .connected)
        harness.now = start + 5 * Duration.minute
        #expect(harness.fireTimers() == 0)
        #expect(try harness.chat(chat.contactId).status == .active)
        #expect(try harness.replayMatches())
    }

    @Test func connectingOnceTheWindowIsDueIsRefusedEvenBeforeItFires() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let chat = try harness.startChat()
        harness.now = start + 5 * Duration.minute
        harness.expectRejected(
            .createParticipantConnection(
                participantToken: chat.participantToken,
                types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                connectParticipant: true
            ),
            "AccessDeniedException",
            403
        )
        #expect(harness.fireTimers() == 1)
        #expect(try harness.chat(chat.contactId).endReason == .customerConnectionNotEstablished)
        #expect(try harness.replayMatches())
    }
}

// MARK: - Participants joining

@Suite struct CreateParticipantTests {
    @Test func onlyOneCustomBotAndAtMostSixParticipants() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat()
        harness.expectRejected(
            .createParticipant(
                instanceId: ChatHarness.instanceId,
                contactId: "\(chat.contactId)",
                role: "AGENT",
                displayName: "A"
            ),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            .createParticipant(
                instanceId: "elsewhere",
                contactId: "\(chat.contactId)",
                role: "CUSTOM_BOT",
                displayName: "B"
            ),
            "ResourceNotFoundException",
            404
        )
        let (botId, _) = try harness.joinBot(chat.contactId)
        #expect(try harness.chat(chat.contactId).participants[botId]?.role == .customBot)
        harness.expectRejected(
            .createParticipant(
                instanceId: ChatHarness.instanceId,
                contactId: "\(chat.contactId)",
                role: "CUSTOM_BOT",
                displayName: "Second bot"
            ),
            "ServiceQuotaExceededException",
            402
        )
        for index in 0..<4 { _ = try harness.joinAgent(chat.contactId, name: "Agent \(index)") }
        #expect(try harness.chat(chat.contactId).presentParticipants.count == 6)
        harness.expectRejected(
            .joinAgent(contactId: "\(chat.contactId)", displayName: "Seventh"),
            "ServiceQuotaExceededException",
            402
        )
        harness.expectRejected(
            .joinAgent(contactId: "\(chat.contactId)", displayName: ""),
            "InvalidParameterException",
            400
        )
        #expect(try harness.replayMatches())
    }
}

// MARK: - SendMessage

@Suite struct SendMessageTests {
    @Test func contentTypeMustBeSendableAndSupported() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        for type in [markdown, ContentTypes.json, ContentTypes.interactive, "image/png", ContentTypes.typing, ""] {
            harness.expectRejected(
                .sendMessage(connectionToken: token, contentType: type, content: "x", clientToken: nil),
                "ValidationException",
                400
            )
        }
        let (rich, richToken) = try harness.startConnectedChat(
            ChatHarness.request {
                $0.supportedMessagingContentTypes = [plain, markdown, ContentTypes.interactive]
            }
        )
        let sent = try harness.send(richToken, "**bold**", contentType: markdown)
        let chat = try harness.chat(rich.contactId)
        #expect(chat.items[try #require(chat.itemIndex[sent.id])].contentType == markdown)
        // Interactive templates are for bots and flows, never for SendMessage.
        harness.expectRejected(
            .sendMessage(
                connectionToken: richToken,
                contentType: ContentTypes.interactive,
                content: "{}",
                clientToken: nil
            ),
            "ValidationException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func contentIsOneTo16384Bytes() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        for content in ["", String(repeating: "a", count: 16_385), String(repeating: "é", count: 8_192) + "a"] {
            harness.expectRejected(
                .sendMessage(connectionToken: token, contentType: plain, content: content, clientToken: nil),
                "ValidationException",
                400
            )
        }
        try harness.send(token, String(repeating: "a", count: 16_384))
        try harness.send(token, String(repeating: "é", count: 8_192))
        try harness.send(token, "x")
        #expect(try harness.replayMatches())
    }

    @Test func clientTokenRetryReturnsTheSameIdAndWritesNothing() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let first = try harness.send(token, "hello", clientToken: "c-1")
        harness.advance(Duration.second)
        let retry = try harness.mustWriteNothing(
            .sendMessage(connectionToken: token, contentType: plain, content: "hello", clientToken: "c-1")
        )
        #expect(retry == .sent(id: first.id, absoluteTime: first.time))
        let second = try harness.send(token, "hello", clientToken: "c-2")
        #expect(second.id != first.id)
        #expect(try harness.chat(chat.contactId).billableMessages == 2)
        harness.expectRejected(
            .sendMessage(
                connectionToken: token,
                contentType: plain,
                content: "x",
                clientToken: String(repeating: "t", count: 501)
            ),
            "ValidationException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func messagesAfterTheChatEndedAreAccessDenied() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        for connection in [token, agentToken] {
            harness.expectRejected(
                .sendMessage(connectionToken: connection, contentType: plain, content: "x", clientToken: nil),
                "AccessDeniedException",
                403
            )
        }
        harness.expectRejected(
            .sendMessage(connectionToken: "garbage", contentType: plain, content: "x", clientToken: nil),
            "AccessDeniedException",
            403
        )
        #expect(try harness.replayMatches())
    }

    @Test func customerMessagesToABotAreLimitedTo1024Characters() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let long = String(repeating: "a", count: 1_025)
        // No bot yet: the API limit applies.
        try harness.send(token, long)
        _ = try harness.joinBot(chat.contactId)
        harness.expectRejected(
            .sendMessage(connectionToken: token, contentType: plain, content: long, clientToken: nil),
            "ValidationException",
            400
        )
        // Characters, not bytes.
        try harness.send(token, String(repeating: "é", count: 1_024))
        // Once an agent is present, the bot no longer answers alone.
        _ = try harness.joinAgent(chat.contactId)
        try harness.send(token, long)
        #expect(try harness.replayMatches())
    }
}

// MARK: - SendEvent

@Suite struct SendEventTests {
    @Test func typingIsRecordedButNeitherBilledNorInTheTranscript() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let items = try harness.chat(chat.contactId).items.count
        let mark = harness.log.count
        let typing = try harness.sendEvent(token, ContentTypes.typing)
        let recorded = harness.events(since: mark)
        #expect(recorded.count == 1)
        guard case .eventSent(let event) = recorded.first else {
            Issue.record("expected EventSent, got \(recorded)")
            return
        }
        #expect(event.eventId == typing.id)
        #expect(try harness.chat(chat.contactId).items.count == items)
        #expect(try harness.chat(chat.contactId).billableMessages == 0)
        #expect(harness.state.billing.totalMessages == 0)
        #expect(try harness.transcript(token).items.allSatisfy { $0.id != "\(typing.id)" })
        #expect(try harness.replayMatches())
    }

    @Test func receiptsAppearInTheMessageMetadata() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.second)
        let message = try harness.send(token, "hello")
        harness.advance(Duration.second)
        let delivered = try harness.sendEvent(agentToken, ContentTypes.delivered, "{\"messageId\":\"\(message.id)\"}")
        harness.advance(Duration.second)
        let read = try harness.sendEvent(agentToken, ContentTypes.read, "{ \"messageId\" : \"\(message.id)\" }")
        harness.advance(Duration.second)
        // A second delivered receipt keeps the first time.
        try harness.sendEvent(agentToken, ContentTypes.delivered, "{\"messageId\":\"\(message.id)\"}")

        let page = try harness.transcript(token)
        let item = try #require(page.items.first { $0.id == "\(message.id)" })
        let metadata = try #require(item.messageMetadata)
        #expect(metadata.messageId == "\(message.id)")
        #expect(
            metadata.receipts == [
                .init(
                    deliveredTimestamp: ISOTime.format(delivered.time),
                    readTimestamp: ISOTime.format(read.time),
                    recipientParticipantId: "\(agentId)"
                )
            ]
        )
        #expect(try harness.chat(chat.contactId).billableMessages == 1)
        // Items without receipts carry no metadata.
        #expect(page.items.filter { $0.id != "\(message.id)" }.allSatisfy { $0.messageMetadata == nil })
        #expect(try harness.replayMatches())
    }

    @Test func receiptsWithThreeActiveParticipantsAreConflict() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        let message = try harness.send(token, "hello")
        _ = try harness.joinBot(chat.contactId)
        for type in [ContentTypes.delivered, ContentTypes.read] {
            harness.expectRejected(
                .sendEvent(
                    connectionToken: agentToken,
                    contentType: type,
                    content: "{\"messageId\":\"\(message.id)\"}",
                    clientToken: nil
                ),
                "ConflictException",
                409
            )
        }
        // Typing is still fine.
        try harness.sendEvent(agentToken, ContentTypes.typing)
        #expect(try harness.replayMatches())
    }

    @Test func malformedReceiptsAndUnknownMessagesAreValidationErrors() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        let message = try harness.send(token, "hello")
        let joined = try #require(try harness.chat(chat.contactId).items.first)
        let contents: [String?] = [
            nil,
            "",
            "not json",
            "{\"messageId\":\"nope\"}",
            "{\"id\":\"\(message.id)\"}",
            "\"messageId\":\"\(message.id)\"",
            "{\"messageId\":\"\(Identifier(high: 5, low: 5))\"}",  // no such message
            "{\"messageId\":\"\(joined.id)\"}",  // an event, not a message
        ]
        for content in contents {
            harness.expectRejected(
                .sendEvent(
                    connectionToken: agentToken,
                    contentType: ContentTypes.read,
                    content: content,
                    clientToken: nil
                ),
                "ValidationException",
                400
            )
        }
        // Acknowledging one's own message makes no sense.
        harness.expectRejected(
            .sendEvent(
                connectionToken: token,
                contentType: ContentTypes.read,
                content: "{\"messageId\":\"\(message.id)\"}",
                clientToken: nil
            ),
            "ValidationException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func unknownEventContentTypesAreValidationErrors() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        for type in [
            "application/vnd.amazonaws.connect.event.dancing", ContentTypes.participantJoined, ContentTypes.chatEnded,
            ContentTypes.participantIdle, plain, "",
        ] {
            harness.expectRejected(
                .sendEvent(connectionToken: token, contentType: type, content: nil, clientToken: nil),
                "ValidationException",
                400
            )
        }
        harness.expectRejected(
            .sendEvent(
                connectionToken: token,
                contentType: ContentTypes.typing,
                content: String(repeating: "a", count: 16_385),
                clientToken: nil
            ),
            "ValidationException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func eventClientTokenRetryAnswersTheOriginalIdAndTime() throws {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        harness.advance(Duration.minute)
        let typing = try harness.sendEvent(token, ContentTypes.typing, clientToken: "e-1")
        harness.advance(Duration.minute)
        let retry = try harness.mustWriteNothing(
            .sendEvent(connectionToken: token, contentType: ContentTypes.typing, content: nil, clientToken: "e-1")
        )
        #expect(retry == .sent(id: typing.id, absoluteTime: typing.time))
        #expect(try harness.replayMatches())
    }
}

// MARK: - DisconnectParticipant and StopContact

@Suite struct DisconnectTests {
    @Test func anAgentLeavingChangesThatParticipantAndForgetsItsToken() throws {
        var harness = ChatHarness()
        let (chat, customerToken) = try harness.startConnectedChat()
        let (agentId, agentParticipantToken) = try harness.joinAgentParticipant(chat.contactId)
        let connection = try harness.connect(agentParticipantToken)
        let agentToken = try #require(connection.connectionToken)
        let websocket = try #require(connection.websocketToken)
        _ = try harness.must(.openWebsocket(websocketToken: websocket, socketId: Identifier(high: 7, low: 1)))
        let joined = try harness.chat(chat.contactId).participants[agentId]
        #expect(joined?.openSockets == [Identifier(high: 7, low: 1)])
        #expect(joined?.connected == true)
        #expect(harness.state.participantTarget(ofToken: agentParticipantToken)?.participantId == agentId)
        // With a disconnect flow the customer stays in the chat after the agent leaves.
        _ = try harness.must(.setDisconnectFlow(contactId: "\(chat.contactId)", flowId: "survey-flow"))
        let customerBefore = try harness.chat(chat.contactId).participants[chat.participantId]
        harness.advance(Duration.minute)
        let left = harness.now

        _ = try harness.must(.disconnectParticipant(connectionToken: agentToken, clientToken: nil))

        let session = try harness.chat(chat.contactId)
        let agent = try #require(session.participants[agentId])
        #expect(agent.leftAt == left)
        #expect(agent.leftReason == .agentDisconnect)
        #expect(agent.openSockets.isEmpty)
        #expect(agent.idle == false)
        #expect(agent.isPresent == false)
        #expect(harness.state.participantTarget(ofToken: agentParticipantToken) == nil)
        // The customer, its token and the chat stay as they were.
        #expect(session.participants[chat.participantId] == customerBefore)
        #expect(harness.state.participantTarget(ofToken: chat.participantToken)?.participantId == chat.participantId)
        #expect(session.status == .active)
        let leaving = session.items.filter { $0.contentType == ContentTypes.participantLeft }
        #expect(leaving.map(\.participantId) == [agentId])
        #expect(leaving.first?.timestamp == left)
        try harness.send(customerToken, "still here")
        #expect(try harness.replayMatches())
    }

    @Test func customerDisconnectEndsTheChat() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.minute)
        let ended = harness.now
        let before = try harness.chat(chat.contactId).items.count
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))

        let session = try harness.chat(chat.contactId)
        #expect(session.status == .ended)
        #expect(session.endReason == .customerDisconnect)
        #expect(session.endedAt == ended)
        #expect(session.participants[chat.participantId]?.leftReason == .customerDisconnect)
        #expect(session.participants[agentId]?.isPresent == false)
        #expect(session.presentParticipants.isEmpty)
        let contact = try harness.contact(chat.contactId)
        #expect(contact.status == .ended)
        #expect(contact.disconnectReason == .customerDisconnect)
        #expect(contact.disconnectedAt == ended)
        let newItems = session.items[before...]
        #expect(
            newItems.map(\.contentType) == [
                ContentTypes.participantLeft, ContentTypes.participantLeft, ContentTypes.chatEnded,
            ]
        )
        #expect(newItems.first?.participantId == chat.participantId)
        #expect(newItems.dropFirst().first?.participantId == agentId)
        #expect(newItems.allSatisfy { $0.type == "EVENT" })
        #expect(harness.state.participantTarget(ofToken: chat.participantToken) == nil)
        #expect(harness.state.timers.isEmpty)
        #expect(harness.state.activeChats == 0)
        // Both connection tokens still read the transcript.
        #expect(try harness.transcript(agentToken).items.count == 5)
        harness.expectRejected(
            .disconnectParticipant(connectionToken: token, clientToken: nil),
            "AccessDeniedException",
            403
        )
        #expect(try harness.replayMatches())
    }

    @Test func agentDisconnectWithoutADisconnectFlowEndsTheChat() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        _ = try harness.must(.disconnectParticipant(connectionToken: agentToken, clientToken: nil))
        let session = try harness.chat(chat.contactId)
        #expect(session.status == .ended)
        #expect(session.endReason == .agentDisconnect)
        #expect(session.participants[agentId]?.leftReason == .agentDisconnect)
        #expect(session.contactIds == [chat.contactId])
        #expect(try harness.contact(chat.contactId).disconnectReason == .agentDisconnect)
        harness.expectRejected(
            .sendMessage(connectionToken: token, contentType: plain, content: "hello?", clientToken: nil),
            "AccessDeniedException",
            403
        )
        #expect(try harness.replayMatches())
    }

    @Test func agentDisconnectWithADisconnectFlowStartsANewSegment() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat(ChatHarness.request { $0.attributes = ["a": "1"] })
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        _ = try harness.must(.setDisconnectFlow(contactId: "\(chat.contactId)", flowId: "survey-flow"))
        harness.advance(Duration.minute)
        let left = harness.now
        _ = try harness.must(.disconnectParticipant(connectionToken: agentToken, clientToken: nil))

        let session = try harness.chat(chat.contactId)
        #expect(session.status == .active)
        #expect(session.contactIds.count == 2)
        let next = session.currentContactId
        #expect(next != chat.contactId)
        let first = try harness.contact(chat.contactId)
        #expect(first.status == .ended)
        #expect(first.disconnectReason == .agentDisconnect)
        #expect(first.disconnectedAt == left)
        #expect(first.nextContactId == next)
        let second = try harness.contact(next)
        #expect(second.initiationMethod == .disconnect)
        #expect(second.previousContactId == chat.contactId)
        #expect(second.flowId == "survey-flow")
        #expect(second.status == .connected)
        #expect(second.attributes == ["a": "1"])
        #expect(session.participants[agentId]?.leftReason == .agentDisconnect)
        #expect(session.participants[chat.participantId]?.isPresent == true)
        #expect(session.disconnectFlowId == nil)

        let firstSegment = try harness.billableMessages(ofContact: chat.contactId)
        let message = try harness.send(token, "the survey says 5")
        let after = try harness.chat(chat.contactId)
        #expect(after.items[try #require(after.itemIndex[message.id])].contactId == next)
        // The message counts for the new segment only; the chat counts both.
        #expect(try harness.billableMessages(ofContact: next) == 1)
        #expect(try harness.billableMessages(ofContact: chat.contactId) == firstSegment)
        #expect(after.billableMessages == firstSegment + 1)
        // Either segment of the chain can be named in GetTranscript.
        for contactId in [chat.contactId, next] {
            #expect(try harness.transcript(token, TranscriptRequest(contactId: "\(contactId)")).items.count == 4)
        }
        #expect(harness.state.timers[TimerKey(.chatCeiling, chat: chat.contactId)] != nil)
        // The old segment can no longer be stopped; the new one can.
        harness.expectRejected(
            .stopContact(instanceId: ChatHarness.instanceId, contactId: "\(chat.contactId)"),
            "ContactNotFoundException",
            410
        )
        _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: "\(next)"))
        #expect(try harness.chat(chat.contactId).endReason == .api)
        #expect(try harness.contact(next).disconnectReason == .api)
        #expect(try harness.replayMatches())
    }

    @Test func stopContactEndsWithReasonAPI() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.minute)
        let stopped = harness.now
        _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: "\(chat.contactId)"))
        let session = try harness.chat(chat.contactId)
        #expect(session.status == .ended)
        #expect(session.endReason == .api)
        #expect(session.presentParticipants.isEmpty)
        #expect(try harness.contact(chat.contactId).disconnectReason == .api)
        #expect(try harness.contact(chat.contactId).disconnectedAt == stopped)
        #expect(session.items.last?.contentType == ContentTypes.chatEnded)

        for contactId in ["\(chat.contactId)", "\(Identifier(high: 9, low: 9))", "garbage"] {
            harness.expectRejected(
                .stopContact(instanceId: ChatHarness.instanceId, contactId: contactId),
                "ContactNotFoundException",
                410
            )
        }
        harness.expectRejected(
            .stopContact(instanceId: "elsewhere", contactId: "\(chat.contactId)"),
            "ResourceNotFoundException",
            404
        )
        #expect(try harness.replayMatches())
    }

    @Test func stopContactWorksBeforeTheCustomerConnects() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: "\(chat.contactId)"))
        #expect(try harness.chat(chat.contactId).endReason == .api)
        #expect(harness.state.timers.isEmpty)
        #expect(try harness.replayMatches())
    }
}

// MARK: - Contact attributes

@Suite struct ContactAttributesTests {
    private func update(_ contactId: Identifier, _ attributes: [String: String]) -> ChatCommand {
        .updateContactAttributes(
            instanceId: ChatHarness.instanceId,
            initialContactId: "\(contactId)",
            attributes: attributes
        )
    }

    private func attributes(_ harness: ChatHarness, _ contactId: Identifier) throws -> [String: String] {
        try ChatQueries.contactAttributes(
            instanceId: ChatHarness.instanceId,
            contactId: "\(contactId)",
            in: harness.state
        )
    }

    @Test func updatesMergeAndWorkOnEndedContacts() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat(
            ChatHarness.request { $0.attributes = ["a": "1", "b": "2"] }
        )
        _ = try harness.must(update(chat.contactId, ["b": "3", "c": "4"]))
        #expect(try attributes(harness, chat.contactId) == ["a": "1", "b": "3", "c": "4"])
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        _ = try harness.must(update(chat.contactId, ["d": ""]))
        #expect(try attributes(harness, chat.contactId) == ["a": "1", "b": "3", "c": "4", "d": ""])
        // Setting what is already there records nothing.
        _ = try harness.mustWriteNothing(update(chat.contactId, ["a": "1"]))
        #expect(try harness.replayMatches())
    }

    @Test func overflowAndBadKeysAreRejected() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat(
            ChatHarness.request { $0.attributes = ["a": String(repeating: "x", count: 32_000)] }
        )
        harness.expectRejected(
            update(chat.contactId, ["b": String(repeating: "y", count: 800)]),
            "InvalidParameterException",
            400
        )
        // Replacing a value counts the new value only.
        _ = try harness.must(update(chat.contactId, ["a": String(repeating: "z", count: 32_767)]))
        harness.expectRejected(update(chat.contactId, ["b": ""]), "InvalidParameterException", 400)
        for key in ["", "bad key", "ключ"] {
            harness.expectRejected(update(chat.contactId, [key: "v"]), "InvalidParameterException", 400)
        }
        harness.expectRejected(update(Identifier(high: 3, low: 3), ["a": "b"]), "ResourceNotFoundException", 404)
        harness.expectRejected(
            .updateContactAttributes(
                instanceId: "elsewhere",
                initialContactId: "\(chat.contactId)",
                attributes: ["a": "b"]
            ),
            "ResourceNotFoundException",
            404
        )
        #expect(throws: ChatError.self) {
            try ChatQueries.contactAttributes(instanceId: ChatHarness.instanceId, contactId: "nope", in: harness.state)
        }
        #expect(try harness.replayMatches())
    }
}

// MARK: - Billing

@Suite struct BillingTests {
    @Test func messagesInBothDirectionsAreBilledPerContactInstanceAndMonth() throws {
        var harness = ChatHarness(start: instant("2026-11-30T23:50:00.000Z"))
        let (chat, token) = try harness.startConnectedChat(
            ChatHarness.request { $0.initialMessage = .init(contentType: plain, content: "first") }
        )
        _ = try harness.must(
            .updateParticipantRoleConfig(
                instanceId: ChatHarness.instanceId,
                contactId: "\(chat.contactId)",
                settings: [RoleTimerRequest(role: "AGENT", timerType: "IDLE", minutes: 2)]
            )
        )
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.minute)
        let customerMessage = try harness.send(token, "customer in November")
        try harness.send(agentToken, "agent in November")
        _ = try harness.must(
            .sendSystemMessage(
                contactId: "\(chat.contactId)",
                displayName: "SYSTEM_MESSAGE",
                contentType: plain,
                content: "flow in November"
            )
        )
        // Not billed: typing, receipts, idle.
        try harness.sendEvent(token, ContentTypes.typing)
        try harness.sendEvent(agentToken, ContentTypes.read, "{\"messageId\":\"\(customerMessage.id)\"}")
        harness.now = instant("2026-11-30T23:59:59.999Z")
        try harness.send(token, "last November message")
        #expect(harness.state.billing.messagesByMonth == ["2026-11": 5])

        harness.now = instant("2026-12-01T00:00:00.000Z")
        try harness.send(agentToken, "first December message")
        harness.advance(5 * Duration.minute)
        #expect(harness.fireTimers() >= 1)  // the agent went idle: not billed
        #expect(try harness.chat(chat.contactId).participants.values.contains { $0.idle })
        try harness.send(token, "customer in December")

        #expect(harness.state.billing.messagesByMonth == ["2026-11": 5, "2026-12": 2])
        #expect(harness.state.billing.totalMessages == 7)
        #expect(try harness.billableMessages(ofContact: chat.contactId) == 7)
        #expect(try harness.chat(chat.contactId).billableMessages == 7)

        // A second chat adds to the instance's meter, not to the first contact.
        let (other, otherToken) = try harness.startConnectedChat()
        try harness.send(otherToken, "another chat")
        #expect(try harness.billableMessages(ofContact: other.contactId) == 1)
        #expect(try harness.billableMessages(ofContact: chat.contactId) == 7)
        #expect(harness.state.billing.messagesByMonth == ["2026-11": 5, "2026-12": 3])
        #expect(try harness.replayMatches())
    }
}

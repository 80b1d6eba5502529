import Testing

@testable import ParleyDomain

private func roleConfig(_ contactId: Identifier, _ settings: [RoleTimerRequest]) -> ChatCommand {
    .updateParticipantRoleConfig(instanceId: ChatHarness.instanceId, contactId: "\(contactId)", settings: settings)
}

private func timer(_ role: String, _ type: String, _ minutes: Int?, unset: Bool = false) -> RoleTimerRequest {
    RoleTimerRequest(role: role, timerType: type, minutes: minutes, unset: unset)
}

private func idleKey(_ chat: Identifier, _ participant: Identifier) -> TimerKey {
    TimerKey(.participantIdle, chat: chat, participant: participant)
}

private func disconnectKey(_ chat: Identifier, _ participant: Identifier) -> TimerKey {
    TimerKey(.participantDisconnect, chat: chat, participant: participant)
}

/// The TimerFired events among `events`.
private func firings(_ events: [ChatEvent]) -> [TimerFired] {
    events.compactMap { event in
        if case .timerFired(let fired) = event { return fired }
        return nil
    }
}

/// The activity changes among `events`.
private func activity(_ events: [ChatEvent]) -> [ParticipantActivityChanged] {
    events.compactMap { event in
        if case .participantActivityChanged(let change) = event { return change }
        return nil
    }
}

/// The participant timers of a chat.
private func participantTimers(_ harness: ChatHarness, _ chat: Identifier) -> [TimerKey: Int64] {
    var timers: [TimerKey: Int64] = [:]
    for (key, deadline) in harness.state.timers
    where key.chatId == chat && (key.kind == .participantIdle || key.kind == .participantDisconnect) {
        timers[key] = deadline
    }
    return timers
}

// MARK: - UpdateParticipantRoleConfig validation

@Suite struct RoleConfigValidationTests {
    @Test func entryCountIsOneToSix() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        harness.expectRejected(roleConfig(chat.contactId, []), "InvalidParameterException", 400)
        harness.expectRejected(
            roleConfig(chat.contactId, Array(repeating: timer("CUSTOMER", "IDLE", 5), count: 7)),
            "InvalidParameterException",
            400
        )
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 5)]))
        _ = try harness.must(
            roleConfig(
                chat.contactId,
                [
                    timer("CUSTOMER", "IDLE", 5), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 10),
                    timer("AGENT", "IDLE", 3), timer("AGENT", "DISCONNECT_NONCUSTOMER", 6),
                ]
            )
        )
        #expect(
            try harness.chat(chat.contactId).roleTimers == [
                "CUSTOMER/IDLE": 5, "CUSTOMER/DISCONNECT_NONCUSTOMER": 10, "AGENT/IDLE": 3,
                "AGENT/DISCONNECT_NONCUSTOMER": 6,
            ]
        )
        #expect(try harness.replayMatches())
    }

    @Test func duplicateRoleAndTypeIsRejected() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        harness.expectRejected(
            roleConfig(
                chat.contactId,
                [timer("AGENT", "IDLE", 5), timer("CUSTOMER", "IDLE", 5), timer("AGENT", "IDLE", 9)]
            ),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            roleConfig(chat.contactId, [timer("AGENT", "IDLE", 5), timer("AGENT", "IDLE", nil, unset: true)]),
            "InvalidParameterException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test(arguments: [(1, false), (2, true), (480, true), (481, false), (0, false)])
    func minutesAreTwoTo480(minutes: Int, accepted: Bool) throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        let command = roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", minutes)])
        if accepted {
            _ = try harness.must(command)
            #expect(try harness.chat(chat.contactId).roleTimers == ["CUSTOMER/IDLE": Int64(minutes)])
        } else {
            harness.expectRejected(command, "InvalidParameterException", 400)
        }
        #expect(try harness.replayMatches())
    }

    @Test func onlyCustomerAndAgentRolesAndKnownTimerTypes() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        for entry in [
            timer("SYSTEM", "IDLE", 5), timer("CUSTOM_BOT", "IDLE", 5), timer("SUPERVISOR", "IDLE", 5),
            timer("agent", "IDLE", 5), timer("AGENT", "DISCONNECT", 5), timer("AGENT", "", 5),
        ] {
            harness.expectRejected(roleConfig(chat.contactId, [entry]), "InvalidParameterException", 400)
        }
        #expect(try harness.replayMatches())
    }

    @Test func timerValueIsMinutesOrUnset() throws {
        var harness = ChatHarness()
        let chat = try harness.startChat()
        harness.expectRejected(
            roleConfig(chat.contactId, [timer("AGENT", "IDLE", nil)]),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            roleConfig(chat.contactId, [timer("AGENT", "IDLE", 5, unset: true)]),
            "InvalidParameterException",
            400
        )
        _ = try harness.must(roleConfig(chat.contactId, [timer("AGENT", "IDLE", 5), timer("CUSTOMER", "IDLE", 7)]))
        _ = try harness.must(roleConfig(chat.contactId, [timer("AGENT", "IDLE", nil, unset: true)]))
        #expect(try harness.chat(chat.contactId).roleTimers == ["CUSTOMER/IDLE": 7])
        #expect(try harness.replayMatches())
    }

    @Test func theContactMustExistAndBeActive() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let entries = [timer("AGENT", "IDLE", 5)]
        harness.expectRejected(roleConfig(Identifier(high: 4, low: 4), entries), "ResourceNotFoundException", 404)
        harness.expectRejected(
            .updateParticipantRoleConfig(instanceId: "elsewhere", contactId: "\(chat.contactId)", settings: entries),
            "ResourceNotFoundException",
            404
        )
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        harness.expectRejected(roleConfig(chat.contactId, entries), "InvalidRequestException", 400)
        #expect(try harness.replayMatches())
    }

    /// The stored keys come from a table made once: each is still the role and the type's API spellings.
    @Test func settingKeysAreRoleSlashType() {
        var keys = Set<String>()
        for role in ParticipantRole.allCases {
            for type in ParticipantTimerType.allCases {
                let key = ChatSession.timerSettingKey(role, type)
                #expect(key == "\(role.description)/\(type.description)")
                keys.insert(key)
            }
        }
        #expect(keys.count == ParticipantRole.allCases.count * ParticipantTimerType.allCases.count)
    }
}

// MARK: - Idle and auto-disconnect timers

@Suite struct RoleTimerTests {
    @Test func timersStartOnlyWhenAnAgentJoinsWithACustomerPresent() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 5), timer("AGENT", "IDLE", 3)]))
        try harness.send(token, "anyone there?")
        harness.advance(10 * Duration.minute)
        #expect(harness.fireTimers() == 0)
        #expect(participantTimers(harness, chat.contactId).isEmpty)

        let joined = harness.now
        let (agentId, _) = try harness.joinAgent(chat.contactId)
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): joined + 5 * Duration.minute,
                idleKey(chat.contactId, agentId): joined + 3 * Duration.minute,
            ]
        )
        #expect(try harness.replayMatches())
    }

    @Test func aCustomBotStartsTheTimersToo() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 5)]))
        harness.advance(Duration.minute)
        let joined = harness.now
        let (botId, botToken) = try harness.joinBot(chat.contactId)
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): joined + 5 * Duration.minute
            ]
        )
        // The bot leaving stops them.
        let botConnection = try #require(try harness.connect(botToken).connectionToken)
        _ = try harness.must(.disconnectParticipant(connectionToken: botConnection, clientToken: nil))
        #expect(try harness.chat(chat.contactId).participants[botId]?.isPresent == false)
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        #expect(try harness.chat(chat.contactId).status == .active)
        #expect(try harness.replayMatches())
    }

    @Test func idleFiresThenTheDisconnectTimerRunsFromTheIdleDeadline() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(
            roleConfig(
                chat.contactId,
                [timer("CUSTOMER", "IDLE", 5), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 10)]
            )
        )
        harness.advance(Duration.minute)
        let joined = harness.now
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        let idle = joined + 5 * Duration.minute
        // Both timers exist for the role: only the idle timer runs at first.
        #expect(participantTimers(harness, chat.contactId) == [idleKey(chat.contactId, chat.participantId): idle])

        harness.now = idle - 1
        #expect(harness.fireTimers() == 0)
        harness.now = idle + 30 * Duration.second
        let mark = harness.log.count
        #expect(harness.fireTimers() == 1)
        let events = harness.events(since: mark)
        #expect(events.count == 3)
        #expect(
            firings(events).map(\.key) == [idleKey(chat.contactId, chat.participantId)]
        )
        #expect(firings(events).first?.deadline == idle)
        #expect(firings(events).first?.firedAt == harness.now)
        #expect(activity(events).map(\.change) == [.idle])
        #expect(activity(events).first?.participantId == chat.participantId)
        guard case .timerArmed(let armed) = events.last else {
            Issue.record("expected TimerArmed last, got \(events)")
            return
        }
        #expect(armed.key == disconnectKey(chat.contactId, chat.participantId))
        #expect(armed.deadline == idle + 10 * Duration.minute)
        #expect(try harness.chat(chat.contactId).participants[chat.participantId]?.idle == true)
        // Idle events are neither persisted to the transcript nor billed.
        #expect(try harness.transcript(token).items.allSatisfy { !$0.contentType.contains("participant.idle") })
        #expect(harness.state.billing.totalMessages == 0)

        let disconnect = idle + 10 * Duration.minute
        harness.now = disconnect + Duration.second
        let beforeDisconnect = harness.log.count
        #expect(harness.fireTimers() == 1)
        #expect(activity(harness.events(since: beforeDisconnect)).map(\.change) == [.autoDisconnection])
        let session = try harness.chat(chat.contactId)
        #expect(session.participants[agentId]?.leftReason == .idleDisconnect)
        #expect(session.status == .ended)
        #expect(session.endReason == .idleDisconnect)
        #expect(session.endedAt == disconnect)
        let contact = try harness.contact(chat.contactId)
        #expect(contact.disconnectReason == .idleDisconnect)
        #expect(contact.disconnectedAt == disconnect)
        #expect(harness.state.timers.isEmpty)
        harness.expectRejected(
            .sendMessage(
                connectionToken: agentToken,
                contentType: ContentTypes.plainText,
                content: "x",
                clientToken: nil
            ),
            "AccessDeniedException",
            403
        )
        #expect(try harness.replayMatches())
    }

    @Test func aMessageResetsTheSendersTimersAndReturnsItFromIdle() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(
            roleConfig(
                chat.contactId,
                [
                    timer("CUSTOMER", "IDLE", 5), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 10),
                    timer("AGENT", "IDLE", 3),
                ]
            )
        )
        harness.advance(Duration.minute)
        let joined = harness.now
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)

        // An active customer pushes its idle deadline back; the agent's stays.
        harness.now = joined + 2 * Duration.minute
        let early = try harness.send(token, "still typing")
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): early.time + 5 * Duration.minute,
                idleKey(chat.contactId, agentId): joined + 3 * Duration.minute,
            ]
        )

        harness.now = early.time + 6 * Duration.minute
        #expect(harness.fireTimers() == 2)  // agent idle, then customer idle
        #expect(try harness.chat(chat.contactId).participants[chat.participantId]?.idle == true)
        #expect(try harness.chat(chat.contactId).participants[agentId]?.idle == true)
        #expect(
            participantTimers(harness, chat.contactId) == [
                disconnectKey(chat.contactId, chat.participantId): early.time + 15 * Duration.minute
            ]
        )

        harness.advance(Duration.minute)
        let mark = harness.log.count
        let back = try harness.send(token, "sorry, I'm back")
        let events = harness.events(since: mark)
        #expect(activity(events).map(\.change) == [.returned])
        #expect(activity(events).first?.participantId == chat.participantId)
        #expect(try harness.chat(chat.contactId).participants[chat.participantId]?.idle == false)
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): back.time + 5 * Duration.minute
            ]
        )
        // The returned event is not in the transcript.
        #expect(try harness.transcript(token).items.allSatisfy { !$0.contentType.contains("participant.returned") })

        harness.advance(Duration.minute)
        let reply = try harness.send(agentToken, "welcome back")
        #expect(try harness.chat(chat.contactId).participants[agentId]?.idle == false)
        #expect(
            participantTimers(harness, chat.contactId)[idleKey(chat.contactId, agentId)] == reply.time + 3
                * Duration.minute
        )
        #expect(harness.state.billing.totalMessages == 3)
        #expect(try harness.replayMatches())
    }

    @Test func autoDisconnectRemovesTheAgentAndTheBotAndEndsTheChat() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("AGENT", "DISCONNECT_NONCUSTOMER", 2)]))
        let (botId, _) = try harness.joinBot(chat.contactId)
        harness.advance(Duration.minute)
        let joined = harness.now
        let (agentId, _) = try harness.joinAgent(chat.contactId)
        // A single configured timer starts at once.
        #expect(
            participantTimers(harness, chat.contactId) == [
                disconnectKey(chat.contactId, agentId): joined + 2 * Duration.minute
            ]
        )
        harness.now = joined + 2 * Duration.minute
        #expect(harness.fireTimers() == 1)
        let session = try harness.chat(chat.contactId)
        #expect(session.participants[agentId]?.leftReason == .idleDisconnect)
        #expect(session.participants[botId]?.leftReason == .idleDisconnect)
        #expect(session.status == .ended)
        #expect(session.endReason == .idleDisconnect)
        #expect(try harness.contact(chat.contactId).disconnectReason == .idleDisconnect)
        harness.expectRejected(
            .sendMessage(connectionToken: token, contentType: ContentTypes.plainText, content: "x", clientToken: nil),
            "AccessDeniedException",
            403
        )
        #expect(try harness.replayMatches())
    }

    /// After a long outage the transcript and the participants show the chat ending at its ceiling, not when the
    /// overdue timer finally fired.
    @Test func lateFiringDatesTheEndAtTheDeadline() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        let (agentId, _) = try harness.joinAgent(chat.contactId)
        let deadline = try #require(harness.state.timers[TimerKey(.chatCeiling, chat: chat.contactId)])
        harness.advance(3 * Duration.day)
        #expect(harness.fireTimers() == 1)
        let session = try harness.chat(chat.contactId)
        #expect(session.participants[agentId]?.leftAt == deadline)
        #expect(session.participants[chat.participantId]?.leftAt == deadline)
        let tail = session.items.suffix(3)
        #expect(
            tail.map(\.contentType) == [
                ContentTypes.participantLeft, ContentTypes.participantLeft, ContentTypes.chatEnded,
            ]
        )
        #expect(tail.allSatisfy { $0.timestamp == deadline })
        #expect(harness.log.last.map { $0.timestamp } ?? 0 > deadline + 2 * Duration.day)
        #expect(try harness.replayMatches())
    }

    /// A message that arrives after an auto-disconnect deadline, before the scheduler fired it, must not reset the
    /// timer: the due deadline fires first, the agent is gone and the chat has ended, so the message is refused.
    @Test func aMessageAfterADueDeadlineDoesNotCancelIt() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("AGENT", "DISCONNECT_NONCUSTOMER", 2)]))
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(2 * Duration.minute + Duration.second)
        let before = harness.log.count
        harness.expectRejected(
            .sendMessage(
                connectionToken: agentToken,
                contentType: ContentTypes.plainText,
                content: "hi",
                clientToken: nil
            ),
            "AccessDeniedException",
            403
        )
        #expect(harness.log.count == before)
        #expect(harness.fireTimers() == 1)
        #expect(try harness.chat(chat.contactId).participants[agentId]?.leftReason == .idleDisconnect)
        #expect(try harness.chat(chat.contactId).endReason == .idleDisconnect)
        #expect(try harness.replayMatches())
    }

    @Test func autoDisconnectGoesToTheDisconnectFlowWhenOneIsSet() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("AGENT", "DISCONNECT_NONCUSTOMER", 2)]))
        harness.advance(Duration.minute)
        let joined = harness.now
        let (agentId, _) = try harness.joinAgent(chat.contactId)
        _ = try harness.must(.setDisconnectFlow(contactId: "\(chat.contactId)", flowId: "customer-remaining"))
        harness.advance(3 * Duration.minute)
        #expect(harness.fireTimers() == 1)
        let session = try harness.chat(chat.contactId)
        #expect(session.status == .active)
        #expect(session.participants[agentId]?.leftReason == .idleDisconnect)
        #expect(session.contactIds.count == 2)
        let first = try harness.contact(chat.contactId)
        #expect(first.disconnectReason == .idleDisconnect)
        #expect(first.disconnectedAt == joined + 2 * Duration.minute)
        #expect(try harness.contact(session.currentContactId).initiationMethod == .disconnect)
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        try harness.send(token, "hello?")
        #expect(try harness.replayMatches())
    }

    @Test func autoDisconnectOfABotAloneLeavesTheChatRunning() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(
            roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 2), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 3)])
        )
        let (botId, _) = try harness.joinBot(chat.contactId)
        harness.advance(5 * Duration.minute + Duration.second)
        #expect(harness.fireTimers() == 2)
        let session = try harness.chat(chat.contactId)
        #expect(session.participants[botId]?.leftReason == .idleDisconnect)
        #expect(session.status == .active)
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        try harness.send(token, "still here")
        #expect(try harness.replayMatches())
    }

    @Test func aConfigChangeWhileConnectedAppliesWhenANewAgentJoins() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 5)]))
        let (_, firstAgentToken) = try harness.joinAgent(chat.contactId)
        harness.advance(Duration.minute)
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 10)]))
        harness.advance(Duration.minute)
        let message = try harness.send(token, "hello")
        // Still the old setting.
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): message.time + 5 * Duration.minute
            ]
        )
        harness.advance(Duration.minute)
        let joined = harness.now
        _ = try harness.joinAgent(chat.contactId, name: "Second agent")
        #expect(
            participantTimers(harness, chat.contactId) == [
                idleKey(chat.contactId, chat.participantId): joined + 10 * Duration.minute
            ]
        )
        // Unset, then a third agent: no customer timer any more.
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", nil, unset: true)]))
        #expect(participantTimers(harness, chat.contactId).count == 1)
        _ = try harness.joinAgent(chat.contactId, name: "Third agent")
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        // The first agent leaving does not end the chat: others remain.
        _ = try harness.must(.disconnectParticipant(connectionToken: firstAgentToken, clientToken: nil))
        #expect(try harness.chat(chat.contactId).status == .active)
        #expect(try harness.replayMatches())
    }

    @Test func timersStopWhenTheLastAgentLeaves() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        _ = try harness.must(roleConfig(chat.contactId, [timer("CUSTOMER", "IDLE", 5), timer("AGENT", "IDLE", 5)]))
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        _ = try harness.must(.setDisconnectFlow(contactId: "\(chat.contactId)", flowId: "customer-remaining"))
        #expect(participantTimers(harness, chat.contactId).count == 2)
        _ = try harness.must(.disconnectParticipant(connectionToken: agentToken, clientToken: nil))
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        try harness.send(token, "hello?")
        #expect(participantTimers(harness, chat.contactId).isEmpty)
        harness.advance(Duration.hour)
        #expect(harness.fireTimers() == 0)
        #expect(try harness.chat(chat.contactId).status == .active)
        #expect(try harness.replayMatches())
    }
}

// MARK: - The duration ceiling

@Suite struct DurationCeilingTests {
    /// Drives the clock in 10-minute steps up to the ceiling: active just before it, ended EXPIRED exactly at it.
    private func driveToTheCeiling(minutes: Int?) throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let (chat, token) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = minutes })
        let deadline = start + Int64(minutes ?? 1_500) * Duration.minute
        #expect(try harness.chat(chat.contactId).expiresAt == deadline)
        var tokens = token
        var step: Int64 = 1
        while start + step * 10 * Duration.minute < deadline {
            harness.now = start + step * 10 * Duration.minute
            #expect(harness.fireTimers() == 0)
            #expect(try harness.chat(chat.contactId).status == .active)
            // Connection tokens last a day: refresh them like ChatJS does.
            if step % 100 == 0 { tokens = try #require(try harness.connect(chat.participantToken).connectionToken) }
            step += 1
        }
        harness.now = deadline - 1_000
        try harness.send(tokens, "just in time")
        #expect(harness.fireTimers() == 0)
        #expect(try harness.chat(chat.contactId).status == .active)

        harness.now = deadline
        let mark = harness.log.count
        #expect(harness.fireTimers() == 1)
        let fired = firings(harness.events(since: mark))
        #expect(fired.map(\.key) == [TimerKey(.chatCeiling, chat: chat.contactId)])
        #expect(fired.first?.deadline == deadline)
        let session = try harness.chat(chat.contactId)
        #expect(session.status == .ended)
        #expect(session.endReason == .expired)
        #expect(session.endedAt == deadline)
        #expect(session.participants[chat.participantId]?.leftReason == .expired)
        #expect(session.items.last?.contentType == ContentTypes.chatEnded)
        let contact = try harness.contact(chat.contactId)
        #expect(contact.status == .ended)
        #expect(contact.disconnectReason == .expired)
        #expect(contact.disconnectedAt == deadline)
        #expect(harness.state.timers.isEmpty)
        #expect(harness.state.activeChats == 0)
        #expect(try harness.replayMatches())
    }

    @Test func defaultChatExpiresAtExactly25Hours() throws { try driveToTheCeiling(minutes: nil) }

    @Test func sevenDayChatExpiresAtExactly10080Minutes() throws { try driveToTheCeiling(minutes: 10_080) }

    @Test func aChatPastItsCeilingRefusesEverythingBeforeTheTimerFires() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let (chat, token) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        let message = try harness.send(token, "hello")
        harness.now = start + Duration.hour
        #expect(harness.state.timers[TimerKey(.chatCeiling, chat: chat.contactId)] == start + Duration.hour)
        let contact = "\(chat.contactId)"
        harness.expectRejected(
            .sendMessage(connectionToken: token, contentType: ContentTypes.plainText, content: "x", clientToken: nil),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .sendEvent(connectionToken: agentToken, contentType: ContentTypes.typing, content: nil, clientToken: nil),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .sendEvent(
                connectionToken: agentToken,
                contentType: ContentTypes.read,
                content: "{\"messageId\":\"\(message.id)\"}",
                clientToken: nil
            ),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .createParticipantConnection(
                participantToken: chat.participantToken,
                types: ["CONNECTION_CREDENTIALS"],
                connectParticipant: true
            ),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .disconnectParticipant(connectionToken: token, clientToken: nil),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(.joinAgent(contactId: contact, displayName: "Late"), "InvalidRequestException", 400)
        harness.expectRejected(
            .setDisconnectFlow(contactId: contact, flowId: "survey"),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .sendSystemMessage(
                contactId: contact,
                displayName: "SYSTEM_MESSAGE",
                contentType: ContentTypes.plainText,
                content: "x"
            ),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .stopContact(instanceId: ChatHarness.instanceId, contactId: contact),
            "ContactNotFoundException",
            410
        )
        // Reading the transcript still works.
        _ = try harness.transcript(token)
        #expect(harness.fireTimers() == 1)
        #expect(try harness.chat(chat.contactId).endReason == .expired)
        #expect(try harness.contact(chat.contactId).disconnectedAt == start + Duration.hour)
        #expect(try harness.replayMatches())
    }

    @Test func overdueTimersFireInDeadlineOrderStampedWithTheirDeadlines() throws {
        var harness = ChatHarness()
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.must(
            roleConfig(
                chat.contactId,
                [
                    timer("CUSTOMER", "IDLE", 5), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 10),
                    timer("AGENT", "IDLE", 7),
                ]
            )
        )
        harness.advance(Duration.minute)
        let joined = harness.now
        let (agentId, _) = try harness.joinAgent(chat.contactId)

        harness.advance(3 * Duration.day)
        let mark = harness.log.count
        #expect(harness.fireTimers() == 3)
        let fired = firings(harness.events(since: mark))
        #expect(
            fired.map(\.key) == [
                idleKey(chat.contactId, chat.participantId), idleKey(chat.contactId, agentId),
                disconnectKey(chat.contactId, chat.participantId),
            ]
        )
        #expect(
            fired.map(\.deadline) == [
                joined + 5 * Duration.minute, joined + 7 * Duration.minute, joined + 15 * Duration.minute,
            ]
        )
        #expect(fired.allSatisfy { $0.firedAt == harness.now })
        let session = try harness.chat(chat.contactId)
        #expect(session.endReason == .idleDisconnect)
        #expect(session.endedAt == joined + 15 * Duration.minute)
        #expect(try harness.contact(chat.contactId).disconnectedAt == joined + 15 * Duration.minute)
        #expect(harness.state.timers.isEmpty)
        #expect(harness.state.timersFired == 3)
        #expect(try harness.replayMatches())
    }

    @Test func anOverdueChainStopsAtTheCeiling() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let start = harness.now
        let (chat, _) = try harness.startConnectedChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        _ = try harness.must(
            roleConfig(
                chat.contactId,
                [timer("CUSTOMER", "IDLE", 30), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 40)]
            )
        )
        harness.advance(Duration.minute)
        let joined = harness.now
        _ = try harness.joinAgent(chat.contactId)

        harness.advance(3 * Duration.day)
        let mark = harness.log.count
        #expect(harness.fireTimers() == 2)
        let fired = firings(harness.events(since: mark))
        // The disconnect deadline (joined + 70 min) lies past the ceiling (start + 60 min): it never fires.
        #expect(
            fired.map(\.key) == [
                idleKey(chat.contactId, chat.participantId), TimerKey(.chatCeiling, chat: chat.contactId),
            ]
        )
        #expect(fired.map(\.deadline) == [joined + 30 * Duration.minute, start + Duration.hour])
        #expect(fired.allSatisfy { $0.firedAt == harness.now })
        let session = try harness.chat(chat.contactId)
        #expect(session.endReason == .expired)
        #expect(session.endedAt == start + Duration.hour)
        #expect(try harness.contact(chat.contactId).disconnectedAt == start + Duration.hour)
        #expect(harness.state.timers.isEmpty)
        #expect(try harness.replayMatches())
    }
}

// MARK: - A chat's end among many timers

@Suite struct ChatEndTimerTests {
    /// With many chats' timers set, a chat's end removes its own deadlines by key (not by scanning every timer):
    /// none of its timers is left, apart from after-contact work, and every other chat keeps all of its.
    @Test func anEndingChatRemovesExactlyItsOwnTimersAmongMany() throws {
        var harness = ChatHarness()
        var chats: [(chat: StartChatContactResponse, token: String)] = []
        for _ in 0..<40 { chats.append(try harness.startConnectedChat()) }
        let ending = chats[7].chat.contactId
        _ = try harness.must(
            roleConfig(ending, [timer("CUSTOMER", "IDLE", 5), timer("AGENT", "IDLE", 3)])
        )
        // Participant timers run once an agent joined.
        _ = try harness.joinAgent(ending)
        // A deadline of every kind the end removes, each naming what its kind names (`TimerKind.slot`): flow Wait,
        // offer and queue delay deadlines name the contact.
        let chat = try harness.chat(ending)
        let removed = TimerKind.allCases.filter { $0 != .afterContactWork }
        for kind in removed {
            let slot: Identifier? =
                switch kind.slot {
                case .none: nil
                case .participant: chat.customerParticipantId
                case .contact: chat.contactIds.first
                }
            let armed = TimerArmed(
                key: TimerKey(kind, chat: ending, participant: slot),
                deadline: harness.now + 60_000_000
            )
            ChatMachine.apply(.timerArmed(armed), at: harness.now, to: &harness.state)
            harness.log.append((harness.now, .timerArmed(armed)))
        }
        let others = harness.state.timers.filter { $0.key.chatId != ending }
        let own = harness.state.timers.keys.filter { $0.chatId == ending }
        // Enough timers that the end takes the keyed path, and the chat has timers of every kind it removes.
        #expect(harness.state.timers.count > 7 * (1 + chat.participants.count + chat.contactIds.count))
        #expect(Set(own.map(\.kind)) == Set(removed))
        #expect(own.contains { $0.participantId == chat.participants.keys.first { $0 != chat.customerParticipantId } })

        _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: ending.description))
        #expect(!harness.state.timers.keys.contains { $0.chatId == ending && $0.kind != .afterContactWork })
        #expect(harness.state.timers.filter { $0.key.chatId != ending } == others)
        #expect(try harness.replayMatches())
    }
}

// MARK: - A participant leaving among many timers

@Suite struct LeaveTimerTests {
    /// With many chats' participant timers armed, the last agent leaving cancels its own timers and the chat's
    /// participant timers by key (not by scanning every timer), and every other chat keeps all of its.
    @Test func theLastAgentLeavingCancelsExactlyItsChatsParticipantTimers() throws {
        var harness = ChatHarness()
        var chats: [(chat: StartChatContactResponse, token: String)] = []
        for _ in 0..<30 { chats.append(try harness.startConnectedChat()) }
        var agentTokens: [Identifier: String] = [:]
        var agentIds: [Identifier: Identifier] = [:]
        for (index, entry) in chats.enumerated() where index % 3 == 0 {
            let contact = entry.chat.contactId
            _ = try harness.must(roleConfig(contact, [timer("CUSTOMER", "IDLE", 5), timer("AGENT", "IDLE", 3)]))
            (agentIds[contact], agentTokens[contact]) = try harness.joinAgent(contact)
        }
        let leaving = chats[9].chat
        _ = try harness.must(.setDisconnectFlow(contactId: "\(leaving.contactId)", flowId: "customer-remaining"))
        let own = participantTimers(harness, leaving.contactId)
        #expect(own.count == 2)
        let others = harness.state.timers.filter { $0.key.chatId != leaving.contactId }
        #expect(others.keys.contains { $0.kind == .participantIdle })

        let mark = harness.log.count
        let token = try #require(agentTokens[leaving.contactId])
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))
        let cancelled = harness.events(since: mark).compactMap { event -> TimerKey? in
            if case .timerCancelled(let cancelled) = event { return cancelled.key }
            return nil
        }
        #expect(Set(cancelled) == Set(own.keys))
        // The agent's own timer as it leaves, then the rest of the chat's once no agent is left.
        #expect(cancelled.first?.participantId == agentIds[leaving.contactId])
        #expect(participantTimers(harness, leaving.contactId).isEmpty)
        #expect(try harness.chat(leaving.contactId).status == .active)
        #expect(harness.state.timers.filter { $0.key.chatId != leaving.contactId } == others)
        #expect(try harness.replayMatches())
    }
}

// MARK: - A burst of due timers

@Suite struct DueTimerBurstTests {
    /// Many chats' timers fall due at once (an outage): they fire earliest deadline first across every chat, chains
    /// included (an idle timer arms a disconnect timer that is already due), until nothing due is left.
    @Test func aBurstAcrossChatsFiresInDeadlineOrder() throws {
        var harness = ChatHarness()
        var chats: [Identifier] = []
        for index in 0..<24 {
            let (chat, _) = try harness.startConnectedChat()
            chats.append(chat.contactId)
            if index % 2 == 0 {
                _ = try harness.must(
                    roleConfig(
                        chat.contactId,
                        [timer("CUSTOMER", "IDLE", 5 + index), timer("CUSTOMER", "DISCONNECT_NONCUSTOMER", 10)]
                    )
                )
                _ = try harness.joinAgent(chat.contactId)
            }
            harness.advance(Duration.minute)
        }
        harness.advance(3 * Duration.day)
        let mark = harness.log.count
        let count = harness.fireTimers()
        let fired = firings(harness.events(since: mark))
        #expect(fired.count == count)
        // The chats with role timers ended by the disconnect timer their idle timer armed; the others at the ceiling.
        for (index, chat) in chats.enumerated() {
            #expect(try harness.chat(chat).endReason == (index % 2 == 0 ? .idleDisconnect : .expired))
        }
        let order = fired.map { ($0.deadline, $0.key) }
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })
        #expect(!harness.state.timers.values.contains { $0 <= harness.now })
        #expect(harness.state.activeChats == 0)
        #expect(try harness.replayMatches())
    }
}

// MARK: - Timer keys

@Suite struct TimerKeyShapeTests {
    /// A key names what its kind names in the participant slot, and only keys of that shape decode: a chat's end
    /// removes its deadlines by building exactly those keys.
    @Test func onlyKeysWhoseSlotFitsTheirKindDecode() throws {
        let chat = Identifier(high: 7, low: 9)
        let other = Identifier(high: 3, low: 4)
        for kind in TimerKind.allCases {
            let fitting = TimerKey(kind, chat: chat, participant: kind.slot == .none ? nil : other)
            let misfit = TimerKey(kind, chat: chat, participant: kind.slot == .none ? other : nil)
            for event in [
                ChatEvent.timerArmed(TimerArmed(key: fitting, deadline: 5)),
                .timerCancelled(TimerCancelled(key: fitting)),
            ] {
                let (tag, payload) = event.encoded()
                #expect(try ChatEventCatalogue.decode(tag: tag, payload: payload) == event)
            }
            for event in [
                ChatEvent.timerArmed(TimerArmed(key: misfit, deadline: 5)),
                .timerCancelled(TimerCancelled(key: misfit)),
            ] {
                let (tag, payload) = event.encoded()
                #expect(throws: DecodeError.self, "\(kind)") {
                    try ChatEventCatalogue.decode(tag: tag, payload: payload)
                }
            }
            #expect(try TimerKey(snapshotBytes: fitting.snapshotBytes()) == fitting)
            #expect(throws: DecodeError.self, "\(kind)") { try TimerKey(snapshotBytes: misfit.snapshotBytes()) }
        }
        #expect(TimerKind.allCases.filter { $0.slot == .none } == [.chatCeiling, .connectWindow])
        #expect(TimerKind.allCases.filter { $0.slot == .participant } == [.participantIdle, .participantDisconnect])
    }
}

import Testing

@testable import ParleyDomain

/// `ChatState` keeps its fields behind one reference (copy on write): a copy never sees the other's changes.
@Suite struct ChatStateCopyTests {
    /// A harness with one connected chat that has a message.
    static func busyHarness() throws -> (harness: ChatHarness, token: String) {
        var harness = ChatHarness()
        let (_, token) = try harness.startConnectedChat()
        try harness.send(token, "before the copy")
        return (harness, token)
    }

    @Test func aCopyKeepsEveryFieldWhileTheOriginalGoesOn() throws {
        var (harness, token) = try Self.busyHarness()
        let copy = harness.state
        let hash = copy.stateHash()
        let chats = copy.chats.count
        let timers = copy.timers
        #expect(copy == harness.state)

        // Messages, a second chat (contacts, chats, tokens, timers), then every timer firing (the chats end).
        try harness.send(token, "after the copy")
        _ = try harness.startConnectedChat()
        harness.advance(8 * 24 * 3_600_000_000)
        #expect(harness.fireTimers() > 0)

        #expect(copy.stateHash() == hash)
        #expect(copy.chats.count == chats && copy.timers == timers && copy.deadlines.count == timers.count)
        #expect(copy != harness.state)
        #expect(harness.state.chats.count == chats + 1 && harness.state.timers.count < timers.count + 4)
    }

    @Test func changingACopyLeavesTheOriginal() throws {
        let (harness, _) = try Self.busyHarness()
        let hash = harness.state.stateHash()
        let changes: [(String, (inout ChatState) -> Void)] = [
            ("eventCount", { $0.eventCount += 1 }),
            ("activeChats", { $0.activeChats -= 1 }),
            ("flows", { $0.flows = [:] }),
            ("queues", { $0.queues = [:] }),
            (
                "participantTokens",
                {
                    $0.participantTokens["a token of another form"] = TokenTarget(
                        chatId: .init(high: 1, low: 2),
                        participantId: .init(high: 3, low: 4)
                    )
                }
            ),
            (
                "connectionTokens",
                {
                    $0.connectionTokens["a token of another form"] = TokenTarget(
                        chatId: .init(high: 1, low: 2),
                        participantId: .init(high: 3, low: 4)
                    )
                }
            ),
            ("chats", { $0.chats = TieredMap() }),
            ("contacts", { $0.contacts = TieredMap() }),
            ("timers", { state in for key in Array(state.timers.keys) { state.removeTimer(key) } }),
            ("instance", { $0.instance = nil }),
            ("waiting", { $0.waiting = [:] }),
            ("billing", { $0.billing = BillingMeter() }),
        ]
        for (field, change) in changes {
            var copy = harness.state
            change(&copy)
            #expect(copy != harness.state, "changing \(field) changed nothing")
            #expect(harness.state.stateHash() == hash, "changing a copy's \(field) changed the original")
        }
    }

    @Test func statesBuiltAlikeInTwoBoxesAreEqual() throws {
        let first = try Self.busyHarness().harness.state
        var second = try Self.busyHarness().harness.state
        #expect(first == second && first.stateHash() == second.stateHash())
        second.timersFired += 1
        #expect(first != second)
    }
}

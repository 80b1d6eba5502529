import Foundation
import ParleyDomain
import Testing

/// Offers, accept / reject / miss, concurrency, queue priority and delay, after-contact work.
@Suite struct RoutingTests {
    static let instance = ChatHarness.instanceId

    /// Two queues (harness-queue priority 1, "slow" priority 2 with a 30 s delay), a profile with `concurrency`,
    /// agents "sam" (manual accept, 60 s ACW) and "bea" (auto-accept), and the three kinds of status.
    static func setUp(concurrency: Int64 = 2) throws -> ChatHarness {
        var harness = ChatHarness()
        _ = try harness.must(.createQueue(instanceId: instance, queueId: "slow", name: "Slow", maxContacts: 0))
        _ = try harness.must(
            .createRoutingProfile(
                instanceId: instance,
                routingProfileId: "profile",
                name: "Profile",
                chatConcurrency: concurrency,
                routeAnyChannel: false,
                queueConfigs: [
                    RoutingQueueConfig(queueId: ChatHarness.queueId, priority: 1, delaySeconds: 0),
                    RoutingQueueConfig(queueId: "slow", priority: 2, delaySeconds: 30),
                ],
                defaultOutboundQueueId: ChatHarness.queueId
            )
        )
        for (id, auto) in [("sam", false), ("bea", true)] {
            _ = try harness.must(
                .createUser(
                    instanceId: instance,
                    userId: id,
                    username: id.capitalized,
                    routingProfileId: "profile",
                    autoAccept: auto,
                    afterContactWorkSeconds: 60
                )
            )
        }
        _ = try harness.must(
            .createAgentStatus(
                instanceId: instance,
                statusId: "available",
                name: "Available",
                type: "ROUTABLE",
                enabled: true
            )
        )
        _ = try harness.must(
            .createAgentStatus(instanceId: instance, statusId: "break", name: "Break", type: "CUSTOM", enabled: true)
        )
        return harness
    }

    /// A flow, "slow-flow", that queues the chat in the slow queue.
    static func createSlowFlow(_ harness: inout ChatHarness) throws {
        let slowFlow = ChatHarness.queueingFlow.replacingOccurrences(of: "harness-queue", with: "slow")
        _ = try harness.must(
            .createContactFlow(
                instanceId: instance,
                flowId: "slow-flow",
                name: "Slow flow",
                type: "CONTACT_FLOW",
                description: "",
                content: slowFlow
            )
        )
    }

    /// Changes the profile of `setUp` to take the first queue alone (no longer the slow one).
    static let firstQueueOnly = ChatCommand.updateRoutingProfile(
        instanceId: instance,
        routingProfileId: "profile",
        chatConcurrency: nil,
        queueConfigs: [RoutingQueueConfig(queueId: ChatHarness.queueId, priority: 1, delaySeconds: 0)]
    )

    static func available(_ user: String, _ harness: inout ChatHarness) throws {
        _ = try harness.must(.setAgentStatus(instanceId: instance, userId: user, statusId: "available"))
    }

    static func slots(_ harness: ChatHarness, _ user: String) -> [Identifier: AgentSlotState] {
        (harness.state.agents[user]?.slots ?? [:]).mapValues(\.state)
    }

    @Test func offerAcceptConversationAndAfterContactWork() throws {
        var harness = try Self.setUp()
        try Self.available("sam", &harness)
        let (chat, customer) = try harness.startConnectedChat()
        #expect(try harness.contact(chat.contactId).offeredTo == "sam")
        #expect(Self.slots(harness, "sam") == [chat.contactId: .offered])
        guard
            case .participantJoined(_, let token) = try harness.must(
                .acceptContact(userId: "sam", contactId: chat.contactId.description)
            )
        else { throw HarnessError("no join") }
        let agent = try harness.connect(token).connectionToken!
        #expect(Self.slots(harness, "sam") == [chat.contactId: .connected])
        #expect(try harness.contact(chat.contactId).agentId == "sam")
        try harness.send(agent, "Hello, Sam here")
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        #expect(Self.slots(harness, "sam") == [chat.contactId: .afterContactWork])
        let acw = try #require(
            harness.state.timers[TimerKey(.afterContactWork, chat: chat.contactId, participant: chat.contactId)]
        )
        harness.now = acw
        #expect(harness.fireTimers() == 1)
        #expect(Self.slots(harness, "sam").isEmpty)
        #expect(try harness.replayMatches())
    }

    @Test func aMissedOfferBlocksTheAgentAndGoesToAnother() throws {
        var harness = try Self.setUp()
        try Self.available("sam", &harness)
        let chat = try harness.startChat()
        let deadline = try #require(
            harness.state.timers[TimerKey(.offer, chat: chat.contactId, participant: chat.contactId)]
        )
        harness.now = deadline
        #expect(harness.fireTimers() == 1)
        #expect(harness.state.agents["sam"]?.errorSince != nil)
        #expect(try harness.contact(chat.contactId).offeredTo == nil, "back in the queue, not offered to sam again")
        #expect(try harness.contact(chat.contactId).queued != nil)
        try Self.available("bea", &harness)
        #expect(try harness.contact(chat.contactId).agentId == "bea", "bea auto-accepts")
        #expect(Self.slots(harness, "bea") == [chat.contactId: .connected])
        // Sam goes available again: the error state is cleared.
        try Self.available("sam", &harness)
        #expect(harness.state.agents["sam"]?.errorSince == nil)
        #expect(try harness.replayMatches())
    }

    @Test func rejectingPutsTheContactBackAndTheAgentInError() throws {
        var harness = try Self.setUp()
        try Self.available("sam", &harness)
        let chat = try harness.startChat()
        _ = try harness.must(.rejectContact(userId: "sam", contactId: chat.contactId.description))
        #expect(harness.state.agents["sam"]?.errorSince != nil)
        #expect(try harness.contact(chat.contactId).offeredTo == nil)
        harness.expectRejected(
            .acceptContact(userId: "sam", contactId: chat.contactId.description),
            "InvalidRequestException",
            400
        )
        #expect(try harness.replayMatches())
    }

    @Test func concurrencyAndTheAgentIdleLongest() throws {
        var harness = try Self.setUp(concurrency: 2)
        try Self.available("bea", &harness)
        harness.advance(Duration.second)
        try Self.available("sam", &harness)
        // Sam became available later, so bea (idle longest) gets the first chat; sam the second.
        let first = try harness.startChat()
        #expect(try harness.contact(first.contactId).agentId == "bea")
        let second = try harness.startChat()
        #expect(try harness.contact(second.contactId).offeredTo == "sam")
        let third = try harness.startChat()
        #expect(try harness.contact(third.contactId).agentId == "bea")
        let fourth = try harness.startChat()
        #expect(try harness.contact(fourth.contactId).offeredTo == "sam")
        let fifth = try harness.startChat()
        #expect(try harness.contact(fifth.contactId).offeredTo == nil, "every slot is taken")
        for user in ["sam", "bea"] { #expect(Self.slots(harness, user).count == 2) }
        #expect(try harness.replayMatches())
    }

    @Test func priorityBeatsDelay() throws {
        var harness = try Self.setUp(concurrency: 1)
        // A contact waits in the slow queue (priority 2, 30 s delay) before one arrives in the first queue.
        try Self.createSlowFlow(&harness)
        let slow = try harness.startChat(ChatHarness.request { $0.contactFlowId = "slow-flow" })
        try Self.available("sam", &harness)
        #expect(try harness.contact(slow.contactId).offeredTo == nil, "the slow queue's delay has not passed")
        harness.advance(10 * Duration.second)
        let fast = try harness.startChat()
        #expect(try harness.contact(fast.contactId).offeredTo == "sam")
        _ = try harness.must(.rejectContact(userId: "sam", contactId: fast.contactId.description))
        harness.advance(30 * Duration.second)
        try Self.available("sam", &harness)
        // Both wait now and the slow one is older and past its delay, but the first queue has priority.
        #expect(try harness.contact(fast.contactId).offeredTo == "sam")
        #expect(try harness.contact(slow.contactId).offeredTo == nil)
        #expect(try harness.replayMatches())
    }

    @Test func queueTimeAdjustmentRanksContactsAndHoldsAtTheEndsOfTheRange() throws {
        var harness = try Self.setUp(concurrency: 1)
        _ = try harness.must(
            .createUser(
                instanceId: Self.instance,
                userId: "cal",
                username: "Cal",
                routingProfileId: "profile",
                autoAccept: true,
                afterContactWorkSeconds: 0
            )
        )
        // A flow per adjustment: UpdateContactRoutingBehavior, then the harness's queueing flow.
        var contacts: [String: Identifier] = [:]
        for (name, seconds) in [("none", "0"), ("min", "\(Int64.min)"), ("minute", "60"), ("max", "\(Int64.max)")] {
            let flow = ChatHarness.queueingFlow
                .replacingOccurrences(of: #""StartAction": "queue""#, with: #""StartAction": "adjust""#)
                .replacingOccurrences(
                    of: #""Actions": ["#,
                    with: #""Actions": [{"Identifier": "adjust", "Type": "UpdateContactRoutingBehavior", "#
                        + #""Parameters": {"QueueTimeAdjustmentSeconds": "\#(seconds)"}, "#
                        + #""Transitions": {"NextAction": "queue"}},"#
                )
            _ = try harness.must(
                .createContactFlow(
                    instanceId: Self.instance,
                    flowId: "adjust-\(name)",
                    name: "Adjust \(name)",
                    type: "CONTACT_FLOW",
                    description: "",
                    content: flow
                )
            )
            contacts[name] = try harness.startChat(ChatHarness.request { $0.contactFlowId = "adjust-\(name)" })
                .contactId
            harness.advance(Duration.second)
        }
        #expect(try harness.contact(contacts["max"]!).queueTimeAdjustmentSeconds == Int64.max)
        // Each auto-accepting agent with one slot takes the best waiting contact: the oldest after adjustment.
        for (agent, expected) in [("bea", "max"), ("cal", "minute")] {
            try Self.available(agent, &harness)
            #expect(try harness.contact(contacts[expected]!).agentId == agent, "\(agent) takes \(expected)")
        }
        try Self.available("sam", &harness)
        #expect(try harness.contact(contacts["none"]!).offeredTo == "sam", "Int64.min seconds ranks last")
        #expect(try harness.contact(contacts["min"]!).offeredTo == nil)
        #expect(try harness.replayMatches())
    }

    @Test func theCustomerReturnsToThePreviousAgent() throws {
        var harness = try Self.setUp()
        for command in SampleFlows.setup(instanceId: Self.instance) { _ = try harness.must(command) }
        _ = try harness.must(
            .createRoutingProfile(
                instanceId: Self.instance,
                routingProfileId: "support-profile",
                name: "Support",
                chatConcurrency: 2,
                routeAnyChannel: false,
                queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                defaultOutboundQueueId: SampleFlows.queueId
            )
        )
        for id in ["sam-support", "other"] {
            _ = try harness.must(
                .createUser(
                    instanceId: Self.instance,
                    userId: id,
                    username: id,
                    routingProfileId: "support-profile",
                    autoAccept: true,
                    afterContactWorkSeconds: 0
                )
            )
        }
        try Self.available("sam-support", &harness)
        let (chat, customer) = try harness.startConnectedChat(
            ChatHarness.request { $0.contactFlowId = SampleFlows.inboundId }
        )
        #expect(try harness.contact(chat.contactId).agentId == "sam-support")
        let agentParticipant = try harness.chat(chat.contactId).participants.values.first { $0.role == .agent }!
        let agent = try harness.connect(agentParticipant.participantToken).connectionToken!
        try harness.send(agent, "Are you there?")
        _ = try harness.must(.disconnectParticipant(connectionToken: agent, clientToken: nil))
        _ = try harness.must(.clearAfterContactWork(userId: "sam-support", contactId: chat.contactId.description))
        try Self.available("other", &harness)  // idle longer than sam from now on? No: sam's slot just cleared.
        try harness.send(customer, "Hey, I'm back")
        let segment = try harness.chat(chat.contactId).currentContactId
        #expect(
            try harness.contact(segment).agentId == "sam-support",
            "the agent queue goes to the previous agent only"
        )
        #expect(try harness.replayMatches())
    }
}

/// Random arrivals, status changes, accepts, rejects, misses, hang-ups and ACW on a simulated clock: no agent ever
/// exceeds its concurrency, no contact is offered to two agents, nothing is lost, and replay equals live.
@Suite struct RoutingPropertyTests {
    @Test func routingInvariantsHoldUnderRandomTraffic() throws {
        var offers = 0
        var accepted = 0
        var transfers = 0
        for seed in 1...150 as ClosedRange<UInt64> {
            var harness = try RoutingTests.setUp(concurrency: Int64(1 + seed % 3))
            var random = SeededGenerator(seed: seed &* 104_729)
            func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
            var customers: [String] = []
            for _ in 0..<60 {
                let logged = harness.log.count
                var waitingBefore: [Identifier: QueuePosition] = [:]
                for (id, position) in harness.state.waiting { waitingBefore[id] = position }
                switch random.next() % 11 {
                case 0, 1:
                    if let chat = try? harness.startConnectedChat() { customers.append(chat.token) }
                case 2:
                    _ = harness.run(
                        .setAgentStatus(
                            instanceId: RoutingTests.instance,
                            userId: pick(["sam", "bea"]),
                            statusId: pick(["available", "break"])
                        )
                    )
                case 3, 4:
                    let offered = harness.state.contacts.values.filter { $0.offeredTo != nil }
                    if let contact = offered.first {
                        let reply = harness.run(
                            .acceptContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
                        )
                        if case .success = reply { accepted += 1 }
                    }
                case 5:
                    if let contact = harness.state.contacts.values.first(where: { $0.offeredTo != nil }) {
                        _ = harness.run(
                            .rejectContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
                        )
                    }
                case 6:
                    if !customers.isEmpty {
                        _ = harness.run(.disconnectParticipant(connectionToken: pick(customers), clientToken: nil))
                    }
                case 10:
                    // An agent transfers a chat it is connected to: to a queue, or to the other agent's queue.
                    let connected = harness.state.agents.values.flatMap { session in
                        session.slots.filter { $0.value.state == .connected }.map { (session.userId, $0.key) }
                    }
                    if let (userId, contactId) = connected.first {
                        let toAgent = random.next() % 2 == 0
                        _ = harness.run(
                            .agentTransfer(
                                userId: userId,
                                contactId: contactId.description,
                                queueId: toAgent ? nil : pick([ChatHarness.queueId, "slow"]),
                                agentId: toAgent ? (userId == "sam" ? "bea" : "sam") : nil,
                                flowId: nil
                            )
                        )
                        transfers += 1
                    }
                case 7:
                    for (userId, session) in harness.state.agents {
                        for (contactId, slot) in session.slots where slot.state == .afterContactWork {
                            _ = harness.run(.clearAfterContactWork(userId: userId, contactId: contactId.description))
                        }
                    }
                default:
                    harness.advance(pick([1, 5, 21, 61, 600]) * Duration.second)
                    harness.fireTimers()
                }
                // Invariants.
                var holders: [Identifier: Int] = [:]
                for session in harness.state.agents.values {
                    let user = try #require(harness.state.users[session.userId])
                    let concurrency = try #require(harness.state.routingProfiles[user.routingProfileId]).chatConcurrency
                    #expect(
                        Int64(session.slots.count) <= concurrency,
                        "seed \(seed): \(session.userId) over its concurrency"
                    )
                    for (contactId, slot) in session.slots
                    where slot.state == .offered || slot.state == .connected {
                        holders[contactId, default: 0] += 1
                        if slot.state == .offered {
                            #expect(
                                harness.state.contacts[contactId]?.offeredTo == session.userId,
                                "seed \(seed): offer bookkeeping"
                            )
                        }
                    }
                }
                #expect(holders.values.allSatisfy { $0 == 1 }, "seed \(seed): a contact held by two agents")
                for contact in harness.state.contacts.values where contact.offeredTo != nil {
                    #expect(holders[contact.contactId] == 1, "seed \(seed): an offer without a slot")
                }
                // Nothing lost: every active chat's current contact waits in a queue, is held by an agent, or
                // had its agent leave (ACW, transfer) — and a waiting one is in the routing index exactly once.
                for chat in harness.state.chats.values where harness.state.isActive(chat, at: harness.now) {
                    guard let contact = harness.state.contacts[chat.currentContactId] else {
                        Issue.record("seed \(seed): chat without its contact")
                        continue
                    }
                    if contact.queued != nil {
                        #expect(harness.state.waiting[contact.contactId] != nil, "seed \(seed): a waiting contact lost")
                    }
                    #expect(
                        contact.queued == nil || contact.agentId == nil || contact.offeredTo == nil,
                        "seed \(seed): a contact both assigned and waiting"
                    )
                }
                // Queue order: a contact offered in this step was not younger than one left waiting, unoffered, in
                // the same standard queue (every contact has the same priority here).
                for entry in harness.log[logged...] {
                    guard case .contactOffered(let offer) = entry.event, !offer.queueId.hasPrefix("agent/"),
                        let since = waitingBefore[offer.contactId]?.since
                            ?? harness.state.waiting[offer.contactId]?.since
                    else { continue }
                    for (id, position) in harness.state.waiting
                    where position.queueId == offer.queueId && harness.state.contacts[id]?.offeredTo == nil
                        && waitingBefore[id] != nil
                    {
                        #expect(position.since >= since, "seed \(seed): an older contact was passed over")
                    }
                }
            }
            offers += harness.log.filter { if case .contactOffered = $0.event { true } else { false } }.count
            #expect(try harness.replayMatches(), "seed \(seed): replay differs")
        }
        #expect(offers > 500)
        #expect(accepted > 100)
        #expect(transfers > 50)
    }
}

/// The queue-state projection (§8.1 figures) and the agent metrics of CheckMetricData.
@Suite struct QueueStateTests {
    @Test func figuresFollowAgentsAndContacts() throws {
        var harness = try RoutingTests.setUp(concurrency: 2)
        let queue = ChatHarness.queueId
        func figures() -> QueueFigures { harness.state.queueFigures(queue, at: harness.now) }
        #expect(figures().agentsOnline == 0)
        try RoutingTests.available("sam", &harness)
        _ = try harness.must(.setAgentStatus(instanceId: RoutingTests.instance, userId: "bea", statusId: "break"))
        var now = figures()
        #expect((now.agentsOnline, now.agentsAvailable, now.agentsStaffed, now.agentsNonProductive) == (2, 1, 1, 1))
        #expect(now.slotsAvailable == 2, "bea's slots (custom status) are not counted")
        let (first, _) = try harness.startConnectedChat()
        _ = try harness.must(.acceptContact(userId: "sam", contactId: first.contactId.description))
        let second = try harness.startChat()  // offered to sam (second slot)
        #expect(try harness.contact(second.contactId).offeredTo == "sam")
        let third = try harness.startChat()  // waits
        harness.advance(7 * Duration.second)
        now = figures()
        #expect(now.agentsOnContact == 1)
        #expect(now.agentsAvailable == 0)
        #expect(now.slotsActive == 1, "the ringing slot is not active")
        #expect(now.slotsAvailable == 0)
        #expect(now.contactsInQueue == 2, "the offered and the waiting contact are still in queue")
        #expect((now.oldestContactAgeMilliseconds ?? 0) >= 6_990, "queued 7 s ago (events are a few µs apart)")
        // A missed offer: sam in error.
        harness.now = try #require(
            harness.state.timers[TimerKey(.offer, chat: second.contactId, participant: second.contactId)]
        )
        harness.fireTimers()
        now = figures()
        #expect(now.agentsError == 1)
        #expect(now.agentsAvailable == 0)
        let metrics = try ChatQueries.currentMetrics(
            instanceId: RoutingTests.instance,
            queueIds: [queue],
            in: harness.state,
            now: harness.now
        )
        #expect(metrics == [figures()])
        #expect(throws: ChatError.self) {
            try ChatQueries.currentMetrics(
                instanceId: RoutingTests.instance,
                queueIds: ["nope"],
                in: harness.state,
                now: harness.now
            )
        }
        _ = third
        #expect(try harness.replayMatches())
    }

    @Test func checkMetricDataReadsAgentFigures() throws {
        var harness = try RoutingTests.setUp()
        let content = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"CheckMetricData\",\"Parameters\":{\"MetricType\":\"NumberOfAgentsAvailable\",\"QueueId\":\"harness-queue\"},"
                    + "\"Transitions\":{\"NextAction\":\"none\",\"Conditions\":[{\"NextAction\":\"some\",\"Condition\":{\"Operator\":\"NumberGreaterThan\",\"Operands\":[\"0\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"none\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.message("some", "An agent is available", next: "q"),
                FlowActionTests.message("none", "Nobody is available", next: "q"),
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        let nobody = try FlowActionTests.run(content, harness: &harness)
        #expect(try FlowActionTests.systemMessages(harness, nobody) == ["Nobody is available"])
        try RoutingTests.available("bea", &harness)
        let someone = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId
        // bea took the first chat when she became available (auto-accept), so she is on a contact, not available.
        #expect(try FlowActionTests.systemMessages(harness, someone) == ["Nobody is available"])
        try RoutingTests.available("sam", &harness)
        let third = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId
        #expect(try FlowActionTests.systemMessages(harness, third) == ["An agent is available"])
        #expect(try harness.replayMatches())
    }
}

/// Queue status and the agent-queue limit.
@Suite struct QueueStatusTests {
    @Test func aDisabledQueueTakesNoNewContacts() throws {
        var harness = ChatHarness()
        _ = try harness.must(
            .updateQueueStatus(instanceId: ChatHarness.instanceId, queueId: ChatHarness.queueId, status: "DISABLED")
        )
        #expect(harness.state.queues[ChatHarness.queueId]?.enabled == false)
        let chat = try harness.startChat()
        #expect(try harness.contact(chat.contactId).queued == nil)
        #expect(
            try harness.chat(chat.contactId).endReason == .contactFlowDisconnect,
            "the harness flow disconnects on error"
        )
        harness.expectRejected(
            .updateQueueStatus(instanceId: ChatHarness.instanceId, queueId: ChatHarness.queueId, status: "PAUSED"),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            .updateQueueStatus(instanceId: ChatHarness.instanceId, queueId: "nope", status: "ENABLED"),
            "ResourceNotFoundException",
            404
        )
        _ = try harness.must(
            .updateQueueStatus(instanceId: ChatHarness.instanceId, queueId: ChatHarness.queueId, status: "ENABLED")
        )
        let queued = try harness.startChat().contactId
        #expect(try harness.contact(queued).queued != nil)
        #expect(try harness.replayMatches())
    }

    @Test func anAgentQueueHoldsTenContacts() throws {
        var harness = ChatHarness()
        let toAgent = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"UpdateContactTargetQueue\",\"Parameters\":{\"AgentId\":\"agent-zed\"},"
                    + "\"Transitions\":{\"NextAction\":\"t\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                "{\"Identifier\":\"t\",\"Type\":\"TransferContactToQueue\",\"Parameters\":{},\"Transitions\":{\"NextAction\":\"end\","
                    + "\"Errors\":[{\"ErrorType\":\"QueueAtCapacity\",\"NextAction\":\"full\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.message("full", "The agent has too many chats waiting", next: "end"),
                FlowActionTests.end,
            ].joined(separator: ",")
        )
        var contacts = [try FlowActionTests.run(toAgent, harness: &harness)]
        for _ in 0..<10 {
            contacts.append(try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId)
        }
        #expect(try contacts.prefix(10).allSatisfy { try harness.contact($0).queued?.queueId == "agent/agent-zed" })
        #expect(try FlowActionTests.systemMessages(harness, contacts[10]) == ["The agent has too many chats waiting"])
        #expect(try harness.replayMatches())
    }
}

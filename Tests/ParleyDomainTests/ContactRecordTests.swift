import Foundation
import ParleyDomain
import Testing

/// Folds a harness log into the contact-records projection the way the engine does (the machine state after each
/// event), and into a builder that drops completed records (as the metrics projections embed it), keeping the
/// changes each reports.
struct RecordFold {
    var state = ChatState()
    var projection = ContactRecordsProjection()
    var dropping = ContactRecordBuilder()
    var changes: [ContactRecordChange] = []
    var droppingChanges: [ContactRecordChange] = []
    var folded = 0

    /// Folds the events logged since the last call.
    mutating func catchUp(_ harness: ChatHarness) {
        for (timestamp, event) in harness.log[folded...] {
            ChatMachine.apply(event, at: timestamp, to: &state)
            changes += projection.applyReportingChanges(event, at: timestamp, state: state)
            droppingChanges += dropping.apply(event, at: timestamp, state: state)
        }
        folded = harness.log.count
    }

    /// The record of `contactId`, which must exist.
    func record(_ contactId: Identifier) throws -> ContactTraceRecord {
        try #require(projection.record(contactId))
    }
}

/// Contact trace records: golden scenarios through the machine with every expected value worked out by hand from
/// the scenario's clock, replay, snapshots and the JSON view.
@Suite struct ContactRecordTests {
    static let instance = ChatHarness.instanceId
    static let t0 = instant("2026-11-21T10:00:00Z")
    static let greeting = "Thanks for contacting us. An agent will be with you shortly."
    static let disconnectPrompt = "The agent has left the chat. Write within 15 minutes to continue."

    /// `t0` plus whole seconds.
    static func at(_ seconds: Int64) -> Int64 { t0 + seconds * Duration.second }

    /// A timestamp as the JSON view writes it (events are stamped a few µs after their command's clock time, which
    /// the millisecond rendering drops).
    static func iso(_ micros: Int64?) -> String? { micros.map(ISOTime.format) }

    /// The sample flows (queue "support"), queues harness-queue ("Harness") and "billing" ("Billing"); routing
    /// profiles "front" (harness-queue and support) and "back" (billing); users sam (front, accepts offers by hand,
    /// ACW limit `samACW` s, 0 = until cleared) and bea (back, auto-accept, ACW until cleared); an Available status.
    /// Nobody is available yet.
    /// Starts a chat at `t0` (with `request`, or the harness's default one) and connects its customer a second later;
    /// returns the chat and the customer's connection token.
    static func startConnected(
        _ harness: inout ChatHarness,
        _ request: StartChatContactRequest? = nil
    ) throws -> (chat: StartChatContactResponse, customer: String) {
        harness.now = t0
        let chat = try request.map { try harness.startChat($0) } ?? harness.startChat()
        harness.now = at(1)
        return (chat, try #require(try harness.connect(chat.participantToken).connectionToken))
    }

    static func setUp(samACW: Int64 = 0) throws -> ChatHarness {
        var harness = ChatHarness()
        for command in SampleFlows.setup(instanceId: instance) { _ = try harness.must(command) }
        _ = try harness.must(.createQueue(instanceId: instance, queueId: "billing", name: "Billing", maxContacts: 0))
        let profiles: [(String, String, [String])] = [
            ("front", "Front", [ChatHarness.queueId, SampleFlows.queueId]), ("back", "Back", ["billing"]),
        ]
        for (id, name, queues) in profiles {
            _ = try harness.must(
                .createRoutingProfile(
                    instanceId: instance,
                    routingProfileId: id,
                    name: name,
                    chatConcurrency: 2,
                    routeAnyChannel: false,
                    queueConfigs: queues.map { RoutingQueueConfig(queueId: $0, priority: 1, delaySeconds: 0) },
                    defaultOutboundQueueId: queues[0]
                )
            )
        }
        let users: [(String, String, String, Bool, Int64)] = [
            ("sam", "Sam", "front", false, samACW), ("bea", "Bea", "back", true, 0),
        ]
        for (id, username, profile, autoAccept, acw) in users {
            _ = try harness.must(
                .createUser(
                    instanceId: instance,
                    userId: id,
                    username: username,
                    routingProfileId: profile,
                    autoAccept: autoAccept,
                    afterContactWorkSeconds: acw
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
        return harness
    }

    static func available(_ user: String, _ harness: inout ChatHarness) throws {
        _ = try harness.must(.setAgentStatus(instanceId: instance, userId: user, statusId: "available"))
    }

    /// The agent accepts the offered contact and connects; returns its participant id and connection token.
    static func accept(
        _ user: String,
        _ contactId: Identifier,
        _ harness: inout ChatHarness
    ) throws -> (Identifier, String) {
        guard
            case .participantJoined(let id, let token) = try harness.must(
                .acceptContact(userId: user, contactId: contactId.description)
            )
        else { throw HarnessError("no join") }
        harness.advance(Duration.second)
        return (id, try #require(try harness.connect(token).connectionToken))
    }

    /// The contact-records projection rebuilt from the log through the binary codec.
    static func replayed(_ harness: ChatHarness) throws -> ContactRecordsProjection {
        var state = ChatState()
        var projection = ContactRecordsProjection()
        for (timestamp, event) in harness.log {
            let (tag, payload) = event.encoded()
            guard let decoded = try ChatEventCatalogue.decode(tag: tag, payload: payload) else {
                throw HarnessError("tag \(tag) did not decode")
            }
            ChatMachine.apply(decoded, at: timestamp, to: &state)
            projection.apply(decoded, at: timestamp, state: state)
        }
        return projection
    }

    /// The records each change carries, as (kind, contact id).
    static func kinds(_ changes: [ContactRecordChange]) -> [String] {
        changes.map { change in
            switch change.kind {
            case .completed: "completed \(change.record.contactId)"
            case .updated: "updated \(change.record.contactId)"
            }
        }
    }

    // MARK: - (a) The seed scenario: agent leaves, disconnect flow, the customer returns to the same agent

    @Test func seedScenarioAgentLeavesAndTheCustomerReturnsToTheSameAgent() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        harness.now = Self.t0
        let initial = "Hi, my order is late"
        let chat = try harness.startChat(
            ChatHarness.request {
                $0.contactFlowId = SampleFlows.inboundId
                $0.attributes = ["customerTier": "gold"]
                $0.customerId = "cust-42"
                $0.initialMessage = .init(contentType: ContentTypes.plainText, content: initial)
            }
        )
        let c1 = chat.contactId
        harness.now = Self.at(2)
        let customer = try #require(try harness.connect(chat.participantToken).connectionToken)
        harness.now = Self.at(10)
        let (sam1, samToken) = try Self.accept("sam", c1, &harness)
        let messages: [(Int64, Bool, String)] = [
            (20, false, "Hello, this is Sam"), (50, true, "My order 123 is late"), (80, false, "Let me check"),
            (90, false, "It ships tomorrow"),
        ]
        for (second, fromCustomer, text) in messages {
            harness.now = Self.at(second)
            try harness.send(fromCustomer ? customer : samToken, text)
        }
        harness.now = Self.at(120)
        _ = try harness.must(.disconnectParticipant(connectionToken: samToken, clientToken: nil))
        let c2 = try harness.chat(c1).currentContactId
        fold.catchUp(harness)
        #expect(c2 != c1)
        #expect(try fold.record(c1).completed == false, "after-contact work is still going")
        #expect(try fold.record(c1).disconnectTimestamp != nil)
        #expect(fold.changes.isEmpty)

        harness.now = Self.at(150)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: c1.description))
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(c1)"])

        // The customer returns; the disconnect flow queues the chat for the previous agent.
        harness.now = Self.at(300)
        try harness.send(customer, "Hi again")
        #expect(try harness.contact(c2).queued?.queueId == "agent/sam")
        fold.catchUp(harness)
        let midway = fold.projection
        harness.now = Self.at(305)
        let (sam2, samToken2) = try Self.accept("sam", c2, &harness)
        harness.now = Self.at(310)
        try harness.send(samToken2, "Welcome back")
        harness.now = Self.at(400)
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        harness.now = Self.at(460)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: c2.description))
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(c1)", "completed \(c2)"])

        // c1: the API segment with sam.
        let first = try fold.record(c1)
        #expect(first.initialContactId == c1)
        #expect(first.previousContactId == nil)
        #expect(first.nextContactId == c2)
        #expect(first.relatedContactId == nil)
        #expect(first.instanceId == Self.instance)
        #expect(first.channel == "CHAT")
        #expect(first.initiationMethod == .api)
        #expect(Self.iso(first.initiationTimestamp) == "2026-11-21T10:00:00.000Z")
        #expect(Self.iso(first.connectedToSystemTimestamp) == "2026-11-21T10:00:02.000Z")
        #expect(Self.iso(first.disconnectTimestamp) == "2026-11-21T10:02:00.000Z")
        #expect(Self.iso(first.lastUpdateTimestamp) == "2026-11-21T10:02:30.000Z")
        #expect(first.disconnectReason == .agentDisconnect)
        #expect(first.agentConnectionAttempts == 1)
        #expect(first.attributes == ["customerTier": "gold"])
        #expect(first.customerId == "cust-42")
        #expect(first.transferCompletedTimestamp == nil)
        #expect(first.queuePriority == 5)
        #expect(first.queueTimeAdjustmentSeconds == 0)
        #expect(first.completed)
        let agent1 = try #require(first.agent)
        #expect(agent1.userId == "sam")
        #expect(agent1.username == "Sam")
        #expect(agent1.routingProfileId == "front")
        #expect(agent1.routingProfileName == "Front")
        #expect(Self.iso(agent1.connectedToAgentTimestamp) == "2026-11-21T10:00:10.000Z")
        #expect(agent1.agentInteractionDuration == 110)
        #expect(Self.iso(agent1.afterContactWorkStartTimestamp) == "2026-11-21T10:02:00.000Z")
        #expect(Self.iso(agent1.afterContactWorkEndTimestamp) == "2026-11-21T10:02:30.000Z")
        #expect(agent1.afterContactWorkDuration == 30)
        let queue1 = try #require(first.queue)
        #expect(queue1.queueId == SampleFlows.queueId)
        #expect(queue1.name == "Support")
        #expect(Self.iso(queue1.enqueueTimestamp) == "2026-11-21T10:00:00.000Z")
        #expect(Self.iso(queue1.dequeueTimestamp) == "2026-11-21T10:00:10.000Z")
        #expect(queue1.duration == 10)
        // Messages: C(0) S(0, greeting) A(20) C(50) A(80) A(90); turns C→S, A→C, C→A.
        let metrics1 = first.chatMetrics
        #expect(metrics1.multiParty == false)
        #expect(metrics1.totalMessages == 6)
        #expect(metrics1.totalBotMessages == 1)
        #expect(metrics1.totalBotMessageLengthInChars == Int64(Self.greeting.count))
        #expect(metrics1.conversationCloseTimeInMillis == 70_000, "last customer message 10:00:50, end 10:02:00")
        #expect(metrics1.conversationTurnCount == 3)
        #expect(Self.iso(metrics1.agentFirstResponseTimestamp) == "2026-11-21T10:00:20.000Z")
        #expect(metrics1.agentFirstResponseTimeInMillis == 10_000, "connected 10:00:10, first message 10:00:20")
        let samMetrics = try #require(metrics1.agentMetrics)
        #expect(samMetrics.participantId == sam1)
        #expect(samMetrics.participantType == .agent)
        #expect(samMetrics.messagesSent == 3)
        #expect(
            samMetrics.messageLengthInChars
                == Int64("Hello, this is Sam".count + "Let me check".count + "It ships tomorrow".count)
        )
        // 10:00:20 answers the initial message (clock from the connection at 10:00:10): 10 s; 10:01:20 answers
        // 10:00:50: 30 s; 10:01:30 answers nothing new.
        #expect(samMetrics.numResponses == 2)
        #expect(samMetrics.totalResponseTimeInMillis == 40_000)
        #expect(samMetrics.maxResponseTimeInMillis == 30_000)
        #expect(Self.iso(samMetrics.lastMessageTimestamp) == "2026-11-21T10:01:30.000Z")
        #expect(samMetrics.conversationAbandon == false)
        let customer1 = try #require(metrics1.customerMetrics)
        #expect(customer1.participantId == chat.participantId)
        #expect(customer1.participantType == .customer)
        #expect(customer1.messagesSent == 2)
        #expect(customer1.messageLengthInChars == Int64(initial.count + "My order 123 is late".count))
        // The initial message answers nothing; 10:00:50 answers the greeting (10:00:00): 50 s.
        #expect(customer1.numResponses == 1)
        #expect(customer1.totalResponseTimeInMillis == 50_000)
        #expect(customer1.maxResponseTimeInMillis == 50_000)
        #expect(Self.iso(customer1.lastMessageTimestamp) == "2026-11-21T10:00:50.000Z")
        #expect(customer1.conversationAbandon == false)

        // c2: the disconnect-flow segment, queued for sam (agent queue) and taken by him again.
        let second = try fold.record(c2)
        #expect(second.initialContactId == c1)
        #expect(second.previousContactId == c1)
        #expect(second.nextContactId == nil)
        #expect(second.initiationMethod == .disconnect)
        #expect(Self.iso(second.initiationTimestamp) == "2026-11-21T10:02:00.000Z")
        #expect(second.connectedToSystemTimestamp == nil)
        #expect(Self.iso(second.disconnectTimestamp) == "2026-11-21T10:06:40.000Z")
        #expect(Self.iso(second.lastUpdateTimestamp) == "2026-11-21T10:07:40.000Z")
        #expect(second.disconnectReason == .customerDisconnect)
        #expect(second.agentConnectionAttempts == 1)
        #expect(second.attributes == ["customerTier": "gold"])
        #expect(second.customerId == "cust-42")
        #expect(second.completed)
        let agent2 = try #require(second.agent)
        #expect(agent2.userId == "sam")
        #expect(Self.iso(agent2.connectedToAgentTimestamp) == "2026-11-21T10:05:05.000Z")
        #expect(agent2.agentInteractionDuration == 95)
        #expect(Self.iso(agent2.afterContactWorkStartTimestamp) == "2026-11-21T10:06:40.000Z")
        #expect(Self.iso(agent2.afterContactWorkEndTimestamp) == "2026-11-21T10:07:40.000Z")
        #expect(agent2.afterContactWorkDuration == 60)
        let queue2 = try #require(second.queue)
        #expect(queue2.queueId == "agent/sam")
        #expect(queue2.name == "")
        #expect(Self.iso(queue2.enqueueTimestamp) == "2026-11-21T10:05:00.000Z")
        #expect(Self.iso(queue2.dequeueTimestamp) == "2026-11-21T10:05:05.000Z")
        #expect(queue2.duration == 5)
        // Messages: S(120, prompt) C(300) A(310).
        let metrics2 = second.chatMetrics
        #expect(metrics2.totalMessages == 3)
        #expect(metrics2.totalBotMessages == 1)
        #expect(metrics2.totalBotMessageLengthInChars == Int64(Self.disconnectPrompt.count))
        #expect(metrics2.conversationTurnCount == 2)
        #expect(metrics2.conversationCloseTimeInMillis == 100_000)
        #expect(Self.iso(metrics2.agentFirstResponseTimestamp) == "2026-11-21T10:05:10.000Z")
        #expect(metrics2.agentFirstResponseTimeInMillis == 5_000)
        let samMetrics2 = try #require(metrics2.agentMetrics)
        #expect(samMetrics2.participantId == sam2)
        #expect(sam2 != sam1, "a new agent participant")
        #expect(samMetrics2.messagesSent == 1)
        #expect(samMetrics2.numResponses == 1)
        #expect(samMetrics2.totalResponseTimeInMillis == 5_000, "from 10:05:05 (connected after the message)")
        let customer2 = try #require(metrics2.customerMetrics)
        #expect(customer2.participantId == chat.participantId)
        #expect(customer2.messagesSent == 1)
        #expect(customer2.numResponses == 1)
        #expect(customer2.totalResponseTimeInMillis == 180_000, "the prompt at 10:02:00, the answer at 10:05:00")
        #expect(customer2.conversationAbandon == false)

        // Queries, replay and the builder that drops completed records.
        #expect(fold.projection.chain(ofChat: c1).map(\.contactId) == [c1, c2])
        #expect(fold.projection.chain(containing: c2).map(\.contactId) == [c1, c2])
        #expect(fold.projection.records(from: Self.at(0), to: Self.at(121)).map(\.contactId) == [c1])
        #expect(fold.projection.records(from: Self.at(121), to: Self.at(500)).map(\.contactId) == [c2])
        #expect(
            fold.projection.records(from: Self.at(150), to: Self.at(461), by: .lastUpdate).map(\.contactId)
                == [c1, c2]
        )
        #expect(midway.records(from: Self.at(0), to: Self.at(1000), completedOnly: false).count == 1)
        #expect(try Self.replayed(harness).stateHash() == fold.projection.stateHash())
        #expect(try Self.replayed(harness) == fold.projection)
        #expect(fold.droppingChanges == fold.changes)
        #expect(fold.dropping.records.isEmpty)
        #expect(fold.dropping.chains.isEmpty)

        // An attribute update after completion re-emits the record with a later LastUpdateTimestamp.
        harness.now = Self.at(600)
        _ = try harness.must(
            .updateContactAttributes(
                instanceId: Self.instance,
                initialContactId: c1.description,
                attributes: ["survey": "5"]
            )
        )
        fold.catchUp(harness)
        guard let last = fold.changes.last, last.kind == .updated, fold.changes.count == 3 else {
            throw HarnessError("no re-emission: \(Self.kinds(fold.changes))")
        }
        let updated = last.record
        #expect(updated.contactId == c1)
        #expect(updated.attributes == ["customerTier": "gold", "survey": "5"])
        #expect(Self.iso(updated.lastUpdateTimestamp) == "2026-11-21T10:10:00.000Z")
        #expect(updated.completed)
        #expect(fold.droppingChanges.count == 2, "a dropped record is not re-emitted")
        #expect(try Self.replayed(harness) == fold.projection)
    }

    // MARK: - (b) Transfer to another queue

    @Test func transferToAnotherQueueMakesATransferSegment() throws {
        var harness = try Self.setUp(samACW: 30)
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        harness.now = Self.t0
        let chat = try harness.startChat()
        let c1 = chat.contactId
        harness.now = Self.at(1)
        let customer = try #require(try harness.connect(chat.participantToken).connectionToken)
        harness.now = Self.at(5)
        try harness.send(customer, "I have a billing question")
        harness.now = Self.at(8)
        let (_, samToken) = try Self.accept("sam", c1, &harness)
        harness.now = Self.at(10)
        try harness.send(samToken, "Let me transfer you to billing")
        harness.now = Self.at(12)
        _ = try harness.must(
            .agentTransfer(userId: "sam", contactId: c1.description, queueId: "billing", agentId: nil, flowId: nil)
        )
        let c2 = try harness.chat(c1).currentContactId
        #expect(try harness.contact(c2).queued?.queueId == "billing")
        harness.now = Self.at(30)
        try Self.available("bea", &harness)  // auto-accept: bea joins at once
        let bea = try #require(try harness.chat(c1).presentParticipants.first { $0.role == .agent })
        harness.now = Self.at(31)
        let beaToken = try #require(try harness.connect(bea.participantToken).connectionToken)
        harness.now = Self.at(35)
        try harness.send(beaToken, "Billing here, how can I help?")
        harness.now = Self.at(42)
        #expect(harness.fireTimers() == 1, "sam's 30 s after-contact work ends")
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(c1)"])
        harness.now = Self.at(60)
        try harness.send(customer, "Thanks, all sorted")
        harness.now = Self.at(65)
        try harness.send(beaToken, "You're welcome")
        harness.now = Self.at(70)
        _ = try harness.must(.disconnectParticipant(connectionToken: beaToken, clientToken: nil))
        harness.now = Self.at(90)
        _ = try harness.must(.clearAfterContactWork(userId: "bea", contactId: c2.description))
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(c1)", "completed \(c2)"])

        let first = try fold.record(c1)
        #expect(first.initiationMethod == .api)
        #expect(first.nextContactId == c2)
        #expect(Self.iso(first.disconnectTimestamp) == "2026-11-21T10:00:12.000Z")
        #expect(first.disconnectReason == .other, "Parley records a transferred segment's end as OTHER")
        #expect(Self.iso(first.transferCompletedTimestamp) == "2026-11-21T10:00:12.000Z")
        #expect(Self.iso(first.lastUpdateTimestamp) == "2026-11-21T10:00:42.000Z")
        #expect(first.agentConnectionAttempts == 1)
        let sam = try #require(first.agent)
        #expect(sam.userId == "sam")
        #expect(sam.routingProfileName == "Front")
        #expect(Self.iso(sam.connectedToAgentTimestamp) == "2026-11-21T10:00:08.000Z")
        #expect(sam.agentInteractionDuration == 4)
        #expect(Self.iso(sam.afterContactWorkStartTimestamp) == "2026-11-21T10:00:12.000Z")
        #expect(Self.iso(sam.afterContactWorkEndTimestamp) == "2026-11-21T10:00:42.000Z")
        #expect(sam.afterContactWorkDuration == 30)
        #expect(first.queue?.queueId == ChatHarness.queueId)
        #expect(first.queue?.name == "Harness")
        #expect(Self.iso(first.queue?.dequeueTimestamp) == "2026-11-21T10:00:08.000Z")
        #expect(first.queue?.duration == 8)
        // Messages: C(5) A(10).
        #expect(first.chatMetrics.totalMessages == 2)
        #expect(first.chatMetrics.totalBotMessages == 0)
        #expect(first.chatMetrics.conversationTurnCount == 1)
        #expect(first.chatMetrics.conversationCloseTimeInMillis == 7_000)
        #expect(first.chatMetrics.agentFirstResponseTimeInMillis == 2_000)
        #expect(first.chatMetrics.agentMetrics?.numResponses == 1)
        #expect(first.chatMetrics.agentMetrics?.totalResponseTimeInMillis == 2_000, "10:00:10 − max(10:00:05, :08)")
        #expect(first.chatMetrics.agentMetrics?.conversationAbandon == false)
        #expect(first.chatMetrics.customerMetrics?.messagesSent == 1)
        #expect(first.chatMetrics.customerMetrics?.numResponses == 0, "the silent flow said nothing to answer")

        let second = try fold.record(c2)
        #expect(second.initiationMethod == .transfer)
        #expect(second.previousContactId == c1)
        #expect(second.initialContactId == c1)
        #expect(Self.iso(second.initiationTimestamp) == "2026-11-21T10:00:12.000Z")
        #expect(Self.iso(second.disconnectTimestamp) == "2026-11-21T10:01:10.000Z")
        #expect(second.disconnectReason == .agentDisconnect)
        #expect(second.transferCompletedTimestamp == nil)
        #expect(second.agentConnectionAttempts == 1)
        let beaSection = try #require(second.agent)
        #expect(beaSection.userId == "bea")
        #expect(beaSection.username == "Bea")
        #expect(beaSection.routingProfileId == "back")
        #expect(beaSection.routingProfileName == "Back")
        #expect(Self.iso(beaSection.connectedToAgentTimestamp) == "2026-11-21T10:00:30.000Z")
        #expect(beaSection.agentInteractionDuration == 40)
        #expect(beaSection.afterContactWorkDuration == 20)
        #expect(second.queue?.queueId == "billing")
        #expect(second.queue?.name == "Billing")
        #expect(Self.iso(second.queue?.enqueueTimestamp) == "2026-11-21T10:00:12.000Z")
        #expect(Self.iso(second.queue?.dequeueTimestamp) == "2026-11-21T10:00:30.000Z")
        #expect(second.queue?.duration == 18)
        // Messages: A(35) C(60) A(65).
        let metrics = second.chatMetrics
        #expect(metrics.totalMessages == 3)
        #expect(metrics.conversationTurnCount == 2)
        #expect(metrics.conversationCloseTimeInMillis == 10_000)
        #expect(Self.iso(metrics.agentFirstResponseTimestamp) == "2026-11-21T10:00:35.000Z")
        #expect(metrics.agentFirstResponseTimeInMillis == 5_000)
        #expect(metrics.agentMetrics?.messagesSent == 2)
        #expect(metrics.agentMetrics?.numResponses == 1)
        #expect(metrics.agentMetrics?.maxResponseTimeInMillis == 5_000)
        #expect(metrics.agentMetrics?.conversationAbandon == false)
        #expect(metrics.customerMetrics?.numResponses == 1)
        #expect(metrics.customerMetrics?.totalResponseTimeInMillis == 25_000)
        #expect(metrics.customerMetrics?.conversationAbandon == false)
        #expect(try Self.replayed(harness) == fold.projection)
        #expect(fold.droppingChanges == fold.changes)
    }

    // MARK: - (c) Abandoned in queue

    @Test func customerAbandonsInQueue() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        let initial = "Hello? Anyone there?"
        let (chat, customer) = try Self.startConnected(
            &harness,
            ChatHarness.request { $0.initialMessage = .init(contentType: ContentTypes.plainText, content: initial) }
        )
        harness.now = Self.at(20)
        #expect(harness.fireTimers() == 1, "sam misses the offer")
        harness.now = Self.at(45)
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(chat.contactId)"])

        let record = try fold.record(chat.contactId)
        #expect(record.disconnectReason == .customerDisconnect)
        #expect(Self.iso(record.disconnectTimestamp) == "2026-11-21T10:00:45.000Z")
        #expect(Self.iso(record.lastUpdateTimestamp) == "2026-11-21T10:00:45.000Z")
        #expect(record.nextContactId == nil)
        #expect(record.agentConnectionAttempts == 1, "the missed offer")
        #expect(record.agent == nil)
        let queue = try #require(record.queue)
        #expect(queue.queueId == ChatHarness.queueId)
        #expect(Self.iso(queue.enqueueTimestamp) == "2026-11-21T10:00:00.000Z")
        #expect(Self.iso(queue.dequeueTimestamp) == "2026-11-21T10:00:45.000Z")
        #expect(queue.duration == 45)
        #expect(record.chatMetrics.totalMessages == 1)
        #expect(record.chatMetrics.conversationTurnCount == 0)
        #expect(record.chatMetrics.conversationCloseTimeInMillis == 45_000)
        #expect(record.chatMetrics.agentFirstResponseTimestamp == nil)
        #expect(record.chatMetrics.agentMetrics == nil)
        let customerMetrics = try #require(record.chatMetrics.customerMetrics)
        #expect(customerMetrics.conversationAbandon)
        #expect(customerMetrics.messagesSent == 1)
        #expect(customerMetrics.messageLengthInChars == Int64(initial.count))
        #expect(customerMetrics.numResponses == 0)

        let json = try Self.object(record.jsonLine())
        #expect(json["Agent"] is NSNull)
        #expect(json["NextContactId"] is NSNull)
        #expect(json["DisconnectReason"] as? String == "CUSTOMER_DISCONNECT")
        let queueJSON = try #require(json["Queue"] as? [String: Any])
        #expect(queueJSON["Duration"] as? Int == 45)
        let chatMetrics = try #require(json["ChatMetrics"] as? [String: Any])
        #expect(chatMetrics["AgentMetrics"] is NSNull)
        let customerJSON = try #require(chatMetrics["CustomerMetrics"] as? [String: Any])
        #expect(customerJSON["ConversationAbandon"] as? Bool == true)
        #expect(try Self.replayed(harness) == fold.projection)
        #expect(fold.droppingChanges == fold.changes)
    }

    // MARK: - (d) Bots

    static let botFlow = """
        {"Version": "2019-10-30", "StartAction": "bot", "Metadata": {}, "Actions": [
          {"Identifier": "bot", "Type": "ConnectParticipantWithLexBot",
           "Parameters": {"Text": "How can I help?",
                          "LexV2Bot": {"AliasArn": "arn:aws:lex:eu-west-1:111122223333:bot-alias/helper-bot/ALIAS"}},
           "Transitions": {"NextAction": "bye",
                           "Conditions": [{"NextAction": "bye", "Condition": {"Operator": "Equals", "Operands": ["CheckOrder"]}}],
                           "Errors": [{"ErrorType": "InputTimeLimitExceeded", "NextAction": "bye"},
                                      {"ErrorType": "NoMatchingCondition", "NextAction": "bye"},
                                      {"ErrorType": "NoMatchingError", "NextAction": "bye"}]}},
          {"Identifier": "bye", "Type": "MessageParticipant", "Parameters": {"Text": "It ships tomorrow. Goodbye!"},
           "Transitions": {"NextAction": "end", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ]}
        """

    @Test func aBotOnlyChatCountsBotMessages() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        let definition = BotDefinition(
            intents: [
                BotIntent(
                    name: "CheckOrder",
                    utterances: ["where is my order", "track my order"],
                    keywords: ["order"],
                    reply: "Let me check that order."
                )
            ],
            fallbackReply: "Sorry?"
        )
        _ = try harness.must(
            .createBot(instanceId: Self.instance, botId: "helper-bot", name: "Helper", definition: definition)
        )
        _ = try harness.must(
            .createContactFlow(
                instanceId: Self.instance,
                flowId: "bot-flow",
                name: "Bot flow",
                type: "CONTACT_FLOW",
                description: "",
                content: Self.botFlow
            )
        )
        let (chat, customer) = try Self.startConnected(&harness, ChatHarness.request { $0.contactFlowId = "bot-flow" })
        harness.now = Self.at(10)
        try harness.send(customer, "Where is my order?")
        #expect(try harness.chat(chat.contactId).status == .ended)
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(chat.contactId)"])

        let record = try fold.record(chat.contactId)
        #expect(record.disconnectReason == .contactFlowDisconnect)
        #expect(Self.iso(record.disconnectTimestamp) == "2026-11-21T10:00:10.000Z")
        #expect(record.agent == nil)
        #expect(record.queue == nil)
        #expect(record.queuePriority == nil)
        #expect(record.agentConnectionAttempts == 0)
        // Messages: S(0, the bot's prompt) C(10) S(10, the bot's reply) S(10, the flow's goodbye).
        let metrics = record.chatMetrics
        #expect(metrics.totalMessages == 4)
        #expect(metrics.totalBotMessages == 3)
        #expect(
            metrics.totalBotMessageLengthInChars
                == Int64(
                    "How can I help?".count + "Let me check that order.".count + "It ships tomorrow. Goodbye!".count
                )
        )
        #expect(metrics.conversationTurnCount == 2)
        #expect(metrics.conversationCloseTimeInMillis == 0, "the flow ended the chat on the customer's message")
        #expect(metrics.agentMetrics == nil)
        #expect(metrics.agentFirstResponseTimestamp == nil)
        #expect(metrics.customerMetrics?.numResponses == 1)
        #expect(metrics.customerMetrics?.totalResponseTimeInMillis == 10_000)
        #expect(metrics.customerMetrics?.conversationAbandon == false)
        #expect(try Self.replayed(harness) == fold.projection)
    }

    @Test func aCustomBotsMessagesAreBotMessages() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        let (chat, customer) = try Self.startConnected(&harness)
        harness.now = Self.at(5)
        let (_, botParticipantToken) = try harness.joinBot(chat.contactId, name: "Helper")
        harness.now = Self.at(6)
        let bot = try #require(try harness.connect(botParticipantToken).connectionToken)
        harness.now = Self.at(10)
        try harness.send(bot, "Hi, I am a custom bot")
        harness.now = Self.at(20)
        try harness.send(customer, "Hello bot")
        // JSON messages are not chat messages here.
        harness.now = Self.at(25)
        _ = try harness.must(
            .sendSystemMessage(
                contactId: chat.contactId.description,
                displayName: "SYSTEM_MESSAGE",
                contentType: ContentTypes.json,
                content: "{}"
            )
        )
        harness.now = Self.at(30)
        _ = try harness.must(.stopContact(instanceId: Self.instance, contactId: chat.contactId.description))
        fold.catchUp(harness)
        let record = try fold.record(chat.contactId)
        #expect(record.completed)
        #expect(record.disconnectReason == .api)
        #expect(record.chatMetrics.totalMessages == 2)
        #expect(record.chatMetrics.totalBotMessages == 1)
        #expect(record.chatMetrics.totalBotMessageLengthInChars == Int64("Hi, I am a custom bot".count))
        #expect(record.chatMetrics.conversationTurnCount == 1)
        #expect(record.chatMetrics.agentMetrics == nil)
        #expect(record.chatMetrics.customerMetrics?.totalResponseTimeInMillis == 10_000)
        #expect(record.queue?.duration == 30, "still queued when the contact was stopped")
    }

    @Test func anAgentWithoutRoutingIsNamedByItsParticipantAndLengthsCountCharacters() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        let (chat, customer) = try Self.startConnected(&harness)
        harness.now = Self.at(5)
        let (agentId, agent) = try harness.joinAgent(chat.contactId, name: "Zoë Agent")
        // Characters, not UTF-8 bytes or scalars: an accent, a flag of two scalars, a CR LF pair.
        let greeting = "Bonjour, ça va ? 🇫🇷"
        let answer = "Très bien\r\nmerci"
        #expect(greeting.utf8.count != greeting.count && answer.utf8.count != answer.count)
        harness.now = Self.at(10)
        try harness.send(agent, greeting)
        harness.now = Self.at(20)
        try harness.send(customer, answer)
        harness.now = Self.at(30)
        _ = try harness.must(.stopContact(instanceId: Self.instance, contactId: chat.contactId.description))
        fold.catchUp(harness)
        let record = try fold.record(chat.contactId)
        #expect(record.agent?.username == "Zoë Agent")
        #expect(record.chatMetrics.totalMessages == 2)
        #expect(record.chatMetrics.conversationTurnCount == 1)
        let agentMetrics = try #require(record.chatMetrics.agentMetrics)
        #expect(agentMetrics.participantId == agentId)
        #expect(agentMetrics.messagesSent == 1)
        #expect(agentMetrics.messageLengthInChars == Int64(greeting.count))
        let customerMetrics = try #require(record.chatMetrics.customerMetrics)
        #expect(customerMetrics.messagesSent == 1)
        #expect(customerMetrics.messageLengthInChars == Int64(answer.count))
        #expect(customerMetrics.totalResponseTimeInMillis == 10_000)
    }

    // MARK: - (e) Expiry

    @Test func theDurationCeilingExpiresTheChat() throws {
        var harness = try Self.setUp(samACW: 120)
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        harness.now = Self.t0
        let chat = try harness.startChat(ChatHarness.request { $0.chatDurationInMinutes = 60 })
        let c1 = chat.contactId
        harness.now = Self.at(1)
        let customer = try #require(try harness.connect(chat.participantToken).connectionToken)
        harness.now = Self.at(10)
        let (_, samToken) = try Self.accept("sam", c1, &harness)
        harness.now = Self.at(20)
        try harness.send(customer, "Are you still there?")
        harness.now = Self.at(30)
        try harness.send(samToken, "Yes, checking")
        // The scheduler fires the ceiling five minutes late: the contact still ends at the ceiling.
        harness.now = Self.at(3_900)
        #expect(harness.fireTimers() == 1)
        fold.catchUp(harness)
        #expect(fold.changes.isEmpty, "sam's after-contact work is still going")
        let open = try fold.record(c1)
        #expect(open.disconnectReason == .expired)
        #expect(Self.iso(open.disconnectTimestamp) == "2026-11-21T11:00:00.000Z")
        #expect(Self.iso(open.lastUpdateTimestamp) == "2026-11-21T11:05:00.000Z")
        #expect(fold.projection.records(from: Self.t0, to: Self.at(3_601)).isEmpty)
        #expect(fold.projection.records(from: Self.t0, to: Self.at(3_601), completedOnly: false).count == 1)
        harness.now = Self.at(4_020)
        #expect(harness.fireTimers() == 1, "the 120 s after-contact work limit")
        fold.catchUp(harness)
        #expect(Self.kinds(fold.changes) == ["completed \(c1)"])

        let record = try fold.record(c1)
        #expect(Self.iso(record.lastUpdateTimestamp) == "2026-11-21T11:07:00.000Z")
        let agent = try #require(record.agent)
        #expect(Self.iso(agent.connectedToAgentTimestamp) == "2026-11-21T10:00:10.000Z")
        #expect(agent.agentInteractionDuration == 3_590, "until the ceiling, not the late firing")
        #expect(Self.iso(agent.afterContactWorkStartTimestamp) == "2026-11-21T11:05:00.000Z")
        #expect(Self.iso(agent.afterContactWorkEndTimestamp) == "2026-11-21T11:07:00.000Z")
        #expect(agent.afterContactWorkDuration == 120)
        #expect(record.queue?.duration == 10)
        #expect(record.chatMetrics.conversationCloseTimeInMillis == 3_580_000)
        #expect(record.chatMetrics.agentFirstResponseTimeInMillis == 20_000)
        #expect(record.chatMetrics.agentMetrics?.totalResponseTimeInMillis == 10_000)
        #expect(record.chatMetrics.agentMetrics?.conversationAbandon == false)
        #expect(record.chatMetrics.customerMetrics?.conversationAbandon == false)
        #expect(try Self.replayed(harness) == fold.projection)
        #expect(fold.droppingChanges == fold.changes)
    }

    // MARK: - Snapshots and JSON

    @Test func snapshotsRoundTripCanonically() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        let (chat, customer) = try Self.startConnected(
            &harness,
            ChatHarness.request {
                $0.contactFlowId = SampleFlows.inboundId
                $0.attributes = ["b": "2", "a": "1"]
                $0.initialMessage = .init(contentType: ContentTypes.plainText, content: "Hi")
            }
        )
        harness.now = Self.at(5)
        let (_, sam) = try Self.accept("sam", chat.contactId, &harness)
        harness.now = Self.at(9)
        try harness.send(sam, "Hello")
        harness.now = Self.at(12)
        _ = try harness.must(.disconnectParticipant(connectionToken: sam, clientToken: nil))
        harness.now = Self.at(13)
        try harness.send(customer, "Still there?")
        fold.catchUp(harness)
        // Mid-chat: one record completed-pending (ACW), one open with a queue and progress.
        for builder in [fold.projection.builder, fold.dropping] {
            let bytes = builder.snapshotBytes()
            let decoded = try ContactRecordBuilder(snapshotBytes: bytes)
            #expect(decoded == builder)
            #expect(decoded.snapshotBytes() == bytes)
        }
        let projection = try ContactRecordsProjection(snapshotBytes: fold.projection.snapshotBytes())
        #expect(projection == fold.projection)
        #expect(projection.stateHash() == fold.projection.stateHash())
        for record in fold.projection.records.values {
            #expect(try ContactTraceRecord(snapshotBytes: record.snapshotBytes()) == record)
            for change in [ContactRecordChange.completed(record), .updated(record)] {
                #expect(try ContactRecordChange(snapshotBytes: change.snapshotBytes()) == change)
                #expect(change.record == record)
            }
            #expect(ContactRecordChange.completed(record).isCompletion)
            #expect(!ContactRecordChange.updated(record).isCompletion)
        }
        // Folding on from the decoded snapshot gives what folding on live gives.
        var resumed = projection
        var state = fold.state
        harness.now = Self.at(20)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: chat.contactId.description))
        for (timestamp, event) in harness.log[fold.folded...] {
            ChatMachine.apply(event, at: timestamp, to: &state)
            resumed.apply(event, at: timestamp, state: state)
        }
        fold.catchUp(harness)
        #expect(resumed == fold.projection)
        #expect(throws: DecodeError.self) { try ContactRecordBuilder(snapshotBytes: [1, 1]) }
        #expect(throws: DecodeError.self) { try ContactRecordChange(snapshotBytes: [9]) }
        #expect(ContactRecordsProjection.key == "contact-records@3")
        // contact-records@2 stored one builder that kept completed records, its flag (the first byte) set: such bytes
        // are refused, not read as the open records.
        var bytes = fold.projection.snapshotBytes()
        #expect(bytes.first == 0)
        bytes[0] = 1
        #expect(throws: DecodeError.self) { try ContactRecordsProjection(snapshotBytes: bytes) }
        #expect(throws: DecodeError.self) { try ContactRecordBuilder(snapshotBytes: bytes) }
    }

    static func object(_ line: String) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test func jsonLineHasAmazonsShape() throws {
        var harness = try Self.setUp()
        var fold = RecordFold()
        harness.now = Self.at(-60)
        try Self.available("sam", &harness)
        let (chat, customer) = try Self.startConnected(
            &harness,
            ChatHarness.request {
                $0.attributes = ["tier": "gold"]
                $0.customerId = "cust-1"
            }
        )
        harness.now = Self.at(4)
        try harness.send(customer, "Hi")
        harness.now = Self.at(7)
        let (_, sam) = try Self.accept("sam", chat.contactId, &harness)
        harness.now = Self.at(9)
        try harness.send(sam, "Hello there")
        harness.now = Self.at(30)
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        harness.now = Self.at(35)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: chat.contactId.description))
        fold.catchUp(harness)
        let record = try fold.record(chat.contactId)
        let line = record.jsonLine()
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("{\"AWSAccountId\":\"000000000000\",\"AWSContactTraceRecordFormatVersion\""))
        let json = try Self.object(line)
        #expect(
            Set(json.keys) == [
                "AWSAccountId", "AWSContactTraceRecordFormatVersion", "Agent", "AgentConnectionAttempts", "Attributes",
                "Channel", "ChatMetrics", "ConnectedToSystemTimestamp", "ContactId", "CustomerEndpoint", "CustomerId",
                "DisconnectReason", "DisconnectTimestamp", "InitialContactId", "InitiationMethod",
                "InitiationTimestamp", "InstanceARN", "LastUpdateTimestamp", "MediaStreams", "NextContactId",
                "PreviousContactId", "Queue", "QueuePriority", "QueueTimeAdjustmentSeconds", "Recordings",
                "RelatedContactId", "SegmentAttributes", "SystemEndpoint", "Tags", "TransferCompletedTimestamp",
            ]
        )
        #expect(json["AWSContactTraceRecordFormatVersion"] as? String == "2017-03-10")
        #expect(json["InstanceARN"] as? String == "arn:aws:connect:local:000000000000:instance/\(Self.instance)")
        #expect(json["ContactId"] as? String == chat.contactId.description)
        #expect(json["InitialContactId"] as? String == chat.contactId.description)
        #expect(json["PreviousContactId"] is NSNull)
        #expect(json["Channel"] as? String == "CHAT")
        #expect(json["InitiationMethod"] as? String == "API")
        #expect(json["InitiationTimestamp"] as? String == "2026-11-21T10:00:00.000Z")
        #expect(json["ConnectedToSystemTimestamp"] as? String == "2026-11-21T10:00:01.000Z")
        #expect(json["DisconnectTimestamp"] as? String == "2026-11-21T10:00:30.000Z")
        #expect(json["LastUpdateTimestamp"] as? String == "2026-11-21T10:00:35.000Z")
        #expect(json["DisconnectReason"] as? String == "CUSTOMER_DISCONNECT")
        #expect(json["AgentConnectionAttempts"] as? Int == 1)
        #expect(json["Attributes"] as? [String: String] == ["tier": "gold"])
        #expect(json["CustomerId"] as? String == "cust-1")
        #expect(json["QueuePriority"] as? Int == 5)
        #expect(json["TransferCompletedTimestamp"] is NSNull)
        let agent = try #require(json["Agent"] as? [String: Any])
        #expect(
            Set(agent.keys) == [
                "ARN", "AfterContactWorkDuration", "AfterContactWorkEndTimestamp", "AfterContactWorkStartTimestamp",
                "AgentInteractionDuration", "ConnectedToAgentTimestamp", "CustomerHoldDuration", "HierarchyGroups",
                "LongestHoldDuration", "NumberOfHolds", "RoutingProfile", "Username",
            ]
        )
        #expect(agent["ARN"] as? String == "arn:aws:connect:local:000000000000:instance/\(Self.instance)/agent/sam")
        #expect(agent["Username"] as? String == "Sam")
        #expect(agent["ConnectedToAgentTimestamp"] as? String == "2026-11-21T10:00:07.000Z")
        #expect(agent["AgentInteractionDuration"] as? Int == 23)
        #expect(agent["AfterContactWorkStartTimestamp"] as? String == "2026-11-21T10:00:30.000Z")
        #expect(agent["AfterContactWorkEndTimestamp"] as? String == "2026-11-21T10:00:35.000Z")
        #expect(agent["AfterContactWorkDuration"] as? Int == 5)
        let profile = try #require(agent["RoutingProfile"] as? [String: Any])
        #expect(profile["Name"] as? String == "Front")
        #expect(
            profile["ARN"] as? String
                == "arn:aws:connect:local:000000000000:instance/\(Self.instance)/routing-profile/front"
        )
        let queue = try #require(json["Queue"] as? [String: Any])
        #expect(Set(queue.keys) == ["ARN", "DequeueTimestamp", "Duration", "EnqueueTimestamp", "Name"])
        #expect(
            queue["ARN"] as? String
                == "arn:aws:connect:local:000000000000:instance/\(Self.instance)/queue/\(ChatHarness.queueId)"
        )
        #expect(queue["Name"] as? String == "Harness")
        #expect(queue["EnqueueTimestamp"] as? String == "2026-11-21T10:00:00.000Z")
        #expect(queue["DequeueTimestamp"] as? String == "2026-11-21T10:00:07.000Z")
        #expect(queue["Duration"] as? Int == 7)
        let metrics = try #require(json["ChatMetrics"] as? [String: Any])
        #expect(Set(metrics.keys) == ["AgentMetrics", "ChatContactMetrics", "CustomerMetrics"])
        let contact = try #require(metrics["ChatContactMetrics"] as? [String: Any])
        #expect(
            Set(contact.keys) == [
                "AgentFirstResponseTimeInMillis", "AgentFirstResponseTimestamp", "ConversationCloseTimeInMillis",
                "ConversationTurnCount", "MultiParty", "TotalBotMessageLengthInChars", "TotalBotMessages",
                "TotalMessages",
            ]
        )
        #expect(contact["MultiParty"] as? Bool == false)
        #expect(contact["TotalMessages"] as? Int == 2)
        #expect(contact["AgentFirstResponseTimestamp"] as? String == "2026-11-21T10:00:09.000Z")
        #expect(contact["AgentFirstResponseTimeInMillis"] as? Int == 2_000)
        #expect(contact["ConversationCloseTimeInMillis"] as? Int == 26_000)
        for side in ["AgentMetrics", "CustomerMetrics"] {
            let participant = try #require(metrics[side] as? [String: Any])
            #expect(
                Set(participant.keys) == [
                    "ConversationAbandon", "LastMessageTimestamp", "MaxResponseTimeInMillis", "MessageLengthInChars",
                    "MessagesSent", "NumResponses", "ParticipantId", "ParticipantType", "TotalResponseTimeInMillis",
                ]
            )
        }
        let agentMetrics = try #require(metrics["AgentMetrics"] as? [String: Any])
        #expect(agentMetrics["ParticipantType"] as? String == "AGENT")
        #expect(agentMetrics["TotalResponseTimeInMillis"] as? Int == 2_000)
        let customerMetrics = try #require(metrics["CustomerMetrics"] as? [String: Any])
        #expect(customerMetrics["ParticipantType"] as? String == "CUSTOMER")
        #expect(customerMetrics["ParticipantId"] as? String == chat.participantId.description)
        #expect(customerMetrics["LastMessageTimestamp"] as? String == "2026-11-21T10:00:04.000Z")
        let streams = try #require(json["MediaStreams"] as? [[String: String]])
        #expect(streams == [["Type": "CHAT"]])
        // Sorted keys throughout, so equal records print equal lines.
        #expect(JSONText.serialize(record.jsonValue()) == line)
    }
}

/// Which messages the contact record counts.
@Suite struct CountedMessageTests {
    @Test func onlyPlainTextAndMarkdownMessagesCount() {
        #expect(ContactRecordBuilder.counts(ContentTypes.plainText))
        #expect(ContactRecordBuilder.counts(ContentTypes.markdown))
        for other in [ContentTypes.json, ContentTypes.read, "text/plain2", "text/plai", "", "TEXT/PLAIN"] {
            #expect(!ContactRecordBuilder.counts(other), "\(other)")
        }
    }
}

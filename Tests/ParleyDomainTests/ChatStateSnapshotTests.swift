import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

/// `ChatState` round-trips through its binary snapshot: random histories that touch every part of the state, the
/// stored fixtures record by record, and damaged bytes (which must fail with a `DecodeError`, never crash).
@Suite struct ChatStateSnapshotTests {
    static let instance = ChatHarness.instanceId

    // MARK: - Round trips

    /// Encodes `state`, decodes it, and checks that the copy is equal and re-encodes to the same bytes; with
    /// `hashes`, also that the state hashes agree. Returns the bytes.
    @discardableResult
    static func roundTrip(
        _ state: ChatState,
        _ label: @autoclosure () -> String,
        hashes: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [UInt8] {
        let bytes = state.snapshotBytes()
        let decoded = try ChatState(snapshotBytes: bytes)
        #expect(decoded == state, "\(label()): the decoded state differs", sourceLocation: sourceLocation)
        #expect(decoded.snapshotBytes() == bytes, "\(label()): re-encoding differs", sourceLocation: sourceLocation)
        // The split form a checkpoint stores (settled entries in cold tables) decodes to the same state.
        let split = state.splitSnapshot()
        let fromSplit = try ChatState(
            splitSnapshot: split.bytes,
            tables: ColdTables(tables: split.tables.map { $0.inMemory() })
        )
        #expect(fromSplit == state, "\(label()): the split decoding differs", sourceLocation: sourceLocation)
        #expect(
            fromSplit.snapshotBytes() == bytes,
            "\(label()): the split re-encoding differs",
            sourceLocation: sourceLocation
        )
        if hashes {
            #expect(
                decoded.stateHash() == state.stateHash(),
                "\(label()): the state hash differs",
                sourceLocation: sourceLocation
            )
        }
        return bytes
    }

    @Test func anEmptyStateRoundTripsAndStartsWithTheSchema() throws {
        let bytes = try Self.roundTrip(ChatState(), "empty", hashes: true)
        #expect(bytes.first == UInt8(ChatState.snapshotSchema))
        #expect(ChatState.snapshotSchema == 5)
    }

    // MARK: - Random histories

    /// Flows the random chats start in: each exercises another part of the flow engine.
    static let flowIds = [
        ChatHarness.flowId, "bot-flow", "lambda-flow", "hooked-flow", "logged-flow", "module-flow", "input-flow",
        "hours-flow", "survey-flow",
    ]

    /// What customers say to bots and input blocks.
    static let answers = [
        "where is my order 12345", "I want a refund, it arrived damaged on 2026-01-02", "talk to a human", "1", "2",
        "ana@example.com", "hmm",
    ]

    /// Routing and the agent desk (sam logged in), plus a bot, hours of operation on the harness queue, a Lambda
    /// function, and flows that use them, a customer-queue flow, flow logging and a flow module that waits for input.
    static func world() throws -> (ChatHarness, [String]) {
        var (harness, token) = try AgentDeskTests.loggedIn()
        _ = try harness.must(
            .setUserCredential(
                instanceId: instance,
                userId: "bea",
                credential: try AgentDeskTests.credential("Bea-Secret-2")
            )
        )
        _ = try harness.must(
            .createBot(instanceId: instance, botId: BotTests.botId, name: "Orders", definition: BotTests.orders)
        )
        try HoursOfOperationTests.publish(BotTests.flow(BotTests.promptAndWait), as: "bot-flow", &harness)
        _ = try harness.must(
            .createHoursOfOperation(
                instanceId: instance,
                hoursId: "office",
                name: "Office",
                timeZone: "Europe/Berlin",
                config: [HoursRange("MONDAY", 9, 0, 17, 0), HoursRange("SATURDAY", 10, 30, 0, 0)]
            )
        )
        _ = try harness.must(
            .updateQueueHoursOfOperation(instanceId: instance, queueId: ChatHarness.queueId, hoursId: "office")
        )
        try HoursOfOperationTests.publish(
            HoursOfOperationTests.checkFlow(before: HoursOfOperationTests.setQueue("QueueId", ChatHarness.queueId)),
            as: "hours-flow",
            &harness
        )
        _ = try harness.must(
            .registerLambdaFunction(instanceId: instance, function: "lookup", url: "http://127.0.0.1:9/lookup")
        )
        let lambda = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"InvokeLambdaFunction\","
                    + "\"Parameters\":{\"LambdaFunctionARN\":\"lookup\","
                    + "\"InvocationTimeLimitSeconds\":\"3\"},\"Transitions\":{\"NextAction\":\"q\","
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"q\"}]}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        try HoursOfOperationTests.publish(lambda, as: "lambda-flow", &harness)
        _ = try harness.must(.createQueue(instanceId: instance, queueId: "overflow", name: "Overflow", maxContacts: 0))
        _ = try harness.must(
            .createContactFlow(
                instanceId: instance,
                flowId: "queue-flow",
                name: "Queue flow",
                type: "CUSTOMER_QUEUE",
                description: "",
                content: CustomerQueueFlowTests.queueFlow
            )
        )
        try HoursOfOperationTests.publish(CustomerQueueFlowTests.inbound, as: "hooked-flow", &harness)
        let logged = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"UpdateFlowLoggingBehavior\","
                    + "\"Parameters\":{\"FlowLoggingBehavior\":\"Enabled\"},"
                    + "\"Transitions\":{\"NextAction\":\"b\"}}",
                FlowActionTests.message("b", "You are logged, $.Attributes.tier", next: "q"),
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        try HoursOfOperationTests.publish(logged, as: "logged-flow", &harness)
        let module = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"GetParticipantInput\","
                    + "\"Parameters\":{\"Text\":\"Your order number?\","
                    + "\"StoreInput\":\"True\",\"InputTimeLimitSeconds\":\"120\"},"
                    + "\"Transitions\":{\"NextAction\":\"done\","
                    + "\"Errors\":[{\"ErrorType\":\"InputTimeLimitExceeded\",\"NextAction\":\"done\"},"
                    + "{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"done\"}]}}",
                "{\"Identifier\":\"done\",\"Type\":\"EndFlowModuleExecution\",\"Parameters\":{},\"Transitions\":{}}",
            ].joined(separator: ",")
        )
        _ = try harness.must(
            .createContactFlowModule(instanceId: instance, moduleId: "wait-module", name: "Wait", content: module)
        )
        let main = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"InvokeFlowModule\",\"Parameters\":{\"FlowModuleId\":\"wait-module\"},"
                    + "\"Transitions\":{\"NextAction\":\"q\","
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"q\"}]}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        try HoursOfOperationTests.publish(main, as: "module-flow", &harness)
        try HoursOfOperationTests.publish(FlowRuntimeTests.inputFlow, as: "input-flow", &harness)
        return (harness, [token])
    }

    /// What the round-tripped states held: for each thing, how many states had it.
    struct Coverage {
        var counts: [String: Int] = [:]
        var timerKinds: Set<String> = []
        var slotStates: Set<String> = []

        mutating func note(_ name: String, _ present: Bool) { counts[name, default: 0] += present ? 1 : 0 }

        mutating func record(_ state: ChatState) {
            let contacts = Array(state.contacts.values)
            let runs = contacts.compactMap(\.flowRun)
            let chats = Array(state.chats.values)
            let participants = chats.flatMap(\.participants.values)
            note("flows with several versions", state.flows.values.contains { $0.documents.count > 1 })
            note("flow documents", state.flows.values.contains { !$0.documents.isEmpty })
            note("waiting flow runs", runs.contains { $0.status == .waiting })
            note("ended flow runs", runs.contains { $0.status == .ended })
            note("Lambda results", runs.contains { !$0.external.isEmpty })
            note("module call stacks", runs.contains { !$0.callStack.isEmpty })
            note("bot conversations", runs.contains { $0.lex?.intent != nil })
            note("flow logs", contacts.contains { !$0.flowLog.isEmpty })
            note("customer-queue flows", contacts.contains { $0.customerQueueFlowId != nil })
            note("transfer segments", contacts.contains { $0.initiationMethod != .api })
            note("offers", contacts.contains { $0.offeredTo != nil })
            note("assigned contacts", contacts.contains { $0.agentId != nil })
            note("bots", !state.bots.isEmpty)
            note("hours of operation", !state.hoursOfOperations.isEmpty)
            note("queues with hours", state.queues.values.contains { $0.hoursOfOperationId != nil })
            note("pending Lambda invocations", !state.pendingInvocations.isEmpty)
            note("Lambda functions", !state.lambdaFunctions.isEmpty)
            note("waiting contacts", !state.waiting.isEmpty)
            note("agents in error", state.agents.values.contains { $0.errorSince != nil })
            note("agent login sessions", !state.agentDesk.sessions.isEmpty)
            note("agent credentials", !state.agentDesk.credentials.isEmpty)
            note("agent feed entries", state.agentDesk.feeds.values.contains { !$0.entries.isEmpty })
            note("ended chats", chats.contains { $0.status == .ended })
            note("persistent chats", chats.contains { $0.rehydration != nil })
            note("receipts", chats.contains { $0.items.contains { !$0.receipts.isEmpty } })
            note("client tokens", chats.contains { !$0.sentByClientToken.isEmpty })
            note("role timers", chats.contains { !$0.activeRoleTimers.isEmpty })
            note("open websockets", participants.contains { !$0.openSockets.isEmpty })
            note("idle participants", participants.contains(where: \.idle))
            note("websocket tokens", chats.contains { $0.connections.values.contains { $0.websocketToken != nil } })
            // The token maps hold tokens of logs written before tokens named their chat (`ChatToken`).
            note("participant tokens of the old form", !state.participantTokens.isEmpty)
            note("connection tokens of the old form", !state.connectionTokens.isEmpty)
            note("websocket tokens of the old form", !state.websocketTokens.isEmpty)
            note("start tokens", !state.startTokens.isEmpty)
            note("billing", state.billing.totalMessages > 0)
            note("fired timers", state.timersFired > 0)
            for key in state.timers.keys { timerKinds.insert(key.kind.description) }
            for session in state.agents.values {
                for slot in session.slots.values { slotStates.insert(slot.state.description) }
            }
        }
    }

    /// Runs `steps` random commands in `world` (with time leaps and due timers between them), handing the state
    /// after every `every`-th command to `check`; returns the harness at the end.
    static func history(
        seed: UInt64,
        steps: Int,
        in world: (ChatHarness, [String]),
        every: Int,
        _ check: (ChatState, Int) throws -> Void = { _, _ in }
    ) rethrows -> ChatHarness {
        var (harness, sessions) = world
        harness.generator = SeededGenerator(seed: seed)
        var fuzzer = ChatPropertyTests.Fuzzer(random: SeededGenerator(seed: seed &* 6_700_417))
        let leaps: [Int64] = [1_000, 1_000_000, 21_000_000, 90_000_000, 301_000_000, 3_600_000_000]
        for step in 0..<steps {
            if fuzzer.chance(30) {
                harness.advance(fuzzer.pick(leaps)!)
                if fuzzer.chance(60) { harness.fireTimers() }
            }
            let command = Self.command(&fuzzer, harness.state, sessions: sessions)
            if case .success(let reply) = harness.run(command) {
                fuzzer.learn(reply, command: command)
                if case .agentSession(_, let token) = reply { sessions.append(token) }
                if case .agentLogout(let token) = command { sessions.removeAll { $0 == token } }
            }
            if step % every == every - 1 { try check(harness.state, step) }
        }
        return harness
    }

    @Test func randomHistoriesRoundTripAtEveryCheckpoint() throws {
        let world = try Self.world()
        try Self.roundTrip(world.0.state, "the world", hashes: true)
        var coverage = Coverage()
        var fields = FieldCensus()
        var checked = 0
        for seed in 1...100 as ClosedRange<UInt64> {
            // Coverage is counted on the checked states only, so it is coverage of the round trips.
            let harness = try Self.history(seed: seed, steps: 80, in: world, every: 5) { state, step in
                try Self.roundTrip(state, "seed \(seed) step \(step)")
                coverage.record(state)
                fields.walk(state)
                checked += 1
            }
            try Self.roundTrip(harness.state, "seed \(seed) at the end", hashes: seed % 4 == 0)
            // The same history as a log written before tokens named their chat: its tokens fill the token maps.
            var old = ChatState()
            for entry in ChatTokenTests.legacyLog(harness.log).log {
                ChatMachine.apply(entry.event, at: entry.timestamp, to: &old)
            }
            try Self.roundTrip(old, "seed \(seed) with tokens of the old form", hashes: seed % 4 == 0)
            coverage.record(old)
            fields.walk(old)
        }
        #expect(checked == 1_600)
        // The histories must reach every part of the state, or the round trips say little.
        for (name, count) in coverage.counts.sorted(by: { $0.key < $1.key }) {
            #expect(count > 0, "no checked state had \(name)")
        }
        #expect(
            coverage.timerKinds.isSuperset(of: TimerKind.allCases.map(\.description)),
            "timer kinds never covered: \(Set(TimerKind.allCases.map(\.description)).subtracting(coverage.timerKinds))"
        )
        #expect(
            coverage.slotStates == ["CONNECTING", "CONNECTED", "ENDED", "MISSED", "REJECTED"],
            "agent slot states covered: \(coverage.slotStates.sorted())"
        )
        fields.check()
    }

    /// A random command: the property tests' chat commands (started in one of `flowIds`), answers for bots and
    /// input blocks, routing and agent-desk actions, Lambda answers, new flow and bot versions, and timers.
    static func command(
        _ fuzzer: inout ChatPropertyTests.Fuzzer,
        _ state: ChatState,
        sessions: [String]
    ) -> ChatCommand {
        let offered = state.contacts.values.filter { $0.offeredTo != nil }.sorted { $0.contactId < $1.contactId }
        let held = state.agents.values.sorted { $0.userId < $1.userId }.flatMap { session in
            session.slots.keys.sorted().map { (session.userId, $0, session.slots[$0]!.state) }
        }
        switch fuzzer.random.next() % 100 {
        case 0..<45:
            let command = fuzzer.command()
            guard case .startChatContact(var request) = command, request.contactFlowId == ChatHarness.flowId else {
                return command
            }
            request.contactFlowId = fuzzer.pick(flowIds)!
            return .startChatContact(request)
        case 45..<52:
            return .sendMessage(
                connectionToken: fuzzer.pick(fuzzer.connectionTokens) ?? "nope",
                contentType: ContentTypes.plainText,
                content: fuzzer.pick(answers)!,
                clientToken: nil
            )
        case 52..<59:
            return .setAgentStatus(
                instanceId: instance,
                userId: fuzzer.pick(["sam", "bea"])!,
                statusId: fuzzer.pick(["available", "available", "break", "offline"])!
            )
        case 59..<66:
            guard let contact = fuzzer.pick(offered) else { return .fireDueTimers }
            return .acceptContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
        case 66..<69:
            guard let contact = fuzzer.pick(offered) else { return .fireDueTimers }
            return .rejectContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
        case 69..<72:
            guard let (user, contact, _) = fuzzer.pick(held.filter { $0.2 == .connected }) else {
                return .fireDueTimers
            }
            return .agentDisconnect(userId: user, contactId: contact.description)
        case 72..<75:
            guard let (user, contact, _) = fuzzer.pick(held.filter { $0.2 == .afterContactWork }) else {
                return .fireDueTimers
            }
            return .clearAfterContactWork(userId: user, contactId: contact.description)
        case 75..<78:
            guard let (user, contact, _) = fuzzer.pick(held.filter { $0.2 == .connected }) else {
                return .fireDueTimers
            }
            let toAgent = fuzzer.chance(40)
            return .agentTransfer(
                userId: user,
                contactId: contact.description,
                queueId: toAgent ? nil : fuzzer.pick([ChatHarness.queueId, "slow", "overflow"]),
                agentId: toAgent ? (user == "sam" ? "bea" : "sam") : nil,
                flowId: nil
            )
        case 78..<83:
            let pending = state.pendingInvocations.keys.sorted()
            guard let invocation = fuzzer.pick(pending), fuzzer.chance(70) else { return .fireDueTimers }
            let outcome: LambdaOutcome =
                fuzzer.chance(75)
                ? .response("{\"tier\":\"gold\",\"orders\":\"\(fuzzer.random.next() % 9)\"}")
                : .failure("connection refused")
            return .completeLambdaInvocation(invocationId: invocation, outcome: outcome)
        case 83..<86:
            if let token = fuzzer.pick(sessions), fuzzer.chance(40) { return .agentLogout(sessionToken: token) }
            let user = fuzzer.pick(["sam", "bea"])!
            let credential = state.agentDesk.credentials[user]!
            return .agentLogin(instanceId: instance, userId: user, verified: credential)
        case 86..<90:
            // Role timers (idle, auto-disconnect) for a chat that has or will have an agent or a bot.
            guard let contact = fuzzer.pick(fuzzer.contacts) else { return .fireDueTimers }
            return .updateParticipantRoleConfig(
                instanceId: instance,
                contactId: contact.description,
                settings: [
                    RoleTimerRequest(role: "CUSTOMER", timerType: "IDLE", minutes: 2),
                    RoleTimerRequest(role: "AGENT", timerType: "IDLE", minutes: 3),
                    RoleTimerRequest(role: "CUSTOMER", timerType: "DISCONNECT_NONCUSTOMER", minutes: 4),
                    RoleTimerRequest(role: "AGENT", timerType: "DISCONNECT_NONCUSTOMER", minutes: 6),
                ]
            )
        case 90..<92:
            switch fuzzer.random.next() % 3 {
            case 0:
                return .updateContactFlowContent(
                    instanceId: instance,
                    flowId: "input-flow",
                    content: FlowRuntimeTests.inputFlow
                )
            case 1:
                var definition = BotTests.orders
                definition.greeting = "Hello again (\(fuzzer.random.next() % 100))."
                return .updateBot(instanceId: instance, botId: BotTests.botId, definition: definition)
            default:
                return .updateQueue(
                    instanceId: instance,
                    queueId: "overflow",
                    name: nil,
                    maxContacts: Int64(fuzzer.random.next() % 4)
                )
            }
        default:
            return .fireDueTimers
        }
    }

    // MARK: - Fixtures

    @Test(arguments: ["chat-v1", "chat-flows-v1", "chat-routing-v1"])
    func fixtureStatesRoundTripAfterEveryRecord(fixture: String) throws {
        let path = LogFixture.path(fixture)
        let reader = try LogReader.open(dataDirectory: path)
        var state = ChatState()
        var records = 0
        try reader.forEach(fromSequence: 1) { record in
            if let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) {
                ChatMachine.apply(event, at: record.timestamp, to: &state)
            }
            records += 1
            try Self.roundTrip(state, "\(fixture) after record \(record.sequence)", hashes: records % 16 == 0)
            return true
        }
        #expect(records > 10)
        let replayed = try Engine<ChatMachine>.replay(dataDirectory: path).state
        #expect(replayed == state)
        try Self.roundTrip(replayed, "\(fixture) replayed", hashes: true)
    }

    // MARK: - Damaged bytes

    /// A state with a bit of everything, from one random history.
    static func sample() throws -> ChatState {
        try history(seed: 42, steps: 120, in: world(), every: 120).state
    }

    /// Decodes `bytes`, which must fail; returns the error.
    static func failure(_ bytes: [UInt8]) -> DecodeError? {
        do {
            _ = try ChatState(snapshotBytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedBytesAreADecodeError() throws {
        let state = try Self.sample()
        let bytes = state.snapshotBytes()
        #expect(bytes.count > 2_000)
        // Every short prefix, then prefixes spread over the whole encoding, then every prefix of the last bytes.
        let lengths =
            Array(0..<300) + Array(stride(from: 300, to: bytes.count, by: 97)) + Array(bytes.count - 300..<bytes.count)
        for length in lengths {
            let error = Self.failure(Array(bytes[..<length]))
            #expect(error != nil, "a \(length)-byte prefix decoded")
        }
        #expect(Self.failure(bytes + [0])?.code == .trailingBytes)
    }

    @Test func corruptedBytesAreADecodeErrorOrAnotherStateNeverACrash() throws {
        let bytes = try Self.sample().snapshotBytes()
        var random = SeededGenerator(seed: 7)
        var rejected = 0
        for trial in 0..<1_500 {
            var damaged = bytes
            for _ in 0..<(1 + trial % 4) {
                let position = Int(random.next() % UInt64(damaged.count))
                switch random.next() % 3 {
                case 0: damaged[position] ^= UInt8(1) << UInt8(random.next() % 8)
                case 1: damaged[position] = UInt8(truncatingIfNeeded: random.next())
                default: damaged[position] = 0xFF
                }
            }
            do {
                let decoded = try ChatState(snapshotBytes: damaged)
                // Damage inside a string or a number can still be a well-formed state; it must encode cleanly.
                _ = decoded.snapshotBytes()
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 500)
        // Deeply nested JSON (hostile bytes) is refused instead of exhausting the stack.
        var nested = BinaryWriter()
        for _ in 0..<100_000 {
            nested.write(byte: 5)
            nested.write(varUInt: 1)
        }
        nested.write(byte: 0)
        let json = nested.bytes
        let result = json.withUnsafeBytes { buffer -> DecodeError? in
            var reader = BinaryReader(buffer)
            do throws(DecodeError) {
                _ = try JSONValue(snapshotFrom: &reader)
                return nil
            } catch {
                return error
            }
        }
        #expect(result?.code == .invalidValue)
    }

    @Test func aChatCountingMessagesOfOtherContactsThanItHasIsADecodeError() throws {
        var state = try Self.sample()
        let chatId = try #require(state.chats.keys.first)
        #expect(state.chats[chatId]?.contactBillableMessages.count == state.chats[chatId]?.contactIds.count)
        #expect(try ChatState(snapshotBytes: state.snapshotBytes()) == state)
        state.chats[chatId]?.contactBillableMessages.append(1)
        let error = Self.failure(state.snapshotBytes())
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("counts messages of") == true)
    }

    @Test func anUnknownSchemaIsUnsupportedVersion() throws {
        let bytes = try Self.sample().snapshotBytes()
        #expect(bytes.first == 5)
        // 4 is the schema before chats counted each contact's billable messages.
        for schema: UInt64 in [0, 1, 2, 3, 4, 6, 127, 128, 1 << 40, .max] {
            var writer = BinaryWriter()
            writer.write(varUInt: schema)
            let error = Self.failure(writer.bytes + bytes.dropFirst())
            #expect(error?.code == .unsupportedVersion, "schema \(schema): \(String(describing: error))")
        }
        #expect(Self.failure([])?.code == .truncated)
        #expect(Self.failure([0x80])?.code == .truncated)
    }
}

/// The stored properties of every ParleyDomain struct reachable from `ChatState`, found by reflection: a property
/// added (or renamed) anywhere in the state fails `check()` until the snapshot encoding, its schema number and the
/// table below are updated together.
struct FieldCensus {
    /// The stored properties the snapshot encoding (schema 1) knows, by type.
    static let known: [String: [String]] = [
        // Storage only: the fields behind one reference (copy on write).
        "ChatState": ["box"],
        "ChatState.Box": ["stored"],
        "ChatState.Stored": [
            "instance", "contacts", "chats", "participantTokens", "connectionTokens", "websocketTokens", "startTokens",
            "timers", "timersFired", "billing", "activeChats", "lastTimestamp", "eventCount", "flows", "queues", "bots",
            "hoursOfOperations", "agents", "routingProfiles", "users", "agentStatuses", "lambdaFunctions",
            "descriptions", "pendingInvocations", "waiting", "agentDesk", "deadlines",
        ],
        "InstanceSettings": [
            "instanceId", "concurrentActiveChats", "alias", "identityManagementType", "inboundCallsEnabled",
            "outboundCallsEnabled", "createdAt",
        ],
        "ContactRecord": [
            "contactId", "chatId", "instanceId", "flowId", "initiationMethod", "previousContactId", "nextContactId",
            "relatedContactId", "customerId", "initiatedAt", "disconnectedAt", "disconnectReason", "attributes",
            "status", "flowRun", "targetQueue", "queued", "agentId", "agentParticipantId",
            "offeredTo", "queuePriority", "queueTimeAdjustmentSeconds", "customerQueueFlowId", "flowLog",
        ],
        "ChatSession": [
            "chatId", "instanceId", "currentContactId", "contactIds", "status", "startedAt", "expiresAt", "endedAt",
            "endReason", "durationMinutes", "supportedContentTypes", "responseMode", "disconnectOnCustomerExit",
            "customerParticipantId", "participants", "connections", "items", "itemIndex", "rehydration",
            "roleTimers", "activeRoleTimers", "disconnectFlowId", "customerConnected", "sentByClientToken",
            "startClientToken", "startRequestDigest", "contactBillableMessages",
        ],
        "Participant": [
            "participantId", "role", "displayName", "participantToken", "joinedAt", "leftAt", "leftReason",
            "openSockets", "idle", "connected",
        ],
        "Connection": [
            "connectionId", "participantId", "connectionToken", "expiry", "websocketToken", "websocketExpiry",
        ],
        "Receipt": ["deliveredAt", "readAt"],
        // Storage only: the receipts in recipient order (the encoding writes them as a map's).
        "ReceiptMap": ["entries"],
        "TranscriptItem": [
            "id", "timestamp", "type", "contentType", "content", "participantId", "displayName", "role", "contactId",
            "receipts",
        ],
        "Rehydration": ["type", "sourceContactId", "continuedFromContactId", "pastContactIds"],
        "SentRecord": ["id", "time"],
        // A key writes its text (`participant/kind/token`), the token's as the form gives it back.
        "ClientTokenKey": ["participantId", "kind", "clientToken"],
        "ClientToken": ["form"],
        // The encoding writes `closedMonths` and the `open` month merged, as the month-by-month counts.
        "BillingMeter": ["totalMessages", "closedMonths", "open"],
        "BillingMeter.OpenMonth": ["key", "start", "end", "count"],
        "TokenTarget": ["chatId", "participantId", "connectionId"],
        "TimerKey": ["kind", "chatId", "participantId"],
        "Identifier": ["high", "low"],
        "FlowResource": ["flowId", "name", "type", "description", "contents", "documents", "publishedAt"],
        "FlowDocument": ["version", "startAction", "actions", "actionOrder", "settings"],
        "FlowAction": ["identifier", "type", "parameters", "next", "errors", "conditions"],
        "FlowErrorBranch": ["errorType", "next"],
        "FlowCondition": ["next", "op", "operands"],
        "QueueResource": ["queueId", "name", "maxContacts", "hoursOfOperationId", "enabled"],
        "QueuePosition": ["queueId", "since"],
        "FlowRun": [
            "flowId", "version", "current", "status", "waitEvents", "flowAttributes", "external", "loopCounters",
            "steps", "callStack", "lex",
        ],
        "FlowFrame": ["flowId", "version", "returnTo"],
        "FlowLogEntry": [
            "timestamp", "flowId", "version", "action", "actionType", "branch", "result", "next", "details",
        ],
        "BotSession": ["botId", "botVersion", "action", "sessionAttributes", "intent", "confidence", "slots"],
        "BotResource": ["botId", "name", "definitions", "publishedAt"],
        "BotDefinition": ["intents", "fallbackIntent", "fallbackReply", "sessionTimeoutSeconds", "greeting"],
        "BotIntent": ["name", "utterances", "keywords", "slots", "reply"],
        "BotSlot": ["name", "type"],
        "HoursOfOperation": ["hoursId", "name", "timeZone", "config"],
        "HoursRange": ["day", "startTime", "endTime"],
        "HoursTime": ["hours", "minutes"],
        "PendingInvocation": ["request"],
        "LambdaInvocationRequested": [
            "invocationId", "chatId", "contactId", "action", "url", "payload", "timeoutMilliseconds", "responseType",
        ],
        "AgentSession": ["userId", "statusId", "statusType", "statusSince", "errorSince", "lastActivity", "slots"],
        "AgentSlot": ["state", "since"],
        "RoutingProfile": [
            "routingProfileId", "name", "chatConcurrency", "routeAnyChannel", "queues", "defaultOutboundQueueId",
        ],
        "RoutingQueueConfig": ["queueId", "priority", "delaySeconds"],
        "AgentUser": ["userId", "username", "routingProfileId", "autoAccept", "afterContactWorkSeconds"],
        "AgentStatus": ["statusId", "name", "type", "enabled"],
        "AgentDesk": ["credentials", "sessions", "feeds"],
        "TieredMap": ["hot", "cold", "removed", "shadowed"],
        // Storage only: a heap cell holding one hot value (the encoding writes the value).
        "TieredSlot": ["cell"],
        // Storage only: a transcript in chunks (the encoding writes the count and the items, as an array's).
        "ChunkedArray": ["chunks", "count"],
        // Storage only: one chunk, reflected as the elements it holds (its own mirror; the encoding writes the items).
        "ChunkStorage": ["elements"],
        // Storage only: a short array of entries, then a tree (the encoding writes the entries, as a map's), and a
        // filter derived from the array's keys (rebuilt as the decoded entries are inserted).
        "CompactMap": ["small", "smallCount", "large", "filter"],
        // Derived, not written: the timers in firing order, rebuilt from `timers` when a snapshot loads.
        "DeadlineIndex": ["chunks", "count", "queueDelayCount"],
        "DeadlineIndex.Entry": ["deadline", "key"],
        "PasswordCredential": ["salt", "rounds", "digest"],
        "AgentLogin": ["userId", "since"],
        "AgentFeed": ["lastSequence", "entries"],
        "AgentFeedEntry": [
            "sequence", "timestamp", "kind", "contactId", "state", "queueId", "statusId", "participantToken", "reason",
        ],
    ]

    /// Stored properties seen, by ParleyDomain struct.
    var seen: [String: [String]] = [:]

    /// Records the struct types inside `state`, until every known type has been seen.
    mutating func walk(_ state: ChatState) {
        guard seen.count < Self.known.count else { return }
        visit(state)
    }

    private mutating func visit(_ value: Any) {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .struct || mirror.displayStyle == .class {
            let name = String(reflecting: type(of: value))
            if name.hasPrefix("ParleyDomain.") {
                // A generic type counts once, whatever it is instantiated with.
                let short = String(name.dropFirst("ParleyDomain.".count).prefix { $0 != "<" })
                if seen[short] == nil { seen[short] = mirror.children.map { $0.label ?? "?" } }
            }
        }
        for child in mirror.children { visit(child.value) }
    }

    /// Every known type was seen, with exactly the known stored properties, and no other struct was found.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        let advice = "update Sources/ParleyDomain/Snapshot/ChatStateSnapshot*.swift, bump ChatState.snapshotSchema"
        for (type, fields) in seen.sorted(by: { $0.key < $1.key }) {
            #expect(
                Self.known[type] == fields,
                "\(type) stores \(fields); \(advice) and FieldCensus.known",
                sourceLocation: sourceLocation
            )
        }
        let missing = Set(Self.known.keys).subtracting(seen.keys)
        #expect(
            missing.isEmpty,
            "never found in the covered states: \(missing.sorted())",
            sourceLocation: sourceLocation
        )
    }
}

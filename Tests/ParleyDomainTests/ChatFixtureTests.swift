import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

/// A stored log of version-1 events, written once by `writeFixture` and decoded on every run from then on: every
/// old version must stay decodable forever.
@Suite struct ChatFixtureTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat-v1").path

    /// A scripted history that produces every event type of the catalogue.
    static func scenario() throws -> ChatHarness {
        var harness = ChatHarness(seed: 20_261_121, start: 1_767_261_600_000_000)  // 2026-01-01T10:00:00Z
        // Chat A: customer, agent, websockets, attributes, idle timers, receipts, a disconnect flow, StopContact.
        let a = try harness.startChat(
            StartChatContactRequest(
                instanceId: ChatHarness.instanceId,
                contactFlowId: ChatHarness.flowId,
                displayName: "Ana",
                attributes: ["tier": "gold"],
                initialMessage: .init(contentType: "text/plain", content: "Hello"),
                clientToken: "fixture-a"
            )
        )
        let customer = try harness.connect(a.participantToken)
        let socket = Identifier(high: 1, low: 1)
        _ = try harness.must(.openWebsocket(websocketToken: customer.websocketToken!, socketId: socket))
        _ = try harness.must(.closeWebsocket(websocketToken: customer.websocketToken!, socketId: socket))
        _ = try harness.must(
            .updateParticipantRoleConfig(
                instanceId: ChatHarness.instanceId,
                contactId: a.contactId.description,
                settings: [
                    RoleTimerRequest(role: "CUSTOMER", timerType: "IDLE", minutes: 2),
                    RoleTimerRequest(role: "CUSTOMER", timerType: "DISCONNECT_NONCUSTOMER", minutes: 3),
                ]
            )
        )
        let (_, agent) = try harness.joinAgent(a.contactId)
        _ = try harness.must(
            .updateContactAttributes(
                instanceId: ChatHarness.instanceId,
                initialContactId: a.contactId.description,
                attributes: ["step": "agent"]
            )
        )
        _ = try harness.must(.setDisconnectFlow(contactId: a.contactId.description, flowId: "survey-flow"))
        guard
            case .sent(let question, _) = try harness.must(
                .sendMessage(
                    connectionToken: agent,
                    contentType: "text/plain",
                    content: "How can I help?",
                    clientToken: nil
                )
            )
        else { throw HarnessError("no message") }
        _ = try harness.must(
            .sendEvent(
                connectionToken: customer.connectionToken!,
                contentType: ContentTypes.read,
                content: "{\"messageId\":\"\(question)\"}",
                clientToken: nil
            )
        )
        _ = try harness.must(
            .sendEvent(
                connectionToken: customer.connectionToken!,
                contentType: ContentTypes.typing,
                content: nil,
                clientToken: nil
            )
        )
        harness.advance(2 * Duration.minute)
        harness.fireTimers()  // the customer goes idle
        _ = try harness.must(
            .sendMessage(
                connectionToken: customer.connectionToken!,
                contentType: "text/plain",
                content: "Still here",
                clientToken: "m1"
            )
        )
        harness.advance(10 * Duration.minute)
        harness.fireTimers()  // idle, then auto-disconnect: the agent is removed and the disconnect flow runs
        _ = try harness.must(
            .sendSystemMessage(
                contactId: harness.state.chats[a.contactId]!.currentContactId.description,
                displayName: "SYSTEM_MESSAGE",
                contentType: "text/plain",
                content: "How did we do?"
            )
        )
        _ = try harness.must(
            .stopContact(
                instanceId: ChatHarness.instanceId,
                contactId: harness.state.chats[a.contactId]!.currentContactId.description
            )
        )
        // Chat B never connects; chat C runs into its one-hour ceiling.
        _ = try harness.startChat()
        let c = try harness.startChat(
            StartChatContactRequest(
                instanceId: ChatHarness.instanceId,
                contactFlowId: ChatHarness.flowId,
                displayName: "Cy",
                chatDurationInMinutes: 60
            )
        )
        _ = try harness.connect(c.participantToken)
        harness.advance(2 * Duration.hour)
        harness.fireTimers()
        return harness
    }

    /// Writes the fixture; runs only with PARLEY_WRITE_FIXTURES=1 (once, when the catalogue's v1 was frozen).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PARLEY_WRITE_FIXTURES"] == "1"))
    func writeFixture() async throws {
        let harness = try Self.scenario()
        try? FileManager.default.removeItem(atPath: Self.fixture)
        var options = EventLogOptions()
        options.preallocationBytes = 0
        let log = try EventLog.open(dataDirectory: Self.fixture, options: options)
        var records: [LogRecord] = []
        for (timestamp, event) in harness.log {
            let (tag, payload) = event.encoded()
            records.append(LogRecord(timestamp: timestamp, type: tag, payload: payload))
        }
        _ = try await log.append(records)
        await log.close()
        try? FileManager.default.removeItem(atPath: Self.fixture + "/log/LOCK")
    }

    @Test func everyRecordOfTheV1FixtureDecodes() throws {
        let reader = try LogReader.open(dataDirectory: Self.fixture)
        var tags: Set<UInt16> = []
        var decoded: [(Int64, ChatEvent)] = []
        var failures: [String] = []
        try reader.forEach(fromSequence: 1) { record in
            #expect(record.payload.first == 1, "record \(record.sequence) is not schema version 1")
            do {
                guard let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) else {
                    failures.append("record \(record.sequence): tag \(record.type) is not a domain event")
                    return true
                }
                tags.insert(record.type)
                if case .participantLeft(let left) = event {
                    #expect(left.effectiveAt == nil, "a version-1 ParticipantLeft upcasts with no effectiveAt")
                }
                decoded.append((record.timestamp, event))
                // While an event type is still at version 1, re-encoding must give the stored bytes back.
                if type(of: event.payload).currentVersion == 1 {
                    #expect(
                        event.encoded().payload == Array(record.payload),
                        "record \(record.sequence) re-encodes differently"
                    )
                }
            } catch {
                failures.append("record \(record.sequence): \(error)")
            }
            return true
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        // The fixture was frozen with the chat lifecycle's 18 types (0x0100–0x0111); the flow events of 0x0120… came
        // later and are covered once their own fixture is frozen.
        #expect(tags == Set(0x0100...0x0111), "the fixture must hold every event type of its catalogue")

        // The replayed state says what the scenario did.
        let snapshot = try Engine<ChatMachine>.replay(dataDirectory: Self.fixture)
        let state = snapshot.state
        #expect(state.chats.count == 3)
        #expect(state.activeChats == 0)
        let reasons = Set(state.chats.values.compactMap { $0.endReason?.description })
        #expect(reasons == ["API", "CUSTOMER_CONNECTION_NOT_ESTABLISHED", "EXPIRED"])
        let segments = state.contacts.values.filter { $0.initiationMethod == .disconnect }
        #expect(segments.count == 1)
        #expect(segments.first?.previousContactId != nil)
        #expect(state.contacts.values.contains { $0.disconnectReason == .idleDisconnect })
        #expect(state.billing.totalMessages == 4)
        #expect(state.timers.isEmpty)
        #expect(decoded.count == Int(snapshot.position))
    }
}

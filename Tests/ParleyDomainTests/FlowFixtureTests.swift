import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

/// A stored log of the flow-engine event types (0x0120…) at version 1, decoded on every run from now on.
@Suite struct FlowFixtureTests {
    static let fixture = LogFixture.path("chat-flows-v1")

    /// A scripted history that produces every flow-engine event type.
    static func scenario() throws -> ChatHarness {
        var harness = try BotTests.harness(BotTests.flow(BotTests.promptAndWait))
        _ = try harness.must(
            .createHoursOfOperation(
                instanceId: ChatHarness.instanceId,
                hoursId: "office",
                name: "Office",
                timeZone: "Europe/Berlin",
                config: [HoursRange("MONDAY", 9, 0, 17, 0)]
            )
        )
        _ = try harness.must(
            .updateQueueHoursOfOperation(
                instanceId: ChatHarness.instanceId,
                queueId: ChatHarness.queueId,
                hoursId: "office"
            )
        )
        _ = try harness.must(
            .registerLambdaFunction(
                instanceId: ChatHarness.instanceId,
                function: "lookup",
                url: "http://127.0.0.1:9/lookup"
            )
        )
        // A bot conversation that ends in the queue.
        let (botChat, botToken) = try BotTests.start(&harness)
        try harness.send(botToken, "where is my order 12345")
        #expect(try harness.contact(botChat).queued != nil)
        // A Lambda call, answered.
        let lambdaFlow = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"InvokeLambdaFunction\",\"Parameters\":{\"LambdaFunctionARN\":\"lookup\","
                    + "\"InvocationTimeLimitSeconds\":\"3\"},\"Transitions\":{\"NextAction\":\"q\","
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"q\"}]}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        let lambdaChat = try FlowActionTests.run(lambdaFlow, harness: &harness)
        let invocation = try #require(harness.state.pendingInvocations.keys.first)
        _ = try harness.must(
            .completeLambdaInvocation(invocationId: invocation, outcome: .response("{\"tier\":\"gold\"}"))
        )
        #expect(try harness.contact(lambdaChat).queued != nil)
        // A customer-queue flow, an agent taking the contact, and a transfer.
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "queue-flow",
                name: "Queue flow",
                type: "CUSTOMER_QUEUE",
                description: "",
                content: CustomerQueueFlowTests.queueFlow
            )
        )
        _ = try harness.must(
            .updateContactFlowContent(
                instanceId: ChatHarness.instanceId,
                flowId: "under-test",
                content: CustomerQueueFlowTests.inbound
            )
        )
        let queued = try harness.startConnectedChat(ChatHarness.request { $0.contactFlowId = "under-test" }).chat
            .contactId
        guard
            case .participantJoined(_, let agentToken) = try harness.must(
                .joinAgent(contactId: queued.description, displayName: "Sam", agentId: "agent-sam")
            )
        else { throw HarnessError("no agent") }
        let agent = try harness.connect(agentToken).connectionToken!
        _ = try harness.must(
            .transferContact(connectionToken: agent, queueId: ChatHarness.queueId, agentId: nil, flowId: nil)
        )
        return harness
    }

    /// Writes the fixture; runs only with PARLEY_WRITE_FIXTURES=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PARLEY_WRITE_FIXTURES"] == "1"))
    func writeFixture() async throws {
        try await LogFixture.write(try Self.scenario(), to: Self.fixture)
    }

    @Test func everyRecordOfTheFlowFixtureDecodes() throws {
        // Every flow-engine type that existed when the fixture was frozen (0x0120–0x0139).
        let frozen: Set<UInt16> = [
            0x0120, 0x0121, 0x0122, 0x0123, 0x0124, 0x0125, 0x0126, 0x0127, 0x0128, 0x0129, 0x012A, 0x012B, 0x0130,
            0x0131, 0x0138, 0x0139,
        ]
        try LogFixture.check(Self.fixture, frozen: frozen)
        let state = try Engine<ChatMachine>.replay(dataDirectory: Self.fixture).state
        #expect(state.flows.count >= 3)
        #expect(state.bots.count == 1)
        #expect(state.contacts.values.contains { $0.initiationMethod == .transfer })
        #expect(state.pendingInvocations.isEmpty)
    }
}

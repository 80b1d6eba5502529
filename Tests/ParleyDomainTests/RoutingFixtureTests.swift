import Foundation
import ParleyDomain
import ParleyEngine
import Testing

/// A stored log of the routing and agent-desk event types (0x0140–0x0150) at version 1, decoded on every run.
@Suite struct RoutingFixtureTests {
    static let fixture = LogFixture.path("chat-routing-v1")
    static let instance = ChatHarness.instanceId

    /// A scripted history that produces every routing and agent-desk event type.
    static func scenario() throws -> ChatHarness {
        var (harness, token) = try AgentDeskTests.loggedIn()
        try RoutingTests.available("sam", &harness)
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.must(.acceptContact(userId: "sam", contactId: chat.contactId.description))
        _ = try harness.must(.agentDisconnect(userId: "sam", contactId: chat.contactId.description))
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: chat.contactId.description))
        _ = try harness.must(
            .updateUser(
                instanceId: instance,
                userId: "sam",
                routingProfileId: nil,
                autoAccept: true,
                afterContactWorkSeconds: 30
            )
        )
        _ = try harness.must(
            .updateRoutingProfile(
                instanceId: instance,
                routingProfileId: "profile",
                chatConcurrency: 3,
                queueConfigs: nil
            )
        )
        _ = try harness.must(.updateQueue(instanceId: instance, queueId: "slow", name: "Billing", maxContacts: 5))
        _ = try harness.must(.updateAgentStatus(instanceId: instance, statusId: "break", name: "Lunch", enabled: true))
        _ = try harness.must(
            .createHoursOfOperation(
                instanceId: instance,
                hoursId: "office",
                name: "Office",
                timeZone: "UTC",
                config: []
            )
        )
        _ = try harness.must(
            .updateHoursOfOperation(
                instanceId: instance,
                hoursId: "office",
                name: "Office hours",
                timeZone: "Europe/Berlin",
                config: [HoursRange("MONDAY", 9, 0, 17, 0)]
            )
        )
        _ = try harness.must(.deleteHoursOfOperation(instanceId: instance, hoursId: "office"))
        _ = try harness.must(.agentLogout(sessionToken: token))
        _ = try harness.must(.deleteUser(instanceId: instance, userId: "bea"))
        return harness
    }

    /// Writes the fixture; runs only with PARLEY_WRITE_FIXTURES=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PARLEY_WRITE_FIXTURES"] == "1"))
    func writeFixture() async throws {
        try await LogFixture.write(try Self.scenario(), to: Self.fixture)
    }

    @Test func everyRecordOfTheRoutingFixtureDecodes() throws {
        try LogFixture.check(Self.fixture, frozen: Set(0x0140...0x0150))
        let state = try Engine<ChatMachine>.replay(dataDirectory: Self.fixture).state
        #expect(state.users.keys.sorted() == ["sam"])
        #expect(state.agents["sam"]?.statusType == .offline)
        #expect(state.agentDesk.sessions.isEmpty)
        #expect(state.agentDesk.credentials["sam"] != nil)
        #expect(state.queues["slow"]?.name == "Billing")
        #expect(state.hoursOfOperations["office"] == nil)
        #expect(state.agentDesk.feeds["sam"]?.entries.map(\.state).contains("CLEARED") == true)
    }
}

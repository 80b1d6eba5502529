import Foundation
import ParleyDomain
import Testing

/// Passwords, login sessions, the agent feed, agent actions by contact id, missed slots and queue-delay deadlines.
@Suite struct AgentDeskTests {
    static let instance = ChatHarness.instanceId
    /// Few rounds: the tests check the mechanism, not the cost.
    static let rounds: Int64 = 1_000
    static let salt: [UInt8] = Array("parley-test-salt".utf8)

    static func credential(_ password: String = "Sam-Secret-1") throws -> PasswordCredential {
        try PasswordCredential.derive(password: password, salt: salt, rounds: rounds)
    }

    /// The routing set-up with a password for sam and an OFFLINE status; returns sam's session token.
    static func loggedIn() throws -> (ChatHarness, String) {
        var harness = try RoutingTests.setUp()
        _ = try harness.must(
            .createAgentStatus(
                instanceId: instance,
                statusId: "offline",
                name: "Offline",
                type: "OFFLINE",
                enabled: true
            )
        )
        let credential = try credential()
        _ = try harness.must(.setUserCredential(instanceId: instance, userId: "sam", credential: credential))
        guard
            case .agentSession(let userId, let token) = try harness.must(
                .agentLogin(instanceId: instance, userId: "sam", verified: credential)
            )
        else { throw HarnessError("no session") }
        #expect(userId == "sam")
        return (harness, token)
    }

    static func feed(_ harness: ChatHarness, _ user: String = "sam") -> [String] {
        (harness.state.agentDesk.feeds[user]?.entries ?? []).map { entry in
            [entry.kind.description, entry.state, entry.reason].compactMap { $0 }.joined(separator: " ")
        }
    }

    @Test func passwordsFollowThePolicyAndOnlyTheRightOneMatches() throws {
        for bad in ["Short1", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere", String(repeating: "Aa1", count: 22)] {
            #expect(throws: ChatError.self, "\(bad)") { try Self.credential(bad) }
        }
        let credential = try Self.credential()
        #expect(credential.digest.count == 32)
        #expect(credential.matches("Sam-Secret-1"))
        #expect(!credential.matches("Sam-Secret-2"))
        #expect(!credential.matches(""))
        let other = try PasswordCredential.derive(
            password: "Sam-Secret-1",
            salt: Array("another-salt-000".utf8),
            rounds: 1_000
        )
        #expect(other.digest != credential.digest, "the salt changes the digest")
    }

    @Test func loginRecordsOnlyTheTokensDigestAndLogoutGoesOffline() throws {
        var (harness, token) = try Self.loggedIn()
        #expect(ChatQueries.agentUser(sessionToken: token, in: harness.state) == "sam")
        #expect(ChatQueries.agentUser(sessionToken: token + "x", in: harness.state) == nil)
        let recorded = harness.log.map { "\($0.event)" }.joined()
        #expect(!recorded.contains(token), "the log keeps the token's digest, not the token")
        #expect(recorded.contains(AgentDesk.digest(ofToken: token)))
        // A password changed since the caller checked it refuses the login.
        let stale = try Self.credential("Old-Password-9")
        harness.expectRejected(
            .agentLogin(instanceId: Self.instance, userId: "sam", verified: stale),
            "UnauthorizedException",
            401
        )
        harness.expectRejected(.agentLogout(sessionToken: "nope"), "UnauthorizedException", 401)
        try RoutingTests.available("sam", &harness)
        _ = try harness.must(.agentLogout(sessionToken: token))
        #expect(ChatQueries.agentUser(sessionToken: token, in: harness.state) == nil)
        #expect(harness.state.agents["sam"]?.statusType == .offline, "the last session ending sets OFFLINE")
        #expect(Self.feed(harness) == ["SESSION LOGGED_IN", "STATUS ROUTABLE", "SESSION LOGGED_OUT", "STATUS OFFLINE"])
        #expect(try harness.replayMatches())
    }

    @Test func theFeedFollowsAnOfferThroughTheConversationToAfterContactWork() throws {
        var (harness, token) = try Self.loggedIn()
        try RoutingTests.available("sam", &harness)
        let (chat, _) = try harness.startConnectedChat()
        _ = try harness.must(.acceptContact(userId: "sam", contactId: chat.contactId.description))
        let connected = try #require(harness.state.agentDesk.feeds["sam"]?.entries.last)
        #expect(connected.state == "CONNECTED")
        let participantToken = try #require(connected.participantToken, "the agent gets its participant token")
        let agent = try harness.connect(participantToken).connectionToken!
        try harness.send(agent, "Hello from Sam")
        harness.expectRejected(.agentLogout(sessionToken: token), "InvalidRequestException", 400)
        harness.expectRejected(
            .agentDisconnect(userId: "bea", contactId: chat.contactId.description),
            "AccessDeniedException",
            403
        )
        _ = try harness.must(.agentDisconnect(userId: "sam", contactId: chat.contactId.description))
        #expect(RoutingTests.slots(harness, "sam") == [chat.contactId: .afterContactWork])
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: chat.contactId.description))
        #expect(
            Self.feed(harness) == [
                "SESSION LOGGED_IN", "STATUS ROUTABLE", "CONTACT CONNECTING", "CONTACT CONNECTED", "CONTACT ENDED",
                "CONTACT CLEARED",
            ]
        )
        let sequences = harness.state.agentDesk.feeds["sam"]!.entries.map(\.sequence)
        #expect(sequences == Array(1...6))
        #expect(harness.state.agentDesk.feeds["sam"]!.entries(after: 4).map(\.state) == ["ENDED", "CLEARED"])
        #expect(try harness.replayMatches())
    }

    @Test func missedAndRejectedSlotsStayUntilTheAgentSetsAStatus() throws {
        var (harness, _) = try Self.loggedIn()
        try RoutingTests.available("sam", &harness)
        let first = try harness.startChat()
        harness.now = try #require(
            harness.state.timers[TimerKey(.offer, chat: first.contactId, participant: first.contactId)]
        )
        harness.fireTimers()
        #expect(RoutingTests.slots(harness, "sam") == [first.contactId: .missed], "the missed contact keeps its slot")
        #expect(try harness.contact(first.contactId).queued != nil, "and waits in its queue again")
        try RoutingTests.available("sam", &harness)
        #expect(harness.state.agents["sam"]?.errorSince == nil)
        #expect(RoutingTests.slots(harness, "sam") == [first.contactId: .offered], "freed, then offered again")
        _ = try harness.must(.rejectContact(userId: "sam", contactId: first.contactId.description))
        #expect(RoutingTests.slots(harness, "sam") == [first.contactId: .rejected])
        #expect(
            Self.feed(harness).suffix(4) == [
                "CONTACT CONNECTING", "CONTACT MISSED AGENT_NON_RESPONSE", "STATUS ROUTABLE", "CONTACT CONNECTING",
            ].suffix(3) + ["CONTACT REJECTED AGENT_REJECTED"]
        )
        // The customer leaves while it rings for bea: the offer ends as REJECTED (customer abandoned).
        _ = try harness.must(
            .updateUser(
                instanceId: Self.instance,
                userId: "bea",
                routingProfileId: nil,
                autoAccept: false,
                afterContactWorkSeconds: nil
            )
        )
        try RoutingTests.available("bea", &harness)
        #expect(try harness.contact(first.contactId).offeredTo == "bea")
        _ = try harness.must(.stopContact(instanceId: Self.instance, contactId: first.contactId.description))
        #expect(Self.feed(harness, "bea").last == "CONTACT REJECTED CUSTOMER_ABANDONED")
        #expect(RoutingTests.slots(harness, "bea").isEmpty)
        #expect(try harness.replayMatches())
    }

    @Test func anAgentTransfersToAQueueAndTheNextAgentIsOffered() throws {
        var (harness, _) = try Self.loggedIn()
        try RoutingTests.available("sam", &harness)
        let (chat, customer) = try harness.startConnectedChat()
        _ = try harness.must(.acceptContact(userId: "sam", contactId: chat.contactId.description))
        try harness.send(customer, "I need billing")
        // Sam goes on break (keeping the chat), so the transferred segment is not offered back to him.
        _ = try harness.must(.setAgentStatus(instanceId: Self.instance, userId: "sam", statusId: "break"))
        harness.expectRejected(
            .agentTransfer(
                userId: "sam",
                contactId: chat.contactId.description,
                queueId: nil,
                agentId: nil,
                flowId: nil
            ),
            "InvalidParameterException",
            400
        )
        _ = try harness.must(
            .agentTransfer(
                userId: "sam",
                contactId: chat.contactId.description,
                queueId: ChatHarness.queueId,
                agentId: nil,
                flowId: nil
            )
        )
        let segment = try harness.chat(chat.contactId).currentContactId
        #expect(segment != chat.contactId)
        #expect(try harness.contact(segment).initiationMethod == .transfer)
        #expect(RoutingTests.slots(harness, "sam") == [chat.contactId: .afterContactWork])
        try RoutingTests.available("bea", &harness)
        #expect(try harness.contact(segment).agentId == "bea", "bea (auto-accept) takes the transferred segment")
        let items = try harness.chat(chat.contactId).items.map(\.contentType)
        #expect(items.contains(ContentTypes.transferSucceeded))
        #expect(try harness.replayMatches())
    }

    @Test func aQueueDelayIsADeadlineThatOffersTheContactWhenItPasses() throws {
        var harness = try RoutingTests.setUp(concurrency: 1)
        try RoutingTests.createSlowFlow(&harness)
        try RoutingTests.available("sam", &harness)
        let slow = try harness.startChat(ChatHarness.request { $0.contactFlowId = "slow-flow" })
        let key = TimerKey(.queueDelay, chat: slow.contactId, participant: slow.contactId)
        let deadline = try #require(harness.state.timers[key], "a deadline at the end of the 30 s delay")
        let queuedAt = try #require(try harness.contact(slow.contactId).queued?.since)
        #expect(deadline == queuedAt + 30 * Duration.second)
        #expect(try harness.contact(slow.contactId).offeredTo == nil)
        harness.now = deadline
        #expect(harness.fireTimers() == 1, "nothing but the deadline happens")
        #expect(try harness.contact(slow.contactId).offeredTo == "sam")
        #expect(harness.state.timers[key] == nil)
        // Replay re-applies the offer; it does not decide it again.
        #expect(try harness.replayMatches())
    }

    @Test func aQueueDelayThatNoLongerAppliesIsWithdrawnWhenTheProfileChanges() throws {
        var harness = try RoutingTests.setUp(concurrency: 1)
        try RoutingTests.createSlowFlow(&harness)
        // Sam is busy with the one chat its profile allows, so routing runs but offers nothing.
        try RoutingTests.available("sam", &harness)
        let busy = try harness.startChat()
        #expect(try harness.contact(busy.contactId).offeredTo == "sam")
        let slow = try harness.startChat(ChatHarness.request { $0.contactFlowId = "slow-flow" })
        let key = TimerKey(.queueDelay, chat: slow.contactId, participant: slow.contactId)
        #expect(harness.state.timers[key] != nil)
        #expect(harness.state.deadlines.queueDelayCount == 1)
        // The profile no longer takes the slow queue: its delay no longer applies, and the deadline goes.
        _ = try harness.must(RoutingTests.firstQueueOnly)
        #expect(harness.state.timers[key] == nil, "the stale queue delay was withdrawn")
        #expect(harness.state.deadlines.queueDelayCount == 0)
        #expect(try harness.contact(slow.contactId).queued?.queueId == "slow", "the contact still waits")
        #expect(try harness.replayMatches())
    }

    @Test func routingPassesOverManyWaitingContactsOfferNothingUntilAnAgentIsFree() throws {
        // No agent is free: every chat start routes, and each pass must find nothing to offer and no deadline to
        // arm or withdraw, however many contacts wait (each pass once copied every waiting contact's record).
        var harness = try RoutingTests.setUp(concurrency: 1)
        _ = try harness.must(.setAgentStatus(instanceId: Self.instance, userId: "sam", statusId: "break"))
        var started: [Identifier] = []
        for _ in 0..<400 { started.append(try harness.startChat().contactId) }
        #expect(harness.state.waiting.count == 400)
        #expect(harness.state.deadlines.queueDelayCount == 0)
        #expect(try started.allSatisfy { try harness.contact($0).offeredTo == nil })
        // Sam becomes available and takes one of them (its profile allows one chat).
        try RoutingTests.available("sam", &harness)
        #expect(try started.filter { try harness.contact($0).offeredTo == "sam" }.count == 1)
        #expect(try harness.replayMatches())
    }
}

/// Update and delete for queues, routing profiles, agent statuses and hours of operation.
@Suite struct ResourceChangeTests {
    static let instance = ChatHarness.instanceId

    @Test func queuesAreRenamedResizedAndDeletedWhenUnused() throws {
        var harness = try RoutingTests.setUp()
        _ = try harness.must(.updateQueue(instanceId: Self.instance, queueId: "slow", name: "Billing", maxContacts: 3))
        #expect(harness.state.queues["slow"]?.name == "Billing")
        #expect(harness.state.queues["slow"]?.maxContacts == 3)
        _ = try harness.mustWriteNothing(
            .updateQueue(instanceId: Self.instance, queueId: "slow", name: "Billing", maxContacts: nil)
        )
        harness.expectRejected(
            .updateQueue(instanceId: Self.instance, queueId: "slow", name: "Harness", maxContacts: nil),
            "DuplicateResourceException",
            409
        )
        harness.expectRejected(
            .updateQueue(instanceId: Self.instance, queueId: "slow", name: nil, maxContacts: -1),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(.deleteQueue(instanceId: Self.instance, queueId: "slow"), "ResourceInUseException", 409)
        _ = try harness.must(RoutingTests.firstQueueOnly)
        _ = try harness.must(.deleteQueue(instanceId: Self.instance, queueId: "slow"))
        #expect(harness.state.queues["slow"] == nil)
        harness.expectRejected(
            .deleteQueue(instanceId: Self.instance, queueId: "slow"),
            "ResourceNotFoundException",
            404
        )
        #expect(try harness.replayMatches())
    }

    @Test func aQueueWithWaitingContactsIsNotDeleted() throws {
        var harness = ChatHarness()
        _ = try harness.startChat()
        harness.expectRejected(
            .deleteQueue(instanceId: Self.instance, queueId: ChatHarness.queueId),
            "ResourceInUseException",
            409
        )
    }

    @Test func routingProfilesInUseAreNotDeleted() throws {
        var harness = try RoutingTests.setUp()
        harness.expectRejected(
            .deleteRoutingProfile(instanceId: Self.instance, routingProfileId: "profile"),
            "ResourceInUseException",
            409
        )
        for user in ["sam", "bea"] { _ = try harness.must(.deleteUser(instanceId: Self.instance, userId: user)) }
        _ = try harness.must(.deleteRoutingProfile(instanceId: Self.instance, routingProfileId: "profile"))
        #expect(harness.state.routingProfiles.isEmpty)
        #expect(try harness.replayMatches())
    }

    @Test func agentStatusesAreRenamedAndDisabled() throws {
        var harness = try RoutingTests.setUp()
        _ = try harness.must(
            .updateAgentStatus(instanceId: Self.instance, statusId: "break", name: "Lunch", enabled: false)
        )
        #expect(harness.state.agentStatuses["break"]?.name == "Lunch")
        harness.expectRejected(
            .setAgentStatus(instanceId: Self.instance, userId: "sam", statusId: "break"),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .updateAgentStatus(instanceId: Self.instance, statusId: "available", name: nil, enabled: false),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            .updateAgentStatus(instanceId: Self.instance, statusId: "break", name: "Available", enabled: nil),
            "DuplicateResourceException",
            409
        )
        harness.expectRejected(
            .updateAgentStatus(instanceId: Self.instance, statusId: "nope", name: "X", enabled: nil),
            "ResourceNotFoundException",
            404
        )
        #expect(try harness.replayMatches())
    }

    @Test func hoursOfOperationAreUpdatedAndDeletedWhenUnused() throws {
        var harness = ChatHarness()
        let range = HoursRange(
            day: "MONDAY",
            startTime: HoursTime(hours: 9, minutes: 0),
            endTime: HoursTime(hours: 17, minutes: 0)
        )
        _ = try harness.must(
            .createHoursOfOperation(
                instanceId: Self.instance,
                hoursId: "office",
                name: "Office",
                timeZone: "Europe/Paris",
                config: [range]
            )
        )
        _ = try harness.must(
            .updateHoursOfOperation(
                instanceId: Self.instance,
                hoursId: "office",
                name: nil,
                timeZone: "America/New_York",
                config: nil
            )
        )
        #expect(harness.state.hoursOfOperations["office"]?.timeZone == "America/New_York")
        #expect(harness.state.hoursOfOperations["office"]?.config == [range])
        harness.expectRejected(
            .updateHoursOfOperation(
                instanceId: Self.instance,
                hoursId: "office",
                name: nil,
                timeZone: "Mars/Olympus",
                config: nil
            ),
            "InvalidParameterException",
            400
        )
        _ = try harness.must(
            .updateQueueHoursOfOperation(instanceId: Self.instance, queueId: ChatHarness.queueId, hoursId: "office")
        )
        harness.expectRejected(
            .deleteHoursOfOperation(instanceId: Self.instance, hoursId: "office"),
            "ResourceInUseException",
            409
        )
        _ = try harness.must(
            .createHoursOfOperation(
                instanceId: Self.instance,
                hoursId: "always",
                name: "Always",
                timeZone: "UTC",
                config: []
            )
        )
        _ = try harness.must(
            .updateQueueHoursOfOperation(instanceId: Self.instance, queueId: ChatHarness.queueId, hoursId: "always")
        )
        _ = try harness.must(.deleteHoursOfOperation(instanceId: Self.instance, hoursId: "office"))
        #expect(harness.state.hoursOfOperations["office"] == nil)
        #expect(try harness.replayMatches())
    }
}

import ParleyDomain
import Testing

/// Routing profiles, users and agent statuses as validated resources (connect-chat.md §6).
@Suite struct RoutingResourceTests {
    static let instance = ChatHarness.instanceId

    static func profile(
        _ name: String = "Support agents",
        concurrency: Int64 = 3,
        queues: [RoutingQueueConfig] = [RoutingQueueConfig(queueId: ChatHarness.queueId, priority: 1, delaySeconds: 0)],
        outbound: String = ChatHarness.queueId,
        id: String? = "support-profile"
    ) -> ChatCommand {
        .createRoutingProfile(
            instanceId: instance,
            routingProfileId: id,
            name: name,
            chatConcurrency: concurrency,
            routeAnyChannel: false,
            queueConfigs: queues,
            defaultOutboundQueueId: outbound
        )
    }

    @Test func descriptionsAreKeptChangedClearedAndDroppedWithTheirResource() throws {
        var harness = ChatHarness()
        _ = try harness.must(.createQueue(instanceId: Self.instance, queueId: "sales", name: "Sales", maxContacts: 0))
        let describe: (String) -> ChatCommand = {
            .setResourceDescription(instanceId: Self.instance, kind: .queue, resourceId: "sales", text: $0)
        }
        #expect(try harness.must(describe("Leads and orders")) == .done)
        #expect(harness.state.descriptions["queue/sales"] == "Leads and orders")
        let events = harness.state.eventCount
        _ = try harness.must(describe("Leads and orders"))
        #expect(harness.state.eventCount == events, "the same description again writes nothing")
        _ = try harness.must(describe(""))
        #expect(harness.state.descriptions["queue/sales"] == nil)
        _ = try harness.must(describe("Orders"))
        harness.expectRejected(describe(String(repeating: "x", count: 251)), "InvalidParameterException", 400)
        harness.expectRejected(
            .setResourceDescription(instanceId: Self.instance, kind: .routingProfile, resourceId: "sales", text: "x"),
            "ResourceNotFoundException",
            404
        )
        _ = try harness.must(.deleteQueue(instanceId: Self.instance, queueId: "sales"))
        #expect(harness.state.descriptions.isEmpty, "a deleted resource takes its description along")
        #expect(try harness.replayMatches())
    }

    @Test func aProfileAUserAndStatusesAreRecorded() throws {
        var harness = ChatHarness()
        #expect(try harness.must(Self.profile()) == .resourceCreated(id: "support-profile"))
        let user = try harness.must(
            .createUser(
                instanceId: Self.instance,
                userId: "agent-sam",
                username: "sam",
                routingProfileId: "support-profile",
                autoAccept: true,
                afterContactWorkSeconds: 120
            )
        )
        #expect(user == .resourceCreated(id: "agent-sam"))
        _ = try harness.must(
            .createAgentStatus(
                instanceId: Self.instance,
                statusId: "available",
                name: "Available",
                type: "ROUTABLE",
                enabled: true
            )
        )
        _ = try harness.must(
            .createAgentStatus(instanceId: Self.instance, statusId: nil, name: "Break", type: "CUSTOM", enabled: true)
        )
        _ = try harness.must(
            .createAgentStatus(
                instanceId: Self.instance,
                statusId: "offline",
                name: "Offline",
                type: "OFFLINE",
                enabled: true
            )
        )
        #expect(harness.state.routingProfiles["support-profile"]?.chatConcurrency == 3)
        #expect(harness.state.users["agent-sam"]?.afterContactWorkSeconds == 120)
        #expect(harness.state.agentStatuses.count == 3)
        #expect(try harness.replayMatches())
    }

    @Test(arguments: [(0, false), (1, true), (10, true), (11, false)] as [(Int64, Bool)])
    func chatConcurrencyIsOneToTen(concurrency: Int64, accepted: Bool) throws {
        var harness = ChatHarness()
        if accepted {
            _ = try harness.must(Self.profile(concurrency: concurrency))
        } else {
            harness.expectRejected(Self.profile(concurrency: concurrency), "InvalidParameterException", 400)
        }
    }

    @Test func queueConfigsAreChecked() throws {
        var harness = ChatHarness()
        let queue = ChatHarness.queueId
        harness.expectRejected(
            Self.profile(queues: [RoutingQueueConfig(queueId: queue, priority: 0, delaySeconds: 0)]),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            Self.profile(queues: [RoutingQueueConfig(queueId: queue, priority: 100, delaySeconds: 0)]),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            Self.profile(queues: [RoutingQueueConfig(queueId: queue, priority: 1, delaySeconds: 10_000)]),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            Self.profile(queues: [RoutingQueueConfig(queueId: "nope", priority: 1, delaySeconds: 0)]),
            "ResourceNotFoundException",
            404
        )
        harness.expectRejected(
            Self.profile(
                queues: Array(repeating: RoutingQueueConfig(queueId: queue, priority: 1, delaySeconds: 0), count: 2)
            ),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(Self.profile(outbound: "nope"), "ResourceNotFoundException", 404)
        harness.expectRejected(Self.profile(""), "InvalidParameterException", 400)
        _ = try harness.must(
            Self.profile(queues: [
                RoutingQueueConfig(
                    queueId: "arn:aws:connect:x:1:instance/y/queue/\(queue)",
                    priority: 99,
                    delaySeconds: 9_999
                )
            ])
        )
        harness.expectRejected(Self.profile(id: "another"), "DuplicateResourceException", 409)
        #expect(try harness.replayMatches())
    }

    @Test func usersAndStatusesAreChecked() throws {
        var harness = ChatHarness()
        _ = try harness.must(Self.profile())
        func user(_ name: String, profile: String = "support-profile", acw: Int64 = 0) -> ChatCommand {
            .createUser(
                instanceId: Self.instance,
                userId: nil,
                username: name,
                routingProfileId: profile,
                autoAccept: false,
                afterContactWorkSeconds: acw
            )
        }
        harness.expectRejected(user("sam", profile: "missing"), "ResourceNotFoundException", 404)
        harness.expectRejected(user("sam", acw: 2_000_001), "InvalidParameterException", 400)
        harness.expectRejected(user(""), "InvalidParameterException", 400)
        _ = try harness.must(user("sam", acw: 2_000_000))
        harness.expectRejected(user("sam"), "DuplicateResourceException", 409)
        _ = try harness.must(
            .createAgentStatus(
                instanceId: Self.instance,
                statusId: nil,
                name: "Available",
                type: "ROUTABLE",
                enabled: true
            )
        )
        harness.expectRejected(
            .createAgentStatus(
                instanceId: Self.instance,
                statusId: nil,
                name: "Ready",
                type: "ROUTABLE",
                enabled: true
            ),
            "InvalidRequestException",
            400
        )
        harness.expectRejected(
            .createAgentStatus(instanceId: Self.instance, statusId: nil, name: "Lunch", type: "AWAY", enabled: true),
            "InvalidParameterException",
            400
        )
        for index in 0..<49 {
            _ = try harness.must(
                .createAgentStatus(
                    instanceId: Self.instance,
                    statusId: nil,
                    name: "Custom \(index)",
                    type: "CUSTOM",
                    enabled: true
                )
            )
        }
        harness.expectRejected(
            .createAgentStatus(
                instanceId: Self.instance,
                statusId: nil,
                name: "One too many",
                type: "CUSTOM",
                enabled: true
            ),
            "LimitExceededException",
            429
        )
        #expect(try harness.replayMatches())
    }
}

/// Updating, deleting, listing and describing routing resources.
@Suite struct RoutingResourceUpdateTests {
    @Test func usersAndProfilesChangeAndRoutingFollows() throws {
        var harness = try RoutingTests.setUp(concurrency: 1)
        try RoutingTests.available("sam", &harness)
        _ = try harness.startChat()
        let second = try harness.startChat()
        #expect(try harness.contact(second.contactId).offeredTo == nil, "concurrency 1: one slot")
        _ = try harness.must(
            .updateRoutingProfile(
                instanceId: RoutingTests.instance,
                routingProfileId: "profile",
                chatConcurrency: 2,
                queueConfigs: nil
            )
        )
        #expect(try harness.contact(second.contactId).offeredTo == "sam", "the new slot is offered at once")
        harness.expectRejected(
            .updateRoutingProfile(
                instanceId: RoutingTests.instance,
                routingProfileId: "profile",
                chatConcurrency: 11,
                queueConfigs: nil
            ),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(
            .updateRoutingProfile(
                instanceId: RoutingTests.instance,
                routingProfileId: "profile",
                chatConcurrency: nil,
                queueConfigs: [RoutingQueueConfig(queueId: "nope", priority: 1, delaySeconds: 0)]
            ),
            "ResourceNotFoundException",
            404
        )
        _ = try harness.must(
            .updateRoutingProfile(
                instanceId: RoutingTests.instance,
                routingProfileId: "profile",
                chatConcurrency: nil,
                queueConfigs: [RoutingQueueConfig(queueId: "slow", priority: 1, delaySeconds: 0)]
            )
        )
        #expect(harness.state.routingProfiles["profile"]?.queues.map(\.queueId) == ["slow"])
        _ = try harness.must(
            .updateUser(
                instanceId: RoutingTests.instance,
                userId: "bea",
                routingProfileId: nil,
                autoAccept: false,
                afterContactWorkSeconds: 30
            )
        )
        #expect(harness.state.users["bea"]?.autoAccept == false)
        #expect(harness.state.users["bea"]?.afterContactWorkSeconds == 30)
        harness.expectRejected(
            .deleteUser(instanceId: RoutingTests.instance, userId: "sam"),
            "InvalidRequestException",
            400
        )
        _ = try harness.must(.deleteUser(instanceId: RoutingTests.instance, userId: "bea"))
        #expect(ChatQueries.listUsers(in: harness.state).map(\.userId) == ["sam"])
        #expect(throws: ChatError.self) { try ChatQueries.describeUser("bea", in: harness.state) }
        #expect(try ChatQueries.describeRoutingProfile("profile", in: harness.state).chatConcurrency == 2)
        #expect(ChatQueries.listQueues(in: harness.state).map(\.name) == ["Harness", "Slow"])
        #expect(ChatQueries.listAgentStatuses(in: harness.state).map(\.name) == ["Available", "Break"])
        #expect(
            try ChatQueries.describeQueue("arn:aws:connect:x:1:instance/y/queue/slow", in: harness.state).name == "Slow"
        )
        #expect(try harness.replayMatches())
    }
}

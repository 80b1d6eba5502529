import Foundation
import ParleyDomain
import Testing

/// GetCurrentMetricData (§8.1) over states built with the harness; expected values worked out by hand.
@Suite struct MetricsTests {
    static let instance = ChatHarness.instanceId
    static let queue = ChatHarness.queueId

    /// The scenario, 30 s after the last contact queued:
    ///
    /// - queues: harness-queue, slow, third, empty (no profile serves `empty`)
    /// - profiles: `profile` (concurrency 2: harness-queue + slow), `other` (1: slow), `solo` (3: third)
    /// - bea (`profile`, auto-accept, Available): chat A connected, chat B in after-contact work → both slots taken
    /// - sam (`profile`, Available): rejected chat C → error state, the REJECTED slot kept
    /// - cal (`other`): Break (custom) · dan (`profile`): Offline · eve (`solo`): Available, nothing to do
    /// - waiting: C in harness-queue (since `cQueued`, ~40 s ago), D in slow (since `dQueued`, ~30 s ago)
    struct Scenario {
        var harness: ChatHarness
        var chatC: Identifier
        var cQueued: Int64
        var dQueued: Int64
    }

    static func scenario() throws -> Scenario {
        var harness = ChatHarness()
        for (id, name) in [("slow", "Slow"), ("third", "Third"), ("empty", "Empty")] {
            _ = try harness.must(.createQueue(instanceId: instance, queueId: id, name: name, maxContacts: 0))
        }
        let profiles: [(String, Int64, [String])] = [
            ("profile", 2, [queue, "slow"]), ("other", 1, ["slow"]), ("solo", 3, ["third"]),
        ]
        for (id, concurrency, queues) in profiles {
            _ = try harness.must(
                .createRoutingProfile(
                    instanceId: instance,
                    routingProfileId: id,
                    name: id.capitalized,
                    chatConcurrency: concurrency,
                    routeAnyChannel: false,
                    queueConfigs: queues.map { RoutingQueueConfig(queueId: $0, priority: 1, delaySeconds: 0) },
                    defaultOutboundQueueId: queues[0]
                )
            )
        }
        let users: [(String, String, Bool)] = [
            ("bea", "profile", true), ("sam", "profile", false), ("cal", "other", false), ("dan", "profile", false),
            ("eve", "solo", false),
        ]
        for (id, profile, auto) in users {
            _ = try harness.must(
                .createUser(
                    instanceId: instance,
                    userId: id,
                    username: id.capitalized,
                    routingProfileId: profile,
                    autoAccept: auto,
                    afterContactWorkSeconds: 0
                )
            )
        }
        for (id, type) in [("available", "ROUTABLE"), ("break", "CUSTOM"), ("offline", "OFFLINE")] {
            _ = try harness.must(
                .createAgentStatus(instanceId: instance, statusId: id, name: id.capitalized, type: type, enabled: true)
            )
        }
        try RoutingTests.createSlowFlow(&harness)
        try status("bea", "available", &harness)
        harness.advance(Duration.second)
        _ = try harness.startConnectedChat()  // A: bea, connected
        let (_, customerB) = try harness.startConnectedChat()  // B: bea's second slot
        _ = try harness.must(.disconnectParticipant(connectionToken: customerB, clientToken: nil))  // B → ACW
        harness.advance(Duration.second)
        try status("sam", "available", &harness)
        harness.advance(Duration.second)
        let (chatC, _) = try harness.startConnectedChat()  // C: offered to sam …
        #expect(try harness.contact(chatC.contactId).offeredTo == "sam")
        _ = try harness.must(.rejectContact(userId: "sam", contactId: chatC.contactId.description))  // … rejected
        try status("cal", "break", &harness)
        try status("dan", "offline", &harness)
        try status("eve", "available", &harness)
        harness.advance(10 * Duration.second)
        let (chatD, _) = try harness.startConnectedChat(ChatHarness.request { $0.contactFlowId = "slow-flow" })
        harness.advance(30 * Duration.second)
        let cQueued = try #require(harness.state.waiting[chatC.contactId]?.since)
        let dQueued = try #require(harness.state.waiting[chatD.contactId]?.since)
        #expect(
            harness.state.agents["bea"]?.slots.values.map(\.state).sorted { $0.rawValue < $1.rawValue } == [
                .connected, .afterContactWork,
            ]
        )
        #expect(harness.state.agents["sam"]?.errorSince != nil)
        return Scenario(harness: harness, chatC: chatC.contactId, cQueued: cQueued, dQueued: dQueued)
    }

    static func status(_ user: String, _ status: String, _ harness: inout ChatHarness) throws {
        _ = try harness.must(.setAgentStatus(instanceId: instance, userId: user, statusId: status))
    }

    static let everyMetric = [
        "AGENTS_ONLINE", "AGENTS_AVAILABLE", "AGENTS_ON_CALL", "AGENTS_ON_CONTACT", "AGENTS_NON_PRODUCTIVE",
        "AGENTS_AFTER_CONTACT_WORK", "AGENTS_ERROR", "AGENTS_STAFFED", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE",
        "CONTACTS_SCHEDULED", "SLOTS_ACTIVE", "SLOTS_AVAILABLE",
    ]

    static func request(
        queues: [String],
        groupings: [String] = [],
        metrics: [String] = everyMetric,
        _ adjust: (inout GetCurrentMetricDataRequest) -> Void = { _ in }
    ) -> GetCurrentMetricDataRequest {
        var request = GetCurrentMetricDataRequest(
            filters: MetricFilters(queues: queues),
            groupings: groupings,
            currentMetrics: metrics.map { GetCurrentMetricDataRequest.CurrentMetric(name: $0) }
        )
        adjust(&request)
        return request
    }

    static func run(
        _ request: GetCurrentMetricDataRequest,
        _ harness: ChatHarness
    ) throws(ChatError)
        -> GetCurrentMetricDataResponse
    {
        try ChatQueries.getCurrentMetricData(request, instanceId: instance, in: harness.state, now: harness.now)
    }

    /// Metric name → value of one result row.
    static func values(_ result: CurrentMetricResult) -> [String: Double?] {
        Dictionary(uniqueKeysWithValues: result.collections.map { ($0.metric.name ?? "", $0.value) })
    }

    @Test func perQueueFiguresByHand() throws {
        let scenario = try Self.scenario()
        let harness = scenario.harness
        let response = try Self.run(
            Self.request(queues: [Self.queue, "slow", "third"], groupings: ["QUEUE"]),
            harness
        )
        #expect(response.metricResults.map { $0.dimensions.queue?.id } == [Self.queue, "slow", "third"])
        #expect(response.approximateTotalCount == 3)
        #expect(response.dataSnapshotTime == Double(harness.now) / 1_000_000)
        let cAge = Double((harness.now - scenario.cQueued) / Duration.second)
        let dAge = Double((harness.now - scenario.dQueued) / Duration.second)
        #expect(cAge == 40 || cAge == 39, "C waited about 40 s (event stamps add µs)")
        #expect(dAge == 30 || dAge == 29, "D waited about 30 s")
        // harness-queue: bea, sam, dan (offline) serve it.
        let first = Self.values(response.metricResults[0])
        let expectedFirst: [String: Double?] = [
            "AGENTS_ONLINE": 2, "AGENTS_AVAILABLE": 0, "AGENTS_ON_CALL": 1, "AGENTS_ON_CONTACT": 1,
            "AGENTS_NON_PRODUCTIVE": 0, "AGENTS_AFTER_CONTACT_WORK": 1, "AGENTS_ERROR": 1, "AGENTS_STAFFED": 2,
            "CONTACTS_IN_QUEUE": 1, "OLDEST_CONTACT_AGE": cAge, "CONTACTS_SCHEDULED": 0, "SLOTS_ACTIVE": 2,
            "SLOTS_AVAILABLE": 0,
        ]
        #expect(first == expectedFirst)
        // slow: the same three plus cal (Break).
        let slow = Self.values(response.metricResults[1])
        let expectedSlow: [String: Double?] = [
            "AGENTS_ONLINE": 3, "AGENTS_AVAILABLE": 0, "AGENTS_ON_CALL": 1, "AGENTS_ON_CONTACT": 1,
            "AGENTS_NON_PRODUCTIVE": 1, "AGENTS_AFTER_CONTACT_WORK": 1, "AGENTS_ERROR": 1, "AGENTS_STAFFED": 2,
            "CONTACTS_IN_QUEUE": 1, "OLDEST_CONTACT_AGE": dAge, "CONTACTS_SCHEDULED": 0, "SLOTS_ACTIVE": 2,
            "SLOTS_AVAILABLE": 0,
        ]
        #expect(slow == expectedSlow)
        // third: eve alone, Available with three free slots.
        let third = Self.values(response.metricResults[2])
        let expectedThird: [String: Double?] = [
            "AGENTS_ONLINE": 1, "AGENTS_AVAILABLE": 1, "AGENTS_ON_CALL": 0, "AGENTS_ON_CONTACT": 0,
            "AGENTS_NON_PRODUCTIVE": 0, "AGENTS_AFTER_CONTACT_WORK": 0, "AGENTS_ERROR": 0, "AGENTS_STAFFED": 1,
            "CONTACTS_IN_QUEUE": 0, "OLDEST_CONTACT_AGE": 0, "CONTACTS_SCHEDULED": 0, "SLOTS_ACTIVE": 0,
            "SLOTS_AVAILABLE": 3,
        ]
        #expect(third == expectedThird)
    }

    @Test func groupedByQueueAgreesWithTheQueueFiguresRoutingUses() throws {
        let harness = try Self.scenario().harness
        let queues = [Self.queue, "slow", "third", "empty"]
        let response = try Self.run(Self.request(queues: queues, groupings: ["QUEUE"]), harness)
        for (queueId, result) in zip(queues, response.metricResults) {
            let figures = harness.state.queueFigures(queueId, at: harness.now)
            let values = Self.values(result)
            #expect(values["AGENTS_ONLINE"] == Double(figures.agentsOnline), "\(queueId)")
            #expect(values["AGENTS_AVAILABLE"] == Double(figures.agentsAvailable), "\(queueId)")
            #expect(values["AGENTS_ON_CONTACT"] == Double(figures.agentsOnContact), "\(queueId)")
            #expect(values["AGENTS_NON_PRODUCTIVE"] == Double(figures.agentsNonProductive), "\(queueId)")
            #expect(values["AGENTS_AFTER_CONTACT_WORK"] == Double(figures.agentsAfterContactWork), "\(queueId)")
            #expect(values["AGENTS_ERROR"] == Double(figures.agentsError), "\(queueId)")
            #expect(values["AGENTS_STAFFED"] == Double(figures.agentsStaffed), "\(queueId)")
            #expect(values["CONTACTS_IN_QUEUE"] == Double(figures.contactsInQueue), "\(queueId)")
            #expect(values["SLOTS_ACTIVE"] == Double(figures.slotsActive), "\(queueId)")
            #expect(values["SLOTS_AVAILABLE"] == Double(figures.slotsAvailable), "\(queueId)")
            #expect(
                values["OLDEST_CONTACT_AGE"] == Double((figures.oldestContactAgeMilliseconds ?? 0) / 1000),
                "\(queueId)"
            )
        }
    }

    @Test func withoutGroupingsAgentsCountOnceAndTheOldestAgeIsInMilliseconds() throws {
        let scenario = try Self.scenario()
        let harness = scenario.harness
        let response = try Self.run(Self.request(queues: [Self.queue, "slow"]), harness)
        #expect(response.metricResults.count == 1)
        let result = response.metricResults[0]
        #expect(result.dimensions == MetricDimensions())
        let values = Self.values(result)
        // bea, sam, cal, dan serve one of the two queues; bea and sam serve both but count once.
        #expect(values["AGENTS_ONLINE"] == 3)
        #expect(values["AGENTS_STAFFED"] == 2)
        #expect(values["AGENTS_NON_PRODUCTIVE"] == 1)
        #expect(values["SLOTS_ACTIVE"] == 2)
        #expect(values["CONTACTS_IN_QUEUE"] == 2)
        // The quirk: the unit says SECONDS, the value is milliseconds (C is the older, ~40 s).
        #expect(result.collections.first { $0.metric.name == "OLDEST_CONTACT_AGE" }?.metric.unit == "SECONDS")
        let milliseconds = try #require(values["OLDEST_CONTACT_AGE"] ?? nil)
        #expect(milliseconds == Double((harness.now - scenario.cQueued) / 1000))
        #expect((39_990...40_000).contains(milliseconds))
    }

    @Test func groupedByRoutingProfile() throws {
        let harness = try Self.scenario().harness
        let response = try Self.run(
            Self.request(
                queues: [Self.queue, "slow"],
                groupings: ["ROUTING_PROFILE"],
                metrics: ["AGENTS_ONLINE", "AGENTS_STAFFED", "CONTACTS_IN_QUEUE"]
            ),
            harness
        )
        // `solo` serves neither queue.
        #expect(response.metricResults.map { $0.dimensions.routingProfile?.id } == ["other", "profile"])
        #expect(
            response.metricResults[0].dimensions.routingProfile?.arn
                == "arn:aws:connect:local:000000000000:instance/\(Self.instance)/routing-profile/other"
        )
        // other: cal (Break) and D, which waits in slow.
        #expect(
            Self.values(response.metricResults[0]) == ["AGENTS_ONLINE": 1, "AGENTS_STAFFED": 0, "CONTACTS_IN_QUEUE": 1]
        )
        // profile: bea, sam (dan is offline); C and D wait in its queues.
        #expect(
            Self.values(response.metricResults[1]) == ["AGENTS_ONLINE": 2, "AGENTS_STAFFED": 2, "CONTACTS_IN_QUEUE": 2]
        )
    }

    @Test func groupedByQueueAndAgentStatus() throws {
        let harness = try Self.scenario().harness
        let response = try Self.run(
            Self.request(
                queues: [Self.queue, "slow"],
                groupings: ["QUEUE", "AGENT_STATUS"],
                metrics: ["AGENTS_ONLINE"]
            ),
            harness
        )
        let rows = response.metricResults.map { result in
            "\(result.dimensions.queue?.id ?? "")/\(result.dimensions.agentStatus?.id ?? "")=\(Self.values(result)["AGENTS_ONLINE"]! ?? -1)"
        }
        #expect(rows == ["\(Self.queue)/available=2.0", "slow/available=2.0", "slow/break=1.0"])
    }

    @Test func groupedByQueueAndChannel() throws {
        let harness = try Self.scenario().harness
        let response = try Self.run(
            Self.request(queues: ["third"], groupings: ["QUEUE", "CHANNEL"], metrics: ["AGENTS_AVAILABLE"]),
            harness
        )
        #expect(response.metricResults.count == 1)
        #expect(response.metricResults[0].dimensions.channel == "CHAT")
        #expect(response.metricResults[0].dimensions.queue?.id == "third")
    }

    @Test func filtersNarrowTheAgentsAndContacts() throws {
        let harness = try Self.scenario().harness
        let metrics = ["AGENTS_ONLINE", "CONTACTS_IN_QUEUE"]
        // Only the `other` profile: cal, and D (slow is one of its queues); C's queue is not.
        let byProfile = try Self.run(
            Self.request(queues: [Self.queue, "slow"], metrics: metrics) { $0.filters?.routingProfiles = ["other"] },
            harness
        )
        #expect(Self.values(byProfile.metricResults[0]) == ["AGENTS_ONLINE": 1, "CONTACTS_IN_QUEUE": 1])
        // Only agents in Break.
        let byStatus = try Self.run(
            Self.request(queues: ["slow"], metrics: metrics) { $0.filters?.agentStatuses = ["break"] },
            harness
        )
        #expect(Self.values(byStatus.metricResults[0])["AGENTS_ONLINE"] == 1)
        // ARNs work as references.
        let byArn = try Self.run(
            Self.request(queues: [ConnectARN.queue(Self.instance, "third")], metrics: ["AGENTS_AVAILABLE"]),
            harness
        )
        #expect(Self.values(byArn.metricResults[0]) == ["AGENTS_AVAILABLE": 1])
        // Parley has only CHAT: another channel has no data.
        let voice = try Self.run(
            Self.request(queues: [Self.queue], metrics: metrics) { $0.filters?.channels = ["VOICE"] },
            harness
        )
        #expect(voice.metricResults.isEmpty)
        let chat = try Self.run(
            Self.request(queues: [Self.queue], metrics: metrics) { $0.filters?.channels = ["VOICE", "CHAT"] },
            harness
        )
        #expect(chat.metricResults.count == 1)
    }

    @Test func agentQueuesAreQueues() throws {
        let harness = try Self.scenario().harness
        let response = try Self.run(
            Self.request(
                queues: ["agent/eve", "agent/sam"],
                groupings: ["QUEUE"],
                metrics: ["AGENTS_ONLINE", "AGENTS_ERROR"]
            ),
            harness
        )
        #expect(response.metricResults.map { $0.dimensions.queue?.id } == ["agent/eve", "agent/sam"])
        #expect(Self.values(response.metricResults[1]) == ["AGENTS_ONLINE": 1, "AGENTS_ERROR": 1])
    }

    @Test func estimatedWaitTimeIsTheHeadOfLineDelay() throws {
        let scenario = try Self.scenario()
        let harness = scenario.harness
        let response = try Self.run(
            Self.request(
                queues: [Self.queue, "third", "empty"],
                groupings: ["QUEUE"],
                metrics: ["ESTIMATED_WAIT_TIME"]
            ),
            harness
        )
        let waits = response.metricResults.map { Self.values($0)["ESTIMATED_WAIT_TIME"] ?? nil }
        // harness-queue: staffed, C waits ~40 s; third: staffed, nobody waits; empty: no agent at all → null.
        #expect(waits == [Double((harness.now - scenario.cQueued) / Duration.second), 0, nil])
        let encoded = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        #expect(encoded.contains("\"Value\":null"))
    }

    @Test func sortingAndPaging() throws {
        let harness = try Self.scenario().harness
        var request = Self.request(
            queues: [Self.queue, "slow", "third"],
            groupings: ["QUEUE"],
            metrics: ["AGENTS_ONLINE"]
        ) { request in
            request.sortCriteria = [.init(sortByMetric: "AGENTS_ONLINE", sortOrder: "DESCENDING")]
            request.maxResults = 2
        }
        let first = try Self.run(request, harness)
        #expect(first.metricResults.map { $0.dimensions.queue?.id } == ["slow", Self.queue])
        #expect(first.approximateTotalCount == 3)
        let token = try #require(first.nextToken)
        request.nextToken = token
        let second = try Self.run(request, harness)
        #expect(second.metricResults.map { $0.dimensions.queue?.id } == ["third"])
        #expect(second.nextToken == nil)
    }

    @Test func theRequestDecodesFromAmazonsJSON() throws {
        let body = """
            {"Filters": {"Queues": ["\(Self.queue)"], "Channels": ["CHAT"]},
             "Groupings": ["QUEUE"],
             "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}, {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}],
             "MaxResults": 10}
            """
        let request = try JSONDecoder().decode(GetCurrentMetricDataRequest.self, from: Data(body.utf8))
        #expect(request.filters?.queues == [Self.queue])
        #expect(request.currentMetrics?.map(\.name) == ["AGENTS_ONLINE", "OLDEST_CONTACT_AGE"])
        let harness = try Self.scenario().harness
        let response = try Self.run(request, harness)
        let json = try #require(
            JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? [String: Any]
        )
        let results = try #require(json["MetricResults"] as? [[String: Any]])
        let dimensions = try #require(results[0]["Dimensions"] as? [String: Any])
        let queue = try #require(dimensions["Queue"] as? [String: Any])
        #expect(queue["Id"] as? String == Self.queue)
        #expect(queue["Arn"] as? String == ConnectARN.queue(Self.instance, Self.queue))
        let collections = try #require(results[0]["Collections"] as? [[String: Any]])
        let metric = try #require(collections[0]["Metric"] as? [String: Any])
        #expect(metric["Name"] as? String == "AGENTS_ONLINE")
        #expect(metric["Unit"] as? String == "COUNT")
        #expect(collections[0]["Value"] as? Double == 2)
        #expect(json["DataSnapshotTime"] is Double)
    }

    @Test func badRequestsAreRefusedWithTypedErrors() throws {
        let harness = try Self.scenario().harness
        func refused(
            _ request: GetCurrentMetricDataRequest,
            _ code: ChatError.Code = .invalidParameter,
            instance: String = Self.instance,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
                try ChatQueries.getCurrentMetricData(request, instanceId: instance, in: harness.state, now: harness.now)
            }
            #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        }
        refused(Self.request(queues: [Self.queue]), .resourceNotFound, instance: "nope")
        refused(Self.request(queues: []))
        refused(Self.request(queues: [Self.queue]) { $0.filters = nil })
        refused(Self.request(queues: Array(repeating: Self.queue, count: 101)))
        refused(Self.request(queues: ["no-such-queue"]), .resourceNotFound)
        refused(Self.request(queues: ["agent/nobody"]), .resourceNotFound)
        refused(Self.request(queues: [Self.queue], metrics: []))
        refused(Self.request(queues: [Self.queue], metrics: ["AGENTS_BORED"]))
        refused(
            Self.request(queues: [Self.queue]) { $0.currentMetrics = [.init(name: "AGENTS_ONLINE", unit: "SECONDS")] }
        )
        refused(Self.request(queues: [Self.queue]) { $0.currentMetrics = [.init(metricId: "arn:metric")] })
        refused(Self.request(queues: [Self.queue], groupings: ["QUEUE", "CHANNEL", "ROUTING_PROFILE"]))
        refused(Self.request(queues: [Self.queue], groupings: ["QUEUE", "QUEUE"]))
        refused(Self.request(queues: [Self.queue], groupings: ["SUBTYPE"]))
        refused(Self.request(queues: [Self.queue], groupings: ["AGENT_STATUS"], metrics: ["AGENTS_ONLINE"]))
        refused(Self.request(queues: [Self.queue], groupings: ["QUEUE", "AGENT_STATUS"], metrics: ["AGENTS_ERROR"]))
        refused(Self.request(queues: [Self.queue], metrics: ["ESTIMATED_WAIT_TIME"]))
        refused(Self.request(queues: [Self.queue]) { $0.filters?.channels = ["FAX"] })
        refused(Self.request(queues: [Self.queue]) { $0.filters?.routingProfiles = ["no-profile"] }, .resourceNotFound)
        refused(Self.request(queues: [Self.queue]) { $0.filters?.agentStatuses = ["no-status"] }, .resourceNotFound)
        refused(Self.request(queues: [Self.queue]) { $0.filters?.routingStepExpressions = ["x"] })
        refused(Self.request(queues: [Self.queue]) { $0.maxResults = 0 })
        refused(Self.request(queues: [Self.queue]) { $0.maxResults = 101 })
        refused(Self.request(queues: [Self.queue]) { $0.nextToken = "garbage" })
        refused(Self.request(queues: [Self.queue]) { $0.sortCriteria = [.init(sortByMetric: "SLOTS_ACTIVE")] })
        refused(
            Self.request(queues: [Self.queue]) {
                $0.sortCriteria = [.init(sortByMetric: "AGENTS_ONLINE", sortOrder: "SIDEWAYS")]
            }
        )
    }
}

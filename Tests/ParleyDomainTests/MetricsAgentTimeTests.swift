import Foundation
import ParleyDomain
import Testing

/// Agent time, occupancy and offers, folded from the agent events of harness logs; expected values by hand.
@Suite struct MetricsAgentTimeTests {
    static let instance = ChatHarness.instanceId
    static let t0 = instant("2026-11-20T10:00:00Z")
    static let second = Duration.second

    /// Queue harness-queue; profiles `profile` and `other` (both serve it); sam (manual accept, ACW until cleared).
    static func setUp() throws -> ChatHarness {
        var harness = ChatHarness(start: t0)
        for id in ["profile", "other"] {
            _ = try harness.must(
                .createRoutingProfile(
                    instanceId: instance,
                    routingProfileId: id,
                    name: id.capitalized,
                    chatConcurrency: 2,
                    routeAnyChannel: false,
                    queueConfigs: [RoutingQueueConfig(queueId: ChatHarness.queueId, priority: 1, delaySeconds: 0)],
                    defaultOutboundQueueId: ChatHarness.queueId
                )
            )
        }
        _ = try harness.must(
            .createUser(
                instanceId: instance,
                userId: "sam",
                username: "Sam",
                routingProfileId: "profile",
                autoAccept: false,
                afterContactWorkSeconds: 0
            )
        )
        for (id, type) in [("available", "ROUTABLE"), ("break", "CUSTOM")] {
            _ = try harness.must(
                .createAgentStatus(instanceId: instance, statusId: id, name: id.capitalized, type: type, enabled: true)
            )
        }
        return harness
    }

    static func at(_ seconds: Int64, _ harness: inout ChatHarness) { harness.now = t0 + seconds * second }

    static func status(_ status: String, _ harness: inout ChatHarness) throws {
        _ = try harness.must(.setAgentStatus(instanceId: instance, userId: "sam", statusId: status))
    }

    /// Folds a harness log into a projection the way the engine does (the state after each event beside it).
    static func fold<P: HistoricalMetricsProjection>(
        _ log: [(timestamp: Int64, event: ChatEvent)],
        into projection: inout P
    ) {
        var state = ChatState()
        for (timestamp, event) in log {
            ChatMachine.apply(event, at: timestamp, to: &state)
            projection.apply(event, at: timestamp, state: state)
        }
    }

    /// sam: Available at 60, offered a chat at 120, accepts at 130, the customer leaves at 190 (ACW), cleared at
    /// 220, Break at 300, Available at 400, moved to the `other` profile at 500; the query runs at 1000.
    static func workday() throws -> ChatHarness {
        var harness = try setUp()
        at(60, &harness)
        try status("available", &harness)
        at(120, &harness)
        let (chat, customer) = try harness.startConnectedChat()
        #expect(try harness.contact(chat.contactId).offeredTo == "sam")
        at(130, &harness)
        guard
            case .participantJoined(_, let token) = try harness.must(
                .acceptContact(userId: "sam", contactId: chat.contactId.description)
            )
        else { throw HarnessError("no join") }
        _ = try harness.connect(token)
        at(190, &harness)
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        at(220, &harness)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: chat.contactId.description))
        at(300, &harness)
        try status("break", &harness)
        at(400, &harness)
        try status("available", &harness)
        at(500, &harness)
        _ = try harness.must(
            .updateUser(
                instanceId: instance,
                userId: "sam",
                routingProfileId: "other",
                autoAccept: nil,
                afterContactWorkSeconds: nil
            )
        )
        at(1_000, &harness)
        return harness
    }

    static let agentMetrics = [
        "SUM_ONLINE_TIME_AGENT", "SUM_IDLE_TIME_AGENT", "SUM_CONTACT_TIME_AGENT", "SUM_NON_PRODUCTIVE_TIME_AGENT",
        "SUM_ERROR_STATUS_TIME_AGENT", "AGENT_OCCUPANCY", "AVG_AGENT_CONCURRENCY",
    ]

    static func request(
        _ metrics: [String],
        filters: [(String, [String])] = [("AGENT", ["sam"])],
        groupings: [String] = [],
        period: String = "TOTAL",
        to: Int64 = 1_000
    ) -> GetMetricDataV2Request {
        GetMetricDataV2Request(
            resourceArn: ConnectARN.instance(instance),
            startTime: Double(t0 / second),
            endTime: Double(t0 / second + to),
            interval: .init(intervalPeriod: period),
            filters: filters.map { .init(filterKey: $0.0, filterValues: $0.1) },
            groupings: groupings,
            metrics: metrics.map { .init(name: $0) }
        )
    }

    /// Compares within a millisecond (commands stamp their k-th event k µs late).
    static func near(_ values: [Double?], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(values.count == expected.count, sourceLocation: sourceLocation)
        for (value, want) in zip(values, expected) {
            #expect(
                value.map { abs($0 - want) < 0.001 } == true,
                "\(String(describing: value)) ≠ \(want)",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test func onlineIdleContactAndNonProductiveTimeByHand() throws {
        let harness = try Self.workday()
        var v1 = HistoricalMetricsV1()
        Self.fold(harness.log, into: &v1)
        let response = try v1.getMetricDataV2(Self.request(Self.agentMetrics), in: harness.state, now: harness.now)
        try #require(response.metricResults.count == 1)
        // online 60 → 1000; idle 60–120, 220–300, 400–1000; on contact 130–220 (connected, then ACW);
        // non-productive 300–400; ringing 120–130 is neither idle nor on contact.
        Self.near(
            response.metricResults[0].collections.map(\.value),
            [940, 60 + 80 + 600, 90, 100, 0, 90.0 / (90 + 740) * 100, 1]
        )
    }

    @Test func agentTimeSplitsAtQuarterHoursAndFollowsTheProfile() throws {
        let harness = try Self.workday()
        var v1 = HistoricalMetricsV1()
        Self.fold(harness.log, into: &v1)
        let metrics = ["SUM_ONLINE_TIME_AGENT", "SUM_IDLE_TIME_AGENT"]
        let quarters = try v1.getMetricDataV2(
            Self.request(metrics, period: "FIFTEEN_MIN"),
            in: harness.state,
            now: harness.now
        )
        // 0–900: online 60 → 900, idle 60 + 80 + 500; 900–1000 (still open at the query): 100 of each.
        #expect(
            quarters.metricResults.map(\.metricInterval.startTime)
                == [0, 900].map { Double(Self.t0 / Self.second + $0) }
        )
        Self.near(quarters.metricResults[0].collections.map(\.value), [840, 640])
        Self.near(quarters.metricResults[1].collections.map(\.value), [100, 100])
        // The profile changed at 500: the time before counts for `profile`, the time after for `other`.
        let profiles = try v1.getMetricDataV2(
            Self.request(metrics + ["SUM_CONTACT_TIME_AGENT"], groupings: ["ROUTING_PROFILE"]),
            in: harness.state,
            now: harness.now
        )
        #expect(profiles.metricResults.map { $0.dimensions["ROUTING_PROFILE"] } == ["other", "profile"])
        Self.near(profiles.metricResults[0].collections.map(\.value), [500, 500, 0])
        Self.near(profiles.metricResults[1].collections.map(\.value), [440, 60 + 80 + 100, 90])
        // The query time matters: asked at 700 with the range ending there, the open interval runs to 700.
        let earlier = try v1.getMetricDataV2(
            Self.request(metrics, to: 700),
            in: harness.state,
            now: Self.t0 + 700 * Self.second
        )
        Self.near(earlier.metricResults[0].collections.map(\.value), [640, 440])
    }

    @Test func offersAnswerRateAndNonResponse() throws {
        var harness = try Self.setUp()
        Self.at(60, &harness)
        try Self.status("available", &harness)
        Self.at(100, &harness)
        let (chat, customer) = try harness.startConnectedChat()
        // Not accepted within 20 s: missed (AGENT_NON_RESPONSE), sam in the error state.
        let deadline = try #require(
            harness.state.timers[TimerKey(.offer, chat: chat.contactId, participant: chat.contactId)]
        )
        harness.now = deadline
        #expect(harness.fireTimers() == 1)
        // Available again at 130: offered again at once; the customer leaves at 140 while it rings.
        Self.at(130, &harness)
        try Self.status("available", &harness)
        #expect(try harness.contact(chat.contactId).offeredTo == "sam")
        Self.at(140, &harness)
        _ = try harness.must(.disconnectParticipant(connectionToken: customer, clientToken: nil))
        Self.at(200, &harness)
        var v1 = HistoricalMetricsV1()
        Self.fold(harness.log, into: &v1)
        let offers = try v1.getMetricDataV2(
            Self.request(
                ["AGENT_NON_RESPONSE", "AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS", "AGENT_ANSWER_RATE"],
                filters: [("QUEUE", [ChatHarness.queueId])],
                groupings: ["QUEUE", "AGENT"],
                to: 200
            ),
            in: harness.state,
            now: harness.now
        )
        #expect(offers.metricResults.map(\.dimensions) == [["QUEUE": ChatHarness.queueId, "AGENT": "sam"]])
        // Two offers, none answered: one missed, one abandoned by the customer while ringing.
        #expect(offers.metricResults[0].collections.map(\.value) == [2, 1, 0])
        let filtered = try v1.getMetricDataV2(
            GetMetricDataV2Request(
                resourceArn: ConnectARN.instance(Self.instance),
                startTime: Double(Self.t0 / Self.second),
                endTime: Double(Self.t0 / Self.second + 200),
                filters: [.init(filterKey: "AGENT", filterValues: ["sam"])],
                metrics: [
                    .init(
                        name: "AGENT_NON_RESPONSE",
                        metricFilters: [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["API"])]
                    ),
                    .init(
                        name: "AGENT_NON_RESPONSE",
                        metricFilters: [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["TRANSFER"])]
                    ),
                ]
            ),
            in: harness.state,
            now: harness.now
        )
        #expect(filtered.metricResults[0].collections.map(\.value) == [2, 0])
        // Time: online 60 → 200; error 120 → 130; idle 60–100, 120–130 (a missed slot is not work), 140–200.
        let time = try v1.getMetricDataV2(
            Self.request(
                ["SUM_ONLINE_TIME_AGENT", "SUM_ERROR_STATUS_TIME_AGENT", "SUM_IDLE_TIME_AGENT", "AGENT_OCCUPANCY"],
                to: 200
            ),
            in: harness.state,
            now: harness.now
        )
        Self.near(time.metricResults[0].collections.map(\.value), [140, 10, 40 + 10 + 60, 0])
        // GetMetricData (v1) calls it CONTACTS_MISSED.
        let legacy = try v1.getMetricData(
            GetMetricDataRequest(
                startTime: Double(Self.t0 / Self.second),
                endTime: Double(Self.t0 / Self.second + 300),
                filters: MetricFilters(queues: [ChatHarness.queueId]),
                historicalMetrics: [.init(name: "CONTACTS_MISSED")]
            ),
            instanceId: Self.instance,
            in: harness.state,
            now: harness.now + 100 * Self.second
        )
        #expect(legacy.metricResults.map { $0.collections[0].value } == [2])
    }

    @Test func versionOneOccupancyCountsForTheQueuesOfTheAgentsProfile() throws {
        let harness = try Self.workday()
        var v1 = HistoricalMetricsV1()
        Self.fold(harness.log, into: &v1)
        let request = GetMetricDataRequest(
            startTime: Double(Self.t0 / Self.second),
            endTime: Double(Self.t0 / Self.second + 900),
            filters: MetricFilters(queues: [ChatHarness.queueId]),
            groupings: ["QUEUE"],
            historicalMetrics: [.init(name: "OCCUPANCY", statistic: "AVG", unit: "PERCENT")]
        )
        let response = try v1.getMetricData(request, instanceId: Self.instance, in: harness.state, now: harness.now)
        #expect(response.metricResults.map { $0.dimensions.queue?.id } == [ChatHarness.queueId])
        // 0–900: on contact 90, idle 60 + 80 + 500.
        Self.near(response.metricResults.map { $0.collections[0].value }, [90.0 / (90 + 640) * 100])
    }

    @Test func agentTimeTakesNoQueueInVersionTwo() throws {
        let harness = try Self.workday()
        let v1 = HistoricalMetricsV1()
        let error = #expect(throws: ChatError.self) {
            try v1.getMetricDataV2(
                Self.request(["SUM_ONLINE_TIME_AGENT"], filters: [("QUEUE", [ChatHarness.queueId])]),
                in: harness.state,
                now: harness.now
            )
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("QUEUE") == true)
    }
}

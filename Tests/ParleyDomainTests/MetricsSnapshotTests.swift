import Foundation
import ParleyDomain
import Testing

/// Snapshots of the metrics projections, and v1 and v2 agreeing on everything they share.
@Suite struct MetricsSnapshotTests {
    static let t0 = MetricsHistoricalTests.t0
    static let second = Duration.second

    /// Both versions fed the same agent events (the agent workday) and the same hand-built records.
    static func both() throws -> (HistoricalMetricsV1, HistoricalMetricsV2, ChatHarness) {
        let harness = try MetricsAgentTimeTests.workday()
        var v1 = HistoricalMetricsV1()
        var v2 = HistoricalMetricsV2()
        MetricsAgentTimeTests.fold(harness.log, into: &v1)
        MetricsAgentTimeTests.fold(harness.log, into: &v2)
        for (record, next) in MetricsHistoricalTests.records() {
            v1.add(record, next: next)
            v2.add(record, next: next)
        }
        return (v1, v2, harness)
    }

    @Test func snapshotsRoundTripCanonically() throws {
        let (v1, v2, _) = try Self.both()
        let v1Bytes = v1.snapshotBytes()
        let decoded1 = try HistoricalMetricsV1(snapshotBytes: v1Bytes)
        #expect(decoded1 == v1)
        #expect(decoded1.stateHash() == v1.stateHash())
        #expect(decoded1.snapshotBytes() == v1Bytes, "re-encoding gives the same bytes")
        let decoded2 = try HistoricalMetricsV2(snapshotBytes: v2.snapshotBytes())
        #expect(decoded2 == v2)
        #expect(decoded2.stateHash() == v2.stateHash())
        // v2 keeps more per cell: a real schema change.
        #expect(v2.snapshotBytes().count > v1Bytes.count)
        #expect(v1.stateHash() != v2.stateHash())
        #expect(HistoricalMetricsV1.key == "metrics@1")
        #expect(HistoricalMetricsV2.key == "metrics@2")
        // The same facts folded in another order encode to the same bytes (maps are written in key order).
        var reversed = HistoricalMetricsV1()
        MetricsAgentTimeTests.fold(try MetricsAgentTimeTests.workday().log, into: &reversed)
        for (record, next) in MetricsHistoricalTests.records().reversed() { reversed.add(record, next: next) }
        #expect(reversed.snapshotBytes() == v1Bytes)
        // An empty projection round-trips too.
        #expect(try HistoricalMetricsV2(snapshotBytes: HistoricalMetricsV2().snapshotBytes()) == HistoricalMetricsV2())
    }

    @Test func aSnapshotOfOneVersionIsNotReadAsTheOther() throws {
        let (v1, v2, _) = try Self.both()
        #expect(throws: DecodeError.self) { try HistoricalMetricsV2(snapshotBytes: v1.snapshotBytes()) }
        #expect(throws: DecodeError.self) { try HistoricalMetricsV1(snapshotBytes: v2.snapshotBytes()) }
        let bytes = v1.snapshotBytes()
        #expect(throws: DecodeError.self) { try HistoricalMetricsV1(snapshotBytes: Array(bytes.dropLast(3))) }
        #expect(throws: DecodeError.self) { try HistoricalMetricsV1(snapshotBytes: bytes + [0]) }
    }

    /// Every core metric (with thresholds where they need one) under several filters, groupings and periods.
    static let contactMetrics: [GetMetricDataV2Request.Metric] =
        [
            "CONTACTS_CREATED", "CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT",
            "CONTACTS_ABANDONED", "ABANDONMENT_RATE", "AVG_QUEUE_ANSWER_TIME", "AVG_ABANDON_TIME", "AVG_HANDLE_TIME",
            "AVG_INTERACTION_TIME", "AVG_INTERACTION_AND_HOLD_TIME", "AVG_AFTER_CONTACT_WORK_TIME",
            "AVG_CONTACT_DURATION", "AVG_CONVERSATION_DURATION", "MAX_QUEUED_TIME", "CONTACTS_TRANSFERRED_OUT",
            "CONTACTS_TRANSFERRED_OUT_BY_AGENT", "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE", "SUM_CONTACTS_DISCONNECTED",
            "SUM_HANDLE_TIME", "SUM_INTERACTION_TIME", "SUM_AFTER_CONTACT_WORK_TIME",
        ].map { GetMetricDataV2Request.Metric(name: $0) }
        + [
            "SERVICE_LEVEL", "SUM_CONTACTS_ANSWERED_IN_X", "SUM_CONTACTS_ABANDONED_IN_X",
            "CONTACTS_REMOVED_FROM_QUEUE_IN_X", "CONTACTS_RESOLVED_IN_X",
        ]
        .flatMap { name in
            [("LT", 10.0), ("LTE", 20.0), ("LT", 604_800.0)].map { comparison, value in
                GetMetricDataV2Request.Metric(
                    name: name,
                    threshold: [.init(comparison: comparison, thresholdValue: value)]
                )
            }
        }
        + [
            GetMetricDataV2Request.Metric(
                name: "CONTACTS_HANDLED",
                metricFilters: [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["INCOMING"])]
            ),
            GetMetricDataV2Request.Metric(
                name: "SUM_CONTACTS_DISCONNECTED",
                metricFilters: [
                    .init(metricFilterKey: "DISCONNECT_REASON", metricFilterValues: ["OTHER"], negate: true)
                ]
            ),
        ]
    static let offerMetrics = [
        "AGENT_NON_RESPONSE", "AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS", "AGENT_ANSWER_RATE",
    ]
    .map { GetMetricDataV2Request.Metric(name: $0) }
    static let agentMetrics = MetricsAgentTimeTests.agentMetrics.map { GetMetricDataV2Request.Metric(name: $0) }

    @Test func versionsOneAndTwoAgreeOnEveryMetricTheyShare() throws {
        let (v1, v2, harness) = try Self.both()
        let cases: [([GetMetricDataV2Request.Metric], [GetMetricDataV2Request.Filter], [String], String)] = [
            (Self.contactMetrics, [.init(filterKey: "QUEUE", filterValues: ["q1", "q2"])], [], "TOTAL"),
            (
                Self.contactMetrics, [.init(filterKey: "QUEUE", filterValues: ["q1", "q2"])],
                ["QUEUE", "INITIATION_METHOD"], "FIFTEEN_MIN"
            ),
            (
                Self.contactMetrics, [.init(filterKey: "AGENT", filterValues: ["a1", "a2"])],
                ["ROUTING_PROFILE", "DISCONNECT_REASON"], "HOUR"
            ),
            (
                Self.offerMetrics + Self.agentMetrics, [.init(filterKey: "AGENT", filterValues: ["sam"])],
                ["ROUTING_PROFILE"], "THIRTY_MIN"
            ),
            (
                Self.agentMetrics, [.init(filterKey: "ROUTING_PROFILE", filterValues: ["profile", "other"])],
                ["AGENT", "CHANNEL"], "DAY"
            ),
            (Self.offerMetrics, [.init(filterKey: "QUEUE", filterValues: [ChatHarness.queueId])], ["QUEUE"], "WEEK"),
        ]
        var compared = 0
        for (metrics, filters, groupings, period) in cases {
            let request = GetMetricDataV2Request(
                resourceArn: ConnectARN.instance(ChatHarness.instanceId),
                startTime: Double(Self.t0 / Self.second),
                endTime: Double(Self.t0 / Self.second + 3_600),
                interval: .init(intervalPeriod: period),
                filters: filters,
                groupings: groupings,
                metrics: metrics
            )
            let now = Self.t0 + 3_600 * Self.second
            let one = try v1.getMetricDataV2(request, in: harness.state, now: now)
            let two = try v2.getMetricDataV2(request, in: harness.state, now: now)
            #expect(one == two, "\(groupings) \(period)")
            #expect(!one.metricResults.isEmpty, "\(groupings) \(period)")
            compared += one.metricResults.reduce(0) { $0 + $1.collections.count }
        }
        #expect(compared > 200)
        // GetMetricData (v1) reads only the shared core: both versions answer the same.
        let legacy = GetMetricDataRequest(
            startTime: Double(Self.t0 / Self.second),
            endTime: Double(Self.t0 / Self.second + 3_600),
            filters: MetricFilters(queues: ["q1", "q2", ChatHarness.queueId]),
            groupings: ["QUEUE"],
            historicalMetrics: [
                "CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED", "CONTACTS_AGENT_HUNG_UP_FIRST",
                "CONTACTS_HANDLED_INCOMING", "API_CONTACTS_HANDLED", "CONTACTS_MISSED", "OCCUPANCY", "HANDLE_TIME",
                "QUEUED_TIME",
            ].map { GetMetricDataRequest.HistoricalMetric(name: $0) }
        )
        let now = Self.t0 + 3_600 * Self.second
        let legacyOne = try v1.getMetricData(legacy, instanceId: ChatHarness.instanceId, in: harness.state, now: now)
        let legacyTwo = try v2.getMetricData(legacy, instanceId: ChatHarness.instanceId, in: harness.state, now: now)
        #expect(legacyOne == legacyTwo)
        #expect(legacyOne.metricResults.count == 3)
    }
}

/// A whole harness log (the contact record builder completing real records) folded into both versions.
@Suite struct MetricsHarnessLogTests {
    static let instance = ChatHarness.instanceId
    static let t0 = MetricsAgentTimeTests.t0
    static let second = Duration.second

    /// sam (manual accept) on harness-queue; a `slow` queue nobody serves.
    ///
    /// 1. At 100 a chat is offered; sam accepts at 110, they talk, the customer leaves at 200; ACW cleared at 230.
    /// 2. At 300 a chat is offered; the customer leaves at 305 while it rings (abandoned in queue).
    /// 3. At 400 a chat is offered; sam accepts at 402 and transfers it to `slow` at 450 (ACW cleared at 470); the
    ///    customer gives up waiting there at 500.
    static func day() throws -> ChatHarness {
        var harness = try MetricsAgentTimeTests.setUp()
        _ = try harness.must(.createQueue(instanceId: instance, queueId: "slow", name: "Slow", maxContacts: 0))
        MetricsAgentTimeTests.at(60, &harness)
        try MetricsAgentTimeTests.status("available", &harness)
        func accept(_ chat: Identifier) throws -> String {
            guard
                case .participantJoined(_, let token) = try harness.must(
                    .acceptContact(userId: "sam", contactId: chat.description)
                )
            else { throw HarnessError("no join") }
            return try harness.connect(token).connectionToken!
        }
        MetricsAgentTimeTests.at(100, &harness)
        let (first, firstCustomer) = try harness.startConnectedChat()
        MetricsAgentTimeTests.at(110, &harness)
        let agent = try accept(first.contactId)
        MetricsAgentTimeTests.at(115, &harness)
        try harness.send(agent, "Hello, Sam here")
        MetricsAgentTimeTests.at(120, &harness)
        try harness.send(firstCustomer, "My order is late")
        MetricsAgentTimeTests.at(125, &harness)
        try harness.send(agent, "Let me check")
        MetricsAgentTimeTests.at(200, &harness)
        _ = try harness.must(.disconnectParticipant(connectionToken: firstCustomer, clientToken: nil))
        MetricsAgentTimeTests.at(230, &harness)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: first.contactId.description))
        MetricsAgentTimeTests.at(300, &harness)
        let (_, secondCustomer) = try harness.startConnectedChat()
        MetricsAgentTimeTests.at(305, &harness)
        _ = try harness.must(.disconnectParticipant(connectionToken: secondCustomer, clientToken: nil))
        MetricsAgentTimeTests.at(400, &harness)
        let (third, thirdCustomer) = try harness.startConnectedChat()
        MetricsAgentTimeTests.at(402, &harness)
        let thirdAgent = try accept(third.contactId)
        MetricsAgentTimeTests.at(450, &harness)
        _ = try harness.must(.transferContact(connectionToken: thirdAgent, queueId: "slow", agentId: nil, flowId: nil))
        MetricsAgentTimeTests.at(470, &harness)
        _ = try harness.must(.clearAfterContactWork(userId: "sam", contactId: third.contactId.description))
        MetricsAgentTimeTests.at(500, &harness)
        _ = try harness.must(.disconnectParticipant(connectionToken: thirdCustomer, clientToken: nil))
        MetricsAgentTimeTests.at(900, &harness)
        return harness
    }

    @Test func bothVersionsFoldTheLogAndAgree() throws {
        let harness = try Self.day()
        var v1 = HistoricalMetricsV1()
        var v2 = HistoricalMetricsV2()
        MetricsAgentTimeTests.fold(harness.log, into: &v1)
        MetricsAgentTimeTests.fold(harness.log, into: &v2)
        let request = GetMetricDataV2Request(
            resourceArn: ConnectARN.instance(Self.instance),
            startTime: Double(Self.t0 / Self.second),
            endTime: Double(Self.t0 / Self.second + 900),
            filters: [.init(filterKey: "QUEUE", filterValues: [ChatHarness.queueId, "slow"])],
            metrics: MetricsSnapshotTests.contactMetrics + MetricsSnapshotTests.offerMetrics
        )
        let one = try v1.getMetricDataV2(request, in: harness.state, now: harness.now)
        let two = try v2.getMetricDataV2(request, in: harness.state, now: harness.now)
        #expect(one == two)
        let values = Dictionary(
            one.metricResults[0].collections.map { ($0.metric.name ?? "", $0.value) },
            uniquingKeysWith: { first, _ in first }
        )
        // Four segments: the first chat (handled), the second (abandoned while ringing), the third's API segment
        // (handled, transferred by sam) and its TRANSFER segment (abandoned in `slow`).
        #expect(values["CONTACTS_CREATED"] == 4)
        #expect(values["CONTACTS_QUEUED"] == 4)
        #expect(values["CONTACTS_HANDLED"] == 2)
        #expect(values["CONTACTS_ABANDONED"] == 2)
        #expect(values["CONTACTS_TRANSFERRED_OUT_BY_AGENT"] == 1)
        #expect(values["CONTACTS_TRANSFERRED_OUT"] == 1)
        #expect(values["AGENT_NON_RESPONSE"] == 1, "the customer left while the offer rang")
        #expect(values["MAX_QUEUED_TIME"] == 50, "the TRANSFER segment waited 450 → 500 in slow")
        // The v2 chat metrics come from the records' ChatMetrics: sam wrote twice on the first chat.
        var chat = request
        chat.metrics = [.init(name: "AVG_MESSAGES_AGENT"), .init(name: "AVG_FIRST_RESPONSE_TIME_AGENT")]
        chat.filters = [.init(filterKey: "AGENT", filterValues: ["sam"])]
        let chatValues = try v2.getMetricDataV2(chat, in: harness.state, now: harness.now).metricResults[0]
            .collections.map(\.value)
        #expect(chatValues[0] == 1, "two messages on the first chat, none on the third: 2 / 2 segments")
        #expect(chatValues[1].map { abs($0 - 5) < 0.01 } == true, "connected at 110, first message at 115")
        // GetMetricData (v1): the "contacts incoming" rule — the API segments count as API contacts only.
        let legacy = try v1.getMetricData(
            GetMetricDataRequest(
                startTime: Double(Self.t0 / Self.second),
                endTime: Double(Self.t0 / Self.second + 900),
                filters: MetricFilters(queues: [ChatHarness.queueId, "slow"]),
                historicalMetrics: [
                    "CONTACTS_HANDLED_INCOMING", "API_CONTACTS_HANDLED", "CONTACTS_TRANSFERRED_IN",
                    "CONTACTS_TRANSFERRED_OUT", "CONTACTS_MISSED",
                ].map { GetMetricDataRequest.HistoricalMetric(name: $0) }
            ),
            instanceId: Self.instance,
            in: harness.state,
            now: harness.now
        )
        #expect(legacy.metricResults[0].collections.map(\.value) == [0, 2, 1, 1, 1])
    }

    @Test func rebuildingFromTheLogGivesTheLiveProjection() throws {
        let harness = try Self.day()
        // "Live": folded as the events were applied; "rebuilt": from the decoded log, with a snapshot in between.
        var live = HistoricalMetricsV2()
        MetricsAgentTimeTests.fold(harness.log, into: &live)
        var rebuilt = HistoricalMetricsV2()
        var state = ChatState()
        for (index, (timestamp, event)) in harness.log.enumerated() {
            let (tag, payload) = event.encoded()
            let decoded = try #require(try ChatEventCatalogue.decode(tag: tag, payload: payload))
            ChatMachine.apply(decoded, at: timestamp, to: &state)
            rebuilt.apply(decoded, at: timestamp, state: state)
            if index == harness.log.count / 2 {
                rebuilt = try HistoricalMetricsV2(snapshotBytes: rebuilt.snapshotBytes())
            }
        }
        #expect(rebuilt == live)
        #expect(rebuilt.stateHash() == live.stateHash())
    }
}

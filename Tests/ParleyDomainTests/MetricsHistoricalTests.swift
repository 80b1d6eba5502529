import Foundation
import ParleyDomain
import Testing

/// Historical metrics from hand-built contact trace records; every expected value is worked out in the comments.
@Suite struct MetricsHistoricalTests {
    static let instance = ChatHarness.instanceId
    static let t0 = instant("2026-11-20T10:00:00Z")
    static let second = Duration.second
    static var arn: String { ConnectARN.instance(instance) }

    /// A segment; times are seconds after `t0`. Queued segments are dequeued `queueSeconds` after `queuedAt`, and
    /// an agent (if any) is connected then.
    static func segment(
        _ number: UInt64,
        _ method: InitiationMethod,
        start: Int64,
        queue: String? = nil,
        queuedAt: Int64 = 0,
        queueSeconds: Int64 = 0,
        agent: (id: String, profile: String)? = nil,
        interaction: Int64 = 0,
        afterContactWork: Int64? = nil,
        end: Int64,
        reason: DisconnectReason
    ) -> ContactTraceRecord {
        let id = Identifier(high: 0xC0FFEE, low: number)
        var record = ContactTraceRecord(
            contactId: id,
            initialContactId: id,
            instanceId: instance,
            initiationMethod: method,
            initiationTimestamp: t0 + start * second
        )
        if let queue {
            var section = CTRQueue(queueId: queue, name: queue, enqueueTimestamp: t0 + queuedAt * second)
            section.dequeueTimestamp = t0 + (queuedAt + queueSeconds) * second
            section.duration = queueSeconds
            record.queue = section
        }
        if let agent {
            var section = CTRAgent(
                userId: agent.id,
                username: agent.id,
                routingProfileId: agent.profile,
                routingProfileName: agent.profile
            )
            let connected = queuedAt + queueSeconds
            section.connectedToAgentTimestamp = t0 + connected * second
            section.agentInteractionDuration = interaction
            if let afterContactWork {
                section.afterContactWorkStartTimestamp = t0 + (connected + interaction) * second
                section.afterContactWorkEndTimestamp = t0 + (connected + interaction + afterContactWork) * second
                section.afterContactWorkDuration = afterContactWork
            }
            record.agent = section
        }
        record.disconnectTimestamp = t0 + end * second
        record.lastUpdateTimestamp = t0 + end * second
        record.disconnectReason = reason
        record.completed = true
        return record
    }

    static func participant(
        _ role: ParticipantRole,
        sent: Int64,
        chars: Int64,
        responses: Int64,
        responseMillis: Int64,
        abandon: Bool = false
    ) -> CTRParticipantMetrics {
        var metrics = CTRParticipantMetrics(
            participantId: Identifier(high: 1, low: UInt64(role.rawValue)),
            participantType: role
        )
        metrics.messagesSent = sent
        metrics.messageLengthInChars = chars
        metrics.numResponses = responses
        metrics.totalResponseTimeInMillis = responseMillis
        metrics.conversationAbandon = abandon
        return metrics
    }

    /// The records (R8 is never queued: no resource filter reaches it) and the method of each one's next segment.
    ///
    /// | | method | queue | queued | agent | interaction + ACW | end | reason | next |
    /// |---|---|---|---|---|---|---|---|---|
    /// | R1 | API | q1 | 0 → 20 | a1/p1 | 100 + 30 | 120 | CUSTOMER_DISCONNECT | |
    /// | R2 | API | q1 | 60 → 110 (50) | | | 110 | CUSTOMER_DISCONNECT (abandoned) | |
    /// | R3 | TRANSFER | q2 | 300 → 305 | a2/p2 | 60 + 10 | 420 | AGENT_DISCONNECT | |
    /// | R4 | API | q1 | 840 → 880 | a1/p1 | 200 + 0 | 1200 | OTHER | TRANSFER |
    /// | R5 | QUEUE_TRANSFER | q2 | 1300 → 1308 | | | 1500 | CONTACT_FLOW_DISCONNECT | |
    /// | R6 | API (bot first) | q2 | 120 → 150 (30) | | | 150 | CUSTOMER_DISCONNECT (abandoned) | |
    /// | R7 | DISCONNECT | q1 | 2950 → 2962 | | | 3000 | OTHER | QUEUE_TRANSFER |
    /// | R8 | API (bot only) | | | | | 3200 | CUSTOMER_DISCONNECT | |
    static func records() -> [(ContactTraceRecord, InitiationMethod?)] {
        var r1 = segment(
            1,
            .api,
            start: 0,
            queue: "q1",
            queuedAt: 0,
            queueSeconds: 20,
            agent: ("a1", "p1"),
            interaction: 100,
            afterContactWork: 30,
            end: 120,
            reason: .customerDisconnect
        )
        r1.connectedToSystemTimestamp = t0 + 2 * second
        r1.chatMetrics.totalMessages = 10
        r1.chatMetrics.agentMetrics = participant(.agent, sent: 4, chars: 100, responses: 3, responseMillis: 9_000)
        r1.chatMetrics.customerMetrics = participant(
            .customer,
            sent: 5,
            chars: 50,
            responses: 4,
            responseMillis: 20_000
        )
        r1.chatMetrics.agentFirstResponseTimeInMillis = 5_000
        r1.chatMetrics.agentFirstResponseTimestamp = t0 + 25 * second
        r1.chatMetrics.conversationCloseTimeInMillis = 3_000
        var r2 = segment(
            2,
            .api,
            start: 60,
            queue: "q1",
            queuedAt: 60,
            queueSeconds: 50,
            end: 110,
            reason: .customerDisconnect
        )
        r2.chatMetrics.totalMessages = 1
        r2.chatMetrics.customerMetrics = participant(
            .customer,
            sent: 1,
            chars: 10,
            responses: 0,
            responseMillis: 0,
            abandon: true
        )
        var r3 = segment(
            3,
            .transfer,
            start: 300,
            queue: "q2",
            queuedAt: 300,
            queueSeconds: 5,
            agent: ("a2", "p2"),
            interaction: 60,
            afterContactWork: 10,
            end: 420,
            reason: .agentDisconnect
        )
        r3.chatMetrics.totalMessages = 6
        r3.chatMetrics.agentMetrics = participant(.agent, sent: 2, chars: 40, responses: 2, responseMillis: 4_000)
        r3.chatMetrics.customerMetrics = participant(.customer, sent: 3, chars: 30, responses: 2, responseMillis: 6_000)
        r3.chatMetrics.agentFirstResponseTimeInMillis = 1_000
        r3.chatMetrics.agentFirstResponseTimestamp = t0 + 306 * second
        let r4 = segment(
            4,
            .api,
            start: 800,
            queue: "q1",
            queuedAt: 840,
            queueSeconds: 40,
            agent: ("a1", "p1"),
            interaction: 200,
            afterContactWork: 0,
            end: 1_200,
            reason: .other
        )
        let r5 = segment(
            5,
            .queueTransfer,
            start: 1_300,
            queue: "q2",
            queuedAt: 1_300,
            queueSeconds: 8,
            end: 1_500,
            reason: .contactFlowDisconnect
        )
        var r6 = segment(
            6,
            .api,
            start: 60,
            queue: "q2",
            queuedAt: 120,
            queueSeconds: 30,
            end: 150,
            reason: .customerDisconnect
        )
        r6.connectedToSystemTimestamp = t0 + 60 * second
        r6.chatMetrics.totalMessages = 7
        r6.chatMetrics.totalBotMessages = 4
        r6.chatMetrics.conversationTurnCount = 5
        r6.chatMetrics.customerMetrics = participant(.customer, sent: 3, chars: 30, responses: 3, responseMillis: 3_000)
        let r7 = segment(
            7,
            .disconnect,
            start: 2_900,
            queue: "q1",
            queuedAt: 2_950,
            queueSeconds: 12,
            end: 3_000,
            reason: .other
        )
        var r8 = segment(8, .api, start: 3_100, end: 3_200, reason: .customerDisconnect)
        r8.chatMetrics.totalBotMessages = 3
        return [
            (r1, nil), (r2, nil), (r3, nil), (r4, .transfer), (r5, nil), (r6, nil), (r7, .queueTransfer), (r8, nil),
        ]
    }

    static func projections() -> (HistoricalMetricsV1, HistoricalMetricsV2) {
        var v1 = HistoricalMetricsV1()
        var v2 = HistoricalMetricsV2()
        for (record, next) in records() {
            v1.add(record, next: next)
            v2.add(record, next: next)
        }
        return (v1, v2)
    }

    /// A configured instance (the queries check the instance id against it).
    static let state = ChatHarness().state
    static let now = t0 + 3_600 * second

    static func metric(
        _ name: String,
        threshold: (String, Double)? = nil,
        filter: (String, [String], Bool)? = nil
    ) -> GetMetricDataV2Request.Metric {
        GetMetricDataV2Request.Metric(
            name: name,
            threshold: threshold.map { [.init(comparison: $0.0, thresholdValue: $0.1)] },
            metricFilters: filter.map { [.init(metricFilterKey: $0.0, metricFilterValues: $0.1, negate: $0.2)] }
        )
    }

    static func request(
        _ metrics: [GetMetricDataV2Request.Metric],
        filters: [(String, [String])] = [("QUEUE", ["q1", "q2"])],
        groupings: [String] = [],
        period: String? = nil,
        from: Int64 = 0,
        to: Int64 = 3_600
    ) -> GetMetricDataV2Request {
        GetMetricDataV2Request(
            resourceArn: arn,
            startTime: Double(t0 / second + from),
            endTime: Double(t0 / second + to),
            interval: period.map { .init(timeZone: "UTC", intervalPeriod: $0) },
            filters: filters.map { .init(filterKey: $0.0, filterValues: $0.1) },
            groupings: groupings,
            metrics: metrics
        )
    }

    static func query<P: HistoricalMetricsProjection>(
        _ projection: P,
        _ request: GetMetricDataV2Request
    ) throws
        -> GetMetricDataV2Response
    {
        try projection.getMetricDataV2(request, in: state, now: now)
    }

    /// The single TOTAL row's values, by metric position.
    static func totals<P: HistoricalMetricsProjection>(
        _ projection: P,
        _ metrics: [GetMetricDataV2Request.Metric],
        filters: [(String, [String])] = [("QUEUE", ["q1", "q2"])]
    ) throws -> [Double?] {
        let response = try query(projection, request(metrics, filters: filters))
        try #require(response.metricResults.count == 1)
        return response.metricResults[0].collections.map(\.value)
    }

    static func close(_ value: Double?, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let value else {
            Issue.record("nil, expected \(expected)", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(value - expected) < 1e-9, "\(value) ≠ \(expected)", sourceLocation: sourceLocation)
    }

    @Test func volumesAndAveragesByHand() throws {
        let (v1, _) = Self.projections()
        let names = [
            "CONTACTS_CREATED", "CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED", "ABANDONMENT_RATE",
            "AVG_QUEUE_ANSWER_TIME", "AVG_ABANDON_TIME", "AVG_HANDLE_TIME", "AVG_INTERACTION_TIME",
            "AVG_AFTER_CONTACT_WORK_TIME", "AVG_CONTACT_DURATION", "AVG_CONVERSATION_DURATION", "MAX_QUEUED_TIME",
            "CONTACTS_TRANSFERRED_OUT", "CONTACTS_TRANSFERRED_OUT_BY_AGENT", "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE",
            "SUM_CONTACTS_DISCONNECTED", "SUM_HANDLE_TIME", "SUM_INTERACTION_TIME", "SUM_AFTER_CONTACT_WORK_TIME",
            "AGENT_NON_RESPONSE", "AGENT_ANSWER_RATE",
        ]
        let values = try Self.totals(v1, names.map { Self.metric($0) })
        let expected: [Double?] = [
            7,  // R1–R7 (R8 is in no queue)
            7,
            3,  // R1, R3, R4
            2,  // R2, R6 (R5 ended by its flow, R7 transferred: not abandons)
            200.0 / 7,
            (20 + 5 + 40) / 3.0,
            (50 + 30) / 2.0,
            (130 + 70 + 200) / 3.0,
            (100 + 60 + 200) / 3.0,
            (30 + 10 + 0) / 3.0,
            (120 + 50 + 120 + 400 + 200 + 90 + 100) / 7.0,
            (100 + 115 + 320) / 3.0,  // connected → disconnect
            50,
            2,  // R4 (TRANSFER next), R7 (QUEUE_TRANSFER next)
            1,
            1,
            7,
            400,
            360,
            40,
            0,  // no offers were folded
            nil,  // no offers: 0 / 0
        ]
        #expect(values.count == expected.count)
        for (index, (value, want)) in zip(values, expected).enumerated() {
            if let want { Self.close(value, want) } else { #expect(value == nil, "\(names[index])") }
        }
    }

    @Test func thresholdsLtAndLte() throws {
        let (v1, _) = Self.projections()
        let values = try Self.totals(
            v1,
            [
                Self.metric("SERVICE_LEVEL", threshold: ("LT", 30)),
                Self.metric("SERVICE_LEVEL", threshold: ("LT", 20)),
                Self.metric("SERVICE_LEVEL", threshold: ("LTE", 20)),
                Self.metric("SUM_CONTACTS_ANSWERED_IN_X", threshold: ("LT", 60)),
                Self.metric("SUM_CONTACTS_ABANDONED_IN_X", threshold: ("LT", 50)),
                Self.metric("SUM_CONTACTS_ABANDONED_IN_X", threshold: ("LTE", 50)),
                Self.metric("CONTACTS_REMOVED_FROM_QUEUE_IN_X", threshold: ("LT", 15)),
                Self.metric("CONTACTS_RESOLVED_IN_X", threshold: ("LT", 121)),
            ]
        )
        Self.close(values[0], 200.0 / 7)  // answered in < 30 s: R1 (20), R3 (5) of 7 queued
        Self.close(values[1], 100.0 / 7)  // < 20 s: R3
        Self.close(values[2], 200.0 / 7)  // ≤ 20 s: R1, R3
        #expect(values[3] == 3)
        #expect(values[4] == 1)  // R6 (30 s); R2 waited 50
        #expect(values[5] == 2)
        #expect(values[6] == 3)  // R3 (5), R5 (8), R7 (12)
        #expect(values[7] == 4)  // not transferred on: R1 120, R2 50, R3 120, R6 90 (R5 took 200)
    }

    @Test func metricFiltersAndTheContactsIncomingRule() throws {
        let (v1, _) = Self.projections()
        let values = try Self.totals(
            v1,
            [
                Self.metric("CONTACTS_HANDLED", filter: ("INITIATION_METHOD", ["API"], false)),
                Self.metric("CONTACTS_HANDLED", filter: ("INITIATION_METHOD", ["INCOMING"], false)),
                Self.metric("CONTACTS_HANDLED", filter: ("INITIATION_METHOD", ["API"], true)),
                Self.metric("CONTACTS_CREATED", filter: ("INITIATION_METHOD", ["API"], false)),
                Self.metric(
                    "CONTACTS_CREATED",
                    filter: ("INITIATION_METHOD", ["INBOUND", "TRANSFER", "QUEUE_TRANSFER"], false)
                ),
                Self.metric("SUM_CONTACTS_DISCONNECTED", filter: ("DISCONNECT_REASON", ["CUSTOMER_DISCONNECT"], false)),
                Self.metric("SUM_CONTACTS_DISCONNECTED", filter: ("DISCONNECT_REASON", ["CUSTOMER_DISCONNECT"], true)),
                Self.metric("CONTACTS_HANDLED", filter: ("DISCONNECT_REASON", ["AGENT_DISCONNECT"], false)),
            ]
        )
        // API segments handled: R1, R4. Incoming (inbound and transfers) handled: only R3 — the API segments R1, R4
        // count as API contacts, never as incoming; the abandoned or bot-only API segments count nowhere there.
        #expect(values == [2, 1, 1, 4, 2, 3, 4, 1])
    }

    @Test func groupingsByEveryDimension() throws {
        let (v1, _) = Self.projections()
        func rows(_ grouping: String, _ metric: String = "CONTACTS_CREATED") throws -> [String] {
            try Self.query(v1, Self.request([Self.metric(metric)], groupings: [grouping])).metricResults.map { result in
                "\(result.dimensions[grouping] ?? "?")=\(result.collections[0].value ?? -1)"
            }
        }
        #expect(try rows("QUEUE") == ["q1=4.0", "q2=3.0"])
        #expect(try rows("CHANNEL") == ["CHAT=7.0"])
        // Unhandled segments have no routing profile or agent: they are in no such row.
        #expect(try rows("ROUTING_PROFILE", "CONTACTS_HANDLED") == ["p1=2.0", "p2=1.0"])
        #expect(try rows("AGENT", "CONTACTS_HANDLED") == ["a1=2.0", "a2=1.0"])
        #expect(try rows("INITIATION_METHOD") == ["API=4.0", "DISCONNECT=1.0", "QUEUE_TRANSFER=1.0", "TRANSFER=1.0"])
        #expect(
            try rows("DISCONNECT_REASON") == [
                "AGENT_DISCONNECT=1.0", "CONTACT_FLOW_DISCONNECT=1.0", "CUSTOMER_DISCONNECT=3.0", "OTHER=2.0",
            ]
        )
        // Two groupings: queue × agent.
        let pairs = try Self.query(v1, Self.request([Self.metric("CONTACTS_HANDLED")], groupings: ["QUEUE", "AGENT"]))
        #expect(
            pairs.metricResults.map { $0.dimensions } == [
                ["QUEUE": "q1", "AGENT": "a1"], ["QUEUE": "q2", "AGENT": "a2"],
            ]
        )
    }

    @Test func resourceFilters() throws {
        let (v1, _) = Self.projections()
        let byAgent = try Self.totals(
            v1,
            [Self.metric("CONTACTS_HANDLED"), Self.metric("AVG_HANDLE_TIME")],
            filters: [("AGENT", ["a1"])]
        )
        #expect(byAgent == [2, (130 + 200) / 2])
        let byProfileArn = try Self.totals(
            v1,
            [Self.metric("CONTACTS_HANDLED")],
            filters: [("ROUTING_PROFILE", [ConnectARN.routingProfile(Self.instance, "p2")])]
        )
        #expect(byProfileArn == [1])
        let narrowed = try Self.totals(
            v1,
            [Self.metric("CONTACTS_CREATED")],
            filters: [("QUEUE", ["q1"]), ("INITIATION_METHOD", ["API"]), ("CHANNEL", ["CHAT"])]
        )
        #expect(narrowed == [3])  // R1, R2, R4
        let voice = try Self.query(
            v1,
            Self.request([Self.metric("CONTACTS_CREATED")], filters: [("QUEUE", ["q1"]), ("CHANNEL", ["VOICE"])])
        )
        #expect(voice.metricResults.isEmpty, "an empty list: no data")
    }

    @Test func eachIntervalPeriod() throws {
        let (v1, _) = Self.projections()
        func rows(_ period: String, from: Int64 = 0, to: Int64 = 3_600) throws -> [String] {
            let response = try Self.query(
                v1,
                Self.request(
                    [
                        Self.metric("CONTACTS_CREATED"), Self.metric("CONTACTS_HANDLED"),
                        Self.metric("CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT"),
                    ],
                    period: period,
                    from: from,
                    to: to
                )
            )
            return response.metricResults.map { result in
                #expect(result.metricInterval.interval == period)
                let start = Int64(result.metricInterval.startTime) - Self.t0 / Self.second
                let end = Int64(result.metricInterval.endTime) - Self.t0 / Self.second
                let values = result.collections.map { String(Int($0.value ?? -1)) }.joined(separator: ",")
                return "\(start)-\(end):\(values)"
            }
        }
        // By disconnect: 0–900 R1, R2, R3, R6; 900–1800 R4, R5; 2700–3600 R7. Handled R1, R3 | R4; by connection
        // time all three (R4 was connected at 880) fall in the first quarter hour.
        #expect(try rows("FIFTEEN_MIN") == ["0-900:4,2,3", "900-1800:2,1,0", "2700-3600:1,0,0"])
        #expect(try rows("THIRTY_MIN") == ["0-1800:6,3,3", "1800-3600:1,0,0"])
        #expect(try rows("HOUR") == ["0-3600:7,3,3"])
        #expect(try rows("DAY") == ["0-3600:7,3,3"], "the day interval is clipped to the range")
        #expect(try rows("WEEK") == ["0-3600:7,3,3"])
        #expect(try rows("TOTAL") == ["0-3600:7,3,3"])
        // A range starting inside a bucket takes that whole bucket; the interval is reported from the start asked.
        #expect(try rows("FIFTEEN_MIN", from: 600, to: 1_800) == ["600-900:4,2,3", "900-1800:2,1,0"])
        // The default period is TOTAL.
        let response = try Self.query(v1, Self.request([Self.metric("CONTACTS_CREATED")]))
        #expect(response.metricResults.map(\.metricInterval.interval) == ["TOTAL"])
    }

    @Test func weeksStartOnMondayUTC() throws {
        var v1 = HistoricalMetricsV1()
        // 2026-11-22 is a Sunday, 2026-11-23 a Monday.
        let sunday = instant("2026-11-22T12:00:00Z")
        let monday = instant("2026-11-23T12:00:00Z")
        for (number, end) in [(1, sunday), (2, monday)] {
            var record = Self.segment(
                UInt64(number),
                .api,
                start: 0,
                queue: "q1",
                queuedAt: 0,
                queueSeconds: 1,
                end: 0,
                reason: .customerDisconnect
            )
            record.disconnectTimestamp = end
            v1.add(record)
        }
        let now = instant("2026-11-25T00:00:00Z")
        let request = GetMetricDataV2Request(
            resourceArn: Self.arn,
            startTime: Double(instant("2026-11-20T00:00:00Z") / Self.second),
            endTime: Double(now / Self.second),
            interval: .init(intervalPeriod: "WEEK"),
            filters: [.init(filterKey: "QUEUE", filterValues: ["q1"])],
            metrics: [Self.metric("CONTACTS_CREATED")]
        )
        let response = try v1.getMetricDataV2(request, in: Self.state, now: now)
        #expect(
            response.metricResults.map(\.metricInterval.startTime) == [
                Double(instant("2026-11-20T00:00:00Z") / Self.second),
                Double(instant("2026-11-23T00:00:00Z") / Self.second),
            ]
        )
        #expect(response.metricResults.map { $0.collections[0].value } == [1, 1])
    }

    @Test func chatMetricsOfVersionTwo() throws {
        let (_, v2) = Self.projections()
        let names = [
            "AVG_MESSAGES", "AVG_MESSAGES_BOT", "AVG_MESSAGES_AGENT", "AVG_MESSAGES_CUSTOMER",
            "AVG_MESSAGE_LENGTH_AGENT", "AVG_MESSAGE_LENGTH_CUSTOMER", "AVG_RESPONSE_TIME_AGENT",
            "AVG_RESPONSE_TIME_CUSTOMER", "AVG_FIRST_RESPONSE_TIME_AGENT", "AVG_GREETING_TIME_AGENT",
            "AVG_CONTACT_FIRST_RESPONSE_TIME_AGENT", "AVG_CONVERSATION_CLOSE_TIME", "CONVERSATIONS_ABANDONED",
            "AVG_BOT_CONVERSATION_TIME", "AVG_BOT_CONVERSATION_TURNS", "BOT_CONVERSATIONS_COMPLETED",
        ]
        let values = try Self.totals(v2, names.map { Self.metric($0) })
        let expected: [Double] = [
            (10 + 1 + 6 + 7) / 7.0,  // messages per segment (R1, R2, R3, R6 have some)
            4 / 7.0,
            (4 + 2) / 2.0,  // agent messages per segment with an agent side
            (5 + 1 + 3 + 3) / 4.0,
            (100 + 40) / 6.0,  // characters per agent message
            (50 + 10 + 30 + 30) / 12.0,
            (9_000 + 4_000) / 5.0 / 1_000,  // response time per response, in seconds
            (20_000 + 0 + 6_000 + 3_000) / 9.0 / 1_000,
            (5_000 + 1_000) / 2.0 / 1_000,
            (5_000 + 1_000) / 2.0 / 1_000,
            (23 + 6) / 2.0,  // R1: connected to the system at 2, answered at 25; R3: initiated 300, answered 306
            3,
            1,  // R2
            60,  // R6: the bot talked from 60 until it queued the contact at 120
            5,
            1,
        ]
        for (index, (value, want)) in zip(values, expected).enumerated() {
            #expect(value != nil, "\(names[index])")
            Self.close(value, want)
        }
    }

    @Test func aChatMetricAskedOfVersionOneIsAClearError() throws {
        let (v1, v2) = Self.projections()
        let request = Self.request([Self.metric("CONTACTS_HANDLED"), Self.metric("AVG_MESSAGES")])
        let error = #expect(throws: ChatError.self) { try Self.query(v1, request) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("metrics@2") == true, "\(String(describing: error))")
        #expect(error?.message.contains("not supported by this projection version") == true)
        #expect(try Self.query(v2, request).metricResults.count == 1)
    }

    @Test func getMetricDataVersionOneNames() throws {
        let (v1, _) = Self.projections()
        let names: [(String, GetMetricDataRequest.Threshold?)] = [
            ("CONTACTS_QUEUED", nil), ("CONTACTS_HANDLED", nil), ("CONTACTS_ABANDONED", nil),
            ("CONTACTS_AGENT_HUNG_UP_FIRST", nil), ("CONTACTS_HANDLED_INCOMING", nil), ("API_CONTACTS_HANDLED", nil),
            ("CONTACTS_TRANSFERRED_IN", nil), ("CONTACTS_TRANSFERRED_IN_FROM_QUEUE", nil),
            ("CONTACTS_TRANSFERRED_OUT", nil), ("CONTACTS_TRANSFERRED_OUT_FROM_QUEUE", nil), ("CONTACTS_MISSED", nil),
            ("HANDLE_TIME", nil), ("AFTER_CONTACT_WORK_TIME", nil), ("QUEUED_TIME", nil), ("ABANDON_TIME", nil),
            ("QUEUE_ANSWER_TIME", nil), ("HOLD_TIME", nil), ("INTERACTION_TIME", nil),
            ("INTERACTION_AND_HOLD_TIME", nil), ("SERVICE_LEVEL", .init(comparison: "LT", thresholdValue: 30)),
            ("CONTACTS_CONSULTED", nil), ("OCCUPANCY", nil),
        ]
        let request = GetMetricDataRequest(
            startTime: Double(Self.t0 / Self.second),
            endTime: Double(Self.now / Self.second),
            filters: MetricFilters(queues: ["q1", ConnectARN.queue(Self.instance, "q2")]),
            historicalMetrics: names.map { .init(name: $0.0, threshold: $0.1) }
        )
        let response = try v1.getMetricData(request, instanceId: Self.instance, in: Self.state, now: Self.now)
        try #require(response.metricResults.count == 1)
        let values = response.metricResults[0].collections.map(\.value)
        let expected: [Double?] = [
            7, 3, 2,
            1,  // R3: the agent ended it
            1,  // incoming: the TRANSFER segment R3 only
            2,  // API: R1, R4
            1, 1,  // transferred in: R3 (TRANSFER) | from queue: R5 (QUEUE_TRANSFER)
            1, 1,  // transferred out by the agent: R4 | from the queue: R7
            0,
            400 / 3.0, 40 / 3.0, 50, 40, 65 / 3.0,
            0,  // chat has no hold
            120, 120,
            200 / 7.0,
            0,
            nil,  // no agent time
        ]
        for (index, (value, want)) in zip(values, expected).enumerated() {
            if let want { Self.close(value, want) } else { #expect(value == nil, "\(names[index].0)") }
        }
        let echoed = response.metricResults[0].collections[11].metric
        #expect(echoed.unit == "SECONDS" && echoed.statistic == "AVG")
        #expect(response.metricResults[0].collections[13].metric.statistic == "MAX")
        // Grouped by queue, with Amazon's Dimensions shape.
        var grouped = request
        grouped.groupings = ["QUEUE"]
        grouped.historicalMetrics = [.init(name: "CONTACTS_HANDLED", statistic: "SUM", unit: "COUNT")]
        let byQueue = try v1.getMetricData(grouped, instanceId: Self.instance, in: Self.state, now: Self.now)
        #expect(byQueue.metricResults.map { $0.dimensions.queue?.id } == ["q1", "q2"])
        #expect(
            byQueue.metricResults.map { $0.dimensions.queue?.arn } == [
                ConnectARN.queue(Self.instance, "q1"), ConnectARN.queue(Self.instance, "q2"),
            ]
        )
        #expect(byQueue.metricResults.map { $0.collections[0].value } == [2, 1])
    }

    @Test func theRequestDecodesFromAmazonsJSONAndNullsAreExplicit() throws {
        let body = """
            {"ResourceArn": "\(Self.arn)", "StartTime": \(Self.t0 / Self.second), "EndTime": \(Self.now / Self.second),
             "Interval": {"IntervalPeriod": "HOUR", "TimeZone": "UTC"},
             "Filters": [{"FilterKey": "QUEUE", "FilterValues": ["q1", "q2"]}],
             "Groupings": ["QUEUE"],
             "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 30}]},
                         {"Name": "CONTACTS_HANDLED", "MetricFilters": [{"MetricFilterKey": "INITIATION_METHOD",
                          "MetricFilterValues": ["API"], "Negate": false}]},
                         {"Name": "AGENT_ANSWER_RATE"}],
             "MaxResults": 1}
            """
        let request = try JSONDecoder().decode(GetMetricDataV2Request.self, from: Data(body.utf8))
        #expect(request.startTime == Double(Self.t0 / Self.second))
        #expect(request.metrics?.first?.threshold?.first?.thresholdValue == 30)
        let (v1, _) = Self.projections()
        let response = try Self.query(v1, request)
        #expect(response.metricResults.count == 1)
        #expect(response.nextToken != nil)
        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? [String: Any]
        )
        let results = try #require(json["MetricResults"] as? [[String: Any]])
        #expect(results[0]["Dimensions"] as? [String: String] == ["QUEUE": "q1"])
        let interval = try #require(results[0]["MetricInterval"] as? [String: Any])
        #expect(interval["Interval"] as? String == "HOUR")
        #expect(interval["StartTime"] as? Double == Double(Self.t0 / Self.second))
        let collections = try #require(results[0]["Collections"] as? [[String: Any]])
        #expect(collections.count == 3)
        #expect(collections[2]["Value"] is NSNull, "a ratio over zero is an explicit null")
        let metric = try #require(collections[0]["Metric"] as? [String: Any])
        #expect(metric["Name"] as? String == "SERVICE_LEVEL")
        // The ISO-8601 form of the timestamps decodes as well.
        let iso = body.replacingOccurrences(of: "\(Self.t0 / Self.second),", with: "\"2026-11-20T10:00:00Z\",")
        #expect(
            try JSONDecoder().decode(GetMetricDataV2Request.self, from: Data(iso.utf8)).startTime == request.startTime
        )
        // Paging on.
        var second = request
        second.nextToken = response.nextToken
        let next = try Self.query(v1, second)
        #expect(next.metricResults.map { $0.dimensions } == [["QUEUE": "q2"]])
        #expect(next.nextToken == nil)
    }
}

import Foundation
import ParleyDomain
import Testing

/// GetMetricDataV2 and GetMetricData requests that break a rule get a typed error naming it.
@Suite struct MetricsValidationTests {
    static let instance = ChatHarness.instanceId
    static let t0 = MetricsHistoricalTests.t0
    static let second = Duration.second
    static let now = t0 + 3_600 * second
    static let state = ChatHarness().state

    static func valid() -> GetMetricDataV2Request {
        GetMetricDataV2Request(
            resourceArn: ConnectARN.instance(instance),
            startTime: Double(t0 / second),
            endTime: Double(now / second),
            interval: .init(timeZone: "UTC", intervalPeriod: "HOUR"),
            filters: [.init(filterKey: "QUEUE", filterValues: ["q1"])],
            groupings: ["QUEUE"],
            metrics: [.init(name: "CONTACTS_HANDLED")]
        )
    }

    static func refused(
        _ change: (inout GetMetricDataV2Request) -> Void,
        _ code: ChatError.Code = .invalidParameter,
        mentioning text: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var request = valid()
        change(&request)
        let error = #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
            try HistoricalMetricsV2().getMetricDataV2(request, in: state, now: now)
        }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        if let text {
            #expect(
                error?.message.contains(text) == true,
                "\(String(describing: error))",
                sourceLocation: sourceLocation
            )
        }
    }

    static func threshold(_ name: String, _ comparison: String?, _ value: Double?) -> GetMetricDataV2Request.Metric {
        .init(name: name, threshold: [.init(comparison: comparison, thresholdValue: value)])
    }

    @Test func theValidRequestIsAccepted() throws {
        let response = try HistoricalMetricsV2().getMetricDataV2(Self.valid(), in: Self.state, now: Self.now)
        #expect(response.metricResults.isEmpty, "no data")
    }

    @Test func resourceAndTimeRange() {
        Self.refused({ $0.resourceArn = nil }, mentioning: "ResourceArn")
        Self.refused({ $0.resourceArn = ConnectARN.instance("another") }, .resourceNotFound)
        Self.refused({ $0.startTime = nil }, mentioning: "StartTime")
        Self.refused({ $0.startTime = $0.endTime }, mentioning: "before EndTime")
        Self.refused({ $0.endTime = Double((Self.now + Self.second) / Self.second) }, mentioning: "current time")
        Self.refused({ $0.startTime = Double((Self.now - 93 * Duration.day) / Self.second) }, mentioning: "3 months")
        Self.refused({ $0.interval?.intervalPeriod = "MINUTE" }, mentioning: "IntervalPeriod")
        // Times no log can hold are refused, not converted (a fuzzer's finding: a 40-digit StartTime trapped).
        Self.refused({ $0.startTime = 1.7e39 }, mentioning: "StartTime")
        Self.refused({ $0.endTime = -1e19 }, mentioning: "EndTime")
        Self.refused({ $0.endTime = .infinity }, mentioning: "EndTime")
        Self.refused({ $0.startTime = .nan }, mentioning: "StartTime")
        Self.refused({ $0.interval?.timeZone = "Europe/Paris" }, mentioning: "UTC")
        Self.refused(
            { request in
                request.interval?.intervalPeriod = "FIFTEEN_MIN"
                request.startTime = Double((Self.now - 3 * Duration.day) / Self.second)
            },
            mentioning: "3 days"
        )
        Self.refused(
            { request in
                request.interval?.intervalPeriod = "THIRTY_MIN"
                request.startTime = Double((Self.now - 3 * Duration.day) / Self.second)
            },
            mentioning: "3 days"
        )
    }

    @Test func filters() {
        Self.refused({ $0.filters = nil }, mentioning: "1–5")
        Self.refused({ $0.filters = [] }, mentioning: "1–5")
        Self.refused(
            { request in
                request.filters = [
                    "QUEUE", "AGENT", "ROUTING_PROFILE", "CHANNEL", "INITIATION_METHOD", "DISCONNECT_REASON",
                ]
                .map { .init(filterKey: $0, filterValues: [$0 == "CHANNEL" ? "CHAT" : "API"]) }
            },
            mentioning: "1–5"
        )
        Self.refused({ $0.filters = [.init(filterKey: "FEATURE", filterValues: ["x"])] }, mentioning: "FEATURE")
        Self.refused(
            { $0.filters = [.init(filterKey: "AGENT_HIERARCHY_LEVEL_ONE", filterValues: ["x"])] },
            mentioning: "hierarch"
        )
        Self.refused({ $0.filters?.append(.init(filterKey: "QUEUE", filterValues: ["q2"])) }, mentioning: "repeats")
        Self.refused({ $0.filters = [.init(filterKey: "QUEUE", filterValues: [])] }, mentioning: "1–100")
        Self.refused(
            { $0.filters = [.init(filterKey: "QUEUE", filterValues: (0...100).map { "q\($0)" })] },
            mentioning: "1–100"
        )
        Self.refused(
            { request in
                request.filters = [
                    .init(filterKey: "QUEUE", filterValues: (0..<60).map { "q\($0)" }),
                    .init(filterKey: "AGENT", filterValues: (0..<41).map { "a\($0)" }),
                ]
            },
            mentioning: "100 filter values"
        )
        Self.refused({ $0.filters = [.init(filterKey: "CHANNEL", filterValues: ["CHAT"])] }, mentioning: "required")
        Self.refused({ $0.filters?.append(.init(filterKey: "CHANNEL", filterValues: ["FAX"])) }, mentioning: "FAX")
        Self.refused(
            { $0.filters?.append(.init(filterKey: "INITIATION_METHOD", filterValues: ["TELEPATHY"])) },
            mentioning: "TELEPATHY"
        )
        Self.refused(
            { request in
                var filter = GetMetricDataV2Request.Filter(filterKey: "AGENT", filterValues: ["a1"])
                filter.stringCondition = .init(comparison: "NOT_EXISTS")
                request.filters?.append(filter)
            },
            mentioning: "StringCondition"
        )
    }

    @Test func channelValuesDoNotCountTowardTheHundred() throws {
        var request = Self.valid()
        request.filters = [
            .init(filterKey: "QUEUE", filterValues: (0..<100).map { "q\($0)" }),
            .init(filterKey: "CHANNEL", filterValues: ["VOICE", "CHAT", "TASK", "EMAIL"]),
        ]
        _ = try HistoricalMetricsV2().getMetricDataV2(request, in: Self.state, now: Self.now)
    }

    @Test func groupings() {
        Self.refused(
            { $0.groupings = ["QUEUE", "AGENT", "CHANNEL", "ROUTING_PROFILE", "INITIATION_METHOD"] },
            mentioning: "4"
        )
        Self.refused({ $0.groupings = ["AGENT_HIERARCHY_LEVEL_ONE"] }, mentioning: "not supported")
        Self.refused({ $0.groupings = ["QUEUE", "QUEUE"] }, mentioning: "repeats")
    }

    @Test func metrics() {
        Self.refused({ $0.metrics = [] }, mentioning: "Metrics")
        Self.refused({ $0.metrics = [.init(name: "CONTACTS_TELEPORTED")] }, mentioning: "CONTACTS_TELEPORTED")
        Self.refused({ $0.metrics = [.init(metricId: "arn:aws:connect:metric")] }, mentioning: "MetricId")
        Self.refused({ $0.metrics = [.init(name: "SERVICE_LEVEL")] }, mentioning: "Threshold")
        Self.refused({ $0.metrics = [Self.threshold("CONTACTS_HANDLED", "LT", 10)] }, mentioning: "no Threshold")
        Self.refused({ $0.metrics = [Self.threshold("SERVICE_LEVEL", "LT", 0)] }, mentioning: "1–604800")
        Self.refused({ $0.metrics = [Self.threshold("SERVICE_LEVEL", "LT", 604_801)] }, mentioning: "1–604800")
        Self.refused({ $0.metrics = [Self.threshold("SERVICE_LEVEL", "LT", 1.5)] }, mentioning: "whole")
        Self.refused({ $0.metrics = [Self.threshold("SERVICE_LEVEL", "GT", 10)] }, mentioning: "LT or LTE")
        Self.refused({ $0.metrics = [Self.threshold("SERVICE_LEVEL", nil, 10)] }, mentioning: "Comparison")
        Self.refused(
            {
                $0.metrics = [
                    .init(
                        name: "SERVICE_LEVEL",
                        threshold: [
                            .init(comparison: "LT", thresholdValue: 10), .init(comparison: "LT", thresholdValue: 20),
                        ]
                    )
                ]
            },
            mentioning: "one Threshold"
        )
        Self.refused(
            { $0.metrics = (0...20).map { Self.threshold("SERVICE_LEVEL", "LT", Double($0 + 1)) } },
            mentioning: "20 SERVICE_LEVEL"
        )
    }

    @Test func metricFilters() {
        func filtered(_ name: String, _ filters: [GetMetricDataV2Request.MetricFilter]) -> GetMetricDataV2Request.Metric
        {
            .init(name: name, metricFilters: filters)
        }
        Self.refused(
            {
                $0.metrics = [
                    filtered("CONTACTS_HANDLED", [.init(metricFilterKey: "FEATURE", metricFilterValues: ["x"])])
                ]
            },
            mentioning: "FEATURE"
        )
        Self.refused(
            { request in
                request.filters = [.init(filterKey: "AGENT", filterValues: ["a1"])]
                request.groupings = []
                request.metrics = [
                    filtered(
                        "SUM_ONLINE_TIME_AGENT",
                        [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["API"])]
                    )
                ]
            },
            mentioning: "not valid for SUM_ONLINE_TIME_AGENT"
        )
        Self.refused(
            {
                $0.metrics = [
                    filtered(
                        "AGENT_NON_RESPONSE",
                        [.init(metricFilterKey: "DISCONNECT_REASON", metricFilterValues: ["API"])]
                    )
                ]
            },
            mentioning: "not valid"
        )
        Self.refused(
            {
                $0.metrics = [
                    filtered(
                        "CONTACTS_HANDLED",
                        [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: (0...10).map { _ in "API" })]
                    )
                ]
            },
            mentioning: "1–10"
        )
        Self.refused(
            {
                $0.metrics = [
                    filtered(
                        "CONTACTS_HANDLED",
                        Array(
                            repeating: .init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["API"]),
                            count: 3
                        )
                    )
                ]
            },
            mentioning: "at most 2"
        )
        Self.refused(
            {
                $0.metrics = [
                    filtered(
                        "CONTACTS_HANDLED",
                        [.init(metricFilterKey: "INITIATION_METHOD", metricFilterValues: ["NOPE"])]
                    )
                ]
            },
            mentioning: "NOPE"
        )
    }

    @Test func dimensionsAMetricsFactsDoNotHave() {
        Self.refused({ $0.metrics = [.init(name: "AGENT_OCCUPANCY")] }, mentioning: "QUEUE")
        Self.refused(
            { request in
                request.groupings = ["DISCONNECT_REASON"]
                request.metrics = [.init(name: "AGENT_ANSWER_RATE")]
            },
            mentioning: "DISCONNECT_REASON"
        )
    }

    @Test func paging() {
        Self.refused({ $0.maxResults = 0 }, mentioning: "MaxResults")
        Self.refused({ $0.maxResults = 101 }, mentioning: "MaxResults")
        Self.refused({ $0.nextToken = "offset-99" }, mentioning: "NextToken")
        Self.refused({ $0.nextToken = "anything" }, mentioning: "NextToken")
    }

    static func legacy() -> GetMetricDataRequest {
        GetMetricDataRequest(
            startTime: Double((now - Duration.hour) / second),
            endTime: Double(now / second),
            filters: MetricFilters(queues: ["q1"]),
            historicalMetrics: [.init(name: "CONTACTS_HANDLED")]
        )
    }

    static func legacyRefused(
        _ change: (inout GetMetricDataRequest) -> Void,
        mentioning text: String,
        _ code: ChatError.Code = .invalidParameter,
        instanceId: String = instance,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var request = legacy()
        change(&request)
        let error = #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
            try HistoricalMetricsV1().getMetricData(request, instanceId: instanceId, in: state, now: now)
        }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains(text) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test func getMetricDataRules() throws {
        _ = try HistoricalMetricsV1().getMetricData(
            Self.legacy(),
            instanceId: Self.instance,
            in: Self.state,
            now: Self.now
        )
        Self.legacyRefused({ $0.startTime = ($0.startTime ?? 0) + 60 }, mentioning: "5-minute")
        Self.legacyRefused(
            { $0.startTime = Double((Self.now - Duration.day - 300 * Self.second) / Self.second) },
            mentioning: "24 hours"
        )
        Self.legacyRefused(
            { request in
                request.startTime = Double((Self.now - Duration.day) / Self.second)
                request.endTime = Double(Self.now / Self.second)
            },
            mentioning: "less than 24 hours"
        )
        Self.legacyRefused({ $0.endTime = $0.startTime }, mentioning: "before EndTime")
        Self.legacyRefused({ $0.startTime = 1.7e39 }, mentioning: "StartTime")
        Self.legacyRefused({ $0.endTime = 1e58 }, mentioning: "EndTime")
        Self.legacyRefused({ $0.filters = nil }, mentioning: "Queues")
        Self.legacyRefused({ $0.filters?.agentStatuses = ["break"] }, mentioning: "AgentStatuses")
        Self.legacyRefused({ $0.groupings = ["AGENT"] }, mentioning: "AGENT")
        Self.legacyRefused({ $0.groupings = ["QUEUE", "CHANNEL", "ROUTING_PROFILE"] }, mentioning: "at most 2")
        Self.legacyRefused({ $0.historicalMetrics = [.init(name: "AVG_MESSAGES")] }, mentioning: "AVG_MESSAGES")
        Self.legacyRefused(
            { $0.historicalMetrics = [.init(name: "CONTACTS_HANDLED", unit: "SECONDS")] },
            mentioning: "unit"
        )
        Self.legacyRefused(
            { $0.historicalMetrics = [.init(name: "HANDLE_TIME", statistic: "SUM")] },
            mentioning: "statistic"
        )
        Self.legacyRefused({ $0.historicalMetrics = [.init(name: "SERVICE_LEVEL")] }, mentioning: "Threshold")
        Self.legacyRefused(
            {
                $0.historicalMetrics = [
                    .init(name: "SERVICE_LEVEL", threshold: .init(comparison: "LTE", thresholdValue: 20))
                ]
            },
            mentioning: "must be LT"
        )
        Self.legacyRefused({ _ in }, mentioning: "instance", .resourceNotFound, instanceId: "another")
    }
}

// GetMetricData (v1, `POST /metrics/historical/{InstanceId}`, connect-chat.md §8.2): its metric names mapped onto the
// same cells as GetMetricDataV2. The last 24 hours only, on 5-minute boundaries, one TOTAL interval.

/// `GetMetricData`'s request body (the instance id travels in the path).
public struct GetMetricDataRequest: Sendable, Equatable, Codable {
    /// `Threshold` of SERVICE_LEVEL: `LT` and whole seconds.
    public struct Threshold: Sendable, Equatable, Codable {
        /// `Comparison`: LT.
        public var comparison: String?
        /// `ThresholdValue`: 1–604,800.
        public var thresholdValue: Double?

        /// Creates a threshold.
        public init(comparison: String? = nil, thresholdValue: Double? = nil) {
            self.comparison = comparison
            self.thresholdValue = thresholdValue
        }

        enum CodingKeys: String, CodingKey {
            case comparison = "Comparison"
            case thresholdValue = "ThresholdValue"
        }
    }

    /// One of `HistoricalMetrics`; echoed (with its unit and statistic) in each result.
    public struct HistoricalMetric: Sendable, Equatable, Codable {
        /// `Name`, e.g. `CONTACTS_HANDLED`.
        public var name: String?
        /// `Threshold` (SERVICE_LEVEL only).
        public var threshold: Threshold?
        /// `Statistic`: SUM, MAX or AVG; must be the metric's when given.
        public var statistic: String?
        /// `Unit`: COUNT, SECONDS or PERCENT; must be the metric's when given.
        public var unit: String?

        /// Creates a metric.
        public init(name: String? = nil, threshold: Threshold? = nil, statistic: String? = nil, unit: String? = nil) {
            self.name = name
            self.threshold = threshold
            self.statistic = statistic
            self.unit = unit
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case threshold = "Threshold"
            case statistic = "Statistic"
            case unit = "Unit"
        }
    }

    /// `StartTime` (epoch seconds, a multiple of 5 minutes, within the last 24 h).
    public var startTime: Double?
    /// `EndTime` (epoch seconds, a multiple of 5 minutes).
    public var endTime: Double?
    /// `Filters` (required, with `Queues`).
    public var filters: MetricFilters?
    /// `Groupings`: ≤ 2 of QUEUE, CHANNEL, ROUTING_PROFILE.
    public var groupings: [String]?
    /// `HistoricalMetrics`.
    public var historicalMetrics: [HistoricalMetric]?
    /// `NextToken`.
    public var nextToken: String?
    /// `MaxResults` (1–100, default 100).
    public var maxResults: Int?

    /// Creates a request.
    public init(
        startTime: Double? = nil,
        endTime: Double? = nil,
        filters: MetricFilters? = nil,
        groupings: [String]? = nil,
        historicalMetrics: [HistoricalMetric]? = nil,
        nextToken: String? = nil,
        maxResults: Int? = nil
    ) {
        self.startTime = startTime
        self.endTime = endTime
        self.filters = filters
        self.groupings = groupings
        self.historicalMetrics = historicalMetrics
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case startTime = "StartTime"
        case endTime = "EndTime"
        case filters = "Filters"
        case groupings = "Groupings"
        case historicalMetrics = "HistoricalMetrics"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }

    /// Decodes the body; timestamps may be epoch seconds or ISO-8601 strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        startTime = try MetricsTime.decode(container, .startTime)
        endTime = try MetricsTime.decode(container, .endTime)
        filters = try container.decodeIfPresent(MetricFilters.self, forKey: .filters)
        groupings = try container.decodeIfPresent([String].self, forKey: .groupings)
        historicalMetrics = try container.decodeIfPresent([HistoricalMetric].self, forKey: .historicalMetrics)
        nextToken = try container.decodeIfPresent(String.self, forKey: .nextToken)
        maxResults = try container.decodeIfPresent(Int.self, forKey: .maxResults)
    }
}

/// One metric value of a GetMetricData result (`HistoricalMetricData`).
public typealias HistoricalMetricData = MetricValue<GetMetricDataRequest.HistoricalMetric>

/// One row of a GetMetricData result (`HistoricalMetricResult`).
public typealias HistoricalMetricResult = MetricResultRow<GetMetricDataRequest.HistoricalMetric>

/// `GetMetricData`'s response.
public struct GetMetricDataResponse: Sendable, Equatable, Codable {
    /// `NextToken`.
    public var nextToken: String?
    /// `MetricResults`.
    public var metricResults: [HistoricalMetricResult]

    /// Creates a response.
    public init(nextToken: String?, metricResults: [HistoricalMetricResult]) {
        self.nextToken = nextToken
        self.metricResults = metricResults
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case metricResults = "MetricResults"
    }
}

/// How a GetMetricData (v1) name maps onto the cells.
struct LegacyMetric: Sendable {
    /// The definition it reads (a GetMetricDataV2 name or an internal one).
    var definition: String
    /// `Unit`.
    var unit: String
    /// `Statistic`.
    var statistic: String
    /// Initiation methods it is limited to (nil: all).
    var methods: Set<String>? = nil

    /// The v1 names.
    static let byName: [String: LegacyMetric] = [
        "CONTACTS_QUEUED": LegacyMetric(definition: "CONTACTS_QUEUED", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_HANDLED": LegacyMetric(definition: "CONTACTS_HANDLED", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_ABANDONED": LegacyMetric(definition: "CONTACTS_ABANDONED", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_CONSULTED": LegacyMetric(definition: "ZERO", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_AGENT_HUNG_UP_FIRST": LegacyMetric(
            definition: "CONTACTS_AGENT_HUNG_UP_FIRST",
            unit: "COUNT",
            statistic: "SUM"
        ),
        // "Contacts incoming" = inbound and transferred segments; an API segment counts only as an API contact.
        "CONTACTS_HANDLED_INCOMING": LegacyMetric(
            definition: "CONTACTS_HANDLED",
            unit: "COUNT",
            statistic: "SUM",
            methods: MetricFilterValues.incoming
        ),
        "CONTACTS_HANDLED_OUTBOUND": LegacyMetric(definition: "ZERO", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_HOLD_ABANDONS": LegacyMetric(definition: "ZERO", unit: "COUNT", statistic: "SUM"),
        "CONTACTS_TRANSFERRED_IN": LegacyMetric(
            definition: "CONTACTS_CREATED",
            unit: "COUNT",
            statistic: "SUM",
            methods: ["TRANSFER"]
        ),
        "CONTACTS_TRANSFERRED_OUT": LegacyMetric(
            definition: "CONTACTS_TRANSFERRED_OUT_BY_AGENT",
            unit: "COUNT",
            statistic: "SUM"
        ),
        "CONTACTS_TRANSFERRED_IN_FROM_QUEUE": LegacyMetric(
            definition: "CONTACTS_CREATED",
            unit: "COUNT",
            statistic: "SUM",
            methods: ["QUEUE_TRANSFER"]
        ),
        "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE": LegacyMetric(
            definition: "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE",
            unit: "COUNT",
            statistic: "SUM"
        ),
        "CONTACTS_MISSED": LegacyMetric(definition: "AGENT_NON_RESPONSE", unit: "COUNT", statistic: "SUM"),
        "CALLBACK_CONTACTS_HANDLED": LegacyMetric(definition: "ZERO", unit: "COUNT", statistic: "SUM"),
        "API_CONTACTS_HANDLED": LegacyMetric(
            definition: "CONTACTS_HANDLED",
            unit: "COUNT",
            statistic: "SUM",
            methods: ["API"]
        ),
        "OCCUPANCY": LegacyMetric(definition: "AGENT_OCCUPANCY", unit: "PERCENT", statistic: "AVG"),
        "HANDLE_TIME": LegacyMetric(definition: "AVG_HANDLE_TIME", unit: "SECONDS", statistic: "AVG"),
        "AFTER_CONTACT_WORK_TIME": LegacyMetric(
            definition: "AVG_AFTER_CONTACT_WORK_TIME",
            unit: "SECONDS",
            statistic: "AVG"
        ),
        "QUEUED_TIME": LegacyMetric(definition: "MAX_QUEUED_TIME", unit: "SECONDS", statistic: "MAX"),
        "ABANDON_TIME": LegacyMetric(definition: "AVG_ABANDON_TIME", unit: "SECONDS", statistic: "AVG"),
        "QUEUE_ANSWER_TIME": LegacyMetric(definition: "AVG_QUEUE_ANSWER_TIME", unit: "SECONDS", statistic: "AVG"),
        "HOLD_TIME": LegacyMetric(definition: "HOLD_TIME", unit: "SECONDS", statistic: "AVG"),
        "INTERACTION_TIME": LegacyMetric(definition: "AVG_INTERACTION_TIME", unit: "SECONDS", statistic: "AVG"),
        "INTERACTION_AND_HOLD_TIME": LegacyMetric(
            definition: "AVG_INTERACTION_AND_HOLD_TIME",
            unit: "SECONDS",
            statistic: "AVG"
        ),
        "SERVICE_LEVEL": LegacyMetric(definition: "SERVICE_LEVEL", unit: "PERCENT", statistic: "AVG"),
    ]
}

/// The GetMetricData (v1) groupings.
enum LegacyGrouping: String {
    case queue = "QUEUE"
    case channel = "CHANNEL"
    case routingProfile = "ROUTING_PROFILE"

    var dimension: MetricDimension {
        switch self {
        case .queue: .queue
        case .channel: .channel
        case .routingProfile: .routingProfile
        }
    }
}

extension MetricsAggregate {
    /// `GetMetricData` (v1) over this aggregate at `now` (µs).
    func getMetricData(
        _ request: GetMetricDataRequest,
        instanceId: String,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> GetMetricDataResponse {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let startSeconds = request.startTime, let endSeconds = request.endTime else {
            throw ChatError(.invalidParameter, "StartTime and EndTime are required")
        }
        let (start, end) = try MetricsTime.range(start: startSeconds, end: endSeconds)
        let fiveMinutes = 5 * Duration.minute
        guard start % fiveMinutes == 0, end % fiveMinutes == 0 else {
            throw ChatError(.invalidParameter, "StartTime and EndTime must be on 5-minute boundaries")
        }
        guard start < end else { throw ChatError(.invalidParameter, "StartTime must be before EndTime") }
        guard start >= now - Duration.day else {
            throw ChatError(.invalidParameter, "StartTime cannot be earlier than 24 hours before now")
        }
        guard end - start < Duration.day else {
            throw ChatError(.invalidParameter, "EndTime − StartTime must be less than 24 hours")
        }
        let filters = request.filters ?? MetricFilters()
        guard let queueReferences = filters.queues, !queueReferences.isEmpty else {
            throw ChatError(.invalidParameter, "Filters.Queues is required (1–100 queues)")
        }
        guard queueReferences.count <= 100 else { throw ChatError(.invalidParameter, "Queues takes at most 100") }
        var queryFilters: [MetricDimension: Set<String>] = [
            .queue: Set(queueReferences.map(ConnectARN.id))
        ]
        if let channels = filters.channels, !channels.isEmpty {
            _ = try MetricChannels.includesChat(channels)
            queryFilters[.channel] = Set(channels)
        }
        if let profiles = filters.routingProfiles, !profiles.isEmpty {
            guard profiles.count <= 100 else { throw ChatError(.invalidParameter, "RoutingProfiles takes at most 100") }
            queryFilters[.routingProfile] = Set(profiles.map(ConnectARN.id))
        }
        for (name, values) in [
            ("RoutingStepExpressions", filters.routingStepExpressions), ("AgentStatuses", filters.agentStatuses),
            ("Subtypes", filters.subtypes), ("ValidationTestTypes", filters.validationTestTypes),
        ] where !(values ?? []).isEmpty {
            throw ChatError(.invalidParameter, "GetMetricData does not take the \(name) filter")
        }
        var groupings: [LegacyGrouping] = []
        for name in request.groupings ?? [] {
            guard let grouping = LegacyGrouping(rawValue: name) else {
                throw ChatError(
                    .invalidParameter,
                    "grouping \(name) is not supported: QUEUE, CHANNEL or ROUTING_PROFILE"
                )
            }
            guard !groupings.contains(grouping) else { throw ChatError(.invalidParameter, "grouping \(name) repeats") }
            groupings.append(grouping)
        }
        guard groupings.count <= 2 else { throw ChatError(.invalidParameter, "Groupings takes at most 2") }
        guard let requested = request.historicalMetrics, !requested.isEmpty else {
            throw ChatError(.invalidParameter, "HistoricalMetrics is required")
        }
        var metrics: [(resolved: ResolvedMetric, echo: GetMetricDataRequest.HistoricalMetric)] = []
        for metric in requested {
            guard let name = metric.name, let legacy = LegacyMetric.byName[name] else {
                throw ChatError(.invalidParameter, "unknown GetMetricData metric \(metric.name ?? "(none)")")
            }
            if let unit = metric.unit, unit != legacy.unit {
                throw ChatError(.invalidParameter, "the unit of \(name) is \(legacy.unit), not \(unit)")
            }
            if let statistic = metric.statistic, statistic != legacy.statistic {
                throw ChatError(.invalidParameter, "the statistic of \(name) is \(legacy.statistic), not \(statistic)")
            }
            guard
                let definition = MetricCatalogue.byName[legacy.definition]
                    ?? MetricCatalogue.legacyByName[legacy.definition]
            else { throw ChatError(.internalService, "no definition for \(name)") }
            let thresholds = metric.threshold.map {
                [GetMetricDataV2Request.Threshold(comparison: $0.comparison, thresholdValue: $0.thresholdValue)]
            }
            let threshold = try Self.checkThreshold(thresholds, for: definition, allowLTE: false)
            let methodFilter = legacy.methods.map {
                [MetricLevelFilter(dimension: .initiationMethod, values: $0, negate: false)]
            }
            var echo = metric
            echo.unit = legacy.unit
            echo.statistic = legacy.statistic
            metrics.append(
                (ResolvedMetric(definition: definition, threshold: threshold, filters: methodFilter ?? []), echo)
            )
        }
        // Agent time has no queue: it counts for the queues the agent's routing profile serves now.
        var profileQueues: [String: [String]] = [:]
        for profile in state.routingProfiles.values {
            profileQueues[profile.routingProfileId] = profile.queues.map(\.queueId)
        }
        let query = MetricQuery(
            start: start,
            end: end,
            period: .total,
            filters: queryFilters,
            groupings: groupings.map(\.dimension),
            metrics: metrics.map(\.resolved),
            profileQueues: profileQueues
        )
        let rows = accrued(until: now).run(query)
        let (page, next) = try MetricPaging.page(rows, nextToken: request.nextToken, maxResults: request.maxResults)
        return GetMetricDataResponse(
            nextToken: next,
            metricResults: page.map { row in
                var dimensions = MetricDimensions()
                for (grouping, value) in zip(groupings, row.dimensions) {
                    switch grouping {
                    case .queue:
                        dimensions.queue = MetricResourceReference(id: value, arn: ConnectARN.queue(instanceId, value))
                    case .channel:
                        dimensions.channel = value
                    case .routingProfile:
                        dimensions.routingProfile = MetricResourceReference(
                            id: value,
                            arn: ConnectARN.routingProfile(instanceId, value)
                        )
                    }
                }
                return HistoricalMetricResult(
                    dimensions: dimensions,
                    collections: zip(metrics, row.values).map { metric, value in
                        HistoricalMetricData(metric: metric.echo, value: value)
                    }
                )
            }
        )
    }
}

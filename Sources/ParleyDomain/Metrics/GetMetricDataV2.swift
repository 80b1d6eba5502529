// GetMetricDataV2 (`POST /metrics/data`, connect-chat.md §8.2): the request and response in Amazon's JSON shape, the
// validation rules, and the translation into a `MetricQuery` over a historical metrics projection.

/// `GetMetricDataV2`'s request body.
public struct GetMetricDataV2Request: Sendable, Equatable, Codable {
    /// `Interval`: the period and time zone.
    public struct IntervalDetails: Sendable, Equatable, Codable {
        /// `TimeZone`: only UTC is supported.
        public var timeZone: String?
        /// `IntervalPeriod`: FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK or TOTAL (the default).
        public var intervalPeriod: String?

        /// Creates interval details.
        public init(timeZone: String? = nil, intervalPeriod: String? = nil) {
            self.timeZone = timeZone
            self.intervalPeriod = intervalPeriod
        }

        enum CodingKeys: String, CodingKey {
            case timeZone = "TimeZone"
            case intervalPeriod = "IntervalPeriod"
        }
    }

    /// One of `Filters`.
    public struct Filter: Sendable, Equatable, Codable {
        /// `StringCondition` (`{"Comparison": "NOT_EXISTS"}`; not supported).
        public struct StringCondition: Sendable, Equatable, Codable {
            /// `Comparison`.
            public var comparison: String?

            /// Creates a condition.
            public init(comparison: String? = nil) { self.comparison = comparison }

            enum CodingKeys: String, CodingKey {
                case comparison = "Comparison"
            }
        }

        /// `FilterKey`: QUEUE, ROUTING_PROFILE, AGENT, CHANNEL, INITIATION_METHOD or DISCONNECT_REASON.
        public var filterKey: String?
        /// `FilterValues`: ids or ARNs for resources (1–100).
        public var filterValues: [String]?
        /// `StringCondition`.
        public var stringCondition: StringCondition?

        /// Creates a filter.
        public init(filterKey: String? = nil, filterValues: [String]? = nil) {
            self.filterKey = filterKey
            self.filterValues = filterValues
        }

        enum CodingKeys: String, CodingKey {
            case filterKey = "FilterKey"
            case filterValues = "FilterValues"
            case stringCondition = "StringCondition"
        }
    }

    /// A threshold (`ThresholdV2`).
    public struct Threshold: Sendable, Equatable, Codable {
        /// `Comparison`: LT or LTE.
        public var comparison: String?
        /// `ThresholdValue`: whole seconds, 1–604,800.
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

    /// A metric-level filter (`MetricFilterV2`).
    public struct MetricFilter: Sendable, Equatable, Codable {
        /// `MetricFilterKey`: INITIATION_METHOD or DISCONNECT_REASON.
        public var metricFilterKey: String?
        /// `MetricFilterValues` (1–10).
        public var metricFilterValues: [String]?
        /// `Negate`: keep what does not match.
        public var negate: Bool?

        /// Creates a metric filter.
        public init(metricFilterKey: String? = nil, metricFilterValues: [String]? = nil, negate: Bool? = nil) {
            self.metricFilterKey = metricFilterKey
            self.metricFilterValues = metricFilterValues
            self.negate = negate
        }

        enum CodingKeys: String, CodingKey {
            case metricFilterKey = "MetricFilterKey"
            case metricFilterValues = "MetricFilterValues"
            case negate = "Negate"
        }
    }

    /// One of `Metrics` (`MetricV2`); echoed in each result.
    public struct Metric: Sendable, Equatable, Codable {
        /// `Name`.
        public var name: String?
        /// `Threshold` (≤ 1), for the `…_IN_X` metrics and SERVICE_LEVEL.
        public var threshold: [Threshold]?
        /// `MetricId` (not supported).
        public var metricId: String?
        /// `MetricFilters` (≤ 2).
        public var metricFilters: [MetricFilter]?

        /// Creates a metric.
        public init(
            name: String? = nil,
            threshold: [Threshold]? = nil,
            metricId: String? = nil,
            metricFilters: [MetricFilter]? = nil
        ) {
            self.name = name
            self.threshold = threshold
            self.metricId = metricId
            self.metricFilters = metricFilters
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case threshold = "Threshold"
            case metricId = "MetricId"
            case metricFilters = "MetricFilters"
        }
    }

    /// `ResourceArn`: the instance's ARN.
    public var resourceArn: String?
    /// `StartTime` (epoch seconds).
    public var startTime: Double?
    /// `EndTime` (epoch seconds).
    public var endTime: Double?
    /// `Interval`.
    public var interval: IntervalDetails?
    /// `Filters` (1–5 keys; a QUEUE, ROUTING_PROFILE or AGENT filter is required).
    public var filters: [Filter]?
    /// `Groupings` (≤ 4).
    public var groupings: [String]?
    /// `Metrics`.
    public var metrics: [Metric]?
    /// `NextToken`.
    public var nextToken: String?
    /// `MaxResults` (1–100, default 100).
    public var maxResults: Int?

    /// Creates a request.
    public init(
        resourceArn: String? = nil,
        startTime: Double? = nil,
        endTime: Double? = nil,
        interval: IntervalDetails? = nil,
        filters: [Filter]? = nil,
        groupings: [String]? = nil,
        metrics: [Metric]? = nil,
        nextToken: String? = nil,
        maxResults: Int? = nil
    ) {
        self.resourceArn = resourceArn
        self.startTime = startTime
        self.endTime = endTime
        self.interval = interval
        self.filters = filters
        self.groupings = groupings
        self.metrics = metrics
        self.nextToken = nextToken
        self.maxResults = maxResults
    }

    enum CodingKeys: String, CodingKey {
        case resourceArn = "ResourceArn"
        case startTime = "StartTime"
        case endTime = "EndTime"
        case interval = "Interval"
        case filters = "Filters"
        case groupings = "Groupings"
        case metrics = "Metrics"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
    }

    /// Decodes the body; timestamps may be epoch seconds (the AWS JSON protocol) or ISO-8601 strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resourceArn = try container.decodeIfPresent(String.self, forKey: .resourceArn)
        startTime = try MetricsTime.decode(container, .startTime)
        endTime = try MetricsTime.decode(container, .endTime)
        interval = try container.decodeIfPresent(IntervalDetails.self, forKey: .interval)
        filters = try container.decodeIfPresent([Filter].self, forKey: .filters)
        groupings = try container.decodeIfPresent([String].self, forKey: .groupings)
        metrics = try container.decodeIfPresent([Metric].self, forKey: .metrics)
        nextToken = try container.decodeIfPresent(String.self, forKey: .nextToken)
        maxResults = try container.decodeIfPresent(Int.self, forKey: .maxResults)
    }
}

/// `MetricInterval` of a result: the period and the interval's bounds (epoch seconds).
public struct MetricIntervalV2: Sendable, Equatable, Codable {
    /// `Interval`: the requested period.
    public var interval: String
    /// `StartTime`.
    public var startTime: Double
    /// `EndTime`.
    public var endTime: Double

    /// Creates an interval.
    public init(interval: String, startTime: Double, endTime: Double) {
        self.interval = interval
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case interval = "Interval"
        case startTime = "StartTime"
        case endTime = "EndTime"
    }
}

/// One metric value of a result (`MetricDataV2`).
public typealias MetricDataV2 = MetricValue<GetMetricDataV2Request.Metric>

/// One result (`MetricResultV2`).
public struct MetricResultV2: Sendable, Equatable, Codable {
    /// `Dimensions`: grouping name → value (e.g. `"QUEUE": "<queue id>"`).
    public var dimensions: [String: String]
    /// `MetricInterval`.
    public var metricInterval: MetricIntervalV2
    /// `Collections`: one value per requested metric, in request order.
    public var collections: [MetricDataV2]

    /// Creates a result.
    public init(dimensions: [String: String], metricInterval: MetricIntervalV2, collections: [MetricDataV2]) {
        self.dimensions = dimensions
        self.metricInterval = metricInterval
        self.collections = collections
    }

    enum CodingKeys: String, CodingKey {
        case dimensions = "Dimensions"
        case metricInterval = "MetricInterval"
        case collections = "Collections"
    }
}

/// `GetMetricDataV2`'s response.
public struct GetMetricDataV2Response: Sendable, Equatable, Codable {
    /// `NextToken`.
    public var nextToken: String?
    /// `MetricResults`: empty when there is no data.
    public var metricResults: [MetricResultV2]

    /// Creates a response.
    public init(nextToken: String?, metricResults: [MetricResultV2]) {
        self.nextToken = nextToken
        self.metricResults = metricResults
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case metricResults = "MetricResults"
    }
}

/// Value names the metric-level filters and the INITIATION_METHOD / DISCONNECT_REASON filters accept.
enum MetricFilterValues {
    /// Amazon's `InitiationMethod` values (Parley produces API, DISCONNECT, TRANSFER and QUEUE_TRANSFER).
    static let initiationMethods: Set<String> = [
        "INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT", "MONITOR",
        "EXTERNAL_OUTBOUND", "WEBRTC_API", "AGENT_REPLY", "FLOW", "CALLBACK_CUSTOMER_FIRST_DIALED",
    ]
    /// `INCOMING` stands for inbound and transferred contacts (the "Contacts incoming" rule).
    static let incoming: Set<String> = ["INBOUND", "TRANSFER", "QUEUE_TRANSFER"]

    /// Checked values of `dimension`; INCOMING expands to INBOUND, TRANSFER, QUEUE_TRANSFER.
    static func check(_ values: [String], _ dimension: MetricDimension) throws(ChatError) -> Set<String> {
        var accepted: Set<String> = []
        for value in values {
            guard (1...250).contains(value.count) else {
                throw ChatError(.invalidParameter, "a \(dimension.rawValue) value must be 1–250 characters")
            }
            switch dimension {
            case .initiationMethod:
                if value == "INCOMING" {
                    accepted.formUnion(incoming)
                } else if initiationMethods.contains(value) {
                    accepted.insert(value)
                } else {
                    throw ChatError(.invalidParameter, "unknown INITIATION_METHOD value \(value)")
                }
            case .channel:
                guard MetricChannels.all.contains(value) else {
                    throw ChatError(.invalidParameter, "unknown channel \(value): VOICE, CHAT, TASK or EMAIL")
                }
                accepted.insert(value)
            case .queue, .routingProfile, .agent:
                accepted.insert(ConnectARN.id(value))
            case .disconnectReason:
                accepted.insert(value)
            }
        }
        return accepted
    }
}

extension MetricsAggregate {
    /// `GetMetricDataV2` over this aggregate at `now` (µs).
    func getMetricDataV2(
        _ request: GetMetricDataV2Request,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> GetMetricDataV2Response {
        guard let resource = request.resourceArn, !resource.isEmpty else {
            throw ChatError(.invalidParameter, "ResourceArn is required")
        }
        let instanceId = ConnectARN.instanceId(ofResource: resource)
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let startSeconds = request.startTime, let endSeconds = request.endTime else {
            throw ChatError(.invalidParameter, "StartTime and EndTime are required")
        }
        let (start, end) = try MetricsTime.range(start: startSeconds, end: endSeconds)
        guard start < end else { throw ChatError(.invalidParameter, "StartTime must be before EndTime") }
        guard end <= now else { throw ChatError(.invalidParameter, "EndTime cannot be later than the current time") }
        guard start >= now - MetricsLimits.retention else {
            throw ChatError(.invalidParameter, "StartTime must be within the last 3 months (92 days)")
        }
        let periodName = request.interval?.intervalPeriod ?? "TOTAL"
        guard let period = IntervalPeriod(rawValue: periodName) else {
            throw ChatError(
                .invalidParameter,
                "IntervalPeriod must be FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK or TOTAL, not \(periodName)"
            )
        }
        if let zone = request.interval?.timeZone, zone != "UTC", zone != "Etc/UTC" {
            throw ChatError(.invalidParameter, "TimeZone \(zone) is not supported: Parley reports in UTC only")
        }
        if period == .fifteenMinutes || period == .thirtyMinutes, end - start >= 3 * Duration.day {
            throw ChatError(.invalidParameter, "with \(periodName), EndTime − StartTime must be less than 3 days")
        }
        let filters = try Self.checkFilters(request.filters)
        let groupings = try Self.checkGroupings(request.groupings)
        let metrics = try checkMetrics(request.metrics ?? [], filters: filters, groupings: groupings)
        let query = MetricQuery(
            start: start,
            end: end,
            period: period,
            filters: filters,
            groupings: groupings,
            metrics: metrics.map(\.resolved)
        )
        let rows = accrued(until: now).run(query)
        let (page, next) = try MetricPaging.page(rows, nextToken: request.nextToken, maxResults: request.maxResults)
        return GetMetricDataV2Response(
            nextToken: next,
            metricResults: page.map { row in
                MetricResultV2(
                    dimensions: Dictionary(
                        uniqueKeysWithValues: zip(groupings.map(\.rawValue), row.dimensions)
                    ),
                    metricInterval: MetricIntervalV2(
                        interval: period.rawValue,
                        startTime: EpochTime.seconds(row.intervalStart),
                        endTime: EpochTime.seconds(row.intervalEnd)
                    ),
                    collections: zip(metrics, row.values).map { metric, value in
                        MetricDataV2(metric: metric.request, value: value)
                    }
                )
            }
        )
    }

    /// The request filters: 1–5 keys, ≤ 100 values (CHANNEL values aside), a resource filter required.
    static func checkFilters(
        _ filters: [GetMetricDataV2Request.Filter]?
    ) throws(ChatError) -> [MetricDimension: Set<String>] {
        guard let filters, (1...5).contains(filters.count) else {
            throw ChatError(.invalidParameter, "Filters needs 1–5 filter keys")
        }
        var checked: [MetricDimension: Set<String>] = [:]
        var counted = 0
        for filter in filters {
            guard let key = filter.filterKey else {
                throw ChatError(.invalidParameter, "every filter needs a FilterKey")
            }
            if key.hasPrefix("AGENT_HIERARCHY_LEVEL_") {
                throw ChatError(
                    .invalidParameter,
                    "filter key \(key) is not supported: Parley has no agent hierarchies"
                )
            }
            guard let dimension = MetricDimension(rawValue: key) else {
                throw ChatError(
                    .invalidParameter,
                    "filter key \(key) is not supported: QUEUE, ROUTING_PROFILE, AGENT, CHANNEL, INITIATION_METHOD "
                        + "or DISCONNECT_REASON"
                )
            }
            guard checked[dimension] == nil else { throw ChatError(.invalidParameter, "filter key \(key) repeats") }
            guard filter.stringCondition == nil else {
                throw ChatError(.invalidParameter, "StringCondition is not supported")
            }
            guard let values = filter.filterValues, (1...100).contains(values.count) else {
                throw ChatError(.invalidParameter, "filter \(key) needs 1–100 FilterValues")
            }
            if dimension != .channel { counted += values.count }
            checked[dimension] = try MetricFilterValues.check(values, dimension)
        }
        guard counted <= 100 else {
            throw ChatError(.invalidParameter, "at most 100 filter values in all (CHANNEL values aside)")
        }
        guard checked[.queue] != nil || checked[.routingProfile] != nil || checked[.agent] != nil else {
            throw ChatError(.invalidParameter, "a QUEUE, ROUTING_PROFILE or AGENT filter is required")
        }
        return checked
    }

    /// The groupings: ≤ 4 supported dimensions, none twice.
    static func checkGroupings(_ groupings: [String]?) throws(ChatError) -> [MetricDimension] {
        let names = groupings ?? []
        guard names.count <= 4 else { throw ChatError(.invalidParameter, "Groupings takes at most 4") }
        var checked: [MetricDimension] = []
        for name in names {
            guard let dimension = MetricDimension(rawValue: name) else {
                throw ChatError(
                    .invalidParameter,
                    "grouping \(name) is not supported: QUEUE, ROUTING_PROFILE, AGENT, CHANNEL, INITIATION_METHOD "
                        + "or DISCONNECT_REASON"
                )
            }
            guard !checked.contains(dimension) else { throw ChatError(.invalidParameter, "grouping \(name) repeats") }
            checked.append(dimension)
        }
        return checked
    }

    /// The metrics: known names this schema keeps, thresholds and metric filters where they belong, and filters
    /// and groupings the metric's facts have.
    func checkMetrics(
        _ requested: [GetMetricDataV2Request.Metric],
        filters: [MetricDimension: Set<String>],
        groupings: [MetricDimension]
    ) throws(ChatError) -> [(resolved: ResolvedMetric, request: GetMetricDataV2Request.Metric)] {
        guard !requested.isEmpty else { throw ChatError(.invalidParameter, "Metrics is required") }
        var serviceLevels = 0
        var checked: [(resolved: ResolvedMetric, request: GetMetricDataV2Request.Metric)] = []
        for metric in requested {
            guard metric.metricId == nil else {
                throw ChatError(.invalidParameter, "MetricId is not supported; name the metric with Name")
            }
            guard let name = metric.name else { throw ChatError(.invalidParameter, "every metric needs a Name") }
            guard let definition = MetricCatalogue.byName[name] else {
                throw ChatError(.invalidParameter, "metric \(name) is unknown or not supported by Parley")
            }
            if definition.chat, schema != .v2 {
                throw ChatError(
                    .invalidRequest,
                    "metric \(name) is not supported by this projection version (\(schema)); it needs metrics@2"
                )
            }
            if name == "SERVICE_LEVEL" { serviceLevels += 1 }
            let threshold = try Self.checkThreshold(metric.threshold, for: definition, allowLTE: true)
            var metricFilters: [MetricLevelFilter] = []
            let given = metric.metricFilters ?? []
            guard given.count <= 2 else { throw ChatError(.invalidParameter, "MetricFilters takes at most 2") }
            for filter in given {
                guard let key = filter.metricFilterKey, let dimension = MetricDimension(rawValue: key),
                    definition.family.metricFilters.contains(dimension)
                else {
                    throw ChatError(
                        .invalidParameter,
                        "metric filter \(filter.metricFilterKey ?? "(none)") is not valid for \(name)"
                    )
                }
                guard let values = filter.metricFilterValues, (1...10).contains(values.count) else {
                    throw ChatError(.invalidParameter, "metric filter \(key) needs 1–10 MetricFilterValues")
                }
                metricFilters.append(
                    MetricLevelFilter(
                        dimension: dimension,
                        values: try MetricFilterValues.check(values, dimension),
                        negate: filter.negate ?? false
                    )
                )
            }
            for dimension in Set(filters.keys).union(groupings) where !definition.family.dimensions.contains(dimension)
            {
                throw ChatError(
                    .invalidParameter,
                    "metric \(name) cannot be filtered or grouped by \(dimension.rawValue)"
                )
            }
            checked.append(
                (ResolvedMetric(definition: definition, threshold: threshold, filters: metricFilters), metric)
            )
        }
        guard serviceLevels <= 20 else { throw ChatError(.invalidParameter, "at most 20 SERVICE_LEVEL metrics") }
        return checked
    }

    /// A metric's threshold: required exactly for threshold metrics, whole seconds 1–604,800, LT (or LTE).
    static func checkThreshold(
        _ thresholds: [GetMetricDataV2Request.Threshold]?,
        for definition: MetricDefinition,
        allowLTE: Bool
    ) throws(ChatError) -> MetricThreshold? {
        let given = thresholds ?? []
        guard definition.threshold else {
            guard given.isEmpty else { throw ChatError(.invalidParameter, "\(definition.name) takes no Threshold") }
            return nil
        }
        guard given.count == 1, let value = given[0].thresholdValue, let comparison = given[0].comparison else {
            throw ChatError(
                .invalidParameter,
                "\(definition.name) needs one Threshold with Comparison and ThresholdValue"
            )
        }
        guard value.rounded() == value, (1...604_800).contains(value) else {
            throw ChatError(.invalidParameter, "ThresholdValue must be a whole number of seconds, 1–604800")
        }
        switch comparison {
        case "LT": return MetricThreshold(seconds: Int64(value), inclusive: false)
        case "LTE" where allowLTE: return MetricThreshold(seconds: Int64(value), inclusive: true)
        default:
            throw ChatError(
                .invalidParameter,
                "Comparison must be \(allowLTE ? "LT or LTE" : "LT"), not \(comparison)"
            )
        }
    }
}

// The query engine under GetMetricDataV2 and GetMetricData: picks the buckets of the time range, keeps the cells that
// pass the filters, groups them by interval and grouping values, and evaluates each metric over the cells of a row
// that pass its metric-level filters.

/// `Interval.IntervalPeriod`.
enum IntervalPeriod: String, CaseIterable, Sendable {
    case fifteenMinutes = "FIFTEEN_MIN"
    case thirtyMinutes = "THIRTY_MIN"
    case hour = "HOUR"
    case day = "DAY"
    case week = "WEEK"
    case total = "TOTAL"

    /// The interval length (nil for TOTAL: the whole range).
    var length: Int64? {
        switch self {
        case .fifteenMinutes: 15 * Duration.minute
        case .thirtyMinutes: 30 * Duration.minute
        case .hour: Duration.hour
        case .day: Duration.day
        case .week: 7 * Duration.day
        case .total: nil
        }
    }

    /// Weeks begin on Monday 00:00 UTC; 1970-01-05 was the first Monday after the epoch.
    static let weekOrigin: Int64 = 4 * Duration.day

    /// The start of the UTC-aligned interval holding `timestamp` (TOTAL: `rangeStart`).
    func intervalStart(of timestamp: Int64, rangeStart: Int64) -> Int64 {
        guard let length else { return rangeStart }
        let origin = self == .week ? Self.weekOrigin : 0
        return CivilTime.floorDivide(timestamp - origin, length) * length + origin
    }
}

/// A metric-level filter: the cell's value of `dimension` must (or, negated, must not) be one of `values`.
struct MetricLevelFilter: Sendable, Equatable {
    var dimension: MetricDimension
    var values: Set<String>
    var negate: Bool

    func passes(_ key: MetricCellKey) -> Bool {
        let value =
            dimension == .initiationMethod ? key.method?.description ?? "" : key.reason?.description ?? ""
        return values.contains(value) != negate
    }
}

/// A metric asked for, resolved against the catalogue.
struct ResolvedMetric: Sendable {
    var definition: MetricDefinition
    var threshold: MetricThreshold?
    var filters: [MetricLevelFilter]
}

/// A historical query in Parley's terms.
struct MetricQuery: Sendable {
    /// Range start and end (µs).
    var start: Int64
    var end: Int64
    var period: IntervalPeriod
    /// Request filters: dimension → accepted values (ids, `CHAT`, method or reason names).
    var filters: [MetricDimension: Set<String>]
    var groupings: [MetricDimension]
    var metrics: [ResolvedMetric]
    /// GetMetricData (v1) only: routing profile → the queues it serves, so that agent-time facts (which have no
    /// queue) count for the queues of the agent's profile. Empty for GetMetricDataV2.
    var profileQueues: [String: [String]] = [:]
}

/// One result row: an interval, the grouping values (in grouping order) and a value per metric (nil: not computable).
struct MetricRow: Sendable, Equatable {
    var intervalStart: Int64
    var intervalEnd: Int64
    var dimensions: [String]
    var values: [Double?]
}

extension MetricsAggregate {
    /// The values of `dimension` a cell has: none, one, or (a v1 agent-time cell and QUEUE) the profile's queues.
    func values(of dimension: MetricDimension, _ key: MetricCellKey, _ query: MetricQuery) -> [String] {
        func nonEmpty(_ value: String) -> [String] { value.isEmpty ? [] : [value] }
        switch dimension {
        case .queue:
            if !key.queueId.isEmpty { return [key.queueId] }
            guard !key.agentId.isEmpty, !key.routingProfileId.isEmpty else { return [] }
            return query.profileQueues[key.routingProfileId] ?? []
        case .channel: return ["CHAT"]
        case .routingProfile: return nonEmpty(key.routingProfileId)
        case .agent: return nonEmpty(key.agentId)
        case .initiationMethod: return key.method.map { [$0.description] } ?? []
        case .disconnectReason: return key.reason.map { [$0.description] } ?? []
        }
    }

    /// Runs `query` over the buckets (agent time already accrued up to the query time by the caller).
    func run(_ query: MetricQuery) -> [MetricRow] {
        struct RowKey: Hashable {
            var interval: Int64
            var dimensions: [String]
        }
        let firstBucket = Self.bucket(of: query.start)
        var rows: [RowKey: [MetricCellKey: MetricCell]] = [:]
        for (bucketStart, cells) in buckets where bucketStart >= firstBucket && bucketStart < query.end {
            let interval = query.period.intervalStart(of: bucketStart, rangeStart: query.start)
            for (key, cell) in cells {
                let passes = query.filters.allSatisfy { filter in
                    values(of: filter.key, key, query).contains { filter.value.contains($0) }
                }
                guard passes else { continue }
                var tuples: [[String]] = [[]]
                for dimension in query.groupings {
                    let accepted = query.filters[dimension]
                    let own = values(of: dimension, key, query).filter { accepted?.contains($0) ?? true }
                    tuples = tuples.flatMap { tuple in own.map { tuple + [$0] } }
                }
                for tuple in tuples {
                    rows[RowKey(interval: interval, dimensions: tuple), default: [:]][
                        key,
                        default: MetricCell(schema: schema)
                    ].merge(cell)
                }
            }
        }
        let ordered = rows.keys.sorted { left, right in
            left.interval != right.interval
                ? left.interval < right.interval : left.dimensions.lexicographicallyPrecedes(right.dimensions)
        }
        return ordered.map { row in
            let cells = rows[row] ?? [:]
            let values = query.metrics.map { metric -> Double? in
                var merged = MetricCell(schema: schema)
                for (key, cell) in cells where metric.filters.allSatisfy({ $0.passes(key) }) { merged.merge(cell) }
                return metric.definition.value(merged, metric.threshold)
            }
            let intervalEnd = query.period.length.map { row.interval + $0 } ?? query.end
            return MetricRow(
                intervalStart: max(row.interval, query.start),
                intervalEnd: min(intervalEnd, query.end),
                dimensions: row.dimensions,
                values: values
            )
        }
    }
}

/// Paging over result rows: `NextToken` is the offset of the next row.
enum MetricPaging {
    /// The rows of one page and the token of the next.
    static func page<Row>(
        _ rows: [Row],
        nextToken: String?,
        maxResults: Int?
    ) throws(ChatError) -> (rows: [Row], nextToken: String?) {
        let size = maxResults ?? 100
        guard (1...100).contains(size) else { throw ChatError(.invalidParameter, "MaxResults must be 1–100") }
        var offset = 0
        if let nextToken {
            guard nextToken.hasPrefix("offset-"), let parsed = Int(nextToken.dropFirst("offset-".count)),
                parsed >= 0, parsed <= rows.count
            else { throw ChatError(.invalidParameter, "NextToken \(nextToken) is not valid for this request") }
            offset = parsed
        }
        let end = min(rows.count, offset + size)
        return (Array(rows[offset..<end]), end < rows.count ? "offset-\(end)" : nil)
    }
}

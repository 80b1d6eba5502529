import Foundation

// JSON shapes shared by GetCurrentMetricData and GetMetricData (botocore's `Filters`, `Dimensions`, references), and
// helpers for the AWS JSON protocol's epoch-second timestamps and explicit null metric values.

/// A resource in a metric result: `{"Id", "Arn"}` (`QueueReference`, `RoutingProfileReference`,
/// `AgentStatusIdentifier`).
public struct MetricResourceReference: Sendable, Equatable, Codable {
    /// `Id`.
    public var id: String
    /// `Arn`.
    public var arn: String

    /// Creates a reference.
    public init(id: String, arn: String) {
        self.id = id
        self.arn = arn
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case arn = "Arn"
    }
}

/// `Filters` of GetCurrentMetricData and GetMetricData.
public struct MetricFilters: Sendable, Equatable, Codable {
    /// `Queues`: ids or ARNs (1–100).
    public var queues: [String]?
    /// `Channels`: VOICE, CHAT, TASK, EMAIL.
    public var channels: [String]?
    /// `RoutingProfiles`: ids or ARNs (≤ 100).
    public var routingProfiles: [String]?
    /// `RoutingStepExpressions` (not supported: Parley has no routing steps).
    public var routingStepExpressions: [String]?
    /// `AgentStatuses`: ids or ARNs (≤ 50).
    public var agentStatuses: [String]?
    /// `Subtypes` (≤ 10): every Parley contact is `connect:Chat`.
    public var subtypes: [String]?
    /// `ValidationTestTypes` (not supported).
    public var validationTestTypes: [String]?

    /// Creates filters.
    public init(
        queues: [String]? = nil,
        channels: [String]? = nil,
        routingProfiles: [String]? = nil,
        routingStepExpressions: [String]? = nil,
        agentStatuses: [String]? = nil,
        subtypes: [String]? = nil,
        validationTestTypes: [String]? = nil
    ) {
        self.queues = queues
        self.channels = channels
        self.routingProfiles = routingProfiles
        self.routingStepExpressions = routingStepExpressions
        self.agentStatuses = agentStatuses
        self.subtypes = subtypes
        self.validationTestTypes = validationTestTypes
    }

    enum CodingKeys: String, CodingKey {
        case queues = "Queues"
        case channels = "Channels"
        case routingProfiles = "RoutingProfiles"
        case routingStepExpressions = "RoutingStepExpressions"
        case agentStatuses = "AgentStatuses"
        case subtypes = "Subtypes"
        case validationTestTypes = "ValidationTestTypes"
    }
}

/// `Dimensions` of a GetCurrentMetricData or GetMetricData result: the grouping values (absent when not grouped).
public struct MetricDimensions: Sendable, Equatable, Codable {
    /// `Queue`.
    public var queue: MetricResourceReference?
    /// `Channel`.
    public var channel: String?
    /// `RoutingProfile`.
    public var routingProfile: MetricResourceReference?
    /// `AgentStatus`.
    public var agentStatus: MetricResourceReference?

    /// Creates dimensions.
    public init(
        queue: MetricResourceReference? = nil,
        channel: String? = nil,
        routingProfile: MetricResourceReference? = nil,
        agentStatus: MetricResourceReference? = nil
    ) {
        self.queue = queue
        self.channel = channel
        self.routingProfile = routingProfile
        self.agentStatus = agentStatus
    }

    enum CodingKeys: String, CodingKey {
        case queue = "Queue"
        case channel = "Channel"
        case routingProfile = "RoutingProfile"
        case agentStatus = "AgentStatus"
    }
}

extension ConnectARN {
    /// An agent status's ARN.
    public static func agentStatus(_ instanceId: String, _ statusId: String) -> String {
        "\(instance(instanceId))/agent-state/\(statusId)"
    }

    /// The id an id-or-ARN names: an ARN's last path part (`…/queue/agent/<id>` keeps `agent/<id>`).
    static func id(_ reference: String) -> String {
        if reference.hasPrefix("agent/") { return reference }
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count >= 3, parts[parts.count - 2] == "agent", parts[parts.count - 3] == "queue" {
            return "agent/\(parts[parts.count - 1])"
        }
        return parts.last.map(String.init) ?? reference
    }

    /// The instance id of a ResourceArn (`…:instance/<id>`), or the text itself when it is a bare id.
    static func instanceId(ofResource arn: String) -> String {
        guard let range = arn.range(of: ":instance/") else { return arn }
        return String(arn[range.upperBound...].prefix { $0 != "/" })
    }
}

/// Times as the AWS JSON protocols send a `timestamp`: epoch seconds, with a fraction.
public enum EpochTime {
    /// Epoch seconds of µs.
    public static func seconds(_ micros: Int64) -> Double { Double(micros) / 1_000_000 }

    /// µs of epoch seconds; nil for a value no log can hold (not finite, or beyond ±292,000 years).
    public static func micros(_ seconds: Double) -> Int64? {
        guard seconds.isFinite, abs(seconds) < 9.2e12 else { return nil }
        return Int64((seconds * 1_000_000).rounded())
    }
}

/// Time conversions of the metrics APIs.
enum MetricsTime {
    /// µs of a request's `StartTime` and `EndTime`; an `invalidParameter` error for a value no log can hold.
    static func range(start: Double, end: Double) throws(ChatError) -> (start: Int64, end: Int64) {
        guard let startMicros = EpochTime.micros(start) else {
            throw ChatError(.invalidParameter, "StartTime \(start) is not a time in epoch seconds")
        }
        guard let endMicros = EpochTime.micros(end) else {
            throw ChatError(.invalidParameter, "EndTime \(end) is not a time in epoch seconds")
        }
        return (startMicros, endMicros)
    }

    /// Decodes an epoch-seconds number (or an ISO-8601 string, which some clients send) as epoch seconds.
    static func decode<Key: CodingKey>(
        _ container: KeyedDecodingContainer<Key>,
        _ key: Key
    ) throws -> Double? {
        if let number = try? container.decodeIfPresent(Double.self, forKey: key) { return number }
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let micros = ISOTime.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: container,
                debugDescription: "\(key.stringValue) must be epoch seconds or an ISO-8601 time"
            )
        }
        return EpochTime.seconds(micros)
    }
}

/// Encodes `Value` explicitly as `null` when a metric cannot be computed.
func encodeMetricValue<Key: CodingKey>(
    _ value: Double?,
    forKey key: Key,
    in container: inout KeyedEncodingContainer<Key>
) throws {
    if let value { try container.encode(value, forKey: key) } else { try container.encodeNil(forKey: key) }
}

/// One metric value of a result (`CurrentMetricData`, `HistoricalMetricData`, `MetricDataV2`): the metric as
/// requested and its value.
public struct MetricValue<Metric: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
    /// `Metric`: the metric as requested.
    public var metric: Metric
    /// `Value`; null when it cannot be computed (a ratio over zero).
    public var value: Double?

    /// Creates a value.
    public init(metric: Metric, value: Double?) {
        self.metric = metric
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case metric = "Metric"
        case value = "Value"
    }

    /// Encodes `Value` as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metric, forKey: .metric)
        try encodeMetricValue(value, forKey: .value, in: &container)
    }
}

/// One row of GetCurrentMetricData or GetMetricData results (`CurrentMetricResult`, `HistoricalMetricResult`).
public struct MetricResultRow<Metric: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
    /// `Dimensions`: the grouping values.
    public var dimensions: MetricDimensions
    /// `Collections`: one value per requested metric, in request order.
    public var collections: [MetricValue<Metric>]

    /// Creates a row.
    public init(dimensions: MetricDimensions, collections: [MetricValue<Metric>]) {
        self.dimensions = dimensions
        self.collections = collections
    }

    enum CodingKeys: String, CodingKey {
        case dimensions = "Dimensions"
        case collections = "Collections"
    }
}

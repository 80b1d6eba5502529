// The two versions of the historical metrics projection. Both are the same `MetricsAggregate` with a different
// schema: v2 keeps the chat counters per cell as well. The engine folds every committed event into them; the server
// answers GetMetricDataV2 and GetMetricData from their published snapshots.

/// A historical metrics projection: `metrics@1` or `metrics@2` over `ChatMachine`.
///
/// Both versions keep the same contact record builder (open records only), as `ContactRecordsProjection` does, so in
/// one `ProjectionSet` they share its fold (`FoldSharing`): the builder runs once per event for all of them.
public protocol HistoricalMetricsProjection: FoldSharing
where Machine == ChatMachine, SharedFold == ContactRecordBuilder, FoldOutput == ContactRecordFoldOutput {
    /// The schema this version keeps.
    static var schema: MetricsSchema { get }
    /// The aggregates.
    var aggregate: MetricsAggregate { get set }
    /// Wraps aggregates of this version's schema.
    init(aggregate: MetricsAggregate)
}

extension HistoricalMetricsProjection {
    /// Its name: `metrics`.
    public static var name: String { "metrics" }

    /// Its version: the schema's number.
    public static var version: Int { Int(schema.rawValue) }

    /// The projection of an empty log.
    public init() { self.init(aggregate: MetricsAggregate(schema: Self.schema)) }

    /// The contact record builder whose completed records feed the cells.
    public var sharedFold: ContactRecordBuilder {
        get { aggregate.builder }
        set { aggregate.builder = newValue }
    }

    /// Whether the event leaves the aggregates as they are (`MetricsAggregate.ignores(_:)`).
    public func ignores(_ event: ChatEvent) -> Bool { aggregate.ignores(event) }

    /// Folds one event into the contact record builder.
    public mutating func foldShared(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState
    ) -> ContactRecordFoldOutput {
        aggregate.builder.fold(event, at: timestamp, state: state)
    }

    /// Folds one event into the cells and agents, given the builder's changes (see `MetricsAggregate`).
    public mutating func applyRest(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState,
        output: ContactRecordFoldOutput
    ) {
        aggregate.applyRest(event, at: timestamp, state: state, changes: output.changes)
    }

    /// Writes the aggregates.
    public func snapshotEncode(to writer: inout BinaryWriter) { aggregate.snapshotEncode(to: &writer) }

    /// Reads aggregates written by this version.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let aggregate = try MetricsAggregate(snapshotFrom: &reader)
        guard aggregate.schema == Self.schema else {
            throw DecodeError(
                .invalidValue,
                "a \(aggregate.schema) snapshot where \(Self.schema) was expected",
                offset: reader.offset
            )
        }
        self.init(aggregate: aggregate)
    }

    /// `GetMetricDataV2` at `now` (µs); a chat metric asked of `metrics@1` is an InvalidRequestException.
    public func getMetricDataV2(
        _ request: GetMetricDataV2Request,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> GetMetricDataV2Response {
        try aggregate.getMetricDataV2(request, in: state, now: now)
    }

    /// `GetMetricData` (v1) at `now` (µs) for `instanceId` (from the request path).
    public func getMetricData(
        _ request: GetMetricDataRequest,
        instanceId: String,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> GetMetricDataResponse {
        try aggregate.getMetricData(request, instanceId: instanceId, in: state, now: now)
    }

    /// Counts a completed contact record directly, as the builder's `.completed` would (tests and tools).
    package mutating func add(_ record: ContactTraceRecord, next: InitiationMethod? = nil) {
        aggregate.add(record, next: next)
    }
}

/// `metrics@1`: volumes, queue, handle and abandon times, service level, transfers, disconnects and agent time, in
/// 15-minute UTC buckets.
public struct HistoricalMetricsV1: HistoricalMetricsProjection, Equatable {
    /// The chat machine.
    public typealias Machine = ChatMachine

    /// The v1 schema.
    public static let schema = MetricsSchema.v1
    /// The aggregates.
    public var aggregate: MetricsAggregate

    /// Wraps aggregates (of the v1 schema).
    public init(aggregate: MetricsAggregate) { self.aggregate = aggregate }
}

/// `metrics@2`: everything of `metrics@1` plus the chat metrics (first response, response times, messages, message
/// lengths, conversation close time, conversations abandoned, bot conversations).
public struct HistoricalMetricsV2: HistoricalMetricsProjection, Equatable {
    /// The chat machine.
    public typealias Machine = ChatMachine

    /// The v2 schema.
    public static let schema = MetricsSchema.v2
    /// The aggregates.
    public var aggregate: MetricsAggregate

    /// Wraps aggregates (of the v2 schema).
    public init(aggregate: MetricsAggregate) { self.aggregate = aggregate }
}

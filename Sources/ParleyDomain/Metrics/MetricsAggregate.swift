// The state both historical metrics projections share: 15-minute UTC buckets of cells, the agents' time trackers,
// and the contact record builder whose completed records feed the cells. docs/metrics.md explains the rules.

/// Limits and constants of the historical metrics.
public enum MetricsLimits {
    /// The bucket length: 15 minutes.
    public static let bucket: Microseconds = 15 * Duration.minute
    /// How far back data is kept and may be asked for (GetMetricDataV2's "3 months"): 92 days.
    public static let retention: Microseconds = 92 * Duration.day
    /// How long a segment ended by a transfer waits for its next segment before it is counted without one.
    static let transferGrace: Microseconds = Duration.second
}

/// The aggregates of the historical metrics projections (`HistoricalMetricsV1`, `HistoricalMetricsV2`).
public struct MetricsAggregate: Sendable, Equatable {
    /// Which counters the cells keep.
    public let schema: MetricsSchema
    /// Folds events into contact records; each `.completed` record is counted once.
    var builder: ContactRecordBuilder
    /// Bucket start (µs, a multiple of 15 min) → cells by dimensions.
    var buckets: TreeDictionary<Int64, [MetricCellKey: MetricCell]>
    /// Agents' time trackers by user id.
    var agents: TreeDictionary<String, AgentTimeTracker>
    /// Segments ended by a transfer whose next segment has not started yet.
    var pending: [Identifier: SegmentFacts]
    /// The newest bucket written (pruning runs when it moves on).
    var latestBucket: Int64?

    /// An empty aggregate.
    public init(schema: MetricsSchema) {
        self.schema = schema
        builder = ContactRecordBuilder()
        buckets = [:]
        agents = [:]
        pending = [:]
    }

    /// The start of the 15-minute bucket holding `timestamp`.
    static func bucket(of timestamp: Int64) -> Int64 {
        CivilTime.floorDivide(timestamp, MetricsLimits.bucket) * MetricsLimits.bucket
    }

    // MARK: - Folding

    /// Folds one event given what the builder's fold of it returned (`HistoricalMetricsProjection` folds the builder,
    /// or takes a shared fold): completed contact records into cells, agent events into agent time and offers.
    mutating func applyRest(_ event: ChatEvent, at timestamp: Int64, state: ChatState, changes: [ContactRecordChange]) {
        // By index, the record read where it lies: iterating the array copies each change and the record it holds.
        for index in changes.indices where changes[index].isCompletion {
            complete(changes[index].record, state: state)
        }
        if !pending.isEmpty { resolvePending(at: timestamp, state: state) }
        applyAgentEvent(event, at: timestamp, state: state)
    }

    /// Whether folding `event` leaves the aggregates as they are: the builder does not fold its kind (so no record
    /// completes), no segment is parked (a parked one may resolve at any event once its grace has passed), and it is
    /// not one of the agent events `applyAgentEvent` counts.
    func ignores(_ event: ChatEvent) -> Bool {
        guard pending.isEmpty, !ContactRecordBuilder.folds(event) else { return false }
        switch event {
        // The kinds `applyAgentEvent` names.
        case .agentStatusChanged, .contactOffered, .offerEnded, .afterContactWorkChanged, .userUpdated, .userDeleted:
            return false
        default:
            return true
        }
    }

    /// Counts a completed record, or parks it until its next segment is known.
    mutating func complete(_ record: ContactTraceRecord, state: ChatState) {
        let nextId = record.nextContactId ?? Self.nextContactId(of: record.contactId, in: state)
        let next = nextId.flatMap { Self.initiationMethod(of: $0, in: state) }
        let facts = SegmentFacts(record, next: next)
        if next == nil, record.disconnectReason == .other {
            // A transfer ends its segment (reason OTHER) just before the next one starts.
            pending[record.contactId] = facts
        } else {
            add(facts)
        }
    }

    /// The segment after `contactId`, read where the contact lies: a chain `state.contacts[id]?.nextContactId` copies
    /// the map and the contact (about 600 instructions with their release).
    private static func nextContactId(of contactId: Identifier, in state: ChatState) -> Identifier? {
        state.contacts[slot: contactId]?.withPointer { $0.pointee.nextContactId } ?? nil
    }

    /// How the segment `contactId` was initiated, read where the contact lies (see `nextContactId(of:in:)`).
    private static func initiationMethod(of contactId: Identifier, in state: ChatState) -> InitiationMethod? {
        state.contacts[slot: contactId]?.withPointer { $0.pointee.initiationMethod }
    }

    /// Counts parked segments whose next segment has started (or that waited past the grace period).
    mutating func resolvePending(at timestamp: Int64, state: ChatState) {
        for (contactId, facts) in pending.sorted(by: { $0.key < $1.key }) {
            var resolved = facts
            if let nextId = Self.nextContactId(of: contactId, in: state),
                let method = Self.initiationMethod(of: nextId, in: state)
            {
                resolved.nextMethod = method.rawValue
            } else if timestamp - facts.disconnect < MetricsLimits.transferGrace {
                continue
            }
            pending[contactId] = nil
            add(resolved)
        }
    }

    /// Counts a completed record directly (tests and tools); `next` is the initiation method of the segment after it.
    package mutating func add(_ record: ContactTraceRecord, next: InitiationMethod? = nil) {
        add(SegmentFacts(record, next: next))
    }

    /// Counts a segment: in the bucket of its disconnect, and (handled) in the bucket of its agent connection.
    mutating func add(_ facts: SegmentFacts) {
        update(Self.bucket(of: facts.disconnect), facts.key) { cell in facts.contribute(to: &cell) }
        if let connected = facts.connectedToAgent {
            update(Self.bucket(of: connected), facts.key) { cell in cell[.handledByConnectedTime] += 1 }
        }
    }

    /// Changes one cell, creating it (and its bucket) when needed.
    mutating func update(_ bucket: Int64, _ key: MetricCellKey, _ body: (inout MetricCell) -> Void) {
        if buckets[bucket] == nil {
            buckets[bucket] = [:]
            if bucket > latestBucket ?? .min { moveLatest(to: bucket) }
        }
        body(&buckets[bucket, default: [:]][key, default: MetricCell(schema: schema)])
    }

    /// A newer bucket began: buckets older than the retention go.
    mutating func moveLatest(to bucket: Int64) {
        latestBucket = bucket
        let horizon = bucket - MetricsLimits.retention
        for old in buckets.keys.filter({ $0 < horizon }) { buckets[old] = nil }
    }

    // MARK: - Agents

    /// Agent events: time up to the event is accrued with the state before it, then offers are counted and the
    /// agent's new state is taken from `state`.
    mutating func applyAgentEvent(_ event: ChatEvent, at timestamp: Int64, state: ChatState) {
        switch event {
        case .agentStatusChanged(let event):
            accrueAgent(event.userId, until: timestamp)
            observeAgent(event.userId, at: timestamp, state: state)
        case .contactOffered(let event):
            accrueAgent(event.userId, until: timestamp)
            let key = offerKey(event.userId, event.contactId, queueId: event.queueId, state: state)
            update(Self.bucket(of: timestamp), key) { cell in cell[.offers] += 1 }
            observeAgent(event.userId, at: timestamp, state: state)
            agents[event.userId]?.openOffers[event.contactId] = event.queueId
        case .offerEnded(let event):
            accrueAgent(event.userId, until: timestamp)
            let queueId =
                agents[event.userId]?.openOffers.removeValue(forKey: event.contactId)
                ?? state.contacts[event.contactId]?.queued?.queueId ?? ""
            let key = offerKey(event.userId, event.contactId, queueId: queueId, state: state)
            update(Self.bucket(of: timestamp), key) { cell in
                switch event.outcome {
                case nil: cell[.offersAccepted] += 1
                case .missed?:
                    cell[.nonResponse] += 1
                    cell[.nonResponseWithoutAbandons] += 1
                case .abandoned?: cell[.nonResponse] += 1
                case .rejected?: break
                }
            }
            observeAgent(event.userId, at: timestamp, state: state)
        case .afterContactWorkChanged(let event):
            accrueAgent(event.userId, until: timestamp)
            observeAgent(event.userId, at: timestamp, state: state)
        case .userUpdated(let event):
            accrueAgent(event.user.userId, until: timestamp)
            observeAgent(event.user.userId, at: timestamp, state: state)
        case .userDeleted(let event):
            accrueAgent(event.userId, until: timestamp)
            agents[event.userId] = nil
        default:
            // Every kind named above is named in `ignores(_:)` too.
            break
        }
    }

    /// The cell of an offer: its queue, the agent and its profile, the contact's initiation method.
    func offerKey(_ userId: String, _ contactId: Identifier, queueId: String, state: ChatState) -> MetricCellKey {
        MetricCellKey(
            queueId: queueId,
            routingProfileId: state.users[userId]?.routingProfileId ?? agents[userId]?.routingProfileId ?? "",
            agentId: userId,
            initiationMethod: state.contacts[contactId]?.initiationMethod
        )
    }

    /// Takes the agent's state after an event (forgetting an agent whose session is gone).
    mutating func observeAgent(_ userId: String, at timestamp: Int64, state: ChatState) {
        guard let session = state.agents[userId] else {
            agents[userId] = nil
            return
        }
        var tracker = agents[userId] ?? AgentTimeTracker(since: timestamp, routingProfileId: "")
        tracker.observe(session, routingProfileId: state.users[userId]?.routingProfileId)
        agents[userId] = tracker
    }

    /// Accrues the agent's time up to `timestamp`.
    mutating func accrueAgent(_ userId: String, until timestamp: Int64) {
        guard var tracker = agents[userId], timestamp > tracker.since else { return }
        var from = max(tracker.since, timestamp - MetricsLimits.retention)
        let key = MetricCellKey(routingProfileId: tracker.routingProfileId, agentId: userId)
        while from < timestamp {
            let bucket = Self.bucket(of: from)
            let until = min(bucket + MetricsLimits.bucket, timestamp)
            update(bucket, key) { cell in tracker.accrue(until - from, into: &cell) }
            from = until
        }
        tracker.since = timestamp
        agents[userId] = tracker
    }

    /// A copy whose agent time runs up to `now` (the open interval since each agent's last event), for queries.
    func accrued(until now: Int64) -> MetricsAggregate {
        var copy = self
        for userId in agents.keys.sorted() { copy.accrueAgent(userId, until: now) }
        return copy
    }
}

extension MetricsAggregate: SnapshotCodable {
    /// Writes the schema, the builder, the buckets, the agents and the parked segments (maps in key order).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(byte: schema.rawValue)
        builder.snapshotEncode(to: &writer)
        buckets.snapshotEncode(to: &writer)
        agents.snapshotEncode(to: &writer)
        pending.snapshotEncode(to: &writer)
        latestBucket.snapshotEncode(to: &writer)
    }

    /// Reads an aggregate; cells must have the shape of its schema.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let raw = try reader.readByte()
        guard let schema = MetricsSchema(rawValue: raw) else {
            throw DecodeError(.invalidValue, "unknown metrics schema \(raw)", offset: reader.offset)
        }
        self.init(schema: schema)
        builder = try ContactRecordBuilder(snapshotFrom: &reader)
        buckets = try TreeDictionary<Int64, [MetricCellKey: MetricCell]>(snapshotFrom: &reader)
        agents = try TreeDictionary<String, AgentTimeTracker>(snapshotFrom: &reader)
        pending = try [Identifier: SegmentFacts](snapshotFrom: &reader)
        latestBucket = try Int64?(snapshotFrom: &reader)
        let chatWidth = schema == .v2 ? ChatCounter.allCases.count : 0
        for cells in buckets.values {
            for cell in cells.values where cell.chat.count != chatWidth {
                throw DecodeError(.invalidValue, "a cell does not match \(schema)", offset: reader.offset)
            }
        }
    }
}

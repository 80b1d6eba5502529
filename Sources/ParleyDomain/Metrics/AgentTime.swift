// Agent-time facts (SUM_ONLINE_TIME_AGENT, SUM_IDLE_TIME_AGENT, SUM_NON_PRODUCTIVE_TIME_AGENT,
// SUM_CONTACT_TIME_AGENT, AGENT_OCCUPANCY, AVG_AGENT_CONCURRENCY): each agent's state between two of its events is
// constant, so the time since its last event is added, split at 15-minute boundaries, whenever the next one comes
// (and, virtually, up to the query time for the interval still open).

/// What an agent was doing since `since`, as far as time metrics care.
struct AgentTimeTracker: Equatable, Sendable {
    /// When the time not yet accrued began (µs).
    var since: Int64
    /// The agent's routing profile then (the cell dimension).
    var routingProfileId: String
    /// `AgentStatusType` raw value (3: offline).
    var status: UInt8
    /// Whether the agent was in the missed/rejected error state.
    var error: Bool
    /// Slots connected or in after-contact work.
    var active: Int64
    /// Slots ringing.
    var ringing: Int64
    /// Offers not ended yet: contact → the queue it was offered from.
    var openOffers: [Identifier: String]

    /// A tracker for an agent first seen at `timestamp`.
    init(since: Int64, routingProfileId: String) {
        self.since = since
        self.routingProfileId = routingProfileId
        status = AgentStatusType.offline.rawValue
        error = false
        active = 0
        ringing = 0
        openOffers = [:]
    }

    init(
        since: Int64,
        routingProfileId: String,
        status: UInt8,
        error: Bool,
        active: Int64,
        ringing: Int64,
        openOffers: [Identifier: String]
    ) {
        self.since = since
        self.routingProfileId = routingProfileId
        self.status = status
        self.error = error
        self.active = active
        self.ringing = ringing
        self.openOffers = openOffers
    }

    /// Takes the agent's state from the chat state after an event.
    mutating func observe(_ session: AgentSession, routingProfileId: String?) {
        if let routingProfileId { self.routingProfileId = routingProfileId }
        status = session.statusType.rawValue
        error = session.errorSince != nil
        active = Int64(session.slots.values.filter { $0.state == .connected || $0.state == .afterContactWork }.count)
        ringing = Int64(session.slots.values.filter { $0.state == .offered }.count)
    }

    /// Adds `micros` of the tracked state into `cell`.
    func accrue(_ micros: Int64, into cell: inout MetricCell) {
        let type = AgentStatusType(rawValue: status) ?? .offline
        if type != .offline { cell[.onlineMicros] += micros }
        if active > 0 {
            cell[.contactMicros] += micros
            cell[.slotContactMicros] += micros * active
        } else if type == .custom {
            cell[.nonProductiveMicros] += micros
        } else if type == .routable, ringing == 0 {
            cell[.idleMicros] += micros
        }
        if error { cell[.errorMicros] += micros }
    }
}

extension AgentTimeTracker: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varInt: since)
        writer.write(string: routingProfileId)
        writer.write(byte: status)
        writer.write(bool: error)
        writer.write(varInt: active)
        writer.write(varInt: ringing)
        openOffers.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            since: try reader.readVarInt(),
            routingProfileId: try reader.readString(),
            status: try reader.readByte(),
            error: try reader.readBool(),
            active: try reader.readVarInt(),
            ringing: try reader.readVarInt(),
            openOffers: try [Identifier: String](snapshotFrom: &reader)
        )
    }
}

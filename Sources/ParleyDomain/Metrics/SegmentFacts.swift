// What a completed contact trace record contributes to the historical metrics, extracted once so that a record
// waiting for its next segment (a transfer) can be kept small and encoded.

/// The metric-relevant facts of one completed contact segment.
struct SegmentFacts: Equatable, Sendable {
    /// The segment.
    var contactId: Identifier
    /// Its dimensions.
    var key: MetricCellKey
    /// `DisconnectTimestamp` (µs): the bucket it is counted in.
    var disconnect: Int64
    /// `InitiationTimestamp` (µs).
    var initiation: Int64
    /// `Agent.ConnectedToAgentTimestamp` (µs): set when an agent handled it.
    var connectedToAgent: Int64?
    /// `Queue.Duration` in whole seconds, when it was queued.
    var queueSeconds: Int64?
    /// `Agent.AgentInteractionDuration` (s).
    var interactionSeconds: Int64?
    /// `Agent.AfterContactWorkDuration` (s).
    var afterContactWorkSeconds: Int64?
    /// The next segment's initiation method raw value; 0 when the segment was not followed by another.
    var nextMethod: UInt8
    /// The `ChatCounter` contributions (always extracted; a v1 cell ignores them).
    var chat: [Int64]

    /// The facts of `record`; `next` is the initiation method of the segment after it, if any.
    init(_ record: ContactTraceRecord, next: InitiationMethod?) {
        contactId = record.contactId
        key = MetricCellKey(
            queueId: record.queue?.queueId ?? "",
            routingProfileId: record.agent?.routingProfileId ?? "",
            agentId: record.agent?.userId ?? "",
            initiationMethod: record.initiationMethod,
            disconnectReason: record.disconnectReason
        )
        disconnect = record.disconnectTimestamp ?? record.lastUpdateTimestamp
        initiation = record.initiationTimestamp
        connectedToAgent = record.agent?.connectedToAgentTimestamp
        if let queue = record.queue {
            let dequeue = queue.dequeueTimestamp ?? disconnect
            queueSeconds = queue.duration ?? max(0, dequeue - queue.enqueueTimestamp) / Duration.second
        }
        interactionSeconds = record.agent?.agentInteractionDuration
        afterContactWorkSeconds = record.agent?.afterContactWorkDuration
        nextMethod = next?.rawValue ?? 0
        chat = Self.chatCounters(record)
    }

    init(
        contactId: Identifier,
        key: MetricCellKey,
        disconnect: Int64,
        initiation: Int64,
        connectedToAgent: Int64?,
        queueSeconds: Int64?,
        interactionSeconds: Int64?,
        afterContactWorkSeconds: Int64?,
        nextMethod: UInt8,
        chat: [Int64]
    ) {
        self.contactId = contactId
        self.key = key
        self.disconnect = disconnect
        self.initiation = initiation
        self.connectedToAgent = connectedToAgent
        self.queueSeconds = queueSeconds
        self.interactionSeconds = interactionSeconds
        self.afterContactWorkSeconds = afterContactWorkSeconds
        self.nextMethod = nextMethod
        self.chat = chat
    }

    /// Whether an agent was connected.
    var handled: Bool { connectedToAgent != nil }
    /// The next segment's initiation method.
    var next: InitiationMethod? { InitiationMethod(rawValue: nextMethod) }
    /// Whether a transfer (agent or queue flow) followed.
    var transferredOut: Bool { next == .transfer || next == .queueTransfer }

    /// Disconnect reasons that mean the customer side ended a contact waiting in queue (an abandon); a flow's
    /// Disconnect block, StopContact, a system error and a transfer (OTHER) are not abandons.
    static let abandonReasons: Set<DisconnectReason> = [
        .customerDisconnect, .customerConnectionNotEstablished, .expired, .idleDisconnect,
    ]

    /// Queued, never connected to an agent, not transferred onwards, and ended from the customer's side.
    var abandoned: Bool {
        guard queueSeconds != nil, !handled, !transferredOut, let reason = key.reason else { return false }
        return Self.abandonReasons.contains(reason)
    }

    /// Adds the facts counted at the disconnect timestamp into `cell`.
    func contribute(to cell: inout MetricCell) {
        cell[.created] += 1
        cell[.disconnected] += 1
        cell[.contactDurationMicros] += max(0, disconnect - initiation)
        if let queueSeconds {
            cell[.queued] += 1
            cell.record(queueSeconds, in: .removed)
        }
        if let connectedToAgent {
            cell[.handled] += 1
            let interaction = interactionSeconds ?? 0
            let wrapUp = afterContactWorkSeconds ?? 0
            cell[.interactionSeconds] += interaction
            cell[.handleSeconds] += interaction + wrapUp
            cell[.conversationDurationMicros] += max(0, disconnect - connectedToAgent)
            if let queueSeconds {
                cell[.answered] += 1
                cell[.queueAnswerSeconds] += queueSeconds
                cell.record(queueSeconds, in: .answered)
            }
            if key.reason == .agentDisconnect { cell[.agentHungUpFirst] += 1 }
        }
        if let afterContactWorkSeconds {
            cell[.afterContactWorkSeconds] += afterContactWorkSeconds
            cell[.afterContactWorkCount] += 1
        }
        if abandoned, let queueSeconds {
            cell[.abandoned] += 1
            cell[.abandonSeconds] += queueSeconds
            cell.record(queueSeconds, in: .abandoned)
        }
        if transferredOut { cell[.transferredOut] += 1 }
        if handled, next == .transfer { cell[.transferredOutByAgent] += 1 }
        if queueSeconds != nil, !handled, next == .queueTransfer { cell[.transferredOutFromQueue] += 1 }
        if next == nil { cell.record(max(0, disconnect - initiation) / Duration.second, in: .resolved) }
        if !cell.chat.isEmpty {
            for index in cell.chat.indices { cell.chat[index] += chat[index] }
        }
    }

    /// The chat counters of a record's `ChatMetrics`.
    static func chatCounters(_ record: ContactTraceRecord) -> [Int64] {
        // A cell of the chat counters alone: a whole v2 `MetricCell` allocated its core counters and histograms too,
        // to be dropped (about 3.3 K instructions per completed record and metrics version).
        var counters = MetricCell(
            core: [],
            chat: Array(repeating: 0, count: ChatCounter.allCases.count),
            histograms: []
        )
        let metrics = record.chatMetrics
        counters[.messages] = metrics.totalMessages
        counters[.botMessages] = metrics.totalBotMessages
        if let first = metrics.agentFirstResponseTimeInMillis {
            counters[.firstResponseCount] = 1
            counters[.firstResponseMillis] = first
        }
        if let firstAt = metrics.agentFirstResponseTimestamp {
            let from = record.connectedToSystemTimestamp ?? record.initiationTimestamp
            counters[.contactFirstResponseCount] = 1
            counters[.contactFirstResponseMillis] = max(0, firstAt - from) / 1000
        }
        if let agent = metrics.agentMetrics {
            counters[.agentSegments] = 1
            counters[.agentMessages] = agent.messagesSent
            counters[.agentMessageChars] = agent.messageLengthInChars
            counters[.agentResponses] = agent.numResponses
            counters[.agentResponseMillis] = agent.totalResponseTimeInMillis
        }
        if let customer = metrics.customerMetrics {
            counters[.customerSegments] = 1
            counters[.customerMessages] = customer.messagesSent
            counters[.customerMessageChars] = customer.messageLengthInChars
            counters[.customerResponses] = customer.numResponses
            counters[.customerResponseMillis] = customer.totalResponseTimeInMillis
            if customer.conversationAbandon { counters[.conversationsAbandoned] = 1 }
        }
        if let close = metrics.conversationCloseTimeInMillis {
            counters[.closeTimeCount] = 1
            counters[.closeTimeMillis] = close
        }
        if metrics.totalBotMessages > 0 {
            let from = record.connectedToSystemTimestamp ?? record.initiationTimestamp
            let until = record.queue?.enqueueTimestamp ?? record.disconnectTimestamp ?? record.lastUpdateTimestamp
            counters[.botConversations] = 1
            counters[.botConversationMillis] = max(0, until - from) / 1000
            counters[.botTurns] = metrics.conversationTurnCount
        }
        return counters.chat
    }
}

extension SegmentFacts: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        key.snapshotEncode(to: &writer)
        writer.write(varInt: disconnect)
        writer.write(varInt: initiation)
        connectedToAgent.snapshotEncode(to: &writer)
        queueSeconds.snapshotEncode(to: &writer)
        interactionSeconds.snapshotEncode(to: &writer)
        afterContactWorkSeconds.snapshotEncode(to: &writer)
        writer.write(byte: nextMethod)
        chat.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            contactId: try reader.readIdentifier(),
            key: try MetricCellKey(snapshotFrom: &reader),
            disconnect: try reader.readVarInt(),
            initiation: try reader.readVarInt(),
            connectedToAgent: try Int64?(snapshotFrom: &reader),
            queueSeconds: try Int64?(snapshotFrom: &reader),
            interactionSeconds: try Int64?(snapshotFrom: &reader),
            afterContactWorkSeconds: try Int64?(snapshotFrom: &reader),
            nextMethod: try reader.readByte(),
            chat: try [Int64](snapshotFrom: &reader)
        )
        guard chat.count == ChatCounter.allCases.count else {
            throw DecodeError(.invalidValue, "segment facts of the wrong shape", offset: reader.offset)
        }
    }
}

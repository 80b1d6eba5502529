// The unit of historical metric storage: one cell per 15-minute UTC bucket and combination of dimensions (queue,
// routing profile, agent, initiation method, disconnect reason; the channel is always CHAT). A cell holds counters,
// sums and whole-second histograms; every metric of docs/metrics.md is a function of one cell or of cells merged.

/// Which schema a metrics aggregate keeps: v1 the core counters, v2 also the chat-specific ones.
public enum MetricsSchema: UInt8, Sendable, Equatable, CustomStringConvertible {
    /// `metrics@1`: volumes, queue and handle times, service level, transfers, agent time.
    case v1 = 1
    /// `metrics@2`: v1 plus the chat metrics derived from the contact records' `ChatMetrics`.
    case v2 = 2

    /// `metrics@1` or `metrics@2`.
    public var description: String { "metrics@\(rawValue)" }
}

/// The dimensions a cell is keyed by. An empty string (or a 0 raw value) means the fact has no such dimension.
public struct MetricCellKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The queue id (or `agent/<user id>`), empty for facts outside any queue (agent time, unqueued contacts).
    public var queueId: String
    /// The routing profile id of the agent involved, empty without one.
    public var routingProfileId: String
    /// The agent (user id), empty without one.
    public var agentId: String
    /// `InitiationMethod` raw value, 0 for none.
    public var initiationMethod: UInt8
    /// `DisconnectReason` raw value, 0 for none.
    public var disconnectReason: UInt8

    /// Creates a key.
    public init(
        queueId: String = "",
        routingProfileId: String = "",
        agentId: String = "",
        initiationMethod: InitiationMethod? = nil,
        disconnectReason: DisconnectReason? = nil
    ) {
        self.queueId = queueId
        self.routingProfileId = routingProfileId
        self.agentId = agentId
        self.initiationMethod = initiationMethod?.rawValue ?? 0
        self.disconnectReason = disconnectReason?.rawValue ?? 0
    }

    /// The initiation method, if any.
    public var method: InitiationMethod? { InitiationMethod(rawValue: initiationMethod) }
    /// The disconnect reason, if any.
    public var reason: DisconnectReason? { DisconnectReason(rawValue: disconnectReason) }

    /// Orders by queue, routing profile, agent, method, reason (the canonical snapshot order).
    public static func < (left: Self, right: Self) -> Bool {
        (left.queueId, left.routingProfileId, left.agentId, left.initiationMethod, left.disconnectReason)
            < (right.queueId, right.routingProfileId, right.agentId, right.initiationMethod, right.disconnectReason)
    }

    /// "queue/profile/agent/method/reason".
    public var description: String {
        "\(queueId)/\(routingProfileId)/\(agentId)/\(method?.description ?? "")/\(reason?.description ?? "")"
    }
}

/// The core counters of a cell (both schemas). Durations are whole seconds (as the contact record stores them) or
/// µs where they come from agent events.
enum CoreCounter: Int, CaseIterable {
    /// Segments (CONTACTS_CREATED).
    case created
    /// Segments placed in a queue.
    case queued
    /// Segments connected to an agent.
    case handled
    /// Segments connected to an agent, counted in the bucket of `ConnectedToAgentTimestamp`.
    case handledByConnectedTime
    /// Segments abandoned in queue.
    case abandoned
    /// Handled segments the agent ended (AGENT_DISCONNECT).
    case agentHungUpFirst
    /// Segments followed by a TRANSFER or QUEUE_TRANSFER segment.
    case transferredOut
    /// Handled segments followed by a TRANSFER segment.
    case transferredOutByAgent
    /// Queued, unhandled segments followed by a QUEUE_TRANSFER segment.
    case transferredOutFromQueue
    /// Segments that ended (all of them: a cell only holds completed segments).
    case disconnected
    /// Queued segments that were answered by an agent.
    case answered
    /// Σ `Queue.Duration` (s) of answered segments.
    case queueAnswerSeconds
    /// Σ `Queue.Duration` (s) of abandoned segments.
    case abandonSeconds
    /// Σ interaction + ACW (s) of handled segments.
    case handleSeconds
    /// Σ `AgentInteractionDuration` (s) of handled segments.
    case interactionSeconds
    /// Σ `AfterContactWorkDuration` (s).
    case afterContactWorkSeconds
    /// Segments with an `AfterContactWorkDuration`.
    case afterContactWorkCount
    /// Σ disconnect − initiation (µs) over all segments.
    case contactDurationMicros
    /// Σ disconnect − connected to agent (µs) over handled segments.
    case conversationDurationMicros
    /// Offers made to agents (ContactOffered).
    case offers
    /// Offers accepted.
    case offersAccepted
    /// Offers missed or abandoned by the customer while ringing (AGENT_NON_RESPONSE).
    case nonResponse
    /// Offers missed (AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS).
    case nonResponseWithoutAbandons
    /// µs with a status other than Offline.
    case onlineMicros
    /// µs Available with no contact connected, in ACW or ringing.
    case idleMicros
    /// µs in a custom status with no contact connected or in ACW.
    case nonProductiveMicros
    /// µs with at least one contact connected or in ACW.
    case contactMicros
    /// Σ over slots of µs connected or in ACW (concurrency numerator).
    case slotContactMicros
    /// µs in the missed/rejected error state.
    case errorMicros
}

/// The chat counters a v2 cell adds, from the contact records' `ChatMetrics`.
enum ChatCounter: Int, CaseIterable {
    /// Σ `TotalMessages`.
    case messages
    /// Σ `TotalBotMessages`.
    case botMessages
    /// Segments with an `AgentFirstResponseTimeInMillis`.
    case firstResponseCount
    /// Σ `AgentFirstResponseTimeInMillis`.
    case firstResponseMillis
    /// Segments with an `AgentFirstResponseTimestamp`.
    case contactFirstResponseCount
    /// Σ first agent response − the customer's connection (or initiation), ms.
    case contactFirstResponseMillis
    /// Segments with `AgentMetrics`.
    case agentSegments
    /// Σ agent `MessagesSent`.
    case agentMessages
    /// Σ agent `MessageLengthInChars`.
    case agentMessageChars
    /// Σ agent `NumResponses`.
    case agentResponses
    /// Σ agent `TotalResponseTimeInMillis`.
    case agentResponseMillis
    /// Segments with `CustomerMetrics`.
    case customerSegments
    /// Σ customer `MessagesSent`.
    case customerMessages
    /// Σ customer `MessageLengthInChars`.
    case customerMessageChars
    /// Σ customer `NumResponses`.
    case customerResponses
    /// Σ customer `TotalResponseTimeInMillis`.
    case customerResponseMillis
    /// Segments with a `ConversationCloseTimeInMillis`.
    case closeTimeCount
    /// Σ `ConversationCloseTimeInMillis`.
    case closeTimeMillis
    /// Segments whose customer `ConversationAbandon` is true.
    case conversationsAbandoned
    /// Segments with bot messages (a bot conversation).
    case botConversations
    /// Σ bot conversation time (customer connected → queued, or the end), ms.
    case botConversationMillis
    /// Σ `ConversationTurnCount` of bot conversations.
    case botTurns
}

/// Whole-second duration histograms a cell keeps for thresholds (X = 1–604,800 s, LT / LTE).
enum DurationHistogram: Int, CaseIterable {
    /// `Queue.Duration` of answered segments (SUM_CONTACTS_ANSWERED_IN_X, SERVICE_LEVEL).
    case answered
    /// `Queue.Duration` of abandoned segments (SUM_CONTACTS_ABANDONED_IN_X).
    case abandoned
    /// `Queue.Duration` of every queued segment (CONTACTS_REMOVED_FROM_QUEUE_IN_X, MAX_QUEUED_TIME).
    case removed
    /// Initiation → disconnect of segments not transferred onwards (CONTACTS_RESOLVED_IN_X).
    case resolved
}

/// The aggregates of one cell.
struct MetricCell: Equatable, Sendable {
    /// `CoreCounter`-indexed.
    var core: [Int64]
    /// `ChatCounter`-indexed; empty in the v1 schema.
    var chat: [Int64]
    /// `DurationHistogram`-indexed: whole seconds → segments.
    var histograms: [[Int64: Int64]]

    /// An empty cell of `schema`.
    init(schema: MetricsSchema) {
        core = Array(repeating: 0, count: CoreCounter.allCases.count)
        chat = schema == .v2 ? Array(repeating: 0, count: ChatCounter.allCases.count) : []
        histograms = Array(repeating: [:], count: DurationHistogram.allCases.count)
    }

    init(core: [Int64], chat: [Int64], histograms: [[Int64: Int64]]) {
        self.core = core
        self.chat = chat
        self.histograms = histograms
    }

    subscript(counter: CoreCounter) -> Int64 {
        get { core[counter.rawValue] }
        set { core[counter.rawValue] = newValue }
    }

    /// A chat counter; 0 in a v1 cell.
    subscript(counter: ChatCounter) -> Int64 {
        get { chat.isEmpty ? 0 : chat[counter.rawValue] }
        set { if !chat.isEmpty { chat[counter.rawValue] = newValue } }
    }

    /// Counts one duration.
    mutating func record(_ seconds: Int64, in histogram: DurationHistogram) {
        histograms[histogram.rawValue][seconds, default: 0] += 1
    }

    /// Segments of `histogram` whose duration is < `seconds` (or ≤ with `inclusive`).
    func count(_ histogram: DurationHistogram, below seconds: Int64, inclusive: Bool) -> Int64 {
        var total: Int64 = 0
        for (duration, count) in histograms[histogram.rawValue]
        where duration < seconds || (inclusive && duration == seconds) {
            total += count
        }
        return total
    }

    /// The longest duration of `histogram`, nil when empty.
    func maximum(_ histogram: DurationHistogram) -> Int64? { histograms[histogram.rawValue].keys.max() }

    /// Adds `other` (same or narrower schema) into this cell.
    mutating func merge(_ other: MetricCell) {
        for index in core.indices { core[index] += other.core[index] }
        if chat.isEmpty {
            chat = other.chat
        } else if !other.chat.isEmpty {
            for index in chat.indices { chat[index] += other.chat[index] }
        }
        for index in histograms.indices {
            histograms[index].merge(other.histograms[index], uniquingKeysWith: +)
        }
    }
}

extension MetricCellKey: SnapshotCodable {
    /// Writes the five dimensions.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(string: queueId)
        writer.write(string: routingProfileId)
        writer.write(string: agentId)
        writer.write(byte: initiationMethod)
        writer.write(byte: disconnectReason)
    }

    /// Reads a key.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        queueId = try reader.readString()
        routingProfileId = try reader.readString()
        agentId = try reader.readString()
        initiationMethod = try reader.readByte()
        disconnectReason = try reader.readByte()
    }
}

extension MetricCell: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        core.snapshotEncode(to: &writer)
        chat.snapshotEncode(to: &writer)
        histograms.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let core = try [Int64](snapshotFrom: &reader)
        let chat = try [Int64](snapshotFrom: &reader)
        let histograms = try [[Int64: Int64]](snapshotFrom: &reader)
        guard core.count == CoreCounter.allCases.count,
            chat.isEmpty || chat.count == ChatCounter.allCases.count,
            histograms.count == DurationHistogram.allCases.count
        else { throw DecodeError(.invalidValue, "a metric cell of the wrong shape", offset: reader.offset) }
        self.init(core: core, chat: chat, histograms: histograms)
    }
}

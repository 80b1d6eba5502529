// The contact trace record (CTR): one per contact segment, in Amazon Connect's model (connect-chat.md §7).
// Times are µs since the Unix epoch here; the JSON view renders them as Amazon does (ISO-8601, durations in s).

/// The `Agent` section of a contact trace record.
public struct CTRAgent: Sendable, Equatable {
    /// The user id (`ARN` is derived from it and the instance).
    public var userId: String
    /// `Username`.
    public var username: String
    /// The routing profile id the agent had when connected.
    public var routingProfileId: String
    /// The routing profile's name then.
    public var routingProfileName: String
    /// `ConnectedToAgentTimestamp` (µs).
    public var connectedToAgentTimestamp: Int64?
    /// `AgentInteractionDuration` in whole seconds (connected → the agent's part ended).
    public var agentInteractionDuration: Int64?
    /// `AfterContactWorkStartTimestamp` (µs).
    public var afterContactWorkStartTimestamp: Int64?
    /// `AfterContactWorkEndTimestamp` (µs).
    public var afterContactWorkEndTimestamp: Int64?
    /// `AfterContactWorkDuration` in whole seconds.
    public var afterContactWorkDuration: Int64?

    /// Creates the section for an agent.
    public init(userId: String, username: String, routingProfileId: String, routingProfileName: String) {
        self.userId = userId
        self.username = username
        self.routingProfileId = routingProfileId
        self.routingProfileName = routingProfileName
    }
}

/// The `Queue` section of a contact trace record.
public struct CTRQueue: Sendable, Equatable {
    /// The queue id (`ARN` is derived from it), or `agent/<user id>` for an agent queue.
    public var queueId: String
    /// `Name`.
    public var name: String
    /// `EnqueueTimestamp` (µs).
    public var enqueueTimestamp: Int64
    /// `DequeueTimestamp` (µs): the agent was connected, or else the segment ended (the customer left).
    public var dequeueTimestamp: Int64?
    /// `Duration`: dequeue − enqueue in whole seconds.
    public var duration: Int64?

    /// Creates the section for a contact entering `queueId` at `enqueueTimestamp`.
    public init(queueId: String, name: String, enqueueTimestamp: Int64) {
        self.queueId = queueId
        self.name = name
        self.enqueueTimestamp = enqueueTimestamp
    }
}

/// `AgentMetrics` / `CustomerMetrics` of `ChatMetrics`: one participant's side of the conversation.
public struct CTRParticipantMetrics: Sendable, Equatable {
    /// `ParticipantId`.
    public var participantId: Identifier
    /// `ParticipantType`: AGENT or CUSTOMER.
    public var participantType: ParticipantRole
    /// `ConversationAbandon`: the customer ended the segment before any agent wrote; the agent ended it (AGENT_DISCONNECT)
    /// with a customer message unanswered.
    public var conversationAbandon: Bool = false
    /// `MessagesSent`.
    public var messagesSent: Int64 = 0
    /// `NumResponses`: messages that answered a message of the other side.
    public var numResponses: Int64 = 0
    /// `MessageLengthInChars`: characters over all messages sent.
    public var messageLengthInChars: Int64 = 0
    /// `TotalResponseTimeInMillis`.
    public var totalResponseTimeInMillis: Int64 = 0
    /// `MaxResponseTimeInMillis`.
    public var maxResponseTimeInMillis: Int64 = 0
    /// `LastMessageTimestamp` (µs).
    public var lastMessageTimestamp: Int64?

    /// Empty metrics for one participant.
    public init(participantId: Identifier, participantType: ParticipantRole) {
        self.participantId = participantId
        self.participantType = participantType
    }
}

/// `ChatMetrics` (`ContactMetrics` in the CTR doc, `ChatContactMetrics` in DescribeContact).
public struct CTRChatMetrics: Sendable, Equatable {
    /// `MultiParty`: more than one agent (or supervisor) participant joined the segment.
    public var multiParty: Bool = false
    /// `TotalMessages`.
    public var totalMessages: Int64 = 0
    /// `TotalBotMessages`.
    public var totalBotMessages: Int64 = 0
    /// `TotalBotMessageLengthInChars`.
    public var totalBotMessageLengthInChars: Int64 = 0
    /// `ConversationCloseTimeInMillis`: last customer message → the segment's end.
    public var conversationCloseTimeInMillis: Int64?
    /// `ConversationTurnCount`: changes of speaker between the customer and the other side.
    public var conversationTurnCount: Int64 = 0
    /// `AgentFirstResponseTimestamp` (µs).
    public var agentFirstResponseTimestamp: Int64?
    /// `AgentFirstResponseTimeInMillis`: agent connected → its first message.
    public var agentFirstResponseTimeInMillis: Int64?
    /// `AgentMetrics`.
    public var agentMetrics: CTRParticipantMetrics?
    /// `CustomerMetrics`.
    public var customerMetrics: CTRParticipantMetrics?

    /// Empty metrics.
    public init() {}
}

/// One contact trace record: one contact segment of a chat.
public struct ContactTraceRecord: Sendable, Equatable {
    /// `ContactId`.
    public var contactId: Identifier
    /// `InitialContactId` (the chat's first segment).
    public var initialContactId: Identifier
    /// `PreviousContactId`.
    public var previousContactId: Identifier?
    /// `NextContactId`.
    public var nextContactId: Identifier?
    /// `RelatedContactId`.
    public var relatedContactId: Identifier?
    /// The instance id (`InstanceARN` is derived from it).
    public var instanceId: String
    /// `Channel`: always CHAT here.
    public var channel: String = "CHAT"
    /// `InitiationMethod`.
    public var initiationMethod: InitiationMethod
    /// `InitiationTimestamp` (µs): the request for API, the transfer's start for TRANSFER / QUEUE_TRANSFER.
    public var initiationTimestamp: Int64
    /// `ConnectedToSystemTimestamp` (µs): the customer's first connection (API segments).
    public var connectedToSystemTimestamp: Int64?
    /// `DisconnectTimestamp` (µs): when the segment ended.
    public var disconnectTimestamp: Int64?
    /// `LastUpdateTimestamp` (µs).
    public var lastUpdateTimestamp: Int64
    /// `DisconnectReason`.
    public var disconnectReason: DisconnectReason?
    /// `AgentConnectionAttempts`: offers made for this segment.
    public var agentConnectionAttempts: Int64 = 0
    /// `Attributes`.
    public var attributes: [String: String] = [:]
    /// `CustomerId`.
    public var customerId: String?
    /// `TransferCompletedTimestamp` (µs).
    public var transferCompletedTimestamp: Int64?
    /// `QueuePriority`.
    public var queuePriority: Int64?
    /// `QueueTimeAdjustmentSeconds`.
    public var queueTimeAdjustmentSeconds: Int64?
    /// `Agent`.
    public var agent: CTRAgent?
    /// `Queue`.
    public var queue: CTRQueue?
    /// `ChatMetrics`.
    public var chatMetrics = CTRChatMetrics()
    /// Whether the segment is complete: ended, and its ACW (if any) cleared.
    public var completed = false

    /// A record for a segment that began at `initiationTimestamp`.
    public init(
        contactId: Identifier,
        initialContactId: Identifier,
        instanceId: String,
        initiationMethod: InitiationMethod,
        initiationTimestamp: Int64
    ) {
        self.contactId = contactId
        self.initialContactId = initialContactId
        self.instanceId = instanceId
        self.initiationMethod = initiationMethod
        self.initiationTimestamp = initiationTimestamp
        self.lastUpdateTimestamp = initiationTimestamp
    }
}

/// What one event did to the contact trace records: a record and what became of it.
///
/// A struct, not an enum with the record as each case's payload: a fold that reads the record of a change
/// (`MetricsAggregate`, `CompletedContactRecords`) bound it in a pattern, which copied the change and the record, about
/// 1.1 K instructions with their release; a stored property is read where it lies.
public struct ContactRecordChange: Sendable, Equatable {
    /// What became of the record.
    public enum Kind: Sendable, Equatable {
        /// The record became complete (emitted once per record).
        case completed
        /// A complete record changed again (e.g. attributes); re-emitted with a later `LastUpdateTimestamp`.
        case updated
    }

    /// What became of the record.
    public var kind: Kind
    /// The record after the change.
    public var record: ContactTraceRecord

    /// The record became complete (emitted once per record).
    public static func completed(_ record: ContactTraceRecord) -> Self { Self(kind: .completed, record: record) }

    /// A complete record changed again (e.g. attributes); re-emitted with a later `LastUpdateTimestamp`.
    public static func updated(_ record: ContactTraceRecord) -> Self { Self(kind: .updated, record: record) }

    /// Whether the record became complete with this change.
    public var isCompletion: Bool { kind == .completed }
}

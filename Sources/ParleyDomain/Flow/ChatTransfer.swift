// Agent-initiated transfers (what a quick connect does): the transferring agent leaves, a new TRANSFER segment
// starts (with the quick connect's transfer flow, if any), and the customer sees transfer.succeeded or
// transfer.failed.

/// A transfer was attempted; `succeeded` says whether the chat moved to a new segment.
public struct ChatTransferred: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x012B
    public static let name = "ChatTransferred"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The segment the transfer started from.
    public var fromContactId: Identifier
    /// The queue (or `agent/<id>`) it went to.
    public var target: String
    /// Whether it succeeded.
    public var succeeded: Bool
    /// Why it failed.
    public var reason: String?
    /// The `transfer.succeeded` / `transfer.failed` transcript item.
    public var itemId: Identifier

    /// Creates the event.
    public init(
        chatId: Identifier,
        fromContactId: Identifier,
        target: String,
        succeeded: Bool,
        reason: String?,
        itemId: Identifier
    ) {
        self.chatId = chatId
        self.fromContactId = fromContactId
        self.target = target
        self.succeeded = succeeded
        self.reason = reason
        self.itemId = itemId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: fromContactId)
        writer.write(string: target)
        writer.write(bool: succeeded)
        writer.write(optionalString: reason)
        writer.write(identifier: itemId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            fromContactId: try reader.readIdentifier(),
            target: try reader.readString(),
            succeeded: try reader.readBool(),
            reason: try reader.readOptionalString(),
            itemId: try reader.readIdentifier()
        )
    }
}

extension ContentTypes {
    /// A transfer succeeded.
    public static let transferSucceeded = "application/vnd.amazonaws.connect.event.transfer.succeeded"
    /// A transfer failed.
    public static let transferFailed = "application/vnd.amazonaws.connect.event.transfer.failed"
}

extension Transaction {
    /// An agent transfers the chat to a queue or an agent (`agent/<id>`), optionally through a transfer flow.
    mutating func transferContact(
        _ connectionToken: String,
        queueId: String?,
        agentId: String?,
        flowId: String?
    ) throws(ChatError) -> ChatReply {
        let (chat, participant, _) = try connection(connectionToken)
        return try transfer(chat, participant, queueId: queueId, agentId: agentId, flowId: flowId)
    }

    /// Transfers `chat` on behalf of `participant`, an agent in it.
    mutating func transfer(
        _ chat: ChatSession,
        _ participant: Participant,
        queueId: String?,
        agentId: String?,
        flowId: String?
    ) throws(ChatError) -> ChatReply {
        guard participant.role == .agent else {
            throw ChatError(.accessDenied, "only an agent in the chat can transfer it")
        }
        let target: String
        switch (queueId, agentId) {
        case (let queue?, nil):
            guard let resolved = resolveQueue(queue) else {
                throw ChatError(
                    .resourceNotFound,
                    "queue \(queue) does not exist",
                    resourceId: queue,
                    resourceType: "QUEUE"
                )
            }
            target = resolved.queueId
        case (nil, let agent?):
            guard (1...256).contains(agent.count), !agent.contains("/") else {
                throw ChatError(.invalidParameter, "the agent id must be 1–256 characters without /")
            }
            target = "agent/\(agent)"
        default:
            throw ChatError(.invalidParameter, "exactly one of QueueId and AgentId is required")
        }
        var flow: FlowResource?
        if let flowId {
            guard let resolved = resolveFlow(flowId) else {
                throw ChatError(
                    .resourceNotFound,
                    "contact flow \(flowId) does not exist",
                    resourceType: "CONTACT_FLOW"
                )
            }
            flow = resolved
        }
        let from = chat.currentContactId
        if let (queue, problem) = fullQueue(target).map({ ($0, "at capacity") })
            ?? disabledQueue(target).map({ ($0, "disabled") })
        {
            // The agent stays; the customer is told.
            emit(
                .chatTransferred(
                    ChatTransferred(
                        chatId: chat.chatId,
                        fromContactId: from,
                        target: target,
                        succeeded: false,
                        reason: "\(queue.name) is \(problem)",
                        itemId: newId()
                    )
                )
            )
            return .done
        }
        leave(chat.chatId, participant.participantId, .agentDisconnect)
        roleTimersMayStop(chat.chatId)
        emit(.contactDisconnected(ContactDisconnected(contactId: from, reason: .other, effectiveAt: now)))
        let segment = newId()
        let previous = state.contacts[from]
        emit(
            .contactStarted(
                ContactStarted(
                    contactId: segment,
                    chatId: chat.chatId,
                    instanceId: chat.instanceId,
                    flowId: flow?.flowId ?? previous?.flowId ?? "",
                    initiationMethod: .transfer,
                    previousContactId: from,
                    attributes: previous?.attributes ?? [:],
                    customerId: previous?.customerId
                )
            )
        )
        emit(
            .chatTransferred(
                ChatTransferred(
                    chatId: chat.chatId,
                    fromContactId: from,
                    target: target,
                    succeeded: true,
                    reason: nil,
                    itemId: newId()
                )
            )
        )
        emit(.targetQueueSet(TargetQueueSet(contactId: segment, queueId: target)))
        if let queueFlow = previous?.customerQueueFlowId {
            emit(.customerQueueFlowSet(CustomerQueueFlowSet(contactId: segment, flowId: queueFlow)))
        }
        if let flow {
            // The transfer flow decides (typically TransferContactToQueue onto the working queue set above).
            runFlow(flow.flowId, version: flow.latestVersion, contactId: segment)
        } else {
            emit(.contactQueued(ContactQueued(contactId: segment, queueId: target)))
            startCustomerQueueFlow(segment)
        }
        return .done
    }
}

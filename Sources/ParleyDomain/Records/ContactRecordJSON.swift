// The contact trace record in Amazon Connect's JSON shape (the CTR export stream / Kinesis format): PascalCase keys,
// ISO-8601 UTC timestamps with milliseconds, durations in whole seconds, null for absent values and sections.

/// Amazon Resource Names as Parley writes them (the same form as the flow engine's Lambda events): region `local`,
/// account `000000000000`.
public enum ConnectARN {
    /// The account id Parley reports (`AWSAccountId`); Parley has no AWS account.
    public static let accountId = "000000000000"
    /// The region Parley reports.
    public static let region = "local"

    /// `arn:aws:connect:local:000000000000:instance/<id>`.
    public static func instance(_ instanceId: String) -> String {
        "arn:aws:connect:\(region):\(accountId):instance/\(instanceId)"
    }

    /// A queue's ARN (`…/queue/<id>`; an agent queue is `…/queue/agent/<user id>`).
    public static func queue(_ instanceId: String, _ queueId: String) -> String {
        "\(instance(instanceId))/queue/\(queueId)"
    }

    /// An agent's (user's) ARN.
    public static func agent(_ instanceId: String, _ userId: String) -> String {
        "\(instance(instanceId))/agent/\(userId)"
    }

    /// A routing profile's ARN.
    public static func routingProfile(_ instanceId: String, _ routingProfileId: String) -> String {
        "\(instance(instanceId))/routing-profile/\(routingProfileId)"
    }
}

extension ContactTraceRecord {
    /// `AWSContactTraceRecordFormatVersion`.
    public static let formatVersion = "2017-03-10"

    /// The record as one line of JSON with sorted keys, in Amazon's CTR shape (`jsonValue()`).
    public func jsonLine() -> String { JSONText.serialize(jsonValue()) }

    /// The record in Amazon's CTR shape: PascalCase keys, ISO-8601 UTC timestamps with milliseconds, durations in
    /// whole seconds, null for what is absent (and for the voice-only or unmodelled fields kept for the shape).
    public func jsonValue() -> JSONValue {
        let object: [String: JSONValue] = [
            "AWSAccountId": .string(ConnectARN.accountId),
            "AWSContactTraceRecordFormatVersion": .string(Self.formatVersion),
            "Agent": agent.map { agentJSON($0) } ?? .null,
            "AgentConnectionAttempts": .int(agentConnectionAttempts),
            "Attributes": .object(attributes.mapValues { .string($0) }),
            "Channel": .string(channel),
            "ChatMetrics": chatMetricsJSON(),
            "ConnectedToSystemTimestamp": Self.time(connectedToSystemTimestamp),
            "ContactId": .string(contactId.description),
            "CustomerEndpoint": .null,
            "CustomerId": customerId.map { .string($0) } ?? .null,
            "DisconnectReason": disconnectReason.map { .string($0.description) } ?? .null,
            "DisconnectTimestamp": Self.time(disconnectTimestamp),
            "InitialContactId": .string(initialContactId.description),
            "InitiationMethod": .string(initiationMethod.description),
            "InitiationTimestamp": Self.time(initiationTimestamp),
            "InstanceARN": .string(ConnectARN.instance(instanceId)),
            "LastUpdateTimestamp": Self.time(lastUpdateTimestamp),
            "MediaStreams": .array([.object(["Type": .string("CHAT")])]),
            "NextContactId": Self.id(nextContactId),
            "PreviousContactId": Self.id(previousContactId),
            "Queue": queue.map { queueJSON($0) } ?? .null,
            "QueuePriority": queuePriority.map { .int($0) } ?? .null,
            "QueueTimeAdjustmentSeconds": queueTimeAdjustmentSeconds.map { .int($0) } ?? .null,
            "Recordings": .null,
            "RelatedContactId": Self.id(relatedContactId),
            "SegmentAttributes": .object(["connect:Subtype": .object(["ValueString": .string("connect:Chat")])]),
            "SystemEndpoint": .null,
            "Tags": .object(["aws:connect:instanceId": .string(instanceId)]),
            "TransferCompletedTimestamp": Self.time(transferCompletedTimestamp),
        ]
        return .object(object)
    }

    private func agentJSON(_ agent: CTRAgent) -> JSONValue {
        let profile: JSONValue =
            agent.routingProfileId.isEmpty
            ? .null
            : .object([
                "ARN": .string(ConnectARN.routingProfile(instanceId, agent.routingProfileId)),
                "Name": .string(agent.routingProfileName),
            ])
        return .object([
            "ARN": agent.userId.isEmpty ? .null : .string(ConnectARN.agent(instanceId, agent.userId)),
            "AfterContactWorkDuration": agent.afterContactWorkDuration.map { .int($0) } ?? .null,
            "AfterContactWorkEndTimestamp": Self.time(agent.afterContactWorkEndTimestamp),
            "AfterContactWorkStartTimestamp": Self.time(agent.afterContactWorkStartTimestamp),
            "AgentInteractionDuration": agent.agentInteractionDuration.map { .int($0) } ?? .null,
            "ConnectedToAgentTimestamp": Self.time(agent.connectedToAgentTimestamp),
            "CustomerHoldDuration": .int(0),
            "HierarchyGroups": .null,
            "LongestHoldDuration": .int(0),
            "NumberOfHolds": .int(0),
            "RoutingProfile": profile,
            "Username": .string(agent.username),
        ])
    }

    private func queueJSON(_ queue: CTRQueue) -> JSONValue {
        .object([
            "ARN": .string(ConnectARN.queue(instanceId, queue.queueId)),
            "DequeueTimestamp": Self.time(queue.dequeueTimestamp),
            "Duration": queue.duration.map { .int($0) } ?? .null,
            "EnqueueTimestamp": Self.time(queue.enqueueTimestamp),
            "Name": queue.name.isEmpty ? .null : .string(queue.name),
        ])
    }

    private func chatMetricsJSON() -> JSONValue {
        let metrics = chatMetrics
        let contact: JSONValue = .object([
            "AgentFirstResponseTimeInMillis": metrics.agentFirstResponseTimeInMillis.map { .int($0) } ?? .null,
            "AgentFirstResponseTimestamp": Self.time(metrics.agentFirstResponseTimestamp),
            "ConversationCloseTimeInMillis": metrics.conversationCloseTimeInMillis.map { .int($0) } ?? .null,
            "ConversationTurnCount": .int(metrics.conversationTurnCount),
            "MultiParty": .bool(metrics.multiParty),
            "TotalBotMessageLengthInChars": .int(metrics.totalBotMessageLengthInChars),
            "TotalBotMessages": .int(metrics.totalBotMessages),
            "TotalMessages": .int(metrics.totalMessages),
        ])
        return .object([
            "AgentMetrics": metrics.agentMetrics.map { Self.participantJSON($0) } ?? .null,
            "ChatContactMetrics": contact,
            "CustomerMetrics": metrics.customerMetrics.map { Self.participantJSON($0) } ?? .null,
        ])
    }

    private static func participantJSON(_ metrics: CTRParticipantMetrics) -> JSONValue {
        .object([
            "ConversationAbandon": .bool(metrics.conversationAbandon),
            "LastMessageTimestamp": time(metrics.lastMessageTimestamp),
            "MaxResponseTimeInMillis": .int(metrics.maxResponseTimeInMillis),
            "MessageLengthInChars": .int(metrics.messageLengthInChars),
            "MessagesSent": .int(metrics.messagesSent),
            "NumResponses": .int(metrics.numResponses),
            "ParticipantId": .string(metrics.participantId.description),
            "ParticipantType": .string(metrics.participantType.description),
            "TotalResponseTimeInMillis": .int(metrics.totalResponseTimeInMillis),
        ])
    }

    private static func time(_ micros: Int64?) -> JSONValue {
        micros.map { .string(ISOTime.format($0)) } ?? .null
    }

    private static func id(_ identifier: Identifier?) -> JSONValue {
        identifier.map { .string($0.description) } ?? .null
    }
}

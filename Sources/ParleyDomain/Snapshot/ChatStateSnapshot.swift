// The snapshot encoding of `ChatState`: a schema number, then every projection field by field, in declaration
// order. Derived indexes that are cheap to rebuild (the `deadlines` index, each chat's `itemIndex`) are not written but
// recomputed on decode, so a snapshot can never carry an index that disagrees with its data. Flow, bot and hours
// resources are in ChatStateSnapshot+Flow.swift, routing and the agent desk in ChatStateSnapshot+Routing.swift.
//
// Any change to the stored shape of the state or of a type it holds must bump `ChatState.snapshotSchema`: an old
// snapshot is then rejected with `.unsupportedVersion` (and the engine replays the log) instead of being misread.

extension BinaryWriter {
    /// Appends the snapshot encoding of `value`.
    mutating func writeSnapshot(_ value: some SnapshotCodable) { value.snapshotEncode(to: &self) }
}

extension BinaryReader {
    /// Reads a value written by `BinaryWriter.writeSnapshot(_:)`.
    mutating func readSnapshot<Value: SnapshotCodable>(_ type: Value.Type = Value.self) throws(DecodeError) -> Value {
        try Value(snapshotFrom: &self)
    }
}

extension ChatState: SnapshotCodable {
    /// The schema number `snapshotEncode` writes first; bump it whenever the stored shape of the state changes.
    public static let snapshotSchema: UInt = 5

    /// Writes the schema number, then every projection (derived indexes are rebuilt on decode instead).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        var inline = ColdSplit.inline
        snapshotEncode(to: &writer, cold: &inline)
    }

    /// Writes the state; a split encoding moves what has settled into cold tables: ended contact segments, ended
    /// chats, and the connection and start tokens of ended chats (an ended chat never becomes active again).
    public func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit) {
        let chatEnded: (Identifier) -> Bool = { chatId in chats.hotValue(chatId).map { $0.status == .ended } ?? true }
        writer.write(varUInt: UInt64(Self.snapshotSchema))
        writer.writeSnapshot(instance)
        contacts.snapshotEncode(to: &writer, cold: &cold) { _, contact in contact.status == .ended }
        chats.snapshotEncode(to: &writer, cold: &cold) { _, chat in chat.status == .ended }
        writer.writeSnapshot(participantTokens)
        connectionTokens.snapshotEncode(to: &writer, cold: &cold) { _, target in chatEnded(target.chatId) }
        writer.writeSnapshot(websocketTokens)
        startTokens.snapshotEncode(to: &writer, cold: &cold) { _, contactId in chatEnded(contactId) }
        writer.writeSnapshot(timers)
        writer.writeSnapshot(timersFired)
        writer.writeSnapshot(billing)
        writer.writeSnapshot(activeChats)
        writer.writeSnapshot(lastTimestamp)
        writer.writeSnapshot(eventCount)
        writer.writeSnapshot(flows)
        writer.writeSnapshot(queues)
        writer.writeSnapshot(bots)
        writer.writeSnapshot(hoursOfOperations)
        writer.writeSnapshot(agents)
        writer.writeSnapshot(routingProfiles)
        writer.writeSnapshot(users)
        writer.writeSnapshot(agentStatuses)
        writer.writeSnapshot(lambdaFunctions)
        writer.writeSnapshot(descriptions)
        writer.writeSnapshot(pendingInvocations)
        writer.writeSnapshot(waiting)
        writer.writeSnapshot(agentDesk)
    }

    /// Reads a state written by `snapshotEncode`; a schema number other than `snapshotSchema` is
    /// `.unsupportedVersion`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        try self.init(snapshotFrom: &reader, cold: .none)
    }

    /// Reads a state written by either encoding, its cold tiers from `cold`.
    public init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError) {
        let start = reader.offset
        let schema = try reader.readVarUInt()
        guard schema == UInt64(Self.snapshotSchema) else {
            throw DecodeError(
                .unsupportedVersion,
                "ChatState snapshot schema \(schema); this build reads schema \(Self.snapshotSchema)",
                offset: start
            )
        }
        self.init()
        instance = try reader.readSnapshot()
        contacts = try TieredMap(snapshotFrom: &reader, cold: cold)
        chats = try TieredMap(snapshotFrom: &reader, cold: cold)
        participantTokens = try reader.readSnapshot()
        connectionTokens = try TieredMap(snapshotFrom: &reader, cold: cold)
        websocketTokens = try reader.readSnapshot()
        startTokens = try TieredMap(snapshotFrom: &reader, cold: cold)
        timers = try reader.readSnapshot()
        timersFired = try reader.readSnapshot()
        billing = try reader.readSnapshot()
        activeChats = try reader.readSnapshot()
        lastTimestamp = try reader.readSnapshot()
        eventCount = try reader.readSnapshot()
        flows = try reader.readSnapshot()
        queues = try reader.readSnapshot()
        bots = try reader.readSnapshot()
        hoursOfOperations = try reader.readSnapshot()
        agents = try reader.readSnapshot()
        routingProfiles = try reader.readSnapshot()
        users = try reader.readSnapshot()
        agentStatuses = try reader.readSnapshot()
        lambdaFunctions = try reader.readSnapshot()
        descriptions = try reader.readSnapshot()
        pendingInvocations = try reader.readSnapshot()
        waiting = try reader.readSnapshot()
        agentDesk = try reader.readSnapshot()
        rebuildDeadlines()
    }
}

// MARK: - Enumerations

extension ContactStatus: SnapshotCodableEnumeration {}
extension ChatStatus: SnapshotCodableEnumeration {}
extension ParticipantRole: SnapshotCodableEnumeration {}
extension DisconnectReason: SnapshotCodableEnumeration {}
extension InitiationMethod: SnapshotCodableEnumeration {}
extension RehydrationType: SnapshotCodableEnumeration {}
extension ResponseMode: SnapshotCodableEnumeration {}
extension TimerKind: SnapshotCodableEnumeration {}

// MARK: - Chat types

extension InstanceSettings: SnapshotCodable {
    /// Writes the instance id, the chat limit and the CreateInstance settings.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(instanceId)
        writer.writeSnapshot(concurrentActiveChats)
        writer.writeSnapshot(alias)
        writer.writeSnapshot(identityManagementType)
        writer.writeSnapshot(inboundCallsEnabled)
        writer.writeSnapshot(outboundCallsEnabled)
        writer.writeSnapshot(createdAt)
    }

    /// Reads instance settings.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            instanceId: try reader.readSnapshot(),
            concurrentActiveChats: try reader.readSnapshot(),
            alias: try reader.readSnapshot(),
            identityManagementType: try reader.readSnapshot(),
            inboundCallsEnabled: try reader.readSnapshot(),
            outboundCallsEnabled: try reader.readSnapshot(),
            createdAt: try reader.readSnapshot()
        )
    }
}

extension TimerKey: SnapshotCodable {
    /// Writes the kind, the chat and the optional participant.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(kind)
        writer.writeSnapshot(chatId)
        writer.writeSnapshot(participantId)
    }

    /// Reads a timer key; one whose participant slot does not fit its kind is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let start = reader.offset
        let kind: TimerKind = try reader.readSnapshot()
        let chatId: Identifier = try reader.readSnapshot()
        self = try TimerKey.decoded(kind, chatId, try reader.readSnapshot(), offset: start)
    }
}

extension ContactRecord: SnapshotCodable {
    /// Writes every field of the contact segment, its flow run and flow log included.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(contactId)
        writer.writeSnapshot(chatId)
        writer.writeSnapshot(instanceId)
        writer.writeSnapshot(flowId)
        writer.writeSnapshot(initiationMethod)
        writer.writeSnapshot(previousContactId)
        writer.writeSnapshot(nextContactId)
        writer.writeSnapshot(relatedContactId)
        writer.writeSnapshot(customerId)
        writer.writeSnapshot(initiatedAt)
        writer.writeSnapshot(disconnectedAt)
        writer.writeSnapshot(disconnectReason)
        writer.writeSnapshot(attributes)
        writer.writeSnapshot(status)
        writer.writeSnapshot(flowRun)
        writer.writeSnapshot(targetQueue)
        writer.writeSnapshot(queued)
        writer.writeSnapshot(agentId)
        writer.writeSnapshot(agentParticipantId)
        writer.writeSnapshot(offeredTo)
        writer.writeSnapshot(queuePriority)
        writer.writeSnapshot(queueTimeAdjustmentSeconds)
        writer.writeSnapshot(customerQueueFlowId)
        writer.writeSnapshot(flowLog)
    }

    /// Reads a contact segment.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            contactId: try reader.readSnapshot(),
            chatId: try reader.readSnapshot(),
            instanceId: try reader.readSnapshot(),
            flowId: try reader.readSnapshot(),
            initiationMethod: try reader.readSnapshot(),
            previousContactId: try reader.readSnapshot(),
            nextContactId: try reader.readSnapshot(),
            relatedContactId: try reader.readSnapshot(),
            customerId: try reader.readSnapshot(),
            initiatedAt: try reader.readSnapshot(),
            disconnectedAt: try reader.readSnapshot(),
            disconnectReason: try reader.readSnapshot(),
            attributes: try reader.readSnapshot(),
            status: try reader.readSnapshot(),
            flowRun: try reader.readSnapshot(),
            targetQueue: try reader.readSnapshot(),
            queued: try reader.readSnapshot(),
            agentId: try reader.readSnapshot(),
            agentParticipantId: try reader.readSnapshot(),
            offeredTo: try reader.readSnapshot(),
            queuePriority: try reader.readSnapshot(),
            queueTimeAdjustmentSeconds: try reader.readSnapshot(),
            customerQueueFlowId: try reader.readSnapshot(),
            flowLog: try reader.readSnapshot()
        )
    }
}

extension Participant: SnapshotCodable {
    /// Writes every field of the participant.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(participantId)
        writer.writeSnapshot(role)
        writer.writeSnapshot(displayName)
        writer.writeSnapshot(participantToken)
        writer.writeSnapshot(joinedAt)
        writer.writeSnapshot(leftAt)
        writer.writeSnapshot(leftReason)
        writer.writeSnapshot(openSockets)
        writer.writeSnapshot(idle)
        writer.writeSnapshot(connected)
    }

    /// Reads a participant.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            participantId: try reader.readSnapshot(),
            role: try reader.readSnapshot(),
            displayName: try reader.readSnapshot(),
            participantToken: try reader.readSnapshot(),
            joinedAt: try reader.readSnapshot(),
            leftAt: try reader.readSnapshot(),
            leftReason: try reader.readSnapshot(),
            openSockets: try reader.readSnapshot(),
            idle: try reader.readSnapshot(),
            connected: try reader.readSnapshot()
        )
    }
}

extension Connection: SnapshotCodable {
    /// Writes the connection's ids, tokens and expiries.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(connectionId)
        writer.writeSnapshot(participantId)
        writer.writeSnapshot(connectionToken)
        writer.writeSnapshot(expiry)
        writer.writeSnapshot(websocketToken)
        writer.writeSnapshot(websocketExpiry)
    }

    /// Reads a connection.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            connectionId: try reader.readSnapshot(),
            participantId: try reader.readSnapshot(),
            connectionToken: try reader.readSnapshot(),
            expiry: try reader.readSnapshot(),
            websocketToken: try reader.readSnapshot(),
            websocketExpiry: try reader.readSnapshot()
        )
    }
}

extension Receipt: SnapshotCodable {
    /// Writes the delivered and read times.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(deliveredAt)
        writer.writeSnapshot(readAt)
    }

    /// Reads a receipt.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(deliveredAt: try reader.readSnapshot(), readAt: try reader.readSnapshot())
    }
}

extension TranscriptItem: SnapshotCodable {
    /// Writes every field of the item, its receipts included.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(id)
        writer.writeSnapshot(timestamp)
        writer.writeSnapshot(type)
        writer.writeSnapshot(contentType)
        writer.writeSnapshot(content)
        writer.writeSnapshot(participantId)
        writer.writeSnapshot(displayName)
        writer.writeSnapshot(role)
        writer.writeSnapshot(contactId)
        writer.writeSnapshot(receipts)
    }

    /// Reads a transcript item.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            id: try reader.readSnapshot(),
            timestamp: try reader.readSnapshot(),
            type: try reader.readSnapshot(),
            contentType: try reader.readString(interning: ContentTypes.table),
            content: try reader.readSnapshot(),
            participantId: try reader.readSnapshot(),
            displayName: try reader.readSnapshot(),
            role: try reader.readSnapshot(),
            contactId: try reader.readSnapshot(),
            receipts: try reader.readSnapshot()
        )
    }
}

extension ReceiptMap: SnapshotCodable {
    /// Writes the count, then the entries in recipient order (as `[Identifier: Receipt]` writes itself).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varUInt: UInt64(count))
        for (recipient, receipt) in self {
            recipient.snapshotEncode(to: &writer)
            receipt.snapshotEncode(to: &writer)
        }
    }

    /// Reads receipts in any order; a repeated recipient is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        let count = try reader.readCount()
        for _ in 0..<count {
            let recipient = try Identifier(snapshotFrom: &reader)
            let receipt = try Receipt(snapshotFrom: &reader)
            guard self[recipient] == nil else {
                throw DecodeError(.invalidValue, "a repeated key in a snapshot map", offset: reader.offset)
            }
            self[recipient] = receipt
        }
    }
}

extension Rehydration: SnapshotCodable {
    /// Writes the rehydration type and the contacts it names.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(type)
        writer.writeSnapshot(sourceContactId)
        writer.writeSnapshot(continuedFromContactId)
        writer.writeSnapshot(pastContactIds)
    }

    /// Reads persistent-chat details.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            type: try reader.readSnapshot(),
            sourceContactId: try reader.readSnapshot(),
            continuedFromContactId: try reader.readSnapshot(),
            pastContactIds: try reader.readSnapshot()
        )
    }
}

extension SentRecord: SnapshotCodable {
    /// Writes the id and time.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(id)
        writer.writeSnapshot(time)
    }

    /// Reads a sent record.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(id: try reader.readSnapshot(), time: try reader.readSnapshot())
    }
}

extension ChatSession: SnapshotCodable {
    /// Writes every field of the chat except `itemIndex`, which is rebuilt from `items` on decode.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(chatId)
        writer.writeSnapshot(instanceId)
        writer.writeSnapshot(currentContactId)
        writer.writeSnapshot(contactIds)
        writer.writeSnapshot(status)
        writer.writeSnapshot(startedAt)
        writer.writeSnapshot(expiresAt)
        writer.writeSnapshot(endedAt)
        writer.writeSnapshot(endReason)
        writer.writeSnapshot(durationMinutes)
        writer.writeSnapshot(supportedContentTypes)
        writer.writeSnapshot(responseMode)
        writer.writeSnapshot(disconnectOnCustomerExit)
        writer.writeSnapshot(customerParticipantId)
        writer.writeSnapshot(participants)
        writer.writeSnapshot(connections)
        writer.writeSnapshot(items)
        writer.writeSnapshot(rehydration)
        writer.writeSnapshot(roleTimers)
        writer.writeSnapshot(activeRoleTimers)
        writer.writeSnapshot(disconnectFlowId)
        writer.writeSnapshot(customerConnected)
        writer.writeSnapshot(sentByClientToken)
        writer.writeSnapshot(startClientToken)
        writer.write(bytes: startRequestDigest)
        writer.writeSnapshot(contactBillableMessages)
    }

    /// Reads a chat and rebuilds its item index (a repeated item id maps to its last position, as `apply` does).
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            chatId: try reader.readSnapshot(),
            instanceId: try reader.readSnapshot(),
            currentContactId: try reader.readSnapshot(),
            contactIds: try reader.readSnapshot(),
            status: try reader.readSnapshot(),
            startedAt: try reader.readSnapshot(),
            expiresAt: try reader.readSnapshot(),
            endedAt: try reader.readSnapshot(),
            endReason: try reader.readSnapshot(),
            durationMinutes: try reader.readSnapshot(),
            supportedContentTypes: try reader.readSnapshot(),
            responseMode: try reader.readSnapshot(),
            disconnectOnCustomerExit: try reader.readSnapshot(),
            customerParticipantId: try reader.readSnapshot(),
            participants: try reader.readSnapshot(),
            connections: try reader.readSnapshot(),
            items: try reader.readSnapshot(),
            itemIndex: [:],
            rehydration: try reader.readSnapshot(),
            roleTimers: try reader.readSnapshot(),
            activeRoleTimers: try reader.readSnapshot(),
            disconnectFlowId: try reader.readSnapshot(),
            customerConnected: try reader.readSnapshot(),
            sentByClientToken: try reader.readSnapshot(),
            startClientToken: try reader.readSnapshot(),
            startRequestDigest: try reader.readBytes(),
            contactBillableMessages: try reader.readSnapshot()
        )
        guard contactBillableMessages.count == contactIds.count else {
            throw DecodeError(
                .invalidValue,
                "chat \(chatId) counts messages of \(contactBillableMessages.count) contacts but has \(contactIds.count)",
                offset: reader.offset
            )
        }
        for (position, item) in items.enumerated() where Self.indexes(item) { itemIndex[item.id] = position }
    }
}

extension BillingMeter: SnapshotCodable {
    /// Writes the monthly and total message counts.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(messagesByMonth)
        writer.writeSnapshot(totalMessages)
    }

    /// Reads a billing meter.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(messagesByMonth: try reader.readSnapshot(), totalMessages: try reader.readSnapshot())
    }
}

extension TokenTarget: SnapshotCodable {
    /// Writes the chat, participant and optional connection.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(chatId)
        writer.writeSnapshot(participantId)
        writer.writeSnapshot(connectionId)
    }

    /// Reads a token target.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            chatId: try reader.readSnapshot(),
            participantId: try reader.readSnapshot(),
            connectionId: try reader.readSnapshot()
        )
    }
}

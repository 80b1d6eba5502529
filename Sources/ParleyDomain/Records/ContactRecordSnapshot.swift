// Canonical snapshot encodings of the contact trace records and their builder: fields in declaration order, maps in
// key order (TreeDictionary / Dictionary conformances), so equal values give equal bytes.

extension BinaryWriter {
    fileprivate mutating func writeRecordField(_ value: some SnapshotCodable) { value.snapshotEncode(to: &self) }
}

extension BinaryReader {
    fileprivate mutating func readRecordField<Value: SnapshotCodable>() throws(DecodeError) -> Value {
        try Value(snapshotFrom: &self)
    }
}

extension CTRAgent: SnapshotCodable {
    /// Writes the section.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(userId)
        writer.writeRecordField(username)
        writer.writeRecordField(routingProfileId)
        writer.writeRecordField(routingProfileName)
        writer.writeRecordField(connectedToAgentTimestamp)
        writer.writeRecordField(agentInteractionDuration)
        writer.writeRecordField(afterContactWorkStartTimestamp)
        writer.writeRecordField(afterContactWorkEndTimestamp)
        writer.writeRecordField(afterContactWorkDuration)
    }

    /// Reads a section written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            userId: try reader.readRecordField(),
            username: try reader.readRecordField(),
            routingProfileId: try reader.readRecordField(),
            routingProfileName: try reader.readRecordField()
        )
        connectedToAgentTimestamp = try reader.readRecordField()
        agentInteractionDuration = try reader.readRecordField()
        afterContactWorkStartTimestamp = try reader.readRecordField()
        afterContactWorkEndTimestamp = try reader.readRecordField()
        afterContactWorkDuration = try reader.readRecordField()
    }
}

extension CTRQueue: SnapshotCodable {
    /// Writes the section.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(queueId)
        writer.writeRecordField(name)
        writer.writeRecordField(enqueueTimestamp)
        writer.writeRecordField(dequeueTimestamp)
        writer.writeRecordField(duration)
    }

    /// Reads a section written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            queueId: try reader.readRecordField(),
            name: try reader.readRecordField(),
            enqueueTimestamp: try reader.readRecordField()
        )
        dequeueTimestamp = try reader.readRecordField()
        duration = try reader.readRecordField()
    }
}

extension CTRParticipantMetrics: SnapshotCodable {
    /// Writes the metrics.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(participantId)
        writer.write(enumeration: participantType)
        writer.writeRecordField(conversationAbandon)
        writer.writeRecordField(messagesSent)
        writer.writeRecordField(numResponses)
        writer.writeRecordField(messageLengthInChars)
        writer.writeRecordField(totalResponseTimeInMillis)
        writer.writeRecordField(maxResponseTimeInMillis)
        writer.writeRecordField(lastMessageTimestamp)
    }

    /// Reads metrics written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            participantId: try reader.readRecordField(),
            participantType: try reader.readEnumeration(ParticipantRole.self)
        )
        conversationAbandon = try reader.readRecordField()
        messagesSent = try reader.readRecordField()
        numResponses = try reader.readRecordField()
        messageLengthInChars = try reader.readRecordField()
        totalResponseTimeInMillis = try reader.readRecordField()
        maxResponseTimeInMillis = try reader.readRecordField()
        lastMessageTimestamp = try reader.readRecordField()
    }
}

extension CTRChatMetrics: SnapshotCodable {
    /// Writes the metrics.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(multiParty)
        writer.writeRecordField(totalMessages)
        writer.writeRecordField(totalBotMessages)
        writer.writeRecordField(totalBotMessageLengthInChars)
        writer.writeRecordField(conversationCloseTimeInMillis)
        writer.writeRecordField(conversationTurnCount)
        writer.writeRecordField(agentFirstResponseTimestamp)
        writer.writeRecordField(agentFirstResponseTimeInMillis)
        writer.writeRecordField(agentMetrics)
        writer.writeRecordField(customerMetrics)
    }

    /// Reads metrics written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        multiParty = try reader.readRecordField()
        totalMessages = try reader.readRecordField()
        totalBotMessages = try reader.readRecordField()
        totalBotMessageLengthInChars = try reader.readRecordField()
        conversationCloseTimeInMillis = try reader.readRecordField()
        conversationTurnCount = try reader.readRecordField()
        agentFirstResponseTimestamp = try reader.readRecordField()
        agentFirstResponseTimeInMillis = try reader.readRecordField()
        agentMetrics = try reader.readRecordField()
        customerMetrics = try reader.readRecordField()
    }
}

extension ContactTraceRecord: SnapshotCodable {
    /// Writes the record.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(contactId)
        writer.writeRecordField(initialContactId)
        writer.writeRecordField(previousContactId)
        writer.writeRecordField(nextContactId)
        writer.writeRecordField(relatedContactId)
        writer.writeRecordField(instanceId)
        writer.writeRecordField(channel)
        writer.write(enumeration: initiationMethod)
        writer.writeRecordField(initiationTimestamp)
        writer.writeRecordField(connectedToSystemTimestamp)
        writer.writeRecordField(disconnectTimestamp)
        writer.writeRecordField(lastUpdateTimestamp)
        writer.write(optionalEnumeration: disconnectReason)
        writer.writeRecordField(agentConnectionAttempts)
        writer.writeRecordField(attributes)
        writer.writeRecordField(customerId)
        writer.writeRecordField(transferCompletedTimestamp)
        writer.writeRecordField(queuePriority)
        writer.writeRecordField(queueTimeAdjustmentSeconds)
        writer.writeRecordField(agent)
        writer.writeRecordField(queue)
        writer.writeRecordField(chatMetrics)
        writer.writeRecordField(completed)
    }

    /// Reads a record written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let contactId: Identifier = try reader.readRecordField()
        let initialContactId: Identifier = try reader.readRecordField()
        let previousContactId: Identifier? = try reader.readRecordField()
        let nextContactId: Identifier? = try reader.readRecordField()
        let relatedContactId: Identifier? = try reader.readRecordField()
        let instanceId: String = try reader.readRecordField()
        let channel: String = try reader.readRecordField()
        let initiationMethod = try reader.readEnumeration(InitiationMethod.self)
        let initiationTimestamp: Int64 = try reader.readRecordField()
        self.init(
            contactId: contactId,
            initialContactId: initialContactId,
            instanceId: instanceId,
            initiationMethod: initiationMethod,
            initiationTimestamp: initiationTimestamp
        )
        self.previousContactId = previousContactId
        self.nextContactId = nextContactId
        self.relatedContactId = relatedContactId
        self.channel = channel
        connectedToSystemTimestamp = try reader.readRecordField()
        disconnectTimestamp = try reader.readRecordField()
        lastUpdateTimestamp = try reader.readRecordField()
        disconnectReason = try reader.readOptionalEnumeration(DisconnectReason.self)
        agentConnectionAttempts = try reader.readRecordField()
        attributes = try reader.readRecordField()
        customerId = try reader.readRecordField()
        transferCompletedTimestamp = try reader.readRecordField()
        queuePriority = try reader.readRecordField()
        queueTimeAdjustmentSeconds = try reader.readRecordField()
        agent = try reader.readRecordField()
        queue = try reader.readRecordField()
        chatMetrics = try reader.readRecordField()
        completed = try reader.readRecordField()
    }
}

extension ContactRecordChange: SnapshotCodable {
    /// Writes the kind (1 completed, 2 updated), then the record.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(byte: isCompletion ? 1 : 2)
        record.snapshotEncode(to: &writer)
    }

    /// Reads a change written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let kind = try reader.readByte()
        switch kind {
        case 1: self = .completed(try reader.readRecordField())
        case 2: self = .updated(try reader.readRecordField())
        default:
            throw DecodeError(.invalidValue, "unknown contact record change \(kind)", offset: reader.offset)
        }
    }
}

extension SegmentProgress: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeRecordField(agentParticipantId)
        writer.writeRecordField(agentParticipants)
        writer.writeRecordField(afterContactWork)
        writer.writeRecordField(closed)
        writer.writeRecordField(lastSide)
        writer.writeRecordField(customerUnanswered)
        writer.writeRecordField(othersUnanswered)
        writer.writeRecordField(agentLeftUnanswered)
        writer.writeRecordField(agentSpoke)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        agentParticipantId = try reader.readRecordField()
        agentParticipants = try reader.readRecordField()
        afterContactWork = try reader.readRecordField()
        closed = try reader.readRecordField()
        lastSide = try reader.readRecordField()
        customerUnanswered = try reader.readRecordField()
        othersUnanswered = try reader.readRecordField()
        agentLeftUnanswered = try reader.readRecordField()
        agentSpoke = try reader.readRecordField()
    }
}

extension OpenContactRecord: SnapshotCodable {
    /// Writes the record, then its progress (the builder writes the two apart).
    func snapshotEncode(to writer: inout BinaryWriter) {
        record.snapshotEncode(to: &writer)
        progress.snapshotEncode(to: &writer)
    }

    /// Reads what `snapshotEncode` wrote.
    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(record: try reader.readRecordField(), progress: try reader.readRecordField())
    }
}

extension ContactRecordBuilder: SnapshotCodable {
    /// Writes a `false` flag (contact-records@2 stored a builder keeping completed records under `true`), the open
    /// records, the chains and the progress.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        var inline = ColdSplit.inline
        snapshotEncode(to: &writer, cold: &inline)
    }

    /// Writes the builder; a split encoding would move completed records, and the chains whose records all
    /// completed, into cold tables (none: the builder holds open records only).
    ///
    /// The records and their progress share one map, but are written as the two maps they were kept in before (the
    /// records as a `TieredMap`, the progress as a `TreeDictionary`), so checkpoints stay as they were.
    public func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit) {
        writer.writeRecordField(false)
        open.snapshotEncode(to: &writer, cold: &cold) { _, open in
            open.record.completed
        } writePart: { open, writer in
            open.record.snapshotEncode(to: &writer)
        }
        chains.snapshotEncode(to: &writer, cold: &cold) { _, chain in chain.allSatisfy { !isOpen($0) } }
        let progress = open.entries.sorted { $0.key < $1.key }
        writer.write(varUInt: UInt64(progress.count))
        for (contactId, open) in progress {
            contactId.snapshotEncode(to: &writer)
            open.progress.snapshotEncode(to: &writer)
        }
    }

    /// Reads a builder written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        try self.init(snapshotFrom: &reader, cold: .none)
    }

    /// Reads a builder written by either encoding, its cold tiers from `cold`; one that keeps completed records
    /// (written before contact-records@3), or whose records and progress name different contacts, is an error.
    public init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError) {
        let offset = reader.offset
        let keepsCompleted: Bool = try reader.readRecordField()
        guard !keepsCompleted else {
            throw DecodeError(.invalidValue, "a contact record builder that keeps completed records", offset: offset)
        }
        let records = try TieredMap<Identifier, ContactTraceRecord>(snapshotFrom: &reader, cold: cold)
        let chains = try TieredMap<Identifier, [Identifier]>(snapshotFrom: &reader, cold: cold)
        let progressOffset = reader.offset
        let progress: TreeDictionary<Identifier, SegmentProgress> = try reader.readRecordField()
        guard progress.count == records.count else {
            throw DecodeError(
                .invalidValue,
                "a contact record builder with \(records.count) open records and \(progress.count) progress entries",
                offset: progressOffset
            )
        }
        var open = TieredMap<Identifier, OpenContactRecord>()
        for (contactId, record) in records.entries {
            guard let segment = progress[contactId] else {
                throw DecodeError(
                    .invalidValue,
                    "the open contact record \(contactId) has no progress",
                    offset: progressOffset
                )
            }
            open[contactId] = OpenContactRecord(record: record, progress: segment)
        }
        self.init(open: open, chains: chains)
    }
}

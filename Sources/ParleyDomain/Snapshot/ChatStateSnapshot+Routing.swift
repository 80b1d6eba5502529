// Snapshot encodings of routing's part of `ChatState`: agents' live state, routing profiles, users, agent statuses
// and the agent desk (credentials, login sessions, feeds). See ChatStateSnapshot.swift.

extension AgentSlotState: SnapshotCodableEnumeration {}
extension AgentStatusType: SnapshotCodableEnumeration {}
extension AgentFeedKind: SnapshotCodableEnumeration {}

// MARK: - Agents and routing resources

extension AgentSession: SnapshotCodable {
    /// Writes the agent's status, error and activity times and its slots.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(userId)
        writer.writeSnapshot(statusId)
        writer.writeSnapshot(statusType)
        writer.writeSnapshot(statusSince)
        writer.writeSnapshot(errorSince)
        writer.writeSnapshot(lastActivity)
        writer.writeSnapshot(slots)
    }

    /// Reads an agent's routing state.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            userId: try reader.readSnapshot(),
            statusId: try reader.readSnapshot(),
            statusType: try reader.readSnapshot(),
            statusSince: try reader.readSnapshot(),
            errorSince: try reader.readSnapshot(),
            lastActivity: try reader.readSnapshot(),
            slots: try reader.readSnapshot()
        )
    }
}

extension AgentSlot: SnapshotCodable {
    /// Writes the slot's state and since when.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(state)
        writer.writeSnapshot(since)
    }

    /// Reads a slot.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(state: try reader.readSnapshot(), since: try reader.readSnapshot())
    }
}

extension RoutingProfile: SnapshotCodable {
    /// Writes every field of the profile, its queue configs included.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(routingProfileId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(chatConcurrency)
        writer.writeSnapshot(routeAnyChannel)
        writer.writeSnapshot(queues)
        writer.writeSnapshot(defaultOutboundQueueId)
    }

    /// Reads a routing profile.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            routingProfileId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            chatConcurrency: try reader.readSnapshot(),
            routeAnyChannel: try reader.readSnapshot(),
            queues: try reader.readSnapshot(),
            defaultOutboundQueueId: try reader.readSnapshot()
        )
    }
}

extension RoutingQueueConfig: SnapshotCodable {
    /// Writes the queue, its priority and its delay.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(queueId)
        writer.writeSnapshot(priority)
        writer.writeSnapshot(delaySeconds)
    }

    /// Reads a queue config.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            queueId: try reader.readSnapshot(),
            priority: try reader.readSnapshot(),
            delaySeconds: try reader.readSnapshot()
        )
    }
}

extension AgentUser: SnapshotCodable {
    /// Writes every field of the user.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(userId)
        writer.writeSnapshot(username)
        writer.writeSnapshot(routingProfileId)
        writer.writeSnapshot(autoAccept)
        writer.writeSnapshot(afterContactWorkSeconds)
    }

    /// Reads a user.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            userId: try reader.readSnapshot(),
            username: try reader.readSnapshot(),
            routingProfileId: try reader.readSnapshot(),
            autoAccept: try reader.readSnapshot(),
            afterContactWorkSeconds: try reader.readSnapshot()
        )
    }
}

extension AgentStatus: SnapshotCodable {
    /// Writes the status's id, name, type and state.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(statusId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(type)
        writer.writeSnapshot(enabled)
    }

    /// Reads an agent status.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            statusId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            type: try reader.readSnapshot(),
            enabled: try reader.readSnapshot()
        )
    }
}

// MARK: - The agent desk

extension AgentDesk: SnapshotCodable {
    /// Writes the credentials, sessions and feeds.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(credentials)
        writer.writeSnapshot(sessions)
        writer.writeSnapshot(feeds)
    }

    /// Reads the agent desk.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            credentials: try reader.readSnapshot(),
            sessions: try reader.readSnapshot(),
            feeds: try reader.readSnapshot()
        )
    }
}

extension PasswordCredential: SnapshotCodable {
    /// Writes the salt, the rounds and the digest.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(bytes: salt)
        writer.writeSnapshot(rounds)
        writer.write(bytes: digest)
    }

    /// Reads a password digest.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(salt: try reader.readBytes(), rounds: try reader.readSnapshot(), digest: try reader.readBytes())
    }
}

extension AgentLogin: SnapshotCodable {
    /// Writes the user and since when.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(userId)
        writer.writeSnapshot(since)
    }

    /// Reads a login session.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(userId: try reader.readSnapshot(), since: try reader.readSnapshot())
    }
}

extension AgentFeed: SnapshotCodable {
    /// Writes the last sequence and the kept entries.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(lastSequence)
        writer.writeSnapshot(entries)
    }

    /// Reads a feed.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        lastSequence = try reader.readSnapshot()
        entries = try reader.readSnapshot()
    }
}

extension AgentFeedEntry: SnapshotCodable {
    /// Writes every field of the entry.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(sequence)
        writer.writeSnapshot(timestamp)
        writer.writeSnapshot(kind)
        writer.writeSnapshot(contactId)
        writer.writeSnapshot(state)
        writer.writeSnapshot(queueId)
        writer.writeSnapshot(statusId)
        writer.writeSnapshot(participantToken)
        writer.writeSnapshot(reason)
    }

    /// Reads a feed entry.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let sequence: Int64 = try reader.readSnapshot()
        let timestamp: Int64 = try reader.readSnapshot()
        let kind: AgentFeedKind = try reader.readSnapshot()
        let contactId: Identifier? = try reader.readSnapshot()
        self.init(kind: kind, state: try reader.readSnapshot())
        self.sequence = sequence
        self.timestamp = timestamp
        self.contactId = contactId
        queueId = try reader.readSnapshot()
        statusId = try reader.readSnapshot()
        participantToken = try reader.readSnapshot()
        reason = try reader.readSnapshot()
    }
}

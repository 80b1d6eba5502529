// Updating and deleting routing resources, and the list/describe queries (Amazon's names).

/// A user's settings changed (UpdateUserRoutingProfile, UpdateUserConfig): the whole record after the change.
public struct UserUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0147
    public static let name = "UserUpdated"
    public static let currentVersion: UInt8 = 1
    /// The user after the change.
    public var user: AgentUser

    /// Creates the event.
    public init(user: AgentUser) { self.user = user }

    public func encode(into writer: inout BinaryWriter) { UserCreated(user: user).encode(into: &writer) }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(user: try UserCreated.decode(version: version, from: &reader).user)
    }
}

/// A user was deleted (DeleteUser).
public struct UserDeleted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0148
    public static let name = "UserDeleted"
    public static let currentVersion: UInt8 = 1
    /// The user.
    public var userId: String

    /// Creates the event.
    public init(userId: String) { self.userId = userId }

    public func encode(into writer: inout BinaryWriter) { writer.write(string: userId) }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(userId: try reader.readString())
    }
}

/// A routing profile changed (UpdateRoutingProfileConcurrency, UpdateRoutingProfileQueues): the whole profile after
/// the change.
public struct RoutingProfileUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0149
    public static let name = "RoutingProfileUpdated"
    public static let currentVersion: UInt8 = 1
    /// The profile after the change.
    public var profile: RoutingProfile

    /// Creates the event.
    public init(profile: RoutingProfile) { self.profile = profile }

    public func encode(into writer: inout BinaryWriter) {
        RoutingProfileCreated(profile: profile).encode(into: &writer)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(profile: try RoutingProfileCreated.decode(version: version, from: &reader).profile)
    }
}

extension Transaction {
    func existingUser(_ userId: String) throws(ChatError) -> AgentUser {
        guard let user = state.users[userId] else {
            throw ChatError(
                .resourceNotFound,
                "user \(userId) does not exist",
                resourceId: userId,
                resourceType: "USER"
            )
        }
        return user
    }

    func existingProfile(_ id: String) throws(ChatError) -> RoutingProfile {
        guard let profile = state.routingProfiles[id] else {
            throw ChatError(.resourceNotFound, "routing profile \(id) does not exist", resourceType: "ROUTING_PROFILE")
        }
        return profile
    }

    mutating func updateUser(
        _ instanceId: String,
        _ userId: String,
        routingProfileId: String?,
        autoAccept: Bool?,
        afterContactWorkSeconds: Int64?
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        var user = try existingUser(userId)
        if let routingProfileId { user.routingProfileId = try existingProfile(routingProfileId).routingProfileId }
        if let autoAccept { user.autoAccept = autoAccept }
        if let afterContactWorkSeconds {
            guard RoutingLimits.afterContactWorkSeconds.contains(afterContactWorkSeconds) else {
                throw ChatError(.invalidParameter, "AfterContactWorkTimeLimit must be 0–2000000 seconds")
            }
            user.afterContactWorkSeconds = afterContactWorkSeconds
        }
        guard user != state.users[userId] else { return .done }
        emit(.userUpdated(UserUpdated(user: user)))
        return .done
    }

    mutating func deleteUser(_ instanceId: String, _ userId: String) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        _ = try existingUser(userId)
        guard state.agents[userId]?.slots.isEmpty ?? true else {
            throw ChatError(.invalidRequest, "user \(userId) still holds contacts")
        }
        emit(.userDeleted(UserDeleted(userId: userId)))
        return .done
    }

    mutating func updateRoutingProfile(
        _ instanceId: String,
        _ id: String,
        chatConcurrency: Int64?,
        queueConfigs: [RoutingQueueConfig]?
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        var profile = try existingProfile(id)
        if let chatConcurrency {
            guard RoutingLimits.chatConcurrency.contains(chatConcurrency) else {
                throw ChatError(.invalidParameter, "CHAT concurrency must be 1–10, not \(chatConcurrency)")
            }
            profile.chatConcurrency = chatConcurrency
        }
        if let queueConfigs { profile.queues = try checkedQueueConfigs(queueConfigs) }
        guard profile != state.routingProfiles[id] else { return .done }
        emit(.routingProfileUpdated(RoutingProfileUpdated(profile: profile)))
        return .done
    }
}

extension ChatQueries {
    /// `ListQueues`, by name.
    public static func listQueues(in state: ChatState) -> [QueueResource] {
        state.queues.values.sorted { $0.name < $1.name }
    }

    /// `ListRoutingProfiles`, by name.
    public static func listRoutingProfiles(in state: ChatState) -> [RoutingProfile] {
        state.routingProfiles.values.sorted { $0.name < $1.name }
    }

    /// `ListUsers`, by username.
    public static func listUsers(in state: ChatState) -> [AgentUser] {
        state.users.values.sorted { $0.username < $1.username }
    }

    /// `ListAgentStatuses`, by name.
    public static func listAgentStatuses(in state: ChatState) -> [AgentStatus] {
        state.agentStatuses.values.sorted { $0.name < $1.name }
    }

    /// `DescribeUser`.
    public static func describeUser(_ userId: String, in state: ChatState) throws(ChatError) -> AgentUser {
        guard let user = state.users[userId] else {
            throw ChatError(.resourceNotFound, "user \(userId) does not exist", resourceType: "USER")
        }
        return user
    }

    /// `DescribeRoutingProfile`.
    public static func describeRoutingProfile(_ id: String, in state: ChatState) throws(ChatError) -> RoutingProfile {
        guard let profile = state.routingProfiles[id] else {
            throw ChatError(.resourceNotFound, "routing profile \(id) does not exist", resourceType: "ROUTING_PROFILE")
        }
        return profile
    }

    /// `DescribeQueue`.
    public static func describeQueue(_ reference: String, in state: ChatState) throws(ChatError) -> QueueResource {
        guard let queue = state.queues[reference: reference] else {
            throw ChatError(.resourceNotFound, "queue \(reference) does not exist", resourceType: "QUEUE")
        }
        return queue
    }
}

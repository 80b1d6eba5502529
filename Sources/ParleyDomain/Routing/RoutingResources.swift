// Routing resources (connect-chat.md §6): routing profiles, users (agents) and agent statuses. Each change is an
// event. Routing itself (offers, accept, miss, after-contact work) builds on these.

/// One queue of a routing profile (`QueueConfigs[]`).
public struct RoutingQueueConfig: Sendable, Equatable, Encodable {
    /// The queue.
    public var queueId: String
    /// 1 (first) – 99.
    public var priority: Int64
    /// Seconds a contact must have waited before this queue is offered to the profile's agents (0–9,999).
    public var delaySeconds: Int64

    /// Creates a queue config.
    public init(queueId: String, priority: Int64, delaySeconds: Int64) {
        self.queueId = queueId
        self.priority = priority
        self.delaySeconds = delaySeconds
    }
}

/// A routing profile: which queues an agent takes chats from, and how many at once.
public struct RoutingProfile: Sendable, Equatable, Encodable {
    /// Its id.
    public var routingProfileId: String
    /// `Name`.
    public var name: String
    /// `MediaConcurrencies` for CHAT: 1–10.
    public var chatConcurrency: Int64
    /// `CrossChannelBehavior`: ROUTE_ANY_CHANNEL (true) or ROUTE_CURRENT_CHANNEL_ONLY.
    public var routeAnyChannel: Bool
    /// `QueueConfigs`.
    public var queues: [RoutingQueueConfig]
    /// `DefaultOutboundQueueId`.
    public var defaultOutboundQueueId: String
}

/// A user who answers chats.
public struct AgentUser: Sendable, Equatable, Encodable {
    /// Its id (its agent queue is `agent/<userId>`).
    public var userId: String
    /// `Username`.
    public var username: String
    /// Its routing profile.
    public var routingProfileId: String
    /// `AutoAcceptConfigs` for CHAT.
    public var autoAccept: Bool
    /// `AfterContactWorkTimeLimit` for CHAT in seconds (0 = until cleared).
    public var afterContactWorkSeconds: Int64
}

/// The type of an agent status.
public enum AgentStatusType: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as its API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// "Available": the agent can be offered contacts.
    case routable = 1
    /// Break, Training, …: not routable, counted as non-productive time.
    case custom = 2
    /// Offline.
    case offline = 3

    /// `ROUTABLE`, `CUSTOM` or `OFFLINE`.
    public var description: String {
        switch self {
        case .routable: "ROUTABLE"
        case .custom: "CUSTOM"
        case .offline: "OFFLINE"
        }
    }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let value = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = value
    }
}

/// An agent status an agent can set.
public struct AgentStatus: Sendable, Equatable, Encodable {
    /// Its id.
    public var statusId: String
    /// `Name`.
    public var name: String
    /// Its type.
    public var type: AgentStatusType
    /// `State`: ENABLED (true) or DISABLED.
    public var enabled: Bool
}

/// A routing profile was created.
public struct RoutingProfileCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0140
    public static let name = "RoutingProfileCreated"
    public static let currentVersion: UInt8 = 1
    /// The profile.
    public var profile: RoutingProfile

    /// Creates the event.
    public init(profile: RoutingProfile) { self.profile = profile }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: profile.routingProfileId)
        writer.write(string: profile.name)
        writer.write(int: profile.chatConcurrency)
        writer.write(bool: profile.routeAnyChannel)
        writer.write(array: profile.queues) { writer, queue in
            writer.write(string: queue.queueId)
            writer.write(int: queue.priority)
            writer.write(int: queue.delaySeconds)
        }
        writer.write(string: profile.defaultOutboundQueueId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            profile: RoutingProfile(
                routingProfileId: try reader.readString(),
                name: try reader.readString(),
                chatConcurrency: try reader.readInt(),
                routeAnyChannel: try reader.readBool(),
                queues: try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in
                    RoutingQueueConfig(
                        queueId: try reader.readString(),
                        priority: try reader.readInt(),
                        delaySeconds: try reader.readInt()
                    )
                },
                defaultOutboundQueueId: try reader.readString()
            )
        )
    }
}

/// A user (agent) was created.
public struct UserCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0141
    public static let name = "UserCreated"
    public static let currentVersion: UInt8 = 1
    /// The user.
    public var user: AgentUser

    /// Creates the event.
    public init(user: AgentUser) { self.user = user }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: user.userId)
        writer.write(string: user.username)
        writer.write(string: user.routingProfileId)
        writer.write(bool: user.autoAccept)
        writer.write(int: user.afterContactWorkSeconds)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            user: AgentUser(
                userId: try reader.readString(),
                username: try reader.readString(),
                routingProfileId: try reader.readString(),
                autoAccept: try reader.readBool(),
                afterContactWorkSeconds: try reader.readInt()
            )
        )
    }
}

/// An agent status was created.
public struct AgentStatusCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0142
    public static let name = "AgentStatusCreated"
    public static let currentVersion: UInt8 = 1
    /// The status.
    public var status: AgentStatus

    /// Creates the event.
    public init(status: AgentStatus) { self.status = status }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: status.statusId)
        writer.write(string: status.name)
        writer.write(enumeration: status.type)
        writer.write(bool: status.enabled)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            status: AgentStatus(
                statusId: try reader.readString(),
                name: try reader.readString(),
                type: try reader.readEnumeration(AgentStatusType.self),
                enabled: try reader.readBool()
            )
        )
    }
}

/// Limits of routing resources (connect-chat.md §6, §10).
public enum RoutingLimits {
    /// CHAT concurrency of a routing profile.
    public static let chatConcurrency: ClosedRange<Int64> = 1...10
    /// Queue priority.
    public static let priority: ClosedRange<Int64> = 1...99
    /// Queue delay in seconds.
    public static let delaySeconds: ClosedRange<Int64> = 0...9_999
    /// Queue × channel pairs per profile.
    public static let queuesPerProfile = 50
    /// Routing profiles per instance.
    public static let routingProfiles = 500
    /// Users per instance.
    public static let users = 500
    /// Agent statuses per instance (not adjustable).
    public static let agentStatuses = 50
    /// After-contact-work time limit in seconds (0 = until cleared).
    public static let afterContactWorkSeconds: ClosedRange<Int64> = 0...2_000_000
}

extension Transaction {
    func checkName(_ name: String, _ what: String) throws(ChatError) {
        guard (1...127).contains(name.count) else {
            throw ChatError(.invalidParameter, "the \(what) name must be 1–127 characters")
        }
    }

    /// A new resource id: the given one (checked) or a fresh UUID.
    mutating func resourceId(_ given: String?, taken: Bool) throws(ChatError) -> String {
        if let given {
            guard (1...256).contains(given.count), !given.contains("/") else {
                throw ChatError(.invalidParameter, "an id must be 1–256 characters without /")
            }
            guard !taken else { throw ChatError(.duplicateResource, "\(given) exists already") }
            return given
        }
        return newId().description
    }

    /// Queue configs checked against the rules (≤ 50, existing queues by id or ARN, priority 1–99, delay
    /// 0–9,999 s, no queue twice), with queue ids resolved.
    func checkedQueueConfigs(_ queueConfigs: [RoutingQueueConfig]) throws(ChatError) -> [RoutingQueueConfig] {
        guard queueConfigs.count <= RoutingLimits.queuesPerProfile else {
            throw ChatError(.invalidParameter, "a routing profile has at most 50 queue configs")
        }
        var queues: [RoutingQueueConfig] = []
        for config in queueConfigs {
            guard let queue = resolveQueue(config.queueId) else {
                throw ChatError(.resourceNotFound, "queue \(config.queueId) does not exist", resourceType: "QUEUE")
            }
            guard RoutingLimits.priority.contains(config.priority) else {
                throw ChatError(.invalidParameter, "Priority must be 1–99, not \(config.priority)")
            }
            guard RoutingLimits.delaySeconds.contains(config.delaySeconds) else {
                throw ChatError(.invalidParameter, "Delay must be 0–9999 seconds, not \(config.delaySeconds)")
            }
            guard !queues.contains(where: { $0.queueId == queue.queueId }) else {
                throw ChatError(.invalidParameter, "queue \(queue.queueId) appears twice")
            }
            queues.append(
                RoutingQueueConfig(queueId: queue.queueId, priority: config.priority, delaySeconds: config.delaySeconds)
            )
        }
        return queues
    }

    mutating func createRoutingProfile(
        _ instanceId: String,
        _ id: String?,
        _ name: String,
        _ chatConcurrency: Int64,
        _ routeAnyChannel: Bool,
        _ queueConfigs: [RoutingQueueConfig],
        _ defaultOutboundQueueId: String
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        try checkName(name, "routing profile")
        guard !state.routingProfiles.values.contains(where: { $0.name == name }) else {
            throw ChatError(.duplicateResource, "a routing profile named \(name) exists already")
        }
        guard state.routingProfiles.count < RoutingLimits.routingProfiles else {
            throw ChatError(.limitExceeded, "an instance has at most \(RoutingLimits.routingProfiles) routing profiles")
        }
        guard RoutingLimits.chatConcurrency.contains(chatConcurrency) else {
            throw ChatError(.invalidParameter, "CHAT concurrency must be 1–10, not \(chatConcurrency)")
        }
        let queues = try checkedQueueConfigs(queueConfigs)
        guard let outbound = resolveQueue(defaultOutboundQueueId) else {
            throw ChatError(.resourceNotFound, "queue \(defaultOutboundQueueId) does not exist", resourceType: "QUEUE")
        }
        let profileId = try resourceId(id, taken: id.map { state.routingProfiles[$0] != nil } ?? false)
        emit(
            .routingProfileCreated(
                RoutingProfileCreated(
                    profile: RoutingProfile(
                        routingProfileId: profileId,
                        name: name,
                        chatConcurrency: chatConcurrency,
                        routeAnyChannel: routeAnyChannel,
                        queues: queues,
                        defaultOutboundQueueId: outbound.queueId
                    )
                )
            )
        )
        return .resourceCreated(id: profileId)
    }

    mutating func createUser(
        _ instanceId: String,
        _ id: String?,
        _ username: String,
        _ routingProfileId: String,
        _ autoAccept: Bool,
        _ afterContactWorkSeconds: Int64
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard (1...100).contains(username.count) else {
            throw ChatError(.invalidParameter, "Username must be 1–100 characters")
        }
        guard !state.users.values.contains(where: { $0.username == username }) else {
            throw ChatError(.duplicateResource, "a user named \(username) exists already")
        }
        guard state.users.count < RoutingLimits.users else {
            throw ChatError(.limitExceeded, "an instance has at most \(RoutingLimits.users) users")
        }
        guard state.routingProfiles[routingProfileId] != nil else {
            throw ChatError(
                .resourceNotFound,
                "routing profile \(routingProfileId) does not exist",
                resourceType: "ROUTING_PROFILE"
            )
        }
        guard RoutingLimits.afterContactWorkSeconds.contains(afterContactWorkSeconds) else {
            throw ChatError(.invalidParameter, "AfterContactWorkTimeLimit must be 0–2000000 seconds")
        }
        let userId = try resourceId(id, taken: id.map { state.users[$0] != nil } ?? false)
        emit(
            .userCreated(
                UserCreated(
                    user: AgentUser(
                        userId: userId,
                        username: username,
                        routingProfileId: routingProfileId,
                        autoAccept: autoAccept,
                        afterContactWorkSeconds: afterContactWorkSeconds
                    )
                )
            )
        )
        return .resourceCreated(id: userId)
    }

    mutating func createAgentStatus(
        _ instanceId: String,
        _ id: String?,
        _ name: String,
        _ typeName: String,
        _ enabled: Bool
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        try checkName(name, "agent status")
        guard let type = AgentStatusType(apiName: typeName) else {
            throw ChatError(.invalidParameter, "Type must be ROUTABLE, CUSTOM or OFFLINE, not \(typeName)")
        }
        guard !state.agentStatuses.values.contains(where: { $0.name == name }) else {
            throw ChatError(.duplicateResource, "an agent status named \(name) exists already")
        }
        guard state.agentStatuses.count < RoutingLimits.agentStatuses else {
            throw ChatError(.limitExceeded, "an instance has at most \(RoutingLimits.agentStatuses) agent statuses")
        }
        if type != .custom, state.agentStatuses.values.contains(where: { $0.type == type }) {
            throw ChatError(.invalidRequest, "an instance has exactly one \(type) status")
        }
        let statusId = try resourceId(id, taken: id.map { state.agentStatuses[$0] != nil } ?? false)
        emit(
            .agentStatusCreated(
                AgentStatusCreated(status: AgentStatus(statusId: statusId, name: name, type: type, enabled: enabled))
            )
        )
        return .resourceCreated(id: statusId)
    }
}

// Updating and deleting queues, agent statuses, hours of operation and routing profiles (Amazon's names):
// UpdateQueueName, UpdateQueueMaxContacts, DeleteQueue, UpdateAgentStatus, UpdateHoursOfOperation,
// DeleteHoursOfOperation, DeleteRoutingProfile. Tags 0x014A–0x014D.

/// A queue's name or maximum contacts changed (UpdateQueueName, UpdateQueueMaxContacts): both after the change.
public struct QueueUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014A
    public static let name = "QueueUpdated"
    public static let currentVersion: UInt8 = 1
    /// The queue.
    public var queueId: String
    /// `Name` after the change.
    public var queueName: String
    /// `MaxContacts` after the change (0 = no limit).
    public var maxContacts: Int64

    /// Creates the event.
    public init(queueId: String, queueName: String, maxContacts: Int64) {
        self.queueId = queueId
        self.queueName = queueName
        self.maxContacts = maxContacts
    }

    public func encode(into writer: inout BinaryWriter) {
        QueueCreated(queueId: queueId, queueName: queueName, maxContacts: maxContacts).encode(into: &writer)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        let created = try QueueCreated.decode(version: version, from: &reader)
        return Self(queueId: created.queueId, queueName: created.queueName, maxContacts: created.maxContacts)
    }
}

/// The kinds of resource `ResourceDeleted` removes.
public enum DeletedResourceKind: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// A standard queue (DeleteQueue).
    case queue = 1
    /// A routing profile (DeleteRoutingProfile).
    case routingProfile = 2
    /// Hours of operation (DeleteHoursOfOperation).
    case hoursOfOperation = 3

    /// `QUEUE`, `ROUTING_PROFILE` or `HOURS_OF_OPERATION`.
    public var description: String {
        switch self {
        case .queue: "QUEUE"
        case .routingProfile: "ROUTING_PROFILE"
        case .hoursOfOperation: "HOURS_OF_OPERATION"
        }
    }
}

/// A queue, routing profile or hours of operation was deleted.
public struct ResourceDeleted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014B
    public static let name = "ResourceDeleted"
    public static let currentVersion: UInt8 = 1
    /// What was deleted.
    public var kind: DeletedResourceKind
    /// Its id.
    public var resourceId: String

    /// Creates the event.
    public init(kind: DeletedResourceKind, resourceId: String) {
        self.kind = kind
        self.resourceId = resourceId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(enumeration: kind)
        writer.write(string: resourceId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(kind: try reader.readEnumeration(DeletedResourceKind.self), resourceId: try reader.readString())
    }
}

/// The resources whose `Description` Parley keeps beside them (flows keep theirs in the flow itself).
public enum DescribedResourceKind: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case queue = 1
    case hoursOfOperation = 2
    case routingProfile = 3
    case agentStatus = 4

    /// The name, also the prefix of its key in `ChatState.descriptions`.
    public var description: String {
        switch self {
        case .queue: "queue"
        case .hoursOfOperation: "hours-of-operation"
        case .routingProfile: "routing-profile"
        case .agentStatus: "agent-status"
        }
    }

    /// The key of resource `id` in `ChatState.descriptions`.
    public func key(_ id: String) -> String { "\(description)/\(id)" }
}

/// A resource's `Description` was set (Create… or Update… with one) or cleared (an empty one).
public struct ResourceDescriptionSet: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0151
    public static let name = "ResourceDescriptionSet"
    public static let currentVersion: UInt8 = 1
    /// The kind of resource.
    public var kind: DescribedResourceKind
    /// Its id.
    public var resourceId: String
    /// The description; empty clears it.
    public var text: String

    /// Creates the event.
    public init(kind: DescribedResourceKind, resourceId: String, text: String) {
        self.kind = kind
        self.resourceId = resourceId
        self.text = text
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(enumeration: kind)
        writer.write(string: resourceId)
        writer.write(string: text)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            kind: try reader.readEnumeration(DescribedResourceKind.self),
            resourceId: try reader.readString(),
            text: try reader.readString()
        )
    }
}

/// An agent status changed (UpdateAgentStatus): the whole status after the change.
public struct AgentStatusUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014C
    public static let name = "AgentStatusUpdated"
    public static let currentVersion: UInt8 = 1
    /// The status after the change.
    public var status: AgentStatus

    /// Creates the event.
    public init(status: AgentStatus) { self.status = status }

    public func encode(into writer: inout BinaryWriter) { AgentStatusCreated(status: status).encode(into: &writer) }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(status: try AgentStatusCreated.decode(version: version, from: &reader).status)
    }
}

/// Hours of operation changed (UpdateHoursOfOperation): the whole resource after the change.
public struct HoursOfOperationUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014D
    public static let name = "HoursOfOperationUpdated"
    public static let currentVersion: UInt8 = 1
    /// The hours after the change.
    public var hours: HoursOfOperation

    /// Creates the event.
    public init(hours: HoursOfOperation) { self.hours = hours }

    public func encode(into writer: inout BinaryWriter) {
        HoursOfOperationCreated(
            hoursId: hours.hoursId,
            name: hours.name,
            timeZone: hours.timeZone,
            config: hours.config
        )
        .encode(into: &writer)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        let created = try HoursOfOperationCreated.decode(version: version, from: &reader)
        return Self(
            hours: HoursOfOperation(
                hoursId: created.hoursId,
                name: created.name,
                timeZone: created.timeZone,
                config: created.config
            )
        )
    }
}

extension ChatMachine {
    /// Folds resource changes and the agent desk's events.
    static func applyRoutingResources(_ event: ChatEvent, at timestamp: Int64, to state: inout ChatState) {
        switch event {
        case .queueUpdated(let event):
            state.queues[event.queueId]?.name = event.queueName
            state.queues[event.queueId]?.maxContacts = event.maxContacts
        case .resourceDeleted(let event):
            switch event.kind {
            case .queue:
                state.queues[event.resourceId] = nil
                state.descriptions[DescribedResourceKind.queue.key(event.resourceId)] = nil
            case .routingProfile:
                state.routingProfiles[event.resourceId] = nil
                state.descriptions[DescribedResourceKind.routingProfile.key(event.resourceId)] = nil
            case .hoursOfOperation:
                state.hoursOfOperations[event.resourceId] = nil
                state.descriptions[DescribedResourceKind.hoursOfOperation.key(event.resourceId)] = nil
            }
        case .resourceDescriptionSet(let event):
            let key = event.kind.key(event.resourceId)
            state.descriptions[key] = event.text.isEmpty ? nil : event.text
        case .agentStatusUpdated(let event):
            state.agentStatuses[event.status.statusId] = event.status
        case .hoursOfOperationUpdated(let event):
            state.hoursOfOperations[event.hours.hoursId] = event.hours
        default:
            applyAgentDesk(event, at: timestamp, to: &state)
        }
    }
}

extension Transaction {
    /// Sets (or, with an empty text, clears) the `Description` of an existing resource (0–250 characters).
    mutating func setResourceDescription(
        _ instanceId: String,
        _ kind: DescribedResourceKind,
        _ resourceId: String,
        _ text: String
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard text.count <= 250 else { throw ChatError(.invalidParameter, "Description must be 0–250 characters") }
        let id: String?
        switch kind {
        case .queue: id = resolveQueue(resourceId)?.queueId
        case .hoursOfOperation: id = state.hoursOfOperations[resourceId]?.hoursId
        case .routingProfile: id = state.routingProfiles[resourceId]?.routingProfileId
        case .agentStatus: id = state.agentStatuses[resourceId]?.statusId
        }
        guard let id else {
            throw ChatError(.resourceNotFound, "\(kind) \(resourceId) does not exist", resourceId: resourceId)
        }
        if (state.descriptions[kind.key(id)] ?? "") != text {
            emit(.resourceDescriptionSet(ResourceDescriptionSet(kind: kind, resourceId: id, text: text)))
        }
        return .done
    }

    func existingQueue(_ reference: String) throws(ChatError) -> QueueResource {
        guard let queue = resolveQueue(reference) else {
            throw ChatError(
                .resourceNotFound,
                "queue \(reference) does not exist",
                resourceId: reference,
                resourceType: "QUEUE"
            )
        }
        return queue
    }

    /// `UpdateQueueName` / `UpdateQueueMaxContacts`: nil leaves a field as it is.
    mutating func updateQueue(
        _ instanceId: String,
        _ queueId: String,
        name: String?,
        maxContacts: Int64?
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        var queue = try existingQueue(queueId)
        if let name {
            try checkName(name, "queue")
            guard !state.queues.values.contains(where: { $0.name == name && $0.queueId != queue.queueId }) else {
                throw ChatError(.duplicateResource, "a queue named \(name) exists already")
            }
            queue.name = name
        }
        if let maxContacts {
            guard maxContacts >= 0 else { throw ChatError(.invalidParameter, "MaxContacts must not be negative") }
            queue.maxContacts = maxContacts
        }
        guard queue != state.queues[queue.queueId] else { return .done }
        emit(.queueUpdated(QueueUpdated(queueId: queue.queueId, queueName: queue.name, maxContacts: queue.maxContacts)))
        return .done
    }

    /// `DeleteQueue`: refused while a routing profile takes the queue or a contact waits in it.
    mutating func deleteQueue(_ instanceId: String, _ queueId: String) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        let queue = try existingQueue(queueId)
        if let profile = state.routingProfiles.values.first(where: { profile in
            profile.defaultOutboundQueueId == queue.queueId || profile.queues.contains { $0.queueId == queue.queueId }
        }) {
            throw ChatError(.resourceInUse, "queue \(queue.name) is used by routing profile \(profile.name)")
        }
        if state.waiting.values.contains(where: { $0.queueId == queue.queueId }) {
            throw ChatError(.resourceInUse, "contacts are waiting in queue \(queue.name)")
        }
        emit(.resourceDeleted(ResourceDeleted(kind: .queue, resourceId: queue.queueId)))
        return .done
    }

    /// `DeleteRoutingProfile`: refused while a user has the profile.
    mutating func deleteRoutingProfile(_ instanceId: String, _ id: String) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        let profile = try existingProfile(id)
        if let user = state.users.values.first(where: { $0.routingProfileId == profile.routingProfileId }) {
            throw ChatError(.resourceInUse, "routing profile \(profile.name) is assigned to user \(user.username)")
        }
        emit(.resourceDeleted(ResourceDeleted(kind: .routingProfile, resourceId: profile.routingProfileId)))
        return .done
    }

    /// `UpdateAgentStatus`: name and state (ENABLED/DISABLED); the type cannot change, as in Amazon Connect.
    mutating func updateAgentStatus(
        _ instanceId: String,
        _ statusId: String,
        name: String?,
        enabled: Bool?
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard var status = state.agentStatuses[statusId] else {
            throw ChatError(
                .resourceNotFound,
                "agent status \(statusId) does not exist",
                resourceId: statusId,
                resourceType: "AGENT_STATUS"
            )
        }
        if let name {
            try checkName(name, "agent status")
            guard !state.agentStatuses.values.contains(where: { $0.name == name && $0.statusId != statusId }) else {
                throw ChatError(.duplicateResource, "an agent status named \(name) exists already")
            }
            status.name = name
        }
        if let enabled {
            guard enabled || status.type == .custom else {
                throw ChatError(.invalidParameter, "the \(status.type) status cannot be disabled")
            }
            status.enabled = enabled
        }
        guard status != state.agentStatuses[statusId] else { return .done }
        emit(.agentStatusUpdated(AgentStatusUpdated(status: status)))
        return .done
    }

    /// `UpdateHoursOfOperation`: name, time zone and ranges (nil leaves one as it is), checked as on create.
    mutating func updateHoursOfOperation(
        _ instanceId: String,
        _ hoursId: String,
        name: String?,
        timeZone: String?,
        config: [HoursRange]?
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard var hours = resolveHours(hoursId) else {
            throw ChatError(
                .resourceNotFound,
                "hours of operation \(hoursId) do not exist",
                resourceId: hoursId,
                resourceType: "HOURS_OF_OPERATION"
            )
        }
        if let name {
            try checkName(name, "hours of operation")
            guard !state.hoursOfOperations.values.contains(where: { $0.name == name && $0.hoursId != hours.hoursId })
            else { throw ChatError(.duplicateResource, "hours of operation named \(name) exist already") }
            hours.name = name
        }
        if let timeZone {
            guard HoursOfOperation.zone(timeZone) != nil else {
                throw ChatError(.invalidParameter, "TimeZone \(timeZone) is not a known IANA time zone")
            }
            hours.timeZone = timeZone
        }
        if let config {
            guard config.count <= 100 else {
                throw ChatError(.invalidParameter, "Config must have at most 100 entries")
            }
            for (index, range) in config.enumerated() { try Self.checkRange(range, at: index) }
            hours.config = config
        }
        guard hours != state.hoursOfOperations[hours.hoursId] else { return .done }
        emit(.hoursOfOperationUpdated(HoursOfOperationUpdated(hours: hours)))
        return .done
    }

    /// `DeleteHoursOfOperation`: refused while a queue uses the hours.
    mutating func deleteHoursOfOperation(_ instanceId: String, _ hoursId: String) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard let hours = resolveHours(hoursId) else {
            throw ChatError(
                .resourceNotFound,
                "hours of operation \(hoursId) do not exist",
                resourceId: hoursId,
                resourceType: "HOURS_OF_OPERATION"
            )
        }
        if let queue = state.queues.values.first(where: { $0.hoursOfOperationId == hours.hoursId }) {
            throw ChatError(.resourceInUse, "hours of operation \(hours.name) are used by queue \(queue.name)")
        }
        emit(.resourceDeleted(ResourceDeleted(kind: .hoursOfOperation, resourceId: hours.hoursId)))
        return .done
    }
}

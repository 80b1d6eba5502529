// Flow events: resources (flows, queues) and execution steps. Tags 0x0120–0x012F.

/// A flow version was published (CreateContactFlow / UpdateContactFlowContent).
public struct FlowPublished: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0120
    public static let name = "FlowPublished"
    public static let currentVersion: UInt8 = 1
    /// The flow id.
    public var flowId: String
    /// `Name`.
    public var flowName: String
    /// `Type`.
    public var type: String
    /// `Description`.
    public var description: String
    /// The flow-language JSON.
    public var content: String
    /// The version this publishes (1 for a new flow).
    public var version: Int64

    /// Creates the event.
    public init(flowId: String, flowName: String, type: String, description: String, content: String, version: Int64) {
        self.flowId = flowId
        self.flowName = flowName
        self.type = type
        self.description = description
        self.content = content
        self.version = version
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: flowId)
        writer.write(string: flowName)
        writer.write(string: type)
        writer.write(string: description)
        writer.write(string: content)
        writer.write(int: version)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            flowId: try reader.readString(),
            flowName: try reader.readString(),
            type: try reader.readString(),
            description: try reader.readString(),
            content: try reader.readString(),
            version: try reader.readInt()
        )
    }
}

/// A queue was created.
public struct QueueCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0121
    public static let name = "QueueCreated"
    public static let currentVersion: UInt8 = 1
    /// The queue id.
    public var queueId: String
    /// `Name`.
    public var queueName: String
    /// `MaxContacts` (0 = no limit).
    public var maxContacts: Int64

    /// Creates the event.
    public init(queueId: String, queueName: String, maxContacts: Int64) {
        self.queueId = queueId
        self.queueName = queueName
        self.maxContacts = maxContacts
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: queueId)
        writer.write(string: queueName)
        writer.write(int: maxContacts)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(queueId: try reader.readString(), queueName: try reader.readString(), maxContacts: try reader.readInt())
    }
}

/// A flow started running for a contact (at its StartAction).
public struct FlowStarted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0122
    public static let name = "FlowStarted"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The flow.
    public var flowId: String
    /// The version it runs.
    public var version: Int64

    /// Creates the event.
    public init(contactId: Identifier, flowId: String, version: Int64) {
        self.contactId = contactId
        self.flowId = flowId
        self.version = version
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: flowId)
        writer.write(int: version)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), flowId: try reader.readString(), version: try reader.readInt())
    }
}

/// One action of a flow ran: its outcome, where the flow goes next, and every input it drew from outside (a random
/// draw, a Lambda response) so replay re-applies and never re-decides.
public struct FlowStepped: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0123
    public static let name = "FlowStepped"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The action's `Identifier`.
    public var action: String
    /// The action's `Type`.
    public var actionType: String
    /// The branch taken: `Next`, `Condition`, `Error:<ErrorType>`, `WaitCompleted`, `CustomerReturned`, `End`.
    public var branch: String
    /// The action's result (the compared value, the draw, the intent…), if any.
    public var result: String?
    /// The next action; nil ends the run.
    public var next: String?
    /// State the step sets: `flow.<name>` flow attributes, `external.<name>`, `loop` counter, `reason`.
    public var recorded: [String: String]

    /// Creates the event.
    public init(
        contactId: Identifier,
        action: String,
        actionType: String,
        branch: String,
        result: String? = nil,
        next: String?,
        recorded: [String: String] = [:]
    ) {
        self.contactId = contactId
        self.action = action
        self.actionType = actionType
        self.branch = branch
        self.result = result
        self.next = next
        self.recorded = recorded
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: action)
        writer.write(string: actionType)
        writer.write(string: branch)
        writer.write(optionalString: result)
        writer.write(optionalString: next)
        writer.write(stringMap: recorded)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            action: try reader.readString(),
            actionType: try reader.readString(),
            branch: try reader.readString(),
            result: try reader.readOptionalString(),
            next: try reader.readOptionalString(),
            recorded: try reader.readStringMap()
        )
    }
}

/// A flow parked in a Wait block (its timeout is a `flowWait` TimerArmed).
public struct FlowWaitStarted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0124
    public static let name = "FlowWaitStarted"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The Wait action.
    public var action: String
    /// The events that interrupt it (`CustomerReturned`, `BotParticipantDisconnected`).
    public var events: [String]

    /// Creates the event.
    public init(contactId: Identifier, action: String, events: [String]) {
        self.contactId = contactId
        self.action = action
        self.events = events
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: action)
        writer.write(strings: events)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), action: try reader.readString(), events: try reader.readStrings())
    }
}

/// The contact's working queue was set (a queue id or `agent/<agent id>`).
public struct TargetQueueSet: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0125
    public static let name = "TargetQueueSet"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The queue.
    public var queueId: String

    /// Creates the event.
    public init(contactId: Identifier, queueId: String) {
        self.contactId = contactId
        self.queueId = queueId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: queueId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), queueId: try reader.readString())
    }
}

/// The contact entered its working queue (TransferContactToQueue) and waits for an agent.
public struct ContactQueued: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0126
    public static let name = "ContactQueued"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The queue.
    public var queueId: String

    /// Creates the event.
    public init(contactId: Identifier, queueId: String) {
        self.contactId = contactId
        self.queueId = queueId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: queueId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), queueId: try reader.readString())
    }
}

/// An agent (user) took the contact: it leaves its queue.
public struct ContactAssigned: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0127
    public static let name = "ContactAssigned"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The agent's user id.
    public var agentId: String
    /// The agent's participant in the chat.
    public var participantId: Identifier

    /// Creates the event.
    public init(contactId: Identifier, agentId: String, participantId: Identifier) {
        self.contactId = contactId
        self.agentId = agentId
        self.participantId = participantId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: agentId)
        writer.write(identifier: participantId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            agentId: try reader.readString(),
            participantId: try reader.readIdentifier()
        )
    }
}

/// A queue was enabled or disabled (UpdateQueueStatus).
public struct QueueStatusUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x012C
    public static let name = "QueueStatusUpdated"
    public static let currentVersion: UInt8 = 1
    /// The queue.
    public var queueId: String
    /// ENABLED (true) or DISABLED.
    public var enabled: Bool

    /// Creates the event.
    public init(queueId: String, enabled: Bool) {
        self.queueId = queueId
        self.enabled = enabled
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: queueId)
        writer.write(bool: enabled)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(queueId: try reader.readString(), enabled: try reader.readBool())
    }
}

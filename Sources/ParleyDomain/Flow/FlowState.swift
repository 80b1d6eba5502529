/// A published flow and all its versions (a running contact keeps the version it started with).
public struct FlowResource: Sendable, Equatable, Encodable {
    /// The flow id.
    public var flowId: String
    /// `Name`.
    public var name: String
    /// `Type` (`CONTACT_FLOW`, `CUSTOMER_QUEUE`, …).
    public var type: String
    /// `Description`.
    public var description: String
    /// The content of every version, oldest first (version n is `contents[n - 1]`).
    public var contents: [String]
    /// The parsed versions (derived from `contents`; not part of the hash).
    public var documents: [FlowDocument]
    /// When each version was published (µs).
    public var publishedAt: [Int64]

    /// The newest version number.
    public var latestVersion: Int { contents.count }

    /// The document of `version` (1-based).
    public func document(version: Int) -> FlowDocument? {
        documents.indices.contains(version - 1) ? documents[version - 1] : nil
    }

    enum CodingKeys: String, CodingKey {
        case flowId, name, type, description, contents, publishedAt
    }
}

/// A queue (a minimal resource until routing adds hours, status and profiles).
public struct QueueResource: Sendable, Equatable, Encodable {
    /// The queue id.
    public var queueId: String
    /// `Name`.
    public var name: String
    /// `MaxContacts` (0 = no limit).
    public var maxContacts: Int64
    /// `HoursOfOperationId` (nil until UpdateQueueHoursOfOperation sets it).
    public var hoursOfOperationId: String? = nil
    /// `Status`: ENABLED (true) or DISABLED; a disabled queue takes no new contacts.
    public var enabled: Bool = true
}

/// Where a contact waits.
public struct QueuePosition: Sendable, Equatable, Encodable {
    /// A queue id, or `agent/<agent id>` for an agent queue.
    public var queueId: String
    /// When it entered the queue (µs).
    public var since: Int64
}

/// Whether a flow run goes on.
public enum FlowRunStatus: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// Executing actions (only between events of one command).
    case running = 1
    /// Parked in a Wait block.
    case waiting = 2
    /// Finished.
    case ended = 3

    /// `RUNNING`, `WAITING` or `ENDED`.
    public var description: String {
        switch self {
        case .running: "RUNNING"
        case .waiting: "WAITING"
        case .ended: "ENDED"
        }
    }
}

/// One contact's flow execution.
public struct FlowRun: Sendable, Equatable, Encodable {
    /// The flow.
    public var flowId: String
    /// Its version, fixed for the whole run.
    public var version: Int
    /// The action to execute next, or the Wait the run is parked in.
    public var current: String?
    /// Where it is.
    public var status: FlowRunStatus
    /// The events a parked Wait listens for.
    public var waitEvents: [String]
    /// `$.FlowAttributes`.
    public var flowAttributes: [String: String]
    /// `$.External` (the last Lambda result).
    public var external: [String: String]
    /// Loop counters by action identifier.
    public var loopCounters: [String: Int64]
    /// Actions executed in this run.
    public var steps: Int64
    /// Flow modules being run, innermost last: where each returns to.
    public var callStack: [FlowFrame] = []
    /// The conversation with a built-in bot (ConnectParticipantWithLexBot) and its last result (`$.Lex.*`).
    public var lex: BotSession? = nil
}

/// One line of a contact's flow log.
public struct FlowLogEntry: Sendable, Equatable, Encodable {
    /// When the action ran (µs).
    public var timestamp: Int64
    /// The flow (or module) it belongs to.
    public var flowId: String
    /// The flow's version.
    public var version: Int
    /// The action's `Identifier`.
    public var action: String
    /// The action's `Type`.
    public var actionType: String
    /// The branch taken.
    public var branch: String
    /// The action's result.
    public var result: String?
    /// The next action.
    public var next: String?
    /// What the step recorded (reasons, draws, Lambda values, …).
    public var details: [String: String]

    /// The most entries kept per contact (the oldest go first).
    public static let limit = 2_000
}

/// A flow that invoked a module and waits for it to return.
public struct FlowFrame: Sendable, Equatable, Encodable {
    /// The calling flow.
    public var flowId: String
    /// Its version.
    public var version: Int
    /// The action to continue with after the module (nil: the caller ends).
    public var returnTo: String?
}

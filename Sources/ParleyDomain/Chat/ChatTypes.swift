/// Time in Parley's domain: µs since the Unix epoch, UTC.
public typealias Microseconds = Int64

/// Duration constants in µs.
public enum Duration {
    /// One second.
    public static let second: Microseconds = 1_000_000
    /// One minute.
    public static let minute: Microseconds = 60 * second
    /// One hour.
    public static let hour: Microseconds = 60 * minute
    /// One day.
    public static let day: Microseconds = 24 * hour
}

/// A participant's role, as the participant API names it.
public enum ParticipantRole: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case customer = 1
    case agent = 2
    case system = 3
    case customBot = 4
    case supervisor = 5

    /// The API spelling (`CUSTOMER`, `AGENT`, …).
    public var description: String {
        switch self {
        case .customer: "CUSTOMER"
        case .agent: "AGENT"
        case .system: "SYSTEM"
        case .customBot: "CUSTOM_BOT"
        case .supervisor: "SUPERVISOR"
        }
    }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let role = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = role
    }
}

/// Why a contact (or a participant) was disconnected (`DisconnectReason` in the contact record).
public enum DisconnectReason: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case customerDisconnect = 1
    case agentDisconnect = 2
    case agentNetworkDisconnect = 3
    case customerConnectionNotEstablished = 4
    case expired = 5
    case contactFlowDisconnect = 6
    case api = 7
    case barged = 8
    case idleDisconnect = 9
    case thirdPartyDisconnect = 10
    case systemError = 11
    case other = 12

    /// The contact-record spelling.
    public var description: String {
        switch self {
        case .customerDisconnect: "CUSTOMER_DISCONNECT"
        case .agentDisconnect: "AGENT_DISCONNECT"
        case .agentNetworkDisconnect: "AGENT_NETWORK_DISCONNECT"
        case .customerConnectionNotEstablished: "CUSTOMER_CONNECTION_NOT_ESTABLISHED"
        case .expired: "EXPIRED"
        case .contactFlowDisconnect: "CONTACT_FLOW_DISCONNECT"
        case .api: "API"
        case .barged: "BARGED"
        case .idleDisconnect: "IDLE_DISCONNECT"
        case .thirdPartyDisconnect: "THIRD_PARTY_DISCONNECT"
        case .systemError: "SYSTEM_ERROR"
        case .other: "OTHER"
        }
    }
}

/// How a contact segment began (`InitiationMethod` in the contact record).
public enum InitiationMethod: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case api = 1
    case disconnect = 2
    case transfer = 3
    case queueTransfer = 4

    /// The contact-record spelling.
    public var description: String {
        switch self {
        case .api: "API"
        case .disconnect: "DISCONNECT"
        case .transfer: "TRANSFER"
        case .queueTransfer: "QUEUE_TRANSFER"
        }
    }
}

/// Which part of an ended chat a persistent chat rehydrates.
public enum RehydrationType: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case entirePastSession = 1
    case fromSegment = 2

    /// The API spelling.
    public var description: String {
        switch self {
        case .entirePastSession: "ENTIRE_PAST_SESSION"
        case .fromSegment: "FROM_SEGMENT"
        }
    }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let value = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = value
    }
}

/// A `ParticipantConfiguration.ResponseMode`.
public enum ResponseMode: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case complete = 1
    case incremental = 2

    /// The API spelling.
    public var description: String { self == .complete ? "COMPLETE" : "INCREMENTAL" }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let value = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = value
    }
}

/// A requested participant connection type (`CreateParticipantConnection.Type`).
public enum ConnectionType: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case websocket = 1
    case connectionCredentials = 2
    case webRTC = 3

    /// The API spelling.
    public var description: String {
        switch self {
        case .websocket: "WEBSOCKET"
        case .connectionCredentials: "CONNECTION_CREDENTIALS"
        case .webRTC: "WEBRTC_CONNECTION"
        }
    }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let value = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = value
    }
}

/// The two kinds of human-participant chat timers (`TimerType`).
public enum ParticipantTimerType: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    case idle = 1
    case disconnectNonCustomer = 2

    /// The API spelling.
    public var description: String { self == .idle ? "IDLE" : "DISCONNECT_NONCUSTOMER" }

    /// Parses the API spelling.
    public init?(apiName: String) {
        guard let value = Self.allCases.first(where: { $0.description == apiName }) else { return nil }
        self = value
    }
}

/// Content types and limits from the participant API.
public enum ContentTypes {
    /// Plain text.
    public static let plainText = "text/plain"
    /// Markdown.
    public static let markdown = "text/markdown"
    /// JSON.
    public static let json = "application/json"
    /// Interactive templates (bot/flow → customer).
    public static let interactive = "application/vnd.amazonaws.connect.message.interactive"
    /// The customer's answer to an interactive template.
    public static let interactiveResponse = "application/vnd.amazonaws.connect.message.interactive.response"

    /// Types a participant may send with SendMessage (and as the initial message).
    public static let sendable: Set<String> = [plainText, markdown, json, interactiveResponse]
    /// Types StartChatContact accepts in SupportedMessagingContentTypes.
    public static let supportable: Set<String> = sendable.union([interactive])

    /// The prefix of every event content type.
    public static let eventPrefix = "application/vnd.amazonaws.connect.event."
    // The event types are literals, not `eventPrefix + name`: a literal is never allocated or reference-counted, and
    // `table` hands these very strings to every event decoded.
    /// Typing indicator.
    public static let typing = "application/vnd.amazonaws.connect.event.typing"
    /// Delivered receipt.
    public static let delivered = "application/vnd.amazonaws.connect.event.message.delivered"
    /// Read receipt.
    public static let read = "application/vnd.amazonaws.connect.event.message.read"
    /// The retired connection acknowledgement (still accepted: it marks the participant connected).
    public static let connectionAcknowledged = "application/vnd.amazonaws.connect.event.connection.acknowledged"
    /// A participant joined.
    public static let participantJoined = "application/vnd.amazonaws.connect.event.participant.joined"
    /// A participant left.
    public static let participantLeft = "application/vnd.amazonaws.connect.event.participant.left"
    /// The chat ended.
    public static let chatEnded = "application/vnd.amazonaws.connect.event.chat.ended"
    /// A persistent chat loaded its past transcript.
    public static let chatRehydrated = "application/vnd.amazonaws.connect.event.chat.rehydrated"
    /// A participant went idle (not persisted to transcripts, not billed).
    public static let participantIdle = "application/vnd.amazonaws.connect.event.participant.idle"
    /// An idle participant came back (not persisted, not billed).
    public static let participantReturned = "application/vnd.amazonaws.connect.event.participant.returned"
    /// The auto-disconnect timer removed participants (not persisted, not billed).
    public static let participantAutoDisconnection =
        "application/vnd.amazonaws.connect.event.participant.autodisconnection"

    /// Every content type Parley names, these and the transfer events' (`ChatTransfer.swift`): decoding one of them
    /// from an event or a snapshot yields the constant itself.
    public static let table = StringTable([
        plainText, markdown, json, interactive, interactiveResponse, typing, delivered, read, connectionAcknowledged,
        participantJoined, participantLeft, chatEnded, chatRehydrated, participantIdle, participantReturned,
        participantAutoDisconnection, transferSucceeded, transferFailed,
    ])

    /// Event types a participant may send with SendEvent.
    public static let clientEvents: Set<String> = [typing, delivered, read, connectionAcknowledged]

    /// The largest message or event content, in UTF-8 bytes.
    public static let maxContentBytes = 16_384
    /// The longest customer message accepted while a bot (and no agent) is answering, in characters.
    public static let maxBotInputCharacters = 1_024
}

/// Numbers from the spec (connect-chat.md §1, §2, §4, §10).
public enum ChatLimits {
    /// Default chat duration in minutes (25 h).
    public static let defaultChatDurationMinutes = 1_500
    /// Allowed `ChatDurationInMinutes`.
    public static let chatDurationMinutes = 60...10_080
    /// The customer must create a connection this soon after StartChatContact.
    public static let connectWindow: Microseconds = 5 * Duration.minute
    /// A connection token's lifetime.
    public static let connectionTokenLifetime: Microseconds = Duration.day
    /// A websocket URL must be opened this soon after it is issued.
    public static let websocketURLWindow: Microseconds = 100 * Duration.second
    /// Open websockets per participant.
    public static let websocketsPerParticipant = 5
    /// Total contact attribute size in UTF-8 bytes (keys and values).
    public static let attributeBytes = 32_768
    /// Longest attribute key or value, in characters.
    public static let attributeFieldLength = 32_767
    /// Participants present in one chat at once.
    public static let participantsPerChat = 6
    /// Custom (bot) participants per contact.
    public static let customParticipantsPerChat = 1
    /// Concurrent active chats per instance, by default.
    public static let defaultConcurrentActiveChats = 500
    /// Idle / auto-disconnect timer values in minutes.
    public static let participantTimerMinutes = 2...480
    /// Timer configurations per UpdateParticipantRoleConfig call.
    public static let participantTimerConfigs = 1...6
    /// Past contacts a persistent chat traverses.
    public static let persistentChatContacts = 100
    /// Past transcript a persistent chat loads, in content bytes.
    public static let persistentChatTranscriptBytes = 5 * 1024 * 1024
    /// GetTranscript page size.
    public static let transcriptMaxResults = 0...100
    /// GetTranscript page size when MaxResults is omitted.
    public static let transcriptDefaultResults = 10
}

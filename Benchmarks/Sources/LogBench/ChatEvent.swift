/// A 128-bit identifier (contact, participant, message), written as 16 bytes in binary and as a UUID string in JSON.
struct ID128: Sendable, Equatable {
    /// The first 8 bytes, big-endian.
    var high: UInt64
    /// The last 8 bytes, big-endian.
    var low: UInt64

    /// A random identifier drawn from `generator`.
    init(using generator: inout some RandomNumberGenerator) {
        high = generator.next()
        low = generator.next()
    }
}

/// Who a participant is, as Amazon Connect names the roles.
enum ParticipantRole: UInt8, Sendable {
    case customer = 1
    case agent = 2
    case system = 3
    case customBot = 4
    case supervisor = 5

    /// The name used in JSON.
    var name: String {
        switch self {
        case .customer: "CUSTOMER"
        case .agent: "AGENT"
        case .system: "SYSTEM"
        case .customBot: "CUSTOM_BOT"
        case .supervisor: "SUPERVISOR"
        }
    }
}

/// The content types of `EventSent`: typing indicators and message receipts.
enum ChatSignal: UInt8, Sendable {
    case typing = 1
    case delivered = 2
    case read = 3

    /// The Amazon Connect content type.
    var contentType: String {
        switch self {
        case .typing: "application/vnd.amazonaws.connect.event.typing"
        case .delivered: "application/vnd.amazonaws.connect.event.message.delivered"
        case .read: "application/vnd.amazonaws.connect.event.message.read"
        }
    }
}

/// A participant of a chat as transcript items name it: id, role and display name.
struct Participant: Sendable {
    /// The participant's id.
    var id: ID128
    /// Customer, agent, bot…
    var role: ParticipantRole
    /// The name shown in the chat.
    var displayName: String
}

/// A contact attribute set by a flow or an agent.
struct ContactAttribute: Sendable {
    /// The attribute's name.
    var key: String
    /// The attribute's value.
    var value: String
}

/// One event of a chat contact, shaped like the events in `Tools/demo/chat-events.jsonl`.
struct ChatEvent: Sendable {
    /// What happened.
    enum Body: Sendable {
        /// A customer started a chat.
        case contactStarted(customerName: String, queue: String, attributes: [ContactAttribute])
        /// A participant joined the chat (a transcript item with its own id).
        case participantJoined(item: ID128, participant: Participant)
        /// A participant sent a text message; `clientToken` is the sender's idempotency token.
        case messageSent(participant: Participant, message: ID128, content: String, clientToken: String)
        /// A participant sent a typing indicator or a delivered/read receipt (receipts name the message).
        case eventSent(item: ID128, participant: Participant, signal: ChatSignal, message: ID128?, clientToken: String)
        /// A flow or an agent set contact attributes.
        case attributesUpdated(attributes: [ContactAttribute])
        /// The contact was transferred to another queue.
        case contactTransferred(queue: String, agent: ID128)
        /// A participant left the chat.
        case participantLeft(item: ID128, participant: Participant)
        /// The chat ended.
        case chatEnded(item: ID128, reason: String, durationSeconds: Int)
    }

    /// When it happened, in µs since the Unix epoch (the log record's timestamp).
    var time: Int64
    /// The contact it belongs to.
    var contact: ID128
    /// What happened.
    var body: Body

    /// The record type tag stored in the log.
    var typeTag: UInt16 {
        switch body {
        case .contactStarted: 1
        case .participantJoined: 2
        case .messageSent: 3
        case .eventSent: 4
        case .attributesUpdated: 5
        case .contactTransferred: 6
        case .participantLeft: 7
        case .chatEnded: 8
        }
    }

    /// The event's name in JSON.
    var name: String {
        switch body {
        case .contactStarted: "ContactStarted"
        case .participantJoined: "ParticipantJoined"
        case .messageSent: "MessageSent"
        case .eventSent: "EventSent"
        case .attributesUpdated: "ContactAttributesUpdated"
        case .contactTransferred: "ContactTransferred"
        case .participantLeft: "ParticipantLeft"
        case .chatEnded: "ChatEnded"
        }
    }
}

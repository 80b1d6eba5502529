/// What a deadline is for. The mechanism is general: flows (Wait) and routing (offer, after-contact work) add
/// kinds of their own.
public enum TimerKind: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as the API spelling.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }

    /// The chat duration ceiling (`ChatDurationInMinutes`); ends the chat with `EXPIRED`.
    case chatCeiling = 1
    /// The customer must create a connection within 5 minutes of the start.
    case connectWindow = 2
    /// A human participant's idle timer (UpdateParticipantRoleConfig `IDLE`).
    case participantIdle = 3
    /// A human participant's auto-disconnect timer (`DISCONNECT_NONCUSTOMER`).
    case participantDisconnect = 4
    /// A flow's Wait block timeout; the key's `participantId` slot holds the waiting contact's id.
    case flowWait = 5
    /// A chat offered to an agent rings 20 s; the key's `participantId` slot holds the contact's id.
    case offer = 6
    /// An agent's after-contact-work time limit; the key's `participantId` slot holds the contact's id.
    case afterContactWork = 7
    /// A waiting contact's queue reaches a routing profile's delay; routing runs then. The key's `participantId`
    /// slot holds the contact's id.
    case queueDelay = 8

    /// What a key of this kind names in its participant slot.
    public enum Slot: Sendable {
        /// Nothing: the chat's own deadline.
        case none
        /// A participant of the chat.
        case participant
        /// A contact (segment) of the chat.
        case contact
    }

    /// What a key of this kind names in its participant slot: every key the machine arms follows it, and a decoded
    /// key must (a chat's end removes its deadlines by building their keys from this).
    public var slot: Slot {
        switch self {
        case .chatCeiling, .connectWindow: .none
        case .participantIdle, .participantDisconnect: .participant
        case .flowWait, .offer, .afterContactWork, .queueDelay: .contact
        }
    }

    /// A readable name.
    public var description: String {
        switch self {
        case .chatCeiling: "chatCeiling"
        case .connectWindow: "connectWindow"
        case .participantIdle: "participantIdle"
        case .participantDisconnect: "participantDisconnect"
        case .flowWait: "flowWait"
        case .offer: "offer"
        case .afterContactWork: "afterContactWork"
        case .queueDelay: "queueDelay"
        }
    }
}

/// Names one deadline: its kind, the chat it belongs to and, for participant timers, the participant.
public struct TimerKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// What the deadline is for.
    public var kind: TimerKind
    /// The chat (its initial contact id).
    public var chatId: Identifier
    /// The participant, for participant timers.
    public var participantId: Identifier?

    /// Creates a key.
    public init(_ kind: TimerKind, chat chatId: Identifier, participant participantId: Identifier? = nil) {
        self.kind = kind
        self.chatId = chatId
        self.participantId = participantId
    }

    /// `kind/chat[/participant]`.
    public var description: String {
        var text = "\(kind)/\(chatId)"
        if let participantId { text += "/\(participantId)" }
        return text
    }

    /// The hash `Dictionary`, `Set` and `TreeDictionary` use: the chat's identifier hash seeded with the kind, then
    /// the participant's seeded with that (`Identifier`'s keyed mix, not SipHash over three values: a chat's end
    /// looks up about thirty keys).
    public func _rawHashValue(seed: Int) -> Int {
        keyedHash(seed: seed, secret: Identifier.hashSecret)
    }

    /// The mix behind `_rawHashValue(seed:)`, with the secret given (tests check the spread for fixed secrets).
    @inline(__always) func keyedHash(seed: Int, secret: UInt64) -> Int {
        let chat = chatId.keyedHash(seed: seed ^ Int(kind.rawValue) &* 0x100_0000_01B3, secret: secret)
        return participantId?.keyedHash(seed: chat, secret: secret) ?? chat
    }

    /// Orders by chat, kind, then participant (a stable order for firing and hashing).
    public static func < (lhs: TimerKey, rhs: TimerKey) -> Bool {
        if lhs.chatId != rhs.chatId { return lhs.chatId < rhs.chatId }
        if lhs.kind != rhs.kind { return lhs.kind.rawValue < rhs.kind.rawValue }
        switch (lhs.participantId, rhs.participantId) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case (let left?, let right?): return left < right
        }
    }

    func encode(into writer: inout BinaryWriter) {
        writer.write(enumeration: kind)
        writer.write(identifier: chatId)
        writer.write(optionalIdentifier: participantId)
    }

    /// Reads a key written by `encode(into:)`; one whose participant slot does not fit its kind (`TimerKind.slot`) is
    /// an error.
    static func decode(from reader: inout BinaryReader) throws(DecodeError) -> TimerKey {
        let start = reader.offset
        let kind = try reader.readEnumeration(TimerKind.self)
        let chat = try reader.readIdentifier()
        return try decoded(kind, chat, try reader.readOptionalIdentifier(), offset: start)
    }

    /// The key of decoded parts, unless its participant slot does not fit its kind (`TimerKind.slot`).
    static func decoded(
        _ kind: TimerKind,
        _ chat: Identifier,
        _ participant: Identifier?,
        offset: Int
    ) throws(DecodeError) -> TimerKey {
        guard (kind.slot == .none) == (participant == nil) else {
            let problem = participant == nil ? "without the id its slot needs" : "with an id in its empty slot"
            throw DecodeError(.invalidValue, "a \(kind) timer key \(problem)", offset: offset)
        }
        return TimerKey(kind, chat: chat, participant: participant)
    }
}

extension TimerKey: Encodable, CodingKeyRepresentable {
    /// The key as a dictionary key in JSON (its description).
    public var codingKey: any CodingKey { PlainCodingKey(description) }

    /// Keys are only ever encoded (for hashes and dumps).
    public init?<T: CodingKey>(codingKey: T) { nil }

    /// Encodes as its description.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A string coding key.
struct PlainCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Identifier: Codable, CodingKeyRepresentable {
    /// The identifier as a dictionary key in JSON (its UUID text).
    public var codingKey: any CodingKey { PlainCodingKey(description) }

    /// Parses a UUID dictionary key.
    public init?<T: CodingKey>(codingKey: T) { self.init(codingKey.stringValue) }

    /// Encodes as UUID text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes UUID text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Identifier(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a UUID: \(text)")
        }
        self = value
    }
}

/// Encodes `value` as its description (enumerations render as their API spelling in JSON).
func encodeDescription(_ value: some CustomStringConvertible, to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(value.description)
}

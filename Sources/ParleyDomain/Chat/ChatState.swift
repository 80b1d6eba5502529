// The state exposes TreeDictionary (persistent, structurally shared maps), so importing ParleyDomain brings it along.
@_exported import HashTreeCollections

/// The instance a log belongs to.
public struct InstanceSettings: Sendable, Equatable, Encodable {
    /// The instance id.
    public var instanceId: String
    /// Concurrent active chats allowed.
    public var concurrentActiveChats: Int64
    /// `InstanceAlias`, if one was given.
    public var alias: String?
    /// `IdentityManagementType`.
    public var identityManagementType: String
    /// `InboundCallsEnabled`.
    public var inboundCallsEnabled: Bool
    /// `OutboundCallsEnabled`.
    public var outboundCallsEnabled: Bool
    /// When the instance was first configured (µs).
    public var createdAt: Int64

    /// Creates settings; the defaults are those of a version-1 `InstanceConfigured`.
    public init(
        instanceId: String,
        concurrentActiveChats: Int64,
        alias: String? = nil,
        identityManagementType: String = "CONNECT_MANAGED",
        inboundCallsEnabled: Bool = true,
        outboundCallsEnabled: Bool = false,
        createdAt: Int64 = 0
    ) {
        self.instanceId = instanceId
        self.concurrentActiveChats = concurrentActiveChats
        self.alias = alias
        self.identityManagementType = identityManagementType
        self.inboundCallsEnabled = inboundCallsEnabled
        self.outboundCallsEnabled = outboundCallsEnabled
        self.createdAt = createdAt
    }
}

extension InstanceSettings {
    /// The identity management types CreateInstance accepts.
    public static let identityManagementTypes: Set<String> = ["SAML", "CONNECT_MANAGED", "EXISTING_DIRECTORY"]

    /// Checks the id (1–100 characters), the chat quota (≥ 1), the identity management type and the alias.
    public func check() throws(ChatError) {
        guard (1...100).contains(instanceId.count) else {
            throw ChatError(.invalidParameter, "InstanceId must be 1–100 characters")
        }
        guard concurrentActiveChats >= 1 else {
            throw ChatError(.invalidParameter, "the concurrent chat quota must be positive")
        }
        guard Self.identityManagementTypes.contains(identityManagementType) else {
            throw ChatError(
                .invalidRequest,
                "IdentityManagementType must be SAML, CONNECT_MANAGED or EXISTING_DIRECTORY, not \(identityManagementType)"
            )
        }
        if let alias { try Self.checkAlias(alias) }
    }

    /// Checks an `InstanceAlias`: 1–45 ASCII letters, digits and inner hyphens, not starting with `d-`.
    public static func checkAlias(_ alias: String) throws(ChatError) {
        let scalars = Array(alias.unicodeScalars)
        let alphanumeric: (Unicode.Scalar) -> Bool = {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
        let valid =
            (1...45).contains(scalars.count) && !alias.hasPrefix("d-")
            && scalars.allSatisfy { alphanumeric($0) || $0 == "-" }
            && scalars.first.map(alphanumeric) == true && scalars.last.map(alphanumeric) == true
        guard valid else {
            throw ChatError(
                .invalidRequest,
                "InstanceAlias must be 1–45 letters, digits and inner hyphens, not starting with d-: \(alias)"
            )
        }
    }
}

/// The life of a contact segment.
public enum ContactStatus: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// Started; the customer has not created a connection yet.
    case initiated = 1
    /// The customer is connected.
    case connected = 2
    /// The segment ended.
    case ended = 3

    /// `INITIATED`, `CONNECTED` or `ENDED`.
    public var description: String {
        switch self {
        case .initiated: "INITIATED"
        case .connected: "CONNECTED"
        case .ended: "ENDED"
        }
    }
}

/// One contact segment (what a contact record describes).
public struct ContactRecord: Sendable, Equatable, Encodable {
    /// The contact id.
    public var contactId: Identifier
    /// The chat it belongs to (its initial contact id).
    public var chatId: Identifier
    /// The instance.
    public var instanceId: String
    /// The flow it started in.
    public var flowId: String
    /// How it began.
    public var initiationMethod: InitiationMethod
    /// The segment before it.
    public var previousContactId: Identifier?
    /// The segment after it.
    public var nextContactId: Identifier?
    /// `RelatedContactId`.
    public var relatedContactId: Identifier?
    /// `CustomerId`.
    public var customerId: String?
    /// When it started (µs).
    public var initiatedAt: Int64
    /// When it ended (µs).
    public var disconnectedAt: Int64?
    /// Why it ended.
    public var disconnectReason: DisconnectReason?
    /// Contact attributes.
    public var attributes: [String: String]
    /// Where it is in its life.
    public var status: ContactStatus
    /// The flow running (or that last ran) for this contact.
    public var flowRun: FlowRun? = nil
    /// The working queue set by a flow (`UpdateContactTargetQueue`): a queue id or `agent/<agent id>`.
    public var targetQueue: String? = nil
    /// The queue the contact waits in, and since when (µs).
    public var queued: QueuePosition? = nil
    /// The agent (user id) the contact was connected to.
    public var agentId: String? = nil
    /// The assigned agent's participant in the chat.
    public var agentParticipantId: Identifier? = nil
    /// The agent the contact is offered to right now.
    public var offeredTo: String? = nil
    /// Routing priority (UpdateContactRoutingBehavior `QueuePriority`; lower is routed first).
    public var queuePriority: Int64 = 5
    /// UpdateContactRoutingBehavior `QueueTimeAdjustmentSeconds` (larger = treated as older).
    public var queueTimeAdjustmentSeconds: Int64 = 0
    /// The customer-queue flow (UpdateContactEventHooks `CustomerQueue`), run while the contact waits in a queue.
    public var customerQueueFlowId: String? = nil
    /// The flow log (UpdateFlowLoggingBehavior `Enabled`): the steps run while logging was on, oldest first.
    public var flowLog: [FlowLogEntry] = []
}

/// A participant of a chat.
public struct Participant: Sendable, Equatable, Encodable {
    /// Its id (stable for its whole life).
    public var participantId: Identifier
    /// Its role.
    public var role: ParticipantRole
    /// Its display name.
    public var displayName: String
    /// The token it creates connections with.
    public var participantToken: String
    /// When it joined (µs).
    public var joinedAt: Int64
    /// When it left (µs).
    public var leftAt: Int64?
    /// Why it left.
    public var leftReason: DisconnectReason?
    /// Open websockets, sorted.
    public var openSockets: [Identifier]
    /// Whether its idle timer fired and it has not been active since.
    public var idle: Bool
    /// Whether it marked itself connected (ConnectParticipant or the retired acknowledgement).
    public var connected: Bool

    /// Whether it is still in the chat.
    public var isPresent: Bool { leftAt == nil }
}

/// A participant connection (CreateParticipantConnection).
public struct Connection: Sendable, Equatable, Encodable {
    /// Its id.
    public var connectionId: Identifier
    /// Whose it is.
    public var participantId: Identifier
    /// The connection token.
    public var connectionToken: String
    /// When the connection token expires (µs).
    public var expiry: Int64
    /// The websocket URL token.
    public var websocketToken: String?
    /// When the websocket URL stops working (µs).
    public var websocketExpiry: Int64?
}

/// A delivered/read receipt of one recipient.
public struct Receipt: Sendable, Equatable, Encodable {
    /// When the message was delivered (µs).
    public var deliveredAt: Int64?
    /// When the message was read (µs).
    public var readAt: Int64?
}

/// The receipts of one transcript item by recipient participant: a short array in participant id order (an item has
/// one receipt per other participant, a few at most). A `Dictionary` allocated and hashed its storage for an item's
/// first receipt, about 760 instructions a receipt. Equality, iteration order, the snapshot encoding and the JSON
/// encoding are those of the same entries in a `[Identifier: Receipt]`, sorted by key.
public struct ReceiptMap: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The entries, in strictly increasing participant id order.
    private var entries: [Element] = []

    /// A recipient and its receipt.
    public typealias Element = (key: Identifier, value: Receipt)

    /// The receipts given (a repeated recipient keeps its last receipt).
    public init(dictionaryLiteral elements: (Identifier, Receipt)...) {
        for (recipient, receipt) in elements { self[recipient] = receipt }
    }

    /// Recipients with a receipt.
    public var count: Int { entries.count }

    /// Whether no recipient has a receipt.
    public var isEmpty: Bool { entries.isEmpty }

    /// The receipts, in recipient id order.
    public var values: [Receipt] { entries.map(\.value) }

    /// The receipt of `recipient`; setting nil removes it.
    public subscript(recipient: Identifier) -> Receipt? {
        get {
            for entry in entries where entry.key == recipient { return entry.value }
            return nil
        }
        set {
            let index = entries.firstIndex { $0.key >= recipient } ?? entries.endIndex
            let present = index < entries.endIndex && entries[index].key == recipient
            switch (present, newValue) {
            case (true, let receipt?): entries[index].value = receipt
            case (true, nil): entries.remove(at: index)
            // Appended when it goes last (an item's first receipt): `insert` goes through the general
            // `replaceSubrange`, about 460 instructions.
            case (false, let receipt?) where index == entries.endIndex: entries.append((recipient, receipt))
            case (false, let receipt?): entries.insert((recipient, receipt), at: index)
            case (false, nil): break
            }
        }
    }

    /// The entries in recipient id order.
    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    /// Equal when they hold the same receipts.
    public static func == (lhs: ReceiptMap, rhs: ReceiptMap) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension ReceiptMap: Encodable {
    /// Encodes as the `[Identifier: Receipt]` of the same entries.
    public func encode(to encoder: any Encoder) throws {
        try Dictionary(uniqueKeysWithValues: entries.lazy.map { ($0.key, $0.value) }).encode(to: encoder)
    }
}

/// One transcript entry as stored; `TranscriptItemView` renders it in the participant API's shape.
public struct TranscriptItem: Sendable, Equatable, Encodable {
    /// `Id`.
    public var id: Identifier
    /// `AbsoluteTime` (µs).
    public var timestamp: Int64
    /// `Type`: `MESSAGE`, `EVENT`, `ATTACHMENT`.
    public var type: String
    /// `ContentType`.
    public var contentType: String
    /// `Content`.
    public var content: String?
    /// `ParticipantId`.
    public var participantId: Identifier?
    /// `DisplayName`.
    public var displayName: String?
    /// `ParticipantRole`.
    public var role: ParticipantRole?
    /// The contact segment current when the item was created.
    public var contactId: Identifier
    /// Receipts by recipient participant.
    public var receipts: ReceiptMap
}

/// Whether a chat is still going.
public enum ChatStatus: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// The chat is going.
    case active = 1
    /// The chat ended.
    case ended = 2

    /// `ACTIVE` or `ENDED`.
    public var description: String { self == .active ? "ACTIVE" : "ENDED" }
}

/// A chat: its contact segments, participants, connections and transcript.
public struct ChatSession: Sendable, Equatable, Encodable {
    /// The chat's id: its initial contact id.
    public var chatId: Identifier
    /// The instance.
    public var instanceId: String
    /// The segment that is current.
    public var currentContactId: Identifier
    /// Every segment, oldest first.
    public var contactIds: [Identifier]
    /// Active or ended.
    public var status: ChatStatus
    /// When it started (µs).
    public var startedAt: Int64
    /// The duration ceiling (µs): the chat never outlives it.
    public var expiresAt: Int64
    /// When it ended (µs).
    public var endedAt: Int64?
    /// Why it ended.
    public var endReason: DisconnectReason?
    /// `ChatDurationInMinutes`.
    public var durationMinutes: Int64
    /// `SupportedMessagingContentTypes`.
    public var supportedContentTypes: [String]
    /// `ParticipantConfiguration.ResponseMode`.
    public var responseMode: ResponseMode?
    /// `DisconnectOnCustomerExit`.
    public var disconnectOnCustomerExit: [ParticipantRole]
    /// The customer.
    public var customerParticipantId: Identifier
    /// Participants by id.
    public var participants: [Identifier: Participant]
    /// Connections by id.
    public var connections: [Identifier: Connection]
    /// The transcript, in time order (in chunks: an append copies one chunk, not the transcript).
    public var items: ChunkedArray<TranscriptItem>
    /// Positions of the chat's messages by id: the items a receipt can acknowledge, which are all the index is read
    /// for (a short array, then persistent with a short array of the newest: an insert copies at most
    /// `CompactMap.smallLimit` entries, and one path of the tree once per that many). See `indexes(_:)`.
    public var itemIndex: CompactMap<Identifier, Int>
    /// Persistent-chat details.
    public var rehydration: Rehydration?
    /// Stored timer settings, "ROLE/TYPE" → minutes.
    public var roleTimers: [String: Int64]
    /// The settings in force (taken from `roleTimers` when an agent or bot joins).
    public var activeRoleTimers: [String: Int64]
    /// The flow to run when the agent leaves and the customer remains.
    public var disconnectFlowId: String?
    /// Whether the customer ever created a connection.
    public var customerConnected: Bool
    /// Messages and events by participant and ClientToken, for idempotent retries. A short array, then a persistent
    /// map beside a short array of the newest: a chat's copy in a new snapshot shares it, and adding one entry copies
    /// at most `CompactMap.smallLimit` entries (and one path of the tree once per that many), not every entry the chat
    /// ever recorded.
    public var sentByClientToken: CompactMap<ClientTokenKey, SentRecord>
    /// The `ClientToken` and request digest of StartChatContact.
    public var startClientToken: String?
    /// Digest of the StartChatContact request.
    public var startRequestDigest: [UInt8]
    /// Billable messages of each contact segment in `contactIds` (same order). Counted here rather than in the
    /// contact: a message changes its chat anyway, and changing the contact as well copied it after every published
    /// snapshot. `ChatState.billableMessages(ofContact:)` reads it.
    public var contactBillableMessages: [Int64]

    /// Billable messages in the chat: those of all its contact segments.
    public var billableMessages: Int64 { contactBillableMessages.reduce(0, +) }

    /// Whether the chat accepts actions at `now`: not ended, and not past its ceiling. Decisions use
    /// `ChatState.isActive(_:at:)`, which also ends a chat whose connect window is due.
    public func isActive(at now: Int64) -> Bool { Self.isActive(status, expiresAt, at: now) }

    /// `isActive(at:)` from the two fields it reads (for a chat read in place, whose methods would copy it).
    static func isActive(_ status: ChatStatus, _ expiresAt: Int64, at now: Int64) -> Bool {
        status == .active && now < expiresAt
    }

    /// Whether `itemIndex` holds `item`: messages do; events, which no receipt can name, do not (about a third of a
    /// chat's items, each an insert into the index that nothing would read).
    public static func indexes(_ item: TranscriptItem) -> Bool { item.type == "MESSAGE" }

    /// Changes participant `id` in place, if the chat has it: one lookup, and the participant is neither copied out
    /// nor written back (each `participants[id]?.field = …` is a lookup and a copy of its own).
    mutating func updateParticipant(_ id: Identifier, _ body: (inout Participant) -> Void) {
        guard let index = participants.index(forKey: id) else { return }
        body(&participants.values[index])
    }

    /// Participants still in the chat.
    public var presentParticipants: [Participant] {
        participants.values.filter(\.isPresent).sorted { $0.joinedAt < $1.joinedAt }
    }

    /// Whether a present participant has a role that `matches`: `presentParticipants.contains` without building and
    /// sorting that array (every message asks it, through the role timers).
    public func hasPresentParticipant(_ matches: (ParticipantRole) -> Bool) -> Bool {
        Self.hasPresentParticipant(in: participants, matches)
    }

    /// Whether a present participant among `participants` has a role that `matches`.
    static func hasPresentParticipant(
        in participants: [Identifier: Participant],
        _ matches: (ParticipantRole) -> Bool
    ) -> Bool {
        // By position: `values.contains` copies each participant out (its strings and sockets retained and released),
        // while a field read through the subscript is loaded where it lies.
        let values = participants.values
        var index = values.startIndex
        while index != values.endIndex {
            if values[index].leftAt == nil, matches(values[index].role) { return true }
            values.formIndex(after: &index)
        }
        return false
    }

    /// Whether idle timers run among `participants`: a customer together with an agent or a custom bot. Takes the
    /// participants rather than the chat: `chats[id]?.participants` reads them where the chat lies, while binding the
    /// chat or calling a method of it through the map copies the whole chat (about 1 K instructions with its release).
    public static func roleTimersRun(among participants: [Identifier: Participant]) -> Bool {
        hasPresentParticipant(in: participants) { $0 == .customer }
            && hasPresentParticipant(in: participants) { $0 == .agent || $0 == .customBot }
    }

    /// The key of a role timer setting.
    public static func timerSettingKey(_ role: ParticipantRole, _ type: ParticipantTimerType) -> String {
        timerSettingKeys[Int(role.rawValue) &* 2 &+ Int(type.rawValue) &- 3]
    }

    /// Every "ROLE/TYPE" key, made once (each message asked for two, and interpolating them cost about 700
    /// instructions each), at `role.rawValue * 2 + type.rawValue - 3` (both raw values start at 1).
    private static let timerSettingKeys: [String] = ParticipantRole.allCases.flatMap { role in
        ParticipantTimerType.allCases.map { type in "\(role)/\(type)" }
    }
}

/// A participant's ClientToken for one kind of request: a retry with the same key gets the first answer.
///
/// Snapshots and JSON write it as the text `participant/kind/token` (what the map was keyed by before), and it
/// orders as that text does, so a chat's snapshot bytes are what they were. Kept apart, the parts cost no string
/// building per message and hash fewer bytes.
public struct ClientTokenKey: CompactMapKey, Comparable, CodingKeyRepresentable, Encodable, SnapshotCodable {
    /// The request the token came with.
    public enum Kind: String, Sendable, Comparable {
        /// SendEvent.
        case event
        /// SendMessage.
        case message

        /// Orders as the names do.
        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }

        /// A number for the case: a raw-value enum's own `==` and hash go through its name, a string.
        var code: UInt8 {
            switch self {
            case .event: 0
            case .message: 1
            }
        }
    }

    /// The participant who sent it.
    public var participantId: Identifier
    /// The request.
    public var kind: Kind
    /// The token.
    public var clientToken: ClientToken

    /// The ClientToken's text.
    public var token: String {
        get { clientToken.text }
        set { clientToken = ClientToken(newValue) }
    }

    /// A key.
    public init(_ participantId: Identifier, _ kind: Kind, _ token: String) {
        self.init(participantId, kind, ClientToken(token))
    }

    /// A key of a token already read.
    public init(_ participantId: Identifier, _ kind: Kind, _ token: ClientToken) {
        self.participantId = participantId
        self.kind = kind
        self.clientToken = token
    }

    /// `participant/kind/token`.
    public var text: String { "\(participantId)/\(kind.rawValue)/\(token)" }

    /// Equal parts (the kind compared by its case, not its name; a UUID token by its 16 bytes).
    public static func == (lhs: ClientTokenKey, rhs: ClientTokenKey) -> Bool {
        lhs.participantId == rhs.participantId && lhs.kind.code == rhs.kind.code && lhs.clientToken == rhs.clientToken
    }

    /// Hashes the parts (the kind by its case, not its name).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(participantId)
        hasher.combine(kind.code)
        hasher.combine(clientToken)
    }

    /// The hash `Dictionary`, `Set` and `TreeDictionary` use: the participant's identifier hash seeded with the kind,
    /// then a UUID token's seeded with that (`Identifier`'s keyed mix, no SipHash); a text token hashes its string.
    public func _rawHashValue(seed: Int) -> Int {
        let participant = participantId._rawHashValue(seed: seed ^ Int(kind.code) &* 0x100_0000_01B3)
        return clientToken.rawHashValue(seed: participant)
    }

    /// A word equal keys share, for a `CompactMap`'s filter: the participant's and the token's, and the kind.
    public var filterWord: UInt64 {
        participantId.filterWord ^ (clientToken.filterWord &* 0xD6E8_FEB8_6659_FD93) ^ UInt64(kind.code)
    }

    /// Parses `participant/kind/token`; nil for anything else.
    public init?(text: String) {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let participant = Identifier(String(parts[0])),
            let kind = Kind(rawValue: String(parts[1]))
        else { return nil }
        self.init(participant, kind, String(parts[2]))
    }

    /// The order of `text`: the id's fixed-width lower-case hex orders as its value, "event" before "message", and
    /// after the same `participant/kind/` prefix the tokens decide.
    public static func < (lhs: ClientTokenKey, rhs: ClientTokenKey) -> Bool {
        if lhs.participantId != rhs.participantId { return lhs.participantId < rhs.participantId }
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        return ClientToken.textOrder(lhs.clientToken, rhs.clientToken)
    }

    /// The text, as a JSON object's key.
    public var codingKey: any CodingKey { AnyKey(text) }

    /// Reads a JSON object's key.
    public init?<T: CodingKey>(codingKey: T) { self.init(text: codingKey.stringValue) }

    /// Writes the text.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(string: text) }

    /// Encodes the text (a map keyed by it encodes as an object with these keys).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// Reads the text; anything but `participant/kind/token` is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let offset = reader.offset
        let text = try reader.readString()
        guard let key = ClientTokenKey(text: text) else {
            throw DecodeError(.invalidValue, "a ClientToken key is not participant/kind/token", offset: offset)
        }
        self = key
    }

    /// A coding key holding a string.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// The answer recorded for a message or event sent with a ClientToken.
public struct SentRecord: Sendable, Equatable, Encodable {
    /// The message or event id.
    public var id: Identifier
    /// Its `AbsoluteTime` (µs).
    public var time: Int64

    /// A record.
    public init(id: Identifier, time: Int64) {
        self.id = id
        self.time = time
    }
}

/// Billable messages per instance and UTC month ("2026-11").
///
/// The month of the last message counted is kept open beside the others, with its bounds and its count: consecutive
/// messages nearly always fall in one month, and counting one then needs neither the month's name nor a dictionary
/// lookup (about 650 instructions a message before). Equality, the encodings and the state hash see only the merged
/// months.
public struct BillingMeter: Sendable, Equatable, Encodable {
    /// Messages by month.
    public var messagesByMonth: [String: Int64] {
        get {
            guard let open else { return closedMonths }
            var all = closedMonths
            all[open.key] = open.count
            return all
        }
        set {
            closedMonths = newValue
            open = nil
        }
    }
    /// Messages in all.
    public var totalMessages: Int64 = 0

    /// The months other than `open`'s.
    private var closedMonths: [String: Int64] = [:]
    /// The month of the last message counted, if it is not in `closedMonths`.
    private var open: OpenMonth?

    /// A month being counted: its name, its first µs and the next month's, and its messages so far.
    struct OpenMonth: Sendable {
        var key: String
        var start: Int64
        var end: Int64
        var count: Int64
    }

    /// A meter with these counts.
    public init(messagesByMonth: [String: Int64] = [:], totalMessages: Int64 = 0) {
        closedMonths = messagesByMonth
        self.totalMessages = totalMessages
    }

    /// Counts one billable message sent at `timestamp` (µs).
    mutating func countMessage(at timestamp: Int64) {
        totalMessages += 1
        if let month = open, month.start <= timestamp, timestamp < month.end {
            open!.count += 1
            return
        }
        if let open { closedMonths[open.key] = open.count }
        let (key, start, end) = CivilTime.monthBounds(of: timestamp)
        open = OpenMonth(key: key, start: start, end: end, count: (closedMonths.removeValue(forKey: key) ?? 0) + 1)
    }

    /// Equal when they count the same messages in the same months.
    public static func == (lhs: BillingMeter, rhs: BillingMeter) -> Bool {
        lhs.totalMessages == rhs.totalMessages && lhs.messagesByMonth == rhs.messagesByMonth
    }

    private enum CodingKeys: String, CodingKey {
        case messagesByMonth, totalMessages
    }

    /// Encodes the merged months and the total.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messagesByMonth, forKey: .messagesByMonth)
        try container.encode(totalMessages, forKey: .totalMessages)
    }
}

/// Where a token leads.
public struct TokenTarget: Sendable, Equatable, Encodable {
    /// The chat.
    public var chatId: Identifier
    /// The participant.
    public var participantId: Identifier
    /// The connection, for connection and websocket tokens.
    public var connectionId: Identifier?
}

/// The bearer tokens Parley issues to participants, connections and websocket URLs: the 32 hex digits of the chat's
/// id, then the 32 of a new random id (122 random bits, the secret part). A token of this form is found through its
/// chat: the chat's participants and connections hold their tokens, so no map from tokens to chats has to be kept,
/// changed and freed for them. Tokens of any other form (logs written before 2026-11-25 issued 64 random digits) are
/// kept in the state's token maps as before; `ChatState.participantTarget(ofToken:)` and its siblings look in both.
public enum ChatToken {
    /// A token of chat `chatId` whose secret part is `secret`.
    static func make(chatId: Identifier, secret: Identifier) -> String { chatId.digits(followedBy: secret) }

    /// The chat a token of the issued form names, or nil for a token of another form.
    public static func chatId(of token: String) -> Identifier? {
        guard token.utf8.count == 64 else { return nil }
        return Identifier.leadingDigits(of: token)
    }

    /// Whether `token` of chat `chatId` is found through the chat, rather than kept in a token map.
    static func isFoundThroughChat(_ token: String, _ chatId: Identifier) -> Bool { Self.chatId(of: token) == chatId }
}

extension ChatSession {
    /// Where participant token `token` leads in the chat at `chat`: a participant still present in a chat that has
    /// not ended (the token maps drop a participant's token when it leaves and every token when the chat ends).
    static func participantTarget(ofToken token: String, in chat: UnsafePointer<ChatSession>) -> TokenTarget? {
        guard chat.pointee.status != .ended else { return nil }
        for participant in chat.pointee.participants.values where participant.participantToken == token {
            guard participant.isPresent else { return nil }
            return TokenTarget(chatId: chat.pointee.chatId, participantId: participant.participantId)
        }
        return nil
    }

    /// Where connection token `token` leads in the chat at `chat`, or with `websocket` where websocket token `token`
    /// does: its connection. A connection token works after the chat ended too (it reads the transcript until it
    /// expires; its expiry is checked where it is used), a websocket token only while the chat has not ended.
    static func connectionTarget(
        ofToken token: String,
        websocket: Bool = false,
        in chat: UnsafePointer<ChatSession>
    ) -> TokenTarget? {
        if websocket, chat.pointee.status == .ended { return nil }
        for connection in chat.pointee.connections.values
        where token == (websocket ? connection.websocketToken : connection.connectionToken) {
            return TokenTarget(
                chatId: chat.pointee.chatId,
                participantId: connection.participantId,
                connectionId: connection.connectionId
            )
        }
        return nil
    }
}

extension ChatState {
    /// Where a participant token leads: a present participant of a chat that has not ended; nil for any other token.
    public func participantTarget(ofToken token: String) -> TokenTarget? {
        throughChat(token) { ChatSession.participantTarget(ofToken: token, in: $0) } ?? participantTokens[token]
    }

    /// Where a connection token leads: its connection (expired or not; of an ended chat too); nil for any other token.
    public func connectionTarget(ofToken token: String) -> TokenTarget? {
        throughChat(token) { ChatSession.connectionTarget(ofToken: token, in: $0) } ?? connectionTokens[token]
    }

    /// Where a websocket URL's token leads: its connection, while its chat has not ended; nil for any other token.
    public func websocketTarget(ofToken token: String) -> TokenTarget? {
        throughChat(token) { ChatSession.connectionTarget(ofToken: token, websocket: true, in: $0) }
            ?? websocketTokens[token]
    }

    /// Whether `token` is a participant, connection or websocket token of this state (its chat found once).
    public func holdsToken(_ token: String) -> Bool {
        let inChat = throughChat(token) { chat in
            ChatSession.participantTarget(ofToken: token, in: chat)
                ?? ChatSession.connectionTarget(ofToken: token, in: chat)
                ?? ChatSession.connectionTarget(ofToken: token, websocket: true, in: chat)
        }
        return inChat != nil || participantTokens[token] != nil || connectionTokens[token] != nil
            || websocketTokens[token] != nil
    }

    /// What `find` says of the chat `token` names (`ChatToken`), read in place; nil when the token names no chat here.
    private func throughChat(
        _ token: String,
        _ find: (UnsafePointer<ChatSession>) -> TokenTarget?
    ) -> TokenTarget? {
        guard let chatId = ChatToken.chatId(of: token) else { return nil }
        return chats[slot: chatId]?.withPointer(find) ?? nil
    }
}

/// Every projection of the chat domain, folded from events by `ChatMachine.apply`.
///
/// The fields sit behind one reference (copy on write): the state is one word to pass, so a generic call (the
/// engine's step, each projection's `apply`) hands it on instead of copying some 800 bytes onto its stack. Changing
/// a field copies the fields first if a published snapshot shares them.
public struct ChatState: Sendable, Equatable {
    /// The stored fields, kept together so that the state holds them behind one reference.
    struct Stored: Sendable, Equatable {
        var instance: InstanceSettings?
        var contacts = TieredMap<Identifier, ContactRecord>()
        var chats = TieredMap<Identifier, ChatSession>()
        var participantTokens: TreeDictionary<String, TokenTarget> = [:]
        var connectionTokens = TieredMap<String, TokenTarget>()
        var websocketTokens: TreeDictionary<String, TokenTarget> = [:]
        var startTokens = TieredMap<String, Identifier>()
        var timers: TreeDictionary<TimerKey, Int64> = [:]
        var timersFired: Int64 = 0
        var billing = BillingMeter()
        var activeChats: Int64 = 0
        var lastTimestamp: Int64 = 0
        var eventCount: Int64 = 0
        var flows: TreeDictionary<String, FlowResource> = [:]
        var queues: TreeDictionary<String, QueueResource> = [:]
        var bots: TreeDictionary<String, BotResource> = [:]
        var hoursOfOperations: TreeDictionary<String, HoursOfOperation> = [:]
        var agents: TreeDictionary<String, AgentSession> = [:]
        var routingProfiles: TreeDictionary<String, RoutingProfile> = [:]
        var users: TreeDictionary<String, AgentUser> = [:]
        var agentStatuses: TreeDictionary<String, AgentStatus> = [:]
        var lambdaFunctions: TreeDictionary<String, String> = [:]
        var descriptions: TreeDictionary<String, String> = [:]
        var pendingInvocations: TreeDictionary<Identifier, PendingInvocation> = [:]
        var waiting: TreeDictionary<Identifier, QueuePosition> = [:]
        var agentDesk = AgentDesk()
        var deadlines = DeadlineIndex()
    }

    /// The heap box of the fields, changed only after `unique()` (so a shared box is never written and the unchecked
    /// Sendable holds).
    final class Box: @unchecked Sendable {
        @exclusivity(unchecked) var stored: Stored
        init(_ stored: Stored) { self.stored = stored }
    }

    private var box = Box(Stored())

    /// The instance, once configured.
    public var instance: InstanceSettings? {
        _read { yield box.stored.instance }
        _modify {
            unique()
            yield &box.stored.instance
        }
    }

    /// Contact segments by id (ended ones may be in a checkpoint's cold tier).
    public var contacts: TieredMap<Identifier, ContactRecord> {
        _read { yield box.stored.contacts }
        _modify {
            unique()
            yield &box.stored.contacts
        }
    }

    /// Chats by id (initial contact id); ended ones may be in a checkpoint's cold tier, active ones never are.
    public var chats: TieredMap<Identifier, ChatSession> {
        _read { yield box.stored.chats }
        _modify {
            unique()
            yield &box.stored.chats
        }
    }

    /// Participant tokens of present participants, of the forms not found through their chat (`ChatToken`).
    public var participantTokens: TreeDictionary<String, TokenTarget> {
        _read { yield box.stored.participantTokens }
        _modify {
            unique()
            yield &box.stored.participantTokens
        }
    }

    /// Connection tokens (they stay valid for reading transcripts until they expire), of the forms not found through
    /// their chat (`ChatToken`).
    public var connectionTokens: TieredMap<String, TokenTarget> {
        _read { yield box.stored.connectionTokens }
        _modify {
            unique()
            yield &box.stored.connectionTokens
        }
    }

    /// Websocket URL tokens of chats that have not ended, of the forms not found through their chat (`ChatToken`).
    public var websocketTokens: TreeDictionary<String, TokenTarget> {
        _read { yield box.stored.websocketTokens }
        _modify {
            unique()
            yield &box.stored.websocketTokens
        }
    }

    /// StartChatContact ClientTokens → contact id.
    public var startTokens: TieredMap<String, Identifier> {
        _read { yield box.stored.startTokens }
        _modify {
            unique()
            yield &box.stored.startTokens
        }
    }

    /// Open deadlines (the timer projection). Changed through `setTimer` and `removeTimer`, which keep `deadlines`
    /// in step.
    public internal(set) var timers: TreeDictionary<TimerKey, Int64> {
        _read { yield box.stored.timers }
        _modify {
            unique()
            yield &box.stored.timers
        }
    }

    /// Timers that fired, in all.
    public var timersFired: Int64 {
        _read { yield box.stored.timersFired }
        _modify {
            unique()
            yield &box.stored.timersFired
        }
    }

    /// The billing meter.
    public var billing: BillingMeter {
        _read { yield box.stored.billing }
        _modify {
            unique()
            yield &box.stored.billing
        }
    }

    /// Chats not yet ended.
    public var activeChats: Int64 {
        _read { yield box.stored.activeChats }
        _modify {
            unique()
            yield &box.stored.activeChats
        }
    }

    /// The timestamp of the last event applied (µs).
    public var lastTimestamp: Int64 {
        _read { yield box.stored.lastTimestamp }
        _modify {
            unique()
            yield &box.stored.lastTimestamp
        }
    }

    /// Events applied.
    public var eventCount: Int64 {
        _read { yield box.stored.eventCount }
        _modify {
            unique()
            yield &box.stored.eventCount
        }
    }

    /// Published flows by id.
    public var flows: TreeDictionary<String, FlowResource> {
        _read { yield box.stored.flows }
        _modify {
            unique()
            yield &box.stored.flows
        }
    }

    /// Queues by id.
    public var queues: TreeDictionary<String, QueueResource> {
        _read { yield box.stored.queues }
        _modify {
            unique()
            yield &box.stored.queues
        }
    }

    /// Built-in bots by id.
    public var bots: TreeDictionary<String, BotResource> {
        _read { yield box.stored.bots }
        _modify {
            unique()
            yield &box.stored.bots
        }
    }

    /// Hours of operation by id.
    public var hoursOfOperations: TreeDictionary<String, HoursOfOperation> {
        _read { yield box.stored.hoursOfOperations }
        _modify {
            unique()
            yield &box.stored.hoursOfOperations
        }
    }

    /// Agents' live routing state (status, slots), by user id.
    public var agents: TreeDictionary<String, AgentSession> {
        _read { yield box.stored.agents }
        _modify {
            unique()
            yield &box.stored.agents
        }
    }

    /// Routing profiles by id.
    public var routingProfiles: TreeDictionary<String, RoutingProfile> {
        _read { yield box.stored.routingProfiles }
        _modify {
            unique()
            yield &box.stored.routingProfiles
        }
    }

    /// Users (agents) by id.
    public var users: TreeDictionary<String, AgentUser> {
        _read { yield box.stored.users }
        _modify {
            unique()
            yield &box.stored.users
        }
    }

    /// Agent statuses by id.
    public var agentStatuses: TreeDictionary<String, AgentStatus> {
        _read { yield box.stored.agentStatuses }
        _modify {
            unique()
            yield &box.stored.agentStatuses
        }
    }

    /// Lambda function names/ARNs → HTTP endpoints.
    public var lambdaFunctions: TreeDictionary<String, String> {
        _read { yield box.stored.lambdaFunctions }
        _modify {
            unique()
            yield &box.stored.lambdaFunctions
        }
    }

    /// Descriptions of queues, hours, routing profiles and agent statuses, by `DescribedResourceKind.key(id)`.
    public var descriptions: TreeDictionary<String, String> {
        _read { yield box.stored.descriptions }
        _modify {
            unique()
            yield &box.stored.descriptions
        }
    }

    /// Lambda calls requested by flows and not answered yet (the effect runner performs them).
    public var pendingInvocations: TreeDictionary<Identifier, PendingInvocation> {
        _read { yield box.stored.pendingInvocations }
        _modify {
            unique()
            yield &box.stored.pendingInvocations
        }
    }

    /// Contacts waiting in a queue (not yet assigned, chat not ended), by contact id: what routing looks at.
    public internal(set) var waiting: TreeDictionary<Identifier, QueuePosition> {
        _read { yield box.stored.waiting }
        _modify {
            unique()
            yield &box.stored.waiting
        }
    }

    /// Agent credentials, sessions and event feeds (the agent desktop).
    public internal(set) var agentDesk: AgentDesk {
        _read { yield box.stored.agentDesk }
        _modify {
            unique()
            yield &box.stored.agentDesk
        }
    }

    /// The open deadlines in firing order (derived from `timers`, kept in step by `apply`, rebuilt when a snapshot
    /// loads), so that neither the scheduler nor a chat's end has to scan every timer.
    public private(set) var deadlines: DeadlineIndex {
        _read { yield box.stored.deadlines }
        _modify {
            unique()
            yield &box.stored.deadlines
        }
    }

    /// Copies the fields if another state shares them, so they can change.
    @inline(__always) private mutating func unique() {
        if !isKnownUniquelyReferenced(&box) { copyBox() }
    }

    /// Gives the state a box of its own. Not inlined into the accessors, as in `TieredSlot`: a copy of the fields in
    /// their frames would make each of their calls allocate its frame on the heap.
    @inline(never)
    private mutating func copyBox() { box = Box(box.stored) }

    /// Whether two states hold equal fields.
    public static func == (left: ChatState, right: ChatState) -> Bool {
        left.box === right.box || left.box.stored == right.box.stored
    }

    /// An empty state.
    public init() {}

    /// The earliest open deadline.
    public var earliestDeadline: Int64? { deadlines.first?.deadline }

    /// Arms `key` for `deadline`, replacing the deadline it had.
    mutating func setTimer(_ key: TimerKey, deadline: Int64) {
        if let replaced = timers.updateValue(deadline, forKey: key) {
            guard replaced != deadline else { return }
            deadlines.remove(DeadlineIndex.Entry(replaced, key))
        }
        deadlines.insert(DeadlineIndex.Entry(deadline, key))
    }

    /// Removes a deadline.
    mutating func removeTimer(_ key: TimerKey) {
        guard let removed = timers.removeValue(forKey: key) else { return }
        deadlines.remove(DeadlineIndex.Entry(removed, key))
    }

    /// `deadlines` from `timers` (after a snapshot loads).
    mutating func rebuildDeadlines() {
        deadlines = DeadlineIndex(timers.lazy.map { DeadlineIndex.Entry($0.value, $0.key) })
    }

    /// Whether `chat` accepts actions at `now`: not ended, not past its ceiling, and not past its connect window
    /// without a customer connection. A deadline that is due counts even before the scheduler fires it.
    public func isActive(_ chat: ChatSession, at now: Int64) -> Bool {
        isActive(chat.chatId, open: chat.isActive(at: now), customerConnected: chat.customerConnected, at: now)
    }

    /// `isActive(_:at:)` from the fields it reads, for a caller that reads the chat in place: `open` is the chat's
    /// `isActive(at: now)`.
    func isActive(_ chatId: Identifier, open: Bool, customerConnected: Bool, at now: Int64) -> Bool {
        guard open else { return false }
        guard !customerConnected, let window = timers[TimerKey(.connectWindow, chat: chatId)] else { return true }
        return now < window
    }

    /// Chats active at `now`: `activeChats` less those whose ceiling or connect window is due but not fired yet.
    public func activeChatCount(at now: Int64) -> Int64 {
        var overdue: Set<Identifier> = []
        for entry in deadlines {
            guard entry.deadline <= now else { break }
            let key = entry.key
            guard key.kind == .chatCeiling || key.kind == .connectWindow, let chat = chats[key.chatId],
                chat.status == .active, !isActive(chat, at: now)
            else { continue }
            overdue.insert(key.chatId)
        }
        return activeChats - Int64(overdue.count)
    }

    /// The chat a contact belongs to.
    public func chat(ofContact contactId: Identifier) -> ChatSession? {
        contacts[contactId].flatMap { chats[$0.chatId] }
    }
}

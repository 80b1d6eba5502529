import Crypto
import Foundation
import HashTreeCollections

/// `GetTranscript`'s request, with the API's field names.
public struct TranscriptRequest: Sendable, Equatable {
    /// `StartPosition`: exactly one of the three.
    public struct StartPosition: Sendable, Equatable {
        /// `Id`.
        public var id: String?
        /// `AbsoluteTime`.
        public var absoluteTime: String?
        /// `MostRecent`.
        public var mostRecent: Int?

        /// Creates a start position.
        public init(id: String? = nil, absoluteTime: String? = nil, mostRecent: Int? = nil) {
            self.id = id
            self.absoluteTime = absoluteTime
            self.mostRecent = mostRecent
        }
    }

    /// `ContactId`.
    public var contactId: String?
    /// `MaxResults`.
    public var maxResults: Int?
    /// `NextToken`.
    public var nextToken: String?
    /// `ScanDirection`.
    public var scanDirection: String?
    /// `SortOrder`.
    public var sortOrder: String?
    /// `StartPosition`.
    public var startPosition: StartPosition?

    /// Creates a request.
    public init(
        contactId: String? = nil,
        maxResults: Int? = nil,
        nextToken: String? = nil,
        scanDirection: String? = nil,
        sortOrder: String? = nil,
        startPosition: StartPosition? = nil
    ) {
        self.contactId = contactId
        self.maxResults = maxResults
        self.nextToken = nextToken
        self.scanDirection = scanDirection
        self.sortOrder = sortOrder
        self.startPosition = startPosition
    }
}

/// A transcript item exactly as the participant API returns it (`Item`).
public struct TranscriptItemView: Sendable, Equatable, Encodable {
    /// One `Receipts` entry.
    public struct ReceiptView: Sendable, Equatable, Encodable {
        /// `DeliveredTimestamp`.
        public var deliveredTimestamp: String?
        /// `ReadTimestamp`.
        public var readTimestamp: String?
        /// `RecipientParticipantId`.
        public var recipientParticipantId: String

        enum CodingKeys: String, CodingKey {
            case deliveredTimestamp = "DeliveredTimestamp"
            case readTimestamp = "ReadTimestamp"
            case recipientParticipantId = "RecipientParticipantId"
        }
    }

    /// `MessageMetadata`.
    public struct MessageMetadata: Sendable, Equatable, Encodable {
        /// `MessageId`.
        public var messageId: String
        /// `Receipts`.
        public var receipts: [ReceiptView]

        enum CodingKeys: String, CodingKey {
            case messageId = "MessageId"
            case receipts = "Receipts"
        }
    }

    /// `Id`.
    public var id: String
    /// `AbsoluteTime` (ISO-8601 with milliseconds).
    public var absoluteTime: String
    /// `Content`.
    public var content: String?
    /// `ContentType`.
    public var contentType: String
    /// `Type`.
    public var type: String
    /// `ParticipantId`.
    public var participantId: String?
    /// `DisplayName`.
    public var displayName: String?
    /// `ParticipantRole`.
    public var participantRole: String?
    /// `MessageMetadata`.
    public var messageMetadata: MessageMetadata?
    /// `ContactId` (items of the current session).
    public var contactId: String?
    /// `RelatedContactId` (items of a past, rehydrated session).
    public var relatedContactId: String?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case absoluteTime = "AbsoluteTime"
        case content = "Content"
        case contentType = "ContentType"
        case type = "Type"
        case participantId = "ParticipantId"
        case displayName = "DisplayName"
        case participantRole = "ParticipantRole"
        case messageMetadata = "MessageMetadata"
        case contactId = "ContactId"
        case relatedContactId = "RelatedContactId"
    }

    /// Renders a stored item; `past` marks items of a rehydrated session.
    public init(_ item: TranscriptItem, past: Bool) {
        id = item.id.description
        absoluteTime = ISOTime.format(item.timestamp)
        content = item.content
        contentType = item.contentType
        type = item.type
        participantId = item.participantId?.description
        displayName = item.displayName ?? (item.role == .system ? "SYSTEM_MESSAGE" : nil)
        participantRole = item.role?.description
        if item.type == "MESSAGE", !item.receipts.isEmpty {
            messageMetadata = MessageMetadata(
                messageId: item.id.description,
                receipts: item.receipts.sorted { $0.key < $1.key }.map { recipient, receipt in
                    ReceiptView(
                        deliveredTimestamp: receipt.deliveredAt.map(ISOTime.format),
                        readTimestamp: receipt.readAt.map(ISOTime.format),
                        recipientParticipantId: recipient.description
                    )
                }
            )
        }
        if past {
            relatedContactId = item.contactId.description
        } else {
            contactId = item.contactId.description
        }
    }
}

/// One page of a transcript.
public struct TranscriptPage: Sendable, Equatable {
    /// `InitialContactId`.
    public var initialContactId: String
    /// `Transcript`.
    public var items: [TranscriptItemView]
    /// `NextToken`.
    public var nextToken: String?
}

/// Read-only questions answered from a published snapshot.
public enum ChatQueries {
    /// The chat, participant and connection behind a ConnectionToken that has not expired at `now`.
    public static func resolveConnection(
        _ token: String,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> (ChatSession, Participant, Connection) {
        guard let target = state.connectionTarget(ofToken: token), let connectionId = target.connectionId,
            let chat = state.chats[target.chatId], let connection = chat.connections[connectionId],
            let participant = chat.participants[target.participantId]
        else { throw invalidConnectionToken }
        guard now < connection.expiry else { throw expiredConnectionToken }
        return (chat, participant, connection)
    }

    /// The answer to a ConnectionToken that names no connection.
    static var invalidConnectionToken: ChatError { ChatError(.accessDenied, "the connection token is not valid") }

    /// The answer to a ConnectionToken whose connection expired.
    static var expiredConnectionToken: ChatError {
        ChatError(.accessDenied, "the connection token expired; call CreateParticipantConnection again")
    }

    /// The stored items of one contact segment, in time order.
    public static func items(ofContact contactId: Identifier, in state: ChatState) -> [TranscriptItem] {
        guard let chat = state.chat(ofContact: contactId) else { return [] }
        return chat.items.filter { $0.contactId == contactId }
    }

    /// `GetTranscript` for the holder of `connectionToken`.
    public static func transcript(
        connectionToken: String,
        request: TranscriptRequest,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> TranscriptPage {
        let (chat, _, _) = try resolveConnection(connectionToken, in: state, now: now)
        if let contactText = request.contactId {
            guard let contactId = Identifier(contactText), chat.contactIds.contains(contactId) else {
                if let contactId = Identifier(contactText), chat.rehydration?.pastContactIds.contains(contactId) == true
                {
                    throw ChatError(.validation, "ContactId filters are not supported for past-session contacts")
                }
                throw ChatError(.validation, "contact \(contactText) is not part of this chat")
            }
        }
        let limit = request.maxResults ?? ChatLimits.transcriptDefaultResults
        guard ChatLimits.transcriptMaxResults.contains(limit) else {
            throw ChatError(.validation, "MaxResults must be 0–100")
        }
        let ascending: Bool
        switch request.sortOrder {
        case nil, "DESCENDING": ascending = false
        case "ASCENDING": ascending = true
        case let other?: throw ChatError(.validation, "SortOrder must be ASCENDING or DESCENDING, not \(other)")
        }
        var forward: Bool
        switch request.scanDirection {
        case nil: forward = request.startPosition != nil
        case "FORWARD": forward = true
        case "BACKWARD": forward = false
        case let other?: throw ChatError(.validation, "ScanDirection must be FORWARD or BACKWARD, not \(other)")
        }

        var past: [TranscriptItem] = []
        for contactId in chat.rehydration?.pastContactIds ?? [] { past += items(ofContact: contactId, in: state) }
        let current = chat.items
        let total = past.count + current.count
        let boundary = past.count

        let anchor: Int?
        if let token = request.nextToken {
            guard let parsed = PageToken(token), parsed.chatId == chat.chatId, (0..<total).contains(parsed.index)
            else { throw ChatError(.validation, "NextToken is not valid for this chat") }
            forward = parsed.forward
            anchor = parsed.index
        } else if let position = request.startPosition {
            anchor = try self.anchor(position, in: current, forward: forward).map { $0 + boundary }
        } else {
            anchor = forward ? nil : (total > 0 ? total - 1 : nil)
        }

        var indices: [Int] = []
        var next: PageToken?
        if let anchor, limit > 0 {
            if forward {
                let end = anchor < boundary ? boundary : total
                let last = min(anchor + limit, end)
                indices = Array(anchor..<last)
                if last < total { next = PageToken(chatId: chat.chatId, forward: true, index: last) }
            } else {
                let floor = anchor >= boundary ? boundary : 0
                let first = max(anchor - limit + 1, floor)
                indices = Array((first...anchor).reversed())
                if first > 0 { next = PageToken(chatId: chat.chatId, forward: false, index: first - 1) }
            }
        }
        indices.sort()
        if !ascending { indices.reverse() }
        let views = indices.map { index in
            index < boundary
                ? TranscriptItemView(past[index], past: true)
                : TranscriptItemView(current[index - boundary], past: false)
        }
        return TranscriptPage(initialContactId: chat.chatId.description, items: views, nextToken: next?.text)
    }

    private static func anchor(
        _ position: TranscriptRequest.StartPosition,
        in items: ChunkedArray<TranscriptItem>,
        forward: Bool
    ) throws(ChatError) -> Int? {
        let given = [position.id != nil, position.absoluteTime != nil, position.mostRecent != nil].filter { $0 }
        guard given.count == 1 else {
            throw ChatError(.validation, "StartPosition needs exactly one of Id, AbsoluteTime and MostRecent")
        }
        if let id = position.id {
            guard let wanted = Identifier(id), let index = items.firstIndex(where: { $0.id == wanted }) else {
                throw ChatError(.validation, "StartPosition.Id \(id.prefix(256)) is not an item of this chat")
            }
            return index
        }
        if let text = position.absoluteTime {
            guard let time = ISOTime.parse(text) else {
                throw ChatError(.validation, "StartPosition.AbsoluteTime \(text.prefix(100)) is not an ISO-8601 time")
            }
            return forward ? items.firstIndex { $0.timestamp >= time } : items.lastIndex { $0.timestamp <= time }
        }
        let mostRecent = position.mostRecent ?? 0
        guard (0...100).contains(mostRecent) else {
            throw ChatError(.validation, "StartPosition.MostRecent must be 0–100")
        }
        return items.isEmpty ? nil : max(0, items.count - 1 - mostRecent)
    }

    /// `GetContactAttributes`.
    public static func contactAttributes(
        instanceId: String,
        contactId: String,
        in state: ChatState
    ) throws(ChatError) -> [String: String] {
        guard let instance = state.instance, instance.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let id = Identifier(contactId), let contact = state.contacts[id] else {
            throw ChatError(.resourceNotFound, "contact \(contactId) does not exist", resourceType: "CONTACT")
        }
        return contact.attributes
    }
}

/// A GetTranscript continuation: which chat, which way, from which item.
struct PageToken {
    var chatId: Identifier
    var forward: Bool
    var index: Int

    init(chatId: Identifier, forward: Bool, index: Int) {
        self.chatId = chatId
        self.forward = forward
        self.index = index
    }

    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 4, parts[0] == "pt1", let chat = Identifier(String(parts[1])),
            parts[2] == "F" || parts[2] == "B", let index = Int(parts[3])
        else { return nil }
        self.init(chatId: chat, forward: parts[2] == "F", index: index)
    }

    var text: String { "pt1.\(chatId).\(forward ? "F" : "B").\(index)" }
}

// MARK: - State hash and summary

/// Hashes of the projections, computed over a canonical encoding (sorted keys), so equal states always hash
/// equally, in any process.
public struct StateHash: Sendable, Equatable, Encodable {
    /// SHA-256 (hex) per projection.
    public var projections: [String: String]
    /// SHA-256 (hex) over all projection hashes.
    public var combined: String
}

extension ChatState {
    /// The billable messages sent in contact segment `contactId` (its chat counts them), or nil for an unknown contact.
    public func billableMessages(ofContact contactId: Identifier) -> Int64? {
        guard let chatId = contacts[contactId]?.chatId, let chat = chats[chatId] else { return nil }
        guard let segment = chat.contactIds.lastIndex(of: contactId) else { return 0 }
        return chat.contactBillableMessages[segment]
    }
}

extension ChatState {
    private struct Tokens: Encodable {
        var participant: TreeDictionary<String, TokenTarget>
        var connection: TieredMap<String, TokenTarget>
        var websocket: TreeDictionary<String, TokenTarget>
        var start: TieredMap<String, Identifier>
    }

    private struct Timers: Encodable {
        var open: TreeDictionary<TimerKey, Int64>
        var fired: Int64
    }

    private struct Routing: Encodable {
        var agents: TreeDictionary<String, AgentSession>
        var profiles: TreeDictionary<String, RoutingProfile>
        var users: TreeDictionary<String, AgentUser>
        var statuses: TreeDictionary<String, AgentStatus>
        var waiting: TreeDictionary<Identifier, QueuePosition>
    }

    private struct Resources: Encodable {
        var flows: TreeDictionary<String, FlowResource>
        var queues: TreeDictionary<String, QueueResource>
        var lambdaFunctions: TreeDictionary<String, String>
        var pendingInvocations: TreeDictionary<Identifier, PendingInvocation>
    }

    private struct Meta: Encodable {
        var instance: InstanceSettings?
        var activeChats: Int64
        var lastTimestamp: Int64
        var eventCount: Int64
    }

    /// The hash of every projection (contacts, chats with participants and transcripts, tokens, timers, billing).
    public func stateHash() -> StateHash {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func digest(_ value: some Encodable) -> String {
            let data = (try? encoder.encode(value)) ?? Data()
            return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        let projections = [
            "contacts": digest(contacts),
            "chats": digest(chats),
            "tokens": digest(
                Tokens(
                    participant: participantTokens,
                    connection: connectionTokens,
                    websocket: websocketTokens,
                    start: startTokens
                )
            ),
            "timers": digest(Timers(open: timers, fired: timersFired)),
            "billing": digest(billing),
            "bots": digest(bots),
            "hours": digest(hoursOfOperations),
            "routing": digest(
                Routing(
                    agents: agents,
                    profiles: routingProfiles,
                    users: users,
                    statuses: agentStatuses,
                    waiting: waiting
                )
            ),
            "agentDesk": digest(agentDesk),
            "flows": digest(
                Resources(
                    flows: flows,
                    queues: queues,
                    lambdaFunctions: lambdaFunctions,
                    pendingInvocations: pendingInvocations
                )
            ),
            "meta": digest(
                Meta(instance: instance, activeChats: activeChats, lastTimestamp: lastTimestamp, eventCount: eventCount)
            ),
        ]
        let joined = projections.keys.sorted().map { "\($0)=\(projections[$0]!)" }.joined(separator: "\n")
        let combined = SHA256.hash(data: Data(joined.utf8)).map { String(format: "%02x", $0) }.joined()
        return StateHash(projections: projections, combined: combined)
    }
}

/// What `parley replay` prints: the state as of an instant.
public struct ReplaySummary: Sendable, Encodable {
    /// A deadline at or before the instant that had not fired.
    public struct OverdueTimer: Sendable, Encodable {
        /// The timer.
        public var timer: String
        /// Its deadline (ISO-8601).
        public var deadline: String
        /// What firing it will do.
        public var effect: String
    }

    /// The instant (ISO-8601), or nil for the end of the log.
    public var asOf: String?
    /// The last sequence applied.
    public var position: UInt64
    /// Events applied.
    public var events: Int64
    /// The time of the last event applied.
    public var lastEventTime: String?
    /// The instance.
    public var instanceId: String?
    /// Contact segments by status, as of the instant (a chat past its ceiling counts as ended).
    public var contactsByState: [String: Int]
    /// Chats by status, as of the instant.
    public var chatsByState: [String: Int]
    /// Chats whose end was due but not recorded yet (overdue ceiling or connect window).
    public var chatsEndedByOverdueTimers: Int
    /// Participants still in a chat.
    public var participantsPresent: Int
    /// Transcript items.
    public var transcriptItems: Int
    /// Billable messages by month.
    public var billableMessagesByMonth: [String: Int64]
    /// Open deadlines.
    public var openTimers: Int
    /// Deadlines ≤ the instant without a recorded firing.
    public var overdueTimers: [OverdueTimer]
    /// Timers fired.
    public var timersFired: Int64
    /// The state hash.
    public var stateHash: StateHash

    /// Summarises `state` (replayed up to `position`) as of `asOf` (µs; nil = the time of the last event).
    public init(state: ChatState, position: UInt64, asOf: Int64?) {
        let instant = asOf ?? state.lastTimestamp
        self.asOf = asOf.map(ISOTime.format)
        self.position = position
        events = state.eventCount
        lastEventTime = state.eventCount > 0 ? ISOTime.format(state.lastTimestamp) : nil
        instanceId = state.instance?.instanceId
        var overdue: [OverdueTimer] = []
        var endedByTimer: Set<Identifier> = []
        for entry in state.deadlines {
            guard entry.deadline <= instant else { break }
            let (key, deadline) = (entry.key, entry.deadline)
            let chat = state.chats[key.chatId]
            let effect: String
            switch key.kind {
            case .chatCeiling:
                effect = "chat ends (EXPIRED)"
                endedByTimer.insert(key.chatId)
            case .connectWindow:
                if chat?.customerConnected == false {
                    effect = "chat ends (CUSTOMER_CONNECTION_NOT_ESTABLISHED)"
                    endedByTimer.insert(key.chatId)
                } else {
                    effect = "none (the customer connected)"
                }
            case .participantIdle: effect = "participant becomes idle"
            case .participantDisconnect: effect = "non-customer participants are disconnected (IDLE_DISCONNECT)"
            case .flowWait: effect = "the flow's Wait takes its Time expired branch"
            case .offer: effect = "the offer is missed (AGENT_NON_RESPONSE) and the contact goes back to its queue"
            case .afterContactWork: effect = "the agent's after-contact work ends"
            case .queueDelay: effect = "a routing profile's queue delay passes and routing runs"
            }
            overdue.append(OverdueTimer(timer: key.description, deadline: ISOTime.format(deadline), effect: effect))
        }
        overdueTimers = overdue
        chatsEndedByOverdueTimers = endedByTimer.count
        var contactStates: [String: Int] = [:]
        for contact in state.contacts.values {
            let ended = endedByTimer.contains(contact.chatId)
            contactStates[(ended ? ContactStatus.ended : contact.status).description, default: 0] += 1
        }
        contactsByState = contactStates
        var chatStates: [String: Int] = [:]
        var present = 0
        var items = 0
        for chat in state.chats.values {
            let ended = chat.status == .ended || endedByTimer.contains(chat.chatId)
            chatStates[ended ? "ENDED" : "ACTIVE", default: 0] += 1
            if !ended { present += chat.participants.values.filter(\.isPresent).count }
            items += chat.items.count
        }
        chatsByState = chatStates
        participantsPresent = present
        transcriptItems = items
        billableMessagesByMonth = state.billing.messagesByMonth
        openTimers = state.timers.count
        timersFired = state.timersFired
        stateHash = state.stateHash()
    }
}

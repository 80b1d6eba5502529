// Routing (connect-chat.md §6): agents set statuses; waiting contacts are offered to the agent idle longest whose
// routing profile has a free chat slot and takes the queue (priority beats delay); offers are accepted, rejected
// or missed after 20 s; after the conversation the slot stays in after-contact work until cleared or its limit.

/// What a slot of an agent holds.
public enum AgentSlotState: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// Offered, ringing (`CONNECTING`).
    case offered = 1
    /// In the conversation (`CONNECTED`).
    case connected = 2
    /// After-contact work (`ENDED` for the agent).
    case afterContactWork = 3
    /// The offer was missed (`MISSED`); the slot stays taken until the agent sets a status again.
    case missed = 4
    /// The agent rejected the offer (`REJECTED`); the slot stays taken until the agent sets a status again.
    case rejected = 5

    /// The agent-side contact state.
    public var description: String {
        switch self {
        case .offered: "CONNECTING"
        case .connected: "CONNECTED"
        case .afterContactWork: "ENDED"
        case .missed: "MISSED"
        case .rejected: "REJECTED"
        }
    }
}

/// One contact an agent holds, and since when.
public struct AgentSlot: Sendable, Equatable, Encodable {
    /// Its state.
    public var state: AgentSlotState
    /// Since when (µs).
    public var since: Int64
}

/// An agent's live routing state.
public struct AgentSession: Sendable, Equatable, Encodable {
    /// The user.
    public var userId: String
    /// The status set last (nil: never set — offline).
    public var statusId: String?
    /// Its type.
    public var statusType: AgentStatusType
    /// When the status was set (µs).
    public var statusSince: Int64
    /// Set after a missed or rejected offer; blocks routing until the agent sets a status again (which also frees
    /// the missed and rejected slots).
    public var errorSince: Int64?
    /// When the agent last finished or was offered something (µs): the agent idle longest is offered first.
    public var lastActivity: Int64
    /// Contacts held, by contact id.
    public var slots: [Identifier: AgentSlot]
}

/// Agent status changes, offers and after-contact work. Tags 0x0143–0x0147.
public struct AgentStatusChanged: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0143
    public static let name = "AgentStatusChanged"
    public static let currentVersion: UInt8 = 1
    /// The agent.
    public var userId: String
    /// The status set.
    public var statusId: String
    /// Its type (recorded so replay needs no lookup).
    public var statusType: AgentStatusType

    /// Creates the event.
    public init(userId: String, statusId: String, statusType: AgentStatusType) {
        self.userId = userId
        self.statusId = statusId
        self.statusType = statusType
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: userId)
        writer.write(string: statusId)
        writer.write(enumeration: statusType)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            userId: try reader.readString(),
            statusId: try reader.readString(),
            statusType: try reader.readEnumeration(AgentStatusType.self)
        )
    }
}

/// A contact was offered to an agent (a routing decision).
public struct ContactOffered: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0144
    public static let name = "ContactOffered"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The agent.
    public var userId: String
    /// The queue it came from.
    public var queueId: String

    /// Creates the event.
    public init(contactId: Identifier, userId: String, queueId: String) {
        self.contactId = contactId
        self.userId = userId
        self.queueId = queueId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: userId)
        writer.write(string: queueId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), userId: try reader.readString(), queueId: try reader.readString())
    }
}

/// How an offer ended without the agent taking the contact.
public enum OfferOutcome: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// Not accepted within 20 s (`AGENT_NON_RESPONSE`).
    case missed = 1
    /// Rejected by the agent.
    case rejected = 2
    /// The customer left while it was offered.
    case abandoned = 3

    /// `MISSED`, `REJECTED` or `ABANDONED`.
    public var description: String {
        switch self {
        case .missed: "MISSED"
        case .rejected: "REJECTED"
        case .abandoned: "ABANDONED"
        }
    }
}

/// An offer ended: accepted (`outcome` nil) or not.
public struct OfferEnded: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0145
    public static let name = "OfferEnded"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The agent.
    public var userId: String
    /// nil: accepted.
    public var outcome: OfferOutcome?

    /// Creates the event.
    public init(contactId: Identifier, userId: String, outcome: OfferOutcome?) {
        self.contactId = contactId
        self.userId = userId
        self.outcome = outcome
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: userId)
        writer.write(optionalEnumeration: outcome)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            userId: try reader.readString(),
            outcome: try reader.readOptionalEnumeration(OfferOutcome.self)
        )
    }
}

/// The agent's slot went into after-contact work (`started`) or was cleared.
public struct AfterContactWorkChanged: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0146
    public static let name = "AfterContactWorkChanged"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The agent.
    public var userId: String
    /// true: ACW began; false: the slot was cleared.
    public var started: Bool

    /// Creates the event.
    public init(contactId: Identifier, userId: String, started: Bool) {
        self.contactId = contactId
        self.userId = userId
        self.started = started
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: userId)
        writer.write(bool: started)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), userId: try reader.readString(), started: try reader.readBool())
    }
}

/// Routing constants.
public enum RoutingTimes {
    /// A chat offer rings this long before it is missed.
    public static let offer: Microseconds = 20 * Duration.second
}

extension ChatMachine {
    /// Folds the routing events.
    static func applyRouting(_ event: ChatEvent, at timestamp: Int64, to state: inout ChatState) {
        switch event {
        case .agentStatusChanged(let event):
            var session =
                state.agents[event.userId]
                ?? AgentSession(
                    userId: event.userId,
                    statusType: .offline,
                    statusSince: timestamp,
                    lastActivity: timestamp,
                    slots: [:]
                )
            if session.statusType != .routable, event.statusType == .routable { session.lastActivity = timestamp }
            session.statusId = event.statusId
            session.statusType = event.statusType
            session.statusSince = timestamp
            session.errorSince = nil
            session.slots = session.slots.filter { $0.value.state != .missed && $0.value.state != .rejected }
            state.agents[event.userId] = session
            appendAgentFeed(
                event.userId,
                AgentFeedEntry(kind: .status, state: event.statusType.description, statusId: event.statusId),
                at: timestamp,
                to: &state
            )
        case .contactOffered(let event):
            state.agents[event.userId]?.slots[event.contactId] = AgentSlot(state: .offered, since: timestamp)
            state.agents[event.userId]?.lastActivity = timestamp
            state.contacts.update(event.contactId) { $0.offeredTo = event.userId }
            appendAgentFeed(
                event.userId,
                AgentFeedEntry(contactId: event.contactId, state: "CONNECTING", queueId: event.queueId),
                at: timestamp,
                to: &state
            )
        case .offerEnded(let event):
            state.contacts.update(event.contactId) { $0.offeredTo = nil }
            switch event.outcome {
            case nil:
                state.agents[event.userId]?.slots[event.contactId] = AgentSlot(state: .connected, since: timestamp)
            case .missed?, .rejected?:
                let slot: AgentSlotState = event.outcome == .missed ? .missed : .rejected
                state.agents[event.userId]?.slots[event.contactId] = AgentSlot(state: slot, since: timestamp)
                state.agents[event.userId]?.errorSince = timestamp
                let reason = event.outcome == .missed ? "AGENT_NON_RESPONSE" : "AGENT_REJECTED"
                appendAgentFeed(
                    event.userId,
                    AgentFeedEntry(contactId: event.contactId, state: slot.description, reason: reason),
                    at: timestamp,
                    to: &state
                )
            case .abandoned?:
                state.agents[event.userId]?.slots[event.contactId] = nil
                appendAgentFeed(
                    event.userId,
                    AgentFeedEntry(contactId: event.contactId, state: "REJECTED", reason: "CUSTOMER_ABANDONED"),
                    at: timestamp,
                    to: &state
                )
            }
        case .afterContactWorkChanged(let event):
            if event.started {
                state.agents[event.userId]?.slots[event.contactId] = AgentSlot(
                    state: .afterContactWork,
                    since: timestamp
                )
            } else {
                state.agents[event.userId]?.slots[event.contactId] = nil
                state.agents[event.userId]?.lastActivity = timestamp
            }
            appendAgentFeed(
                event.userId,
                AgentFeedEntry(contactId: event.contactId, state: event.started ? "ENDED" : "CLEARED"),
                at: timestamp,
                to: &state
            )
        default:
            applyRoutingResources(event, at: timestamp, to: &state)
        }
    }
}

extension Transaction {
    /// `PutUserStatus`.
    mutating func setAgentStatus(
        _ instanceId: String,
        _ userId: String,
        _ statusId: String
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard state.users[userId] != nil else {
            throw ChatError(
                .resourceNotFound,
                "user \(userId) does not exist",
                resourceId: userId,
                resourceType: "USER"
            )
        }
        guard let status = state.agentStatuses[statusId] else {
            throw ChatError(.resourceNotFound, "agent status \(statusId) does not exist", resourceType: "AGENT_STATUS")
        }
        guard status.enabled else { throw ChatError(.invalidRequest, "agent status \(status.name) is disabled") }
        emit(.agentStatusChanged(AgentStatusChanged(userId: userId, statusId: statusId, statusType: status.type)))
        return .done
    }

    /// The agent accepts the contact offered to it: it joins the chat.
    mutating func acceptContact(_ userId: String, _ contactId: String) throws(ChatError) -> ChatReply {
        let (contact, user) = try offer(userId, contactId)
        cancelTimer(TimerKey(.offer, chat: contact.chatId, participant: contact.contactId))
        emit(.offerEnded(OfferEnded(contactId: contact.contactId, userId: userId, outcome: nil)))
        return try join(contactId, role: .agent, displayName: user.username, agentId: userId)
    }

    /// The agent rejects the contact offered to it: it goes back to its queue and the agent into the error state.
    mutating func rejectContact(_ userId: String, _ contactId: String) throws(ChatError) -> ChatReply {
        let (contact, _) = try offer(userId, contactId)
        cancelTimer(TimerKey(.offer, chat: contact.chatId, participant: contact.contactId))
        emit(.offerEnded(OfferEnded(contactId: contact.contactId, userId: userId, outcome: .rejected)))
        return .done
    }

    func offer(_ userId: String, _ contactText: String) throws(ChatError) -> (ContactRecord, AgentUser) {
        guard let user = state.users[userId] else {
            throw ChatError(.resourceNotFound, "user \(userId) does not exist", resourceType: "USER")
        }
        let contact = try contact(contactText)
        guard contact.offeredTo == userId, state.agents[userId]?.slots[contact.contactId]?.state == .offered else {
            throw ChatError(.invalidRequest, "contact \(contactText) is not offered to \(userId)")
        }
        return (contact, user)
    }

    /// The agent clears after-contact work.
    mutating func clearAfterContactWork(_ userId: String, _ contactId: String) throws(ChatError) -> ChatReply {
        guard let id = Identifier(contactId), state.agents[userId]?.slots[id]?.state == .afterContactWork else {
            throw ChatError(.invalidRequest, "\(userId) is not in after-contact work for \(contactId)")
        }
        if let chatId = state.contacts[id]?.chatId {
            cancelTimer(TimerKey(.afterContactWork, chat: chatId, participant: id))
        }
        emit(.afterContactWorkChanged(AfterContactWorkChanged(contactId: id, userId: userId, started: false)))
        return .done
    }

    /// The agent's participant left a contact it was connected to: its slot goes into after-contact work.
    mutating func agentLeftContact(_ contactId: Identifier) {
        guard let contact = state.contacts[contactId], let userId = contact.agentId,
            state.agents[userId]?.slots[contactId]?.state == .connected
        else { return }
        emit(.afterContactWorkChanged(AfterContactWorkChanged(contactId: contactId, userId: userId, started: true)))
        if let limit = state.users[userId]?.afterContactWorkSeconds, limit > 0 {
            let key = TimerKey(.afterContactWork, chat: contact.chatId, participant: contactId)
            emit(.timerArmed(TimerArmed(key: key, deadline: now + limit * Duration.second)))
        }
    }

    /// Offers withdrawn from contacts whose chat ended or that left their queue.
    mutating func withdrawStaleOffers() {
        for session in state.agents.values {
            for (contactId, slot) in session.slots where slot.state == .offered {
                guard let contact = state.contacts[contactId], contact.offeredTo == session.userId else { continue }
                let waiting = contact.queued != nil && state.chats[contact.chatId]?.isActive(at: now) == true
                if !waiting {
                    emit(.offerEnded(OfferEnded(contactId: contactId, userId: session.userId, outcome: .abandoned)))
                }
            }
        }
    }

    /// Offers waiting contacts to available agents until no more offer can be made, then keeps each waiting
    /// contact's queue-delay deadline.
    mutating func route() {
        guard !state.agents.isEmpty else { return }
        withdrawStaleOffers()
        var offers = 0
        while offers < 1_000, let (userId, contactId, queueId) = nextOffer() {
            offers += 1
            emit(.contactOffered(ContactOffered(contactId: contactId, userId: userId, queueId: queueId)))
            guard let contact = state.contacts[contactId] else { continue }
            cancelTimer(TimerKey(.queueDelay, chat: contact.chatId, participant: contactId))
            if state.users[userId]?.autoAccept == true {
                emit(.offerEnded(OfferEnded(contactId: contactId, userId: userId, outcome: nil)))
                _ = try? join(
                    contactId.description,
                    role: .agent,
                    displayName: state.users[userId]?.username ?? userId,
                    agentId: userId
                )
            } else {
                let key = TimerKey(.offer, chat: contact.chatId, participant: contactId)
                emit(.timerArmed(TimerArmed(key: key, deadline: now + RoutingTimes.offer)))
            }
        }
        armQueueDelays()
    }

    /// What routing reads of a waiting contact.
    struct RoutableContact {
        /// The contact.
        var contactId: Identifier
        /// Its chat.
        var chatId: Identifier
        /// Its queue, and since when.
        var queued: QueuePosition
        /// `queuePriority` of the contact.
        var queuePriority: Int64
        /// `queueTimeAdjustmentSeconds` of the contact.
        var queueTimeAdjustmentSeconds: Int64
    }

    /// Contacts that routing may offer: waiting in a queue, not offered, their chat active and on this contact; of
    /// those waiting, only the ones whose queue position `include` accepts.
    ///
    /// Each contact and chat is read where it lies, field by field: copying every waiting contact's record (as this
    /// did) retained and released each of its references, on every routing pass, so a pass with a few thousand
    /// waiting contacts cost milliseconds. See docs/performance.md, "2026-11-24 (seventh session)".
    func routableContacts(where include: (QueuePosition) -> Bool = { _ in true }) -> [RoutableContact] {
        var routable: [RoutableContact] = []
        for (contactId, position) in state.waiting where include(position) {
            let read = state.contacts[slot: contactId]?.withPointer { contact -> RoutableContact? in
                guard let queued = contact.pointee.queued, contact.pointee.offeredTo == nil else { return nil }
                return RoutableContact(
                    contactId: contactId,
                    chatId: contact.pointee.chatId,
                    queued: queued,
                    queuePriority: contact.pointee.queuePriority,
                    queueTimeAdjustmentSeconds: contact.pointee.queueTimeAdjustmentSeconds
                )
            }
            guard let contact = read ?? nil else { continue }
            let onThisContact = state.chats[slot: contact.chatId]?.withPointer { chat in
                ChatSession.isActive(chat.pointee.status, chat.pointee.expiresAt, at: now)
                    && chat.pointee.currentContactId == contactId
            }
            if onThisContact == true { routable.append(contact) }
        }
        return routable
    }

    /// A queue delay is a deadline: each waiting contact whose queue some routing profile takes only after a delay
    /// gets a `queueDelay` deadline at the next instant such a delay passes, so routing runs then even if nothing
    /// else happens. Stale ones are withdrawn.
    ///
    /// Only contacts in a queue that some profile delays are read, and the waiting contacts' keys are looked up for
    /// stale deadlines only while any queue delay is open: most instances delay no queue, and then a pass costs no
    /// more than reading the profiles, however many contacts wait.
    mutating func armQueueDelays() {
        let current = nextTimestamp
        // The delays some profile sets on each queue.
        var delays: [String: [Int64]] = [:]
        for profile in state.routingProfiles.values {
            for config in profile.queues where config.delaySeconds > 0 {
                delays[config.queueId, default: []].append(config.delaySeconds)
            }
        }
        var wanted: [TimerKey: Int64] = [:]
        if !delays.isEmpty {
            for contact in routableContacts(where: { !$0.queueId.hasPrefix("agent/") && delays[$0.queueId] != nil }) {
                let position = contact.queued
                guard let queueDelays = delays[position.queueId] else { continue }
                var next: Int64?
                for delay in queueDelays {
                    let due = position.since + delay * Duration.second
                    if due > current { next = min(next ?? due, due) }
                }
                if let next {
                    wanted[TimerKey(.queueDelay, chat: contact.chatId, participant: contact.contactId)] = next
                }
            }
        }
        for (key, deadline) in wanted.sorted(by: { $0.key < $1.key }) where state.timers[key] != deadline {
            emit(.timerArmed(TimerArmed(key: key, deadline: deadline)))
        }
        // A contact that left the queue had its deadline withdrawn when it was offered or its chat ended; one
        // still waiting whose delay no longer applies (a profile changed) loses it here. With no queue delay open
        // (the events just emitted included), there is none to withdraw.
        guard state.deadlines.queueDelayCount > 0 else { return }
        for (contactId, _) in state.waiting {
            guard let chatId = state.contacts[contactId]?.chatId else { continue }
            let key = TimerKey(.queueDelay, chat: chatId, participant: contactId)
            if wanted[key] == nil { cancelTimer(key) }
        }
    }

    /// The next routing decision: the agent idle longest with a free slot takes the best contact of its queues.
    func nextOffer() -> (String, Identifier, String)? {
        // Usually nobody waits, or no agent is free: each is checked before the waiting contacts are read, which can
        // number thousands while no agent is free (agents are fewer).
        guard !state.waiting.isEmpty else { return nil }
        let available = state.agents.values
            .filter { session in
                guard session.statusType == .routable, session.errorSince == nil,
                    let user = state.users[session.userId], let profile = state.routingProfiles[user.routingProfileId]
                else { return false }
                return Int64(session.slots.count) < profile.chatConcurrency
            }
            .sorted { ($0.lastActivity, $0.userId) < ($1.lastActivity, $1.userId) }
        guard !available.isEmpty else { return nil }
        let waiting = routableContacts()
        guard !waiting.isEmpty else { return nil }
        // Events of this command are stamped after `now`, so compare waiting times against the next event's time.
        let current = nextTimestamp
        for session in available {
            guard let profile = state.users[session.userId].flatMap({ state.routingProfiles[$0.routingProfileId] })
            else { continue }
            var best: (rank: (Int64, Int64, Int64, String), contact: RoutableContact, queue: String)?
            for contact in waiting {
                let position = contact.queued
                let priority: Int64
                if position.queueId == "agent/\(session.userId)" {
                    priority = 0
                } else if let config = profile.queues.first(where: { $0.queueId == position.queueId }),
                    current - position.since >= config.delaySeconds * Duration.second
                {
                    priority = config.priority
                } else {
                    continue
                }
                let age = Self.adjustedEnqueueTime(position.since, by: contact.queueTimeAdjustmentSeconds)
                let rank = (priority, contact.queuePriority, age, contact.contactId.description)
                if best == nil || rank < best!.rank { best = (rank, contact, position.queueId) }
            }
            if let best { return (session.userId, best.contact.contactId, best.queue) }
        }
        return nil
    }

    /// The enqueue time a contact is ranked by: `since` moved `seconds` earlier (a positive QueueTimeAdjustmentSeconds
    /// counts as older), held at the ends of the range rather than overflowing, since a flow may set any Int64.
    static func adjustedEnqueueTime(_ since: Int64, by seconds: Int64) -> Int64 {
        let (shift, shiftOverflow) = seconds.multipliedReportingOverflow(by: Duration.second)
        let (age, ageOverflow) = since.subtractingReportingOverflow(shift)
        guard !shiftOverflow, !ageOverflow else { return seconds > 0 ? .min : .max }
        return age
    }
}

extension ChatEvent {
    /// True for events that change nothing routing looks at: who waits, which agents are free, their queues and
    /// profiles, offers and queue-delay deadlines. A command with only such events needs no routing pass.
    var leavesRoutingAlone: Bool {
        switch self {
        case .messageSent, .eventSent, .connectionCreated, .websocketOpened, .websocketClosed,
            .participantActivityChanged, .resourceDescriptionSet:
            true
        default:
            false
        }
    }
}

/// Real-time figures of one queue on the CHAT channel, as `GetCurrentMetricData` defines them (connect-chat.md §8.1).
public struct QueueFigures: Sendable, Equatable, Encodable {
    /// The queue (or `agent/<id>`).
    public var queueId: String
    /// `AGENTS_ONLINE`: status other than Offline.
    public var agentsOnline: Int
    /// `AGENTS_AVAILABLE`: Available, no contact ongoing, not in the missed/error state.
    public var agentsAvailable: Int
    /// `AGENTS_ON_CONTACT`: connected to at least one contact.
    public var agentsOnContact: Int
    /// `AGENTS_NON_PRODUCTIVE`: in a custom status.
    public var agentsNonProductive: Int
    /// `AGENTS_AFTER_CONTACT_WORK`: at least one slot in after-contact work.
    public var agentsAfterContactWork: Int
    /// `AGENTS_ERROR`: missed or rejected an offer and not routable since.
    public var agentsError: Int
    /// `AGENTS_STAFFED`: online and not in non-productive time.
    public var agentsStaffed: Int
    /// `CONTACTS_IN_QUEUE`.
    public var contactsInQueue: Int
    /// `OLDEST_CONTACT_AGE` in ms (the API reports it in ms without groupings; see §8.1), nil when the queue is empty.
    public var oldestContactAgeMilliseconds: Int64?
    /// `CONTACTS_SCHEDULED` (Parley has no callbacks: always 0).
    public var contactsScheduled: Int
    /// `SLOTS_ACTIVE`: slots connected or in after-contact work.
    public var slotsActive: Int
    /// `SLOTS_AVAILABLE`: free chat slots of routable agents not in error (custom statuses are not counted).
    public var slotsAvailable: Int
}

extension ChatState {
    /// The agents who take contacts from `queueId`: those whose routing profile lists it, or the agent of an agent
    /// queue.
    public func agents(servingQueue queueId: String) -> [AgentSession] {
        if queueId.hasPrefix("agent/") {
            return agents[String(queueId.dropFirst("agent/".count))].map { [$0] } ?? []
        }
        return agents.values.filter { session in
            guard let user = users[session.userId], let profile = routingProfiles[user.routingProfileId] else {
                return false
            }
            return profile.queues.contains { $0.queueId == queueId }
        }
    }

    /// The real-time figures of `queueId` at `now` (µs).
    public func queueFigures(_ queueId: String, at now: Int64) -> QueueFigures {
        var figures = QueueFigures(
            queueId: queueId,
            agentsOnline: 0,
            agentsAvailable: 0,
            agentsOnContact: 0,
            agentsNonProductive: 0,
            agentsAfterContactWork: 0,
            agentsError: 0,
            agentsStaffed: 0,
            contactsInQueue: 0,
            oldestContactAgeMilliseconds: nil,
            contactsScheduled: 0,
            slotsActive: 0,
            slotsAvailable: 0
        )
        for session in agents(servingQueue: queueId) {
            let concurrency =
                users[session.userId].flatMap { routingProfiles[$0.routingProfileId] }?.chatConcurrency ?? 1
            let states = session.slots.values.map(\.state)
            if session.statusType != .offline { figures.agentsOnline += 1 }
            if session.statusType == .custom { figures.agentsNonProductive += 1 }
            if session.statusType == .routable { figures.agentsStaffed += 1 }
            if session.errorSince != nil { figures.agentsError += 1 }
            if states.contains(.connected) { figures.agentsOnContact += 1 }
            if states.contains(.afterContactWork) { figures.agentsAfterContactWork += 1 }
            if session.statusType == .routable, session.errorSince == nil, states.isEmpty {
                figures.agentsAvailable += 1
            }
            if session.statusType != .custom {
                figures.slotsActive += states.filter { $0 == .connected || $0 == .afterContactWork }.count
            }
            if session.statusType == .routable, session.errorSince == nil {
                figures.slotsAvailable += max(0, Int(concurrency) - states.count)
            }
        }
        // A contact counted here is the current segment of an active chat with a queue position, and every such
        // contact is in the routing index (`waiting`): scanning it, not every contact ever held, keeps the figures
        // (and a flow's CheckMetricData) O(waiting) instead of O(history).
        for contactId in waiting.keys {
            guard let contact = contacts[contactId], let position = contact.queued, position.queueId == queueId,
                let chat = chats[contact.chatId], chat.isActive(at: now), chat.currentContactId == contact.contactId
            else { continue }
            figures.contactsInQueue += 1
            let age = max(0, now - position.since) / 1000
            figures.oldestContactAgeMilliseconds = max(figures.oldestContactAgeMilliseconds ?? 0, age)
        }
        return figures
    }
}

extension ChatQueries {
    /// `GetCurrentMetricData` for CHAT: the figures of each queue (all queues when `queueIds` is empty), by queue id.
    public static func currentMetrics(
        instanceId: String,
        queueIds: [String] = [],
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> [QueueFigures] {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard queueIds.count <= 100 else { throw ChatError(.invalidParameter, "Queues takes at most 100 queues") }
        var ids: [String] = []
        for reference in queueIds.isEmpty ? state.queues.keys.sorted() : queueIds {
            if reference.hasPrefix("agent/") {
                ids.append(reference)
            } else if let queue = state.queues[reference: reference] {
                ids.append(queue.queueId)
            } else {
                throw ChatError(.resourceNotFound, "queue \(reference) does not exist", resourceType: "QUEUE")
            }
        }
        return ids.map { state.queueFigures($0, at: now) }
    }
}

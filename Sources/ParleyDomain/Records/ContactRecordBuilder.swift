// Contact trace records as a fold over chat events (connect-chat.md §7; the definitions are in docs/records.md).

/// Folds chat events into the open contact trace records: one record per contact segment (API start, each
/// TRANSFER / QUEUE_TRANSFER segment, each DISCONNECT-flow segment), linked by Initial/Previous/NextContactId. A
/// record is reported `.completed` and dropped once it completes; `ContactRecordsProjection` keeps completed records
/// beside its builder (`CompletedContactRecords`), the metrics projections only count them.
///
/// Parley's definitions where Amazon is vague (docs/records.md has the full list):
/// - **Messages**: only `MessageSent` of `text/plain` or `text/markdown` counts (`counts(_:)`); events,
///   receipts, JSON and interactive messages do not. A message belongs to the segment it was sent in. Lengths are
///   `Character` counts.
/// - **Bot messages**: messages without a participant (flow prompts, `SYSTEM_MESSAGE`; the built-in bot, `BOT`;
///   system messages sent through the API) and messages of a `CUSTOM_BOT` participant.
/// - **Sides**: the customer on one side; everyone else (agents, bots, the system) on the other.
///   `ConversationTurnCount` counts the changes of side between consecutive messages.
/// - **Responses**: an agent response is the first message of the Agent section's agent after the customer
///   spoke (since any agent last spoke); its time runs from the customer's first unanswered message, or from the
///   agent's connection if that message came before it. A customer response is the first customer message after
///   the other side spoke; its time runs from the other side's first message since the customer last spoke.
/// - **ConversationAbandon**: the customer's is true when the segment ended with `CUSTOMER_DISCONNECT` and no
///   agent had sent a message in it; the agent's is true when the segment ended with `AGENT_DISCONNECT` and the
///   agent left with a customer message unanswered.
/// - **Agent section**: the first agent participant that joined the segment (its user, if routing assigned one).
///   `MultiParty` is true once a second agent or supervisor participant joined.
/// - **Queue section**: the last queue the segment entered; dequeued when the agent joined or else when the
///   segment ended (the customer left, the chat ended, a queue transfer).
/// - **Durations** are rounded to the nearest whole second, `…InMillis` to the nearest millisecond, never < 0.
/// - **Completion**: a record completes once its segment ended, its successor is known (the next segment started
///   or the chat ended), and every after-contact work started on it was cleared. `LastUpdateTimestamp` is the
///   timestamp of the last event that changed the record.
public struct ContactRecordBuilder: Sendable, Equatable {
    /// Whether messages of `contentType` count as chat messages: text and markdown. Two comparisons of short strings,
    /// where a set lookup hashed the content type of every message.
    public static func counts(_ contentType: String) -> Bool {
        contentType == ContentTypes.plainText || contentType == ContentTypes.markdown
    }

    /// The open records by contact id, each in one slot with what its fold needs beyond it (`SegmentProgress`).
    private(set) var open = TieredMap<Identifier, OpenContactRecord>()
    /// The open segment ids of each chat (keyed by its initial contact id), oldest first.
    public private(set) var chains = TieredMap<Identifier, [Identifier]>()

    /// Creates an empty builder.
    public init() {}

    init(open: TieredMap<Identifier, OpenContactRecord>, chains: TieredMap<Identifier, [Identifier]>) {
        self.open = open
        self.chains = chains
    }

    /// The open record of `contactId`.
    public func record(_ contactId: Identifier) -> ContactTraceRecord? { open[contactId]?.record }

    /// Whether the record of `contactId` is open here.
    public func isOpen(_ contactId: Identifier) -> Bool { open.contains(contactId) }

    /// The open records, in no particular order.
    public var records: [ContactTraceRecord] { open.values.map(\.record) }

    /// How many records are open.
    public var openCount: Int { open.count }

    /// Whole seconds from `start` to `end` (µs), rounded to the nearest second, never negative.
    public static func roundedSeconds(from start: Int64, to end: Int64) -> Int64 {
        max(0, (end - start + Duration.second / 2) / Duration.second)
    }

    /// Milliseconds from `start` to `end` (µs), rounded to the nearest millisecond, never negative.
    public static func roundedMilliseconds(from start: Int64, to end: Int64) -> Int64 {
        max(0, (end - start + 500) / 1000)
    }

    /// Applies one event (`state` is the chat state after it) and returns the records it completed.
    public mutating func apply(_ event: ChatEvent, at timestamp: Int64, state: ChatState) -> [ContactRecordChange] {
        fold(event, at: timestamp, state: state).changes
    }

    /// Applies one event (`state` is the chat state after it) and returns the records it completed, with the records
    /// it names that are not open here.
    public mutating func fold(_ event: ChatEvent, at timestamp: Int64, state: ChatState) -> ContactRecordFoldOutput {
        var output = ContactRecordFoldOutput()
        dispatch(event, at: timestamp, state: state, &output)
        return output
    }
}

/// What folding one event into contact records yields.
public struct ContactRecordFoldOutput: SharedFoldOutput {
    /// The records the event completed (`.completed`) or, folded into completed records, re-emitted (`.updated`).
    public var changes: [ContactRecordChange] = []
    /// The records the event would change that the builder does not hold open (from the builder's fold): the only
    /// ones it can change among completed records.
    var notOpen: [Identifier] = []

    /// Nothing completed, re-emitted or missing.
    public init() {}

    /// Whether the event completed, re-emitted and missed no record.
    public var isEmpty: Bool { changes.isEmpty && notOpen.isEmpty }
}

// MARK: - Folding

/// Records that events change through the contact record fold (`dispatch`): the builder's open records, and the
/// completed records `ContactRecordsProjection` keeps. Each event reaches the records it names in both, through the
/// same code, so a late event changes a completed record exactly as it would an open one.
protocol ContactRecordFolding {
    /// Starts the record of a new segment; returns whether it did (false when the segment is known already).
    mutating func start(_ started: ContactStarted, at timestamp: Int64, state: ChatState) -> Bool

    /// The segments of a chat whose record is still open, oldest first.
    func openSegments(ofChat chatId: Identifier) -> [Identifier]

    /// Runs `body` on the record of `contactId` and its progress, if held here, and adds what changed to `output`.
    ///
    /// `body` returns whether it changed the record: exactly when the record after it differs from the record before
    /// (what a comparison of the whole record would say, without copying the record to compare). It is handed
    /// `state` rather than capturing it (a closure capturing the state copies it).
    mutating func update(
        _ contactId: Identifier,
        at timestamp: Int64,
        _ state: ChatState,
        _ output: inout ContactRecordFoldOutput,
        _ body: RecordChange
    )
}

/// Changes a record and its progress given the chat state; returns whether it changed the record.
typealias RecordChange = (inout ContactTraceRecord, inout SegmentProgress, ChatState) -> Bool

extension ContactRecordFolding {
    /// Applies one event (`state` is the chat state after it), adding what it yields to `output`.
    mutating func dispatch(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState,
        _ output: inout ContactRecordFoldOutput
    ) {
        typealias Builder = ContactRecordBuilder
        switch event {
        // The closures below capture single fields, never a payload with references: capturing one copies the whole
        // event first (its references retained, then released), about 470 instructions a message.
        case .contactStarted(let started):
            guard start(started, at: timestamp, state: state), let previous = started.previousContactId else { break }
            let contactId = started.contactId
            update(previous, at: timestamp, state, &output) { record, progress, _ in
                progress.closed = true
                return Builder.assign(&record.nextContactId, contactId)
            }
        case .participantJoined(let joined):
            let (role, participantId, displayName) = (joined.role, joined.participantId, joined.displayName)
            update(joined.contactId, at: timestamp, state, &output) { record, progress, _ in
                Builder.join(role, participantId, displayName, at: timestamp, record: &record, progress: &progress)
            }
        case .participantLeft(let left):
            update(left.contactId, at: timestamp, state, &output) { record, progress, _ in
                guard left.participantId == progress.agentParticipantId, record.agent?.agentInteractionDuration == nil,
                    let connected = record.agent?.connectedToAgentTimestamp
                else { return false }
                record.agent?.agentInteractionDuration = Builder.roundedSeconds(
                    from: connected,
                    to: left.effectiveAt ?? timestamp
                )
                progress.agentLeftUnanswered = progress.customerUnanswered != nil
                return true
            }
        case .connectionCreated(let created):
            // The customer's first connection: ConnectedToSystemTimestamp of the chat's initial (API) segment.
            // Read where the chat lies: the chain `state.chats[id]?.customerParticipantId` copies the map and the chat.
            let customerId = state.chats[slot: created.chatId]?.withPointer { $0.pointee.customerParticipantId }
            guard customerId == created.participantId else { break }
            update(created.chatId, at: timestamp, state, &output) { record, _, _ in
                guard record.connectedToSystemTimestamp == nil, record.disconnectTimestamp == nil else { return false }
                record.connectedToSystemTimestamp = timestamp
                return true
            }
        case .messageSent(let message):
            guard Builder.counts(message.contentType) else { break }
            let (chatId, participantId) = (message.chatId, message.participantId)
            let length = Int64(Builder.characterCount(message.content))
            update(message.contactId, at: timestamp, state, &output) { record, progress, state in
                guard record.disconnectTimestamp == nil else { return false }
                let sender = Builder.sender(participantId, chatId, record: record, progress: progress, in: state)
                let connected = record.agent?.connectedToAgentTimestamp
                Builder.count(
                    length: length,
                    by: participantId,
                    from: sender,
                    at: timestamp,
                    connected,
                    &record.chatMetrics,
                    &progress
                )
                return true
            }
        case .attributesUpdated(let updated):
            update(updated.contactId, at: timestamp, state, &output) { record, _, state in
                let merged = state.contacts[updated.contactId]?.attributes
                return Builder.assign(
                    &record.attributes,
                    merged ?? record.attributes.merging(updated.attributes) { _, new in new }
                )
            }
        case .contactDisconnected(let disconnected):
            update(disconnected.contactId, at: timestamp, state, &output) { record, progress, _ in
                Builder.end(disconnected, record: &record, progress: progress)
            }
        case .chatEnded(let ended):
            for contactId in openSegments(ofChat: ended.chatId) {
                update(contactId, at: timestamp, state, &output) { _, progress, _ in
                    progress.closed = true
                    return false
                }
            }
        case .contactQueued(let queued):
            update(queued.contactId, at: timestamp, state, &output) { record, _, state in
                let routing = Builder.routing(of: queued.contactId, in: state)
                let name = state.queues[queued.queueId]?.name ?? ""
                let queue = Builder.assign(
                    &record.queue,
                    CTRQueue(queueId: queued.queueId, name: name, enqueueTimestamp: timestamp)
                )
                let priority = Builder.assign(&record.queuePriority, routing?.priority)
                let adjustment = Builder.assign(&record.queueTimeAdjustmentSeconds, routing?.adjustment)
                return queue || priority || adjustment
            }
        case .flowStepped(let step):
            guard step.recorded.keys.contains(where: { $0.hasPrefix("routing.") }),
                let routing = Builder.routing(of: step.contactId, in: state)
            else { break }
            update(step.contactId, at: timestamp, state, &output) { record, _, _ in
                guard record.queue != nil else { return false }
                let priority = Builder.assign(&record.queuePriority, routing.priority)
                let adjustment = Builder.assign(&record.queueTimeAdjustmentSeconds, routing.adjustment)
                return priority || adjustment
            }
        case .contactOffered(let offered):
            update(offered.contactId, at: timestamp, state, &output) { record, _, _ in
                record.agentConnectionAttempts += 1
                return true
            }
        case .contactAssigned(let assigned):
            update(assigned.contactId, at: timestamp, state, &output) { record, progress, state in
                guard assigned.participantId == progress.agentParticipantId, var agent = record.agent else {
                    return false
                }
                let user = state.users[assigned.agentId]
                let profile = user.flatMap { state.routingProfiles[$0.routingProfileId] }
                agent.userId = assigned.agentId
                agent.username = user?.username ?? assigned.agentId
                agent.routingProfileId = user?.routingProfileId ?? ""
                agent.routingProfileName = profile?.name ?? ""
                return Builder.assign(&record.agent, agent)
            }
        case .afterContactWorkChanged(let changed):
            update(changed.contactId, at: timestamp, state, &output) { record, progress, _ in
                Builder.afterContactWork(changed, at: timestamp, record: &record, progress: &progress)
            }
        case .chatTransferred(let transferred):
            // Parley's agent transfers are cold (the agent leaves at once): the transferring segment records when.
            guard transferred.succeeded else { break }
            update(transferred.fromContactId, at: timestamp, state, &output) { record, _, _ in
                guard record.agent != nil, record.transferCompletedTimestamp == nil else { return false }
                record.transferCompletedTimestamp = timestamp
                return true
            }
        default:
            // Every kind named above is in `ContactRecordBuilder.folds(_:)` too, and no other.
            break
        }
    }
}

extension ContactRecordBuilder {
    /// Whether `dispatch` changes records for events of `event`'s kind: exactly the kinds its `switch` names. Any
    /// other event (a typing event or receipt, a timer, a websocket) leaves every record, open or completed, as it is
    /// and yields no output, so a `ProjectionSet` skips the projections built on it (`Projection.ignores(_:)`).
    public static func folds(_ event: ChatEvent) -> Bool {
        switch event {
        case .contactStarted, .participantJoined, .participantLeft, .connectionCreated, .messageSent,
            .attributesUpdated, .contactDisconnected, .chatEnded, .contactQueued, .flowStepped, .contactOffered,
            .contactAssigned, .afterContactWorkChanged, .chatTransferred:
            true
        default:
            false
        }
    }
}

extension ContactRecordBuilder: ContactRecordFolding {
    /// Opens the segment's record unless it has one.
    mutating func start(_ started: ContactStarted, at timestamp: Int64, state: ChatState) -> Bool {
        guard !open.contains(started.contactId) else { return false }
        var record = ContactTraceRecord(
            contactId: started.contactId,
            initialContactId: started.chatId,
            instanceId: started.instanceId,
            initiationMethod: started.initiationMethod,
            initiationTimestamp: timestamp
        )
        record.previousContactId = started.previousContactId
        record.relatedContactId = started.relatedContactId
        record.attributes = started.attributes
        record.customerId = started.customerId
        // Later segments start with the customer already in the chat; the API segment gets it when it joins. The chat
        // is read where it lies: bound to a name, it would be copied (about 3 K instructions with its release).
        let customer = state.chats[slot: started.chatId]?.withPointer { chat -> Identifier? in
            let customerId = chat.pointee.customerParticipantId
            return chat.pointee.participants.index(forKey: customerId) == nil ? nil : customerId
        }
        if let customerId = customer ?? nil {
            record.chatMetrics.customerMetrics = CTRParticipantMetrics(
                participantId: customerId,
                participantType: .customer
            )
        }
        open.insertNew(started.contactId, OpenContactRecord(record: record))
        chains.update(started.chatId, default: []) { $0.append(started.contactId) }
        return true
    }

    /// The chat's segments whose record is open.
    func openSegments(ofChat chatId: Identifier) -> [Identifier] {
        (chains[chatId] ?? []).filter { open.contains($0) }
    }

    /// Runs `body` on an open record (and its progress) in place, stamps `LastUpdateTimestamp` when `body` reports
    /// that it changed the record, and completes it (reporting and dropping it) once it is done; notes a record it
    /// does not hold in `output.notOpen`.
    mutating func update(
        _ contactId: Identifier,
        at timestamp: Int64,
        _ state: ChatState,
        _ output: inout ContactRecordFoldOutput,
        _ body: RecordChange
    ) {
        guard let completed = Self.update(contactId, &open, at: timestamp, state, &output.changes, body) else {
            output.notOpen.append(contactId)
            return
        }
        guard let chatId = completed else { return }
        open[contactId] = nil
        // Through the closure-based update: the subscript's `_modify` moves the chain out of its tree node and back.
        let emptied = chains.update(chatId) { chain in
            chain.removeAll { $0 == contactId }
            return chain.isEmpty
        }
        if emptied == true { chains[chatId] = nil }
    }

    /// `update` on the slot of an open record, lent where it lies by the map's closure-based update (its subscript's
    /// `_modify` would copy the entry out of its tree node and back). Returns nil when the record is not open, else
    /// the chat of the record if it completed (its caller drops it). `state` is borrowed: captured by the closure, a
    /// copy of it would cost more than the lookup saves.
    private static func update(
        _ contactId: Identifier,
        _ open: inout TieredMap<Identifier, OpenContactRecord>,
        at timestamp: Int64,
        _ state: borrowing ChatState,
        _ changes: inout [ContactRecordChange],
        _ body: RecordChange
    ) -> Identifier?? {
        open.update(contactId) { entry in
            let changed = body(&entry.record, &entry.progress, state)
            if changed { entry.record.lastUpdateTimestamp = max(entry.record.lastUpdateTimestamp, timestamp) }
            guard entry.record.disconnectTimestamp != nil, entry.progress.closed,
                entry.progress.afterContactWork.isEmpty
            else { return Identifier?.none }
            entry.record.completed = true
            entry.record.lastUpdateTimestamp = max(entry.record.lastUpdateTimestamp, timestamp)
            changes.append(.completed(entry.record))
            return entry.record.initialContactId
        }
    }
}

extension ContactRecordBuilder {
    /// The contact's queue priority and time adjustment, read where the contact lies (bound to a name, the contact
    /// would be copied whole); nil when the state has no such contact.
    fileprivate static func routing(
        of contactId: Identifier,
        in state: borrowing ChatState
    ) -> (priority: Int64, adjustment: Int64)? {
        state.contacts[slot: contactId]?.withPointer { contact in
            (contact.pointee.queuePriority, contact.pointee.queueTimeAdjustmentSeconds)
        }
    }

    /// Returns whether it changed the record.
    fileprivate static func join(
        _ role: ParticipantRole,
        _ participantId: Identifier,
        _ displayName: String,
        at timestamp: Int64,
        record: inout ContactTraceRecord,
        progress: inout SegmentProgress
    ) -> Bool {
        switch role {
        case .customer:
            guard record.chatMetrics.customerMetrics == nil else { return false }
            record.chatMetrics.customerMetrics = CTRParticipantMetrics(
                participantId: participantId,
                participantType: .customer
            )
            return true
        case .agent, .supervisor:
            progress.agentParticipants.append(participantId)
            var changed = false
            if progress.agentParticipants.count > 1 { changed = assign(&record.chatMetrics.multiParty, true) }
            guard role == .agent, progress.agentParticipantId == nil else { return changed }
            progress.agentParticipantId = participantId
            // Without a routing assignment (ContactAssigned fills the user in) the section names the participant.
            var agent = CTRAgent(userId: "", username: displayName, routingProfileId: "", routingProfileName: "")
            agent.connectedToAgentTimestamp = timestamp
            let agentChanged = assign(&record.agent, agent)
            let metricsChanged = assign(
                &record.chatMetrics.agentMetrics,
                CTRParticipantMetrics(participantId: participantId, participantType: .agent)
            )
            let dequeued = record.queue?.dequeueTimestamp == nil && dequeue(&record, at: timestamp)
            return changed || agentChanged || metricsChanged || dequeued
        case .system, .customBot:
            return false
        }
    }

    /// Returns whether it changed the record (whether the segment was still going).
    fileprivate static func end(
        _ disconnected: ContactDisconnected,
        record: inout ContactTraceRecord,
        progress: SegmentProgress
    ) -> Bool {
        guard record.disconnectTimestamp == nil else { return false }
        let end = disconnected.effectiveAt
        record.disconnectTimestamp = end
        record.disconnectReason = disconnected.reason
        if record.queue?.dequeueTimestamp == nil { _ = dequeue(&record, at: end) }
        if var agent = record.agent, agent.agentInteractionDuration == nil,
            let connected = agent.connectedToAgentTimestamp
        {
            agent.agentInteractionDuration = roundedSeconds(from: connected, to: end)
            record.agent = agent
        }
        if let last = record.chatMetrics.customerMetrics?.lastMessageTimestamp {
            record.chatMetrics.conversationCloseTimeInMillis = roundedMilliseconds(from: last, to: end)
        }
        record.chatMetrics.customerMetrics?.conversationAbandon =
            disconnected.reason == .customerDisconnect && !progress.agentSpoke
        record.chatMetrics.agentMetrics?.conversationAbandon =
            disconnected.reason == .agentDisconnect && progress.agentLeftUnanswered
        return true
    }

    /// Returns whether it changed the record.
    fileprivate static func dequeue(_ record: inout ContactTraceRecord, at timestamp: Int64) -> Bool {
        guard var queue = record.queue else { return false }
        queue.dequeueTimestamp = timestamp
        queue.duration = roundedSeconds(from: queue.enqueueTimestamp, to: timestamp)
        return assign(&record.queue, queue)
    }

    /// Sets `field` to `value`; returns whether that changed it.
    fileprivate static func assign<Value: Equatable>(_ field: inout Value, _ value: Value) -> Bool {
        guard field != value else { return false }
        field = value
        return true
    }

    /// Returns whether it changed the record.
    fileprivate static func afterContactWork(
        _ changed: AfterContactWorkChanged,
        at timestamp: Int64,
        record: inout ContactTraceRecord,
        progress: inout SegmentProgress
    ) -> Bool {
        let isSectionAgent = record.agent?.userId == changed.userId
        if changed.started {
            if !progress.afterContactWork.contains(changed.userId) { progress.afterContactWork.append(changed.userId) }
            guard isSectionAgent, record.agent?.afterContactWorkStartTimestamp == nil else { return false }
            record.agent?.afterContactWorkStartTimestamp = timestamp
            return true
        }
        progress.afterContactWork.removeAll { $0 == changed.userId }
        guard isSectionAgent, record.agent?.afterContactWorkEndTimestamp == nil,
            let start = record.agent?.afterContactWorkStartTimestamp
        else { return false }
        record.agent?.afterContactWorkEndTimestamp = timestamp
        record.agent?.afterContactWorkDuration = roundedSeconds(from: start, to: timestamp)
        return true
    }

    /// Who sent a message, for the chat metrics.
    enum Sender: Equatable {
        case customer
        case agent(Identifier)
        case bot
        case other
    }

    /// The sender's side, from what the segment's record already knows when it can: its customer, and the agents and
    /// supervisors that joined it. Only other senders (bots, the system, an agent of an earlier segment) are looked up
    /// by their role in the chat, whose read out of the state copies the whole chat.
    static func sender(
        _ participantId: Identifier?,
        _ chatId: Identifier,
        record: ContactTraceRecord,
        progress: SegmentProgress,
        in state: ChatState
    ) -> Sender {
        guard let participantId else { return .bot }
        if participantId == record.chatMetrics.customerMetrics?.participantId { return .customer }
        if progress.agentParticipants.contains(participantId) { return .agent(participantId) }
        switch state.chats[chatId]?.participants[participantId]?.role {
        case .customer?: return .customer
        case .agent?, .supervisor?: return .agent(participantId)
        case .customBot?, .system?: return .bot
        case nil: return .other
        }
    }

    /// `text.count` (Characters), without grapheme breaking for ASCII text: there every byte is a Character except
    /// the LF of a CR LF pair. Eight bytes are checked at a time while they hold neither a non-ASCII byte nor a CR.
    static func characterCount(_ text: String) -> Int {
        let fast: Int?? = text.utf8.withContiguousStorageIfAvailable { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            let highBits: UInt64 = 0x8080_8080_8080_8080
            let ones: UInt64 = 0x0101_0101_0101_0101
            var start = 0
            while start + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                if word & highBits != 0 { return nil }
                // A byte of `word ^ CRs` is zero where `word` has a CR (exact for ASCII bytes).
                let crs = word ^ (ones &* 0x0D)
                if (crs &- ones) & ~crs & highBits != 0 { break }
                start += 8
            }
            // The rest byte by byte; the byte before `start` is not a CR.
            var count = raw.count
            var previous: UInt8 = 0
            for byte in raw[start...] {
                if byte >= 0x80 { return nil }
                if byte == 0x0A, previous == 0x0D { count -= 1 }
                previous = byte
            }
            return count
        }
        if let fast = fast ?? nil { return fast }
        return text.count
    }

    fileprivate static func count(
        length: Int64,
        by participantId: Identifier?,
        from sender: Sender,
        at timestamp: Int64,
        _ connectedToAgent: Int64?,
        _ metrics: inout CTRChatMetrics,
        _ progress: inout SegmentProgress
    ) {
        metrics.totalMessages += 1
        guard sender != .customer else {
            var customer =
                metrics.customerMetrics
                ?? CTRParticipantMetrics(
                    participantId: participantId ?? Identifier(high: 0, low: 0),
                    participantType: .customer
                )
            customer.countMessage(length: length, at: timestamp)
            if let since = progress.othersUnanswered {
                customer.countResponse(milliseconds: roundedMilliseconds(from: since, to: timestamp))
                progress.othersUnanswered = nil
            }
            if progress.customerUnanswered == nil { progress.customerUnanswered = timestamp }
            if progress.lastSide == .others { metrics.conversationTurnCount += 1 }
            progress.lastSide = .customer
            metrics.customerMetrics = customer
            return
        }
        if progress.othersUnanswered == nil { progress.othersUnanswered = timestamp }
        if progress.lastSide == .customer { metrics.conversationTurnCount += 1 }
        progress.lastSide = .others
        switch sender {
        case .agent(let participantId):
            progress.agentSpoke = true
            let waiting = progress.customerUnanswered
            progress.customerUnanswered = nil
            guard participantId == progress.agentParticipantId, var agent = metrics.agentMetrics,
                let connected = connectedToAgent
            else { break }
            agent.countMessage(length: length, at: timestamp)
            if let waiting {
                agent.countResponse(milliseconds: roundedMilliseconds(from: max(waiting, connected), to: timestamp))
            }
            if metrics.agentFirstResponseTimestamp == nil {
                metrics.agentFirstResponseTimestamp = timestamp
                metrics.agentFirstResponseTimeInMillis = roundedMilliseconds(from: connected, to: timestamp)
            }
            metrics.agentMetrics = agent
        case .bot:
            metrics.totalBotMessages += 1
            metrics.totalBotMessageLengthInChars += length
        case .customer, .other:
            break
        }
    }
}

/// Which side of the conversation sent the last message.
enum ConversationSide: UInt8, SnapshotCodableEnumeration, Sendable {
    /// The customer.
    case customer = 1
    /// Agents, bots and the system.
    case others = 2
}

/// An open record with what its fold needs beyond the record, in one slot of the builder's map: one lookup, insert
/// and removal serve both.
struct OpenContactRecord: Sendable, Equatable {
    /// The record.
    var record: ContactTraceRecord
    /// What the fold needs beyond it.
    var progress = SegmentProgress()
}

/// What an open record needs beyond the record itself.
struct SegmentProgress: Sendable, Equatable {
    /// The agent participant the Agent section describes (the first agent that joined the segment).
    var agentParticipantId: Identifier?
    /// Every agent or supervisor participant that joined the segment, in join order.
    var agentParticipants: [Identifier] = []
    /// Users whose after-contact work on the segment started and was not cleared yet.
    var afterContactWork: [String] = []
    /// Whether the segment's successor is known: the next segment started or the chat ended.
    var closed = false
    /// The side of the last counted message.
    var lastSide: ConversationSide?
    /// The customer's first message no agent has answered yet (µs).
    var customerUnanswered: Int64?
    /// The other side's first message the customer has not answered yet (µs).
    var othersUnanswered: Int64?
    /// Whether the Agent section's agent left with a customer message unanswered.
    var agentLeftUnanswered = false
    /// Whether any agent sent a message in the segment.
    var agentSpoke = false
}

extension CTRParticipantMetrics {
    mutating func countMessage(length: Int64, at timestamp: Int64) {
        messagesSent += 1
        messageLengthInChars += length
        lastMessageTimestamp = timestamp
    }

    mutating func countResponse(milliseconds: Int64) {
        numResponses += 1
        totalResponseTimeInMillis += milliseconds
        maxResponseTimeInMillis = max(maxResponseTimeInMillis, milliseconds)
    }
}

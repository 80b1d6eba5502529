import EventLog
import Hummingbird
import ParleyDomain
import ParleyEngine

/// The read-only query API of the local socket. Every answer carries `position`: the log position of the snapshot it
/// was computed from; `?atLeast=N` waits (bounded) until the engine has published position N.
///
/// - `GET /v1/status`: log head, segments and bytes, writer counters, state counts; `?hash=true` adds the state hash.
/// - `GET /v1/queues`: every queue with its real-time figures.
/// - `GET /v1/agents`: every user with its live routing session.
/// - `GET /v1/contacts?state=&queue=&agent=&from=&to=&limit=&nextToken=`: contact segments, newest first, paged;
///   `from`/`to` (ISO 8601) bound the initiation time (from inclusive, to exclusive).
/// - `GET /v1/contacts/{contactId}`: one contact segment and its transcript.
/// - `GET /v1/timers?limit=`: open deadlines, earliest first.
func addQueryRoutes(to router: Router<some RequestContext>, instances: InstanceRegistry) {
    router.get("/v1/status") { request, _ in
        let server = try instances.forQuery(request)
        let snapshot = try await server.snapshot(for: request)
        return JSONResponse.make(StatusView(server: server, snapshot: snapshot, hash: request.query("hash") == "true"))
    }
    router.get("/v1/queues") { request, _ in
        let server = try instances.forQuery(request)
        let snapshot = try await server.snapshot(for: request)
        let now = server.clock.now()
        let queues = ChatQueries.listQueues(in: snapshot.state).map { queue in
            QueueView(queue: queue, figures: snapshot.state.queueFigures(queue.queueId, at: now))
        }
        return JSONResponse.make(QueuesView(position: snapshot.position, queues: queues))
    }
    router.get("/v1/agents") { request, _ in
        let server = try instances.forQuery(request)
        let snapshot = try await server.snapshot(for: request)
        return JSONResponse.make(AgentsView(snapshot))
    }
    router.get("/v1/contacts") { request, _ in
        let server = try instances.forQuery(request)
        let filter = try ContactFilter(request)
        let snapshot = try await server.snapshot(for: request)
        return JSONResponse.make(try ContactsView(snapshot, filter: filter))
    }
    router.get("/v1/contacts/:contactId") { request, context in
        let server = try instances.forQuery(request)
        let text = context.parameters.get("contactId") ?? ""
        let snapshot = try await server.snapshot(for: request)
        guard let contactId = Identifier(text), let contact = snapshot.state.contacts[contactId] else {
            throw APIError(
                .resourceNotFound,
                "contact \(text.prefix(100)) does not exist",
                resourceId: String(text.prefix(100)),
                resourceType: "CONTACT"
            )
        }
        let transcript = ChatQueries.items(ofContact: contactId, in: snapshot.state).map {
            TranscriptItemView($0, past: false)
        }
        return JSONResponse.make(
            ContactView(
                position: snapshot.position,
                contact: ContactRecordView(contact, in: snapshot.state),
                transcript: transcript
            )
        )
    }
    router.get("/v1/timers") { request, _ in
        let server = try instances.forQuery(request)
        let limit = try request.query("limit", in: 1...100_000) ?? 1_000
        let snapshot = try await server.snapshot(for: request)
        return JSONResponse.make(TimersView(snapshot, now: server.clock.now(), limit: limit))
    }
}

// MARK: - Views

/// `GET /v1/status`.
private struct StatusView: Encodable {
    struct LogView: Encodable {
        var headSequence: UInt64
        var headTime: String?
        var segments: Int
        var bytes: Int64
        var durability: String
        var recoveredTornTail: String?
    }

    struct WriterView: Encodable {
        var records: Int
        var appends: Int
        var batches: Int
        var frames: Int
        var syncs: Int
        var rolls: Int
        var indexWriteFailures: Int
    }

    struct StateView: Encodable {
        var events: Int64
        var lastEventTime: String?
        var contacts: Int
        var chats: Int
        var activeChats: Int64
        var queues: Int
        var users: Int
        var flows: Int
        var openTimers: Int
        var earliestDeadline: String?
        var pendingInvocations: Int
        var timersFired: Int64
    }

    var position: UInt64
    var instance: String?
    var now: String
    var startedAt: String
    var log: LogView
    var writer: WriterView
    var state: StateView
    var stateHash: StateHash?

    init(server: ServerState, snapshot: Snapshot<ChatState>, hash: Bool) {
        let extent = server.engine.logExtent
        let statistics = server.engine.logStatistics
        let state = snapshot.state
        position = snapshot.position
        instance = state.instance?.instanceId
        now = ISOTime.format(server.clock.now())
        startedAt = ISOTime.format(server.startedAt)
        log = LogView(
            headSequence: extent.headSequence,
            headTime: extent.headSequence > 0 ? ISOTime.format(extent.headTimestamp) : nil,
            segments: extent.segments.count,
            bytes: extent.segments.reduce(0) { $0 + $1.length },
            durability: server.configuration.durability,
            recoveredTornTail: server.engine.recovery?.description
        )
        writer = WriterView(
            records: statistics.records,
            appends: statistics.appends,
            batches: statistics.batches,
            frames: statistics.frames,
            syncs: statistics.syncs,
            rolls: statistics.rolls,
            indexWriteFailures: statistics.indexWriteFailures
        )
        self.state = StateView(
            events: state.eventCount,
            lastEventTime: state.eventCount > 0 ? ISOTime.format(state.lastTimestamp) : nil,
            contacts: state.contacts.count,
            chats: state.chats.count,
            activeChats: state.activeChats,
            queues: state.queues.count,
            users: state.users.count,
            flows: state.flows.count,
            openTimers: state.timers.count,
            earliestDeadline: state.earliestDeadline.map(ISOTime.format),
            pendingInvocations: state.pendingInvocations.count,
            timersFired: state.timersFired
        )
        stateHash = hash ? state.stateHash() : nil
    }
}

/// One queue of `GET /v1/queues`.
private struct QueueView: Encodable {
    var queue: QueueResource
    var figures: QueueFigures
}

/// `GET /v1/queues`.
private struct QueuesView: Encodable {
    var position: UInt64
    var queues: [QueueView]
}

/// `GET /v1/agents`: users by username, then sessions of users that no longer exist.
private struct AgentsView: Encodable {
    struct AgentView: Encodable {
        var userId: String
        var user: AgentUser?
        var session: AgentSession?
    }

    var position: UInt64
    var agents: [AgentView]

    init(_ snapshot: Snapshot<ChatState>) {
        let state = snapshot.state
        var agents = ChatQueries.listUsers(in: state).map {
            AgentView(userId: $0.userId, user: $0, session: state.agents[$0.userId])
        }
        let orphans = state.agents.values.filter { state.users[$0.userId] == nil }.sorted { $0.userId < $1.userId }
        agents += orphans.map { AgentView(userId: $0.userId, user: nil, session: $0) }
        position = snapshot.position
        self.agents = agents
    }
}

/// The filters and page of `GET /v1/contacts`.
private struct ContactFilter {
    var status: ContactStatus?
    var queue: String?
    var agent: String?
    /// Initiated at or after (µs).
    var from: Int64?
    /// Initiated before (µs).
    var to: Int64?
    var limit: Int
    var after: ContactCursor?

    static let defaultLimit = 100
    static let maxLimit = 1_000

    init(_ request: Request) throws(APIError) {
        if let text = request.query("state") {
            guard let status = ContactStatus.allCases.first(where: { $0.description == text.uppercased() }) else {
                let names = ContactStatus.allCases.map(\.description).joined(separator: ", ")
                throw APIError(.invalidParameter, "state must be one of \(names), not \(text.prefix(100))")
            }
            self.status = status
        }
        queue = request.query("queue")
        agent = request.query("agent")
        from = try request.instant("from")
        to = try request.instant("to")
        if let from, let to, from >= to { throw APIError(.invalidParameter, "from must be before to") }
        limit = try request.query("limit", in: 1...Self.maxLimit) ?? Self.defaultLimit
        if let token = request.query("nextToken") {
            guard let cursor = ContactCursor(token) else {
                throw APIError(.invalidParameter, "nextToken is not a token this API returned")
            }
            after = cursor
        }
    }

    /// Whether `contact` passes the filters: its status; queued in or targeted at `queue`; offered or connected to
    /// `agent`.
    func matches(_ contact: ContactRecord) -> Bool {
        if let status, contact.status != status { return false }
        if let queue, contact.queued?.queueId != queue, contact.targetQueue != queue { return false }
        if let agent, contact.agentId != agent, contact.offeredTo != agent { return false }
        if let from, contact.initiatedAt < from { return false }
        if let to, contact.initiatedAt >= to { return false }
        return true
    }
}

/// Where a page of contacts ends: newest first by initiation time, then by id. Stable while contacts are added.
private struct ContactCursor: Comparable {
    var initiatedAt: Int64
    var contactId: Identifier

    init(_ contact: ContactRecord) {
        initiatedAt = contact.initiatedAt
        contactId = contact.contactId
    }

    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "c1", let time = Int64(parts[1]), let id = Identifier(String(parts[2]))
        else { return nil }
        initiatedAt = time
        contactId = id
    }

    var token: String { "c1.\(initiatedAt).\(contactId)" }

    /// Page order: newer first, then the larger id first.
    static func < (lhs: ContactCursor, rhs: ContactCursor) -> Bool {
        (lhs.initiatedAt, rhs.contactId) > (rhs.initiatedAt, lhs.contactId)
    }
}

/// `GET /v1/contacts`.
private struct ContactsView: Encodable {
    var position: UInt64
    var contacts: [ContactRecordView]
    var nextToken: String?

    init(_ snapshot: Snapshot<ChatState>, filter: ContactFilter) throws(APIError) {
        var matching = snapshot.state.contacts.values.filter(filter.matches).sorted {
            ContactCursor($0) < ContactCursor($1)
        }
        if let after = filter.after {
            matching.removeFirst(matching.partitioningIndex { after < ContactCursor($0) })
        }
        position = snapshot.position
        let page = matching.prefix(filter.limit)
        contacts = page.map { ContactRecordView($0, in: snapshot.state) }
        nextToken = matching.count > filter.limit ? page.last.map { ContactCursor($0).token } : nil
    }
}

/// `GET /v1/contacts/{contactId}`.
private struct ContactView: Encodable {
    var position: UInt64
    var contact: ContactRecordView
    var transcript: [TranscriptItemView]
}

/// A contact as the query socket shows it: its fields and `billableMessages`, which its chat counts.
private struct ContactRecordView: Encodable {
    var contact: ContactRecord
    var billableMessages: Int64

    init(_ contact: ContactRecord, in state: ChatState) {
        self.contact = contact
        billableMessages = state.billableMessages(ofContact: contact.contactId) ?? 0
    }

    private enum Key: String, CodingKey { case billableMessages }

    func encode(to encoder: any Encoder) throws {
        try contact.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(billableMessages, forKey: .billableMessages)
    }
}

/// `GET /v1/timers`.
private struct TimersView: Encodable {
    struct TimerView: Encodable {
        var timer: String
        var kind: TimerKind
        var chatId: Identifier
        var participantId: Identifier?
        var deadline: String
        var deadlineMicroseconds: Int64
        var overdue: Bool
    }

    var position: UInt64
    var now: String
    var total: Int
    var timers: [TimerView]
    var truncated: Bool

    init(_ snapshot: Snapshot<ChatState>, now: Int64, limit: Int) {
        let open = snapshot.state.deadlines
        position = snapshot.position
        self.now = ISOTime.format(now)
        total = open.count
        timers = open.prefix(limit).map { entry in
            TimerView(
                timer: entry.key.description,
                kind: entry.key.kind,
                chatId: entry.key.chatId,
                participantId: entry.key.participantId,
                deadline: ISOTime.format(entry.deadline),
                deadlineMicroseconds: entry.deadline,
                overdue: entry.deadline <= now
            )
        }
        truncated = open.count > limit
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate that is false and then true along the
    /// array (binary search).
    fileprivate func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

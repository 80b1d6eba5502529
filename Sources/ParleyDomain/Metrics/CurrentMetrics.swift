// GetCurrentMetricData (connect-chat.md §8.1): real-time metrics as a pure function of the chat state — the agents'
// statuses and slots, the contacts waiting in queues, the routing profiles that say which agent serves which queue.

/// `GetCurrentMetricData`'s request body (the instance id travels in the path).
public struct GetCurrentMetricDataRequest: Sendable, Equatable, Codable {
    /// One of `CurrentMetrics`: a name and its unit.
    public struct CurrentMetric: Sendable, Equatable, Codable {
        /// `Name`, e.g. `AGENTS_ONLINE`.
        public var name: String?
        /// `MetricId` (not supported: name metrics by `Name`).
        public var metricId: String?
        /// `Unit`: must be the metric's unit when given.
        public var unit: String?

        /// Creates a metric reference.
        public init(name: String? = nil, metricId: String? = nil, unit: String? = nil) {
            self.name = name
            self.metricId = metricId
            self.unit = unit
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case metricId = "MetricId"
            case unit = "Unit"
        }
    }

    /// One of `SortCriteria` (at most one).
    public struct SortCriterion: Sendable, Equatable, Codable {
        /// `SortByMetric`.
        public var sortByMetric: String?
        /// `SortOrder`: ASCENDING or DESCENDING.
        public var sortOrder: String?

        /// Creates a sort criterion.
        public init(sortByMetric: String? = nil, sortOrder: String? = nil) {
            self.sortByMetric = sortByMetric
            self.sortOrder = sortOrder
        }

        enum CodingKeys: String, CodingKey {
            case sortByMetric = "SortByMetric"
            case sortOrder = "SortOrder"
        }
    }

    /// `Filters` (required, with `Queues`).
    public var filters: MetricFilters?
    /// `Groupings`: ≤ 2 of QUEUE, CHANNEL, ROUTING_PROFILE, AGENT_STATUS.
    public var groupings: [String]?
    /// `CurrentMetrics` (required).
    public var currentMetrics: [CurrentMetric]?
    /// `NextToken`.
    public var nextToken: String?
    /// `MaxResults` (1–100, default 100).
    public var maxResults: Int?
    /// `SortCriteria` (≤ 1).
    public var sortCriteria: [SortCriterion]?

    /// Creates a request.
    public init(
        filters: MetricFilters? = nil,
        groupings: [String]? = nil,
        currentMetrics: [CurrentMetric]? = nil,
        nextToken: String? = nil,
        maxResults: Int? = nil,
        sortCriteria: [SortCriterion]? = nil
    ) {
        self.filters = filters
        self.groupings = groupings
        self.currentMetrics = currentMetrics
        self.nextToken = nextToken
        self.maxResults = maxResults
        self.sortCriteria = sortCriteria
    }

    enum CodingKeys: String, CodingKey {
        case filters = "Filters"
        case groupings = "Groupings"
        case currentMetrics = "CurrentMetrics"
        case nextToken = "NextToken"
        case maxResults = "MaxResults"
        case sortCriteria = "SortCriteria"
    }
}

/// One metric value of a real-time result (`CurrentMetricData`).
public typealias CurrentMetricData = MetricValue<GetCurrentMetricDataRequest.CurrentMetric>

/// One row of real-time results (`CurrentMetricResult`).
public typealias CurrentMetricResult = MetricResultRow<GetCurrentMetricDataRequest.CurrentMetric>

/// `GetCurrentMetricData`'s response.
public struct GetCurrentMetricDataResponse: Sendable, Equatable, Codable {
    /// `NextToken`.
    public var nextToken: String?
    /// `MetricResults`.
    public var metricResults: [CurrentMetricResult]
    /// `DataSnapshotTime` (epoch seconds).
    public var dataSnapshotTime: Double
    /// `ApproximateTotalCount`: rows over all pages.
    public var approximateTotalCount: Int

    /// Creates a response.
    public init(
        nextToken: String?,
        metricResults: [CurrentMetricResult],
        dataSnapshotTime: Double,
        approximateTotalCount: Int
    ) {
        self.nextToken = nextToken
        self.metricResults = metricResults
        self.dataSnapshotTime = dataSnapshotTime
        self.approximateTotalCount = approximateTotalCount
    }

    enum CodingKeys: String, CodingKey {
        case nextToken = "NextToken"
        case metricResults = "MetricResults"
        case dataSnapshotTime = "DataSnapshotTime"
        case approximateTotalCount = "ApproximateTotalCount"
    }
}

/// The real-time metric names and their units.
enum CurrentMetricName: String, CaseIterable, Sendable {
    case agentsOnline = "AGENTS_ONLINE"
    case agentsAvailable = "AGENTS_AVAILABLE"
    case agentsOnCall = "AGENTS_ON_CALL"
    case agentsOnContact = "AGENTS_ON_CONTACT"
    case agentsNonProductive = "AGENTS_NON_PRODUCTIVE"
    case agentsAfterContactWork = "AGENTS_AFTER_CONTACT_WORK"
    case agentsError = "AGENTS_ERROR"
    case agentsStaffed = "AGENTS_STAFFED"
    case contactsInQueue = "CONTACTS_IN_QUEUE"
    case oldestContactAge = "OLDEST_CONTACT_AGE"
    case contactsScheduled = "CONTACTS_SCHEDULED"
    case slotsActive = "SLOTS_ACTIVE"
    case slotsAvailable = "SLOTS_AVAILABLE"
    case estimatedWaitTime = "ESTIMATED_WAIT_TIME"

    /// `COUNT` or `SECONDS`.
    var unit: String { self == .oldestContactAge || self == .estimatedWaitTime ? "SECONDS" : "COUNT" }
}

/// The groupings of GetCurrentMetricData Parley supports.
enum CurrentGrouping: String, Sendable {
    case queue = "QUEUE"
    case channel = "CHANNEL"
    case routingProfile = "ROUTING_PROFILE"
    case agentStatus = "AGENT_STATUS"
}

/// Amazon's channels.
enum MetricChannels {
    /// VOICE, CHAT, TASK, EMAIL.
    static let all: Set<String> = ["VOICE", "CHAT", "TASK", "EMAIL"]

    /// Checks a channel list; whether it lets CHAT through (an absent or empty list does).
    static func includesChat(_ channels: [String]?, limit: Int = 4) throws(ChatError) -> Bool {
        guard let channels, !channels.isEmpty else { return true }
        guard channels.count <= limit else { throw ChatError(.invalidParameter, "Channels takes at most \(limit)") }
        for channel in channels where !all.contains(channel) {
            throw ChatError(.invalidParameter, "unknown channel \(channel): VOICE, CHAT, TASK or EMAIL")
        }
        return channels.contains("CHAT")
    }
}

extension ChatQueries {
    /// `GetCurrentMetricData` (connect-chat.md §8.1) at `now` (µs), computed from the live state.
    public static func getCurrentMetricData(
        _ request: GetCurrentMetricDataRequest,
        instanceId: String,
        in state: ChatState,
        now: Int64
    ) throws(ChatError) -> GetCurrentMetricDataResponse {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        let query = try CurrentMetricsQuery(request, state: state)
        let rows = query.rows(state: state, now: now)
        let (page, next) = try MetricPaging.page(rows, nextToken: request.nextToken, maxResults: request.maxResults)
        return GetCurrentMetricDataResponse(
            nextToken: next,
            metricResults: page.map { query.result($0, instanceId: instanceId, state: state) },
            dataSnapshotTime: EpochTime.seconds(now),
            approximateTotalCount: rows.count
        )
    }
}

/// A validated GetCurrentMetricData request and its evaluation.
struct CurrentMetricsQuery {
    /// One result row: the grouping values (nil when not grouped) and the agents and contacts that count for it.
    struct Row {
        var queue: String?
        var channel: String?
        var profile: String?
        var status: String?
        var agents: [AgentSession] = []
        var contacts: [(queueId: String, since: Int64)] = []
        var values: [Double?] = []
    }

    var metrics: [(name: CurrentMetricName, request: GetCurrentMetricDataRequest.CurrentMetric)]
    var groupings: [CurrentGrouping]
    /// Filtered queue ids (or `agent/<user id>`), in request order without repeats.
    var queues: [String]
    var profiles: Set<String>?
    var statuses: Set<String>?
    var includesChat: Bool
    var sort: (metric: CurrentMetricName, descending: Bool)?

    init(_ request: GetCurrentMetricDataRequest, state: ChatState) throws(ChatError) {
        guard let requested = request.currentMetrics, !requested.isEmpty else {
            throw ChatError(.invalidParameter, "CurrentMetrics is required")
        }
        metrics = []
        for metric in requested {
            guard metric.metricId == nil else {
                throw ChatError(.invalidParameter, "MetricId is not supported; name the metric with Name")
            }
            guard let text = metric.name else { throw ChatError(.invalidParameter, "every CurrentMetric needs a Name") }
            guard let name = CurrentMetricName(rawValue: text) else {
                throw ChatError(.invalidParameter, "unknown real-time metric \(text)")
            }
            if let unit = metric.unit, unit != name.unit {
                throw ChatError(.invalidParameter, "the unit of \(text) is \(name.unit), not \(unit)")
            }
            metrics.append((name, GetCurrentMetricDataRequest.CurrentMetric(name: text, unit: name.unit)))
        }
        groupings = []
        for text in request.groupings ?? [] {
            guard let grouping = CurrentGrouping(rawValue: text) else {
                throw ChatError(
                    .invalidParameter,
                    "grouping \(text) is not supported: QUEUE, CHANNEL, ROUTING_PROFILE or AGENT_STATUS"
                )
            }
            guard !groupings.contains(grouping) else { throw ChatError(.invalidParameter, "grouping \(text) repeats") }
            groupings.append(grouping)
        }
        guard groupings.count <= 2 else { throw ChatError(.invalidParameter, "Groupings takes at most 2") }
        let filters = request.filters ?? MetricFilters()
        guard let queueReferences = filters.queues, !queueReferences.isEmpty else {
            throw ChatError(.invalidParameter, "Filters.Queues is required (1–100 queues)")
        }
        guard queueReferences.count <= 100 else { throw ChatError(.invalidParameter, "Queues takes at most 100") }
        queues = []
        for reference in queueReferences {
            let id = try Self.resolveQueue(reference, state: state)
            if !queues.contains(id) { queues.append(id) }
        }
        includesChat = try MetricChannels.includesChat(filters.channels)
        if let references = filters.routingProfiles, !references.isEmpty {
            guard references.count <= 100 else {
                throw ChatError(.invalidParameter, "RoutingProfiles takes at most 100")
            }
            var ids: Set<String> = []
            for reference in references {
                guard let profile = state.routingProfiles[reference: reference] else {
                    throw ChatError(
                        .resourceNotFound,
                        "routing profile \(reference) does not exist",
                        resourceType: "ROUTING_PROFILE"
                    )
                }
                ids.insert(profile.routingProfileId)
            }
            profiles = ids
        }
        if let references = filters.agentStatuses, !references.isEmpty {
            guard references.count <= 50 else { throw ChatError(.invalidParameter, "AgentStatuses takes at most 50") }
            var ids: Set<String> = []
            for reference in references {
                guard let status = state.agentStatuses[reference: reference] else {
                    throw ChatError(
                        .resourceNotFound,
                        "agent status \(reference) does not exist",
                        resourceType: "AGENT_STATUS"
                    )
                }
                ids.insert(status.statusId)
            }
            statuses = ids
        }
        if let subtypes = filters.subtypes, !subtypes.isEmpty {
            guard subtypes.count <= 10 else { throw ChatError(.invalidParameter, "Subtypes takes at most 10") }
            if !subtypes.contains("connect:Chat") { includesChat = false }
        }
        if !(filters.routingStepExpressions ?? []).isEmpty {
            throw ChatError(.invalidParameter, "RoutingStepExpressions is not supported: Parley has no routing steps")
        }
        if !(filters.validationTestTypes ?? []).isEmpty {
            throw ChatError(.invalidParameter, "ValidationTestTypes is not supported")
        }
        if groupings.contains(.agentStatus) {
            guard groupings.first == .queue else {
                throw ChatError(.invalidParameter, "grouping by AGENT_STATUS needs QUEUE as the first grouping")
            }
            guard metrics.allSatisfy({ $0.name == .agentsOnline }) else {
                throw ChatError(.invalidParameter, "grouped by AGENT_STATUS, only AGENTS_ONLINE is available")
            }
        }
        if metrics.contains(where: { $0.name == .estimatedWaitTime }), !groupings.contains(.queue) {
            throw ChatError(.invalidParameter, "ESTIMATED_WAIT_TIME needs the QUEUE grouping")
        }
        if let criteria = request.sortCriteria, !criteria.isEmpty {
            guard criteria.count == 1 else { throw ChatError(.invalidParameter, "SortCriteria takes at most 1") }
            guard let text = criteria[0].sortByMetric, let metric = CurrentMetricName(rawValue: text) else {
                throw ChatError(.invalidParameter, "SortByMetric must name a real-time metric")
            }
            guard metric != .slotsActive, metric != .slotsAvailable else {
                throw ChatError(.invalidParameter, "sorting on \(text) is not supported")
            }
            switch criteria[0].sortOrder ?? "ASCENDING" {
            case "ASCENDING": sort = (metric, false)
            case "DESCENDING": sort = (metric, true)
            case let order:
                throw ChatError(.invalidParameter, "SortOrder must be ASCENDING or DESCENDING, not \(order)")
            }
        }
    }

    /// A queue id or ARN, or an agent queue (`agent/<user id>`), resolved to its id.
    static func resolveQueue(_ reference: String, state: ChatState) throws(ChatError) -> String {
        let id = ConnectARN.id(reference)
        if id.hasPrefix("agent/") {
            guard state.users[String(id.dropFirst("agent/".count))] != nil else {
                throw ChatError(.resourceNotFound, "queue \(reference) does not exist", resourceType: "QUEUE")
            }
            return id
        }
        guard let queue = state.queues[reference: reference] else {
            throw ChatError(.resourceNotFound, "queue \(reference) does not exist", resourceType: "QUEUE")
        }
        return queue.queueId
    }

    /// Whether `profile` (of the agent `userId`) takes contacts from `queueId`.
    static func serves(_ profile: RoutingProfile?, userId: String, _ queueId: String) -> Bool {
        queueId == "agent/\(userId)" || profile?.queues.contains { $0.queueId == queueId } == true
    }

    /// The result rows at `now`, sorted.
    func rows(state: ChatState, now: Int64) -> [Row] {
        guard includesChat else { return [] }
        // Agents of the filtered queues that pass the profile and status filters, with the queues they serve.
        var members: [(session: AgentSession, profile: String?, queues: [String])] = []
        for session in state.agents.values.sorted(by: { $0.userId < $1.userId }) {
            guard let user = state.users[session.userId] else { continue }
            let profile = state.routingProfiles[user.routingProfileId]
            let served = queues.filter { Self.serves(profile, userId: session.userId, $0) }
            guard !served.isEmpty, profiles?.contains(user.routingProfileId) ?? true,
                statuses?.contains(session.statusId ?? "") ?? true
            else { continue }
            members.append((session, profile?.routingProfileId, served))
        }
        // Contacts waiting in the filtered queues (their chat active and on that contact).
        var waiting: [(queueId: String, since: Int64)] = []
        for (contactId, position) in state.waiting where queues.contains(position.queueId) {
            guard let contact = state.contacts[contactId], let chat = state.chats[contact.chatId],
                chat.isActive(at: now), chat.currentContactId == contactId
            else { continue }
            waiting.append((position.queueId, position.since))
        }
        // Profiles serving a queue (for contacts grouped or filtered by routing profile).
        func profilesServing(_ queueId: String) -> [String] {
            state.routingProfiles.values.filter { profile in
                profile.queues.contains { $0.queueId == queueId }
                    && (profiles?.contains(profile.routingProfileId) ?? true)
            }.map(\.routingProfileId).sorted()
        }
        var rows: [Row] = [Row()]
        for grouping in groupings {
            rows = rows.flatMap { row -> [Row] in
                switch grouping {
                case .queue:
                    return queues.map { queue in
                        var next = row
                        next.queue = queue
                        return next
                    }
                case .channel:
                    var next = row
                    next.channel = "CHAT"
                    return [next]
                case .routingProfile:
                    let candidates = Set(
                        (row.queue.map { [$0] } ?? queues).flatMap(profilesServing)
                            + members.filter { member in
                                row.queue.map { queue in member.queues.contains(queue) } ?? true
                            }
                            .compactMap(\.profile)
                    )
                    return candidates.sorted().map { profile in
                        var next = row
                        next.profile = profile
                        return next
                    }
                case .agentStatus:
                    let held = members.filter { member in
                        member.session.statusType != .offline
                            && (row.queue.map { queue in member.queues.contains(queue) } ?? true)
                    }
                    return Set(held.compactMap(\.session.statusId)).sorted().map { status in
                        var next = row
                        next.status = status
                        return next
                    }
                }
            }
        }
        for index in rows.indices {
            let row = rows[index]
            rows[index].agents =
                members.filter { member in
                    (row.queue.map { queue in member.queues.contains(queue) } ?? true)
                        && (row.profile.map { $0 == member.profile } ?? true)
                        && (row.status.map { $0 == member.session.statusId } ?? true)
                }
                .map(\.session)
            rows[index].contacts = waiting.filter { contact in
                if let queue = row.queue, contact.queueId != queue { return false }
                if let profile = row.profile { return profilesServing(contact.queueId).contains(profile) }
                return profiles == nil || !profilesServing(contact.queueId).isEmpty
            }
            rows[index].values = metrics.map { value($0.name, rows[index], state: state, now: now) }
        }
        if let sort {
            let sortValues = rows.map { value(sort.metric, $0, state: state, now: now) ?? -1 }
            let order = rows.indices.sorted { left, right in
                sortValues[left] == sortValues[right]
                    ? left < right
                    : (sort.descending ? sortValues[left] > sortValues[right] : sortValues[left] < sortValues[right])
            }
            rows = order.map { rows[$0] }
        }
        return rows
    }

    /// The value of `metric` for a row.
    func value(_ metric: CurrentMetricName, _ row: Row, state: ChatState, now: Int64) -> Double? {
        let agents = row.agents
        func count(_ predicate: (AgentSession) -> Bool) -> Double { Double(agents.filter(predicate).count) }
        func has(_ session: AgentSession, _ slot: AgentSlotState) -> Bool {
            session.slots.values.contains { $0.state == slot }
        }
        let oldest = row.contacts.map { max(0, now - $0.since) }.max() ?? 0
        switch metric {
        case .agentsOnline: return count { $0.statusType != .offline }
        case .agentsAvailable:
            return count { $0.statusType == .routable && $0.errorSince == nil && $0.slots.isEmpty }
        case .agentsOnCall, .agentsOnContact: return count { has($0, .connected) }
        case .agentsNonProductive: return count { $0.statusType == .custom }
        case .agentsAfterContactWork: return count { has($0, .afterContactWork) }
        case .agentsError: return count { $0.errorSince != nil }
        case .agentsStaffed: return count { $0.statusType == .routable }
        case .contactsInQueue: return Double(row.contacts.count)
        case .oldestContactAge:
            // The quirk: SECONDS in the unit, but milliseconds in the value when there are no groupings.
            return Double(groupings.isEmpty ? oldest / 1000 : oldest / Duration.second)
        case .contactsScheduled: return 0
        case .slotsActive:
            return Double(
                agents.filter { $0.statusType != .custom }.reduce(0) { total, session in
                    total
                        + session.slots.values.filter { $0.state == .connected || $0.state == .afterContactWork }.count
                }
            )
        case .slotsAvailable:
            return Double(
                agents.filter { $0.statusType == .routable && $0.errorSince == nil }.reduce(0) { total, session in
                    let concurrency =
                        state.users[session.userId].flatMap { state.routingProfiles[$0.routingProfileId] }?
                        .chatConcurrency ?? 1
                    return total + max(0, Int(concurrency) - session.slots.count)
                }
            )
        case .estimatedWaitTime:
            // Parley's estimate: nil without a staffed agent, else the head-of-line delay (oldest waiting age).
            guard agents.contains(where: { $0.statusType == .routable }) else { return nil }
            return Double(oldest / Duration.second)
        }
    }

    /// A row in Amazon's shape.
    func result(_ row: Row, instanceId: String, state: ChatState) -> CurrentMetricResult {
        CurrentMetricResult(
            dimensions: MetricDimensions(
                queue: row.queue.map { MetricResourceReference(id: $0, arn: ConnectARN.queue(instanceId, $0)) },
                channel: row.channel,
                routingProfile: row.profile.map {
                    MetricResourceReference(id: $0, arn: ConnectARN.routingProfile(instanceId, $0))
                },
                agentStatus: row.status.map {
                    MetricResourceReference(id: $0, arn: ConnectARN.agentStatus(instanceId, $0))
                }
            ),
            collections: zip(metrics, row.values).map { metric, value in
                CurrentMetricData(metric: metric.request, value: value)
            }
        )
    }
}

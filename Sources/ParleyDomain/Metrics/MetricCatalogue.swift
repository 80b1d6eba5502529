// Every historical metric Parley computes: its GetMetricDataV2 name, unit, which facts it reads, and its value as a
// function of a (merged) cell. GetMetricData (v1) names map onto these in GetMetricData.swift. Definitions and the
// choices behind them are in docs/metrics.md.

/// The facts a metric reads, which decide the dimensions and metric-level filters that apply to it.
enum MetricFamily: Sendable {
    /// Contact records (segments): every dimension; INITIATION_METHOD and DISCONNECT_REASON metric filters.
    case contact
    /// Offers to agents: no disconnect reason.
    case offer
    /// Agent time: routing profile, agent and channel only.
    case agentTime

    /// The dimensions its facts carry.
    var dimensions: Set<MetricDimension> {
        switch self {
        case .contact: Set(MetricDimension.allCases)
        case .offer: [.queue, .channel, .routingProfile, .agent, .initiationMethod]
        case .agentTime: [.channel, .routingProfile, .agent]
        }
    }

    /// The metric-level filter keys it takes.
    var metricFilters: Set<MetricDimension> {
        switch self {
        case .contact: [.initiationMethod, .disconnectReason]
        case .offer: [.initiationMethod]
        case .agentTime: []
        }
    }
}

/// A dimension of the historical cells: a filter key and a grouping of GetMetricDataV2.
enum MetricDimension: String, CaseIterable, Sendable, Hashable {
    case queue = "QUEUE"
    case channel = "CHANNEL"
    case routingProfile = "ROUTING_PROFILE"
    case agent = "AGENT"
    case initiationMethod = "INITIATION_METHOD"
    case disconnectReason = "DISCONNECT_REASON"
}

/// A service-level threshold: X seconds, `LT` or `LTE`.
struct MetricThreshold: Sendable, Equatable {
    /// X, 1–604,800 s.
    var seconds: Int64
    /// `LTE` (true) or `LT`.
    var inclusive: Bool
}

/// One metric's definition.
struct MetricDefinition: Sendable {
    /// The GetMetricDataV2 name (or an internal name for v1-only metrics).
    var name: String
    /// `COUNT`, `SECONDS` or `PERCENT`.
    var unit: String
    /// What it reads.
    var family: MetricFamily
    /// Whether it needs a threshold.
    var threshold = false
    /// Whether it needs the chat counters (metrics@2 only).
    var chat = false
    /// The value of a merged cell; nil when it cannot be computed (a ratio over zero).
    var value: @Sendable (MetricCell, MetricThreshold?) -> Double?
}

/// The metric definitions.
enum MetricCatalogue {
    /// `part / whole`, nil when `whole` is 0.
    static func ratio(_ part: Int64, _ whole: Int64, scale: Double = 1) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole) * scale
    }

    static func count(_ name: String, _ counter: CoreCounter, family: MetricFamily = .contact) -> MetricDefinition {
        MetricDefinition(name: name, unit: "COUNT", family: family) { cell, _ in Double(cell[counter]) }
    }

    static func average(
        _ name: String,
        _ sum: CoreCounter,
        _ over: CoreCounter,
        scale: Double = 1
    )
        -> MetricDefinition
    {
        MetricDefinition(name: name, unit: "SECONDS", family: .contact) { cell, _ in
            ratio(cell[sum], cell[over], scale: scale)
        }
    }

    static func seconds(
        _ name: String,
        _ counter: CoreCounter,
        scale: Double = 1,
        family: MetricFamily
    )
        -> MetricDefinition
    {
        MetricDefinition(name: name, unit: "SECONDS", family: family) { cell, _ in Double(cell[counter]) * scale }
    }

    static func within(_ name: String, _ histogram: DurationHistogram) -> MetricDefinition {
        MetricDefinition(name: name, unit: "COUNT", family: .contact, threshold: true) { cell, threshold in
            guard let threshold else { return nil }
            return Double(cell.count(histogram, below: threshold.seconds, inclusive: threshold.inclusive))
        }
    }

    static func chatAverage(
        _ name: String,
        _ sum: ChatCounter,
        _ over: ChatCounter,
        unit: String = "SECONDS",
        scale: Double = 0.001
    ) -> MetricDefinition {
        MetricDefinition(name: name, unit: unit, family: .contact, chat: true) { cell, _ in
            ratio(cell[sum], cell[over], scale: scale)
        }
    }

    static func chatPerSegment(_ name: String, _ sum: ChatCounter) -> MetricDefinition {
        MetricDefinition(name: name, unit: "COUNT", family: .contact, chat: true) { cell, _ in
            ratio(cell[sum], cell[.created])
        }
    }

    static func chatCount(_ name: String, _ counter: ChatCounter) -> MetricDefinition {
        MetricDefinition(name: name, unit: "COUNT", family: .contact, chat: true) { cell, _ in Double(cell[counter]) }
    }

    /// Answered within X / queued × 100: every contact removed from the queue is in the denominator.
    static func serviceLevel(_ cell: MetricCell, _ threshold: MetricThreshold?) -> Double? {
        guard let threshold else { return nil }
        let answered = cell.count(.answered, below: threshold.seconds, inclusive: threshold.inclusive)
        return ratio(answered, cell[.queued], scale: 100)
    }

    static let micro = 1.0 / Double(Duration.second)

    /// The core metrics (metrics@1 and @2).
    static let core: [MetricDefinition] = [
        count("CONTACTS_CREATED", .created),
        count("CONTACTS_QUEUED", .queued),
        count("CONTACTS_HANDLED", .handled),
        count("CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT", .handledByConnectedTime),
        count("CONTACTS_ABANDONED", .abandoned),
        MetricDefinition(name: "ABANDONMENT_RATE", unit: "PERCENT", family: .contact) { cell, _ in
            ratio(cell[.abandoned], cell[.queued], scale: 100)
        },
        count("AGENT_NON_RESPONSE", .nonResponse, family: .offer),
        count("AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS", .nonResponseWithoutAbandons, family: .offer),
        MetricDefinition(name: "AGENT_ANSWER_RATE", unit: "PERCENT", family: .offer) { cell, _ in
            ratio(cell[.offersAccepted], cell[.offers], scale: 100)
        },
        average("AVG_QUEUE_ANSWER_TIME", .queueAnswerSeconds, .answered),
        average("AVG_ABANDON_TIME", .abandonSeconds, .abandoned),
        average("AVG_HANDLE_TIME", .handleSeconds, .handled),
        average("AVG_INTERACTION_TIME", .interactionSeconds, .handled),
        average("AVG_INTERACTION_AND_HOLD_TIME", .interactionSeconds, .handled),
        average("AVG_AFTER_CONTACT_WORK_TIME", .afterContactWorkSeconds, .afterContactWorkCount),
        average("AVG_CONTACT_DURATION", .contactDurationMicros, .created, scale: micro),
        average("AVG_CONVERSATION_DURATION", .conversationDurationMicros, .handled, scale: micro),
        MetricDefinition(name: "MAX_QUEUED_TIME", unit: "SECONDS", family: .contact) { cell, _ in
            cell.maximum(.removed).map(Double.init)
        },
        MetricDefinition(
            name: "SERVICE_LEVEL",
            unit: "PERCENT",
            family: .contact,
            threshold: true,
            value: serviceLevel
        ),
        within("SUM_CONTACTS_ANSWERED_IN_X", .answered),
        within("SUM_CONTACTS_ABANDONED_IN_X", .abandoned),
        within("CONTACTS_REMOVED_FROM_QUEUE_IN_X", .removed),
        within("CONTACTS_RESOLVED_IN_X", .resolved),
        count("CONTACTS_TRANSFERRED_OUT", .transferredOut),
        count("CONTACTS_TRANSFERRED_OUT_BY_AGENT", .transferredOutByAgent),
        count("CONTACTS_TRANSFERRED_OUT_FROM_QUEUE", .transferredOutFromQueue),
        count("SUM_CONTACTS_DISCONNECTED", .disconnected),
        seconds("SUM_HANDLE_TIME", .handleSeconds, family: .contact),
        seconds("SUM_INTERACTION_TIME", .interactionSeconds, family: .contact),
        seconds("SUM_AFTER_CONTACT_WORK_TIME", .afterContactWorkSeconds, family: .contact),
        MetricDefinition(name: "AGENT_OCCUPANCY", unit: "PERCENT", family: .agentTime) { cell, _ in
            ratio(cell[.contactMicros], cell[.contactMicros] + cell[.idleMicros], scale: 100)
        },
        MetricDefinition(name: "AVG_AGENT_CONCURRENCY", unit: "COUNT", family: .agentTime) { cell, _ in
            ratio(cell[.slotContactMicros], cell[.contactMicros])
        },
        seconds("SUM_ONLINE_TIME_AGENT", .onlineMicros, scale: micro, family: .agentTime),
        seconds("SUM_IDLE_TIME_AGENT", .idleMicros, scale: micro, family: .agentTime),
        seconds("SUM_NON_PRODUCTIVE_TIME_AGENT", .nonProductiveMicros, scale: micro, family: .agentTime),
        seconds("SUM_CONTACT_TIME_AGENT", .contactMicros, scale: micro, family: .agentTime),
        seconds("SUM_ERROR_STATUS_TIME_AGENT", .errorMicros, scale: micro, family: .agentTime),
    ]

    /// The chat metrics (metrics@2 only).
    static let chat: [MetricDefinition] = [
        chatAverage("AVG_FIRST_RESPONSE_TIME_AGENT", .firstResponseMillis, .firstResponseCount),
        chatAverage("AVG_GREETING_TIME_AGENT", .firstResponseMillis, .firstResponseCount),
        chatAverage("AVG_CONTACT_FIRST_RESPONSE_TIME_AGENT", .contactFirstResponseMillis, .contactFirstResponseCount),
        chatAverage("AVG_RESPONSE_TIME_AGENT", .agentResponseMillis, .agentResponses),
        chatAverage("AVG_RESPONSE_TIME_CUSTOMER", .customerResponseMillis, .customerResponses),
        chatPerSegment("AVG_MESSAGES", .messages),
        chatPerSegment("AVG_MESSAGES_BOT", .botMessages),
        chatAverage("AVG_MESSAGES_AGENT", .agentMessages, .agentSegments, unit: "COUNT", scale: 1),
        chatAverage("AVG_MESSAGES_CUSTOMER", .customerMessages, .customerSegments, unit: "COUNT", scale: 1),
        chatAverage("AVG_MESSAGE_LENGTH_AGENT", .agentMessageChars, .agentMessages, unit: "COUNT", scale: 1),
        chatAverage("AVG_MESSAGE_LENGTH_CUSTOMER", .customerMessageChars, .customerMessages, unit: "COUNT", scale: 1),
        chatAverage("AVG_CONVERSATION_CLOSE_TIME", .closeTimeMillis, .closeTimeCount),
        chatCount("CONVERSATIONS_ABANDONED", .conversationsAbandoned),
        chatAverage("AVG_BOT_CONVERSATION_TIME", .botConversationMillis, .botConversations),
        chatAverage("AVG_BOT_CONVERSATION_TURNS", .botTurns, .botConversations, unit: "COUNT", scale: 1),
        chatCount("BOT_CONVERSATIONS_COMPLETED", .botConversations),
    ]

    /// Metrics only GetMetricData (v1) names (they have no GetMetricDataV2 name of their own).
    static let legacy: [MetricDefinition] = [
        count("CONTACTS_AGENT_HUNG_UP_FIRST", .agentHungUpFirst),
        MetricDefinition(name: "ZERO", unit: "COUNT", family: .contact) { _, _ in 0 },
        MetricDefinition(name: "HOLD_TIME", unit: "SECONDS", family: .contact) { cell, _ in
            cell[.handled] == 0 ? nil : 0
        },
    ]

    /// GetMetricDataV2 names → definitions.
    static let byName: [String: MetricDefinition] = Dictionary(
        uniqueKeysWithValues: (core + chat).map { ($0.name, $0) }
    )

    /// Internal names of the v1-only definitions.
    static let legacyByName: [String: MetricDefinition] = Dictionary(
        uniqueKeysWithValues: legacy.map { ($0.name, $0) }
    )
}

// The contact operations of the Connect control plane: StartChatContact, StopContact, DescribeContact,
// Get/UpdateContactAttributes and UpdateParticipantRoleConfig; metrics (GetCurrentMetricData, GetMetricData,
// GetMetricDataV2) and SearchContacts. Shapes follow botocore's `connect/2017-08-08` model.
import Foundation
import Hummingbird
import ParleyDomain
import ParleyEngine

// MARK: - StartChatContact

extension ConnectAPI {
    struct StartChatBody: Decodable {
        struct Details: Decodable { var DisplayName: String }
        struct Configuration: Decodable { var ResponseMode: String? }
        struct Message: Decodable {
            var ContentType: String
            var Content: String
        }
        struct Persistent: Decodable {
            var RehydrationType: String?
            var SourceContactId: String
        }

        var InstanceId: String
        var ContactFlowId: String
        var Attributes: [String: String]?
        var ParticipantDetails: Details
        var ParticipantConfiguration: Configuration?
        var InitialMessage: Message?
        var ClientToken: String?
        var ChatDurationInMinutes: Int?
        var SupportedMessagingContentTypes: [String]?
        var PersistentChat: Persistent?
        var RelatedContactId: String?
        var CustomerId: String?
        var DisconnectOnCustomerExit: [String]?
    }

    struct StartChatAnswer: Encodable {
        var ContactId: String
        var ParticipantId: String
        var ParticipantToken: String
        var ContinuedFromContactId: String?
    }

    func startChatContact(_ request: Request) async throws(APIError) -> Response {
        let body = try await body(request, StartChatBody.self)
        let server = try instance(body.InstanceId)
        let start = StartChatContactRequest(
            instanceId: Self.instanceId(server),
            contactFlowId: body.ContactFlowId,
            displayName: body.ParticipantDetails.DisplayName,
            attributes: body.Attributes ?? [:],
            responseMode: body.ParticipantConfiguration?.ResponseMode,
            initialMessage: body.InitialMessage.map { .init(contentType: $0.ContentType, content: $0.Content) },
            clientToken: body.ClientToken,
            chatDurationInMinutes: body.ChatDurationInMinutes,
            supportedMessagingContentTypes: body.SupportedMessagingContentTypes,
            persistentChat: body.PersistentChat.map {
                .init(rehydrationType: $0.RehydrationType, sourceContactId: $0.SourceContactId)
            },
            relatedContactId: body.RelatedContactId,
            customerId: body.CustomerId,
            disconnectOnCustomerExit: body.DisconnectOnCustomerExit
        )
        return await server.submit(.startChatContact(start)) { reply throws(APIError) in
            guard case .chatStarted(let started) = reply else {
                throw APIError(.internalService, "the engine answered StartChatContact with \(reply)")
            }
            return StartChatAnswer(
                ContactId: started.contactId.description,
                ParticipantId: started.participantId.description,
                ParticipantToken: started.participantToken,
                ContinuedFromContactId: started.continuedFromContactId?.description
            )
        }
    }

    // MARK: - StopContact

    struct StopContactBody: Decodable {
        struct Reason: Decodable { var Code: String? }
        var ContactId: String
        var InstanceId: String
        var DisconnectReason: Reason?
    }

    func stopContact(_ request: Request) async throws(APIError) -> Response {
        let body = try await body(request, StopContactBody.self)
        let server = try instance(body.InstanceId)
        return await server.submit(.stopContact(instanceId: Self.instanceId(server), contactId: body.ContactId))
    }

    // MARK: - Attributes

    struct AttributesAnswer: Encodable { var Attributes: [String: String] }

    func getContactAttributes(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let contactId = try parameter(context, "InitialContactId")
        let snapshot = server.snapshot
        do {
            let attributes = try ChatQueries.contactAttributes(
                instanceId: Self.instanceId(server),
                contactId: contactId,
                in: snapshot.state
            )
            return Self.positioned(JSONResponse.make(AttributesAnswer(Attributes: attributes)), snapshot)
        } catch {
            throw APIError(error)
        }
    }

    struct UpdateAttributesBody: Decodable {
        var InitialContactId: String
        var InstanceId: String
        var Attributes: [String: String]
    }

    func updateContactAttributes(_ request: Request) async throws(APIError) -> Response {
        let body = try await body(request, UpdateAttributesBody.self)
        let server = try instance(body.InstanceId)
        return await server.submit(
            .updateContactAttributes(
                instanceId: Self.instanceId(server),
                initialContactId: body.InitialContactId,
                attributes: body.Attributes
            )
        )
    }

    // MARK: - UpdateParticipantRoleConfig

    struct RoleConfigBody: Decodable {
        struct Channel: Decodable { var Chat: Chat? }
        struct Chat: Decodable { var ParticipantTimerConfigList: [Timer] }
        struct Timer: Decodable {
            var ParticipantRole: String
            var TimerType: String
            var TimerValue: Value
        }
        struct Value: Decodable {
            var ParticipantTimerAction: String?
            var ParticipantTimerDurationInMinutes: Int?
        }
        var ChannelConfiguration: Channel
    }

    func updateParticipantRoleConfig(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let contactId = try parameter(context, "ContactId")
        let body = try await body(request, RoleConfigBody.self)
        guard let chat = body.ChannelConfiguration.Chat else {
            throw APIError(.invalidParameter, "ChannelConfiguration.Chat is required for a chat contact")
        }
        var settings: [RoleTimerRequest] = []
        for timer in chat.ParticipantTimerConfigList {
            let value = timer.TimerValue
            switch (value.ParticipantTimerAction, value.ParticipantTimerDurationInMinutes) {
            case ("Unset", nil):
                settings.append(RoleTimerRequest(role: timer.ParticipantRole, timerType: timer.TimerType, minutes: nil))
            case (nil, let minutes?):
                settings.append(
                    RoleTimerRequest(role: timer.ParticipantRole, timerType: timer.TimerType, minutes: minutes)
                )
            default:
                throw APIError(
                    .invalidParameter,
                    "TimerValue must hold exactly one of ParticipantTimerAction (Unset) and "
                        + "ParticipantTimerDurationInMinutes"
                )
            }
        }
        return await server.submit(
            .updateParticipantRoleConfig(instanceId: Self.instanceId(server), contactId: contactId, settings: settings)
        )
    }

    /// `response` with the position of the snapshot it was read from.
    static func positioned(_ response: Response, _ snapshot: Snapshot<ChatState>) -> Response {
        var response = response
        response.headers[.parleyPosition] = String(snapshot.position)
        return response
    }
}

// MARK: - DescribeContact

extension ConnectAPI {
    struct ContactView: Encodable {
        struct Queue: Encodable {
            var Id: String
            var EnqueueTimestamp: Double
        }
        struct Agent: Encodable {
            var Id: String
            var ConnectedToAgentTimestamp: Double?
            var AfterContactWorkStartTimestamp: Double?
            var AfterContactWorkEndTimestamp: Double?
            var AfterContactWorkDuration: Int64?
        }
        struct Participant: Encodable {
            var ParticipantId: String
            var ParticipantType: String
            var ConversationAbandon: Bool
            var MessagesSent: Int64
            var NumResponses: Int64
            var MessageLengthInChars: Int64
            var TotalResponseTimeInMillis: Int64
            var MaxResponseTimeInMillis: Int64
            var LastMessageTimestamp: Double?
        }
        struct ContactMetrics: Encodable {
            var MultiParty: Bool
            var TotalMessages: Int64
            var TotalBotMessages: Int64
            var TotalBotMessageLengthInChars: Int64
            var ConversationCloseTimeInMillis: Int64?
            var ConversationTurnCount: Int64
            var AgentFirstResponseTimestamp: Double?
            var AgentFirstResponseTimeInMillis: Int64?
        }
        struct Metrics: Encodable {
            var ChatContactMetrics: ContactMetrics
            var AgentMetrics: Participant?
            var CustomerMetrics: Participant?
        }

        var Arn: String
        var Id: String
        var InitialContactId: String
        var PreviousContactId: String?
        var RelatedContactId: String?
        var InitiationMethod: String
        var Channel = "CHAT"
        var QueueInfo: Queue?
        var AgentInfo: Agent?
        var InitiationTimestamp: Double
        var DisconnectTimestamp: Double?
        var LastUpdateTimestamp: Double
        var ConnectedToSystemTimestamp: Double?
        var QueuePriority: Int64?
        var QueueTimeAdjustmentSeconds: Int64?
        var CustomerId: String?
        var DisconnectReason: String?
        var Attributes: [String: String]
        var ChatMetrics: Metrics?

        init(_ record: ContactTraceRecord) {
            Arn = "\(ConnectARN.instance(record.instanceId))/contact/\(record.contactId)"
            Id = record.contactId.description
            InitialContactId = record.initialContactId.description
            PreviousContactId = record.previousContactId?.description
            RelatedContactId = record.relatedContactId?.description
            InitiationMethod = record.initiationMethod.description
            QueueInfo = record.queue.map {
                Queue(Id: $0.queueId, EnqueueTimestamp: EpochTime.seconds($0.enqueueTimestamp))
            }
            AgentInfo = record.agent.map {
                Agent(
                    Id: $0.userId,
                    ConnectedToAgentTimestamp: $0.connectedToAgentTimestamp.map(EpochTime.seconds),
                    AfterContactWorkStartTimestamp: $0.afterContactWorkStartTimestamp.map(EpochTime.seconds),
                    AfterContactWorkEndTimestamp: $0.afterContactWorkEndTimestamp.map(EpochTime.seconds),
                    AfterContactWorkDuration: $0.afterContactWorkDuration
                )
            }
            InitiationTimestamp = EpochTime.seconds(record.initiationTimestamp)
            DisconnectTimestamp = record.disconnectTimestamp.map(EpochTime.seconds)
            LastUpdateTimestamp = EpochTime.seconds(record.lastUpdateTimestamp)
            ConnectedToSystemTimestamp = record.connectedToSystemTimestamp.map(EpochTime.seconds)
            QueuePriority = record.queuePriority
            QueueTimeAdjustmentSeconds = record.queueTimeAdjustmentSeconds
            CustomerId = record.customerId
            DisconnectReason = record.disconnectReason?.description
            Attributes = record.attributes
            let metrics = record.chatMetrics
            ChatMetrics = Metrics(
                ChatContactMetrics: ContactMetrics(
                    MultiParty: metrics.multiParty,
                    TotalMessages: metrics.totalMessages,
                    TotalBotMessages: metrics.totalBotMessages,
                    TotalBotMessageLengthInChars: metrics.totalBotMessageLengthInChars,
                    ConversationCloseTimeInMillis: metrics.conversationCloseTimeInMillis,
                    ConversationTurnCount: metrics.conversationTurnCount,
                    AgentFirstResponseTimestamp: metrics.agentFirstResponseTimestamp.map(EpochTime.seconds),
                    AgentFirstResponseTimeInMillis: metrics.agentFirstResponseTimeInMillis
                ),
                AgentMetrics: metrics.agentMetrics.map(Self.participant),
                CustomerMetrics: metrics.customerMetrics.map(Self.participant)
            )
        }

        static func participant(_ metrics: CTRParticipantMetrics) -> Participant {
            Participant(
                ParticipantId: metrics.participantId.description,
                ParticipantType: metrics.participantType.description,
                ConversationAbandon: metrics.conversationAbandon,
                MessagesSent: metrics.messagesSent,
                NumResponses: metrics.numResponses,
                MessageLengthInChars: metrics.messageLengthInChars,
                TotalResponseTimeInMillis: metrics.totalResponseTimeInMillis,
                MaxResponseTimeInMillis: metrics.maxResponseTimeInMillis,
                LastMessageTimestamp: metrics.lastMessageTimestamp.map(EpochTime.seconds)
            )
        }
    }

    struct DescribeContactAnswer: Encodable { var Contact: ContactView }

    func describeContact(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let contactId = try parameter(context, "ContactId")
        let snapshot = server.snapshot
        let record = try contactRecords(snapshot).record(try Self.contact(contactId, in: server).contactId)
        guard let record else {
            throw APIError(.resourceNotFound, "Contact not found: \(contactId)", resourceType: "CONTACT")
        }
        return Self.positioned(JSONResponse.make(DescribeContactAnswer(Contact: ContactView(record))), snapshot)
    }
}

// MARK: - Metrics

extension ConnectAPI {
    func getCurrentMetricData(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, GetCurrentMetricDataRequest.self)
        let snapshot = server.snapshot
        do {
            let answer = try ChatQueries.getCurrentMetricData(
                body,
                instanceId: Self.instanceId(server),
                in: snapshot.state,
                now: server.clock.now()
            )
            return Self.positioned(JSONResponse.make(answer), snapshot)
        } catch {
            throw APIError(error)
        }
    }

    func getMetricData(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, GetMetricDataRequest.self)
        let snapshot = server.snapshot
        let metrics = try historicalMetrics(snapshot)
        do {
            let answer = try metrics.getMetricData(
                body,
                instanceId: Self.instanceId(server),
                in: snapshot.state,
                now: server.clock.now()
            )
            return Self.positioned(JSONResponse.make(answer), snapshot)
        } catch {
            throw APIError(error)
        }
    }

    struct ResourceArnProbe: Decodable { var ResourceArn: String }

    func getMetricDataV2(_ request: Request) async throws(APIError) -> Response {
        let data = try await request.collectBody(maxBytes: configuration.maxBodyBytes)
        let probe = try JSONRequest.decode(ResourceArnProbe.self, from: data)
        let body = try JSONRequest.decode(GetMetricDataV2Request.self, from: data)
        let server = try instance(probe.ResourceArn)
        let snapshot = server.snapshot
        let metrics = try historicalMetrics(snapshot)
        do {
            let answer = try metrics.getMetricDataV2(body, in: snapshot.state, now: server.clock.now())
            return Self.positioned(JSONResponse.make(answer), snapshot)
        } catch {
            throw APIError(error)
        }
    }
}

// MARK: - SearchContacts

extension ConnectAPI {
    struct SearchBody: Decodable {
        struct TimeRange: Decodable {
            var `Type`: String
            var StartTime: Double
            var EndTime: Double
        }
        struct Criteria: Decodable {
            var AgentIds: [String]?
            var Channels: [String]?
            var InitiationMethods: [String]?
            var QueueIds: [String]?
            var SearchableContactAttributes: Attributes?

            /// Criteria Parley cannot evaluate (no hierarchy, analysis, routing criteria or tags on chat contacts
            /// here) are refused rather than silently ignored.
            static let supported: Set<String> = [
                "AgentIds", "Channels", "InitiationMethods", "QueueIds", "SearchableContactAttributes",
            ]
        }
        struct Attributes: Decodable {
            struct Criterion: Decodable {
                var Key: String
                var Values: [String]
            }
            var Criteria: [Criterion]
            var MatchType: String?
        }
        struct Sort: Decodable {
            var FieldName: String
            var Order: String
        }

        var InstanceId: String
        var TimeRange: TimeRange
        var SearchCriteria: Criteria?
        var MaxResults: Int?
        var NextToken: String?
        var Sort: Sort?
    }

    /// The field names present in `SearchCriteria`.
    struct CriteriaKeys: Decodable {
        struct Names: Decodable {
            var names: [String]
            init(from decoder: any Decoder) throws {
                names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            }
        }
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var SearchCriteria: Names?
    }

    struct SearchAnswer: Encodable {
        struct Summary: Encodable {
            struct Queue: Encodable {
                var Id: String
                var EnqueueTimestamp: Double
            }
            struct Agent: Encodable {
                var Id: String
                var ConnectedToAgentTimestamp: Double?
            }
            var Arn: String
            var Id: String
            var InitialContactId: String
            var PreviousContactId: String?
            var InitiationMethod: String
            var Channel = "CHAT"
            var QueueInfo: Queue?
            var AgentInfo: Agent?
            var InitiationTimestamp: Double
            var DisconnectTimestamp: Double?
        }
        var Contacts: [Summary]
        var NextToken: String?
        var TotalCount: Int
    }

    /// The timestamps SearchContacts can filter and sort chat contacts by (a chat is never scheduled).
    static let searchTimeFields: Set<String> = [
        "INITIATION_TIMESTAMP", "CONNECTED_TO_AGENT_TIMESTAMP", "DISCONNECT_TIMESTAMP", "ENQUEUE_TIMESTAMP",
        "SCHEDULED_TIMESTAMP",
    ]

    /// The timestamp `field` (one of `searchTimeFields`) of `record`, nil when it has none.
    static func searchTime(_ field: String, of record: ContactTraceRecord) -> Int64? {
        switch field {
        case "INITIATION_TIMESTAMP": record.initiationTimestamp
        case "CONNECTED_TO_AGENT_TIMESTAMP": record.agent?.connectedToAgentTimestamp
        case "DISCONNECT_TIMESTAMP": record.disconnectTimestamp
        case "ENQUEUE_TIMESTAMP": record.queue?.enqueueTimestamp
        default: nil
        }
    }

    func searchContacts(_ request: Request) async throws(APIError) -> Response {
        let data = try await request.collectBody(maxBytes: configuration.maxBodyBytes)
        let body = try JSONRequest.decode(SearchBody.self, from: data)
        let keys = try JSONRequest.decode(CriteriaKeys.self, from: data).SearchCriteria?.names.sorted() ?? []
        if let unsupported = keys.first(where: { !SearchBody.Criteria.supported.contains($0) }) {
            throw APIError(
                .invalidParameter,
                "SearchCriteria.\(unsupported) is not supported by Parley (supported: "
                    + SearchBody.Criteria.supported.sorted().joined(separator: ", ") + ")"
            )
        }
        let server = try instance(body.InstanceId)
        let paging = try Paging(
            maxResults: body.MaxResults,
            nextToken: body.NextToken,
            range: 1...100,
            defaultMaxResults: 100
        )
        guard let from = EpochTime.micros(body.TimeRange.StartTime), let to = EpochTime.micros(body.TimeRange.EndTime),
            from <= to
        else { throw APIError(.invalidParameter, "TimeRange.StartTime must not be after TimeRange.EndTime") }
        guard Self.searchTimeFields.contains(body.TimeRange.Type) else {
            throw APIError(.invalidParameter, "TimeRange.Type \(body.TimeRange.Type) is not a contact timestamp")
        }
        let sortField = body.Sort?.FieldName ?? "INITIATION_TIMESTAMP"
        let descending = (body.Sort?.Order ?? "DESCENDING") == "DESCENDING"
        guard Self.searchTimeFields.contains(sortField),
            ["ASCENDING", "DESCENDING"].contains(body.Sort?.Order ?? "DESCENDING")
        else {
            throw APIError(.invalidParameter, "Sort must name a contact timestamp and ASCENDING or DESCENDING")
        }
        let snapshot = server.snapshot
        var matches: [(key: Int64, record: ContactTraceRecord)] = []
        for record in try contactRecords(snapshot).records.values {
            guard let time = Self.searchTime(body.TimeRange.Type, of: record), time >= from, time <= to,
                try Self.matches(record, body.SearchCriteria)
            else { continue }
            let key = Self.searchTime(sortField, of: record) ?? (descending ? .min : .max)
            matches.append((key, record))
        }
        matches.sort {
            $0.key != $1.key
                ? (descending ? $0.key > $1.key : $0.key < $1.key)
                : $0.record.contactId.description < $1.record.contactId.description
        }
        let page = paging.page(matches.map(\.record))
        let answer = SearchAnswer(
            Contacts: page.items.map { record in
                SearchAnswer.Summary(
                    Arn: "\(ConnectARN.instance(record.instanceId))/contact/\(record.contactId)",
                    Id: record.contactId.description,
                    InitialContactId: record.initialContactId.description,
                    PreviousContactId: record.previousContactId?.description,
                    InitiationMethod: record.initiationMethod.description,
                    QueueInfo: record.queue.map {
                        .init(Id: $0.queueId, EnqueueTimestamp: EpochTime.seconds($0.enqueueTimestamp))
                    },
                    AgentInfo: record.agent.map {
                        .init(
                            Id: $0.userId,
                            ConnectedToAgentTimestamp: $0.connectedToAgentTimestamp.map(EpochTime.seconds)
                        )
                    },
                    InitiationTimestamp: EpochTime.seconds(record.initiationTimestamp),
                    DisconnectTimestamp: record.disconnectTimestamp.map(EpochTime.seconds)
                )
            },
            NextToken: page.nextToken,
            TotalCount: matches.count
        )
        return Self.positioned(JSONResponse.make(answer), snapshot)
    }

    static func matches(_ record: ContactTraceRecord, _ criteria: SearchBody.Criteria?) throws(APIError) -> Bool {
        guard let criteria else { return true }
        if let channels = criteria.Channels, !channels.isEmpty, !channels.contains("CHAT") { return false }
        if let agents = criteria.AgentIds, !agents.isEmpty {
            guard let agent = record.agent?.userId, agents.contains(agent) else { return false }
        }
        if let queues = criteria.QueueIds, !queues.isEmpty {
            guard let queue = record.queue?.queueId, queues.contains(queue) else { return false }
        }
        if let methods = criteria.InitiationMethods, !methods.isEmpty,
            !methods.contains(record.initiationMethod.description)
        {
            return false
        }
        if let attributes = criteria.SearchableContactAttributes, !attributes.Criteria.isEmpty {
            let hits = attributes.Criteria.map { criterion in
                record.attributes[criterion.Key].map { criterion.Values.contains($0) } ?? false
            }
            switch attributes.MatchType ?? "MATCH_ALL" {
            case "MATCH_ALL": if hits.contains(false) { return false }
            case "MATCH_ANY": if !hits.contains(true) { return false }
            default:
                throw APIError(
                    .invalidParameter,
                    "SearchableContactAttributes.MatchType must be MATCH_ALL or MATCH_ANY"
                )
            }
        }
        return true
    }
}

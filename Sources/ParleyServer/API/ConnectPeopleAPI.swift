// The Connect control plane for the people side of routing (connect-chat.md §6): routing profiles, users, agent
// statuses and PutUserStatus, with the methods, URIs, JSON shapes, limits and error types of the `connect`
// 2017-08-08 model. Writes submit the domain's commands (which enforce the limits the domain knows: names, counts,
// priorities, concurrency…); the handlers check what the model adds (enums, list sizes, lengths) and reads answer
// from the latest snapshot.
//
// Parley is chat-only: a routing profile keeps the CHAT concurrency and the CHAT queue configs; VOICE, TASK and EMAIL
// entries are accepted (and checked against the model) but ignored, since only chats route. Fields the domain does
// not keep — descriptions, display orders, tags, identity info, security profiles, hierarchy groups, directory
// user ids, manual-assignment queues, last-modified times — are accepted and dropped, and are absent (or empty) when
// described.
import HTTPTypes
import Hummingbird
import ParleyDomain
import ParleyEngine

/// Adds the routing-profile, user and agent-status routes of the control plane.
func addConnectPeopleRoutes(to router: some RouterMethods<some RequestContext>, api: ConnectAPI) {
    // Routing profiles.
    router.put("/routing-profiles/:InstanceId") { request, context in
        try await api.createRoutingProfile(request, context)
    }
    router.get("/routing-profiles/:InstanceId/:RoutingProfileId") { request, context in
        try await api.describeRoutingProfile(request, context)
    }
    router.get("/routing-profiles-summary/:InstanceId") { request, context in
        try await api.listRoutingProfiles(request, context)
    }
    router.get("/routing-profiles/:InstanceId/:RoutingProfileId/queues") { request, context in
        try await api.listRoutingProfileQueues(request, context)
    }
    router.post("/routing-profiles/:InstanceId/:RoutingProfileId/queues") { request, context in
        try await api.updateRoutingProfileQueues(request, context)
    }
    router.post("/routing-profiles/:InstanceId/:RoutingProfileId/associate-queues") { request, context in
        try await api.associateRoutingProfileQueues(request, context)
    }
    router.post("/routing-profiles/:InstanceId/:RoutingProfileId/disassociate-queues") { request, context in
        try await api.disassociateRoutingProfileQueues(request, context)
    }
    router.post("/routing-profiles/:InstanceId/:RoutingProfileId/concurrency") { request, context in
        try await api.updateRoutingProfileConcurrency(request, context)
    }
    router.delete("/routing-profiles/:InstanceId/:RoutingProfileId") { _, context in
        try await api.deleteRoutingProfile(context)
    }
    // Users.
    router.put("/users/:InstanceId") { request, context in try await api.createUser(request, context) }
    router.get("/users/:InstanceId/:UserId") { request, context in try await api.describeUser(request, context) }
    router.get("/users-summary/:InstanceId") { request, context in try await api.listUsers(request, context) }
    router.post("/users/:InstanceId/:UserId/routing-profile") { request, context in
        try await api.updateUserRoutingProfile(request, context)
    }
    router.post("/users/:InstanceId/:UserId/phone-config") { request, context in
        try await api.updateUserPhoneConfig(request, context)
    }
    router.delete("/users/:InstanceId/:UserId") { _, context in try await api.deleteUser(context) }
    router.put("/users/:InstanceId/:UserId/status") { request, context in try await api.putUserStatus(request, context)
    }
    // Agent statuses.
    router.put("/agent-status/:InstanceId") { request, context in try await api.createAgentStatus(request, context) }
    router.get("/agent-status/:InstanceId/:AgentStatusId") { request, context in
        try await api.describeAgentStatus(request, context)
    }
    router.get("/agent-status/:InstanceId") { request, context in try await api.listAgentStatuses(request, context) }
    router.post("/agent-status/:InstanceId/:AgentStatusId") { request, context in
        try await api.updateAgentStatus(request, context)
    }
}

// MARK: - Shared checks and lookups

extension ConnectAPI {
    /// The model's `Channel` values; only CHAT routes in Parley.
    static let channels: Set<String> = ["VOICE", "CHAT", "TASK", "EMAIL"]

    /// InvalidParameterException unless `channel` is one of the model's channels.
    static func checkChannel(_ channel: String, _ field: String) throws(APIError) {
        guard channels.contains(channel) else {
            throw APIError(.invalidParameter, "\(field) must be VOICE, CHAT, TASK or EMAIL, not \(channel.prefix(64))")
        }
    }

    /// InvalidParameterException unless `value` (when present) is one of `allowed`.
    static func checkEnum(_ value: String?, _ field: String, _ allowed: [String]) throws(APIError) {
        guard let value, !allowed.contains(value) else { return }
        throw APIError(
            .invalidParameter,
            "\(field) must be \(allowed.joined(separator: " or ")), not \(value.prefix(64))"
        )
    }

    /// InvalidParameterException unless `text` (when present) has a length in `range`.
    static func checkLength(_ text: String?, _ field: String, _ range: ClosedRange<Int>) throws(APIError) {
        guard let text, !range.contains(text.count) else { return }
        throw APIError(.invalidParameter, "\(field) must be \(range.lowerBound)–\(range.upperBound) characters")
    }

    /// InvalidParameterException unless `value` (when present) is in `range`.
    static func checkRange(_ value: Int64?, _ field: String, _ range: ClosedRange<Int64>) throws(APIError) {
        guard let value, !range.contains(value) else { return }
        throw APIError(.invalidParameter, "\(field) must be \(range.lowerBound)–\(range.upperBound), not \(value)")
    }

    /// The routing profile `id` of `state`, or ResourceNotFoundException.
    static func routingProfile(_ id: String, in state: ChatState) throws(APIError) -> RoutingProfile {
        guard let profile = state.routingProfiles[id] else {
            throw APIError(
                .resourceNotFound,
                "Routing profile not found: \(id.prefix(256))",
                resourceId: String(id.prefix(256)),
                resourceType: "ROUTING_PROFILE"
            )
        }
        return profile
    }

    /// The user `id` of `state`, or ResourceNotFoundException.
    static func user(_ id: String, in state: ChatState) throws(APIError) -> AgentUser {
        guard let user = state.users[id] else {
            throw APIError(
                .resourceNotFound,
                "User not found: \(id.prefix(256))",
                resourceId: String(id.prefix(256)),
                resourceType: "USER"
            )
        }
        return user
    }

    /// The agent status `id` of `state`, or ResourceNotFoundException.
    static func agentStatus(_ id: String, in state: ChatState) throws(APIError) -> AgentStatus {
        guard let status = state.agentStatuses[id] else {
            throw APIError(
                .resourceNotFound,
                "Agent status not found: \(id.prefix(256))",
                resourceId: String(id.prefix(256)),
                resourceType: "AGENT_STATUS"
            )
        }
        return status
    }

    /// The id of the queue `reference` names (an id, or an ARN ending in it), or ResourceNotFoundException.
    static func queueId(_ reference: String, in state: ChatState) throws(APIError) -> String {
        if state.queues[reference] != nil { return reference }
        if let last = reference.split(separator: "/").last.map(String.init), state.queues[last] != nil { return last }
        throw APIError(
            .resourceNotFound,
            "Queue not found: \(reference.prefix(256))",
            resourceId: String(reference.prefix(256)),
            resourceType: "QUEUE"
        )
    }

    /// An agent status's ARN (`…/instance/<id>/agent-state/<status id>`, Amazon's form).
    static func agentStatusARN(_ instanceId: String, _ statusId: String) -> String {
        "\(ConnectARN.instance(instanceId))/agent-state/\(statusId)"
    }
}

// MARK: - Routing profiles

extension ConnectAPI {
    struct QueueReferenceBody: Decodable {
        var QueueId: String
        var Channel: String
    }

    struct QueueConfigBody: Decodable {
        var QueueReference: QueueReferenceBody
        var Priority: Int64
        var Delay: Int64
    }

    struct ManualAssignmentQueueConfigBody: Decodable {
        var QueueReference: QueueReferenceBody
    }

    struct CrossChannelBehaviorBody: Codable {
        var BehaviorType: String
    }

    struct MediaConcurrencyBody: Codable {
        var Channel: String
        var Concurrency: Int64
        var CrossChannelBehavior: CrossChannelBehaviorBody?
    }

    /// The CHAT entries of `QueueConfigs` (1–10 entries when present; each checked against the model). VOICE, TASK
    /// and EMAIL entries are accepted and ignored: only chats route in Parley.
    static func chatQueueConfigs(_ configs: [QueueConfigBody]?) throws(APIError) -> [RoutingQueueConfig] {
        guard let configs else { return [] }
        guard (1...10).contains(configs.count) else {
            throw APIError(.invalidParameter, "QueueConfigs must have 1–10 entries, not \(configs.count)")
        }
        var chat: [RoutingQueueConfig] = []
        for config in configs {
            try checkChannel(config.QueueReference.Channel, "QueueReference.Channel")
            try checkRange(config.Priority, "Priority", RoutingLimits.priority)
            try checkRange(config.Delay, "Delay", RoutingLimits.delaySeconds)
            guard config.QueueReference.Channel == "CHAT" else { continue }
            chat.append(
                RoutingQueueConfig(
                    queueId: config.QueueReference.QueueId,
                    priority: config.Priority,
                    delaySeconds: config.Delay
                )
            )
        }
        return chat
    }

    /// The CHAT entry of `MediaConcurrencies` (concurrency, and whether it routes any channel), nil without one;
    /// every entry is checked against the model, the others are ignored (Parley routes chats only).
    static func chatConcurrency(_ entries: [MediaConcurrencyBody]) throws(APIError) -> (Int64, Bool)? {
        var chat: (Int64, Bool)?
        for entry in entries {
            try checkChannel(entry.Channel, "MediaConcurrencies.Channel")
            try checkRange(entry.Concurrency, "Concurrency", 1...10)
            let behavior = entry.CrossChannelBehavior?.BehaviorType
            try checkEnum(behavior, "BehaviorType", ["ROUTE_CURRENT_CHANNEL_ONLY", "ROUTE_ANY_CHANNEL"])
            guard entry.Channel == "CHAT" else { continue }
            guard chat == nil else {
                throw APIError(.invalidParameter, "MediaConcurrencies names the CHAT channel twice")
            }
            chat = (entry.Concurrency, behavior == "ROUTE_ANY_CHANNEL")
        }
        return chat
    }

    struct CreateRoutingProfileBody: Decodable {
        var Name: String
        var Description: String
        var DefaultOutboundQueueId: String
        var QueueConfigs: [QueueConfigBody]?
        var ManualAssignmentQueueConfigs: [ManualAssignmentQueueConfigBody]?
        var MediaConcurrencies: [MediaConcurrencyBody]
        var Tags: [String: String]?
        var AgentAvailabilityTimer: String?
    }

    struct CreateRoutingProfileAnswer: Encodable {
        var RoutingProfileArn: String
        var RoutingProfileId: String
    }

    /// `CreateRoutingProfile`. The domain keeps the name, the description, the CHAT concurrency and cross-channel
    /// behaviour, the CHAT queue configs and the default outbound queue; Tags, AgentAvailabilityTimer and
    /// ManualAssignmentQueueConfigs are checked and dropped.
    func createRoutingProfile(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateRoutingProfileBody.self)
        try Self.checkLength(body.Description, "Description", 1...250)
        try Self.checkEnum(
            body.AgentAvailabilityTimer,
            "AgentAvailabilityTimer",
            ["TIME_SINCE_LAST_ACTIVITY", "TIME_SINCE_LAST_INBOUND"]
        )
        for config in body.ManualAssignmentQueueConfigs ?? [] {
            try Self.checkChannel(config.QueueReference.Channel, "QueueReference.Channel")
        }
        let queues = try Self.chatQueueConfigs(body.QueueConfigs)
        guard let (concurrency, routeAnyChannel) = try Self.chatConcurrency(body.MediaConcurrencies) else {
            throw APIError(.invalidParameter, "MediaConcurrencies must include the CHAT channel: Parley routes chats")
        }
        let instanceId = Self.instanceId(server)
        let command = ChatCommand.createRoutingProfile(
            instanceId: instanceId,
            routingProfileId: nil,
            name: body.Name,
            chatConcurrency: concurrency,
            routeAnyChannel: routeAnyChannel,
            queueConfigs: queues,
            defaultOutboundQueueId: body.DefaultOutboundQueueId
        )
        return await Self.create(server, command, .routingProfile, description: body.Description) { id in
            CreateRoutingProfileAnswer(
                RoutingProfileArn: ConnectARN.routingProfile(instanceId, id),
                RoutingProfileId: id
            )
        }
    }

    struct RoutingProfileView: Encodable {
        var InstanceId: String
        var Name: String
        var Description: String?
        var RoutingProfileArn: String
        var RoutingProfileId: String
        var MediaConcurrencies: [MediaConcurrencyBody]
        var DefaultOutboundQueueId: String
        var NumberOfAssociatedQueues: Int
        var NumberOfAssociatedUsers: Int
        var AssociatedQueueIds: [String]
        var IsDefault = false
        var Tags: [String: String] = [:]
    }

    struct DescribeRoutingProfileAnswer: Encodable { var RoutingProfile: RoutingProfileView }

    /// `DescribeRoutingProfile`: only the CHAT concurrency (Parley routes chats).
    func describeRoutingProfile(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let state = try await server.snapshot(for: request).state
        let profile = try Self.routingProfile(try parameter(context, "RoutingProfileId"), in: state)
        let instanceId = Self.instanceId(server)
        let behavior = profile.routeAnyChannel ? "ROUTE_ANY_CHANNEL" : "ROUTE_CURRENT_CHANNEL_ONLY"
        let view = RoutingProfileView(
            InstanceId: instanceId,
            Name: profile.name,
            Description: Self.description(.routingProfile, profile.routingProfileId, in: server),
            RoutingProfileArn: ConnectARN.routingProfile(instanceId, profile.routingProfileId),
            RoutingProfileId: profile.routingProfileId,
            MediaConcurrencies: [
                MediaConcurrencyBody(
                    Channel: "CHAT",
                    Concurrency: profile.chatConcurrency,
                    CrossChannelBehavior: CrossChannelBehaviorBody(BehaviorType: behavior)
                )
            ],
            DefaultOutboundQueueId: profile.defaultOutboundQueueId,
            NumberOfAssociatedQueues: profile.queues.count,
            NumberOfAssociatedUsers: state.users.values.filter { $0.routingProfileId == profile.routingProfileId }
                .count,
            AssociatedQueueIds: profile.queues.map(\.queueId)
        )
        return JSONResponse.make(DescribeRoutingProfileAnswer(RoutingProfile: view))
    }

    struct RoutingProfileSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String
    }

    struct ListRoutingProfilesAnswer: Encodable {
        var RoutingProfileSummaryList: [RoutingProfileSummary]
        var NextToken: String?
    }

    /// `ListRoutingProfiles`, by name then id.
    func listRoutingProfiles(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let paging = try Paging(request, maxResults: 1...1_000, defaultMaxResults: 100)
        let state = try await server.snapshot(for: request).state
        let instanceId = Self.instanceId(server)
        let summaries = state.routingProfiles.values
            .sorted { ($0.name, $0.routingProfileId) < ($1.name, $1.routingProfileId) }
            .map { profile in
                RoutingProfileSummary(
                    Id: profile.routingProfileId,
                    Arn: ConnectARN.routingProfile(instanceId, profile.routingProfileId),
                    Name: profile.name
                )
            }
        let page = paging.page(summaries)
        return JSONResponse.make(
            ListRoutingProfilesAnswer(RoutingProfileSummaryList: page.items, NextToken: page.nextToken)
        )
    }

    struct RoutingProfileQueueSummary: Encodable {
        var QueueId: String
        var QueueArn: String
        var QueueName: String
        var Priority: Int64
        var Delay: Int64
        var Channel = "CHAT"
    }

    struct ListRoutingProfileQueuesAnswer: Encodable {
        var RoutingProfileQueueConfigSummaryList: [RoutingProfileQueueSummary]
        var NextToken: String?
    }

    /// `ListRoutingProfileQueues`: the profile's (CHAT) queues by queue name then id.
    func listRoutingProfileQueues(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response
    {
        let server = try instance(context)
        let paging = try Paging(request, maxResults: 1...100, defaultMaxResults: 100)
        let state = try await server.snapshot(for: request).state
        let profile = try Self.routingProfile(try parameter(context, "RoutingProfileId"), in: state)
        let instanceId = Self.instanceId(server)
        let summaries = profile.queues
            .map { config in
                RoutingProfileQueueSummary(
                    QueueId: config.queueId,
                    QueueArn: ConnectARN.queue(instanceId, config.queueId),
                    QueueName: state.queues[config.queueId]?.name ?? config.queueId,
                    Priority: config.priority,
                    Delay: config.delaySeconds
                )
            }
            .sorted { ($0.QueueName, $0.QueueId) < ($1.QueueName, $1.QueueId) }
        let page = paging.page(summaries)
        return JSONResponse.make(
            ListRoutingProfileQueuesAnswer(RoutingProfileQueueConfigSummaryList: page.items, NextToken: page.nextToken)
        )
    }

    struct RoutingProfileQueuesBody: Decodable {
        var QueueConfigs: [QueueConfigBody]?
        var ManualAssignmentQueueConfigs: [ManualAssignmentQueueConfigBody]?
    }

    struct UpdateRoutingProfileQueuesBody: Decodable {
        var QueueConfigs: [QueueConfigBody]
    }

    struct DisassociateQueuesBody: Decodable {
        var QueueReferences: [QueueReferenceBody]?
        var ManualAssignmentQueueReferences: [QueueReferenceBody]?
    }

    /// Submits a profile's whole CHAT queue list, worked out from the latest snapshot by `change`.
    ///
    /// The domain's `updateRoutingProfile` replaces the list, so the association operations read the profile, change
    /// its list and submit it: two such calls on one profile at the same moment can lose one's change (the domain
    /// has no command that adds or removes single queues).
    func changeRoutingProfileQueues(
        _ context: some RequestContext,
        _ change: (RoutingProfile, ChatState) throws(APIError) -> [RoutingQueueConfig]
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let state = server.snapshot.state
        let profile = try Self.routingProfile(try parameter(context, "RoutingProfileId"), in: state)
        let queues = try change(profile, state)
        return await server.submit(
            .updateRoutingProfile(
                instanceId: Self.instanceId(server),
                routingProfileId: profile.routingProfileId,
                chatConcurrency: nil,
                queueConfigs: queues
            )
        )
    }

    /// `UpdateRoutingProfileQueues`: new priority and delay for queues the profile already has (CHAT entries).
    func updateRoutingProfileQueues(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let body = try await body(request, UpdateRoutingProfileQueuesBody.self)
        let updates = try Self.chatQueueConfigs(body.QueueConfigs)
        return try await changeRoutingProfileQueues(context) { profile, state throws(APIError) in
            var queues = profile.queues
            for update in updates {
                let queueId = try Self.queueId(update.queueId, in: state)
                guard let index = queues.firstIndex(where: { $0.queueId == queueId }) else {
                    throw APIError(
                        ChatError(
                            .invalidRequest,
                            "queue \(queueId) is not in routing profile \(profile.name): associate it first"
                        )
                    )
                }
                queues[index].priority = update.priority
                queues[index].delaySeconds = update.delaySeconds
            }
            return queues
        }
    }

    /// `AssociateRoutingProfileQueues`: adds the CHAT entries of `QueueConfigs` (a queue the profile has already is
    /// refused by the domain). `ManualAssignmentQueueConfigs` are checked and dropped.
    func associateRoutingProfileQueues(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError)
        -> Response
    {
        let body = try await body(request, RoutingProfileQueuesBody.self)
        for config in body.ManualAssignmentQueueConfigs ?? [] {
            try Self.checkChannel(config.QueueReference.Channel, "QueueReference.Channel")
        }
        let added = try Self.chatQueueConfigs(body.QueueConfigs)
        return try await changeRoutingProfileQueues(context) { profile, _ in profile.queues + added }
    }

    /// `DisassociateRoutingProfileQueues`: removes the CHAT queues named (one the profile does not have is a no-op;
    /// an unknown queue is ResourceNotFoundException).
    func disassociateRoutingProfileQueues(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError)
        -> Response
    {
        let body = try await body(request, DisassociateQueuesBody.self)
        let references = (body.QueueReferences ?? []) + (body.ManualAssignmentQueueReferences ?? [])
        for reference in references { try Self.checkChannel(reference.Channel, "Channel") }
        return try await changeRoutingProfileQueues(context) { profile, state throws(APIError) in
            var removed: Set<String> = []
            for reference in body.QueueReferences ?? [] where reference.Channel == "CHAT" {
                removed.insert(try Self.queueId(reference.QueueId, in: state))
            }
            return profile.queues.filter { !removed.contains($0.queueId) }
        }
    }

    struct UpdateConcurrencyBody: Decodable {
        var MediaConcurrencies: [MediaConcurrencyBody]
    }

    /// `UpdateRoutingProfileConcurrency`: the CHAT concurrency (other channels are checked and ignored; the domain
    /// cannot change the cross-channel behaviour after creation, so a CHAT `CrossChannelBehavior` is ignored too).
    func updateRoutingProfileConcurrency(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError)
        -> Response
    {
        let server = try instance(context)
        let body = try await body(request, UpdateConcurrencyBody.self)
        let chat = try Self.chatConcurrency(body.MediaConcurrencies)
        return await server.submit(
            .updateRoutingProfile(
                instanceId: Self.instanceId(server),
                routingProfileId: try parameter(context, "RoutingProfileId"),
                chatConcurrency: chat?.0,
                queueConfigs: nil
            )
        )
    }

    /// `DeleteRoutingProfile` (ResourceInUseException while a user has it).
    func deleteRoutingProfile(_ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        return await server.submit(
            .deleteRoutingProfile(
                instanceId: Self.instanceId(server),
                routingProfileId: try parameter(context, "RoutingProfileId")
            )
        )
    }
}

// MARK: - Users

extension ConnectAPI {
    struct IdentityInfoBody: Decodable {
        var FirstName: String?
        var LastName: String?
        var Email: String?
        var SecondaryEmail: String?
        var Mobile: String?
    }

    struct PhoneConfigBody: Codable {
        var PhoneType: String?
        var AutoAccept: Bool?
        var AfterContactWorkTimeLimit: Int64?
        var DeskPhoneNumber: String?
        var PersistentConnection: Bool?
    }

    struct AutoAcceptConfigBody: Codable {
        var Channel: String
        var AutoAccept: Bool
    }

    struct AfterContactWorkConfigBody: Codable {
        struct Limit: Codable { var AfterContactWorkTimeLimit: Int64? }
        var Channel: String
        var AfterContactWorkConfig: Limit
    }

    struct CreateUserBody: Decodable {
        var Username: String
        var Password: String?
        var IdentityInfo: IdentityInfoBody?
        var PhoneConfig: PhoneConfigBody?
        var DirectoryUserId: String?
        var SecurityProfileIds: [String]
        var RoutingProfileId: String
        var HierarchyGroupId: String?
        var AutoAcceptConfigs: [AutoAcceptConfigBody]?
        var AfterContactWorkConfigs: [AfterContactWorkConfigBody]?
        var Tags: [String: String]?
    }

    struct CreateUserAnswer: Encodable {
        var UserId: String
        var UserArn: String
    }

    /// The CHAT auto-accept and after-contact-work limit a request sets (nil: not set): `PhoneConfig`'s, unless the
    /// per-channel `AutoAcceptConfigs` / `AfterContactWorkConfigs` have a CHAT entry. Everything is checked against
    /// the model; what is about other channels or phones is ignored.
    static func chatUserSettings(
        _ phone: PhoneConfigBody?,
        autoAccept configs: [AutoAcceptConfigBody]? = nil,
        afterContactWork limits: [AfterContactWorkConfigBody]? = nil
    ) throws(APIError) -> (autoAccept: Bool?, afterContactWorkSeconds: Int64?) {
        try checkEnum(phone?.PhoneType, "PhoneType", ["SOFT_PHONE", "DESK_PHONE"])
        var autoAccept = phone?.AutoAccept
        var afterContactWork = phone?.AfterContactWorkTimeLimit
        for config in configs ?? [] {
            try checkChannel(config.Channel, "AutoAcceptConfigs.Channel")
            if config.Channel == "CHAT" { autoAccept = config.AutoAccept }
        }
        for limit in limits ?? [] {
            try checkChannel(limit.Channel, "AfterContactWorkConfigs.Channel")
            if limit.Channel == "CHAT", let seconds = limit.AfterContactWorkConfig.AfterContactWorkTimeLimit {
                afterContactWork = seconds
            }
        }
        return (autoAccept, afterContactWork)
    }

    /// Amazon's password rule, the model's pattern `^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}$`: 8–64
    /// characters, no white space, with an upper-case letter, a lower-case letter and a digit (ASCII).
    static func checkPassword(_ password: String) throws(APIError) {
        let valid =
            (8...64).contains(password.count) && !password.contains(where: \.isWhitespace)
            && password.contains { $0.isASCII && $0.isUppercase } && password.contains { $0.isASCII && $0.isLowercase }
            && password.contains { $0.isASCII && $0.isNumber }
        guard valid else {
            throw APIError(
                .invalidParameter,
                "Password must be 8–64 characters without spaces, with an upper-case letter, a lower-case letter and "
                    + "a digit"
            )
        }
    }

    /// A PBKDF2 credential for `password` with a fresh random salt, derived off the cooperative pool (slow by
    /// design) the way the agent login verifies one, and outside the engine's writer.
    static func deriveCredential(_ password: String) async throws(APIError) -> PasswordCredential {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let derived = await AgentAPI.offCooperativePool {
            Result { () throws(ChatError) in try PasswordCredential.derive(password: password, salt: salt) }
        }
        switch derived {
        case .success(let credential): return credential
        case .failure(let error): throw APIError(error)
        }
    }

    /// `CreateUser`. The domain keeps the username, routing profile and the CHAT auto-accept and after-contact-work
    /// limit; `Password` becomes a PBKDF2 digest (the password itself is neither kept nor logged). IdentityInfo,
    /// SecurityProfileIds (1–10 required, not checked against anything: Parley has no security profiles),
    /// DirectoryUserId, HierarchyGroupId and Tags are accepted and dropped.
    ///
    /// As in Amazon Connect, a CONNECT_MANAGED instance needs a password and the other identity types refuse one.
    func createUser(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateUserBody.self)
        guard (1...10).contains(body.SecurityProfileIds.count) else {
            throw APIError(.invalidParameter, "SecurityProfileIds must have 1–10 entries")
        }
        let settings = try Self.chatUserSettings(
            body.PhoneConfig,
            autoAccept: body.AutoAcceptConfigs,
            afterContactWork: body.AfterContactWorkConfigs
        )
        // Checked here too (the domain decides again), so that a request refused for them costs no PBKDF2.
        let state = server.snapshot.state
        try Self.checkLength(body.Username, "Username", 1...100)
        guard ChatQueries.user(named: body.Username, in: state) == nil else {
            throw APIError(ChatError(.duplicateResource, "a user named \(body.Username) exists already"))
        }
        _ = try Self.routingProfile(body.RoutingProfileId, in: state)
        let managed = state.instance?.identityManagementType == "CONNECT_MANAGED"
        var credential: PasswordCredential?
        switch (managed, body.Password) {
        case (true, nil):
            throw APIError(.invalidParameter, "Password is required: the instance's users sign in to Parley itself")
        case (false, .some):
            throw APIError(
                ChatError(.invalidRequest, "Password is not accepted: the instance's users sign in elsewhere")
            )
        case (true, .some(let password)):
            try Self.checkPassword(password)
            // Derived before the user exists, so that a created user always has its password.
            credential = try await Self.deriveCredential(password)
        case (false, nil):
            credential = nil
        }
        let instanceId = Self.instanceId(server)
        var userId = ""
        let created = await server.submit(
            .createUser(
                instanceId: instanceId,
                userId: nil,
                username: body.Username,
                routingProfileId: body.RoutingProfileId,
                autoAccept: settings.autoAccept ?? false,
                afterContactWorkSeconds: settings.afterContactWorkSeconds ?? 0
            )
        ) { reply throws(APIError) in
            guard case .resourceCreated(let id) = reply else {
                throw APIError(.internalService, "CreateUser returned no id")
            }
            userId = id
            return CreateUserAnswer(UserId: id, UserArn: ConnectARN.agent(instanceId, id))
        }
        guard let credential, created.status == .ok else { return created }
        let answer = CreateUserAnswer(UserId: userId, UserArn: ConnectARN.agent(instanceId, userId))
        let stored = await server.submit(
            .setUserCredential(instanceId: instanceId, userId: userId, credential: credential)
        ) { _ in answer }
        if stored.status != .ok {
            // A user must not stay without the password it was created with (only a DeleteUser in between gets here).
            _ = await server.submit(.deleteUser(instanceId: instanceId, userId: userId))
        }
        return stored
    }

    struct PhoneConfigView: Encodable {
        var PhoneType = "SOFT_PHONE"
        var AutoAccept: Bool
        var AfterContactWorkTimeLimit: Int64
    }

    struct UserView: Encodable {
        var Id: String
        var Arn: String
        var Username: String
        var IdentityInfo: [String: String] = [:]
        var PhoneConfig: PhoneConfigView
        var SecurityProfileIds: [String] = []
        var RoutingProfileId: String
        var Tags: [String: String] = [:]
        var AutoAcceptConfigs: [AutoAcceptConfigBody]
        var AfterContactWorkConfigs: [AfterContactWorkConfigBody]
    }

    struct DescribeUserAnswer: Encodable { var User: UserView }

    /// `DescribeUser`. IdentityInfo, SecurityProfileIds and Tags are empty and DirectoryUserId is absent (Parley does
    /// not keep them); PhoneConfig reports the CHAT settings with the phone type SOFT_PHONE.
    func describeUser(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let state = try await server.snapshot(for: request).state
        let user = try Self.user(try parameter(context, "UserId"), in: state)
        let view = UserView(
            Id: user.userId,
            Arn: ConnectARN.agent(Self.instanceId(server), user.userId),
            Username: user.username,
            PhoneConfig: PhoneConfigView(
                AutoAccept: user.autoAccept,
                AfterContactWorkTimeLimit: user.afterContactWorkSeconds
            ),
            RoutingProfileId: user.routingProfileId,
            AutoAcceptConfigs: [AutoAcceptConfigBody(Channel: "CHAT", AutoAccept: user.autoAccept)],
            AfterContactWorkConfigs: [
                AfterContactWorkConfigBody(
                    Channel: "CHAT",
                    AfterContactWorkConfig: .init(AfterContactWorkTimeLimit: user.afterContactWorkSeconds)
                )
            ]
        )
        return JSONResponse.make(DescribeUserAnswer(User: view))
    }

    struct UserSummary: Encodable {
        var Id: String
        var Arn: String
        var Username: String
    }

    struct ListUsersAnswer: Encodable {
        var UserSummaryList: [UserSummary]
        var NextToken: String?
    }

    /// `ListUsers`, by username then id.
    func listUsers(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let paging = try Paging(request, maxResults: 1...1_000, defaultMaxResults: 100)
        let state = try await server.snapshot(for: request).state
        let instanceId = Self.instanceId(server)
        let summaries = state.users.values
            .sorted { ($0.username, $0.userId) < ($1.username, $1.userId) }
            .map { UserSummary(Id: $0.userId, Arn: ConnectARN.agent(instanceId, $0.userId), Username: $0.username) }
        let page = paging.page(summaries)
        return JSONResponse.make(ListUsersAnswer(UserSummaryList: page.items, NextToken: page.nextToken))
    }

    struct UpdateUserRoutingProfileBody: Decodable {
        var RoutingProfileId: String
    }

    /// `UpdateUserRoutingProfile`.
    func updateUserRoutingProfile(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response
    {
        let server = try instance(context)
        let body = try await body(request, UpdateUserRoutingProfileBody.self)
        return await server.submit(
            .updateUser(
                instanceId: Self.instanceId(server),
                userId: try parameter(context, "UserId"),
                routingProfileId: body.RoutingProfileId,
                autoAccept: nil,
                afterContactWorkSeconds: nil
            )
        )
    }

    struct UpdateUserPhoneConfigBody: Decodable {
        var PhoneConfig: PhoneConfigBody
    }

    /// `UpdateUserPhoneConfig`: AutoAccept and AfterContactWorkTimeLimit set the CHAT settings (what is left out
    /// stays); PhoneType, DeskPhoneNumber and PersistentConnection are checked and dropped.
    func updateUserPhoneConfig(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, UpdateUserPhoneConfigBody.self)
        let settings = try Self.chatUserSettings(body.PhoneConfig)
        return await server.submit(
            .updateUser(
                instanceId: Self.instanceId(server),
                userId: try parameter(context, "UserId"),
                routingProfileId: nil,
                autoAccept: settings.autoAccept,
                afterContactWorkSeconds: settings.afterContactWorkSeconds
            )
        )
    }

    /// `DeleteUser` (InvalidRequestException while the user holds contacts).
    func deleteUser(_ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        return await server.submit(
            .deleteUser(instanceId: Self.instanceId(server), userId: try parameter(context, "UserId"))
        )
    }

    struct PutUserStatusBody: Decodable {
        var AgentStatusId: String
    }

    /// `PutUserStatus`: what the agent desktop's status menu does, for any user.
    func putUserStatus(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, PutUserStatusBody.self)
        return await server.submit(
            .setAgentStatus(
                instanceId: Self.instanceId(server),
                userId: try parameter(context, "UserId"),
                statusId: body.AgentStatusId
            )
        )
    }
}

// MARK: - Agent statuses

extension ConnectAPI {
    struct CreateAgentStatusBody: Decodable {
        var Name: String
        var Description: String?
        var State: String
        var DisplayOrder: Int64?
        var Tags: [String: String]?
    }

    struct CreateAgentStatusAnswer: Encodable {
        var AgentStatusARN: String
        var AgentStatusId: String
    }

    /// `CreateAgentStatus`: a CUSTOM status, as in Amazon Connect (an instance's ROUTABLE and OFFLINE statuses are
    /// not created through the API). DisplayOrder and Tags are checked and dropped.
    func createAgentStatus(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateAgentStatusBody.self)
        try Self.checkEnum(body.State, "State", ["ENABLED", "DISABLED"])
        try Self.checkLength(body.Description, "Description", 1...250)
        try Self.checkRange(body.DisplayOrder, "DisplayOrder", 1...50)
        let instanceId = Self.instanceId(server)
        let command = ChatCommand.createAgentStatus(
            instanceId: instanceId,
            statusId: nil,
            name: body.Name,
            type: AgentStatusType.custom.description,
            enabled: body.State == "ENABLED"
        )
        return await Self.create(server, command, .agentStatus, description: body.Description) { id in
            CreateAgentStatusAnswer(AgentStatusARN: Self.agentStatusARN(instanceId, id), AgentStatusId: id)
        }
    }

    struct AgentStatusView: Encodable {
        var AgentStatusARN: String
        var AgentStatusId: String
        var Name: String
        var Description: String?
        var `Type`: String
        var State: String
        var Tags: [String: String] = [:]
    }

    struct DescribeAgentStatusAnswer: Encodable { var AgentStatus: AgentStatusView }

    /// `DescribeAgentStatus` (no DisplayOrder: Parley does not keep it).
    func describeAgentStatus(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let state = try await server.snapshot(for: request).state
        let status = try Self.agentStatus(try parameter(context, "AgentStatusId"), in: state)
        let view = AgentStatusView(
            AgentStatusARN: Self.agentStatusARN(Self.instanceId(server), status.statusId),
            AgentStatusId: status.statusId,
            Name: status.name,
            Description: Self.description(.agentStatus, status.statusId, in: server),
            Type: status.type.description,
            State: status.enabled ? "ENABLED" : "DISABLED"
        )
        return JSONResponse.make(DescribeAgentStatusAnswer(AgentStatus: view))
    }

    struct AgentStatusSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String
        var `Type`: String
    }

    struct ListAgentStatusesAnswer: Encodable {
        var AgentStatusSummaryList: [AgentStatusSummary]
        var NextToken: String?
    }

    /// `ListAgentStatuses`, by name then id; `AgentStatusTypes` (repeated, at most 3) keeps those types only.
    func listAgentStatuses(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let paging = try Paging(request, maxResults: 1...1_000, defaultMaxResults: 100)
        let names = request.uri.queryParameters.getAll("AgentStatusTypes")
        guard names.count <= 3 else { throw APIError(.invalidParameter, "AgentStatusTypes has at most 3 entries") }
        var types: Set<AgentStatusType> = []
        for name in names {
            guard let type = AgentStatusType(apiName: name) else {
                throw APIError(.invalidParameter, "AgentStatusTypes must be ROUTABLE, CUSTOM or OFFLINE, not \(name)")
            }
            types.insert(type)
        }
        let state = try await server.snapshot(for: request).state
        let instanceId = Self.instanceId(server)
        let summaries = state.agentStatuses.values
            .filter { types.isEmpty || types.contains($0.type) }
            .sorted { ($0.name, $0.statusId) < ($1.name, $1.statusId) }
            .map { status in
                AgentStatusSummary(
                    Id: status.statusId,
                    Arn: Self.agentStatusARN(instanceId, status.statusId),
                    Name: status.name,
                    Type: status.type.description
                )
            }
        let page = paging.page(summaries)
        return JSONResponse.make(ListAgentStatusesAnswer(AgentStatusSummaryList: page.items, NextToken: page.nextToken))
    }

    struct UpdateAgentStatusBody: Decodable {
        var Name: String?
        var Description: String?
        var State: String?
        var DisplayOrder: Int64?
        var ResetOrderNumber: Bool?
    }

    /// `UpdateAgentStatus`: Name, State (the ROUTABLE and OFFLINE statuses cannot be disabled) and Description (empty
    /// clears it); DisplayOrder and ResetOrderNumber are checked and dropped.
    func updateAgentStatus(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, UpdateAgentStatusBody.self)
        try Self.checkEnum(body.State, "State", ["ENABLED", "DISABLED"])
        try Self.checkLength(body.Description, "Description", 0...250)
        try Self.checkRange(body.DisplayOrder, "DisplayOrder", 1...50)
        let statusId = try parameter(context, "AgentStatusId")
        let update = ChatCommand.updateAgentStatus(
            instanceId: Self.instanceId(server),
            statusId: statusId,
            name: body.Name,
            enabled: body.State.map { $0 == "ENABLED" }
        )
        if case .failure(let error) = await server.engine.submit(update) {
            return Self.failure(APIError(error), server)
        }
        if let refusal = await Self.describe(server, .agentStatus, statusId, body.Description) {
            return Self.failure(refusal, server)
        }
        return Self.answer(Empty(), server)
    }
}

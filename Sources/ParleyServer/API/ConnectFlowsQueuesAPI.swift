// The Connect control plane for contact flows, flow modules, queues and hours of operation (botocore's
// `connect/2017-08-08`): the same methods, URIs, JSON shapes and error types, so the unmodified SDKs work.
//
// Writes go through the instance's engine (`ChatCommand`s that validate names, limits and references); reads come
// from its latest snapshot. A resource named in a path or body may be its id or its ARN; an ARN must be this
// instance's ARN of that kind of resource.
//
// What the domain does not store is refused with InvalidParameterException rather than silently dropped (queue,
// hours-of-operation and flow-module descriptions, outbound caller and e-mail settings, quick connects, parent
// hours, flow-module settings, saved-but-unpublished flows), except `Tags`: Parley keeps no tags, so they are
// accepted (checked for shape) and ignored, and every resource reads back with `Tags: {}`.
import Foundation
import HTTPTypes
import Hummingbird
import ParleyDomain
import ParleyEngine

/// Adds the routes of contact flows, flow modules, queues and hours of operation.
func addConnectFlowQueueRoutes(to router: some RouterMethods<some RequestContext>, api: ConnectAPI) {
    router.put("/contact-flows/:InstanceId") { request, context in
        try await api.createContactFlow(request, context)
    }
    router.get("/contact-flows/:InstanceId/:ContactFlowId") { _, context in try api.describeContactFlow(context) }
    router.get("/contact-flows-summary/:InstanceId") { request, context in
        try api.listContactFlows(request, context)
    }
    router.post("/contact-flows/:InstanceId/:ContactFlowId/content") { request, context in
        try await api.updateContactFlowContent(request, context)
    }
    router.put("/contact-flow-modules/:InstanceId") { request, context in
        try await api.createContactFlowModule(request, context)
    }
    router.get("/contact-flow-modules/:InstanceId/:ContactFlowModuleId") { _, context in
        try api.describeContactFlowModule(context)
    }
    router.get("/contact-flow-modules-summary/:InstanceId") { request, context in
        try api.listContactFlowModules(request, context)
    }
    router.put("/queues/:InstanceId") { request, context in try await api.createQueue(request, context) }
    router.get("/queues/:InstanceId/:QueueId") { _, context in try api.describeQueue(context) }
    router.get("/queues-summary/:InstanceId") { request, context in try api.listQueues(request, context) }
    router.post("/queues/:InstanceId/:QueueId/status") { request, context in
        try await api.updateQueueStatus(request, context)
    }
    router.post("/queues/:InstanceId/:QueueId/max-contacts") { request, context in
        try await api.updateQueueMaxContacts(request, context)
    }
    router.post("/queues/:InstanceId/:QueueId/name") { request, context in
        try await api.updateQueueName(request, context)
    }
    router.post("/queues/:InstanceId/:QueueId/hours-of-operation") { request, context in
        try await api.updateQueueHoursOfOperation(request, context)
    }
    router.delete("/queues/:InstanceId/:QueueId") { _, context in try await api.deleteQueue(context) }
    router.put("/hours-of-operations/:InstanceId") { request, context in
        try await api.createHoursOfOperation(request, context)
    }
    router.get("/hours-of-operations/:InstanceId/:HoursOfOperationId") { _, context in
        try api.describeHoursOfOperation(context)
    }
    router.get("/hours-of-operations-summary/:InstanceId") { request, context in
        try api.listHoursOfOperations(request, context)
    }
    router.post("/hours-of-operations/:InstanceId/:HoursOfOperationId") { request, context in
        try await api.updateHoursOfOperation(request, context)
    }
    router.delete("/hours-of-operations/:InstanceId/:HoursOfOperationId") { _, context in
        try await api.deleteHoursOfOperation(context)
    }
}

// MARK: - Shared

extension ConnectAPI {
    /// Any JSON value: a field Parley reads only to refuse it (it cannot store it).
    struct Unstored: Decodable {
        init(from decoder: any Decoder) {}
    }

    /// A tag map, accepted and ignored: Parley stores no tags.
    typealias IgnoredTags = [String: String]

    /// The type the domain gives flow modules in `ChatState.flows`.
    static let moduleType = "MODULE"

    /// `ContactFlowType` of the model (what `ContactFlowTypes` may filter on).
    static let contactFlowTypes: Set<String> = [
        "CONTACT_FLOW", "CUSTOMER_QUEUE", "CUSTOMER_HOLD", "CUSTOMER_WHISPER", "AGENT_HOLD", "AGENT_WHISPER",
        "OUTBOUND_WHISPER", "AGENT_TRANSFER", "QUEUE_TRANSFER", "CAMPAIGN",
    ]

    /// InvalidParameterException for the first field of `fields` that was sent although Parley cannot store it.
    static func refuseUnstored(_ fields: KeyValuePairs<String, Bool>) throws(APIError) {
        for (name, present) in fields where present {
            throw APIError(.invalidParameter, "\(name) is not supported: Parley does not store it")
        }
    }

    /// `maxResults` (1–1,000, default 100) and `nextToken` of a list operation's query.
    static func listPaging(_ request: Request) throws(APIError) -> Paging {
        try Paging(request, maxResults: 1...1000, defaultMaxResults: 100)
    }

    /// The values of a repeated enum query parameter, each one of `allowed`, at most `limit` of them.
    static func queryValues(
        _ request: Request,
        _ name: String,
        allowed: Set<String>,
        limit: Int
    ) throws(APIError) -> Set<String> {
        let values = request.uri.queryParameters.getAll(name)
        guard values.count <= limit else {
            throw APIError(.invalidParameter, "\(name) takes at most \(limit) values")
        }
        for value in values where !allowed.contains(value) {
            throw APIError(
                .invalidParameter,
                "\(name) must be one of \(allowed.sorted().joined(separator: ", ")), not \(value.prefix(100))"
            )
        }
        return Set(values)
    }

    /// The value `reference` names in `map`: its id, or this instance's ARN of it (`arn(id)`).
    static func resolve<Value>(
        _ reference: String,
        in map: TreeDictionary<String, Value>,
        arn: (String) -> String
    ) -> Value? {
        guard reference.hasPrefix("arn:") else { return map[reference] }
        guard let id = reference.split(separator: "/").last.map(String.init), let value = map[id], arn(id) == reference
        else { return nil }
        return value
    }

    /// ResourceNotFoundException for `reference`.
    static func notFound(_ what: String, _ reference: String, type: String) -> APIError {
        let shown = String(reference.prefix(256))
        return APIError(.resourceNotFound, "\(what) not found: \(shown)", resourceId: shown, resourceType: type)
    }

    /// An engine reply a handler did not expect (a bug, not the caller's fault).
    static func unexpected(_ reply: ChatReply) -> APIError {
        APIError(.internalService, "the engine answered \(reply) unexpectedly")
    }

    /// `body` as JSON, with the log position the answer includes.
    static func answer(_ body: some Encodable, _ server: ServerState) -> Response {
        positioned(JSONResponse.make(body), server.snapshot)
    }

    /// The Amazon error response of `error`, with the log position.
    static func failure(_ error: APIError, _ server: ServerState) -> Response {
        positioned(error.response, server.snapshot)
    }

    /// Records the `Description` of a resource just created or updated (nil: leave it as it is); nil when it was
    /// recorded, otherwise the refusal. Callers check the length (0–250) first, so only a resource deleted in
    /// between makes this fail.
    static func describe(
        _ server: ServerState,
        _ kind: DescribedResourceKind,
        _ id: String,
        _ description: String?
    ) async -> APIError? {
        guard let description else { return nil }
        let command = ChatCommand.setResourceDescription(
            instanceId: instanceId(server),
            kind: kind,
            resourceId: id,
            text: description
        )
        if case .failure(let error) = await server.engine.submit(command) { return APIError(error) }
        return nil
    }

    /// Submits a Create… command, then records the new resource's `Description`; answers with `answer(id)`.
    static func create<Body: Encodable>(
        _ server: ServerState,
        _ command: ChatCommand,
        _ kind: DescribedResourceKind,
        description: String?,
        answer: (String) -> Body
    ) async -> Response {
        let id: String
        switch await server.engine.submit(command) {
        case .success(.resourceCreated(let created)), .success(.hoursOfOperationCreated(let created)),
            .success(.queueCreated(let created)):
            id = created
        case .success(let reply): return failure(unexpected(reply), server)
        case .failure(let error): return failure(APIError(error), server)
        }
        if let refusal = await describe(server, kind, id, description) { return failure(refusal, server) }
        return Self.answer(answer(id), server)
    }

    /// The `Description` Parley keeps for a resource, if any.
    static func description(_ kind: DescribedResourceKind, _ id: String, in server: ServerState) -> String? {
        server.snapshot.state.descriptions[kind.key(id)]
    }

    /// Lowercase hex SHA-256 of `content` (`FlowContentSha256`).
    static func sha256(_ content: String) -> String {
        StateDigest.hex(StateDigest.sha256(Array(content.utf8)))
    }
}

// MARK: - Contact flows

extension ConnectAPI {
    /// `arn:…:instance/<instance>/contact-flow/<id>`.
    static func flowARN(_ instanceId: String, _ flowId: String) -> String {
        "\(ConnectARN.instance(instanceId))/contact-flow/\(flowId)"
    }

    /// The contact flow (not a module) the path parameter `ContactFlowId` names.
    func contactFlow(_ context: some RequestContext, in server: ServerState) throws(APIError) -> FlowResource {
        let reference = try parameter(context, "ContactFlowId")
        let instanceId = Self.instanceId(server)
        guard
            let flow = Self.resolve(reference, in: server.snapshot.state.flows, arn: { Self.flowARN(instanceId, $0) }),
            flow.type != Self.moduleType
        else { throw Self.notFound("Contact flow", reference, type: "CONTACT_FLOW") }
        return flow
    }

    struct CreateContactFlowBody: Decodable {
        var Name: String
        var `Type`: String
        var Description: String?
        var Content: String
        var Status: String?
        var Tags: IgnoredTags?
    }

    struct CreateContactFlowAnswer: Encodable {
        var ContactFlowId: String
        var ContactFlowArn: String
        var FlowContentSha256: String
    }

    func createContactFlow(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateContactFlowBody.self)
        // The domain publishes every flow it creates: there is no saved-but-unpublished state to put one in.
        if let status = body.Status, status != "PUBLISHED" {
            throw APIError(.invalidParameter, "Status \(status.prefix(20)) is not supported: flows are published")
        }
        let instanceId = Self.instanceId(server)
        let command = ChatCommand.createContactFlow(
            instanceId: instanceId,
            flowId: nil,
            name: body.Name,
            type: body.`Type`,
            description: body.Description ?? "",
            content: body.Content
        )
        return await server.submit(command) { reply throws(APIError) in
            guard case .flowPublished(let flowId, _) = reply else { throw Self.unexpected(reply) }
            return CreateContactFlowAnswer(
                ContactFlowId: flowId,
                ContactFlowArn: Self.flowARN(instanceId, flowId),
                FlowContentSha256: Self.sha256(body.Content)
            )
        }
    }

    struct ContactFlowView: Encodable {
        var Arn: String
        var Id: String
        var Name: String
        var `Type`: String
        var State = "ACTIVE"
        var Status = "PUBLISHED"
        var Description: String?
        var Content: String
        var Tags: [String: String] = [:]
        var FlowContentSha256: String
        var LastModifiedTime: Double?

        init(_ flow: FlowResource, instanceId: String) {
            Arn = ConnectAPI.flowARN(instanceId, flow.flowId)
            Id = flow.flowId
            Name = flow.name
            self.`Type` = flow.type
            Description = flow.description.isEmpty ? nil : flow.description
            Content = flow.contents.last ?? ""
            FlowContentSha256 = ConnectAPI.sha256(Content)
            LastModifiedTime = flow.publishedAt.last.map(EpochTime.seconds)
        }
    }

    struct DescribeContactFlowAnswer: Encodable { var ContactFlow: ContactFlowView }

    func describeContactFlow(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let flow = try contactFlow(context, in: server)
        let view = ContactFlowView(flow, instanceId: Self.instanceId(server))
        return JSONResponse.make(DescribeContactFlowAnswer(ContactFlow: view))
    }

    struct ContactFlowSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String
        var ContactFlowType: String
        var ContactFlowState = "ACTIVE"
        var ContactFlowStatus = "PUBLISHED"
    }

    struct ListContactFlowsAnswer: Encodable {
        var ContactFlowSummaryList: [ContactFlowSummary]
        var NextToken: String?
    }

    func listContactFlows(_ request: Request, _ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let types = try Self.queryValues(request, "contactFlowTypes", allowed: Self.contactFlowTypes, limit: 10)
        let paging = try Self.listPaging(request)
        let instanceId = Self.instanceId(server)
        let flows = server.snapshot.state.flows.values
            .filter { $0.type != Self.moduleType && (types.isEmpty || types.contains($0.type)) }
            .sorted { ($0.name, $0.flowId) < ($1.name, $1.flowId) }
        let page = paging.page(flows)
        let summaries = page.items.map { flow in
            ContactFlowSummary(
                Id: flow.flowId,
                Arn: Self.flowARN(instanceId, flow.flowId),
                Name: flow.name,
                ContactFlowType: flow.type
            )
        }
        return JSONResponse.make(ListContactFlowsAnswer(ContactFlowSummaryList: summaries, NextToken: page.nextToken))
    }

    struct UpdateContactFlowContentBody: Decodable { var Content: String }

    func updateContactFlowContent(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let flow = try contactFlow(context, in: server)
        let body = try await body(request, UpdateContactFlowContentBody.self)
        return await server.submit(
            .updateContactFlowContent(instanceId: Self.instanceId(server), flowId: flow.flowId, content: body.Content)
        )
    }
}

// MARK: - Flow modules

extension ConnectAPI {
    /// `arn:…:instance/<instance>/flow-module/<id>`.
    static func moduleARN(_ instanceId: String, _ moduleId: String) -> String {
        "\(ConnectARN.instance(instanceId))/flow-module/\(moduleId)"
    }

    struct CreateContactFlowModuleBody: Decodable {
        var Name: String
        var Description: String?
        var Content: String
        var Tags: IgnoredTags?
        // Not idempotent: a retry with the same token finds the name taken (DuplicateResourceException).
        var ClientToken: String?
        var Settings: Unstored?
        var ExternalInvocationConfiguration: Unstored?
    }

    struct CreateContactFlowModuleAnswer: Encodable {
        var Id: String
        var Arn: String
    }

    func createContactFlowModule(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateContactFlowModuleBody.self)
        try Self.refuseUnstored([
            "Description": !(body.Description ?? "").isEmpty,
            "Settings": body.Settings != nil,
            "ExternalInvocationConfiguration": body.ExternalInvocationConfiguration != nil,
        ])
        let instanceId = Self.instanceId(server)
        let command = ChatCommand.createContactFlowModule(
            instanceId: instanceId,
            moduleId: nil,
            name: body.Name,
            content: body.Content
        )
        switch await server.engine.submit(command) {
        case .success(.flowPublished(let moduleId, _)):
            return Self.answer(
                CreateContactFlowModuleAnswer(Id: moduleId, Arn: Self.moduleARN(instanceId, moduleId)),
                server
            )
        case .success(let reply):
            return Self.failure(Self.unexpected(reply), server)
        case .failure(let error):
            var refusal = APIError(error)
            // The model names the content error of a module differently from a flow's.
            if refusal.code.name == ChatError.Code.invalidContactFlow.name {
                refusal.code = APIError.Code(name: "InvalidContactFlowModuleException", httpStatus: 400)
            }
            return Self.failure(refusal, server)
        }
    }

    struct ContactFlowModuleView: Encodable {
        var Arn: String
        var Id: String
        var Name: String
        var Content: String
        var State = "ACTIVE"
        var Status = "PUBLISHED"
        var Tags: [String: String] = [:]
        var FlowModuleContentSha256: String

        init(_ module: FlowResource, instanceId: String) {
            Arn = ConnectAPI.moduleARN(instanceId, module.flowId)
            Id = module.flowId
            Name = module.name
            Content = module.contents.last ?? ""
            FlowModuleContentSha256 = ConnectAPI.sha256(Content)
        }
    }

    struct DescribeContactFlowModuleAnswer: Encodable { var ContactFlowModule: ContactFlowModuleView }

    func describeContactFlowModule(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let reference = try parameter(context, "ContactFlowModuleId")
        let instanceId = Self.instanceId(server)
        guard
            let module = Self.resolve(
                reference,
                in: server.snapshot.state.flows,
                arn: { Self.moduleARN(instanceId, $0) }
            ),
            module.type == Self.moduleType
        else { throw Self.notFound("Flow module", reference, type: "FLOW_MODULE") }
        let view = ContactFlowModuleView(module, instanceId: instanceId)
        return JSONResponse.make(DescribeContactFlowModuleAnswer(ContactFlowModule: view))
    }

    struct ContactFlowModuleSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String
        var State = "ACTIVE"
    }

    struct ListContactFlowModulesAnswer: Encodable {
        var ContactFlowModulesSummaryList: [ContactFlowModuleSummary]
        var NextToken: String?
    }

    func listContactFlowModules(_ request: Request, _ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let states = try Self.queryValues(request, "state", allowed: ["ACTIVE", "ARCHIVED"], limit: 1)
        let paging = try Self.listPaging(request)
        let instanceId = Self.instanceId(server)
        // Every module is ACTIVE: Parley cannot archive one.
        let modules =
            states.contains("ARCHIVED")
            ? []
            : server.snapshot.state.flows.values.filter { $0.type == Self.moduleType }
                .sorted { ($0.name, $0.flowId) < ($1.name, $1.flowId) }
        let page = paging.page(modules)
        let summaries = page.items.map { module in
            ContactFlowModuleSummary(
                Id: module.flowId,
                Arn: Self.moduleARN(instanceId, module.flowId),
                Name: module.name
            )
        }
        return JSONResponse.make(
            ListContactFlowModulesAnswer(ContactFlowModulesSummaryList: summaries, NextToken: page.nextToken)
        )
    }
}

// MARK: - Queues

extension ConnectAPI {
    /// The standard queue the path parameter `QueueId` names.
    func queue(_ context: some RequestContext, in server: ServerState) throws(APIError) -> QueueResource {
        let reference = try parameter(context, "QueueId")
        let instanceId = Self.instanceId(server)
        guard
            let queue = Self.resolve(
                reference,
                in: server.snapshot.state.queues,
                arn: { ConnectARN.queue(instanceId, $0) }
            )
        else { throw Self.notFound("Queue", reference, type: "QUEUE") }
        return queue
    }

    /// The hours of operation `reference` (id or ARN) names in `server`.
    static func hours(_ reference: String, in server: ServerState) throws(APIError) -> HoursOfOperation {
        let instanceId = Self.instanceId(server)
        guard
            let hours = Self.resolve(
                reference,
                in: server.snapshot.state.hoursOfOperations,
                arn: { Self.hoursARN(instanceId, $0) }
            )
        else { throw Self.notFound("Hours of operation", reference, type: "HOURS_OF_OPERATION") }
        return hours
    }

    struct CreateQueueBody: Decodable {
        var Name: String
        var Description: String?
        var OutboundCallerConfig: Unstored?
        var OutboundEmailConfig: Unstored?
        var HoursOfOperationId: String
        var MaxContacts: Int64?
        var QuickConnectIds: Unstored?
        var EmailAddressesConfig: Unstored?
        var Tags: IgnoredTags?
    }

    struct CreateQueueAnswer: Encodable {
        var QueueArn: String
        var QueueId: String
    }

    /// `CreateQueue`: two commands, as the domain's `createQueue` takes no hours of operation: the queue, then its
    /// hours; if the second is refused (the hours were deleted in between) the queue is deleted again.
    func createQueue(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateQueueBody.self)
        try ConnectAPI.checkLength(body.Description, "Description", 1...250)
        try Self.refuseUnstored([
            "OutboundCallerConfig": body.OutboundCallerConfig != nil,
            "OutboundEmailConfig": body.OutboundEmailConfig != nil,
            "QuickConnectIds": body.QuickConnectIds != nil,
            "EmailAddressesConfig": body.EmailAddressesConfig != nil,
        ])
        let hours = try Self.hours(body.HoursOfOperationId, in: server)
        let instanceId = Self.instanceId(server)
        let created = await server.engine.submit(
            .createQueue(instanceId: instanceId, queueId: nil, name: body.Name, maxContacts: body.MaxContacts ?? 0)
        )
        let queueId: String
        switch created {
        case .success(.queueCreated(let id)): queueId = id
        case .success(let reply): return Self.failure(Self.unexpected(reply), server)
        case .failure(let error): return Self.failure(APIError(error), server)
        }
        let assigned = await server.engine.submit(
            .updateQueueHoursOfOperation(instanceId: instanceId, queueId: queueId, hoursId: hours.hoursId)
        )
        if case .failure(let error) = assigned {
            _ = await server.engine.submit(.deleteQueue(instanceId: instanceId, queueId: queueId))
            return Self.failure(APIError(error), server)
        }
        if let refusal = await Self.describe(server, .queue, queueId, body.Description) {
            return Self.failure(refusal, server)
        }
        return Self.answer(CreateQueueAnswer(QueueArn: ConnectARN.queue(instanceId, queueId), QueueId: queueId), server)
    }

    struct QueueView: Encodable {
        var Name: String
        var QueueArn: String
        var QueueId: String
        var Description: String?
        var HoursOfOperationId: String?
        /// Absent when the queue has no limit (the domain's 0).
        var MaxContacts: Int64?
        var Status: String
        var Tags: [String: String] = [:]

        init(_ queue: QueueResource, instanceId: String, description: String?) {
            Name = queue.name
            QueueArn = ConnectARN.queue(instanceId, queue.queueId)
            QueueId = queue.queueId
            Description = description
            HoursOfOperationId = queue.hoursOfOperationId
            MaxContacts = queue.maxContacts > 0 ? queue.maxContacts : nil
            Status = queue.enabled ? "ENABLED" : "DISABLED"
        }
    }

    struct DescribeQueueAnswer: Encodable { var Queue: QueueView }

    func describeQueue(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        let view = QueueView(
            queue,
            instanceId: Self.instanceId(server),
            description: Self.description(.queue, queue.queueId, in: server)
        )
        return JSONResponse.make(DescribeQueueAnswer(Queue: view))
    }

    struct QueueSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String?
        var QueueType: String
    }

    struct ListQueuesAnswer: Encodable {
        var QueueSummaryList: [QueueSummary]
        var NextToken: String?
    }

    /// `ListQueues`: the standard queues by name then id, then every user's agent queue (`agent/<user id>`, no
    /// name) by user id.
    func listQueues(_ request: Request, _ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let types = try Self.queryValues(request, "queueTypes", allowed: ["STANDARD", "AGENT"], limit: 2)
        let paging = try Self.listPaging(request)
        let instanceId = Self.instanceId(server)
        let state = server.snapshot.state
        var summaries: [QueueSummary] = []
        if types.isEmpty || types.contains("STANDARD") {
            let queues = state.queues.values.sorted { ($0.name, $0.queueId) < ($1.name, $1.queueId) }
            summaries += queues.map { queue in
                QueueSummary(
                    Id: queue.queueId,
                    Arn: ConnectARN.queue(instanceId, queue.queueId),
                    Name: queue.name,
                    QueueType: "STANDARD"
                )
            }
        }
        if types.isEmpty || types.contains("AGENT") {
            summaries += state.users.keys.sorted().map { userId in
                let id = "agent/\(userId)"
                return QueueSummary(Id: id, Arn: ConnectARN.queue(instanceId, id), QueueType: "AGENT")
            }
        }
        let page = paging.page(summaries)
        return JSONResponse.make(ListQueuesAnswer(QueueSummaryList: page.items, NextToken: page.nextToken))
    }

    struct UpdateQueueStatusBody: Decodable { var Status: String }

    func updateQueueStatus(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        let body = try await body(request, UpdateQueueStatusBody.self)
        return await server.submit(
            .updateQueueStatus(instanceId: Self.instanceId(server), queueId: queue.queueId, status: body.Status)
        )
    }

    struct UpdateQueueMaxContactsBody: Decodable { var MaxContacts: Int64? }

    /// `UpdateQueueMaxContacts`: without `MaxContacts` the queue has no limit.
    func updateQueueMaxContacts(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        let body = try await body(request, UpdateQueueMaxContactsBody.self)
        let command = ChatCommand.updateQueue(
            instanceId: Self.instanceId(server),
            queueId: queue.queueId,
            name: nil,
            maxContacts: body.MaxContacts ?? 0
        )
        return await server.submit(command)
    }

    struct UpdateQueueNameBody: Decodable {
        var Name: String?
        var Description: String?
    }

    func updateQueueName(_ request: Request, _ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        let body = try await body(request, UpdateQueueNameBody.self)
        try ConnectAPI.checkLength(body.Description, "Description", 0...250)
        if body.Name != nil {
            let command = ChatCommand.updateQueue(
                instanceId: Self.instanceId(server),
                queueId: queue.queueId,
                name: body.Name,
                maxContacts: nil
            )
            if case .failure(let error) = await server.engine.submit(command) {
                return Self.failure(APIError(error), server)
            }
        }
        if let refusal = await Self.describe(server, .queue, queue.queueId, body.Description) {
            return Self.failure(refusal, server)
        }
        return Self.answer(Empty(), server)
    }

    struct UpdateQueueHoursOfOperationBody: Decodable { var HoursOfOperationId: String }

    func updateQueueHoursOfOperation(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        let body = try await body(request, UpdateQueueHoursOfOperationBody.self)
        let hours = try Self.hours(body.HoursOfOperationId, in: server)
        let command = ChatCommand.updateQueueHoursOfOperation(
            instanceId: Self.instanceId(server),
            queueId: queue.queueId,
            hoursId: hours.hoursId
        )
        return await server.submit(command)
    }

    func deleteQueue(_ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let queue = try queue(context, in: server)
        return await server.submit(.deleteQueue(instanceId: Self.instanceId(server), queueId: queue.queueId))
    }
}

// MARK: - Hours of operation

extension ConnectAPI {
    /// `arn:…:instance/<instance>/operating-hours/<id>`.
    static func hoursARN(_ instanceId: String, _ hoursId: String) -> String {
        "\(ConnectARN.instance(instanceId))/operating-hours/\(hoursId)"
    }

    /// `HoursOfOperationTimeSlice`.
    struct TimeSlice: Codable {
        var Hours: Int
        var Minutes: Int
    }

    /// `HoursOfOperationConfig`.
    struct HoursConfig: Codable {
        var Day: String
        var StartTime: TimeSlice
        var EndTime: TimeSlice

        init(_ range: HoursRange) {
            Day = range.day
            StartTime = TimeSlice(Hours: range.startTime.hours, Minutes: range.startTime.minutes)
            EndTime = TimeSlice(Hours: range.endTime.hours, Minutes: range.endTime.minutes)
        }

        /// The domain's range (Day and the times are checked by the domain).
        var range: HoursRange {
            HoursRange(
                day: Day,
                startTime: HoursTime(hours: StartTime.Hours, minutes: StartTime.Minutes),
                endTime: HoursTime(hours: EndTime.Hours, minutes: EndTime.Minutes)
            )
        }
    }

    /// The hours of operation the path parameter `HoursOfOperationId` names.
    func hours(_ context: some RequestContext, in server: ServerState) throws(APIError) -> HoursOfOperation {
        try Self.hours(try parameter(context, "HoursOfOperationId"), in: server)
    }

    struct CreateHoursOfOperationBody: Decodable {
        var Name: String
        var Description: String?
        var TimeZone: String
        var Config: [HoursConfig]
        var ParentHoursOfOperationConfigs: Unstored?
        var Tags: IgnoredTags?
    }

    struct CreateHoursOfOperationAnswer: Encodable {
        var HoursOfOperationId: String
        var HoursOfOperationArn: String
    }

    func createHoursOfOperation(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let body = try await body(request, CreateHoursOfOperationBody.self)
        try ConnectAPI.checkLength(body.Description, "Description", 1...250)
        try Self.refuseUnstored(["ParentHoursOfOperationConfigs": body.ParentHoursOfOperationConfigs != nil])
        let instanceId = Self.instanceId(server)
        let command = ChatCommand.createHoursOfOperation(
            instanceId: instanceId,
            hoursId: nil,
            name: body.Name,
            timeZone: body.TimeZone,
            config: body.Config.map(\.range)
        )
        return await Self.create(server, command, .hoursOfOperation, description: body.Description) { hoursId in
            CreateHoursOfOperationAnswer(
                HoursOfOperationId: hoursId,
                HoursOfOperationArn: Self.hoursARN(instanceId, hoursId)
            )
        }
    }

    struct HoursOfOperationView: Encodable {
        var HoursOfOperationId: String
        var HoursOfOperationArn: String
        var Name: String
        var Description: String?
        var TimeZone: String
        var Config: [HoursConfig]
        var Tags: [String: String] = [:]

        init(_ hours: HoursOfOperation, instanceId: String, description: String?) {
            HoursOfOperationId = hours.hoursId
            HoursOfOperationArn = ConnectAPI.hoursARN(instanceId, hours.hoursId)
            Description = description
            Name = hours.name
            TimeZone = hours.timeZone
            Config = hours.config.map(HoursConfig.init)
        }
    }

    struct DescribeHoursOfOperationAnswer: Encodable { var HoursOfOperation: HoursOfOperationView }

    func describeHoursOfOperation(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let hours = try hours(context, in: server)
        let view = HoursOfOperationView(
            hours,
            instanceId: Self.instanceId(server),
            description: Self.description(.hoursOfOperation, hours.hoursId, in: server)
        )
        return JSONResponse.make(DescribeHoursOfOperationAnswer(HoursOfOperation: view))
    }

    struct HoursOfOperationSummary: Encodable {
        var Id: String
        var Arn: String
        var Name: String
    }

    struct ListHoursOfOperationsAnswer: Encodable {
        var HoursOfOperationSummaryList: [HoursOfOperationSummary]
        var NextToken: String?
    }

    func listHoursOfOperations(_ request: Request, _ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        let paging = try Self.listPaging(request)
        let instanceId = Self.instanceId(server)
        let all = server.snapshot.state.hoursOfOperations.values
            .sorted { ($0.name, $0.hoursId) < ($1.name, $1.hoursId) }
        let page = paging.page(all)
        let summaries = page.items.map { hours in
            HoursOfOperationSummary(Id: hours.hoursId, Arn: Self.hoursARN(instanceId, hours.hoursId), Name: hours.name)
        }
        return JSONResponse.make(
            ListHoursOfOperationsAnswer(HoursOfOperationSummaryList: summaries, NextToken: page.nextToken)
        )
    }

    struct UpdateHoursOfOperationBody: Decodable {
        var Name: String?
        var Description: String?
        var TimeZone: String?
        var Config: [HoursConfig]?
    }

    /// `UpdateHoursOfOperation`: what is sent changes, the rest stays (an empty `Description` clears it).
    func updateHoursOfOperation(
        _ request: Request,
        _ context: some RequestContext
    ) async throws(APIError) -> Response {
        let server = try instance(context)
        let hours = try hours(context, in: server)
        let body = try await body(request, UpdateHoursOfOperationBody.self)
        try ConnectAPI.checkLength(body.Description, "Description", 0...250)
        if body.Name != nil || body.TimeZone != nil || body.Config != nil {
            let command = ChatCommand.updateHoursOfOperation(
                instanceId: Self.instanceId(server),
                hoursId: hours.hoursId,
                name: body.Name,
                timeZone: body.TimeZone,
                config: body.Config.map { $0.map(\.range) }
            )
            if case .failure(let error) = await server.engine.submit(command) {
                return Self.failure(APIError(error), server)
            }
        }
        if let refusal = await Self.describe(server, .hoursOfOperation, hours.hoursId, body.Description) {
            return Self.failure(refusal, server)
        }
        return Self.answer(Empty(), server)
    }

    func deleteHoursOfOperation(_ context: some RequestContext) async throws(APIError) -> Response {
        let server = try instance(context)
        let hours = try hours(context, in: server)
        return await server.submit(.deleteHoursOfOperation(instanceId: Self.instanceId(server), hoursId: hours.hoursId))
    }
}

// The Amazon Connect control plane (`connect`, rest-json, connect-chat.md §0–§1) over HTTP: the same methods, URIs,
// JSON shapes and error types as the AWS models, so the unmodified SDKs work against Parley. Every route here is
// signed with SigV4 (checked by `SigV4Middleware` on the group they are added to). Times are epoch seconds.
//
// The instance in the URI (or the body's `InstanceId`, by id or ARN) picks the engine that answers: each instance
// is its own log and single writer (`InstanceRegistry`).
import Foundation
import HTTPTypes
import Hummingbird
import ParleyDomain
import ParleyEngine

/// Adds the control-plane routes: instances, contacts, metrics and search here and in ConnectContactsAPI.swift;
/// flows, queues and hours of operation in ConnectFlowsQueuesAPI.swift; routing profiles, users and agent statuses
/// in ConnectPeopleAPI.swift.
func addConnectRoutes(to router: some RouterMethods<some RequestContext>, instances: InstanceRegistry) {
    let api = ConnectAPI(instances: instances)
    router.put("/instance") { request, _ in try await api.createInstance(request) }
    router.get("/instance") { request, _ in try await api.listInstances(request) }
    router.get("/instance/:InstanceId") { _, context in try api.describeInstance(context) }
    router.put("/contact/chat") { request, _ in try await api.startChatContact(request) }
    router.post("/contact/stop") { request, _ in try await api.stopContact(request) }
    router.get("/contacts/:InstanceId/:ContactId") { _, context in try api.describeContact(context) }
    router.get("/contact/attributes/:InstanceId/:InitialContactId") { _, context in
        try api.getContactAttributes(context)
    }
    router.post("/contact/attributes") { request, _ in try await api.updateContactAttributes(request) }
    router.put("/contact/participant-role-config/:InstanceId/:ContactId") { request, context in
        try await api.updateParticipantRoleConfig(request, context)
    }
    router.post("/metrics/current/:InstanceId") { request, context in
        try await api.getCurrentMetricData(request, context)
    }
    router.post("/metrics/historical/:InstanceId") { request, context in
        try await api.getMetricData(request, context)
    }
    router.post("/metrics/data") { request, _ in try await api.getMetricDataV2(request) }
    router.post("/search-contacts") { request, _ in try await api.searchContacts(request) }
    addConnectFlowQueueRoutes(to: router, api: api)
    addConnectPeopleRoutes(to: router, api: api)
}

/// Shared plumbing of the control-plane handlers: finding the instance, reading bodies, answering.
struct ConnectAPI: Sendable {
    let instances: InstanceRegistry

    /// The body limit and other settings shared by every instance.
    var configuration: ServerConfiguration { instances.home.configuration }

    /// A JSON body of type `Body`; an empty body reads as `{}`.
    func body<Body: Decodable>(_ request: Request, _ type: Body.Type) async throws(APIError) -> Body {
        try await request.decodeJSON(Body.self, maxBytes: configuration.maxBodyBytes)
    }

    /// The path parameter `name`, percent-decoded; a missing one is InvalidParameterException.
    func parameter(_ context: some RequestContext, _ name: String) throws(APIError) -> String {
        guard let raw = context.parameters.get(name) else {
            throw APIError(.invalidParameter, "\(name) is required")
        }
        return raw.removingPercentEncoding ?? raw
    }

    /// The instance named by the path parameter `InstanceId`.
    func instance(_ context: some RequestContext) throws(APIError) -> ServerState {
        try instances.state(for: try parameter(context, "InstanceId"))
    }

    /// The instance named by `identifier` (id or ARN).
    func instance(_ identifier: String) throws(APIError) -> ServerState {
        try instances.state(for: identifier)
    }

    /// The configured instance id of `server`.
    static func instanceId(_ server: ServerState) -> String { server.snapshot.state.instance?.instanceId ?? "" }

    /// The contact segment named `text` in `server`, or ResourceNotFoundException.
    static func contact(_ text: String, in server: ServerState) throws(APIError) -> ContactRecord {
        guard let id = Identifier(text), let contact = server.snapshot.state.contacts[id] else {
            throw APIError(
                .resourceNotFound,
                "Contact not found: \(text.prefix(256))",
                resourceId: String(text.prefix(256)),
                resourceType: "CONTACT"
            )
        }
        return contact
    }

    /// An empty JSON object.
    struct Empty: Codable {}
}

// MARK: - Instances

extension ConnectAPI {
    struct CreateInstanceBody: Decodable {
        var ClientToken: String?
        var IdentityManagementType: String
        var InstanceAlias: String?
        var DirectoryId: String?
        var InboundCallsEnabled: Bool
        var OutboundCallsEnabled: Bool
    }

    struct CreateInstanceAnswer: Encodable {
        var Id: String
        var Arn: String
    }

    func createInstance(_ request: Request) async throws(APIError) -> Response {
        let body = try await body(request, CreateInstanceBody.self)
        if body.IdentityManagementType == "EXISTING_DIRECTORY", body.DirectoryId == nil {
            throw APIError(
                APIError.Code(name: "InvalidRequestException", httpStatus: 400),
                "DirectoryId is required when IdentityManagementType is EXISTING_DIRECTORY"
            )
        }
        let settings = InstanceSettings(
            instanceId: UUID().uuidString.lowercased(),
            concurrentActiveChats: configuration.concurrentActiveChats,
            alias: body.InstanceAlias,
            identityManagementType: body.IdentityManagementType,
            inboundCallsEnabled: body.InboundCallsEnabled,
            outboundCallsEnabled: body.OutboundCallsEnabled
        )
        let server = try await instances.create(settings)
        let id = Self.instanceId(server)
        return Self.answer(CreateInstanceAnswer(Id: id, Arn: ConnectARN.instance(id)), server)
    }

    struct InstanceView: Encodable {
        var Id: String
        var Arn: String
        var IdentityManagementType: String
        var InstanceAlias: String?
        var CreatedTime: Double
        var ServiceRole: String
        var InstanceStatus = "ACTIVE"
        var InboundCallsEnabled: Bool
        var OutboundCallsEnabled: Bool
        var InstanceAccessUrl: String

        init(_ settings: InstanceSettings, configuration: ServerConfiguration) {
            Id = settings.instanceId
            Arn = ConnectARN.instance(settings.instanceId)
            IdentityManagementType = settings.identityManagementType
            InstanceAlias = settings.alias
            CreatedTime = EpochTime.seconds(settings.createdAt)
            ServiceRole = "arn:aws:iam::\(ConnectARN.accountId):role/aws-service-role/connect.amazonaws.com/parley"
            InboundCallsEnabled = settings.inboundCallsEnabled
            OutboundCallsEnabled = settings.outboundCallsEnabled
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            InstanceAccessUrl = "http://\(host):\(configuration.port)/agent"
        }
    }

    struct DescribeInstanceAnswer: Encodable { var Instance: InstanceView }

    func describeInstance(_ context: some RequestContext) throws(APIError) -> Response {
        let server = try instance(context)
        guard let settings = server.snapshot.state.instance else {
            throw APIError(.resourceNotFound, "Instance not found", resourceType: "INSTANCE")
        }
        return JSONResponse.make(DescribeInstanceAnswer(Instance: InstanceView(settings, configuration: configuration)))
    }

    func listInstances(_ request: Request) async throws(APIError) -> Response {
        struct Answer: Encodable {
            var InstanceSummaryList: [InstanceView]
            var NextToken: String?
        }
        let views = instances.all.compactMap { state in
            state.snapshot.state.instance.map { InstanceView($0, configuration: configuration) }
        }
        let page = try Paging(request, maxResults: 1...10, defaultMaxResults: 10).page(views)
        return JSONResponse.make(Answer(InstanceSummaryList: page.items, NextToken: page.nextToken))
    }
}

/// `MaxResults` and `NextToken` paging over a list in a stable order; the token is the opaque offset of the next
/// item, refused if it was not one this server handed out.
struct Paging {
    /// Where the page starts.
    var offset: Int
    /// How many items it holds at most.
    var maxResults: Int

    /// Reads the `maxResults` and `nextToken` query parameters (the wire names of `MaxResults` and `NextToken`).
    init(_ request: Request, maxResults range: ClosedRange<Int>, defaultMaxResults: Int) throws(APIError) {
        try self.init(
            maxResults: try request.query("maxResults", in: range),
            nextToken: request.query("nextToken"),
            range: range,
            defaultMaxResults: defaultMaxResults
        )
    }

    /// Reads `MaxResults` and `NextToken` from a body.
    init(maxResults: Int?, nextToken: String?, range: ClosedRange<Int>, defaultMaxResults: Int) throws(APIError) {
        if let maxResults, !range.contains(maxResults) {
            throw APIError(
                .invalidParameter,
                "MaxResults must be \(range.lowerBound)–\(range.upperBound), not \(maxResults)"
            )
        }
        self.maxResults = maxResults ?? defaultMaxResults
        offset = 0
        if let nextToken {
            guard let data = Data(base64Encoded: nextToken), let text = String(data: data, encoding: .utf8),
                text.hasPrefix("parley:"), let value = Int(text.dropFirst("parley:".count)), value >= 0
            else {
                throw APIError(.invalidParameter, "NextToken is not valid: it must come from a previous answer")
            }
            offset = value
        }
    }

    /// The items of this page and the token of the next one (nil at the end).
    func page<Item>(_ items: [Item]) -> (items: [Item], nextToken: String?) {
        let start = min(offset, items.count)
        let end = min(start + maxResults, items.count)
        let next = end < items.count ? Data("parley:\(end)".utf8).base64EncodedString() : nil
        return (Array(items[start..<end]), next)
    }
}

import Foundation
import HTTPTypes
import Hummingbird

/// The Connect control-plane operations Parley serves, by route: the names that throttles and their configuration
/// use. Methods and URIs are botocore's (`connect/2017-08-08`), as the routes are.
public enum ControlPlaneOperations {
    /// "METHOD /route/{Pattern}" (Hummingbird's `endpointPath` form) → the operation's name.
    public static let byRoute: [String: String] = [
        "PUT /instance": "CreateInstance",
        "GET /instance": "ListInstances",
        "GET /instance/{InstanceId}": "DescribeInstance",
        "PUT /contact/chat": "StartChatContact",
        "POST /contact/stop": "StopContact",
        "GET /contacts/{InstanceId}/{ContactId}": "DescribeContact",
        "GET /contact/attributes/{InstanceId}/{InitialContactId}": "GetContactAttributes",
        "POST /contact/attributes": "UpdateContactAttributes",
        "PUT /contact/participant-role-config/{InstanceId}/{ContactId}": "UpdateParticipantRoleConfig",
        "POST /metrics/current/{InstanceId}": "GetCurrentMetricData",
        "POST /metrics/historical/{InstanceId}": "GetMetricData",
        "POST /metrics/data": "GetMetricDataV2",
        "POST /search-contacts": "SearchContacts",
        "PUT /contact-flows/{InstanceId}": "CreateContactFlow",
        "GET /contact-flows/{InstanceId}/{ContactFlowId}": "DescribeContactFlow",
        "GET /contact-flows-summary/{InstanceId}": "ListContactFlows",
        "POST /contact-flows/{InstanceId}/{ContactFlowId}/content": "UpdateContactFlowContent",
        "PUT /contact-flow-modules/{InstanceId}": "CreateContactFlowModule",
        "GET /contact-flow-modules/{InstanceId}/{ContactFlowModuleId}": "DescribeContactFlowModule",
        "GET /contact-flow-modules-summary/{InstanceId}": "ListContactFlowModules",
        "PUT /queues/{InstanceId}": "CreateQueue",
        "GET /queues/{InstanceId}/{QueueId}": "DescribeQueue",
        "GET /queues-summary/{InstanceId}": "ListQueues",
        "POST /queues/{InstanceId}/{QueueId}/status": "UpdateQueueStatus",
        "POST /queues/{InstanceId}/{QueueId}/max-contacts": "UpdateQueueMaxContacts",
        "POST /queues/{InstanceId}/{QueueId}/name": "UpdateQueueName",
        "POST /queues/{InstanceId}/{QueueId}/hours-of-operation": "UpdateQueueHoursOfOperation",
        "DELETE /queues/{InstanceId}/{QueueId}": "DeleteQueue",
        "PUT /hours-of-operations/{InstanceId}": "CreateHoursOfOperation",
        "GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}": "DescribeHoursOfOperation",
        "GET /hours-of-operations-summary/{InstanceId}": "ListHoursOfOperations",
        "POST /hours-of-operations/{InstanceId}/{HoursOfOperationId}": "UpdateHoursOfOperation",
        "DELETE /hours-of-operations/{InstanceId}/{HoursOfOperationId}": "DeleteHoursOfOperation",
        "PUT /routing-profiles/{InstanceId}": "CreateRoutingProfile",
        "GET /routing-profiles/{InstanceId}/{RoutingProfileId}": "DescribeRoutingProfile",
        "GET /routing-profiles-summary/{InstanceId}": "ListRoutingProfiles",
        "GET /routing-profiles/{InstanceId}/{RoutingProfileId}/queues": "ListRoutingProfileQueues",
        "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/queues": "UpdateRoutingProfileQueues",
        "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/associate-queues": "AssociateRoutingProfileQueues",
        "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/disassociate-queues":
            "DisassociateRoutingProfileQueues",
        "POST /routing-profiles/{InstanceId}/{RoutingProfileId}/concurrency": "UpdateRoutingProfileConcurrency",
        "DELETE /routing-profiles/{InstanceId}/{RoutingProfileId}": "DeleteRoutingProfile",
        "PUT /users/{InstanceId}": "CreateUser",
        "GET /users/{InstanceId}/{UserId}": "DescribeUser",
        "GET /users-summary/{InstanceId}": "ListUsers",
        "POST /users/{InstanceId}/{UserId}/routing-profile": "UpdateUserRoutingProfile",
        "POST /users/{InstanceId}/{UserId}/phone-config": "UpdateUserPhoneConfig",
        "DELETE /users/{InstanceId}/{UserId}": "DeleteUser",
        "PUT /users/{InstanceId}/{UserId}/status": "PutUserStatus",
        "PUT /agent-status/{InstanceId}": "CreateAgentStatus",
        "GET /agent-status/{InstanceId}/{AgentStatusId}": "DescribeAgentStatus",
        "GET /agent-status/{InstanceId}": "ListAgentStatuses",
        "POST /agent-status/{InstanceId}/{AgentStatusId}": "UpdateAgentStatus",
    ]

    /// Every operation name.
    public static let names = Set(byRoute.values)

    /// Operations whose instance is in the body, not the URI: the field that names it (an id, or an ARN).
    static let instanceInBody: [String: String] = [
        "StartChatContact": "InstanceId",
        "StopContact": "InstanceId",
        "UpdateContactAttributes": "InstanceId",
        "SearchContacts": "InstanceId",
        "GetMetricDataV2": "ResourceArn",
    ]

    /// The operation of a request matched to `endpoint` (`context.endpointPath`), if it is a control-plane one.
    static func name(method: HTTPRequest.Method, endpoint: String?) -> String? {
        guard let endpoint else { return nil }
        return byRoute[method.rawValue + " " + endpoint]
    }
}

/// Throttles every control-plane operation per instance (`Throttles`: Amazon's rates by default); over the rate the
/// request is refused with `ThrottlingException` 429 before its handler runs, so nothing changes. Runs after SigV4,
/// so that unsigned requests take no tokens. Requests for an instance that does not exist share one bucket per
/// operation (the handler then answers ResourceNotFoundException), so made-up ids cannot grow the table.
struct ControlPlaneThrottleMiddleware<Context: RequestContext>: RouterMiddleware {
    let instances: InstanceRegistry
    let maxBodyBytes: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let throttles = instances.home.throttles
        guard !throttles.rates.isEmpty,
            let operation = ControlPlaneOperations.name(method: request.method, endpoint: context.endpointPath)
        else { return try await next(request, context) }
        var request = request
        var identifier = context.parameters.get("InstanceId")
        if let field = ControlPlaneOperations.instanceInBody[operation] {
            // The SigV4 middleware already collected the body into a buffer: reading it again costs nothing.
            let body = try await request.body.collect(upTo: maxBodyBytes)
            request.body = RequestBody(buffer: body)
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            identifier = object?[field] as? String
        }
        let instance = identifier.flatMap { try? instances.state(for: $0).instanceId } ?? ""
        try throttles.admit(operation, instance: instance)
        return try await next(request, context)
    }
}

import Foundation
import ParleyDomain
import ParleyEngine

/// The demo instance of `parley serve --demo`: created on first start (alias `parley-demo`) with Parley's sample
/// flows, the `support` queue, a routing profile and a demo agent; later starts find it again.
public struct DemoInstance: Sendable, Equatable, Encodable {
    /// The instance id.
    public var instanceId: String
    /// The instance ARN.
    public var instanceArn: String
    /// The inbound flow to start chats with.
    public var inboundFlowId: String
    /// The queue the inbound flow routes to.
    public var queueId: String
    /// The demo agent's user name.
    public var agentUsername: String
    /// The demo agent's password (for the agent desktop at /agent).
    public var agentPassword: String
    /// The access key id the control plane accepts in demo mode (unless others are configured).
    public var accessKeyId: String?
    /// Its secret.
    public var secretAccessKey: String?

    /// The demo instance's alias.
    public static let alias = "parley-demo"
    /// The demo agent's user name and id.
    public static let agentUsername = "demo-agent"
    /// The demo agent's password: public by design, for a server on 127.0.0.1.
    public static let agentPassword = "Parley-Demo-1"
    /// The demo routing profile's id.
    public static let routingProfileId = "demo-support"
    /// The access key id of demo mode, used only when no `accessKeys` are configured.
    public static let demoAccessKeyId = "PARLEYDEMOACCESSKEY"
    /// Its secret: public by design, for a server on 127.0.0.1.
    public static let demoSecretAccessKey = "parley-demo-secret-access-key"

    /// Finds the demo instance, or creates it with its resources.
    static func ensure(
        _ instances: InstanceRegistry,
        accessKeys: [String: String]
    ) async throws(ServerError)
        -> DemoInstance
    {
        let existing = instances.all.first { $0.snapshot.state.instance?.alias == alias }
        let server: ServerState
        if let existing {
            server = existing
        } else {
            do {
                server = try await instances.create(
                    InstanceSettings(
                        instanceId: UUID().uuidString.lowercased(),
                        concurrentActiveChats: instances.home.configuration.concurrentActiveChats,
                        alias: alias
                    )
                )
                try await setUp(server)
            } catch {
                throw ServerError(.engine, "cannot create the demo instance: \(error)")
            }
        }
        let instanceId = server.snapshot.state.instance?.instanceId ?? ""
        let demoKey = accessKeys[demoAccessKeyId]
        return DemoInstance(
            instanceId: instanceId,
            instanceArn: ConnectARN.instance(instanceId),
            inboundFlowId: SampleFlows.inboundId,
            queueId: SampleFlows.queueId,
            agentUsername: agentUsername,
            agentPassword: agentPassword,
            accessKeyId: demoKey == nil ? nil : demoAccessKeyId,
            secretAccessKey: demoKey
        )
    }

    private static func setUp(_ server: ServerState) async throws {
        let instanceId = server.snapshot.state.instance?.instanceId ?? ""
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let commands: [ChatCommand] =
            SampleFlows.setup(instanceId: instanceId) + [
                .createRoutingProfile(
                    instanceId: instanceId,
                    routingProfileId: routingProfileId,
                    name: "Demo support",
                    chatConcurrency: 3,
                    routeAnyChannel: false,
                    queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                    defaultOutboundQueueId: SampleFlows.queueId
                ),
                .createUser(
                    instanceId: instanceId,
                    userId: agentUsername,
                    username: agentUsername,
                    routingProfileId: routingProfileId,
                    autoAccept: false,
                    afterContactWorkSeconds: 0
                ),
                .setUserCredential(
                    instanceId: instanceId,
                    userId: agentUsername,
                    credential: try PasswordCredential.derive(password: agentPassword, salt: salt)
                ),
            ]
        for command in commands { _ = try await server.engine.submit(command).get() }
    }

    /// How to use it, for the terminal.
    public func instructions(http: String) -> String {
        var lines = [
            "Parley demo instance \(instanceId) (alias \(Self.alias)) is ready.",
            "  agent desktop: \(http)/agent  (user \(agentUsername), password \(agentPassword))",
            "  inbound flow:  \(inboundFlowId)  -> queue \(queueId)",
        ]
        if let accessKeyId, let secretAccessKey {
            lines += [
                "  control plane: SigV4 with access key \(accessKeyId) / \(secretAccessKey) (demo only)",
                "  start a chat:",
                "    AWS_ACCESS_KEY_ID=\(accessKeyId) AWS_SECRET_ACCESS_KEY=\(secretAccessKey) \\",
                "    aws connect start-chat-contact --endpoint-url \(http) --region us-east-1 \\",
                "      --instance-id \(instanceId) --contact-flow-id \(inboundFlowId) \\",
                "      --participant-details DisplayName=Customer",
                "  then connect as the customer (X-Amz-Bearer: the ParticipantToken):",
                "    curl -s -X POST \(http)/participant/connection -H 'X-Amz-Bearer: TOKEN' \\",
                "      -d '{\"Type\":[\"WEBSOCKET\",\"CONNECTION_CREDENTIALS\"]}'",
            ]
        }
        return lines.joined(separator: "\n")
    }
}

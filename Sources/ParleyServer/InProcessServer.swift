import Hummingbird
import Logging
import ParleyEffects
import ParleyEngine

/// A server's instances and the responders of its two routers, without listeners: requests are answered in this
/// process, by the same routes, middleware and engines as `ParleyServer` (the fuzz targets use it).
///
/// Open it with `open(configuration:clock:logger:lambdaTransport:)`, answer requests with `http` and `querySocket`,
/// and `close()` it once (that commits what was submitted and closes every log).
package final class InProcessServer: Sendable {
    /// The instances, home first.
    package let instances: InstanceRegistry
    /// The TCP listener's routes: health, metrics, the agent desktop, the participant service and the control plane.
    package let http: RouterResponder<ParleyRequestContext>
    /// The query socket's routes: read-only queries, records, metrics, projections and checkpoints.
    package let querySocket: RouterResponder<ParleyRequestContext>

    private init(instances: InstanceRegistry) {
        self.instances = instances
        http = Routes.http(instances).buildResponder()
        querySocket = Routes.querySocket(instances).buildResponder()
    }

    /// Validates `configuration` and opens every instance in its data directory as `ParleyServer.run()` does.
    package static func open(
        configuration: ServerConfiguration,
        clock: any EngineClock,
        logger: Logger,
        lambdaTransport: @escaping LambdaRunner.Transport
    ) async throws(ServerError) -> InProcessServer {
        try configuration.validate()
        let opener = InstanceOpener(
            configuration: configuration,
            clock: clock,
            logger: logger,
            lambdaTransport: lambdaTransport
        )
        return InProcessServer(instances: try await InstanceRegistry.open(opener))
    }

    /// Closes every engine: commits what was submitted and closes the logs.
    package func close() async {
        await instances.close()
    }
}

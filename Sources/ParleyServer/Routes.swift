// Builds the two routers of a Parley server. To add an API area:
//
// 1. Create `Sources/ParleyServer/API/<Area>API.swift` with one function that adds the area's routes:
//
//        func addAgentRoutes(to router: Router<some RequestContext>, server: ServerState) {
//            router.get("/agent/v1/queue") { request, context in
//                let snapshot = try await server.snapshot(for: request)
//                return JSONResponse.make(SomeView(snapshot.state))
//            }
//            router.post("/agent/v1/accept") { request, context in
//                let body = try await request.decodeJSON(AcceptBody.self, maxBytes: server.configuration.maxBodyBytes)
//                return await server.submit(.acceptContact(userId: body.userId, contactId: body.contactId))
//            }
//        }
//
// 2. Register it with one line in `Routes.http(_:)` (the TCP listener) or `Routes.querySocket(_:)` (the local,
//    read-only query socket) below.
//
// Handlers stay thin: read a snapshot (`server.snapshot` or `server.snapshot(for:)`, which honours `?atLeast=`),
// answer with the domain's queries and JSON views through `JSONResponse.make`, and change state only through
// `server.submit`. Throw `APIError` or `ChatError`: `APIErrorMiddleware` (added before any route) turns every error,
// including unknown routes (404) and malformed bodies (400), into Amazon's shape: the status,
// `x-amzn-ErrorType: <Name>` and `{"message": "…"}`.
import Hummingbird

/// The routers of the server's two listeners.
enum Routes {
    /// The TCP listener: health, Prometheus metrics, the agent desktop API, the participant service (bearer tokens)
    /// and the Connect control plane (SigV4).
    static func http(_ instances: InstanceRegistry) -> Router<ParleyRequestContext> {
        let router = Router(context: ParleyRequestContext.self)
        // First, so that it counts the status the client gets, refusals of later middleware included.
        router.add(middleware: RequestMetricsMiddleware(metrics: instances.metrics))
        router.add(middleware: APIErrorMiddleware())
        let server = instances.home
        addPrometheusRoutes(to: router, metrics: instances.metrics, instances: { instances.engines })
        addHealthRoutes(to: router, instances: instances)
        if server.configuration.benchHello {
            addBenchHelloRoute(to: router, maxBodyBytes: server.configuration.maxBodyBytes)
        }
        addAgentRoutes(to: router, instances: instances)
        addParticipantRoutes(to: router, instances: instances)
        // The control plane: every route signed with SigV4 by one of the configured access keys.
        let signed = router.group()
        signed.add(
            middleware: SigV4Middleware(
                verifier: SigV4Verifier(credentials: SigV4Credentials(server.configuration.effectiveAccessKeys)),
                clock: server.clock,
                maxBodyBytes: server.configuration.maxBodyBytes
            )
        )
        signed.add(
            middleware: ControlPlaneThrottleMiddleware(
                instances: instances,
                maxBodyBytes: server.configuration.maxBodyBytes
            )
        )
        addConnectRoutes(to: signed, instances: instances)
        return router
    }

    /// The query socket: read-only answers from the latest snapshot, each with its log position, and the
    /// administration of projections and checkpoints (they change no domain state).
    static func querySocket(_ instances: InstanceRegistry) -> Router<ParleyRequestContext> {
        let router = Router(context: ParleyRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        addHealthRoutes(to: router, instances: instances)
        addQueryRoutes(to: router, instances: instances)
        addRecordsRoutes(to: router, instances: instances)
        return router
    }
}

import Hummingbird
import ParleyEngine

/// `GET /ping`: `{"status": "ok", "position": N}` — the server is up and the engine at log position N.
func addHealthRoutes(to router: Router<some RequestContext>, server: ServerState) {
    router.get("/ping") { _, _ in
        JSONResponse.make(Ping(status: "ok", position: server.snapshot.position))
    }
}

private struct Ping: Encodable {
    var status: String
    var position: UInt64
}

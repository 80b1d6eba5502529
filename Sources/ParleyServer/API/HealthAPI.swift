import EventLog
import Hummingbird
import NIOCore
import ParleyDomain
import ParleyEngine

/// `GET /ping`: `{"status": "ok", "position": N}` — the server is up and the home engine at log position N — or,
/// once the log writer of any instance stopped (a failed `fdatasync`, or a write it could not undo), 503 with
/// `"status": "failed"` and, per stopped instance, the reason: that instance accepts no writes until the server is
/// restarted (recovery reads what reached the disk). Load balancers and supervisors poll it.
func addHealthRoutes(to router: Router<some RequestContext>, instances: InstanceRegistry) {
    router.get("/ping") { _, _ in
        let failures = instances.engines.compactMap { state -> Ping.Failure? in
            guard let failure = state.engine.writerFailure else { return nil }
            return Ping.Failure(
                instanceId: state.snapshot.state.instance?.instanceId ?? "",
                code: "\(failure.code)",
                message: failure.description
            )
        }
        let ping = Ping(
            status: failures.isEmpty ? "ok" : "failed",
            position: instances.home.snapshot.position,
            failures: failures.isEmpty ? nil : failures
        )
        return JSONResponse.make(ping, status: failures.isEmpty ? .ok : .serviceUnavailable)
    }
}

private struct Ping: Encodable {
    var status: String
    var position: UInt64
    var failures: [Failure]?

    struct Failure: Encodable {
        var instanceId: String
        var code: String
        var message: String
    }
}

/// `GET /bench/hello`: `hello, world\n` as `text/plain`, nothing else. `POST /bench/echo`: SendMessage without the
/// engine. Only with `benchHello` in the configuration: the benchmark's baselines for a request through the same
/// listener and middleware as the API.
func addBenchHelloRoute(to router: Router<some RequestContext>, maxBodyBytes: Int) {
    router.get("/bench/hello") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "hello, world\n"))
        )
    }
    // What SendMessage does around its command: the same reading and checks of the request (`readMessage`), and an
    // answer of the same shape and headers. The id is fresh, the time is now; nothing is recorded.
    router.post("/bench/echo") { request, _ in
        _ = try await ParticipantAPI.readMessage(request, maxBodyBytes: maxBodyBytes)
        var generator = SystemRandomNumberGenerator()
        var response = JSONResponse.make(
            ParticipantAPI.SentAnswer(
                id: Identifier.random(using: &generator).description,
                absoluteTime: ISOTime.format(SystemClock().now())
            )
        )
        response.headers[.parleyPosition] = "0"
        return response
    }
}

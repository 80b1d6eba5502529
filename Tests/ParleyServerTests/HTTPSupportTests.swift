import Foundation
import Hummingbird
import NIOCore
import ParleyDomain
import ParleyEngine
import ParleyServer
import ServiceLifecycle
import Testing

/// The shared helpers behind a real Hummingbird application on a Unix socket: JSON bodies, the error shape, the
/// submit helper, and read-your-writes waits.
@Suite struct HTTPSupportTests {
    private struct Greeting: Decodable {
        var name: String
        var count: Int
        var tags: [String]?
    }

    private struct Echo: Encodable {
        var name: String
        var count: Int
    }

    private struct Unexpected: Error {}

    /// Runs `body` against an application with a few test routes and the shared helpers, then stops it.
    private func withTestApplication(
        _ body: (_ socket: String, _ engine: Engine<ChatMachine>) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        let state = ServerState(
            engine: engine,
            configuration: ServerConfiguration(dataDirectory: directory.path),
            clock: SystemClock(),
            logger: testLogger
        )
        let router = Router(context: ParleyRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.post("/echo") { request, _ in
            let greeting = try await request.decodeJSON(Greeting.self, maxBytes: 128)
            return JSONResponse.make(Echo(name: greeting.name, count: greeting.count))
        }
        router.post("/configure") { _, _ in
            await state.submit(.configureInstance(instanceId: "i-1", concurrentActiveChats: 10))
        }
        router.post("/stop") { _, _ in
            await state.submit(.stopContact(instanceId: "i-1", contactId: "7f3c8f1e-0000-4000-8000-000000000000"))
        }
        router.get("/denied") { _, _ -> Response in throw ChatError(.accessDenied, "not yours") }
        router.get("/unexpected") { _, _ -> Response in throw Unexpected() }
        let socket = directory.path + "/test.sock"
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socket)),
            onServerRunning: { _ in readyContinuation.yield() },
            logger: testLogger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [application], logger: testLogger)
        )
        let task = Task { try await group.run() }
        for await _ in ready { break }
        var failure: (any Error)?
        do {
            try await body(socket, engine)
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        try await task.value
        await engine.close()
        if let failure { throw failure }
    }

    @Test func aWellFormedBodyIsDecoded() async throws {
        try await withTestApplication { socket, _ in
            let response = try await LocalHTTPClient.send(
                "POST",
                "/echo",
                body: Array(#"{"name":"ana","count":2}"#.utf8),
                socketPath: socket
            )
            #expect(response.status == 200)
            #expect(response.text == #"{"count":2,"name":"ana"}"#)
        }
    }

    @Test(arguments: [
        ("{", "SerializationException", "the request body is not valid JSON"),
        (#"{"name":"ana"}"#, "SerializationException", "count is required"),
        (#"{"name":7,"count":1}"#, "SerializationException", "name must be a string"),
        (#"{"name":"a","count":"1"}"#, "SerializationException", "count must be an integer"),
        (#"{"name":"a","count":1,"tags":[1]}"#, "SerializationException", "tags.[0] must be a string"),
        (#"{"name":"a","count":null}"#, "SerializationException", "count must be an integer, not null"),
        ("", "SerializationException", " is required"),
        (String(repeating: " ", count: 200), "RequestEntityTooLargeException", "larger than 128 bytes"),
    ])
    func aBadBodyIsA400WithATypedError(body: String, type: String, message: String) async throws {
        try await withTestApplication { socket, _ in
            let response = try await LocalHTTPClient.send("POST", "/echo", body: Array(body.utf8), socketPath: socket)
            #expect(response.status == 400)
            #expect(response.header("x-amzn-ErrorType") == type)
            let text = try object(response.body)["message"] as? String ?? ""
            #expect(text.contains(message), "\(text)")
        }
    }

    @Test func errorsThrownByHandlersAndMissingRoutesKeepTheShape() async throws {
        try await withTestApplication { socket, _ in
            let denied = try await LocalHTTPClient.send("GET", "/denied", socketPath: socket)
            #expect(denied.status == 403)
            #expect(denied.header("x-amzn-ErrorType") == "AccessDeniedException")
            #expect(denied.text == #"{"message":"not yours"}"#)

            let unexpected = try await LocalHTTPClient.send("GET", "/unexpected", socketPath: socket)
            #expect(unexpected.status == 500)
            #expect(unexpected.header("x-amzn-ErrorType") == "InternalServiceException")

            let missing = try await LocalHTTPClient.send("DELETE", "/echo", socketPath: socket)
            #expect(missing.status == 404)
            #expect(missing.header("x-amzn-ErrorType") == "UnknownOperationException")
            #expect(missing.text == #"{"message":"no operation at DELETE /echo"}"#)
        }
    }

    @Test func submitAnswersWithThePositionOrTheDomainError() async throws {
        try await withTestApplication { socket, engine in
            let configured = try await LocalHTTPClient.send("POST", "/configure", socketPath: socket)
            #expect(configured.status == 200)
            #expect(configured.text == "{}")
            #expect(configured.header("x-parley-position") == String(engine.snapshot.position))
            #expect(engine.snapshot.state.instance?.instanceId == "i-1")

            let refused = try await LocalHTTPClient.send("POST", "/stop", socketPath: socket)
            let expected = try #require(
                await engine.submit(
                    .stopContact(instanceId: "i-1", contactId: "7f3c8f1e-0000-4000-8000-000000000000")
                ).failure
            )
            #expect(refused.status == expected.httpStatus)
            #expect(refused.header("x-amzn-ErrorType") == expected.code.name)
            #expect(try object(refused.body)["message"] as? String == expected.message)
        }
    }

    @Test func aWaitingReadSeesTheWriteItWaitsFor() async throws {
        let directory = TemporaryDirectory()
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        let state = ServerState(
            engine: engine,
            configuration: ServerConfiguration(dataDirectory: directory.path),
            clock: SystemClock(),
            logger: testLogger
        )
        let head = engine.snapshot.position
        async let waited = state.snapshot(atLeast: head + 1)
        _ = try await engine.submit(.configureInstance(instanceId: "i-2", concurrentActiveChats: 1)).get()
        let snapshot = try await waited
        #expect(snapshot.position >= head + 1)
        #expect(snapshot.state.instance?.instanceId == "i-2")

        // Once the engine is closed a wait beyond the head ends at once.
        await engine.close()
        await #expect {
            _ = try await state.snapshot(atLeast: snapshot.position + 5)
        } throws: { error in
            (error as? APIError)?.code == .positionNotReached
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

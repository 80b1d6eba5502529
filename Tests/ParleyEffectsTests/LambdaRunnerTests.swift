import Foundation
import ParleyDomain
import ParleyEffects
import ParleyEngine
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 (POSIX sockets on its own thread) that answers every POST with a fixed
/// status and body and keeps the request bodies.
final class TinyHTTPServer: Sendable {
    let port: UInt16
    private let socket: Int32
    private let bodies = Mutex<[String]>([])
    private let response: (status: Int, body: String)

    init(status: Int = 200, body: String) throws {
        response = (status, body)
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socket = fd
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    var receivedBodies: [String] { bodies.withLock { $0 } }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private func serve() {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 { return }
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(client, &buffer, buffer.count)
                if count <= 0 { break }
                received += buffer[0..<count]
                let text = String(decoding: received, as: UTF8.self)
                guard let split = text.range(of: "\r\n\r\n") else { continue }
                let head = text[..<split.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = Array(text.utf8)[(text.utf8.distance(from: text.startIndex, to: split.upperBound))...]
                if body.count >= length {
                    bodies.withLock { $0.append(String(decoding: body.prefix(length), as: UTF8.self)) }
                    break
                }
            }
            let payload = Array(response.body.utf8)
            let head =
                "HTTP/1.1 \(response.status) X\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
            let bytes = Array(head.utf8) + payload
            _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
    }
}

@Suite struct LambdaRunnerTests {
    final class TemporaryDirectory: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-lambda-\(UUID().uuidString)")
            .path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static let instance = "lambda-instance"
    static let flow = """
        {"Version": "2019-10-30", "StartAction": "call", "Metadata": {}, "Actions": [
          {"Identifier": "call", "Type": "InvokeLambdaFunction",
           "Parameters": {"LambdaFunctionARN": "arn:aws:lambda:eu-west-1:123456789012:function:lookup-customer",
                          "InvocationTimeLimitSeconds": "3",
                          "LambdaInvocationAttributes": {"order": "$.Attributes.order"},
                          "ResponseValidation": {"ResponseType": "STRING_MAP"}},
           "Transitions": {"NextAction": "say", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "failed"}]}},
          {"Identifier": "say", "Type": "MessageParticipant", "Parameters": {"Text": "Your tier is $.External.tier"},
           "Transitions": {"NextAction": "end"}},
          {"Identifier": "failed", "Type": "MessageParticipant", "Parameters": {"Text": "Lookup failed"},
           "Transitions": {"NextAction": "end"}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ]}
        """

    /// Opens an engine with the flow and the function registered at `url`, and starts a chat through it.
    static func start(
        _ directory: TemporaryDirectory,
        url: String,
        clock: ManualClock
    ) async throws -> (Engine<ChatMachine>, Identifier) {
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path, clock: clock)
        let setup: [ChatCommand] = [
            .configureInstance(instanceId: instance, concurrentActiveChats: 10),
            .registerLambdaFunction(instanceId: instance, function: "lookup-customer", url: url),
            .createContactFlow(
                instanceId: instance,
                flowId: "lambda-flow",
                name: "Lambda",
                type: "CONTACT_FLOW",
                description: "",
                content: flow
            ),
        ]
        for command in setup { _ = try await engine.submit(command).get() }
        let reply = try await engine.submit(
            .startChatContact(
                StartChatContactRequest(
                    instanceId: instance,
                    contactFlowId: "lambda-flow",
                    displayName: "Ana",
                    attributes: ["order": "4711"]
                )
            )
        ).get()
        guard case .chatStarted(let chat) = reply else { throw CocoaError(.featureUnsupported) }
        return (engine, chat.contactId)
    }

    static func systemMessages(_ engine: Engine<ChatMachine>, _ chat: Identifier) -> [String] {
        engine.snapshot.state.chats[chat]?.items.filter { $0.role == .system && $0.type == "MESSAGE" }.compactMap(
            \.content
        ) ?? []
    }

    @Test func theEndpointIsCalledWithAmazonsEventAndItsAnswerBecomesExternal() async throws {
        let server = try TinyHTTPServer(body: "{\"tier\":\"gold\",\"open\":true}")
        defer { server.stop() }
        let directory = TemporaryDirectory()
        let (engine, chat) = try await Self.start(
            directory,
            url: "http://127.0.0.1:\(server.port)/lookup",
            clock: ManualClock(1_767_261_600_000_000)
        )
        #expect(engine.snapshot.state.pendingInvocations.count == 1)
        #expect(Self.systemMessages(engine, chat).isEmpty, "the flow waits for the call")

        let runner = LambdaRunner(engine: engine)
        #expect(await runner.runPending() == 1)
        #expect(Self.systemMessages(engine, chat) == ["Your tier is gold"])
        #expect(engine.snapshot.state.pendingInvocations.isEmpty)
        let bodies = server.receivedBodies
        #expect(bodies.count == 1)
        let event = try JSONDecoder().decode(JSONValue.self, from: Data(bodies.first!.utf8))
        #expect(event["Name"]?.string == "ContactFlowEvent")
        #expect(event["Details"]?["ContactData"]?["ContactId"]?.string == chat.description)
        #expect(event["Details"]?["ContactData"]?["Channel"]?.string == "CHAT")
        #expect(event["Details"]?["Parameters"]?["order"]?.string == "4711")
        let live = engine.snapshot
        await engine.close()

        // Replay re-applies the recorded answer and never calls out again.
        let replayed = try Engine<ChatMachine>.replay(dataDirectory: directory.path)
        #expect(replayed.state.stateHash() == live.state.stateHash())
        #expect(server.receivedBodies.count == 1)
    }

    @Test func failuresAndTimeoutsTakeTheErrorBranch() async throws {
        let server = try TinyHTTPServer(status: 500, body: "{}")
        defer { server.stop() }
        let directory = TemporaryDirectory()
        let clock = ManualClock(1_767_261_600_000_000)
        let (engine, chat) = try await Self.start(directory, url: "http://127.0.0.1:\(server.port)/", clock: clock)
        await LambdaRunner(engine: engine).runPending()
        #expect(Self.systemMessages(engine, chat) == ["Lookup failed"])
        let failure = engine.snapshot.state.contacts[chat]?.flowRun
        #expect(failure?.status == .ended)

        // A second chat whose call never gets an answer: the 3-second limit fires and a late answer changes nothing.
        let reply = try await engine.submit(
            .startChatContact(
                StartChatContactRequest(instanceId: Self.instance, contactFlowId: "lambda-flow", displayName: "Bo")
            )
        ).get()
        guard case .chatStarted(let second) = reply else { return }
        let invocation = try #require(engine.snapshot.state.pendingInvocations.keys.first)
        let key = TimerKey(.flowWait, chat: second.contactId, participant: second.contactId)
        let deadline = try #require(engine.snapshot.state.timers[key])
        #expect(deadline - engine.snapshot.state.contacts[second.contactId]!.initiatedAt <= 3_000_000)
        clock.set(deadline)
        #expect(await engine.fireDueTimers() == 1)
        #expect(Self.systemMessages(engine, second.contactId) == ["Lookup failed"])
        let position = engine.snapshot.position
        _ = await engine.submit(
            .completeLambdaInvocation(invocationId: invocation, outcome: .response("{\"tier\":\"late\"}"))
        )
        #expect(engine.snapshot.position == position, "a late answer writes nothing")
        await engine.close()
    }

    @Test func theStartedRunnerEndsWhenTheEngineCloses() async throws {
        let directory = TemporaryDirectory()
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        let runner = LambdaRunner(engine: engine, transport: { _ in .failure("not called") }).start()
        _ = try await engine.submit(.configureInstance(instanceId: Self.instance, concurrentActiveChats: 1)).get()
        await engine.close()
        // Not cancelled: the closed engine alone ends the loop (it used to spin on the closed engine's waits).
        await runner.value
        #expect(!runner.isCancelled)
    }

    /// A slow call holds up no other: the runner wakes for a chat started after it, and calls out for it while the
    /// first chat's call is still waiting (that call waits until the second one has been made).
    @Test(.timeLimit(.minutes(5))) func aSlowCallHoldsUpNoOtherAndLaterInvocationsWakeTheRunner() async throws {
        let directory = TemporaryDirectory()
        let (engine, first) = try await Self.start(directory, url: "http://127.0.0.1:9/", clock: ManualClock(1))
        let (secondCalled, open) = AsyncStream.makeStream(of: Void.self)
        let firstInvocation = try #require(engine.snapshot.state.pendingInvocations.values.first?.request.invocationId)
        let runner = LambdaRunner(engine: engine) { request in
            if request.invocationId == firstInvocation {
                for await _ in secondCalled { break }
                return .response("{\"tier\":\"gold\"}")
            }
            open.yield()
            return .response("{\"tier\":\"silver\"}")
        }.start()
        let reply = try await engine.submit(
            .startChatContact(
                StartChatContactRequest(
                    instanceId: Self.instance,
                    contactFlowId: "lambda-flow",
                    displayName: "Bo",
                    attributes: ["order": "1"]
                )
            )
        ).get()
        guard case .chatStarted(let second) = reply else { throw CocoaError(.featureUnsupported) }
        var seen = engine.snapshot
        while !seen.state.pendingInvocations.isEmpty || seen.state.chats.count < 2 {
            seen = await engine.waitForSnapshot(atLeast: seen.position + 1)
        }
        #expect(Self.systemMessages(engine, first) == ["Your tier is gold"])
        #expect(Self.systemMessages(engine, second.contactId) == ["Your tier is silver"])
        await engine.close()
        await runner.value
    }

    @Test func responsesAreValidatedByType() {
        #expect(
            LambdaResponse.external("{\"a\":\"1\",\"b\":2,\"c\":true}", type: "STRING_MAP")
                == .success(["a": "1", "b": "2", "c": "true"])
        )
        #expect((try? LambdaResponse.external("{\"a\":{\"b\":1}}", type: "STRING_MAP").get()) == nil)
        #expect(LambdaResponse.external("{\"a\":{\"b\":\"x\"}}", type: "JSON") == .success(["a.b": "x"]))
        #expect((try? LambdaResponse.external("[1,2]", type: "JSON").get()) == nil)
    }
}

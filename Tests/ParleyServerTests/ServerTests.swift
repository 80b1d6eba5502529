import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real server in this process: TCP on port 0, the query socket in a temporary data directory.
@Suite struct ServerTests {
    @Test func pingOverTCPWithARealHTTPClient() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory)
        let running = try await RunningServer.start(in: directory)
        let ping = try await running.http("/ping")
        #expect(ping.status == 200)
        #expect(ping.headers["content-type"] == "application/json")
        let body = try object(ping.body)
        #expect(body["status"] as? String == "ok")
        #expect(body["position"] as? Int == Int(running.addresses.position))
        #expect(running.addresses.position > 0)
        #expect(running.addresses.instance == "test-instance")
        #expect(running.addresses.http == "http://127.0.0.1:\(running.addresses.port)")
        try await running.stop()
    }

    @Test func benchHelloIsOffByDefaultAndAFixedAnswerWhenOn() async throws {
        let plain = TemporaryDirectory()
        let running = try await RunningServer.start(in: plain)
        #expect(try await running.http("/bench/hello").status == 404)
        try await running.stop()
        let benched = TemporaryDirectory()
        let hello = try await RunningServer.start(in: benched) { $0.benchHello = true }
        let answer = try await hello.http("/bench/hello")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(String(decoding: answer.body, as: UTF8.self) == "hello, world\n")
        try await hello.stop()
    }

    @Test func benchEchoAnswersLikeSendMessageWithoutRecordingAnything() async throws {
        let plain = TemporaryDirectory()
        let running = try await RunningServer.start(in: plain)
        let base = running.addresses.http
        let message = #"{"ContentType":"text/plain","Content":"hi"}"#
        #expect(try await ParticipantAPITests.post(base, "/bench/echo", bearer: "t", message).status == 404)
        try await running.stop()

        let benched = TemporaryDirectory()
        let echo = try await RunningServer.start(in: benched) { $0.benchHello = true }
        let head = echo.addresses.position
        let answer = try await ParticipantAPITests.post(echo.addresses.http, "/bench/echo", bearer: "t", message)
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(Identifier(try #require(answer.json["Id"] as? String)) != nil)
        #expect(ParticipantAPITests.isoMillis(answer.json["AbsoluteTime"]))
        #expect(answer.headers["x-parley-position"] == "0")
        // The same checks as SendMessage: the bearer header and a body with Content.
        let unsigned = try await ParticipantAPITests.post(echo.addresses.http, "/bench/echo", bearer: nil, message)
        #expect(unsigned.status == 403)
        let empty = try await ParticipantAPITests.post(echo.addresses.http, "/bench/echo", bearer: "t", "{}")
        #expect(empty.status == 400)
        let noContent = #"{"ContentType":"text/plain"}"#
        let missing = try await ParticipantAPITests.post(echo.addresses.http, "/bench/echo", bearer: "t", noContent)
        #expect(missing.status == 400)
        #expect((missing.json["message"] as? String)?.contains("Content is required") == true)
        // Nothing reached the log.
        let ping = try await echo.http("/ping")
        #expect(try object(ping.body)["position"] as? Int == Int(head))
        try await echo.stop()
    }

    @Test func statusQueuesAgentsContactsAndTimersOverTheSocket() async throws {
        let directory = TemporaryDirectory()
        let contacts = try await seed(directory, chats: 2)
        let running = try await RunningServer.start(in: directory)
        let head = Int(running.addresses.position)

        let status = try await running.query("/v1/status")
        #expect(status.status == 200)
        let statusBody = try object(status.body)
        #expect(statusBody["position"] as? Int == head)
        #expect(statusBody["instance"] as? String == "test-instance")
        let log = try #require(statusBody["log"] as? [String: Any])
        #expect(log["headSequence"] as? Int == head)
        #expect(log["segments"] as? Int == 1)
        #expect((log["bytes"] as? Int ?? 0) > 0)
        let state = try #require(statusBody["state"] as? [String: Any])
        #expect(state["contacts"] as? Int == 2)
        #expect(statusBody["stateHash"] == nil)
        let hashed = try object(try await running.query("/v1/status?hash=true").body)
        #expect(((hashed["stateHash"] as? [String: Any])?["combined"] as? String)?.count == 64)

        let queues = try object(try await running.query("/v1/queues").body)
        #expect(queues["position"] as? Int == head)
        let queueList = try #require(queues["queues"] as? [[String: Any]])
        let support = try #require(
            queueList.first { ($0["queue"] as? [String: Any])?["queueId"] as? String == SampleFlows.queueId }
        )
        #expect((support["figures"] as? [String: Any])?["contactsInQueue"] as? Int == 2)

        let agents = try object(try await running.query("/v1/agents").body)
        #expect(agents["position"] as? Int == head)
        #expect(agents["agents"] is [Any])

        let listed = try object(try await running.query("/v1/contacts").body)
        #expect(listed["position"] as? Int == head)
        let listedIds = (listed["contacts"] as? [[String: Any]] ?? []).compactMap { $0["contactId"] as? String }
        // Newest first.
        #expect(listedIds == contacts.reversed().map(\.description))
        #expect(listed["nextToken"] == nil)

        let one = try object(try await running.query("/v1/contacts/\(contacts[0])").body)
        #expect(one["position"] as? Int == head)
        let contact = try #require(one["contact"] as? [String: Any])
        #expect(contact["contactId"] as? String == contacts[0].description)
        #expect(contact["initiationMethod"] as? String == "API")
        let transcript = try #require(one["transcript"] as? [[String: Any]])
        #expect(transcript.contains { $0["Content"] as? String == "Hello 0" })
        // Every message of the contact is billable; its chat counts them and the view shows the count.
        let messages = transcript.filter { $0["Type"] as? String == "MESSAGE" }.count
        #expect(messages >= 1)
        #expect(contact["billableMessages"] as? Int == messages)
        let listedCounts = (listed["contacts"] as? [[String: Any]] ?? []).map { $0["billableMessages"] as? Int }
        #expect(listedCounts.count == 2 && listedCounts.allSatisfy { $0 == messages })

        let timers = try object(try await running.query("/v1/timers").body)
        #expect(timers["position"] as? Int == head)
        let open = try #require(timers["timers"] as? [[String: Any]])
        #expect(open.contains { ($0["timer"] as? String)?.hasPrefix("chatCeiling/") == true })
        #expect(timers["total"] as? Int == open.count)
        #expect(open.allSatisfy { $0["overdue"] as? Bool == false })
        try await running.stop()
    }

    @Test func contactsAreFilteredAndPagedWithAStableToken() async throws {
        let directory = TemporaryDirectory()
        let contacts = try await seed(directory, chats: 5)
        let running = try await RunningServer.start(in: directory)
        var seen: [String] = []
        var target = "/v1/contacts?limit=2"
        var pages = 0
        while true {
            let page = try object(try await running.query(target).body)
            let ids = (page["contacts"] as? [[String: Any]] ?? []).compactMap { $0["contactId"] as? String }
            #expect(ids.count <= 2)
            seen += ids
            pages += 1
            guard let token = page["nextToken"] as? String else { break }
            target = "/v1/contacts?limit=2&nextToken=\(token)"
        }
        #expect(pages == 3)
        #expect(seen == contacts.reversed().map(\.description))

        let queued = try object(try await running.query("/v1/contacts?queue=\(SampleFlows.queueId)").body)
        #expect((queued["contacts"] as? [Any])?.count == 5)
        let ended = try object(try await running.query("/v1/contacts?state=ended").body)
        #expect((ended["contacts"] as? [Any])?.isEmpty == true)
        let nobody = try object(try await running.query("/v1/contacts?agent=nobody").body)
        #expect((nobody["contacts"] as? [Any])?.isEmpty == true)
        // Initiation time: from is inclusive, to exclusive.
        let since2000 = try object(try await running.query("/v1/contacts?from=2000-01-01T00:00:00Z").body)
        #expect((since2000["contacts"] as? [Any])?.count == 5)
        let future = try object(try await running.query("/v1/contacts?from=2100-01-01T00:00:00Z").body)
        #expect((future["contacts"] as? [Any])?.isEmpty == true)
        let past = try object(try await running.query("/v1/contacts?to=2000-01-01T00:00:00Z").body)
        #expect((past["contacts"] as? [Any])?.isEmpty == true)
        let window = try object(
            try await running.query("/v1/contacts?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&queue=support").body
        )
        #expect((window["contacts"] as? [Any])?.count == 5)
        #expect(try await running.query("/v1/contacts?from=yesterday").status == 400)
        #expect(try await running.query("/v1/contacts?from=2100-01-01T00:00:00Z&to=2000-01-01T00:00:00Z").status == 400)
        try await running.stop()
    }

    @Test(arguments: [
        ("/v1/contacts?limit=abc", "InvalidParameterException", 400),
        ("/v1/contacts?limit=0", "InvalidParameterException", 400),
        ("/v1/contacts?state=LOST", "InvalidParameterException", 400),
        ("/v1/contacts?nextToken=garbage", "InvalidParameterException", 400),
        ("/v1/status?atLeast=-1", "InvalidParameterException", 400),
        ("/v1/contacts/not-a-uuid", "ResourceNotFoundException", 404),
        ("/v1/contacts/7f3c8f1e-0000-4000-8000-000000000000", "ResourceNotFoundException", 404),
        ("/v1/nothing-here", "UnknownOperationException", 404),
    ])
    func errorsHaveTheAmazonShape(target: String, type: String, status: Int) async throws {
        let directory = TemporaryDirectory()
        let running = try await RunningServer.start(in: directory)
        let response = try await running.query(target)
        #expect(response.status == status)
        #expect(response.header("x-amzn-ErrorType") == type)
        #expect(response.header("content-type") == "application/json")
        let body = try object(response.body)
        #expect((body["message"] as? String)?.isEmpty == false)
        if type == "ResourceNotFoundException" { #expect(body["ResourceType"] as? String == "CONTACT") }
        try await running.stop()
    }

    @Test func unknownRouteOverTCPIs404WithAJSONMessage() async throws {
        let directory = TemporaryDirectory()
        let running = try await RunningServer.start(in: directory)
        let response = try await running.http("/v1/status")
        #expect(response.status == 404)
        #expect(response.headers["x-amzn-errortype"] == "UnknownOperationException")
        let body = try object(response.body)
        #expect(body["message"] as? String == "no operation at GET /v1/status")
        try await running.stop()
    }

    @Test func theSocketIsOwnerOnly() async throws {
        let directory = TemporaryDirectory()
        let running = try await RunningServer.start(in: directory)
        // lstat through FileManager: the socket itself, not what it might point to.
        let info = try FileManager.default.attributesOfItem(atPath: directory.socketPath)
        #expect(info[.type] as? FileAttributeType == .typeSocket)
        #expect((info[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(running.addresses.socket == directory.socketPath)
        try await running.stop()
    }

    @Test func aStaleSocketFileIsReplaced() async throws {
        let directory = TemporaryDirectory()
        try leaveStaleSocket(at: directory.socketPath)
        let running = try await RunningServer.start(in: directory)
        let status = try await running.query("/v1/status")
        #expect(status.status == 200)
        try await running.stop()
    }

    @Test func aSocketDirectoryOthersCanWriteIsRefused() async throws {
        let directory = TemporaryDirectory()
        let open = directory.path + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        #expect(chmod(open, 0o777) == 0)
        await #expect {
            _ = try await RunningServer.start(in: directory) { $0.socketPath = open + "/parley.sock" }
        } throws: { error in
            guard let error = error as? ServerError else { return false }
            return error.code == .socketPath && error.message.contains("writable by others")
        }
        #expect(!FileManager.default.fileExists(atPath: open + "/parley.sock"))
        // The same directory closed to others is accepted.
        #expect(chmod(open, 0o755) == 0)
        let running = try await RunningServer.start(in: directory) { $0.socketPath = open + "/parley.sock" }
        #expect(try await running.query("/v1/status").status == 200)
        try await running.stop()
    }

    @Test func aLiveServerOnTheSocketIsNotTakenOver() async throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        let running = try await RunningServer.start(in: first)
        await #expect {
            _ = try await RunningServer.start(in: second) { $0.socketPath = first.socketPath }
        } throws: { error in
            (error as? ServerError)?.code == .socketInUse
        }
        // The first server still answers, and the second released its log.
        #expect(try await running.query("/v1/status").status == 200)
        let reopened = try await Engine<ChatMachine>.open(dataDirectory: second.path)
        await reopened.close()
        try await running.stop()
    }

    @Test func aTakenPortFailsTheStartAndClosesTheEngine() async throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        let running = try await RunningServer.start(in: first)
        let port = running.addresses.port
        await #expect {
            _ = try await RunningServer.start(in: second) { $0.port = port }
        } throws: { error in
            (error as? ServerError)?.code == .listener
        }
        let reopened = try await Engine<ChatMachine>.open(dataDirectory: second.path)
        await reopened.close()
        #expect(!FileManager.default.fileExists(atPath: second.socketPath))
        try await running.stop()
    }

    @Test func atLeastBeyondTheHeadTimesOutWithATypedError() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory)
        let running = try await RunningServer.start(in: directory) { $0.maxReadWaitMilliseconds = 50 }
        let head = running.addresses.position
        let reached = try await running.query("/v1/status?atLeast=\(head)")
        #expect(reached.status == 200)
        let beyond = try await running.query("/v1/status?atLeast=\(head + 1_000)")
        #expect(beyond.status == 503)
        #expect(beyond.header("x-amzn-ErrorType") == "PositionNotReachedException")
        let message = try object(beyond.body)["message"] as? String
        #expect(message == "the log did not reach position \(head + 1_000) within 50 ms (it is at \(head))")
        try await running.stop()
    }

    @Test func gracefulShutdownClosesTheEngineAndRemovesTheSocket() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory)
        let running = try await RunningServer.start(in: directory)
        let head = running.addresses.position
        try await running.stop()
        #expect(!FileManager.default.fileExists(atPath: directory.socketPath))
        await #expect(throws: ServerError.self) { try await running.server.listening() }
        // The log lock is released and the log reopens cleanly at the same position.
        let reopened = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        #expect(reopened.snapshot.position == head)
        #expect(reopened.recovery == nil)
        await reopened.close()
        // And a new server starts on the same directory.
        let again = try await RunningServer.start(in: directory)
        #expect(again.addresses.position == head)
        try await again.stop()
    }

    @Test func shutdownBeforeTheListenersAreUpStillClosesCleanly() async throws {
        let directory = TemporaryDirectory()
        let server = ParleyServer(
            configuration: ServerConfiguration(dataDirectory: directory.path, port: 0, durability: "none"),
            logger: testLogger
        )
        await server.shutdown()
        try await server.run()
        let reopened = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        await reopened.close()
    }

    /// Binds a Unix socket at `path` and closes it without unlinking: what a killed server leaves behind.
    private func leaveStaleSocket(at path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(descriptor >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: Array(path.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(descriptor)
        guard bound == 0 else { throw TestFailure("bind failed: \(errno)") }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType == .typeSocket)
    }
}

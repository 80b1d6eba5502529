import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ParleyDomain
import ParleyEngine
import ParleyServer
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The agent desktop API over real TCP: login, status, the feed (long-poll and Server-Sent Events), accept, end,
/// clear, transfer, reject, logout — with the customer side driven through the same engine.
@Suite struct AgentAPITests {
    static let instance = "agent-test"

    /// An engine with the sample flows, a routing profile on the sample queue, agents sam (password
    /// "Sam-Secret-1") and bea (auto-accept), and the three kinds of status; an application with the agent routes on
    /// 127.0.0.1, port 0.
    struct Desk {
        let engine: Engine<ChatMachine>
        let base: String

        /// Starts a chat through the sample inbound flow (it queues on the sample queue) and connects the customer;
        /// returns the contact id and the customer's connection token.
        func startChat(_ name: String = "Ana") async throws -> (Identifier, String) {
            let request = StartChatContactRequest(
                instanceId: AgentAPITests.instance,
                contactFlowId: SampleFlows.inboundId,
                displayName: name
            )
            guard case .chatStarted(let started) = try await engine.submit(.startChatContact(request)).get() else {
                throw TestFailure("no chat")
            }
            let token = try await connect(started.participantToken)
            return (started.contactId, token)
        }

        func connect(_ participantToken: String) async throws -> String {
            let reply = try await engine.submit(
                .createParticipantConnection(
                    participantToken: participantToken,
                    types: ["CONNECTION_CREDENTIALS"],
                    connectParticipant: true
                )
            ).get()
            guard case .connection(let connection) = reply, let token = connection.connectionToken else {
                throw TestFailure("no connection")
            }
            return token
        }

        /// One HTTP call with URLSession; the body decoded as a JSON object.
        func call(
            _ method: String,
            _ path: String,
            token: String? = nil,
            body: String? = nil
        ) async throws -> (status: Int, json: [String: Any], headers: [String: String], raw: Data) {
            var request = URLRequest(url: try #require(URL(string: base + path)))
            request.httpMethod = method
            request.timeoutInterval = 60
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let body {
                request.httpBody = Data(body.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            let headers = http.lowercasedHeaders
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (http.statusCode, json, headers, data)
        }

        func login(_ username: String = "Sam", _ password: String = "Sam-Secret-1") async throws -> String {
            let answer = try await call(
                "POST",
                "/agent/v1/login",
                body: #"{"Username":"\#(username)","Password":"\#(password)"}"#
            )
            #expect(answer.status == 200, "\(answer.json)")
            return try #require(answer.json["SessionToken"] as? String)
        }

        /// The feed entries after `after` ("KIND STATE [REASON]").
        func events(_ token: String, after: Int = 0, wait: Int = 0) async throws -> [[String: Any]] {
            let answer = try await call("GET", "/agent/v1/events?after=\(after)&waitSeconds=\(wait)", token: token)
            #expect(answer.status == 200, "\(answer.json)")
            return try #require(answer.json["Events"] as? [[String: Any]])
        }
    }

    static func summary(_ entries: [[String: Any]]) -> [String] {
        entries.map { entry in
            [entry["Kind"], entry["State"], entry["Reason"]].compactMap { $0 as? String }.joined(separator: " ")
        }
    }

    /// Runs `body` against a fresh desk, then shuts it down; `clock` is the engine's and the server's.
    static func withDesk(
        clock: any EngineClock = SystemClock(),
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (Desk) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path, clock: clock)
        let setUp: [ChatCommand] =
            [.configureInstance(instanceId: instance, concurrentActiveChats: 100)]
            + SampleFlows.setup(instanceId: instance) + [
                .createRoutingProfile(
                    instanceId: instance,
                    routingProfileId: "support",
                    name: "Support",
                    chatConcurrency: 2,
                    routeAnyChannel: false,
                    queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                    defaultOutboundQueueId: SampleFlows.queueId
                ),
                .createUser(
                    instanceId: instance,
                    userId: "sam",
                    username: "Sam",
                    routingProfileId: "support",
                    autoAccept: false,
                    afterContactWorkSeconds: 0
                ),
                .createUser(
                    instanceId: instance,
                    userId: "bea",
                    username: "Bea",
                    routingProfileId: "support",
                    autoAccept: true,
                    afterContactWorkSeconds: 0
                ),
                .setUserCredential(
                    instanceId: instance,
                    userId: "bea",
                    credential: try PasswordCredential.derive(
                        password: "Bea-Secret-1",
                        salt: Array("agent-api-salt-2".utf8),
                        rounds: 1_000
                    )
                ),
                .setUserCredential(
                    instanceId: instance,
                    userId: "sam",
                    credential: try PasswordCredential.derive(
                        password: "Sam-Secret-1",
                        salt: Array("agent-api-salt-1".utf8),
                        rounds: 1_000
                    )
                ),
                .createAgentStatus(
                    instanceId: instance,
                    statusId: "available",
                    name: "Available",
                    type: "ROUTABLE",
                    enabled: true
                ),
                .createAgentStatus(
                    instanceId: instance,
                    statusId: "break",
                    name: "Break",
                    type: "CUSTOM",
                    enabled: true
                ),
                .createAgentStatus(
                    instanceId: instance,
                    statusId: "offline",
                    name: "Offline",
                    type: "OFFLINE",
                    enabled: true
                ),
            ]
        for command in setUp { _ = try await engine.submit(command).get() }
        var configuration = ServerConfiguration(dataDirectory: directory.path)
        configure(&configuration)
        let state = ServerState(
            engine: engine,
            configuration: configuration,
            clock: clock,
            logger: testLogger,
            logins: LoginGuard(allowed: configuration.maxFailedLogins)
        )
        let router = Router(context: ParleyRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        addAgentRoutes(to: router, server: state)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in readyContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: testLogger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: testLogger))
        let task = Task { try await group.run() }
        var port = 0
        for await bound in ready {
            port = bound
            break
        }
        var failure: (any Error)?
        do {
            try await body(Desk(engine: engine, base: "http://127.0.0.1:\(port)"))
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        try await task.value
        await engine.close()
        if let failure { throw failure }
    }

    /// Access rule: an agent acts only on contacts offered to or accepted by them; an ended chat refuses writes.
    @Test func anAgentCannotTouchAnotherAgentsContactAndAnEndedChatRefusesWrites() async throws {
        try await Self.withDesk { desk in
            let sam = try await desk.login()
            #expect(
                try await desk.call("PUT", "/agent/v1/status", token: sam, body: #"{"AgentStatusId":"available"}"#)
                    .status == 200
            )
            let (contactId, customer) = try await desk.startChat()
            let feed = try await desk.events(sam, after: 0, wait: 20)
            #expect(Self.summary(feed).last == "CONTACT CONNECTING")
            let bea = try await desk.login("Bea", "Bea-Secret-1")
            for action in ["accept", "reject", "end", "clear"] {
                let refused = try await desk.call("POST", "/agent/v1/contacts/\(contactId)/\(action)", token: bea)
                // Refused: not offered to her (InvalidRequest) or not hers to act on (AccessDenied).
                #expect([400, 403].contains(refused.status), "bea \(action): \(refused.json)")
                #expect(
                    ["InvalidRequestException", "AccessDeniedException"].contains(
                        refused.headers["x-amzn-errortype"] ?? ""
                    )
                )
            }
            let transfer = try await desk.call(
                "POST",
                "/agent/v1/contacts/\(contactId)/transfer",
                token: bea,
                body: #"{"QueueId":"\#(SampleFlows.queueId)"}"#
            )
            #expect(transfer.status >= 400, "\(transfer.json)")
            let accepted = try await desk.call("POST", "/agent/v1/contacts/\(contactId)/accept", token: sam)
            #expect(accepted.status == 200, "\(accepted.json)")
            #expect(
                [400, 403].contains(
                    try await desk.call("POST", "/agent/v1/contacts/\(contactId)/end", token: bea).status
                )
            )

            // The customer leaves: the chat ends, and its tokens can no longer write.
            _ = try await desk.engine.submit(.disconnectParticipant(connectionToken: customer, clientToken: nil)).get()
            let late = await desk.engine.submit(
                .sendMessage(connectionToken: customer, contentType: "text/plain", content: "late", clientToken: nil)
            )
            guard case .failure(let error) = late else {
                Issue.record("a message was accepted after the chat ended")
                return
            }
            #expect(error.code == .accessDenied || error.code == .conflict, "\(error)")
        }
    }

    @Test func loginIsRefusedWithoutTheRightPassword() async throws {
        try await Self.withDesk { desk in
            for body in [
                #"{"Username":"Sam","Password":"wrong-Password-1"}"#,
                #"{"Username":"Nobody","Password":"Sam-Secret-1"}"#,
                #"{"Username":"Bea","Password":"Sam-Secret-1"}"#,
            ] {
                let answer = try await desk.call("POST", "/agent/v1/login", body: body)
                #expect(answer.status == 401)
                #expect(answer.headers["x-amzn-errortype"] == "UnauthorizedException")
                #expect(answer.json["message"] as? String == "wrong username or password", "no hint which part")
            }
            let malformed = try await desk.call("POST", "/agent/v1/login", body: #"{"Username":"Sam"}"#)
            #expect(malformed.status == 400)
            #expect(malformed.headers["x-amzn-errortype"] == "SerializationException")
            let anonymous = try await desk.call("GET", "/agent/v1/me")
            #expect(anonymous.status == 401)
            let forged = try await desk.call("GET", "/agent/v1/me", token: "not-a-session")
            #expect(forged.status == 401)
        }
    }

    @Test func sessionsExpireAfterTheirLifetime() async throws {
        let clock = ManualClock(SystemClock().now())
        let hourLong: (inout ServerConfiguration) -> Void = { $0.agentSessionSeconds = 3600 }
        try await Self.withDesk(clock: clock, configure: hourLong) { desk in
            let token = try await desk.login()
            #expect(try await desk.call("GET", "/agent/v1/me", token: token).status == 200)
            clock.advance(byMilliseconds: 3_599_000)
            #expect(try await desk.call("GET", "/agent/v1/me", token: token).status == 200)
            clock.advance(byMilliseconds: 2_000)
            for (method, path) in [("GET", "/agent/v1/me"), ("PUT", "/agent/v1/status"), ("GET", "/agent/v1/events")] {
                let expired = try await desk.call(method, path, token: token, body: method == "PUT" ? "{}" : nil)
                #expect(expired.status == 401, "\(path): \(expired.json)")
                #expect((expired.json["message"] as? String)?.contains("expired") == true, "\(expired.json)")
            }
            // A new login opens a new session for another hour.
            let renewed = try await desk.login()
            #expect(try await desk.call("GET", "/agent/v1/me", token: renewed).status == 200)
        }
    }

    /// An event stream opened before the session expired ends once it has: the agent hears nothing after the expiry.
    @Test(.timeLimit(.minutes(5))) func anOpenEventStreamEndsWhenItsSessionExpires() async throws {
        let clock = ManualClock(SystemClock().now())
        let hourLong: (inout ServerConfiguration) -> Void = { $0.agentSessionSeconds = 3600 }
        try await Self.withDesk(clock: clock, configure: hourLong) { desk in
            let token = try await desk.login()
            _ = try await desk.call("PUT", "/agent/v1/status", token: token, body: #"{"AgentStatusId":"available"}"#)
            let port = try #require(URL(string: desk.base)?.port)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let text = try await channel.executeThenClose { inbound, outbound in
                let request =
                    "GET /agent/v1/events/stream?after=0 HTTP/1.1\r\nHost: desk\r\n"
                    + "Authorization: Bearer \(token)\r\n\r\n"
                try await outbound.write(ByteBuffer(string: request))
                var text = ""
                var chunks = inbound.makeAsyncIterator()
                // The stream is open once the status set above has arrived on it.
                while !text.contains("event: STATUS") {
                    text += String(buffer: try #require(try await chunks.next()))
                }
                // Past the hour (event times are kept strictly increasing, so the login's is a little after the
                // clock's reading then).
                clock.advance(byMilliseconds: 3_601_000)
                // A change in the agent's feed (a new session sets another status) wakes the stream.
                let renewed = try await desk.login()
                let status = try await desk.call(
                    "PUT",
                    "/agent/v1/status",
                    token: renewed,
                    body: #"{"AgentStatusId":"break"}"#
                )
                #expect(status.status == 200)
                // The last chunk of a chunked body ends the stream.
                while !text.hasSuffix("0\r\n\r\n"), let chunk = try await chunks.next() {
                    text += String(buffer: chunk)
                }
                return text
            }
            #expect(text.contains("event: session-expired"), "\(text)")
            #expect(text.hasSuffix("0\r\n\r\n"), "the stream did not end: \(text)")
            #expect(!text.contains("CUSTOM"), "an expired session heard a later change: \(text)")
        }
    }

    @Test func repeatedFailedLoginsLockTheNameForAWhile() async throws {
        let threeTries: (inout ServerConfiguration) -> Void = { $0.maxFailedLogins = 3 }
        try await Self.withDesk(configure: threeTries) { desk in
            for _ in 1...3 {
                let wrong = try await desk.call(
                    "POST",
                    "/agent/v1/login",
                    body: #"{"Username":"Sam","Password":"guess-Password-1"}"#
                )
                #expect(wrong.status == 401)
            }
            // The right password is refused too while the name is locked: a guesser learns nothing more.
            let locked = try await desk.call(
                "POST",
                "/agent/v1/login",
                body: #"{"Username":"Sam","Password":"Sam-Secret-1"}"#
            )
            #expect(locked.status == 429, "\(locked.json)")
            #expect(locked.headers["x-amzn-errortype"] == "ThrottlingException")
            #expect((locked.json["message"] as? String)?.contains("too many failed logins") == true)
            // Other names are not affected, and a name that does not exist is counted the same way.
            _ = try await desk.login("Bea", "Bea-Secret-1")
            for _ in 1...3 {
                let unknown = try await desk.call(
                    "POST",
                    "/agent/v1/login",
                    body: #"{"Username":"Nobody","Password":"guess-Password-1"}"#
                )
                #expect(unknown.status == 401)
            }
            let unknownLocked = try await desk.call(
                "POST",
                "/agent/v1/login",
                body: #"{"Username":"Nobody","Password":"guess-Password-1"}"#
            )
            #expect(unknownLocked.status == 429)
        }
    }

    @Test func aSuccessfulLoginClearsEarlierFailures() {
        let guardian = LoginGuard(allowed: 2)
        guardian.failed(instance: "i", username: "sam")
        guardian.succeeded(instance: "i", username: "sam")
        guardian.failed(instance: "i", username: "sam")
        #expect(throws: Never.self) { try guardian.check(instance: "i", username: "sam") }
        guardian.failed(instance: "i", username: "sam")
        #expect(throws: APIError.self) { try guardian.check(instance: "i", username: "sam") }
        #expect(throws: Never.self) { try guardian.check(instance: "other", username: "sam") }
    }

    @Test func anAgentTakesAChatFromOfferToAfterContactWork() async throws {
        try await Self.withDesk { desk in
            let token = try await desk.login()
            let login = try await desk.call(
                "POST",
                "/agent/v1/login",
                body: #"{"Username":"Sam","Password":"Sam-Secret-1"}"#
            )
            #expect(login.headers["set-cookie"]?.contains("parley_agent=") == true, "the page's cookie")
            let statuses = try await desk.call("GET", "/agent/v1/statuses", token: token)
            #expect((statuses.json["AgentStatuses"] as? [[String: Any]])?.count == 3)
            #expect(
                try await desk.call("PUT", "/agent/v1/status", token: token, body: #"{"AgentStatusId":"available"}"#)
                    .status == 200
            )
            let (contactId, customer) = try await desk.startChat()
            // The offer reaches the feed (long-poll: it answers as soon as there is something after `after`).
            let offered = try await desk.events(token, after: 3, wait: 20)
            #expect(Self.summary(offered).first == "CONTACT CONNECTING")
            #expect(offered.first?["ContactId"] as? String == contactId.description)
            let accepted = try await desk.call("POST", "/agent/v1/contacts/\(contactId)/accept", token: token)
            #expect(accepted.status == 200, "\(accepted.json)")
            let participantToken = try #require(accepted.json["ParticipantToken"] as? String)
            // The agent chats with its own participant connection.
            let agent = try await desk.connect(participantToken)
            _ = try await desk.engine.submit(
                .sendMessage(
                    connectionToken: agent,
                    contentType: "text/plain",
                    content: "Hi, Sam here",
                    clientToken: nil
                )
            ).get()
            _ = try await desk.engine.submit(
                .sendMessage(connectionToken: customer, contentType: "text/plain", content: "Thanks", clientToken: nil)
            ).get()
            let me = try await desk.call("GET", "/agent/v1/me", token: token)
            let slots = try #require(me.json["Slots"] as? [[String: Any]])
            #expect(slots.map { $0["State"] as? String } == ["CONNECTED"])
            #expect(try await desk.call("POST", "/agent/v1/logout", token: token).status == 400, "not while connected")
            #expect(try await desk.call("POST", "/agent/v1/contacts/\(contactId)/end", token: token).status == 200)
            #expect(try await desk.call("POST", "/agent/v1/contacts/\(contactId)/clear", token: token).status == 200)
            let unknown = try await desk.call("POST", "/agent/v1/contacts/\(contactId)/dance", token: token)
            #expect(unknown.status == 404)
            let all = try await desk.events(token)
            #expect(
                Self.summary(all) == [
                    "SESSION LOGGED_IN", "SESSION LOGGED_IN", "STATUS ROUTABLE", "CONTACT CONNECTING",
                    "CONTACT CONNECTED", "CONTACT ENDED", "CONTACT CLEARED",
                ]
            )
            // The same feed as Server-Sent Events, bounded by `until`.
            let stream = try await desk.call("GET", "/agent/v1/events/stream?after=2&until=7", token: token)
            #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            let text = String(decoding: stream.raw, as: UTF8.self)
            let ids = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
            #expect(ids == ["3", "4", "5", "6", "7"])
            #expect(text.contains("event: CONTACT\ndata: {"))
            #expect(try await desk.call("POST", "/agent/v1/logout", token: token).status == 200)
            #expect(try await desk.call("GET", "/agent/v1/me", token: token).status == 401)
            #expect(desk.engine.snapshot.state.agents["sam"]?.statusType == .routable, "sam's other session is open")
            let second = try #require(login.json["SessionToken"] as? String)
            #expect(try await desk.call("POST", "/agent/v1/logout", token: second).status == 200)
            let state = desk.engine.snapshot.state
            #expect(state.agents["sam"]?.statusType == .offline, "the last session ending set the OFFLINE status")
        }
    }

    @Test func rejectTransferAndTheLongPollWakingUp() async throws {
        try await Self.withDesk { desk in
            let token = try await desk.login()
            #expect(
                try await desk.call("PUT", "/agent/v1/status", token: token, body: #"{"AgentStatusId":"available"}"#)
                    .status == 200
            )
            // A long-poll that waits: it wakes when the offer is committed.
            async let woken = desk.events(token, after: 2, wait: 25)
            let (first, _) = try await desk.startChat()
            #expect(Self.summary(try await woken).first == "CONTACT CONNECTING")
            #expect(try await desk.call("POST", "/agent/v1/contacts/\(first)/reject", token: token).status == 200)
            let me = try await desk.call("GET", "/agent/v1/me", token: token)
            #expect(me.json["InError"] as? Bool == true)
            #expect((me.json["Slots"] as? [[String: Any]])?.first?["State"] as? String == "REJECTED")
            #expect(
                try await desk.call("PUT", "/agent/v1/status", token: token, body: #"{"AgentStatusId":"available"}"#)
                    .status == 200
            )
            let accepted = try await desk.call("POST", "/agent/v1/contacts/\(first)/accept", token: token)
            #expect(accepted.status == 200, "offered again once sam is available: \(accepted.json)")
            // Transfer to bea's agent queue; bea auto-accepts once available.
            let transfer = try await desk.call(
                "POST",
                "/agent/v1/contacts/\(first)/transfer",
                token: token,
                body: #"{"AgentId":"bea"}"#
            )
            #expect(transfer.status == 200, "\(transfer.json)")
            _ = try await desk.engine.submit(
                .setAgentStatus(instanceId: Self.instance, userId: "bea", statusId: "available")
            ).get()
            let state = desk.engine.snapshot.state
            let segment = try #require(state.chat(ofContact: first)?.currentContactId)
            #expect(segment != first)
            #expect(state.contacts[segment]?.agentId == "bea")
            #expect(Self.summary(try await desk.events(token)).suffix(2) == ["CONTACT CONNECTED", "CONTACT ENDED"])
            let bad = try await desk.call("GET", "/agent/v1/events?waitSeconds=99", token: token)
            #expect(bad.status == 400)
        }
    }

    @Test func theAgentDesktopPageIsServed() async throws {
        try await Self.withDesk { desk in
            let page = try await desk.call("GET", "/agent/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(String(decoding: page.raw, as: UTF8.self).contains("/agent/v1/events/stream"))
        }
    }
}

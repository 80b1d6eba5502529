// The agent desktop API (Amazon's agent desktop is proprietary, so Parley defines its own), on the TCP listener under
// `/agent/v1`. An agent logs in with its username and password and gets a session token (also set as an HttpOnly
// cookie for the web page); every other call carries it as `Authorization: Bearer <token>` or that cookie.
//
//   POST /agent/v1/login                  {"Username","Password"} → {"UserId","SessionToken"}
//   POST /agent/v1/logout                 ends the session (the last one sets the OFFLINE status)
//   GET  /agent/v1/me                     the agent: status, error state, slots, feed position
//   GET  /agent/v1/statuses               the enabled agent statuses
//   PUT  /agent/v1/status                 {"AgentStatusId"} (PutUserStatus)
//   GET  /agent/v1/events?after=N&waitSeconds=S
//                                         feed entries after N; waits up to S s (≤ 25) for the first one
//   GET  /agent/v1/events/stream?after=N[&until=M]
//                                         the same feed as Server-Sent Events (Last-Event-ID resumes); ends when the
//                                         session ends, or after entry M
//   POST /agent/v1/contacts/{id}/accept   → {"ParticipantId","ParticipantToken"}; chat with CreateParticipantConnection
//   POST /agent/v1/contacts/{id}/reject
//   POST /agent/v1/contacts/{id}/end      the agent leaves the chat (after-contact work follows)
//   POST /agent/v1/contacts/{id}/clear    clears after-contact work
//   POST /agent/v1/contacts/{id}/transfer {"QueueId"} or {"AgentId"}, optional "ContactFlowId"
//   GET  /agent/                          the agent desktop web page
//
// Passwords are checked against the recorded PBKDF2 digest off the cooperative pool (it is slow by design), then the
// login itself goes through the writer, which re-checks that the digest is still the user's.

import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParleyDomain
import ParleyEngine

/// Registers the agent desktop API and page for every instance of a server.
///
/// A login names its instance with `InstanceId` (or the one instance that has the user name); every later call goes
/// to the instance whose agent desk holds the session token.
func addAgentRoutes(to router: Router<some RequestContext>, instances: InstanceRegistry) {
    addAgentRoutes(
        to: router,
        owner: { request in instances.owner(ofSession: AgentAPI.sessionToken(request)) },
        login: { request in try await AgentAPI.login(request, instances: instances) }
    )
}

/// Registers the agent desktop API and page for one instance (`server`).
public func addAgentRoutes(to router: Router<some RequestContext>, server: ServerState) {
    addAgentRoutes(
        to: router,
        owner: { _ in server },
        login: { request in
            let body = try await request.decodeJSON(
                AgentAPI.LoginBody.self,
                maxBytes: server.configuration.maxBodyBytes
            )
            return try await AgentAPI(server: server).login(body)
        }
    )
}

private func addAgentRoutes(
    to router: Router<some RequestContext>,
    owner: @escaping @Sendable (Request) -> ServerState,
    login: @escaping @Sendable (Request) async throws -> Response
) {
    let agent: @Sendable (Request) -> AgentAPI = { request in AgentAPI(server: owner(request)) }
    router.post("/agent/v1/login") { request, _ in try await login(request) }
    router.post("/agent/v1/logout") { request, _ in try await agent(request).logout(request) }
    router.get("/agent/v1/me") { request, _ in try agent(request).me(request) }
    router.get("/agent/v1/statuses") { request, _ in try agent(request).statuses(request) }
    router.put("/agent/v1/status") { request, _ in try await agent(request).setStatus(request) }
    router.get("/agent/v1/events") { request, _ in try await agent(request).events(request) }
    router.get("/agent/v1/events/stream") { request, _ in try agent(request).stream(request) }
    router.post("/agent/v1/contacts/{contactId}/{action}") { request, context in
        try await agent(request).contactAction(
            request,
            contactId: try context.parameters.require("contactId"),
            action: try context.parameters.require("action")
        )
    }
    router.get("/agent") { _, _ in AgentPage.response }
}

/// The handlers behind the agent routes.
struct AgentAPI: Sendable {
    let server: ServerState

    /// The name of the session cookie the web page uses.
    static let cookie = "parley_agent"
    /// The longest a long-poll waits.
    static let maxWaitSeconds = 25

    // MARK: Sessions

    struct LoginBody: Decodable {
        var Username: String
        var Password: String
        var InstanceId: String?
    }

    struct LoginAnswer: Encodable {
        var UserId: String
        var SessionToken: String
    }

    /// Logs in to the instance the body names, or to the one instance that has the user name.
    static func login(_ request: Request, instances: InstanceRegistry) async throws -> Response {
        let body = try await request.decodeJSON(LoginBody.self, maxBytes: instances.home.configuration.maxBodyBytes)
        if let instanceId = body.InstanceId {
            return try await AgentAPI(server: try instances.state(for: instanceId)).login(body)
        }
        let candidates = instances.all.filter { ChatQueries.user(named: body.Username, in: $0.snapshot.state) != nil }
        guard candidates.count <= 1 else {
            throw APIError(
                APIError.Code(name: "InvalidRequestException", httpStatus: 400),
                "several instances have the user \(body.Username): give InstanceId"
            )
        }
        return try await AgentAPI(server: candidates.first ?? instances.home).login(body)
    }

    func login(_ body: LoginBody) async throws -> Response {
        let state = server.snapshot.state
        let refused = APIError(ChatError(.unauthorized, "wrong username or password"))
        let guardKey = state.instance?.instanceId ?? ""
        try server.logins.check(instance: guardKey, username: body.Username)
        guard let instanceId = state.instance?.instanceId, let user = ChatQueries.user(named: body.Username, in: state),
            let credential = state.agentDesk.credentials[user.userId],
            await Self.verify(body.Password, against: credential)
        else {
            server.logins.failed(instance: guardKey, username: body.Username)
            throw refused
        }
        server.logins.succeeded(instance: guardKey, username: body.Username)
        var token = ""
        var response = await server.submit(
            .agentLogin(instanceId: instanceId, userId: user.userId, verified: credential)
        ) { reply throws(APIError) in
            guard case .agentSession(let userId, let sessionToken) = reply else {
                throw APIError(.internalService, "the login returned no session")
            }
            token = sessionToken
            return LoginAnswer(UserId: userId, SessionToken: sessionToken)
        }
        if !token.isEmpty {
            response.headers[.setCookie] = "\(Self.cookie)=\(token); Path=/agent; HttpOnly; SameSite=Strict"
        }
        return response
    }

    /// PBKDF2 on a global dispatch queue, so a login does not hold a cooperative thread for its whole cost.
    static func verify(_ password: String, against credential: PasswordCredential) async -> Bool {
        await offCooperativePool { credential.matches(password) }
    }

    /// Runs slow work (PBKDF2: a login's check, CreateUser's derivation) on a global dispatch queue, so it does not
    /// hold a cooperative thread for its whole cost.
    static func offCooperativePool<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    func logout(_ request: Request) async throws -> Response {
        let (_, token) = try session(request)
        var response = await server.submit(.agentLogout(sessionToken: token))
        if response.status == .ok {
            response.headers[.setCookie] = "\(Self.cookie)=; Path=/agent; HttpOnly; SameSite=Strict; Max-Age=0"
        }
        return response
    }

    /// The session token of a request: `Authorization: Bearer <token>` or the session cookie.
    static func sessionToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return String(header.dropFirst("Bearer ".count))
        }
        guard let cookies = request.headers[.cookie] else { return nil }
        var token: String?
        for part in cookies.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(Self.cookie + "=") { token = String(pair.dropFirst(Self.cookie.count + 1)) }
        }
        return token
    }

    /// The user and token of the request's session; 401 without a valid one.
    func session(_ request: Request) throws(APIError) -> (userId: String, token: String) {
        let session = try liveSession(request)
        return (session.userId, session.token)
    }

    /// The request's session with the moment (server clock, µs) it expires; 401 without a valid one.
    func liveSession(_ request: Request) throws(APIError) -> (userId: String, token: String, expiresAt: Int64) {
        guard let token = Self.sessionToken(request), !token.isEmpty else {
            throw APIError(ChatError(.unauthorized, "log in first: send Authorization: Bearer <SessionToken>"))
        }
        guard let login = ChatQueries.agentLogin(sessionToken: token, in: server.snapshot.state) else {
            throw APIError(ChatError(.unauthorized, "the session is not valid (logged out or never opened)"))
        }
        // Admission control on the server's clock, not domain state: the log and replay do not depend on it.
        let expiresAt = login.since + Int64(server.configuration.agentSessionSeconds) * 1_000_000
        guard server.clock.now() < expiresAt else { throw APIError(ChatError(.unauthorized, expiredMessage)) }
        return (login.userId, token, expiresAt)
    }

    private var expiredMessage: String {
        "the session expired: sessions last \(server.configuration.agentSessionSeconds) seconds from their login; "
            + "log in again"
    }

    // MARK: The agent

    struct SlotView: Encodable {
        var ContactId: String
        var State: String
        var Since: String
        var QueueId: String?
        var ParticipantToken: String?
    }

    struct MeView: Encodable {
        var UserId: String
        var Username: String
        var AgentStatusId: String?
        var AgentStatusType: String
        var InError: Bool
        var Slots: [SlotView]
        var Concurrency: Int64
        var LastEvent: Int64
        var Position: UInt64
    }

    func me(_ request: Request) throws -> Response {
        let (userId, _) = try session(request)
        let snapshot = server.snapshot
        let state = snapshot.state
        guard let user = state.users[userId] else {
            throw APIError(.resourceNotFound, "user \(userId) does not exist", resourceType: "USER")
        }
        let session = state.agents[userId]
        let slots = (session?.slots ?? [:]).sorted { ($0.value.since, $0.key) < ($1.value.since, $1.key) }.map {
            contactId,
            slot in
            let contact = state.contacts[contactId]
            let participant = contact.flatMap { contact in
                contact.agentParticipantId.flatMap { state.chats[contact.chatId]?.participants[$0] }
            }
            return SlotView(
                ContactId: contactId.description,
                State: slot.state.description,
                Since: ISOTime.format(slot.since),
                QueueId: contact?.queued?.queueId,
                ParticipantToken: participant?.isPresent == true ? participant?.participantToken : nil
            )
        }
        return JSONResponse.make(
            MeView(
                UserId: userId,
                Username: user.username,
                AgentStatusId: session?.statusId,
                AgentStatusType: (session?.statusType ?? .offline).description,
                InError: session?.errorSince != nil,
                Slots: slots,
                Concurrency: state.routingProfiles[user.routingProfileId]?.chatConcurrency ?? 0,
                LastEvent: state.agentDesk.feeds[userId]?.lastSequence ?? 0,
                Position: snapshot.position
            )
        )
    }

    struct StatusView: Encodable {
        var AgentStatusId: String
        var Name: String
        var `Type`: String
    }

    func statuses(_ request: Request) throws -> Response {
        _ = try session(request)
        let statuses = ChatQueries.listAgentStatuses(in: server.snapshot.state).filter(\.enabled).map {
            StatusView(AgentStatusId: $0.statusId, Name: $0.name, Type: $0.type.description)
        }
        return JSONResponse.make(["AgentStatuses": statuses])
    }

    struct StatusBody: Decodable {
        var AgentStatusId: String
    }

    func setStatus(_ request: Request) async throws -> Response {
        let (userId, _) = try session(request)
        let body = try await request.decodeJSON(StatusBody.self, maxBytes: server.configuration.maxBodyBytes)
        let instanceId = server.snapshot.state.instance?.instanceId ?? ""
        return await server.submit(
            .setAgentStatus(instanceId: instanceId, userId: userId, statusId: body.AgentStatusId)
        )
    }

    // MARK: The feed

    struct EntryView: Encodable {
        var Sequence: Int64
        var Timestamp: String
        var Kind: String
        var State: String
        var ContactId: String?
        var QueueId: String?
        var AgentStatusId: String?
        var ParticipantToken: String?
        var Reason: String?

        init(_ entry: AgentFeedEntry) {
            Sequence = entry.sequence
            Timestamp = ISOTime.format(entry.timestamp)
            Kind = entry.kind.description
            State = entry.state
            ContactId = entry.contactId?.description
            QueueId = entry.queueId
            AgentStatusId = entry.statusId
            ParticipantToken = entry.participantToken
            Reason = entry.reason
        }
    }

    struct EventsView: Encodable {
        var Events: [EntryView]
        var Last: Int64
        /// True when entries after `after` have dropped off the feed: reload `/me`.
        var Truncated: Bool
        var Position: UInt64
    }

    static func afterParameter(_ request: Request) throws(APIError) -> Int64 {
        let text = request.query("after") ?? request.headers[HTTPField.Name("Last-Event-ID")!] ?? "0"
        guard let after = Int64(text), after >= 0 else {
            throw APIError(.invalidParameter, "after must be a non-negative event sequence, not \(text)")
        }
        return after
    }

    /// The feed entries after `after`, and whether older ones than wanted were dropped.
    static func entries(_ state: ChatState, _ userId: String, after: Int64) -> (ArraySlice<AgentFeedEntry>, Bool) {
        let feed = state.agentDesk.feeds[userId] ?? AgentFeed()
        let entries = feed.entries(after: after)
        let truncated = (feed.entries.first?.sequence ?? 1) > after + 1 && feed.lastSequence > after
        return (entries, truncated)
    }

    func events(_ request: Request) async throws -> Response {
        let (userId, _) = try session(request)
        let after = try Self.afterParameter(request)
        let waitText = request.query("waitSeconds") ?? "0"
        guard let wait = Int(waitText), (0...Self.maxWaitSeconds).contains(wait) else {
            throw APIError(.invalidParameter, "waitSeconds must be 0–\(Self.maxWaitSeconds), not \(waitText)")
        }
        var snapshot = server.snapshot
        let deadline = ContinuousClock.now + .seconds(wait)
        while Self.entries(snapshot.state, userId, after: after).0.isEmpty, ContinuousClock.now < deadline,
            ChatQueries.agentUser(sessionToken: try session(request).token, in: snapshot.state) != nil
        {
            let left = deadline - ContinuousClock.now
            guard
                let next = await ServerState.waitForSnapshot(
                    of: server.engine,
                    atLeast: snapshot.position + 1,
                    timeout: left
                )
            else { break }
            snapshot = next
        }
        let (entries, truncated) = Self.entries(snapshot.state, userId, after: after)
        return JSONResponse.make(
            EventsView(
                Events: entries.map(EntryView.init),
                Last: entries.last?.sequence ?? max(after, 0),
                Truncated: truncated,
                Position: snapshot.position
            )
        )
    }

    /// Server-Sent Events: one `event: <KIND>` per entry with its sequence as `id`, a comment every 15 s, and the end
    /// of the stream when the session ends: logged out, or expired (then a last `event: session-expired`), or after
    /// entry `until`.
    func stream(_ request: Request) throws -> Response {
        let (userId, token, expiresAt) = try liveSession(request)
        let expired = "event: session-expired\ndata: \(Self.json(["message": expiredMessage]))\n\n"
        let start = try Self.afterParameter(request)
        let until = try Self.untilParameter(request, after: start)
        let server = self.server
        let body = ResponseBody { writer in
            // Wakes when this agent's feed changes, or after 15 s for the keep-alive (see ChangeWatch).
            let changes = server.changes.subscribe(.feed(userId), in: server.snapshot.state)
            defer { server.changes.unsubscribe(changes) }
            var after = start
            var snapshot = server.snapshot
            var lastWrite = ContinuousClock.now
            while true {
                // An expired session hears nothing more, not even what happened while it waited.
                if server.clock.now() >= expiresAt {
                    try await writer.write(ByteBuffer(string: expired))
                    break
                }
                let (entries, _) = Self.entries(snapshot.state, userId, after: after)
                var text = ""
                for entry in entries {
                    text += "id: \(entry.sequence)\nevent: \(entry.kind)\ndata: \(Self.json(EntryView(entry)))\n\n"
                    after = entry.sequence
                }
                if ContinuousClock.now - lastWrite > .seconds(15) { text += ": keep-alive\n\n" }
                if !text.isEmpty {
                    try await writer.write(ByteBuffer(string: text))
                    lastWrite = ContinuousClock.now
                }
                if let until, after >= until { break }
                guard ChatQueries.agentUser(sessionToken: token, in: snapshot.state) != nil, !Task.isCancelled else {
                    break
                }
                await changes.wait(after: snapshot.position, timeout: .seconds(15))
                snapshot = server.snapshot
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    static func untilParameter(_ request: Request, after start: Int64) throws(APIError) -> Int64? {
        guard let text = request.query("until") else { return nil }
        guard let value = Int64(text), value > start else {
            throw APIError(.invalidParameter, "until must be an event sequence after \(start), not \(text)")
        }
        return value
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: Contacts

    struct TransferBody: Decodable {
        var QueueId: String?
        var AgentId: String?
        var ContactFlowId: String?
    }

    struct AcceptAnswer: Encodable {
        var ParticipantId: String
        var ParticipantToken: String
    }

    func contactAction(_ request: Request, contactId: String, action: String) async throws -> Response {
        let (userId, _) = try session(request)
        switch action {
        case "accept":
            return await server.submit(.acceptContact(userId: userId, contactId: contactId)) { reply throws(APIError) in
                guard case .participantJoined(let participantId, let token) = reply else {
                    throw APIError(.internalService, "the accept returned no participant")
                }
                return AcceptAnswer(ParticipantId: participantId.description, ParticipantToken: token)
            }
        case "reject":
            return await server.submit(.rejectContact(userId: userId, contactId: contactId))
        case "end":
            return await server.submit(.agentDisconnect(userId: userId, contactId: contactId))
        case "clear":
            return await server.submit(.clearAfterContactWork(userId: userId, contactId: contactId))
        case "transfer":
            let body = try await request.decodeJSON(TransferBody.self, maxBytes: server.configuration.maxBodyBytes)
            return await server.submit(
                .agentTransfer(
                    userId: userId,
                    contactId: contactId,
                    queueId: body.QueueId,
                    agentId: body.AgentId,
                    flowId: body.ContactFlowId
                )
            )
        default:
            throw APIError(
                .unknownOperation,
                "no agent action \(action): use accept, reject, end, clear or transfer"
            )
        }
    }
}

import Foundation
import Synchronization

/// A simulated agent on the agent desk: logged in and Available, it follows its event stream, accepts every offer,
/// connects to the chat (over a websocket in a share of chats) and answers each customer message after a think
/// time, or, without a websocket, writes on its own timer.
struct Agent {
    let context: LoadContext
    let index: Int
    let username: String
    let password: String
    var rng: SplitMix64

    private var api: ParleyAPI { context.api }
    private var stats: Stats { context.stats }

    /// The user name of agent `index`.
    static func username(_ index: Int) -> String { "load-agent-\(index)" }
    /// The password every load agent gets (Amazon's rules: upper, lower, digit).
    static let password = "Load-Agent-1"

    /// A logged-in agent: its session and where its feed stood.
    struct Session: Sendable {
        var token: String
        var lastEvent: Int64
    }

    /// Logs in, sets the agent Available and reads its feed position.
    func logIn() async throws(LoadError) -> Session {
        let target = context.target(index)
        let body = LoginBody(Username: username, Password: password, InstanceId: target.instanceId)
        let start = Clock.now()
        let login = try await api.agent("agent login", .POST, "login", session: nil, body, answer: LoginAnswer.self)
        stats.record(.login, since: start)
        let token = login.SessionToken
        let statuses = try await api.agent(
            "agent statuses",
            .GET,
            "statuses",
            session: token,
            Empty(),
            answer: StatusesAnswer.self
        )
        guard let available = statuses.AgentStatuses.first(where: { $0.Type == "ROUTABLE" }) else {
            throw LoadError(.protocolViolation, "the instance has no ROUTABLE agent status")
        }
        _ = try await api.agent(
            "agent status",
            .PUT,
            "status",
            session: token,
            StatusBody(AgentStatusId: available.AgentStatusId),
            answer: Empty.self
        )
        let me = try await api.agent("agent me", .GET, "me", session: token, Empty(), answer: MeAnswer.self)
        return Session(token: token, lastEvent: me.LastEvent)
    }

    /// Follows the feed and serves the chats offered until `logOut` opens; then logs out.
    mutating func serve(_ session: Session, logOut: Gate) async {
        let (offers, offered) = AsyncStream<String>.makeStream()
        let api = self.api
        let stats = self.stats
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var after = session.lastEvent
                while !logOut.isOpen {
                    do throws(LoadError) {
                        try await api.agentEvents(session: session.token, after: after) { entry in
                            after = max(after, entry.Sequence)
                            if entry.Kind == "CONTACT", entry.State == "CONNECTING", let contactId = entry.ContactId {
                                offered.yield(contactId)
                            }
                        }
                    } catch {
                        stats.error(error)
                    }
                    if !logOut.isOpen {
                        stats.error(LoadError(.transport, "an agent event stream ended early", kind: "stream lost"))
                        _ = await logOut.sleep(1)
                    }
                }
                offered.finish()
            }
            group.addTask {
                await logOut.wait()
                _ = try? await api.agent(
                    "agent logout",
                    .POST,
                    "logout",
                    session: session.token,
                    Empty(),
                    answer: Empty.self
                )
                // The server ends the stream once the session is over; if it has not after 30 s, stop waiting.
                if await Gate().sleep(30) { offered.finish() }
            }
            for await contactId in offers {
                let seen = Clock.now()
                let chat = AgentChat(
                    context: context,
                    session: session.token,
                    contactId: contactId,
                    rng: SplitMix64(seed: rng.next())
                )
                group.addTask {
                    var chat = chat
                    await chat.run(offerSeenAt: seen)
                }
            }
            group.cancelAll()
        }
    }
}

/// An agent's side of one chat, from the offer to its end.
struct AgentChat {
    let context: LoadContext
    let session: String
    let contactId: String
    var rng: SplitMix64

    private var scenario: LoadScenario { context.scenario }
    private var api: ParleyAPI { context.api }
    private var stats: Stats { context.stats }

    mutating func run(offerSeenAt: UInt64) async {
        let contactId = self.contactId
        let session = self.session
        guard
            let accepted = await context.timed(
                .accept,
                { () async throws(LoadError) in
                    try await api.agent(
                        "agent accept",
                        .POST,
                        "contacts/\(contactId)/accept",
                        session: session,
                        Empty(),
                        answer: AcceptAnswer.self
                    )
                }
            )
        else { return }
        guard let record = await context.directory.record(contactId, within: 120) else {
            stats.error(LoadError(.protocolViolation, "an offer of a chat no customer started: \(contactId)"))
            return
        }
        stats.record(.offer, from: record.requestedAt, to: offerSeenAt)
        let listens = rng.chance(scenario.agentWebsocketFraction)
        guard
            let connection = await context.connection(accepted.ParticipantToken, websocket: listens, connect: true),
            let token = connection.ConnectionCredentials?.ConnectionToken
        else { return }
        if listens, let url = connection.Websocket?.Url {
            await converseOverSocket(url: url, token: token, record)
        } else {
            record.agentReady.open()
            await writeOnTimer(token: token, record)
        }
    }

    /// Answers every customer message heard on the websocket.
    private mutating func converseOverSocket(url: String, token: String, _ record: ChatRecord) async {
        record.agentListens()
        let (questions, asked) = AsyncStream<Void>.makeStream()
        let stats = self.stats
        let opened = Clock.now()
        let socket: ChatSocket
        do {
            socket = try await ChatSocket.open(url: url, heartbeat: scenario.heartbeatSeconds) { item in
                if item.ContentType == ContentType.chatEnded { asked.finish() }
                guard let key = messageKey(item), key.first == "c" else { return }
                if case .first(let sentAt) = record.saw(key, by: .agent) {
                    if let sentAt { stats.record(.toAgent, since: sentAt) }
                    stats.count("delivered to agent (websocket)")
                    asked.yield(())
                }
            }
        } catch {
            stats.count(Metric.websocket.rawValue + " failed")
            stats.error(error, operation: "agent websocket")
            record.agentReady.open()
            return
        }
        stats.record(.websocket, since: opened)
        stats.count(Metric.websocket.rawValue)
        await fillGap(token, record)
        record.agentReady.open()
        // The questions end when the socket closes (the chat ended) or sending stops.
        let closer = Task {
            await socket.closed.wait()
            asked.finish()
        }
        let stopSending = context.stopSending
        let stopper = Task {
            await stopSending.wait()
            asked.finish()
        }
        defer {
            closer.cancel()
            stopper.cancel()
        }
        for await _ in questions {
            guard await context.stopSending.sleep(rng.around(scenario.agentThinkTime, jitter: scenario.jitter)) else {
                break
            }
            await send(token, record)
        }
        await context.leave.wait()
        // The customer leaves within the departure window; the server then ends the chat and closes this socket.
        if !(await socket.closed.wait(atMost: scenario.departureSeconds + 60)) {
            stats.error(
                LoadError(
                    .timeout,
                    "the server did not close an agent's websocket within 60 s of the departures' end",
                    kind: "socket not closed after disconnect"
                )
            )
            await end()
        }
        await socket.close()
    }

    /// The agent leaves a chat the customer did not end.
    private func end() async {
        let contactId = self.contactId
        let session = self.session
        _ = await context.timed(
            .agentEnd,
            { () async throws(LoadError) in
                try await api.agent(
                    "agent end",
                    .POST,
                    "contacts/\(contactId)/end",
                    session: session,
                    Empty(),
                    answer: Empty.self
                )
            }
        )
    }

    /// Without a websocket: the transcript so far, then a message every interval.
    private mutating func writeOnTimer(token: String, _ record: ChatRecord) async {
        while await context.stopSending.sleep(rng.around(scenario.messageInterval, jitter: scenario.jitter)) {
            await send(token, record)
        }
    }

    private func fillGap(_ token: String, _ record: ChatRecord) async {
        var nextToken: String?
        repeat {
            let body = TranscriptBody(MaxResults: 100, SortOrder: "ASCENDING", NextToken: nextToken)
            guard
                let page = await context.timed(
                    .transcript,
                    { () async throws(LoadError) in
                        try await api.participant(
                            "GetTranscript",
                            "transcript",
                            bearer: token,
                            body,
                            answer: TranscriptAnswer.self
                        )
                    }
                )
            else { return }
            for item in page.Transcript {
                if let key = messageKey(item), case .first = record.saw(key, by: .agent) {
                    stats.count("gap-filled for agent (transcript)")
                }
            }
            nextToken = page.NextToken
        } while nextToken != nil
    }

    /// A typing event (sometimes), then a message.
    private mutating func send(_ token: String, _ record: ChatRecord) async {
        if rng.chance(scenario.typingFraction) { await context.sendTyping(token) }
        await context.sendMessage(record.beginSend(.agent), token, record)
    }
}

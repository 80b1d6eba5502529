import ArgumentParser
import ParleyDomain
import ParleyEngine

/// What `parley demo --scenario` runs: one seed-scenario variant, all of them, or the plain scripted chat.
enum DemoScenarioName: String, CaseIterable, ExpressibleByArgument {
    case returns
    case returnsToQueue = "returns-to-queue"
    case timesOut = "times-out"
    case expires
    case all
    case chat

    /// The seed-scenario variants this name runs, in order (none for `chat`).
    var variants: [SeedVariant] {
        switch self {
        case .returns: [.returns]
        case .returnsToQueue: [.returnsToQueue]
        case .timesOut: [.timesOut]
        case .expires: [.expires]
        case .all: SeedVariant.allCases
        case .chat: []
        }
    }
}

/// One ending of the seed scenario (issue 4) after the agent leaves and the sample disconnect flow waits.
enum SeedVariant: String, CaseIterable {
    case returns
    case returnsToQueue = "returns-to-queue"
    case timesOut = "times-out"
    case expires

    /// The heading printed before the variant's transcript.
    var title: String {
        switch self {
        case .returns: "(a) the customer writes again: back to the previous agent"
        case .returnsToQueue: "(a') the customer writes again, returnTo=queue: back to the previous queue"
        case .timesOut: "(b) the customer stays away: the Wait times out and the flow disconnects"
        case .expires: "(c) a 60-minute chat: the 15-minute Wait outlives it and the chat expires at its ceiling"
        }
    }
}

/// A failure of the scenario itself: the engine did not do what the sample flows promise.
struct DemoScenarioError: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String

    /// Creates the error.
    init(_ description: String) { self.description = description }
}

/// Drives the seed scenario through a real engine on a manual clock and prints transcripts and contact segments.
struct SeedScenario {
    /// One minute in µs.
    static let minute: Int64 = 60_000_000
    /// The agent who takes every chat.
    static let agentId = "agent-sam"

    let engine: Engine<ChatMachine>
    let clock: ManualClock
    let instanceId: String

    /// Runs `variant` as a new chat from the clock's time, prints it, and moves the clock to the next whole minute.
    func run(_ variant: SeedVariant) async throws {
        let request = StartChatContactRequest(
            instanceId: instanceId,
            contactFlowId: SampleFlows.inboundId,
            displayName: "Ana",
            attributes: variant == .returnsToQueue ? ["returnTo": "queue"] : [:],
            initialMessage: .init(contentType: ContentTypes.plainText, content: "Hi, my parcel has not arrived."),
            chatDurationInMinutes: variant == .expires ? 60 : nil
        )
        guard case .chatStarted(let chat) = try await submit(.startChatContact(request)) else {
            throw DemoScenarioError("StartChatContact did not start a chat")
        }
        let chatId = chat.contactId
        let customer = try await connect(chat.participantToken)
        let agent = try await joinAgent(chatId)
        try await send(agent, "Hello Ana, I am Sam. Let me check. What is the order number?")
        try await send(customer, "It is 4711.")
        try await advance(minutes: variant == .expires ? 50 : 8)
        try await send(agent, "Are you there?")
        _ = try await submit(.disconnectParticipant(connectionToken: agent, clientToken: nil))
        let waiting = try disconnectSegment(of: chatId)

        var returnedTo: String?
        switch variant {
        case .returns, .returnsToQueue:
            try await advance(minutes: 3)
            try await send(customer, "Hey, I'm back")
            returnedTo = contact(waiting)?.queued?.queueId
            if variant == .returns {
                let again = try await joinAgent(waiting)
                try await send(again, "Welcome back, Ana. Your parcel arrives tomorrow.")
                try await send(customer, "Great, thanks!")
                try await advance(minutes: 1)
                _ = try await submit(.disconnectParticipant(connectionToken: customer, clientToken: nil))
            }
        case .timesOut:
            // The 15 minutes count from the Wait: move to its deadline, where it is due.
            let wait = TimerKey(.flowWait, chat: chatId, participant: waiting)
            try await advance(to: engine.snapshot.state.timers[wait] ?? clock.now() + 15 * Self.minute)
        case .expires:
            try await advance(to: engine.snapshot.state.chats[chatId]?.expiresAt ?? clock.now())
        }
        try report(variant, chatId: chatId, customer: customer, returnedTo: returnedTo)
        let now = max(clock.now(), engine.snapshot.timestamp + 1)
        clock.set((now + Self.minute - 1) / Self.minute * Self.minute)
    }

    /// Prints the variant's heading, its transcript as the customer reads it, its segments and the outcome.
    private func report(_ variant: SeedVariant, chatId: Identifier, customer: String, returnedTo: String?) throws {
        let state = engine.snapshot.state
        guard let session = state.chats[chatId] else { throw DemoScenarioError("chat \(chatId) is not in the state") }
        print("")
        print("== \(variant.rawValue): \(variant.title)")
        print(
            "chat \(chatId), started \(ISOTime.format(session.startedAt)), ceiling \(ISOTime.format(session.expiresAt))"
        )
        print("transcript (GetTranscript as the customer, ASCENDING):")
        for item in try transcript(customer, from: session.startedAt) { print("  " + Self.line(item)) }
        print("contact segments:")
        for contactId in session.contactIds {
            guard let segment = state.contacts[contactId] else { continue }
            for line in Self.lines(segment) { print("  " + line) }
        }
        print("outcome: " + Self.outcome(session, in: state, returnedTo: returnedTo))
    }

    /// Reads the whole transcript with the customer's connection token, page by page.
    private func transcript(_ connectionToken: String, from start: Int64) throws -> [TranscriptItemView] {
        var items: [TranscriptItemView] = []
        var next: String?
        repeat {
            let request = TranscriptRequest(
                maxResults: 10,
                nextToken: next,
                scanDirection: "FORWARD",
                sortOrder: "ASCENDING",
                startPosition: next == nil ? .init(absoluteTime: ISOTime.format(start)) : nil
            )
            let page = try ChatQueries.transcript(
                connectionToken: connectionToken,
                request: request,
                in: engine.snapshot.state,
                now: clock.now()
            )
            items += page.items
            next = page.nextToken
        } while next != nil
        return items
    }

    /// `09:00:00.001  CUSTOMER  Ana  text`, or `09:00:00.002  EVENT     participant.joined  Ana` for events.
    static func line(_ item: TranscriptItemView) -> String {
        let time = String(item.absoluteTime.dropFirst(11).prefix(12))
        let name = item.displayName ?? "-"
        if item.type == "EVENT" {
            var event = item.contentType
            if event.hasPrefix(ContentTypes.eventPrefix) { event.removeFirst(ContentTypes.eventPrefix.count) }
            return "\(time)  \(pad("EVENT"))  \(event)  \(name)"
        }
        return "\(time)  \(pad(item.participantRole ?? item.type))  \(name)  \(item.content ?? "")"
    }

    /// `contact ID  initiation M  previous ID  next ID`, then `  disconnect R  queue Q  agent A  flow F vN STATUS`.
    static func lines(_ segment: ContactRecord) -> [String] {
        var queue = segment.targetQueue ?? "-"
        if segment.queued != nil { queue += " (waiting)" }
        var flow = "-"
        if let run = segment.flowRun { flow = "\(run.flowId) v\(run.version) \(run.status)" }
        let identity = [
            "contact \(segment.contactId)",
            "initiation \(segment.initiationMethod)",
            "previous \(segment.previousContactId?.description ?? "-")",
            "next \(segment.nextContactId?.description ?? "-")",
        ]
        let state = [
            "disconnect \(segment.disconnectReason?.description ?? "-")",
            "queue \(queue)",
            "agent \(segment.agentId ?? "-")",
            "flow \(flow)",
        ]
        return [identity.joined(separator: "  "), "  " + state.joined(separator: "  ")]
    }

    /// Where the chat got to: back in a queue (and taken again), or ended, why and when.
    static func outcome(_ session: ChatSession, in state: ChatState, returnedTo: String?) -> String {
        var parts: [String] = []
        if let returnedTo { parts.append("back in queue \(returnedTo)") }
        let current = state.contacts[session.currentContactId]
        if returnedTo != nil, let agent = current?.agentId, current?.queued == nil {
            parts.append("\(agent) took it again")
        }
        if session.status == .ended {
            let reason = session.endReason?.description ?? "?"
            parts.append("ended \(reason) at \(session.endedAt.map(ISOTime.format) ?? "?")")
        } else if returnedTo == nil {
            parts.append("still active")
        }
        return parts.joined(separator: "; ")
    }

    private static func pad(_ text: String) -> String {
        text.count >= 8 ? text : text + String(repeating: " ", count: 8 - text.count)
    }

    /// The DISCONNECT segment the sample disconnect flow waits in, once the agent has left.
    private func disconnectSegment(of chatId: Identifier) throws -> Identifier {
        let state = engine.snapshot.state
        guard let session = state.chats[chatId], let segment = state.contacts[session.currentContactId],
            segment.initiationMethod == .disconnect, segment.flowRun?.flowId == SampleFlows.disconnectId,
            segment.flowRun?.status == .waiting
        else { throw DemoScenarioError("the sample disconnect flow is not waiting in chat \(chatId)") }
        return segment.contactId
    }

    private func contact(_ contactId: Identifier) -> ContactRecord? {
        engine.snapshot.state.contacts[contactId]
    }

    /// Moves the simulated clock forward and fires whatever came due, as a running server would.
    private func advance(minutes: Int64) async throws {
        try await advance(to: clock.now() + minutes * Self.minute)
    }

    /// Moves the simulated clock to `instant` (never back) and fires whatever came due.
    private func advance(to instant: Int64) async throws {
        clock.set(max(clock.now(), instant))
        await engine.fireDueTimers()
    }

    private func submit(_ command: ChatCommand) async throws -> ChatReply {
        try await engine.submit(command).get()
    }

    private func send(_ connectionToken: String, _ content: String) async throws {
        let message = ChatCommand.sendMessage(
            connectionToken: connectionToken,
            contentType: ContentTypes.plainText,
            content: content,
            clientToken: nil
        )
        _ = try await submit(message)
    }

    /// The previous agent, `agent-sam`, joins the contact and connects; returns its connection token.
    private func joinAgent(_ contactId: Identifier) async throws -> String {
        let join = ChatCommand.joinAgent(contactId: contactId.description, displayName: "Sam", agentId: Self.agentId)
        guard case .participantJoined(_, let participantToken) = try await submit(join) else {
            throw DemoScenarioError("the agent could not join contact \(contactId)")
        }
        return try await connect(participantToken)
    }

    /// CreateParticipantConnection with ConnectParticipant; returns the connection token.
    private func connect(_ participantToken: String) async throws -> String {
        let reply = try await submit(
            .createParticipantConnection(
                participantToken: participantToken,
                types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                connectParticipant: true
            )
        )
        guard case .connection(let connection) = reply, let token = connection.connectionToken else {
            throw DemoScenarioError("the engine did not return connection credentials")
        }
        return token
    }
}

import ParleyDomain
import Testing

/// A deterministic random source for tests (SplitMix64).
typealias SeededGenerator = SplitMix64

/// Runs `ChatMachine` in memory the way the engine does (decide, stamp, apply), keeping every event so tests can
/// replay them. Time is a manual clock in µs.
struct ChatHarness {
    static let instanceId = "parley-test-instance"
    static let flowId = "inbound-flow"
    static let queueId = "harness-queue"
    /// A silent disconnect flow: it waits an hour for the customer, then queues the chat again or disconnects.
    static let surveyFlow = """
        {"Version": "2019-10-30", "StartAction": "wait", "Metadata": {}, "Actions": [
          {"Identifier": "wait", "Type": "Wait", "Parameters": {"TimeoutSeconds": "3600", "Events": ["CustomerReturned"]},
           "Transitions": {"Conditions": [
             {"NextAction": "queue", "Condition": {"Operator": "Equals", "Operands": ["CustomerReturned"]}},
             {"NextAction": "end", "Condition": {"Operator": "Equals", "Operands": ["WaitCompleted"]}}],
             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "queue", "Type": "UpdateContactTargetQueue", "Parameters": {"QueueId": "harness-queue"},
           "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "transfer", "Type": "TransferContactToQueue", "Parameters": {},
           "Transitions": {"NextAction": "end", "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "end"},
                                                           {"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ]}
        """

    /// A silent inbound flow: it only queues the chat (so the lifecycle tests see no flow messages).
    static let queueingFlow = """
        {"Version": "2019-10-30", "StartAction": "queue", "Metadata": {}, "Actions": [
          {"Identifier": "queue", "Type": "UpdateContactTargetQueue", "Parameters": {"QueueId": "harness-queue"},
           "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "transfer", "Type": "TransferContactToQueue", "Parameters": {},
           "Transitions": {"NextAction": "end", "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "end"},
                                                           {"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ]}
        """

    var state = ChatState()
    var now: Int64
    var generator: any RandomNumberGenerator
    /// Every committed event with its timestamp.
    var log: [(timestamp: Int64, event: ChatEvent)] = []
    /// Every command run, with the clock reading it ran at (to run the same history through the real engine).
    var commands: [(now: Int64, command: ChatCommand)] = []

    init(seed: UInt64 = 1, start: Int64 = 1_763_700_000_000_000, configure: Bool = true) {
        now = start
        generator = SeededGenerator(seed: seed)
        if configure {
            _ = run(.configureInstance(instanceId: Self.instanceId, concurrentActiveChats: 500))
            _ = run(.createQueue(instanceId: Self.instanceId, queueId: Self.queueId, name: "Harness", maxContacts: 0))
            _ = run(
                .createContactFlow(
                    instanceId: Self.instanceId,
                    flowId: Self.flowId,
                    name: "Harness inbound",
                    type: "CONTACT_FLOW",
                    description: "",
                    content: Self.queueingFlow
                )
            )
            for id in ["survey-flow", "survey", "customer-remaining"] {
                _ = run(
                    .createContactFlow(
                        instanceId: Self.instanceId,
                        flowId: id,
                        name: "Harness \(id)",
                        type: "CONTACT_FLOW",
                        description: "",
                        content: Self.surveyFlow
                    )
                )
            }
        }
    }

    /// Moves the clock forward.
    mutating func advance(_ micros: Int64) { now += micros }

    /// Decides and applies one command; events are stamped like the engine does (monotonic, +1 µs each).
    @discardableResult
    mutating func run(_ command: ChatCommand) -> Result<ChatReply, ChatError> {
        commands.append((now, command))
        let stamp = max(now, state.lastTimestamp + 1)
        var context = DecisionContext(now: stamp, generator: generator)
        let result = ChatMachine.decide(state, command, context: &context)
        generator = context.randomSource
        switch result {
        case .success(let decision):
            for (index, event) in decision.events.enumerated() {
                let time = context.timestamp(ofEvent: index)
                ChatMachine.apply(event, at: time, to: &state)
                log.append((time, event))
            }
            return .success(decision.reply)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Runs a command that must succeed.
    mutating func must(_ command: ChatCommand) throws -> ChatReply {
        try run(command).get()
    }

    /// Fires due timers at the current time.
    @discardableResult
    mutating func fireTimers() -> Int {
        guard ChatMachine.timerCommand(in: state, now: now) != nil else { return 0 }
        if case .success(.timersFired(let count)) = run(.fireDueTimers) { return count }
        return 0
    }

    /// Starts a chat and returns the response.
    mutating func startChat(
        _ request: StartChatContactRequest = StartChatContactRequest(
            instanceId: ChatHarness.instanceId,
            contactFlowId: ChatHarness.flowId,
            displayName: "Ana"
        )
    ) throws -> StartChatContactResponse {
        guard case .chatStarted(let response) = try must(.startChatContact(request)) else {
            throw HarnessError("StartChatContact did not return a contact")
        }
        return response
    }

    /// Creates a connection with both types and returns the connection token.
    mutating func connect(_ participantToken: String) throws -> ParticipantConnectionResponse {
        let reply = try must(
            .createParticipantConnection(
                participantToken: participantToken,
                types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                connectParticipant: true
            )
        )
        guard case .connection(let connection) = reply else { throw HarnessError("no connection") }
        return connection
    }

    /// An agent joins (not yet connected); returns its participant id and participant token.
    mutating func joinAgentParticipant(_ contactId: Identifier, name: String = "Sam") throws -> (Identifier, String) {
        guard
            case .participantJoined(let id, let token) = try must(
                .joinAgent(contactId: "\(contactId)", displayName: name)
            )
        else { throw HarnessError("no agent") }
        return (id, token)
    }

    /// An agent joins and connects; returns its connection token.
    mutating func joinAgent(_ contactId: Identifier, name: String = "Sam") throws -> (Identifier, String) {
        let (id, token) = try joinAgentParticipant(contactId, name: name)
        let connection = try connect(token)
        return (id, connection.connectionToken!)
    }

    /// Replays every logged event through encode → decode → apply into a fresh state.
    func replayed(until: Int64? = nil) throws -> ChatState {
        var replay = ChatState()
        for (timestamp, event) in log where until.map({ timestamp <= $0 }) ?? true {
            let (tag, payload) = event.encoded()
            guard let decoded = try ChatEventCatalogue.decode(tag: tag, payload: payload) else {
                throw HarnessError("tag \(tag) did not decode")
            }
            ChatMachine.apply(decoded, at: timestamp, to: &replay)
        }
        return replay
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

// MARK: - Helpers for the lifecycle, timer and transcript tests

extension ChatHarness {
    /// A StartChatContact request for the harness's instance and flow, adjusted by `body`.
    static func request(
        displayName: String = "Ana",
        _ body: (inout StartChatContactRequest) -> Void = { _ in }
    ) -> StartChatContactRequest {
        var request = StartChatContactRequest(instanceId: instanceId, contactFlowId: flowId, displayName: displayName)
        body(&request)
        return request
    }

    /// Runs `command`, which must fail without writing anything; returns its error.
    mutating func rejection(_ command: ChatCommand) throws -> ChatError {
        let events = log.count
        let hash = state.stateHash()
        guard case .failure(let error) = run(command) else { throw HarnessError("the command succeeded") }
        guard log.count == events, state.stateHash() == hash else {
            throw HarnessError("a rejected command changed the state")
        }
        return error
    }

    /// Runs `command`, which must fail with the error `name` / `status` and write nothing.
    @discardableResult
    mutating func expectRejected(
        _ command: ChatCommand,
        _ name: String,
        _ status: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ChatError? {
        do {
            let error = try rejection(command)
            #expect(error.code.name == name, "\(error)", sourceLocation: sourceLocation)
            #expect(error.httpStatus == status, "\(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Runs `command`, which must succeed without writing anything (an idempotent retry); returns its reply.
    mutating func mustWriteNothing(_ command: ChatCommand) throws -> ChatReply {
        let events = log.count
        let hash = state.stateHash()
        let reply = try must(command)
        guard log.count == events, state.stateHash() == hash else { throw HarnessError("the command wrote events") }
        return reply
    }

    /// Whether replaying the log through the binary codec rebuilds exactly the live state.
    func replayMatches() throws -> Bool { try replayed().stateHash() == state.stateHash() }

    /// Starts a chat whose customer connects at once; returns the response and the customer's connection token.
    mutating func startConnectedChat(
        _ request: StartChatContactRequest = ChatHarness.request()
    ) throws -> (chat: StartChatContactResponse, token: String) {
        let chat = try startChat(request)
        let connection = try connect(chat.participantToken)
        return (chat, connection.connectionToken!)
    }

    /// SendMessage that must succeed; returns the message id and its time.
    @discardableResult
    mutating func send(
        _ connectionToken: String,
        _ content: String,
        contentType: String = ContentTypes.plainText,
        clientToken: String? = nil
    ) throws -> (id: Identifier, time: Int64) {
        let reply = try must(
            .sendMessage(
                connectionToken: connectionToken,
                contentType: contentType,
                content: content,
                clientToken: clientToken
            )
        )
        guard case .sent(let id, let time) = reply else { throw HarnessError("SendMessage returned \(reply)") }
        return (id, time)
    }

    /// SendEvent that must succeed; returns the event id and its time.
    @discardableResult
    mutating func sendEvent(
        _ connectionToken: String,
        _ contentType: String,
        _ content: String? = nil,
        clientToken: String? = nil
    ) throws -> (id: Identifier, time: Int64) {
        let reply = try must(
            .sendEvent(
                connectionToken: connectionToken,
                contentType: contentType,
                content: content,
                clientToken: clientToken
            )
        )
        guard case .sent(let id, let time) = reply else { throw HarnessError("SendEvent returned \(reply)") }
        return (id, time)
    }

    /// A custom bot joins (CreateParticipant); returns its id and participant token.
    mutating func joinBot(_ contactId: Identifier, name: String = "Bot") throws -> (Identifier, String) {
        let reply = try must(
            .createParticipant(
                instanceId: Self.instanceId,
                contactId: "\(contactId)",
                role: "CUSTOM_BOT",
                displayName: name
            )
        )
        guard case .participantJoined(let id, let token) = reply else { throw HarnessError("no bot") }
        return (id, token)
    }

    /// GetTranscript for the holder of `connectionToken`, at the current time.
    func transcript(
        _ connectionToken: String,
        _ request: TranscriptRequest = TranscriptRequest()
    ) throws(ChatError) -> TranscriptPage {
        try ChatQueries.transcript(connectionToken: connectionToken, request: request, in: state, now: now)
    }

    /// The events logged from position `index` on.
    func events(since index: Int) -> [ChatEvent] { log[index...].map(\.event) }

    /// The chat of `contactId`.
    func chat(_ contactId: Identifier) throws -> ChatSession {
        guard let chat = state.chat(ofContact: contactId) else { throw HarnessError("no chat for \(contactId)") }
        return chat
    }

    /// The contact record of `contactId`.
    func contact(_ contactId: Identifier) throws -> ContactRecord {
        guard let contact = state.contacts[contactId] else { throw HarnessError("no contact \(contactId)") }
        return contact
    }

    /// The billable messages of contact segment `contactId`.
    func billableMessages(ofContact contactId: Identifier) throws -> Int64 {
        guard let count = state.billableMessages(ofContact: contactId) else {
            throw HarnessError("no contact \(contactId)")
        }
        return count
    }
}

/// µs since the epoch of an ISO-8601 time written in a test.
func instant(_ text: String) -> Int64 {
    guard let value = ISOTime.parse(text) else { preconditionFailure("bad time \(text)") }
    return value
}

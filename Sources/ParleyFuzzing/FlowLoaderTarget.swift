import ParleyDomain

/// The flow loader target: the input is the text of a flow (or of a CreateContactFlow-style wrapper), parsed and
/// validated by `FlowDocument.parse`; a flow that loads is then published and run for one chat in memory.
///
/// Properties checked:
/// - a document that loads, written back as flow JSON, loads again to the same document (numbers compared by
///   value: `1` and `1.0` are the same number);
/// - publishing it succeeds, and a chat started on it (initial message, a customer message, timers fired an hour
///   and a day later) never traps; every event the run records survives the codec round trip (`EventCodecTarget`),
///   and replaying the recorded events gives the live state.
public enum FlowLoaderTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let text = String(decoding: input, as: UTF8.self)
        let document: FlowDocument
        do {
            document = try FlowDocument.parse(text)
        } catch {
            Verbose.say("not loaded: \(error)")
            return
        }
        Verbose.say("loaded \(document.actionOrder.count) actions")
        try checkReload(document)
        try runChat(on: text)
    }

    private static func fail(_ message: String) -> FuzzFinding { FuzzFinding(.flowLoader, .propertyViolated, message) }

    // MARK: Reloading

    /// Writes `document` back as flow JSON and loads it again.
    static func checkReload(_ document: FlowDocument) throws(FuzzFinding) {
        let text = JSONText.serialize(json(of: document))
        let reloaded: FlowDocument
        do {
            reloaded = try FlowDocument.parse(text)
        } catch {
            throw fail("a loaded flow written back as \(text.prefix(500)) does not load: \(error)")
        }
        guard normalized(reloaded) == normalized(document) else {
            throw fail("a loaded flow written back as \(text.prefix(500)) loads to a different document")
        }
    }

    /// The flow JSON of `document`.
    static func json(of document: FlowDocument) -> JSONValue {
        var actions: [JSONValue] = []
        for identifier in document.actionOrder {
            guard let action = document.actions[identifier] else { continue }
            var transitions: [String: JSONValue] = [:]
            if let next = action.next { transitions["NextAction"] = .string(next) }
            if !action.errors.isEmpty {
                transitions["Errors"] = .array(
                    action.errors.map { .object(["ErrorType": .string($0.errorType), "NextAction": .string($0.next)]) }
                )
            }
            if !action.conditions.isEmpty {
                transitions["Conditions"] = .array(
                    action.conditions.map { condition in
                        .object([
                            "NextAction": .string(condition.next),
                            "Condition": .object([
                                "Operator": .string(condition.op),
                                "Operands": .array(condition.operands.map { .string($0) }),
                            ]),
                        ])
                    }
                )
            }
            actions.append(
                .object([
                    "Identifier": .string(action.identifier),
                    "Type": .string(action.type),
                    "Parameters": .object(action.parameters),
                    "Transitions": .object(transitions),
                ])
            )
        }
        var root: [String: JSONValue] = [
            "Version": .string(document.version),
            "StartAction": .string(document.startAction),
            "Actions": .array(actions),
        ]
        if let settings = document.settings { root["Settings"] = settings }
        return .object(root)
    }

    /// `document` with every number in its JSON in one form: whole numbers as integers.
    static func normalized(_ document: FlowDocument) -> FlowDocument {
        var copy = document
        for (identifier, action) in document.actions {
            var action = action
            action.parameters = action.parameters.mapValues(normalized)
            copy.actions[identifier] = action
        }
        copy.settings = document.settings.map(normalized)
        return copy
    }

    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18:
            return .int(Int64(number))
        case .array(let items): return .array(items.map(normalized))
        case .object(let members): return .object(members.mapValues(normalized))
        default: return value
        }
    }

    // MARK: Running

    /// Publishes the flow as the inbound flow of an instance in memory and runs one chat on it.
    static func runChat(on content: String) throws(FuzzFinding) {
        var chat = InMemoryChat()
        let instance = InMemoryChat.instanceId
        try chat.run(.configureInstance(instanceId: instance, concurrentActiveChats: 10))
        try chat.run(.createQueue(instanceId: instance, queueId: "support", name: "Support", maxContacts: 0))
        let published = try chat.run(
            .createContactFlow(
                instanceId: instance,
                flowId: "fuzzed",
                name: "Fuzzed",
                type: "CONTACT_FLOW",
                description: "",
                content: content
            )
        )
        if case .failure(let error) = published {
            throw fail("a flow that loads was refused by CreateContactFlow: \(error)")
        }
        let started = try chat.run(
            .startChatContact(
                StartChatContactRequest(
                    instanceId: instance,
                    contactFlowId: "fuzzed",
                    displayName: "Customer",
                    attributes: ["customerType": "vip", "returnTo": "queue"],
                    initialMessage: .init(contentType: "text/plain", content: "Hello, I need help")
                )
            )
        )
        if case .success(.chatStarted(let response)) = started {
            let connected = try chat.run(
                .createParticipantConnection(
                    participantToken: response.participantToken,
                    types: ["CONNECTION_CREDENTIALS"],
                    connectParticipant: true
                )
            )
            if case .success(.connection(let connection)) = connected, let token = connection.connectionToken {
                try chat.run(
                    .sendMessage(connectionToken: token, contentType: "text/plain", content: "1", clientToken: nil)
                )
                chat.advance(by: 3_600_000_000)
                try chat.run(.fireDueTimers)
                try chat.run(
                    .sendMessage(connectionToken: token, contentType: "text/plain", content: "agent", clientToken: nil)
                )
            }
        }
        chat.advance(by: 86_400_000_000)
        try chat.run(.fireDueTimers)
        Verbose.say("the chat recorded \(chat.events.count) events: \(Set(chat.events.map(\.event.name)).sorted())")
        try chat.checkReplay()
    }
}

/// `ChatMachine` run in memory the way the engine runs it (decide, stamp, apply), checking each event's codec round
/// trip and keeping the events for a replay.
struct InMemoryChat {
    static let instanceId = "fuzz-instance"

    var state = ChatMachine.initialState()
    var now: Int64 = 1_763_700_000_000_000
    var generator = SplitMix(seed: 1)
    var events: [(timestamp: Int64, event: ChatEvent)] = []

    mutating func advance(by micros: Int64) { now += micros }

    /// Decides and applies `command`.
    @discardableResult
    mutating func run(_ command: ChatCommand) throws(FuzzFinding) -> Result<ChatReply, ChatError> {
        let stamp = max(now, state.lastTimestamp + 1)
        var context = DecisionContext(now: stamp, generator: generator)
        let result = ChatMachine.decide(state, command, context: &context)
        if let source = context.randomSource as? SplitMix { generator = source }
        switch result {
        case .success(let decision):
            for (index, event) in decision.events.enumerated() {
                try EventCodecTarget.checkRoundTrip(event, what: "a flow run")
                let time = context.timestamp(ofEvent: index)
                ChatMachine.apply(event, at: time, to: &state)
                events.append((time, event))
            }
            return .success(decision.reply)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Replays the recorded events, decoded from their encoding, on an empty state and compares with the live one.
    func checkReplay() throws(FuzzFinding) {
        var replayed = ChatMachine.initialState()
        for (timestamp, event) in events {
            let (tag, payload) = event.encoded()
            guard let decoded = try? ChatEventCatalogue.decode(tag: tag, payload: payload) else {
                throw FuzzFinding(.flowLoader, .propertyViolated, "\(event.name) does not decode for replay")
            }
            ChatMachine.apply(decoded, at: timestamp, to: &replayed)
        }
        guard replayed == state else {
            throw FuzzFinding(
                .flowLoader,
                .propertyViolated,
                "replaying the \(events.count) events of a flow run gives a state other than the live one"
            )
        }
    }
}

/// A deterministic random source, so a run is a function of its input.
typealias SplitMix = SplitMix64

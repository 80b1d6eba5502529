import ParleyDomain

/// Hands one command to a single writer (the engine, or its SQLite peer) and returns the answer once it is durable.
public typealias SubmitCommand = @Sendable (ChatCommand) async -> Result<ChatReply, ChatError>

/// The commands that drive the chat domain in the benchmark: the instance set-up and whole chats, as a client of
/// the Amazon Connect API would send them.
public enum ChatScript {
    public static let instanceId = "parley-bench-instance"
    public static let flowId = "bench-inbound-flow"
    public static let queueId = "bench-queue"
    /// Messages per chat, alternating customer and agent, the customer first.
    public static let messagesPerChat = 10
    /// Commands per chat: start, the customer's connection, the agent joining and connecting, the messages, and
    /// the customer's disconnect.
    public static let commandsPerChat = 5 + messagesPerChat

    /// A silent inbound flow that only queues the chat (`queueingFlow` of Tests/ParleyDomainTests/ChatHarness.swift).
    public static let queueingFlow = """
        {"Version": "2019-10-30", "StartAction": "queue", "Metadata": {}, "Actions": [
          {"Identifier": "queue", "Type": "UpdateContactTargetQueue", "Parameters": {"QueueId": "bench-queue"},
           "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "transfer", "Type": "TransferContactToQueue", "Parameters": {},
           "Transitions": {"NextAction": "end", "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "end"},
                                                           {"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ]}
        """

    /// The instance, its queue and its inbound flow; run once on a new log before any chat.
    public static let setup: [ChatCommand] = [
        .configureInstance(instanceId: instanceId, concurrentActiveChats: 1_000_000),
        .createQueue(instanceId: instanceId, queueId: queueId, name: "Bench", maxContacts: 0),
        .createContactFlow(
            instanceId: instanceId,
            flowId: flowId,
            name: "Bench inbound",
            type: "CONTACT_FLOW",
            description: "",
            content: queueingFlow
        ),
    ]

    /// Runs the set-up commands; fails if one is rejected.
    public static func runSetup(_ submit: SubmitCommand) async throws {
        for command in setup {
            if case .failure(let error) = await submit(command) {
                throw BenchError("set-up command \(command) failed: \(error)")
            }
        }
    }
}

/// Message texts and client tokens drawn once, so that clients spend no time making them during a timed run.
public struct ChatMessages: Sendable {
    /// Customer messages, 60–120 characters, built from the same phrases as the log benchmark's events.
    public let customer: [String]
    /// Agent messages.
    public let agent: [String]
    /// UUID-shaped `ClientToken`s (unique per participant is enough, so they are reused across chats).
    public let clientTokens: [String]
    /// Customer display names.
    public let customerNames: [String]

    /// `count` messages of each side and `tokens` client tokens (more than a chat's messages, or sends repeat a
    /// token and become idempotent retries), fixed by `seed`.
    public init(count: Int = 1024, tokens tokenCount: Int = ChatScript.messagesPerChat * 4, seed: UInt64 = 0x5EED_C4A7)
    {
        var random = SplitMix64(seed: seed)
        var customer: [String] = []
        var agent: [String] = []
        var tokens: [String] = []
        for _ in 0..<count {
            let agentName = ChatText.agentNames.randomElement(using: &random)!
            customer.append(ChatText.message(ChatText.customerFragments, agentName: agentName, using: &random))
            agent.append(ChatText.message(ChatText.agentFragments, agentName: agentName, using: &random))
        }
        for _ in 0..<tokenCount {
            tokens.append(Identifier(high: random.next(), low: random.next()).description)
        }
        self.customer = customer
        self.agent = agent
        clientTokens = tokens
        customerNames = ChatText.customerNames
    }
}

/// What one client did during a run.
public struct ClientTally: Sendable {
    /// Commands answered.
    public var commands = 0
    /// Chats run to their end.
    public var chats = 0
    /// Latency of every command, submit to answer, in seconds.
    public var latencies: [Double] = []

    /// An empty tally.
    public init() {}

    /// Adds another client's tally.
    public mutating func merge(_ other: ClientTally) {
        commands += other.commands
        chats += other.chats
        latencies += other.latencies
    }
}

/// One simulated client: runs whole chats one after another through `submit`, each command waiting for the
/// answer of the one before, until `keepGoing` says stop (checked before every command).
public struct ChatClient {
    public let submit: SubmitCommand
    public let messages: ChatMessages
    /// Which client this is: picks its names and messages.
    public let index: Int
    /// Messages in each of its chats.
    public let messagesPerChat: Int
    /// Whether the sender of each message first sends a typing event and its reader then a read receipt, as the
    /// chat JavaScript library does (typing at most once per 10 s, a read receipt for the newest message seen).
    public let typingAndReceipts: Bool

    /// A client sending through `submit`, with the texts of `messages`, numbered `index`.
    public init(
        submit: @escaping SubmitCommand,
        messages: ChatMessages,
        index: Int,
        messagesPerChat: Int = ChatScript.messagesPerChat,
        typingAndReceipts: Bool = false
    ) {
        self.submit = submit
        self.messages = messages
        self.index = index
        self.messagesPerChat = messagesPerChat
        self.typingAndReceipts = typingAndReceipts
    }

    /// Runs chats until `keepGoing()` is false; a chat cut short by it is left open.
    public func run(recordLatency: Bool, keepGoing: () -> Bool) async throws -> ClientTally {
        var tally = ClientTally()
        if recordLatency { tally.latencies.reserveCapacity(8192) }
        var chat = 0
        while keepGoing() {
            try await runChat(number: chat, tally: &tally, recordLatency: recordLatency, keepGoing: keepGoing)
            chat += 1
        }
        return tally
    }

    private func runChat(
        number: Int,
        tally: inout ClientTally,
        recordLatency: Bool,
        keepGoing: () -> Bool
    ) async throws {
        let seed = index &* 7919 &+ number &* 131
        let customerName = messages.customerNames[seed % messages.customerNames.count]
        let agentName = ChatText.agentNames[(seed / 7) % ChatText.agentNames.count]

        func send(_ command: ChatCommand) async throws -> ChatReply {
            let before = ContinuousClock.now
            let result = await submit(command)
            if recordLatency { tally.latencies.append(before.duration(to: .now).seconds) }
            tally.commands += 1
            switch result {
            case .success(let reply): return reply
            case .failure(let error): throw BenchError("client \(index): \(command) failed: \(error)")
            }
        }
        func connect(_ participantToken: String) async throws -> String {
            let reply = try await send(
                .createParticipantConnection(
                    participantToken: participantToken,
                    types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                    connectParticipant: true
                )
            )
            guard case .connection(let connection) = reply, let token = connection.connectionToken else {
                throw BenchError("CreateParticipantConnection answered \(reply)")
            }
            return token
        }

        let request = StartChatContactRequest(
            instanceId: ChatScript.instanceId,
            contactFlowId: ChatScript.flowId,
            displayName: customerName
        )
        guard case .chatStarted(let started) = try await send(.startChatContact(request)) else {
            throw BenchError("StartChatContact did not answer with a contact")
        }
        guard keepGoing() else { return }
        let customerToken = try await connect(started.participantToken)
        guard keepGoing() else { return }
        let joined = try await send(.joinAgent(contactId: started.contactId.description, displayName: agentName))
        guard case .participantJoined(_, let agentParticipantToken) = joined else {
            throw BenchError("joinAgent answered \(joined)")
        }
        guard keepGoing() else { return }
        let agentToken = try await connect(agentParticipantToken)
        let tokens = messages.clientTokens
        for message in 0..<messagesPerChat {
            guard keepGoing() else { return }
            let fromCustomer = message % 2 == 0
            let texts = fromCustomer ? messages.customer : messages.agent
            let sender = fromCustomer ? customerToken : agentToken
            if typingAndReceipts {
                _ = try await send(
                    .sendEvent(
                        connectionToken: sender,
                        contentType: ContentTypes.typing,
                        content: nil,
                        clientToken: tokens[(seed &+ messagesPerChat &+ message) % tokens.count]
                    )
                )
                guard keepGoing() else { return }
            }
            let reply = try await send(
                .sendMessage(
                    connectionToken: sender,
                    contentType: ContentTypes.plainText,
                    content: texts[(seed &+ message) % texts.count],
                    clientToken: tokens[(seed &+ message) % tokens.count]
                )
            )
            if typingAndReceipts {
                guard case .sent(let messageId, _) = reply else {
                    throw BenchError("SendMessage answered \(reply)")
                }
                guard keepGoing() else { return }
                _ = try await send(
                    .sendEvent(
                        connectionToken: fromCustomer ? agentToken : customerToken,
                        contentType: ContentTypes.read,
                        content: #"{"messageId":"\#(messageId)"}"#,
                        clientToken: tokens[(seed &+ 2 &* messagesPerChat &+ message) % tokens.count]
                    )
                )
            }
        }
        guard keepGoing() else { return }
        _ = try await send(.disconnectParticipant(connectionToken: customerToken, clientToken: nil))
        tally.chats += 1
    }
}

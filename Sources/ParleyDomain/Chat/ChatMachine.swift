import Crypto
import HashTreeCollections

/// The chat contact center as an event-sourced machine: `decide` validates commands and returns events, `apply`
/// folds them (see ChatApply.swift).
public enum ChatMachine: EventSourcedMachine {
    public typealias State = ChatState
    public typealias Command = ChatCommand
    public typealias Event = ChatEvent
    public typealias Reply = ChatReply
    public typealias Failure = ChatError

    /// An empty state.
    public static func initialState() -> ChatState { ChatState() }

    /// The record tag and payload of `event`.
    public static func encode(_ event: ChatEvent) -> (tag: UInt16, payload: [UInt8]) { event.encoded() }

    /// Decodes a record; nil for records that are not domain events.
    public static func decode(tag: UInt16, payload: UnsafeRawBufferPointer) throws(DecodeError) -> ChatEvent? {
        try ChatEventCatalogue.decode(tag: tag, payload: payload)
    }

    /// The earliest open deadline.
    public static func nextDeadline(in state: ChatState) -> Int64? { state.earliestDeadline }

    /// `.fireDueTimers` when a deadline ≤ `now` is open.
    public static func timerCommand(in state: ChatState, now: Int64) -> ChatCommand? {
        state.earliestDeadline.map { $0 <= now } == true ? .fireDueTimers : nil
    }

    /// The failure every command of a batch gets when the log cannot be written.
    public static func storageFailure(_ message: String) -> ChatError {
        ChatError(.internalServer, "the event log could not record the change: \(message)")
    }

    /// Validates `command` against `state` and returns its events and reply, or the error (and no events).
    public static func decide(
        _ state: ChatState,
        _ command: ChatCommand,
        context: inout DecisionContext
    ) -> Result<Decision<ChatEvent, ChatReply>, ChatError> {
        var transaction = Transaction(state: state, context: context)
        defer { context = transaction.context }
        do throws(ChatError) {
            let reply = try transaction.run(command)
            return .success(Decision(events: transaction.events, reply: reply))
        } catch {
            return .failure(error)
        }
    }

    /// `decide` on `state` itself: the transaction takes the state over and applies its events to it as it emits
    /// them (as `decide` does to its copy), keeping the state before each event after the first.
    ///
    /// When deadlines are due it decides on a copy instead: the timers would fire first, in place, and a command
    /// rejected after that would leave the caller to restore the state.
    public static func decideInPlace(
        _ state: inout ChatState,
        _ command: ChatCommand,
        context: inout DecisionContext,
        observe: (_ event: ChatEvent, _ timestamp: Int64, _ state: ChatState) -> Void
    ) -> InPlaceDecision<ChatState, ChatEvent, ChatReply, ChatError> {
        if command != .fireDueTimers, timerCommand(in: state, now: context.now) != nil {
            return decideOnCopy(&state, command, context: &context, observe: observe)
        }
        // The transaction holds the observer only while this call runs.
        return withoutActuallyEscaping(observe) { observe in
            var transaction = Transaction(state: vacant, context: context, observer: observe)
            swap(&transaction.state, &state)
            defer {
                swap(&transaction.state, &state)
                context = transaction.context
            }
            do throws(ChatError) {
                let reply = try transaction.run(command)
                return .decided(Decision(events: transaction.events, reply: reply))
            } catch {
                return transaction.events.isEmpty ? .rejected(error) : .rejectedAfterChange(error)
            }
        }
    }

    /// The placeholder a transaction holds until it takes the state over (one shared value: no allocation).
    private static let vacant = ChatState()
}

/// A command being decided: events are applied to a scratch copy of the state as they are emitted, so later
/// steps of the same command see their effect. Nothing leaves it unless the whole command succeeds.
struct Transaction {
    var state: ChatState
    var context: DecisionContext
    var events: [ChatEvent] = []
    /// Told of each emitted event right after it is applied, with the state after it (`decideInPlace`'s observer).
    let observer: ((ChatEvent, Int64, ChatState) -> Void)?

    init(state: ChatState, context: DecisionContext, observer: ((ChatEvent, Int64, ChatState) -> Void)? = nil) {
        self.state = state
        self.context = context
        self.observer = observer
    }

    /// The command's time.
    var now: Int64 { context.now }

    /// The timestamp the next emitted event will carry.
    var nextTimestamp: Int64 { context.timestamp(ofEvent: events.count) }

    /// Applies `event`, tells the observer, then keeps it: taken, not copied (a copy of an event costs about 270
    /// instructions, its release as many again).
    mutating func emit(_ event: consuming ChatEvent) {
        let timestamp = nextTimestamp
        ChatMachine.apply(event, at: timestamp, to: &state)
        observer?(event, timestamp, state)
        events.append(event)
    }

    mutating func newId() -> Identifier { context.newIdentifier() }

    /// A participant, connection or websocket token of chat `chatId`: its id, then a new random id (`ChatToken`).
    mutating func newToken(ofChat chatId: Identifier) -> String { ChatToken.make(chatId: chatId, secret: newId()) }

    /// An opaque 256-bit bearer token (an agent's session).
    mutating func newToken() -> String {
        // The two ids' digits written straight into one string (filtering the dashed forms cost ~40 K instructions).
        let first = newId()
        return first.digits(followedBy: newId())
    }

    mutating func run(_ command: ChatCommand) throws(ChatError) -> ChatReply {
        // Deadlines that are due fire before anything else is decided, in the same command: a message that
        // arrives after an idle or auto-disconnect deadline (but before the scheduler got to it) must not cancel
        // it, and every rule below sees the chat as the timers left it.
        if command != .fireDueTimers, ChatMachine.timerCommand(in: state, now: now) != nil {
            _ = fireDueTimers()
        }
        let reply = try dispatch(command)
        // Whatever changed, waiting contacts may now have an agent (or an offer may be stale). A command whose events
        // cannot change that (messages, typing, receipts, connections) skips the pass: its cost grows with the
        // waiting contacts, and such commands are most of the traffic. Time alone never makes an offer possible:
        // queue delays and offer expiries are timers, and their firing routes.
        if events.contains(where: { !$0.leavesRoutingAlone }) { route() }
        return reply
    }

    mutating func dispatch(_ command: ChatCommand) throws(ChatError) -> ChatReply {
        switch command {
        case .configureInstance(let instanceId, let quota):
            return try configureInstance(instanceId, quota)
        case .createInstance(let settings):
            return try createInstance(settings)
        case .setResourceDescription(let instanceId, let kind, let resourceId, let text):
            return try setResourceDescription(instanceId, kind, resourceId, text)
        case .startChatContact(let request):
            return try startChatContact(request)
        case .createParticipantConnection(let token, let types, let connect):
            return try createParticipantConnection(token, types, connect)
        case .openWebsocket(let token, let socketId):
            return try openWebsocket(token, socketId)
        case .closeWebsocket(let token, let socketId):
            return closeWebsocket(token, socketId)
        case .sendMessage(let token, let contentType, let content, let clientToken):
            return try sendMessage(token, contentType, content, clientToken)
        case .sendEvent(let token, let contentType, let content, let clientToken):
            return try sendEvent(token, contentType, content, clientToken)
        case .disconnectParticipant(let token, _):
            return try disconnectParticipant(token)
        case .stopContact(let instanceId, let contactId):
            return try stopContact(instanceId, contactId)
        case .updateContactAttributes(let instanceId, let contactId, let attributes):
            return try updateContactAttributes(instanceId, contactId, attributes)
        case .updateParticipantRoleConfig(let instanceId, let contactId, let settings):
            return try updateParticipantRoleConfig(instanceId, contactId, settings)
        case .joinAgent(let contactId, let displayName, let agentId):
            return try join(contactId, role: .agent, displayName: displayName, agentId: agentId)
        case .updateQueue(let instanceId, let queueId, let name, let maxContacts):
            return try updateQueue(instanceId, queueId, name: name, maxContacts: maxContacts)
        case .deleteQueue(let instanceId, let queueId):
            return try deleteQueue(instanceId, queueId)
        case .deleteRoutingProfile(let instanceId, let id):
            return try deleteRoutingProfile(instanceId, id)
        case .updateAgentStatus(let instanceId, let statusId, let name, let enabled):
            return try updateAgentStatus(instanceId, statusId, name: name, enabled: enabled)
        case .updateHoursOfOperation(let instanceId, let hoursId, let name, let timeZone, let config):
            return try updateHoursOfOperation(instanceId, hoursId, name: name, timeZone: timeZone, config: config)
        case .deleteHoursOfOperation(let instanceId, let hoursId):
            return try deleteHoursOfOperation(instanceId, hoursId)
        case .setUserCredential(let instanceId, let userId, let credential):
            return try setUserCredential(instanceId, userId, credential)
        case .agentLogin(let instanceId, let userId, let credential):
            return try agentLogin(instanceId, userId, verified: credential)
        case .agentLogout(let token):
            return try agentLogout(token)
        case .agentDisconnect(let userId, let contactId):
            return try agentDisconnect(userId, contactId)
        case .agentTransfer(let userId, let contactId, let queueId, let agentId, let flowId):
            return try agentTransfer(userId, contactId, queueId: queueId, agentId: agentId, flowId: flowId)
        case .createParticipant(let instanceId, let contactId, let role, let displayName):
            try checkInstance(instanceId)
            guard role == "CUSTOM_BOT" else {
                throw ChatError(.invalidParameter, "ParticipantRole must be CUSTOM_BOT, not \(role)")
            }
            return try join(contactId, role: .customBot, displayName: displayName)
        case .sendSystemMessage(let contactId, let displayName, let contentType, let content):
            return try sendSystemMessage(contactId, displayName, contentType, content)
        case .setDisconnectFlow(let contactId, let flowId):
            return try setDisconnectFlow(contactId, flowId)
        case .fireDueTimers:
            return fireDueTimers()
        case .createContactFlow(let instanceId, let flowId, let name, let type, let description, let content):
            return try createContactFlow(instanceId, flowId, name, type, description, content)
        case .updateContactFlowContent(let instanceId, let flowId, let content):
            return try updateContactFlowContent(instanceId, flowId, content)
        case .createRoutingProfile(
            let instanceId,
            let id,
            let name,
            let concurrency,
            let anyChannel,
            let queues,
            let outbound
        ):
            return try createRoutingProfile(instanceId, id, name, concurrency, anyChannel, queues, outbound)
        case .createUser(let instanceId, let id, let username, let profile, let autoAccept, let acw):
            return try createUser(instanceId, id, username, profile, autoAccept, acw)
        case .updateUser(let instanceId, let userId, let profile, let autoAccept, let acw):
            return try updateUser(
                instanceId,
                userId,
                routingProfileId: profile,
                autoAccept: autoAccept,
                afterContactWorkSeconds: acw
            )
        case .deleteUser(let instanceId, let userId):
            return try deleteUser(instanceId, userId)
        case .updateRoutingProfile(let instanceId, let id, let concurrency, let queues):
            return try updateRoutingProfile(instanceId, id, chatConcurrency: concurrency, queueConfigs: queues)
        case .updateQueueStatus(let instanceId, let queueId, let status):
            return try updateQueueStatus(instanceId, queueId, status)
        case .setAgentStatus(let instanceId, let userId, let statusId):
            return try setAgentStatus(instanceId, userId, statusId)
        case .acceptContact(let userId, let contactId):
            return try acceptContact(userId, contactId)
        case .rejectContact(let userId, let contactId):
            return try rejectContact(userId, contactId)
        case .clearAfterContactWork(let userId, let contactId):
            return try clearAfterContactWork(userId, contactId)
        case .createAgentStatus(let instanceId, let id, let name, let type, let enabled):
            return try createAgentStatus(instanceId, id, name, type, enabled)
        case .transferContact(let token, let queueId, let agentId, let flowId):
            return try transferContact(token, queueId: queueId, agentId: agentId, flowId: flowId)
        case .registerLambdaFunction(let instanceId, let function, let url):
            return try registerLambdaFunction(instanceId, function, url)
        case .completeLambdaInvocation(let invocationId, let outcome):
            return completeLambdaInvocation(invocationId, outcome)
        case .createContactFlowModule(let instanceId, let moduleId, let name, let content):
            return try createContactFlow(instanceId, moduleId, name, "MODULE", "", content, isModule: true)
        case .createQueue(let instanceId, let queueId, let name, let maxContacts):
            return try createQueue(instanceId, queueId, name, maxContacts)
        case .createBot(let instanceId, let botId, let name, let definition):
            return try createBot(instanceId, botId, name, definition)
        case .updateBot(let instanceId, let botId, let definition):
            return try updateBot(instanceId, botId, definition)
        case .createHoursOfOperation(let instanceId, let hoursId, let name, let timeZone, let config):
            return try createHoursOfOperation(instanceId, hoursId, name, timeZone, config)
        case .updateQueueHoursOfOperation(let instanceId, let queueId, let hoursId):
            return try updateQueueHoursOfOperation(instanceId, queueId, hoursId)
        }
    }

    // MARK: - Instance

    mutating func configureInstance(_ instanceId: String, _ quota: Int64) throws(ChatError) -> ChatReply {
        try InstanceSettings(instanceId: instanceId, concurrentActiveChats: quota).check()
        if let instance = state.instance {
            guard instance.instanceId == instanceId else {
                throw ChatError(
                    .invalidRequest,
                    "this log belongs to instance \(instance.instanceId), not \(instanceId)"
                )
            }
            if instance.concurrentActiveChats == quota { return .configured }
        }
        emit(.instanceConfigured(InstanceConfigured(instanceId: instanceId, concurrentActiveChats: quota)))
        return .configured
    }

    mutating func createInstance(_ settings: InstanceSettings) throws(ChatError) -> ChatReply {
        if let instance = state.instance {
            throw ChatError(.invalidRequest, "this log already belongs to instance \(instance.instanceId)")
        }
        try settings.check()
        emit(
            .instanceConfigured(
                InstanceConfigured(
                    instanceId: settings.instanceId,
                    concurrentActiveChats: settings.concurrentActiveChats,
                    alias: settings.alias,
                    identityManagementType: settings.identityManagementType,
                    inboundCallsEnabled: settings.inboundCallsEnabled,
                    outboundCallsEnabled: settings.outboundCallsEnabled
                )
            )
        )
        try createInstanceDefaults(settings.instanceId)
        return .configured
    }

    /// What a new Amazon Connect instance comes with: the Available (routable) and Offline agent statuses, the
    /// Basic Hours (every day, all day, UTC), the BasicQueue on them and the Basic Routing Profile serving it (chat
    /// concurrency 2). Their ids are fresh, recorded in the events like every other id.
    mutating func createInstanceDefaults(_ instanceId: String) throws(ChatError) {
        _ = try createAgentStatus(instanceId, nil, "Available", "ROUTABLE", true)
        _ = try createAgentStatus(instanceId, nil, "Offline", "OFFLINE", true)
        let days = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
        let allDay = days.map {
            HoursRange(day: $0, startTime: HoursTime(hours: 0, minutes: 0), endTime: HoursTime(hours: 0, minutes: 0))
        }
        guard
            case .hoursOfOperationCreated(let hoursId) = try createHoursOfOperation(
                instanceId,
                nil,
                "Basic Hours",
                "UTC",
                allDay
            ),
            case .queueCreated(let queueId) = try createQueue(instanceId, nil, "BasicQueue", 0)
        else { throw ChatError(.internalServer, "the default resources of a new instance could not be created") }
        _ = try updateQueueHoursOfOperation(instanceId, queueId, hoursId)
        _ = try createRoutingProfile(
            instanceId,
            nil,
            "Basic Routing Profile",
            2,
            false,
            [RoutingQueueConfig(queueId: queueId, priority: 1, delaySeconds: 0)],
            queueId
        )
    }

    func checkInstance(_ instanceId: String) throws(ChatError) {
        guard let instance = state.instance, instance.instanceId == instanceId else {
            throw ChatError(
                .resourceNotFound,
                "instance \(instanceId) does not exist",
                resourceId: instanceId,
                resourceType: "INSTANCE"
            )
        }
    }

    // MARK: - Lookups

    /// The contact named by `text` (a UUID), or the given error.
    func contact(_ text: String, missing code: ChatError.Code = .resourceNotFound) throws(ChatError) -> ContactRecord {
        guard let id = Identifier(text), let contact = state.contacts[id] else {
            throw ChatError(code, "contact \(text) does not exist", resourceId: text, resourceType: "CONTACT")
        }
        return contact
    }

    /// The chat of a contact that is still going; the contact must be its current segment.
    func activeChat(ofContact text: String) throws(ChatError) -> ChatSession {
        let contact = try contact(text)
        guard let chat = state.chats[contact.chatId], state.isActive(chat, at: now) else {
            throw ChatError(.invalidRequest, "contact \(text) has ended")
        }
        guard chat.currentContactId == contact.contactId else {
            throw ChatError(.invalidRequest, "contact \(text) is not the chat's current contact")
        }
        return chat
    }

    /// The connection, participant and chat behind a ConnectionToken, checked for a call that changes the chat.
    func connection(
        _ token: String
    ) throws(ChatError) -> (chat: ChatSession, participant: Participant, connection: Connection) {
        let (chat, participant, connection) = try ChatQueries.resolveConnection(token, in: state, now: now)
        guard state.isActive(chat, at: now) else { throw ChatError(.accessDenied, "the chat has ended") }
        guard participant.isPresent else { throw ChatError(.accessDenied, "the participant has left the chat") }
        return (chat, participant, connection)
    }

    // MARK: - Participants

    mutating func createParticipantConnection(
        _ token: String,
        _ typeNames: [String],
        _ connectParticipant: Bool
    ) throws(ChatError) -> ChatReply {
        guard let target = state.participantTarget(ofToken: token), let chat = state.chats[target.chatId],
            let participant = chat.participants[target.participantId], participant.isPresent
        else { throw ChatError(.accessDenied, "the participant token is not valid") }
        guard state.isActive(chat, at: now) else { throw ChatError(.accessDenied, "the chat has ended") }
        guard !typeNames.isEmpty else { throw ChatError(.validation, "Type must list at least one connection type") }
        var types: [ConnectionType] = []
        for name in typeNames {
            guard let type = ConnectionType(apiName: name) else {
                throw ChatError(
                    .validation,
                    "Type \(name) is not one of WEBSOCKET, CONNECTION_CREDENTIALS, WEBRTC_CONNECTION"
                )
            }
            if !types.contains(type) { types.append(type) }
        }
        guard types.contains(.websocket) || types.contains(.connectionCredentials) else {
            throw ChatError(.validation, "chat connections need WEBSOCKET or CONNECTION_CREDENTIALS")
        }
        let connectionId = newId()
        let connectionToken = newToken(ofChat: chat.chatId)
        let websocketToken = types.contains(.websocket) ? newToken(ofChat: chat.chatId) : nil
        let created = ConnectionCreated(
            chatId: chat.chatId,
            participantId: participant.participantId,
            connectionId: connectionId,
            types: types,
            connectionToken: connectionToken,
            connectionExpiry: now + ChatLimits.connectionTokenLifetime,
            websocketToken: websocketToken,
            websocketExpiry: websocketToken == nil ? nil : now + ChatLimits.websocketURLWindow,
            connectParticipant: connectParticipant
        )
        emit(.connectionCreated(created))
        let window = TimerKey(.connectWindow, chat: chat.chatId)
        if participant.role == .customer, state.timers[window] != nil {
            emit(.timerCancelled(TimerCancelled(key: window)))
        }
        return .connection(
            ParticipantConnectionResponse(
                connectionId: connectionId,
                websocketToken: websocketToken,
                websocketExpiry: created.websocketExpiry,
                connectionToken: types.contains(.connectionCredentials) ? connectionToken : nil,
                connectionExpiry: created.connectionExpiry
            )
        )
    }

    mutating func openWebsocket(_ token: String, _ socketId: Identifier) throws(ChatError) -> ChatReply {
        guard let target = state.websocketTarget(ofToken: token), let connectionId = target.connectionId,
            let chat = state.chats[target.chatId], let connection = chat.connections[connectionId],
            let participant = chat.participants[target.participantId]
        else { throw ChatError(.accessDenied, "the websocket URL is not valid") }
        guard let expiry = connection.websocketExpiry, now < expiry else {
            throw ChatError(.accessDenied, "the websocket URL expired; call CreateParticipantConnection again")
        }
        guard state.isActive(chat, at: now) else { throw ChatError(.accessDenied, "the chat has ended") }
        guard participant.isPresent else { throw ChatError(.accessDenied, "the participant has left the chat") }
        guard !participant.openSockets.contains(socketId) else {
            throw ChatError(.conflict, "websocket \(socketId) is already open")
        }
        guard participant.openSockets.count < ChatLimits.websocketsPerParticipant else {
            throw ChatError(
                .serviceQuotaExceeded,
                "a participant may have at most \(ChatLimits.websocketsPerParticipant) open websockets"
            )
        }
        emit(
            .websocketOpened(
                WebsocketOpened(
                    chatId: chat.chatId,
                    participantId: participant.participantId,
                    connectionId: connectionId,
                    socketId: socketId
                )
            )
        )
        return .done
    }

    mutating func closeWebsocket(_ token: String, _ socketId: Identifier) -> ChatReply {
        // Closing is idempotent: an unknown token or a socket already closed (e.g. by the chat's end) records nothing.
        // The token index finds the connection (a scan of every chat made each close cost O(history)).
        guard let target = state.websocketTarget(ofToken: token), let connectionId = target.connectionId,
            let chat = state.chats[target.chatId], chat.status == .active,
            let connection = chat.connections[connectionId], connection.websocketToken == token,
            let participant = chat.participants[connection.participantId],
            participant.openSockets.contains(socketId)
        else { return .done }
        emit(
            .websocketClosed(
                WebsocketClosed(chatId: chat.chatId, participantId: participant.participantId, socketId: socketId)
            )
        )
        return .done
    }

    mutating func join(
        _ contactId: String,
        role: ParticipantRole,
        displayName: String,
        agentId: String? = nil
    ) throws(ChatError) -> ChatReply {
        let chat = try activeChat(ofContact: contactId)
        guard (1...256).contains(displayName.count) else {
            throw ChatError(.invalidParameter, "DisplayName must be 1–256 characters")
        }
        let present = chat.presentParticipants
        guard present.count < ChatLimits.participantsPerChat else {
            throw ChatError(
                .serviceQuotaExceeded,
                "a chat has at most \(ChatLimits.participantsPerChat) participants"
            )
        }
        if role == .customBot, present.contains(where: { $0.role == .customBot }) {
            throw ChatError(
                .serviceQuotaExceeded,
                "a contact has at most \(ChatLimits.customParticipantsPerChat) custom participant"
            )
        }
        let participantId = newId()
        let token = newToken(ofChat: chat.chatId)
        emit(
            .participantJoined(
                ParticipantJoined(
                    chatId: chat.chatId,
                    contactId: chat.currentContactId,
                    participantId: participantId,
                    role: role,
                    displayName: displayName,
                    participantToken: token,
                    itemId: newId()
                )
            )
        )
        if role == .agent, agentId != nil || state.contacts[chat.currentContactId]?.queued != nil {
            stopCustomerQueueFlow(chat.currentContactId)
        }
        if role == .agent, let agentId {
            guard (1...256).contains(agentId.count) else {
                throw ChatError(.invalidParameter, "the agent id must be 1–256 characters")
            }
            emit(
                .contactAssigned(
                    ContactAssigned(contactId: chat.currentContactId, agentId: agentId, participantId: participantId)
                )
            )
        }
        restartRoleTimers(chat.chatId, base: now)
        return .participantJoined(participantId: participantId, participantToken: token)
    }

    // MARK: - Messages and events

    mutating func sendMessage(
        _ token: String,
        _ contentType: String,
        _ content: String,
        _ clientToken: String?
    ) throws(ChatError) -> ChatReply {
        let send = try sendTarget(token, .message, clientToken, contentType)
        let participant = send.participant
        if let reply = try retry(of: clientToken, send.earlier) { return reply }
        guard ContentTypes.sendable.contains(contentType) else {
            throw ChatError(.validation, "ContentType \(contentType) cannot be sent as a message")
        }
        guard send.supportsContentType else {
            throw ChatError(.validation, "ContentType \(contentType) is not supported by this chat")
        }
        try checkContent(content, required: true)
        // A string has no more characters than UTF-8 bytes: only a longer one needs the bot check and its count.
        if participant.role == .customer, content.utf8.count > ContentTypes.maxBotInputCharacters {
            guard let chat = state.chats[send.chatId] else { throw ChatQueries.invalidConnectionToken }
            let botAnswering =
                (chat.hasPresentParticipant { $0 == .customBot } && !chat.hasPresentParticipant { $0 == .agent })
                || botIsListening(chat)
            if botAnswering, content.count > ContentTypes.maxBotInputCharacters {
                throw ChatError(
                    .validation,
                    "messages to a bot are limited to \(ContentTypes.maxBotInputCharacters) characters"
                )
            }
        }
        let messageId = newId()
        let time = nextTimestamp
        emit(
            .messageSent(
                MessageSent(
                    chatId: send.chatId,
                    contactId: send.contactId,
                    participantId: participant.participantId,
                    messageId: messageId,
                    contentType: contentType,
                    content: content,
                    token: send.token
                )
            )
        )
        participantWasActive(send.chatId, participant.participantId, at: time)
        if participant.role == .customer { customerMessage(send.chatId, content) }
        return .sent(id: messageId, absoluteTime: time)
    }

    /// The answer to an earlier message or event with the same ClientToken from the same participant (`earlier`,
    /// from `sendTarget`): the same answer, no events. A ClientToken over 500 characters is refused first.
    func retry(of clientToken: String?, _ earlier: SentRecord?) throws(ChatError) -> ChatReply? {
        guard let clientToken else { return nil }
        // Characters are counted only past 500 UTF-8 bytes (a string has no more characters than bytes).
        guard clientToken.utf8.count <= 500 || clientToken.count <= 500 else {
            throw ChatError(.validation, "ClientToken is longer than 500")
        }
        guard let earlier else { return nil }
        return .sent(id: earlier.id, absoluteTime: earlier.time)
    }

    /// What a SendMessage or SendEvent needs of the chat behind its ConnectionToken, checked as `connection(_:)`
    /// checks it.
    struct SendTarget {
        /// The chat.
        var chatId: Identifier
        /// Its current contact.
        var contactId: Identifier
        /// The sender.
        var participant: Participant
        /// The send's ClientToken, read once for the lookup and the event.
        var token: ClientToken?
        /// What the sender's earlier send with the same ClientToken was answered, if there was one.
        var earlier: SentRecord?
        /// Whether the chat supports the content type.
        var supportsContentType: Bool
    }

    /// The chat, sender, earlier answer and content type support of a send, read where the chat lies: one lookup,
    /// and the chat is not copied (binding it, as `connection(_:)` does, cost about 3 K instructions a send: every
    /// field retained and released). Errors come in `connection(_:)`'s order.
    func sendTarget(
        _ token: String,
        _ kind: ClientTokenKey.Kind,
        _ clientToken: String?,
        _ contentType: String
    ) throws(ChatError) -> SendTarget {
        guard let target = state.connectionTarget(ofToken: token), let connectionId = target.connectionId else {
            throw ChatQueries.invalidConnectionToken
        }
        let key = clientToken.map { ClientTokenKey(target.participantId, kind, $0) }
        let now = self.now  // the closure captures no `self`, and reads only fields (a method of the chat copies it)
        let found = state.chats[slot: target.chatId]?.withPointer { chat -> Found? in
            guard let connection = chat.pointee.connections[connectionId],
                let participant = chat.pointee.participants[target.participantId]
            else { return nil }
            return Found(
                expiry: connection.expiry,
                open: ChatSession.isActive(chat.pointee.status, chat.pointee.expiresAt, at: now),
                customerConnected: chat.pointee.customerConnected,
                send: SendTarget(
                    chatId: chat.pointee.chatId,
                    contactId: chat.pointee.currentContactId,
                    participant: participant,
                    token: key?.clientToken,
                    earlier: key.flatMap { chat.pointee.sentByClientToken[$0] },
                    supportsContentType: chat.pointee.supportedContentTypes.contains(contentType)
                )
            )
        }
        guard let found = found ?? nil else { throw ChatQueries.invalidConnectionToken }
        guard now < found.expiry else { throw ChatQueries.expiredConnectionToken }
        guard state.isActive(found.send.chatId, open: found.open, customerConnected: found.customerConnected, at: now)
        else { throw ChatError(.accessDenied, "the chat has ended") }
        guard found.send.participant.isPresent else {
            throw ChatError(.accessDenied, "the participant has left the chat")
        }
        return found.send
    }

    /// What `sendTarget` reads in the chat.
    private struct Found {
        var expiry: Int64
        var open: Bool
        var customerConnected: Bool
        var send: SendTarget
    }

    func checkContent(_ content: String?, required: Bool) throws(ChatError) {
        let bytes = content?.utf8.count ?? 0
        if required, bytes == 0 { throw ChatError(.validation, "Content must not be empty") }
        guard bytes <= ContentTypes.maxContentBytes else {
            throw ChatError(
                .validation,
                "Content is \(bytes) bytes; the limit is \(ContentTypes.maxContentBytes)"
            )
        }
    }

    mutating func sendEvent(
        _ token: String,
        _ contentType: String,
        _ content: String?,
        _ clientToken: String?
    ) throws(ChatError) -> ChatReply {
        let send = try sendTarget(token, .event, clientToken, contentType)
        let participant = send.participant
        if let reply = try retry(of: clientToken, send.earlier) { return reply }
        guard ContentTypes.clientEvents.contains(contentType) else {
            throw ChatError(.validation, "ContentType \(contentType) is not an event a participant can send")
        }
        try checkContent(content, required: false)
        var receiptFor: Identifier?
        if contentType == ContentTypes.delivered || contentType == ContentTypes.read {
            guard let chat = state.chats[send.chatId] else { throw ChatQueries.invalidConnectionToken }
            guard let messageId = ReceiptContent.messageId(in: content) else {
                throw ChatError(.validation, "a receipt's Content must be {\"messageId\":\"<message id>\"}")
            }
            let active = chat.presentParticipants.filter { $0.role != .system }.count
            guard active <= 2 else {
                throw ChatError(.conflict, "receipts are not supported with more than two active participants")
            }
            guard let index = chat.itemIndex[messageId], chat.items[index].type == "MESSAGE" else {
                throw ChatError(.validation, "message \(messageId) is not in this chat")
            }
            guard chat.items[index].participantId != participant.participantId else {
                throw ChatError(.validation, "a participant cannot acknowledge its own message")
            }
            receiptFor = messageId
        }
        let eventId = newId()
        let time = nextTimestamp
        emit(
            .eventSent(
                EventSent(
                    chatId: send.chatId,
                    contactId: send.contactId,
                    participantId: participant.participantId,
                    eventId: eventId,
                    contentType: contentType,
                    content: content,
                    receiptMessageId: receiptFor,
                    token: send.token
                )
            )
        )
        return .sent(id: eventId, absoluteTime: time)
    }

    mutating func sendSystemMessage(
        _ contactId: String,
        _ displayName: String,
        _ contentType: String,
        _ content: String
    ) throws(ChatError) -> ChatReply {
        let chat = try activeChat(ofContact: contactId)
        guard ContentTypes.supportable.contains(contentType) else {
            throw ChatError(.validation, "ContentType \(contentType) cannot be sent as a message")
        }
        try checkContent(content, required: true)
        let messageId = newId()
        let time = nextTimestamp
        emit(
            .messageSent(
                MessageSent(
                    chatId: chat.chatId,
                    contactId: chat.currentContactId,
                    participantId: nil,
                    systemDisplayName: displayName,
                    messageId: messageId,
                    contentType: contentType,
                    content: content,
                    clientToken: nil
                )
            )
        )
        return .sent(id: messageId, absoluteTime: time)
    }

    // MARK: - Leaving and ending

    mutating func disconnectParticipant(_ token: String) throws(ChatError) -> ChatReply {
        let (chat, participant, _) = try connection(token)
        disconnect(chat, participant)
        return .done
    }

    /// `participant` leaves `chat`, with what follows from its role.
    mutating func disconnect(_ chat: ChatSession, _ participant: Participant) {
        switch participant.role {
        case .customer:
            leave(chat.chatId, participant.participantId, .customerDisconnect)
            endChat(chat.chatId, .customerDisconnect, at: now)
        case .agent, .supervisor:
            leave(chat.chatId, participant.participantId, .agentDisconnect)
            agentsLeft(chat.chatId, reason: .agentDisconnect, at: now)
        case .customBot, .system:
            leave(chat.chatId, participant.participantId, .other)
            roleTimersMayStop(chat.chatId)
            if participant.role == .customBot { botParticipantLeft(chat.chatId) }
        }
    }

    /// After agents left: the chat goes on if another agent remains, moves to the disconnect flow if one is set, and
    /// ends otherwise.
    mutating func agentsLeft(_ chatId: Identifier, reason: DisconnectReason, at effectiveAt: Int64) {
        guard let chat = state.chats[chatId] else { return }
        if chat.hasPresentParticipant({ $0 == .agent }) {
            return
        }
        roleTimersMayStop(chatId)
        if let flowId = chat.disconnectFlowId, let current = state.contacts[chat.currentContactId] {
            emit(
                .contactDisconnected(
                    ContactDisconnected(contactId: current.contactId, reason: reason, effectiveAt: effectiveAt)
                )
            )
            emit(
                .contactStarted(
                    ContactStarted(
                        contactId: newId(),
                        chatId: chatId,
                        instanceId: chat.instanceId,
                        flowId: flowId,
                        initiationMethod: .disconnect,
                        previousContactId: current.contactId,
                        attributes: current.attributes,
                        customerId: current.customerId
                    )
                )
            )
            emit(.eventHooksUpdated(EventHooksUpdated(chatId: chatId, customerRemainingFlowId: nil)))
            if let segment = state.chats[chatId]?.currentContactId {
                if let flow = resolveFlow(flowId) {
                    runFlow(flow.flowId, version: flow.latestVersion, contactId: segment)
                } else {
                    endChat(chatId, reason, at: effectiveAt)
                }
            }
        } else {
            endChat(chatId, reason, at: effectiveAt)
        }
    }

    /// The participant leaves; `effectiveAt` is the deadline when a timer caused it (nil: now).
    mutating func leave(
        _ chatId: Identifier,
        _ participantId: Identifier,
        _ reason: DisconnectReason,
        at effectiveAt: Int64? = nil
    ) {
        guard let chat = state.chats[chatId] else { return }
        for key in armedTimers(chatId, of: [participantId], kinds: TimerKind.allCases) {
            emit(.timerCancelled(TimerCancelled(key: key)))
        }
        assert(
            !state.timers.keys.contains { $0.chatId == chatId && $0.participantId == participantId },
            "a timer of a leaving participant was left armed"
        )
        emit(
            .participantLeft(
                ParticipantLeft(
                    chatId: chatId,
                    contactId: chat.currentContactId,
                    participantId: participantId,
                    reason: reason,
                    itemId: newId(),
                    effectiveAt: effectiveAt.flatMap { $0 < now ? $0 : nil }
                )
            )
        )
        if chat.participants[participantId]?.role == .agent { agentLeftContact(chat.currentContactId) }
    }

    /// Ends the chat: everyone still present leaves, the current segment and the chat end.
    mutating func endChat(_ chatId: Identifier, _ reason: DisconnectReason, at effectiveAt: Int64) {
        guard let chat = state.chats[chatId], chat.status == .active else { return }
        let exitFirst = chat.disconnectOnCustomerExit
        let present = chat.presentParticipants.sorted { left, right in
            // DisconnectOnCustomerExit roles are dropped before the others.
            exitFirst.contains(left.role) && !exitFirst.contains(right.role)
        }
        for participant in present { leave(chatId, participant.participantId, reason, at: effectiveAt) }
        if state.contacts[chat.currentContactId]?.status != .ended {
            emit(
                .contactDisconnected(
                    ContactDisconnected(contactId: chat.currentContactId, reason: reason, effectiveAt: effectiveAt)
                )
            )
        }
        emit(
            .chatEnded(
                ChatEnded(
                    chatId: chatId,
                    contactId: chat.currentContactId,
                    reason: reason,
                    effectiveAt: effectiveAt,
                    itemId: newId()
                )
            )
        )
    }

    mutating func stopContact(_ instanceId: String, _ contactId: String) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        let contact = try contact(contactId, missing: .contactNotFound)
        guard let chat = state.chats[contact.chatId], state.isActive(chat, at: now),
            chat.currentContactId == contact.contactId
        else {
            throw ChatError(
                .contactNotFound,
                "contact \(contactId) is not active",
                resourceId: contactId,
                resourceType: "CONTACT"
            )
        }
        endChat(chat.chatId, .api, at: now)
        return .done
    }

    // MARK: - Attributes, hooks and timer settings

    mutating func updateContactAttributes(
        _ instanceId: String,
        _ contactId: String,
        _ attributes: [String: String]
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        let contact = try contact(contactId)
        try AttributeRules.check(attributes, mergedInto: contact.attributes)
        guard !attributes.isEmpty, attributes.contains(where: { contact.attributes[$0.key] != $0.value }) else {
            return .done
        }
        emit(.attributesUpdated(AttributesUpdated(contactId: contact.contactId, attributes: attributes)))
        return .done
    }

    mutating func setDisconnectFlow(_ contactId: String, _ flowId: String?) throws(ChatError) -> ChatReply {
        let chat = try activeChat(ofContact: contactId)
        if let flowId, !(1...500).contains(flowId.count) {
            throw ChatError(.invalidParameter, "the flow id must be 1–500 characters")
        }
        guard chat.disconnectFlowId != flowId else { return .done }
        emit(.eventHooksUpdated(EventHooksUpdated(chatId: chat.chatId, customerRemainingFlowId: flowId)))
        return .done
    }

    mutating func updateParticipantRoleConfig(
        _ instanceId: String,
        _ contactId: String,
        _ requests: [RoleTimerRequest]
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        let chat = try activeChat(ofContact: contactId)
        guard ChatLimits.participantTimerConfigs.contains(requests.count) else {
            throw ChatError(.invalidParameter, "ParticipantTimerConfigList must have 1–6 entries")
        }
        var settings: [ParticipantTimerSetting] = []
        var seen: Set<String> = []
        for request in requests {
            guard let role = ParticipantRole(apiName: request.role), role == .customer || role == .agent else {
                throw ChatError(.invalidParameter, "ParticipantRole must be CUSTOMER or AGENT, not \(request.role)")
            }
            guard let type = ParticipantTimerType(apiName: request.timerType) else {
                throw ChatError(
                    .invalidParameter,
                    "TimerType must be IDLE or DISCONNECT_NONCUSTOMER, not \(request.timerType)"
                )
            }
            guard seen.insert(ChatSession.timerSettingKey(role, type)).inserted else {
                throw ChatError(.invalidParameter, "\(role) × \(type) appears more than once")
            }
            switch (request.minutes, request.unset) {
            case (nil, true):
                settings.append(ParticipantTimerSetting(role: role, type: type, minutes: nil))
            case (let minutes?, false):
                guard ChatLimits.participantTimerMinutes.contains(minutes) else {
                    throw ChatError(
                        .invalidParameter,
                        "ParticipantTimerDurationInMinutes must be 2–480, not \(minutes)"
                    )
                }
                settings.append(ParticipantTimerSetting(role: role, type: type, minutes: Int64(minutes)))
            default:
                throw ChatError(
                    .invalidParameter,
                    "TimerValue needs exactly one of ParticipantTimerDurationInMinutes and ParticipantTimerAction"
                )
            }
        }
        emit(.roleConfigUpdated(RoleConfigUpdated(chatId: chat.chatId, settings: settings)))
        return .done
    }

    // MARK: - Role timers

    /// Whether idle timers run: a customer together with an agent or a custom bot.
    func roleTimersRun(_ chat: ChatSession) -> Bool { ChatSession.roleTimersRun(among: chat.participants) }

    /// (Re)starts the timers of every human participant, from `base` (an agent or bot just joined).
    mutating func restartRoleTimers(_ chatId: Identifier, base: Int64) {
        guard let chat = state.chats[chatId], roleTimersRun(chat) else { return }
        for participant in chat.presentParticipants where participant.role == .customer || participant.role == .agent {
            armRoleTimer(chatId, participant.participantId, base: base)
        }
    }

    /// Cancels the participant's idle and disconnect timers, then arms the first one its role has.
    mutating func armRoleTimer(_ chatId: Identifier, _ participantId: Identifier, base: Int64) {
        cancelRoleTimers(chatId, participantId)
        // Read through stored properties where the chat lies: binding the chat (`guard let chat = state.chats[id]`)
        // copies it, about 1 K instructions with its release, and most chats have no role timer settings in force.
        guard let timers = state.chats[chatId]?.activeRoleTimers, !timers.isEmpty,
            let role = state.chats[chatId]?.participants[participantId]?.role
        else { return }
        armFirstRoleTimer(chatId, participantId, role, timers, base: base)
    }

    /// Cancels the participant's idle and disconnect timers.
    mutating func cancelRoleTimers(_ chatId: Identifier, _ participantId: Identifier) {
        for kind in [TimerKind.participantIdle, .participantDisconnect] {
            cancelTimer(TimerKey(kind, chat: chatId, participant: participantId))
        }
    }

    /// Arms the first timer that `timers` (the chat's settings in force) set for `role`, from `base`.
    mutating func armFirstRoleTimer(
        _ chatId: Identifier,
        _ participantId: Identifier,
        _ role: ParticipantRole,
        _ timers: [String: Int64],
        base: Int64
    ) {
        let kind: TimerKind
        let minutes: Int64
        if let idle = timers[ChatSession.timerSettingKey(role, .idle)] {
            (kind, minutes) = (.participantIdle, idle)
        } else if let disconnect = timers[ChatSession.timerSettingKey(role, .disconnectNonCustomer)] {
            (kind, minutes) = (.participantDisconnect, disconnect)
        } else {
            return
        }
        let key = TimerKey(kind, chat: chatId, participant: participantId)
        emit(.timerArmed(TimerArmed(key: key, deadline: base + minutes * Duration.minute)))
    }

    /// What a message's sender changes in its chat's timers: whether it was idle, its role, whether role timers run
    /// in the chat, and the settings in force.
    private struct SenderTimers {
        var idle: Bool
        var role: ParticipantRole
        var timersRun: Bool
        var settings: [String: Int64]
    }

    /// A participant sent a message at `time`: it is no longer idle and its timers start over from that time.
    mutating func participantWasActive(_ chatId: Identifier, _ participantId: Identifier, at time: Int64) {
        // One read of the chat where it lies (`TieredSlot.withPointer`); before, four lookups, each chain through the
        // map, and the participants copied one by one for the role timer check.
        let read = state.chats[slot: chatId]?.withPointer { chat -> SenderTimers? in
            guard let index = chat.pointee.participants.index(forKey: participantId) else { return nil }
            let values = chat.pointee.participants.values
            return SenderTimers(
                idle: values[index].idle,
                role: values[index].role,
                timersRun: ChatSession.roleTimersRun(among: chat.pointee.participants),
                settings: chat.pointee.activeRoleTimers
            )
        }
        guard let sender = read ?? nil else { return }
        if sender.idle {
            emit(
                .participantActivityChanged(
                    ParticipantActivityChanged(
                        chatId: chatId,
                        participantId: participantId,
                        change: .returned,
                        eventId: newId()
                    )
                )
            )
        }
        // The activity change above moves no participant in or out, so `timersRun` still holds.
        guard sender.role == .customer || sender.role == .agent, sender.timersRun else { return }
        cancelRoleTimers(chatId, participantId)
        guard !sender.settings.isEmpty else { return }
        armFirstRoleTimer(chatId, participantId, sender.role, sender.settings, base: time)
    }

    /// Stops every idle / disconnect timer of the chat when they no longer run.
    mutating func roleTimersMayStop(_ chatId: Identifier) {
        guard let chat = state.chats[chatId], !roleTimersRun(chat) else { return }
        let kinds = [TimerKind.participantIdle, .participantDisconnect]
        for key in armedTimers(chatId, of: chat.participants.keys.map { $0 }, kinds: kinds) {
            emit(.timerCancelled(TimerCancelled(key: key)))
        }
        assert(
            !state.timers.keys.contains { $0.chatId == chatId && kinds.contains($0.kind) },
            "a participant timer of the chat was left armed"
        )
    }

    /// The armed timers of `kinds` for `participants` of chat `chatId`, in key order. Looked up by key: a scan of
    /// every timer made each leave cost O(active chats).
    func armedTimers(_ chatId: Identifier, of participants: [Identifier?], kinds: [TimerKind]) -> [TimerKey] {
        var armed: [TimerKey] = []
        for participant in participants {
            for kind in kinds {
                let key = TimerKey(kind, chat: chatId, participant: participant)
                if state.timers[key] != nil { armed.append(key) }
            }
        }
        return armed.sorted()
    }

    // MARK: - Firing deadlines

    mutating func fireDueTimers() -> ChatReply {
        var fired = 0
        // The earliest due deadline fires first, each time. The due ones are read once from the deadline index, in
        // firing order. A firing's consequences can cancel a listed timer or move it later (it is skipped: its
        // deadline no longer matches), or arm one that is already due (after a long outage): only that sends the
        // loop back to the index.
        var due = state.deadlines.due(at: now)
        var next = 0
        while fired < 100_000, next < due.count {
            let (key, deadline) = (due[next].key, due[next].deadline)
            next += 1
            guard state.timers[key] == deadline else { continue }
            let mark = events.count
            emit(.timerFired(TimerFired(key: key, deadline: deadline, firedAt: now)))
            fired += 1
            consequences(of: key, deadline: deadline)
            let armedDue = events[mark...].contains { event in
                if case .timerArmed(let armed) = event { return armed.deadline <= now }
                return false
            }
            if armedDue {
                due = state.deadlines.due(at: now)
                next = 0
            }
        }
        return .timersFired(count: fired)
    }

    mutating func consequences(of key: TimerKey, deadline: Int64) {
        if key.kind == .afterContactWork {
            if let contactId = key.participantId, let userId = state.contacts[contactId]?.agentId,
                state.agents[userId]?.slots[contactId]?.state == .afterContactWork
            {
                emit(
                    .afterContactWorkChanged(
                        AfterContactWorkChanged(contactId: contactId, userId: userId, started: false)
                    )
                )
            }
            return
        }
        guard let chat = state.chats[key.chatId], chat.status == .active else { return }
        switch key.kind {
        case .chatCeiling:
            endChat(chat.chatId, .expired, at: deadline)
        case .connectWindow:
            if !chat.customerConnected { endChat(chat.chatId, .customerConnectionNotEstablished, at: deadline) }
        case .participantIdle:
            guard let participantId = key.participantId, let participant = chat.participants[participantId],
                participant.isPresent
            else { return }
            emit(
                .participantActivityChanged(
                    ParticipantActivityChanged(
                        chatId: chat.chatId,
                        participantId: participantId,
                        change: .idle,
                        eventId: newId()
                    )
                )
            )
            let setting = ChatSession.timerSettingKey(participant.role, .disconnectNonCustomer)
            if let minutes = chat.activeRoleTimers[setting] {
                let next = TimerKey(.participantDisconnect, chat: chat.chatId, participant: participantId)
                emit(.timerArmed(TimerArmed(key: next, deadline: deadline + minutes * Duration.minute)))
            }
        case .flowWait:
            if let contactId = key.participantId { waitEnded(contactId, event: "WaitCompleted") }
        case .offer:
            if let contactId = key.participantId, let userId = state.contacts[contactId]?.offeredTo {
                emit(.offerEnded(OfferEnded(contactId: contactId, userId: userId, outcome: .missed)))
            }
        case .afterContactWork, .queueDelay:
            // A queue delay passed: the routing that ends every command offers the contact if an agent is free.
            break
        case .participantDisconnect:
            guard let participantId = key.participantId else { return }
            emit(
                .participantActivityChanged(
                    ParticipantActivityChanged(
                        chatId: chat.chatId,
                        participantId: participantId,
                        change: .autoDisconnection,
                        eventId: newId()
                    )
                )
            )
            let removed = chat.presentParticipants.filter { $0.role != .customer }
            for participant in removed { leave(chat.chatId, participant.participantId, .idleDisconnect, at: deadline) }
            roleTimersMayStop(chat.chatId)
            if removed.contains(where: { $0.role == .customBot }) { botParticipantLeft(chat.chatId) }
            if removed.contains(where: { $0.role == .agent }) {
                agentsLeft(chat.chatId, reason: .idleDisconnect, at: deadline)
            }
        }
    }
}

/// Reading the `messageId` out of a receipt's Content (`{"messageId":"…"}`).
enum ReceiptContent {
    static func messageId(in content: String?) -> Identifier? {
        guard let content else { return nil }
        // A deliberately small parser: one JSON object whose "messageId" member is a UUID string.
        guard let keyRange = content.firstRange(of: "\"messageId\"") else { return nil }
        let rest = content[keyRange.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        let value = rest.dropFirst().drop { $0 == " " }
        guard value.first == "\"" else { return nil }
        let text = value.dropFirst().prefix { $0 != "\"" }
        guard content.trimmingWhitespace().hasPrefix("{"), content.trimmingWhitespace().hasSuffix("}") else {
            return nil
        }
        return Identifier(String(text))
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}

/// The contact attribute rules: keys of alphanumerics, `-` and `_`; at most 32,768 UTF-8 bytes in all.
public enum AttributeRules {
    /// Throws `InvalidParameterException` unless `attributes`, merged into `existing`, obey the rules.
    public static func check(_ attributes: [String: String], mergedInto existing: [String: String]) throws(ChatError) {
        for (key, value) in attributes {
            guard (1...ChatLimits.attributeFieldLength).contains(key.count) else {
                throw ChatError(.invalidParameter, "attribute keys must be 1–32767 characters")
            }
            guard key.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" }) else {
                throw ChatError(
                    .invalidParameter,
                    "attribute key \"\(key.prefix(64))\" may contain only letters, digits, - and _"
                )
            }
            guard value.count <= ChatLimits.attributeFieldLength else {
                throw ChatError(.invalidParameter, "attribute \(key.prefix(64)) is longer than 32767 characters")
            }
        }
        let merged = existing.merging(attributes) { _, new in new }
        let total = merged.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard total <= ChatLimits.attributeBytes else {
            throw ChatError(
                .invalidParameter,
                "contact attributes would total \(total) UTF-8 bytes; the limit is \(ChatLimits.attributeBytes)"
            )
        }
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}

/// `StartChatContact` (control plane), with the API's field names.
public struct StartChatContactRequest: Sendable, Equatable {
    /// `InitialMessage`.
    public struct InitialMessage: Sendable, Equatable {
        /// `ContentType`.
        public var contentType: String
        /// `Content`.
        public var content: String

        /// Creates the message.
        public init(contentType: String, content: String) {
            self.contentType = contentType
            self.content = content
        }
    }

    /// `PersistentChat`.
    public struct PersistentChat: Sendable, Equatable {
        /// `RehydrationType` as sent (validated by decide).
        public var rehydrationType: String?
        /// `SourceContactId`.
        public var sourceContactId: String

        /// Creates the settings.
        public init(rehydrationType: String?, sourceContactId: String) {
            self.rehydrationType = rehydrationType
            self.sourceContactId = sourceContactId
        }
    }

    /// `InstanceId`.
    public var instanceId: String
    /// `ContactFlowId`.
    public var contactFlowId: String
    /// `Attributes`.
    public var attributes: [String: String]
    /// `ParticipantDetails.DisplayName`.
    public var displayName: String
    /// `ParticipantConfiguration.ResponseMode` as sent.
    public var responseMode: String?
    /// `InitialMessage`.
    public var initialMessage: InitialMessage?
    /// `ClientToken`.
    public var clientToken: String?
    /// `ChatDurationInMinutes`.
    public var chatDurationInMinutes: Int?
    /// `SupportedMessagingContentTypes`.
    public var supportedMessagingContentTypes: [String]?
    /// `PersistentChat`.
    public var persistentChat: PersistentChat?
    /// `RelatedContactId`.
    public var relatedContactId: String?
    /// `CustomerId`.
    public var customerId: String?
    /// `DisconnectOnCustomerExit` as sent.
    public var disconnectOnCustomerExit: [String]?

    /// Creates a request with the required fields.
    public init(
        instanceId: String,
        contactFlowId: String,
        displayName: String,
        attributes: [String: String] = [:],
        responseMode: String? = nil,
        initialMessage: InitialMessage? = nil,
        clientToken: String? = nil,
        chatDurationInMinutes: Int? = nil,
        supportedMessagingContentTypes: [String]? = nil,
        persistentChat: PersistentChat? = nil,
        relatedContactId: String? = nil,
        customerId: String? = nil,
        disconnectOnCustomerExit: [String]? = nil
    ) {
        self.instanceId = instanceId
        self.contactFlowId = contactFlowId
        self.displayName = displayName
        self.attributes = attributes
        self.responseMode = responseMode
        self.initialMessage = initialMessage
        self.clientToken = clientToken
        self.chatDurationInMinutes = chatDurationInMinutes
        self.supportedMessagingContentTypes = supportedMessagingContentTypes
        self.persistentChat = persistentChat
        self.relatedContactId = relatedContactId
        self.customerId = customerId
        self.disconnectOnCustomerExit = disconnectOnCustomerExit
    }
}

/// What StartChatContact returns.
public struct StartChatContactResponse: Sendable, Equatable {
    /// `ContactId`.
    public var contactId: Identifier
    /// `ParticipantId` (the customer).
    public var participantId: Identifier
    /// `ParticipantToken`.
    public var participantToken: String
    /// `ContinuedFromContactId` (persistent chats only).
    public var continuedFromContactId: Identifier?
}

/// What CreateParticipantConnection returns.
public struct ParticipantConnectionResponse: Sendable, Equatable {
    /// The connection.
    public var connectionId: Identifier
    /// The token of the websocket URL (the API layer builds the URL), if WEBSOCKET was requested.
    public var websocketToken: String?
    /// `Websocket.ConnectionExpiry` (µs).
    public var websocketExpiry: Int64?
    /// `ConnectionCredentials.ConnectionToken`, if CONNECTION_CREDENTIALS was requested.
    public var connectionToken: String?
    /// `ConnectionCredentials.Expiry` (µs).
    public var connectionExpiry: Int64
}

/// A command to the chat engine: one API call or one internal action.
public enum ChatCommand: Sendable, Equatable {
    /// Records the instance this log serves (once; the first command of a new log).
    case configureInstance(instanceId: String, concurrentActiveChats: Int64)
    /// The `Description` of a queue, hours of operation, routing profile or agent status; empty clears it.
    case setResourceDescription(instanceId: String, kind: DescribedResourceKind, resourceId: String, text: String)
    /// `CreateInstance`: the first command of a new instance's log; refused once the log has an instance.
    case createInstance(InstanceSettings)
    /// `StartChatContact`.
    case startChatContact(StartChatContactRequest)
    /// `CreateParticipantConnection` with the ParticipantToken from `X-Amz-Bearer`.
    case createParticipantConnection(participantToken: String, types: [String], connectParticipant: Bool)
    /// A websocket was opened on a connection's URL (sent by the websocket layer).
    case openWebsocket(websocketToken: String, socketId: Identifier)
    /// A websocket closed (sent by the websocket layer).
    case closeWebsocket(websocketToken: String, socketId: Identifier)
    /// `SendMessage` with the ConnectionToken.
    case sendMessage(connectionToken: String, contentType: String, content: String, clientToken: String?)
    /// `SendEvent` with the ConnectionToken.
    case sendEvent(connectionToken: String, contentType: String, content: String?, clientToken: String?)
    /// `DisconnectParticipant` with the ConnectionToken.
    case disconnectParticipant(connectionToken: String, clientToken: String?)
    /// `StopContact`.
    case stopContact(instanceId: String, contactId: String)
    /// `UpdateContactAttributes`.
    case updateContactAttributes(instanceId: String, initialContactId: String, attributes: [String: String])
    /// `UpdateParticipantRoleConfig`; `minutes` nil means `ParticipantTimerAction: Unset`.
    case updateParticipantRoleConfig(instanceId: String, contactId: String, settings: [RoleTimerRequest])
    /// An agent joins the chat (what routing does when an agent accepts it); `agentId` is its user id.
    case joinAgent(contactId: String, displayName: String, agentId: String? = nil)
    /// `CreateParticipant` (a `CUSTOM_BOT`).
    case createParticipant(instanceId: String, contactId: String, role: String, displayName: String)
    /// A flow or the system sends a message (`SYSTEM`, display name `SYSTEM_MESSAGE` or `BOT`).
    case sendSystemMessage(contactId: String, displayName: String, contentType: String, content: String)
    /// Set or clear the disconnect flow (`UpdateContactEventHooks` with `CustomerRemaining`).
    case setDisconnectFlow(contactId: String, flowId: String?)
    /// Fires every deadline due at the command's time (issued by the scheduler).
    case fireDueTimers
    /// `CreateContactFlow`: validates and publishes version 1 (`flowId` nil: a new UUID).
    case createContactFlow(
        instanceId: String,
        flowId: String?,
        name: String,
        type: String,
        description: String,
        content: String
    )
    /// `UpdateContactFlowContent`: validates and publishes the next version; running contacts keep theirs.
    case updateContactFlowContent(instanceId: String, flowId: String, content: String)
    /// `CreateRoutingProfile` (CHAT concurrency, queue configs with priority and delay, default outbound queue).
    case createRoutingProfile(
        instanceId: String,
        routingProfileId: String?,
        name: String,
        chatConcurrency: Int64,
        routeAnyChannel: Bool,
        queueConfigs: [RoutingQueueConfig],
        defaultOutboundQueueId: String
    )
    /// `CreateUser` (an agent): routing profile, CHAT auto-accept and after-contact-work limit.
    case createUser(
        instanceId: String,
        userId: String?,
        username: String,
        routingProfileId: String,
        autoAccept: Bool,
        afterContactWorkSeconds: Int64
    )
    /// `UpdateUserRoutingProfile` / `UpdateUserConfig` (CHAT auto-accept, after-contact-work limit); nil keeps a value.
    case updateUser(
        instanceId: String,
        userId: String,
        routingProfileId: String?,
        autoAccept: Bool?,
        afterContactWorkSeconds: Int64?
    )
    /// `DeleteUser` (refused while the user holds contacts).
    case deleteUser(instanceId: String, userId: String)
    /// `UpdateRoutingProfileConcurrency` / `UpdateRoutingProfileQueues`; nil keeps a value.
    case updateRoutingProfile(
        instanceId: String,
        routingProfileId: String,
        chatConcurrency: Int64?,
        queueConfigs: [RoutingQueueConfig]?
    )
    /// `UpdateQueueStatus`: `ENABLED` or `DISABLED`.
    case updateQueueStatus(instanceId: String, queueId: String, status: String)
    /// `PutUserStatus`: the agent sets a status (ROUTABLE makes it available; any status clears the error state).
    case setAgentStatus(instanceId: String, userId: String, statusId: String)
    /// The agent accepts the chat offered to it.
    case acceptContact(userId: String, contactId: String)
    /// The agent rejects the chat offered to it.
    case rejectContact(userId: String, contactId: String)
    /// The agent clears after-contact work.
    case clearAfterContactWork(userId: String, contactId: String)
    /// `CreateAgentStatus`: ROUTABLE (one, "Available"), CUSTOM or OFFLINE (one).
    case createAgentStatus(instanceId: String, statusId: String?, name: String, type: String, enabled: Bool)
    /// An agent transfers the chat (a quick connect): to a queue or an agent, optionally through a transfer flow.
    case transferContact(connectionToken: String, queueId: String?, agentId: String?, flowId: String?)
    /// Maps a Lambda function name or ARN to the HTTP endpoint Parley calls for InvokeLambdaFunction.
    case registerLambdaFunction(instanceId: String, function: String, url: String)
    /// The effect runner's answer to a `LambdaInvocationRequested`.
    case completeLambdaInvocation(invocationId: Identifier, outcome: LambdaOutcome)
    /// `CreateContactFlowModule`: validates and publishes a flow module (type `MODULE`) for InvokeFlowModule.
    case createContactFlowModule(instanceId: String, moduleId: String?, name: String, content: String)
    /// `CreateQueue` (the minimal form until routing: name and MaxContacts; `queueId` nil: a new UUID).
    case createQueue(instanceId: String, queueId: String?, name: String, maxContacts: Int64)
    /// Creates a built-in bot for ConnectParticipantWithLexBot (`botId` nil: a new UUID); see `BotDefinition`.
    case createBot(instanceId: String, botId: String?, name: String, definition: BotDefinition)
    /// Publishes the next version of a bot (by id, name or alias ARN); running conversations keep theirs.
    case updateBot(instanceId: String, botId: String, definition: BotDefinition)
    /// `CreateHoursOfOperation`: an IANA `TimeZone` and `Config` ranges (`hoursId` nil: a new UUID).
    case createHoursOfOperation(
        instanceId: String,
        hoursId: String?,
        name: String,
        timeZone: String,
        config: [HoursRange]
    )
    /// `UpdateQueueHoursOfOperation`: the hours (id or ARN) CheckHoursOfOperation uses for the queue.
    case updateQueueHoursOfOperation(instanceId: String, queueId: String, hoursId: String)
    /// `UpdateQueueName` / `UpdateQueueMaxContacts`; nil keeps a value.
    case updateQueue(instanceId: String, queueId: String, name: String?, maxContacts: Int64?)
    /// `DeleteQueue` (refused while a routing profile takes it or contacts wait in it).
    case deleteQueue(instanceId: String, queueId: String)
    /// `DeleteRoutingProfile` (refused while a user has it).
    case deleteRoutingProfile(instanceId: String, routingProfileId: String)
    /// `UpdateAgentStatus`: name and state (ENABLED/DISABLED); nil keeps a value.
    case updateAgentStatus(instanceId: String, statusId: String, name: String?, enabled: Bool?)
    /// `UpdateHoursOfOperation`; nil keeps a value.
    case updateHoursOfOperation(
        instanceId: String,
        hoursId: String,
        name: String?,
        timeZone: String?,
        config: [HoursRange]?
    )
    /// `DeleteHoursOfOperation` (refused while a queue uses them).
    case deleteHoursOfOperation(instanceId: String, hoursId: String)
    /// Sets a user's password digest (CreateUser's `Password`; derive it with `PasswordCredential.derive` first).
    case setUserCredential(instanceId: String, userId: String, credential: PasswordCredential)
    /// Opens an agent desktop session once the caller has checked the password against `verified`.
    case agentLogin(instanceId: String, userId: String, verified: PasswordCredential)
    /// Ends an agent desktop session.
    case agentLogout(sessionToken: String)
    /// The agent leaves the chat it is connected to (after-contact work follows).
    case agentDisconnect(userId: String, contactId: String)
    /// The agent transfers the chat it is connected to: to a queue or an agent, optionally through a flow.
    case agentTransfer(userId: String, contactId: String, queueId: String?, agentId: String?, flowId: String?)
}

/// One entry of UpdateParticipantRoleConfig's `ParticipantTimerConfigList`, as sent.
public struct RoleTimerRequest: Sendable, Equatable {
    /// `ParticipantRole`.
    public var role: String
    /// `TimerType`.
    public var timerType: String
    /// `ParticipantTimerDurationInMinutes`; nil with `unset`.
    public var minutes: Int?
    /// `ParticipantTimerAction: "Unset"`.
    public var unset: Bool

    /// Creates an entry.
    public init(role: String, timerType: String, minutes: Int?, unset: Bool = false) {
        self.role = role
        self.timerType = timerType
        self.minutes = minutes
        self.unset = unset
    }
}

/// What the engine answers once a command's events are durable.
public enum ChatReply: Sendable, Equatable {
    /// The instance is configured.
    case configured
    /// StartChatContact (also for an idempotent retry, which records nothing).
    case chatStarted(StartChatContactResponse)
    /// CreateParticipantConnection.
    case connection(ParticipantConnectionResponse)
    /// SendMessage / SendEvent: `Id` and `AbsoluteTime` (µs).
    case sent(id: Identifier, absoluteTime: Int64)
    /// A participant joined (agent or bot): its id and token.
    case participantJoined(participantId: Identifier, participantToken: String)
    /// The command succeeded and returns nothing.
    case done
    /// The timers that fired.
    case timersFired(count: Int)
    /// A flow version was published.
    case flowPublished(flowId: String, version: Int)
    /// A queue was created.
    case queueCreated(queueId: String)
    /// A resource (routing profile, user, agent status) was created.
    case resourceCreated(id: String)
    /// A bot version was published.
    case botPublished(botId: String, version: Int)
    /// Hours of operation were created.
    case hoursOfOperationCreated(hoursId: String)
    /// An agent desktop session opened: its token (shown once; the log keeps only its SHA-256).
    case agentSession(userId: String, sessionToken: String)
}

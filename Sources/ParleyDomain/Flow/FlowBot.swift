/// A contact's conversation with a built-in bot, and the last thing the bot understood (`$.Lex.*`).
public struct BotSession: Sendable, Equatable, Encodable {
    /// The bot.
    public var botId: String
    /// The bot version the conversation uses.
    public var botVersion: Int
    /// The ConnectParticipantWithLexBot block that started it.
    public var action: String
    /// `$.Lex.SessionAttributes.<name>` (the block's `LexSessionAttributes`).
    public var sessionAttributes: [String: String]
    /// `$.Lex.IntentName`: the last intent chosen.
    public var intent: String?
    /// `$.Lex.IntentConfidence.Score`: its confidence, two decimals.
    public var confidence: String?
    /// `$.Lex.Slots.<name>`: the slots filled with the last intent.
    public var slots: [String: String]
}

extension FlowRun {
    /// Folds a step that recorded a bot's classification (`lex.intent`, `lex.confidence`, `lex.slot.<name>`).
    mutating func recordBotResult(_ recorded: [String: String]) {
        guard let intent = recorded["lex.intent"] else { return }
        var session =
            lex
            ?? BotSession(
                botId: recorded["lex.bot"] ?? "",
                botVersion: 0,
                action: "",
                sessionAttributes: [:],
                slots: [:]
            )
        session.intent = intent
        session.confidence = recorded["lex.confidence"]
        session.slots = [:]
        for (key, value) in recorded where key.hasPrefix("lex.slot.") {
            session.slots[String(key.dropFirst("lex.slot.".count))] = value
        }
        lex = session
    }
}

/// ConnectParticipantWithLexBot for chat, with Parley's built-in bot (Bots.swift). Every classification is recorded
/// on the FlowStepped event, so replay never classifies again.
extension Transaction {
    /// The wait event a flow parked in ConnectParticipantWithLexBot listens for.
    static let botInputEvent = "BotInput"
    /// The display name of the bot's messages (they are `SYSTEM` messages, as Lex's are).
    static let botDisplayName = "BOT"

    /// Whether the chat's current contact has a flow waiting for the customer's answer to a bot.
    func botIsListening(_ chat: ChatSession) -> Bool {
        waitEvents(of: chat.currentContactId)?.contains(Self.botInputEvent) == true
    }

    /// The block's bot reference: `LexV2Bot.AliasArn`, else `LexBot.Name`, templated.
    func botReference(_ action: FlowAction, _ contactId: Identifier) -> String {
        let value = action.parameters["LexV2Bot"]?["AliasArn"] ?? action.parameters["LexBot"]?["Name"]
        return value.map { String(template($0, contactId).trimmingWhitespace()) } ?? ""
    }

    /// Runs a ConnectParticipantWithLexBot block: resolves the bot, then classifies the initial message at once or
    /// prompts and waits for the customer's next message.
    mutating func connectBot(_ action: FlowAction, contactId: Identifier) {
        guard let chatId = state.contacts[contactId]?.chatId else { return }
        let reference = botReference(action, contactId)
        guard !reference.isEmpty else {
            fail(contactId, action, "NoMatchingError", reason: "the block names no bot (LexV2Bot.AliasArn is empty)")
            return
        }
        guard let bot = resolveBot(reference), let definition = bot.definition(version: bot.latestVersion) else {
            fail(contactId, action, "NoMatchingError", reason: "bot \(reference.prefix(200)) does not exist")
            return
        }
        var seconds = definition.sessionTimeoutSeconds
        if let value = action.parameters["LexTimeoutSeconds"]?["Text"] {
            guard let resolved = resolveJSON(value, contactId)?.integer, (60...604_800).contains(resolved) else {
                fail(contactId, action, "NoMatchingError", reason: "LexTimeoutSeconds.Text must be 60–604800")
                return
            }
            seconds = resolved
        }
        let initialData = action.parameters["LexInitializationData"] ?? action.parameters["LexInitilizationData"]
        let initial = initialData?["InitialMessage"].map { template($0, contactId) } ?? ""
        guard initial.count <= ContentTypes.maxBotInputCharacters else {
            fail(
                contactId,
                action,
                "NoMatchingError",
                reason: "the initial message is longer than \(ContentTypes.maxBotInputCharacters) characters"
            )
            return
        }
        let prompt = action.parameters["Text"].map { template($0, contactId) } ?? definition.greeting ?? ""
        guard prompt.utf8.count <= ContentTypes.maxContentBytes else {
            fail(contactId, action, "NoMatchingError", reason: "the prompt is longer than 16,384 bytes")
            return
        }
        var attributes: [String: String] = [:]
        for (key, value) in action.parameters["LexSessionAttributes"]?.object ?? [:] {
            attributes[key] = template(value, contactId)
        }
        emit(
            .botSessionStarted(
                BotSessionStarted(
                    contactId: contactId,
                    action: action.identifier,
                    botId: bot.botId,
                    botVersion: Int64(bot.latestVersion),
                    sessionAttributes: attributes
                )
            )
        )
        if !initial.trimmingWhitespace().isEmpty {
            // The bot starts from the customer's initial message: nothing to prompt for, nothing to wait for.
            botAnswers(action, contactId: contactId, input: initial)
            return
        }
        if !prompt.trimmingWhitespace().isEmpty { botMessage(contactId, prompt) }
        park(action, contactId: contactId, chatId: chatId, events: [Self.botInputEvent], seconds: seconds)
    }

    /// The customer answered the bot: classify the message and leave the block by the intent.
    mutating func botInputReceived(_ contactId: Identifier, _ content: String) {
        guard let contact = state.contacts[contactId], let run = contact.flowRun, run.status == .waiting,
            let actionId = run.current, let action = document(of: run)?.actions[actionId],
            action.type == "ConnectParticipantWithLexBot"
        else { return }
        cancelTimer(TimerKey(.flowWait, chat: contact.chatId, participant: contactId))
        botAnswers(action, contactId: contactId, input: content)
        continueFlow(contactId)
    }

    /// Classifies `input` with the conversation's bot version, sends the intent's reply, and branches on the intent
    /// (the step records intent, confidence and slots).
    mutating func botAnswers(_ action: FlowAction, contactId: Identifier, input: String) {
        guard let session = state.contacts[contactId]?.flowRun?.lex,
            let definition = state.bots[session.botId]?.definition(version: session.botVersion)
        else {
            fail(contactId, action, "NoMatchingError", reason: "the conversation's bot no longer exists")
            return
        }
        let result = BotClassifier.classify(input, with: definition)
        var recorded = [
            "lex.bot": session.botId,
            "lex.intent": result.intent,
            "lex.confidence": result.confidenceText,
        ]
        for (name, value) in result.slots { recorded["lex.slot.\(name)"] = value }
        let reply =
            result.isFallback
            ? definition.fallbackReply
            : definition.intents.first { $0.name == result.intent }?.reply
        if let reply {
            var text = reply
            for (name, value) in result.slots { text = text.replacing("{\(name)}", with: value) }
            if text.utf8.count <= ContentTypes.maxContentBytes { botMessage(contactId, text) }
        }
        branch(on: result.intent, action, contactId: contactId, recorded: recorded)
    }

    /// A message from the bot: `SYSTEM` role, display name `BOT`.
    mutating func botMessage(_ contactId: Identifier, _ text: String) {
        guard let contact = state.contacts[contactId] else { return }
        emit(
            .messageSent(
                MessageSent(
                    chatId: contact.chatId,
                    contactId: contactId,
                    participantId: nil,
                    systemDisplayName: Self.botDisplayName,
                    messageId: newId(),
                    contentType: ContentTypes.plainText,
                    content: text,
                    clientToken: nil
                )
            )
        )
    }

    /// `$.Lex.IntentName`, `$.Lex.IntentConfidence.Score`, `$.Lex.Slots.<name>`, `$.Lex.SessionAttributes.<name>`.
    func botLookup(_ path: String, _ contact: ContactRecord) -> String? {
        guard let session = contact.flowRun?.lex else { return nil }
        switch path {
        case "IntentName": return session.intent
        case "IntentConfidence.Score": return session.confidence
        case _ where path.hasPrefix("Slots."): return session.slots[String(path.dropFirst("Slots.".count))]
        case _ where path.hasPrefix("SessionAttributes."):
            return session.sessionAttributes[String(path.dropFirst("SessionAttributes.".count))]
        default: return nil
        }
    }
}

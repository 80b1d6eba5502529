import ParleyDomain
import Testing

/// The built-in bot: definitions as resources, the classifier, and ConnectParticipantWithLexBot in chat flows.
@Suite struct BotTests {
    static let botId = "orders-bot"
    static let aliasArn = "arn:aws:lex:eu-west-1:111122223333:bot-alias/orders-bot/TSTALIASID"

    static let orders = BotDefinition(
        intents: [
            BotIntent(
                name: "CheckOrder",
                utterances: ["where is my order {order}", "track my parcel", "has my package shipped"],
                keywords: ["tracking", "where is my order"],
                slots: [BotSlot(name: "order", type: .number), BotSlot(name: "email", type: .email)],
                reply: "Looking up order {order}."
            ),
            BotIntent(
                name: "Refund",
                utterances: ["I want my money back", "refund my purchase"],
                keywords: ["refund", "money back"],
                slots: [
                    BotSlot(name: "date", type: .date),
                    BotSlot(name: "reason", type: .values(["damaged", "late delivery", "wrong size"])),
                    BotSlot(name: "code", type: .pattern("RMA-[0-9]{4}")),
                ]
            ),
            BotIntent(name: "Agent", utterances: ["talk to a human", "speak with an agent"], keywords: ["agent"]),
        ],
        fallbackReply: "Sorry, I did not get that.",
        greeting: "Hi, I am the orders bot."
    )

    // MARK: - Flows

    /// A flow whose start action is a ConnectParticipantWithLexBot block with `parameters`; each intent in
    /// `intents` branches to a message naming it, and the errors to their own messages. Every branch then queues.
    static func flow(_ parameters: String, intents: [String] = ["CheckOrder", "Refund", "FallbackIntent"]) -> String {
        let conditions = intents.map {
            "{\"NextAction\":\"m-\($0)\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"\($0)\"]}}"
        }
        let bot =
            "{\"Identifier\":\"bot\",\"Type\":\"ConnectParticipantWithLexBot\",\"Parameters\":{\(parameters)},"
            + "\"Transitions\":{\"NextAction\":\"q\",\"Conditions\":[\(conditions.joined(separator: ","))],"
            + "\"Errors\":[{\"ErrorType\":\"InputTimeLimitExceeded\",\"NextAction\":\"m-timeout\"},"
            + "{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"m-nomatch\"},"
            + "{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"m-error\"}]}}"
        let branches = (intents + ["timeout", "nomatch", "error"]).map { name in
            "{\"Identifier\":\"m-\(name)\",\"Type\":\"MessageParticipant\",\"Parameters\":{\"Text\":"
                + "\"branch \(name): $.Lex.IntentName $.Lex.Slots.order $.Lex.Slots.reason\"},"
                + "\"Transitions\":{\"NextAction\":\"q\"}}"
        }
        let queue = [
            "{\"Identifier\":\"q\",\"Type\":\"UpdateContactTargetQueue\",\"Parameters\":{\"QueueId\":\"harness-queue\"},"
                + "\"Transitions\":{\"NextAction\":\"t\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            "{\"Identifier\":\"t\",\"Type\":\"TransferContactToQueue\",\"Parameters\":{},\"Transitions\":{\"NextAction\":\"end\","
                + "\"Errors\":[{\"ErrorType\":\"QueueAtCapacity\",\"NextAction\":\"end\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            "{\"Identifier\":\"end\",\"Type\":\"DisconnectParticipant\",\"Parameters\":{},\"Transitions\":{}}",
        ]
        let actions = ([bot] + branches + queue).joined(separator: ",")
        return "{\"Version\":\"2019-10-30\",\"StartAction\":\"bot\",\"Metadata\":{},\"Actions\":[\(actions)]}"
    }

    static let promptAndWait = "\"Text\":\"How can I help?\",\"LexV2Bot\":{\"AliasArn\":\"\(aliasArn)\"}"

    /// A harness with the orders bot and the flow `content` published as `bot-flow`.
    static func harness(_ content: String, definition: BotDefinition = orders) throws -> ChatHarness {
        var harness = ChatHarness()
        let reply = try harness.must(
            .createBot(instanceId: ChatHarness.instanceId, botId: botId, name: "Orders", definition: definition)
        )
        #expect(reply == .botPublished(botId: botId, version: 1))
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "bot-flow",
                name: "Bot flow",
                type: "CONTACT_FLOW",
                description: "",
                content: content
            )
        )
        return harness
    }

    static func start(
        _ harness: inout ChatHarness,
        initialMessage: String? = nil
    ) throws -> (contactId: Identifier, token: String) {
        let (chat, token) = try harness.startConnectedChat(
            ChatHarness.request {
                $0.contactFlowId = "bot-flow"
                $0.initialMessage = initialMessage.map { .init(contentType: ContentTypes.plainText, content: $0) }
            }
        )
        return (chat.contactId, token)
    }

    /// The ConnectParticipantWithLexBot steps of the log.
    static func botSteps(_ harness: ChatHarness) -> [FlowStepped] {
        harness.log.compactMap { entry -> FlowStepped? in
            if case .flowStepped(let step) = entry.event, step.actionType == "ConnectParticipantWithLexBot" {
                return step
            }
            return nil
        }
    }

    static func systemMessages(_ harness: ChatHarness, _ contactId: Identifier) throws -> [String] {
        try harness.chat(contactId).items.filter { $0.role == .system && $0.type == "MESSAGE" }.compactMap(\.content)
    }

    // MARK: - Classifier

    @Test func keywordsChooseTheIntent() {
        let refund = BotClassifier.classify("REFUND!!! Now.", with: Self.orders)
        #expect(refund.intent == "Refund")
        #expect(refund.confidence >= 0.7)
        #expect(!refund.isFallback)
        #expect(BotClassifier.classify("Let me speak to an agent", with: Self.orders).intent == "Agent")
        #expect(BotClassifier.classify("I need the tracking number", with: Self.orders).intent == "CheckOrder")
    }

    @Test func utterancesChooseTheIntent() {
        let result = BotClassifier.classify("Has the package shipped yet?", with: Self.orders)
        #expect(result.intent == "CheckOrder")
        #expect(result.confidenceText == "0.95")
        #expect(BotClassifier.classify("i would like my money back", with: Self.orders).intent == "Refund")
        #expect(BotClassifier.classify("can I talk with a human", with: Self.orders).intent == "Agent")
    }

    @Test func lowScoresFallBack() {
        let result = BotClassifier.classify("What's the weather like in Lisbon?", with: Self.orders)
        #expect(result.intent == "FallbackIntent")
        #expect(result.isFallback)
        #expect(result.confidence < BotClassifier.threshold)
        #expect(result.slots.isEmpty)
        #expect(BotClassifier.classify("?!", with: Self.orders).intent == "FallbackIntent")
        #expect(BotClassifier.classify("", with: Self.orders).confidenceText == "0.00")
    }

    @Test func slotsAreFilledByType() {
        let order = BotClassifier.classify("Where is my order #12345? Mail me at ana@example.com.", with: Self.orders)
        #expect(order.intent == "CheckOrder")
        #expect(order.slots == ["order": "12345", "email": "ana@example.com"])
        let refund = BotClassifier.classify(
            "Refund please: it came 2024-02-29 with late delivery, ticket rma-0042",
            with: Self.orders
        )
        #expect(refund.intent == "Refund")
        #expect(refund.slots == ["date": "2024-02-29", "reason": "late delivery"])
        let exact = BotClassifier.classify("refund for RMA-0042, DAMAGED on 2023-02-29", with: Self.orders)
        #expect(exact.slots == ["reason": "damaged", "code": "RMA-0042"], "2023-02-29 is not a date")
        // Slots of one type take successive matches.
        let two = [BotSlot(name: "adults", type: .number), BotSlot(name: "children", type: .number)]
        #expect(BotClassifier.fillSlots(two, in: "2 adults and 3 kids") == ["adults": "2", "children": "3"])
        #expect(BotClassifier.fillSlots(two, in: "just -1.5") == ["adults": "-1.5"])
    }

    @Test func classifyingIsDeterministic() {
        let text = "where is my order 77, refund if it is damaged"
        let first = BotClassifier.classify(text, with: Self.orders)
        for _ in 0..<20 { #expect(BotClassifier.classify(text, with: Self.orders) == first) }
        #expect(BotClassifier.tokens("Don't PANIC: refunds, please!") == ["dont", "panic", "refund", "please"])
    }

    // MARK: - Resources

    @Test func definitionsAreValidated() throws {
        var harness = ChatHarness()
        func create(_ definition: BotDefinition, name: String = "Bad") -> ChatCommand {
            .createBot(instanceId: ChatHarness.instanceId, botId: nil, name: name, definition: definition)
        }
        let intent = BotIntent(name: "Hello", keywords: ["hello"])
        let invalid: [BotDefinition] = [
            BotDefinition(intents: []),
            BotDefinition(intents: [intent, intent]),
            BotDefinition(intents: [intent], fallbackIntent: "Hello"),
            BotDefinition(intents: [intent], fallbackIntent: ""),
            BotDefinition(intents: [BotIntent(name: "Empty")]),
            BotDefinition(intents: [BotIntent(name: "Blank", utterances: ["?!"])]),
            BotDefinition(intents: [BotIntent(name: "Bad name!", keywords: ["x"])]),
            BotDefinition(intents: [
                BotIntent(name: "A", keywords: ["a"], slots: [BotSlot(name: "s", type: .values([]))])
            ]),
            BotDefinition(
                intents: [BotIntent(name: "A", keywords: ["a"], slots: [BotSlot(name: "s", type: .pattern("([a-z"))])]
            ),
            BotDefinition(
                intents: [
                    BotIntent(
                        name: "A",
                        keywords: ["a"],
                        slots: [BotSlot(name: "s", type: .number), BotSlot(name: "s", type: .date)]
                    )
                ]
            ),
            BotDefinition(intents: [intent], sessionTimeoutSeconds: 86_401),
            BotDefinition(intents: [intent], sessionTimeoutSeconds: 59),
            BotDefinition(intents: [intent], greeting: "   "),
        ]
        for definition in invalid {
            harness.expectRejected(create(definition), "InvalidParameterException", 400)
        }
        harness.expectRejected(
            create(BotDefinition(intents: [intent]), name: "no spaces"),
            "InvalidParameterException",
            400
        )
        _ = try harness.must(create(BotDefinition(intents: [intent], sessionTimeoutSeconds: 86_400), name: "Good"))
        harness.expectRejected(
            create(BotDefinition(intents: [intent]), name: "Good"),
            "DuplicateResourceException",
            409
        )
        harness.expectRejected(
            .updateBot(instanceId: ChatHarness.instanceId, botId: "nope", definition: Self.orders),
            "ResourceNotFoundException",
            404
        )
        harness.expectRejected(
            .createBot(instanceId: "other", botId: nil, name: "Other", definition: Self.orders),
            "ResourceNotFoundException",
            404
        )
        #expect(try harness.replayMatches())
    }

    @Test func botsArePublishedAsVersionsAndSurviveTheCodec() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        var second = Self.orders
        second.intents[0].slots.append(BotSlot(name: "when", type: .pattern("(?i)today|tomorrow")))
        second.sessionTimeoutSeconds = 600
        second.greeting = nil
        let reply = try harness.must(
            .updateBot(instanceId: ChatHarness.instanceId, botId: "Orders", definition: second)
        )
        #expect(reply == .botPublished(botId: Self.botId, version: 2))
        let bot = try #require(harness.state.bots[Self.botId])
        #expect(bot.latestVersion == 2)
        #expect(bot.definition(version: 1) == Self.orders)
        #expect(bot.definition(version: 2) == second)
        let published = BotPublished(botId: "b", botName: "B", version: 2, definition: second)
        let (tag, payload) = ChatEvent.botPublished(published).encoded()
        #expect(tag == 0x0130)
        #expect(try ChatEventCatalogue.decode(tag: tag, payload: payload) == .botPublished(published))
        #expect(ChatEventCatalogue.name(ofTag: 0x0131) == "BotSessionStarted")
        #expect(try harness.replayMatches())
    }

    // MARK: - Running the block

    @Test func promptWaitsThenTheIntentPicksTheBranch() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, token) = try Self.start(&harness)
        let run = try #require(try harness.contact(contactId).flowRun)
        #expect(run.status == .waiting)
        #expect(run.waitEvents == ["BotInput"])
        #expect(run.lex?.botId == Self.botId)
        #expect(try Self.systemMessages(harness, contactId) == ["How can I help?"])

        try harness.send(token, "My parcel with order 4711 never arrived, where is my order?")
        #expect(
            try Self.systemMessages(harness, contactId) == [
                "How can I help?", "Looking up order 4711.", "branch CheckOrder: CheckOrder 4711 ",
            ]
        )
        let step = try #require(Self.botSteps(harness).last)
        #expect(step.branch == "Condition")
        #expect(step.result == "CheckOrder")
        #expect(step.next == "m-CheckOrder")
        #expect(step.recorded["lex.intent"] == "CheckOrder")
        #expect(step.recorded["lex.slot.order"] == "4711")
        #expect(step.recorded["lex.confidence"] != nil)
        let lex = try #require(try harness.contact(contactId).flowRun?.lex)
        #expect(lex.intent == "CheckOrder")
        #expect(lex.slots == ["order": "4711"])
        #expect(try harness.contact(contactId).queued?.queueId == ChatHarness.queueId)
        let timer = TimerKey(.flowWait, chat: contactId, participant: contactId)
        #expect(harness.state.timers[timer] == nil, "the answer cancels the chat timeout")
        #expect(try harness.replayMatches())
    }

    @Test func slotsReachTheFlowAndTheFallbackHasItsBranch() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, token) = try Self.start(&harness)
        try harness.send(token, "Is it going to rain tomorrow?")
        #expect(
            try Self.systemMessages(harness, contactId).suffix(2) == [
                "Sorry, I did not get that.", "branch FallbackIntent: FallbackIntent  ",
            ]
        )
        #expect(Self.botSteps(harness).last?.result == "FallbackIntent")

        var second = try Self.harness(Self.flow(Self.promptAndWait))
        let (other, otherToken) = try Self.start(&second)
        try second.send(otherToken, "I want a refund, it arrived damaged")
        #expect(try Self.systemMessages(second, other).last == "branch Refund: Refund  damaged")
        #expect(Self.botSteps(second).last?.recorded["lex.slot.reason"] == "damaged")
        #expect(try harness.replayMatches())
        #expect(try second.replayMatches())
    }

    @Test func anIntentWithoutAConditionIsNoMatchingCondition() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, token) = try Self.start(&harness)
        try harness.send(token, "Please let me talk to an agent")
        let step = try #require(Self.botSteps(harness).last)
        #expect(step.branch == "Error:NoMatchingCondition")
        #expect(step.result == "Agent")
        #expect(step.next == "m-nomatch")
        #expect(step.recorded["lex.intent"] == "Agent")
        #expect(try Self.systemMessages(harness, contactId).last == "branch nomatch: Agent  ")
        #expect(try harness.replayMatches())
    }

    @Test func theChatTimeoutTakesInputTimeLimitExceeded() throws {
        // Without LexTimeoutSeconds the bot's session timeout (5 minutes) applies.
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, _) = try Self.start(&harness)
        let key = TimerKey(.flowWait, chat: contactId, participant: contactId)
        let deadline = try #require(harness.state.timers[key])
        let parked = try #require(harness.log.last { if case .flowWaitStarted = $0.event { true } else { false } })
        let waited = deadline - parked.timestamp
        #expect(waited > 300 * Duration.second - 100 && waited <= 300 * Duration.second)
        harness.now = deadline
        #expect(harness.fireTimers() == 1)
        let step = try #require(Self.botSteps(harness).last)
        #expect(step.branch == "Error:InputTimeLimitExceeded")
        #expect(step.next == "m-timeout")
        #expect(try Self.systemMessages(harness, contactId).last == "branch timeout:   ")

        // LexTimeoutSeconds.Text overrides it.
        var custom = try Self.harness(
            Self.flow(Self.promptAndWait + ",\"LexTimeoutSeconds\":{\"Text\":\"120\"}")
        )
        let (other, _) = try Self.start(&custom)
        let otherDeadline = try #require(custom.state.timers[TimerKey(.flowWait, chat: other, participant: other)])
        let otherParked = try #require(custom.log.last { if case .flowWaitStarted = $0.event { true } else { false } })
        let wait = otherDeadline - otherParked.timestamp
        #expect(wait <= 120 * Duration.second && wait > 120 * Duration.second - 100)
        #expect(try harness.replayMatches())
        #expect(try custom.replayMatches())
    }

    @Test func messagesToTheBotAreLimitedTo1024Characters() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, token) = try Self.start(&harness)
        let tooLong = ChatCommand.sendMessage(
            connectionToken: token,
            contentType: ContentTypes.plainText,
            content: String(repeating: "é", count: 1_025),
            clientToken: nil
        )
        harness.expectRejected(tooLong, "ValidationException", 400)
        #expect(try harness.contact(contactId).flowRun?.status == .waiting)
        try harness.send(token, String(repeating: "é", count: 1_024))
        #expect(Self.botSteps(harness).last?.result == "FallbackIntent")
        // The bot no longer listens: the usual 16 KiB limit applies again.
        try harness.send(token, String(repeating: "a", count: 2_000))
        #expect(try harness.replayMatches())
    }

    @Test func anUnknownOrEmptyBotTakesTheErrorBranch() throws {
        var harness = try Self.harness(
            Self.flow("\"Text\":\"Hi\",\"LexV2Bot\":{\"AliasArn\":\"arn:aws:lex:eu-west-1:1:bot-alias/NOPE/ALIAS\"}")
        )
        let (contactId, _) = try Self.start(&harness)
        let step = try #require(Self.botSteps(harness).last)
        #expect(step.branch == "Error:NoMatchingError")
        #expect(step.next == "m-error")
        #expect(step.recorded["reason"] == "bot arn:aws:lex:eu-west-1:1:bot-alias/NOPE/ALIAS does not exist")
        #expect(try Self.systemMessages(harness, contactId) == ["branch error:   "], "no prompt without a bot")

        var empty = try Self.harness(Self.flow("\"LexV2Bot\":{\"AliasArn\":\"\"}"))
        _ = try Self.start(&empty)
        #expect(Self.botSteps(empty).last?.recorded["reason"]?.contains("names no bot") == true)
        #expect(try harness.replayMatches())
        #expect(try empty.replayMatches())
    }

    @Test func botsResolveByNameIdAndJSONPath() throws {
        // Lex V1 by name, no Text: the bot's greeting is the prompt.
        var byName = try Self.harness(Self.flow("\"LexBot\":{\"Name\":\"Orders\",\"Region\":\"eu-west-1\"}"))
        let (contactId, _) = try Self.start(&byName)
        #expect(try Self.systemMessages(byName, contactId) == ["Hi, I am the orders bot."])
        #expect(try byName.contact(contactId).flowRun?.lex?.botId == Self.botId)
        // An alias ARN held in a contact attribute.
        var byPath = try Self.harness(Self.flow("\"LexV2Bot\":{\"AliasArn\":\"$.Attributes.bot\"}"))
        let (chat, _) = try byPath.startConnectedChat(
            ChatHarness.request {
                $0.contactFlowId = "bot-flow"
                $0.attributes = ["bot": Self.aliasArn]
            }
        )
        #expect(try byPath.contact(chat.contactId).flowRun?.waitEvents == ["BotInput"])
        #expect(try byName.replayMatches())
        #expect(try byPath.replayMatches())
    }

    @Test func theBotPromptIsASystemMessageFromBOT() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (_, token) = try Self.start(&harness)
        let page = try harness.transcript(token, TranscriptRequest(maxResults: 100))
        let prompt = try #require(page.items.first { $0.content == "How can I help?" })
        #expect(prompt.participantRole == "SYSTEM")
        #expect(prompt.displayName == "BOT")
        #expect(prompt.type == "MESSAGE")
        #expect(prompt.participantId == nil)
        #expect(try harness.replayMatches())
    }

    @Test func theInitialMessageIsClassifiedWithoutWaiting() throws {
        let parameters =
            Self.promptAndWait + ",\"LexInitializationData\":{\"InitialMessage\":\"$.Media.InitialMessage\"}"
        var harness = try Self.harness(Self.flow(parameters))
        let (contactId, _) = try Self.start(&harness, initialMessage: "I need a refund for order 12")
        let step = try #require(Self.botSteps(harness).last)
        #expect(step.result == "Refund")
        #expect(step.recorded["lex.intent"] == "Refund")
        #expect(!harness.log.contains { if case .flowWaitStarted = $0.event { true } else { false } })
        #expect(try Self.systemMessages(harness, contactId) == ["branch Refund: Refund  "], "no prompt")

        // A block whose InitialMessage resolves to nothing prompts and waits as usual.
        var waiting = try Self.harness(Self.flow(parameters))
        let (other, _) = try Self.start(&waiting)
        #expect(try waiting.contact(other).flowRun?.status == .waiting)
        #expect(try harness.replayMatches())
        #expect(try waiting.replayMatches())
    }

    @Test func theClassificationIsRecordedAndNeverRedone() throws {
        var harness = try Self.harness(Self.flow(Self.promptAndWait))
        let (contactId, token) = try Self.start(&harness)
        // A new version while the customer is typing: the conversation keeps version 1.
        var renamed = Self.orders
        renamed.intents[1].name = "MoneyBack"
        _ = try harness.must(.updateBot(instanceId: ChatHarness.instanceId, botId: Self.aliasArn, definition: renamed))
        try harness.send(token, "refund my purchase please")
        #expect(Self.botSteps(harness).last?.result == "Refund")
        #expect(try harness.contact(contactId).flowRun?.lex?.botVersion == 1)
        // The intent is in the log; replay folds it instead of classifying (version 2 would say MoneyBack).
        let recorded = harness.log.contains {
            if case .flowStepped(let step) = $0.event { step.recorded["lex.intent"] == "Refund" } else { false }
        }
        #expect(recorded)
        let replayed = try harness.replayed()
        #expect(replayed.contacts[contactId]?.flowRun?.lex?.intent == "Refund")
        #expect(BotClassifier.classify("refund my purchase please", with: renamed).intent == "MoneyBack")
        #expect(try harness.replayMatches())
    }
}

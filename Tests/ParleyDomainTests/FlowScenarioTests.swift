import Foundation
import ParleyDomain
import Testing

/// The seed scenario of the flow engine, on Parley's sample flows: an inbound flow sets the disconnect flow and
/// queues the chat; an agent takes it, asks "Are you there?" and leaves; the disconnect flow prompts and waits.
@Suite struct FlowScenarioTests {
    struct Scene {
        var harness: ChatHarness
        var first: Identifier
        var second: Identifier
        var customer: String
    }

    /// Runs the scenario up to the moment the disconnect flow waits.
    static func untilTheAgentLeaves(
        duration: Int? = nil,
        attributes: [String: String] = [:],
        talk: Int64 = 10 * Duration.minute
    ) throws -> Scene {
        var harness = ChatHarness()
        for command in SampleFlows.setup(instanceId: ChatHarness.instanceId) { _ = try harness.must(command) }
        let (chat, customer) = try harness.startConnectedChat(
            ChatHarness.request {
                $0.contactFlowId = SampleFlows.inboundId
                $0.chatDurationInMinutes = duration
                $0.attributes = attributes
            }
        )
        let contact = try harness.contact(chat.contactId)
        #expect(contact.queued?.queueId == SampleFlows.queueId)
        #expect(contact.flowRun?.status == .ended)
        #expect(try harness.chat(chat.contactId).disconnectFlowId == SampleFlows.disconnectId)
        let greeting = try harness.chat(chat.contactId).items.first { $0.role == .system }
        #expect(greeting?.content == "Thanks for contacting us. An agent will be with you shortly.")

        guard
            case .participantJoined(_, let agentToken) = try harness.must(
                .joinAgent(contactId: chat.contactId.description, displayName: "Sam", agentId: "agent-sam")
            )
        else { throw HarnessError("no agent") }
        let agent = try harness.connect(agentToken).connectionToken!
        #expect(try harness.contact(chat.contactId).queued == nil)
        #expect(try harness.contact(chat.contactId).agentId == "agent-sam")
        try harness.send(customer, "My parcel is late")
        try harness.send(agent, "Let me check. What is the order number?")
        harness.advance(talk)
        try harness.send(agent, "Are you there?")
        _ = try harness.must(.disconnectParticipant(connectionToken: agent, clientToken: nil))

        let session = try harness.chat(chat.contactId)
        #expect(session.status == .active)
        #expect(session.contactIds.count == 2)
        let second = session.currentContactId
        let segment = try harness.contact(second)
        #expect(segment.initiationMethod == .disconnect)
        #expect(segment.previousContactId == chat.contactId)
        #expect(try harness.contact(chat.contactId).nextContactId == second)
        #expect(try harness.contact(chat.contactId).disconnectReason == .agentDisconnect)
        #expect(segment.flowRun?.flowId == SampleFlows.disconnectId)
        #expect(segment.flowRun?.status == .waiting)
        #expect(session.items.last?.content == "The agent has left the chat. Write within 15 minutes to continue.")
        #expect(harness.state.timers[TimerKey(.flowWait, chat: chat.contactId, participant: second)] != nil)
        return Scene(harness: harness, first: chat.contactId, second: second, customer: customer)
    }

    @Test func customerReturnsAndTheChatGoesBackToThePreviousAgent() throws {
        var scene = try Self.untilTheAgentLeaves()
        scene.harness.advance(5 * Duration.minute)
        try scene.harness.send(scene.customer, "Hey, I'm back")
        let segment = try scene.harness.contact(scene.second)
        #expect(segment.targetQueue == "agent/agent-sam")
        #expect(segment.queued?.queueId == "agent/agent-sam")
        #expect(try scene.harness.chat(scene.first).status == .active)
        #expect(scene.harness.state.timers[TimerKey(.flowWait, chat: scene.first, participant: scene.second)] == nil)
        let steps = scene.harness.log.compactMap { entry -> String? in
            if case .flowStepped(let step) = entry.event, step.contactId == scene.second { return step.branch }
            return nil
        }
        #expect(steps == ["Next", "CustomerReturned", "Error:NoMatchingCondition", "Next", "Success"])
        // The previous agent takes it back in the same segment.
        _ = try scene.harness.must(
            .joinAgent(contactId: scene.second.description, displayName: "Sam", agentId: "agent-sam")
        )
        #expect(try scene.harness.contact(scene.second).queued == nil)
        #expect(try scene.harness.replayMatches())
    }

    @Test func customerReturnsToThePreviousQueueWhenConfigured() throws {
        var scene = try Self.untilTheAgentLeaves(attributes: ["returnTo": "queue"])
        try scene.harness.send(scene.customer, "Hey, I'm back")
        #expect(try scene.harness.contact(scene.second).queued?.queueId == SampleFlows.queueId)
        #expect(try scene.harness.replayMatches())
    }

    @Test func theWaitTimesOutAndTheFlowDisconnects() throws {
        var scene = try Self.untilTheAgentLeaves()
        let key = TimerKey(.flowWait, chat: scene.first, participant: scene.second)
        let deadline = try #require(scene.harness.state.timers[key])
        let waitStarted = scene.harness.log.last { if case .flowWaitStarted = $0.event { true } else { false } }
        let sinceWait = deadline - (waitStarted?.timestamp ?? 0)
        #expect(sinceWait <= 15 * Duration.minute && sinceWait > 15 * Duration.minute - 100, "900 s from the Wait")
        scene.harness.now = deadline - 1
        #expect(scene.harness.fireTimers() == 0)
        scene.harness.now = deadline
        #expect(scene.harness.fireTimers() == 1)
        let session = try scene.harness.chat(scene.first)
        #expect(session.status == .ended)
        #expect(session.endReason == .contactFlowDisconnect)
        #expect(try scene.harness.contact(scene.second).disconnectReason == .contactFlowDisconnect)
        #expect(try scene.harness.contact(scene.first).disconnectReason == .agentDisconnect)
        #expect(try scene.harness.replayMatches())
    }

    @Test func aWaitLongerThanTheRemainingDurationEndsAtTheCeiling() throws {
        // A one-hour chat whose agent leaves after 50 minutes: the 15-minute Wait would outlive the chat.
        var scene = try Self.untilTheAgentLeaves(duration: 60, talk: 50 * Duration.minute)
        let ceiling = try #require(scene.harness.state.timers[TimerKey(.chatCeiling, chat: scene.first)])
        scene.harness.now = ceiling
        #expect(scene.harness.fireTimers() == 1)
        let session = try scene.harness.chat(scene.first)
        #expect(session.endReason == .expired)
        #expect(session.endedAt == ceiling)
        #expect(scene.harness.state.timers.isEmpty, "the Wait's timeout went with the chat")
        #expect(try scene.harness.contact(scene.second).disconnectReason == .expired)
        #expect(try scene.harness.replayMatches())
    }
}

/// Flow actions one by one, on small flows.
@Suite struct FlowActionTests {
    static func flow(_ actions: String, start: String = "a") -> String {
        "{\"Version\":\"2019-10-30\",\"StartAction\":\"\(start)\",\"Metadata\":{},\"Actions\":[\(actions)]}"
    }

    static let end = "{\"Identifier\":\"end\",\"Type\":\"DisconnectParticipant\",\"Parameters\":{},\"Transitions\":{}}"
    static let queue =
        "{\"Identifier\":\"q\",\"Type\":\"UpdateContactTargetQueue\",\"Parameters\":{\"QueueId\":\"harness-queue\"},"
        + "\"Transitions\":{\"NextAction\":\"t\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}},"
        + "{\"Identifier\":\"t\",\"Type\":\"TransferContactToQueue\",\"Parameters\":{},"
        + "\"Transitions\":{\"NextAction\":\"end\",\"Errors\":[{\"ErrorType\":\"QueueAtCapacity\",\"NextAction\":\"end\"},"
        + "{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}"

    static func message(_ id: String, _ text: String, next: String) -> String {
        "{\"Identifier\":\"\(id)\",\"Type\":\"MessageParticipant\",\"Parameters\":{\"Text\":\"\(text)\"},"
            + "\"Transitions\":{\"NextAction\":\"\(next)\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}"
    }

    /// Publishes `content` as flow `id` and starts a chat through it.
    static func run(
        _ content: String,
        attributes: [String: String] = [:],
        harness: inout ChatHarness
    ) throws -> Identifier {
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "under-test",
                name: "Under test \(harness.log.count)",
                type: "CONTACT_FLOW",
                description: "",
                content: content
            )
        )
        return try harness.startChat(
            ChatHarness.request {
                $0.contactFlowId = "under-test"
                $0.attributes = attributes
            }
        ).contactId
    }

    static func systemMessages(_ harness: ChatHarness, _ contactId: Identifier) throws -> [String] {
        try harness.chat(contactId).items.filter { $0.role == .system && $0.type == "MESSAGE" }.compactMap(\.content)
    }

    @Test func templatingComparisonAndFlowAttributes() throws {
        var harness = ChatHarness()
        let content = Self.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"UpdateFlowAttributes\",\"Parameters\":{\"FlowAttributes\":"
                    + "{\"greeting\":{\"Value\":\"Hello $.Attributes.name\"}}},\"Transitions\":{\"NextAction\":\"b\"}}",
                Self.message("b", "$.FlowAttributes.greeting, tier $.Attributes.tier on $.Channel.", next: "c"),
                "{\"Identifier\":\"c\",\"Type\":\"Compare\",\"Parameters\":{\"ComparisonValue\":\"$.Attributes.tier\"},"
                    + "\"Transitions\":{\"NextAction\":\"end\",\"Conditions\":["
                    + "{\"NextAction\":\"gold\",\"Condition\":{\"Operator\":\"TextStartsWith\",\"Operands\":[\"go\"]}},"
                    + "{\"NextAction\":\"end\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"gold\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"end\"}]}}",
                Self.message("gold", "Gold service", next: "q"), Self.queue, Self.end,
            ].joined(separator: ",")
        )
        let contactId = try Self.run(content, attributes: ["name": "Ana", "tier": "gold"], harness: &harness)
        #expect(try Self.systemMessages(harness, contactId) == ["Hello Ana, tier gold on CHAT.", "Gold service"])
        #expect(try harness.contact(contactId).flowRun?.flowAttributes["greeting"] == "Hello Ana")
        #expect(try harness.contact(contactId).queued != nil)
        #expect(try harness.replayMatches())
    }

    @Test func numberOperatorsAndNoMatchingCondition() {
        #expect(FlowOperators.holds("NumberGreaterThan", "10", "9"))
        #expect(!FlowOperators.holds("NumberGreaterThan", "9", "10"))
        #expect(FlowOperators.holds("NumberGreaterOrEqualTo", "10", "10"))
        #expect(FlowOperators.holds("NumberLessThan", "2.5", "3"))
        #expect(FlowOperators.holds("NumberLessOrEqualTo", "3", "3.0"))
        #expect(!FlowOperators.holds("NumberLessThan", "abc", "3"))
        #expect(FlowOperators.holds("TextContains", "hello world", "lo w"))
        #expect(FlowOperators.holds("TextEndsWith", "hello", "llo"))
        #expect(!FlowOperators.holds("Equals", "Gold", "gold"))
    }

    @Test func loopRunsItsCountThenDone() throws {
        var harness = ChatHarness()
        let content = Self.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"Loop\",\"Parameters\":{\"LoopCount\":\"3\"},\"Transitions\":{\"Conditions\":["
                    + "{\"NextAction\":\"m\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"ContinueLooping\"]}},"
                    + "{\"NextAction\":\"q\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"DoneLooping\"]}}]}}",
                Self.message("m", "tick", next: "a"), Self.queue, Self.end,
            ].joined(separator: ",")
        )
        let contactId = try Self.run(content, harness: &harness)
        #expect(try Self.systemMessages(harness, contactId) == ["tick", "tick", "tick"])
        #expect(try harness.contact(contactId).flowRun?.loopCounters.isEmpty == true, "the loop resets when done")
        #expect(try harness.replayMatches())
    }

    @Test func distributeByPercentageRecordsItsDraw() throws {
        var harness = ChatHarness()
        let content = Self.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"DistributeByPercentage\",\"Parameters\":{},\"Transitions\":{\"NextAction\":\"end\","
                    + "\"Conditions\":[{\"NextAction\":\"low\",\"Condition\":{\"Operator\":\"NumberLessThan\",\"Operands\":[\"51\"]}},"
                    + "{\"NextAction\":\"high\",\"Condition\":{\"Operator\":\"NumberLessThan\",\"Operands\":[\"101\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"end\"}]}}",
                Self.message("low", "low", next: "q"), Self.message("high", "high", next: "q"), Self.queue, Self.end,
            ].joined(separator: ",")
        )
        var lows = 0
        _ = try Self.run(content, harness: &harness)
        for _ in 0..<40 {
            let contactId = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId
            let draw = harness.log.reversed().compactMap { entry -> Int? in
                if case .flowStepped(let step) = entry.event, step.contactId == contactId,
                    step.actionType == "DistributeByPercentage"
                {
                    return Int(step.recorded["draw"] ?? "")
                }
                return nil
            }.first
            let drawn = try #require(draw)
            #expect((1...100).contains(drawn))
            #expect(try Self.systemMessages(harness, contactId) == [drawn < 51 ? "low" : "high"])
            if drawn < 51 { lows += 1 }
            _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: contactId.description))
        }
        #expect(lows > 5 && lows < 35, "both branches are taken")
        #expect(try harness.replayMatches())
    }

    @Test func transferToFlowQueueAtCapacityAndVoiceOnlyBlocks() throws {
        var harness = ChatHarness()
        _ = try harness.must(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: "tiny", name: "Tiny", maxContacts: 1)
        )
        let second = Self.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"UpdateContactTargetQueue\",\"Parameters\":{\"QueueId\":\"arn:aws:connect:eu-west-1:1:instance/x/queue/tiny\"},"
                    + "\"Transitions\":{\"NextAction\":\"t\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                "{\"Identifier\":\"t\",\"Type\":\"TransferContactToQueue\",\"Parameters\":{},"
                    + "\"Transitions\":{\"NextAction\":\"end\",\"Errors\":[{\"ErrorType\":\"QueueAtCapacity\",\"NextAction\":\"full\"},"
                    + "{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                Self.message("full", "We are busy", next: "end"), Self.end,
            ].joined(separator: ",")
        )
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "second",
                name: "Second",
                type: "CONTACT_FLOW",
                description: "",
                content: second
            )
        )
        let content = Self.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"TransferContactToAgent\",\"Parameters\":{},"
                    + "\"Transitions\":{\"NextAction\":\"b\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"b\"}]}}",
                "{\"Identifier\":\"b\",\"Type\":\"TransferToFlow\",\"Parameters\":{\"ContactFlowId\":\"arn:aws:connect:x:1:instance/y/contact-flow/second\"},"
                    + "\"Transitions\":{\"NextAction\":\"end\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                Self.end,
            ].joined(separator: ",")
        )
        let first = try Self.run(content, harness: &harness)
        #expect(try harness.contact(first).queued?.queueId == "tiny")
        #expect(try harness.contact(first).flowRun?.flowId == "second")
        let voice = harness.log.compactMap { entry -> FlowStepped? in
            if case .flowStepped(let step) = entry.event, step.actionType == "TransferContactToAgent" { return step }
            return nil
        }
        #expect(voice.first?.branch == "Error:NoMatchingError")
        #expect(voice.first?.recorded["reason"]?.contains("voice") == true)
        // The queue holds one contact: the next chat takes the QueueAtCapacity branch and is disconnected.
        let busy = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId
        #expect(try Self.systemMessages(harness, busy) == ["We are busy"])
        #expect(try harness.chat(busy).endReason == .contactFlowDisconnect)
        #expect(try harness.replayMatches())
    }

    @Test func aRunningContactKeepsItsFlowVersion() throws {
        var harness = ChatHarness()
        let waiting = Self.flow(
            [
                Self.message("a", "version one", next: "w"),
                "{\"Identifier\":\"w\",\"Type\":\"Wait\",\"Parameters\":{\"TimeoutSeconds\":\"60\",\"Events\":[\"CustomerReturned\"]},"
                    + "\"Transitions\":{\"Conditions\":[{\"NextAction\":\"after\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"CustomerReturned\"]}},"
                    + "{\"NextAction\":\"after\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"WaitCompleted\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                Self.message("after", "still version one", next: "q"), Self.queue, Self.end,
            ].joined(separator: ",")
        )
        let contactId = try Self.run(waiting, harness: &harness)
        #expect(try harness.contact(contactId).flowRun?.status == .waiting)
        let reply = try harness.must(
            .updateContactFlowContent(
                instanceId: ChatHarness.instanceId,
                flowId: "under-test",
                content: waiting.replacingOccurrences(of: "version one", with: "version two")
            )
        )
        #expect(reply == .flowPublished(flowId: "under-test", version: 2))
        harness.now = try #require(harness.state.timers[TimerKey(.flowWait, chat: contactId, participant: contactId)])
        #expect(harness.fireTimers() == 1)
        #expect(try Self.systemMessages(harness, contactId) == ["version one", "still version one"])
        #expect(try harness.contact(contactId).flowRun?.version == 1)
        let next = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" }).contactId
        #expect(try Self.systemMessages(harness, next) == ["version two"])
        #expect(try harness.replayMatches())
    }

    @Test func flowResourcesRejectBadInputWithoutWriting() throws {
        var harness = ChatHarness()
        harness.expectRejected(
            .startChatContact(ChatHarness.request { $0.contactFlowId = "no-such-flow" }),
            "ResourceNotFoundException",
            404
        )
        harness.expectRejected(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: nil,
                name: "Broken",
                type: "CONTACT_FLOW",
                description: "",
                content: Self.flow(Self.message("a", "hi", next: "nowhere"))
            ),
            "InvalidContactFlowException",
            400
        )
        harness.expectRejected(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: nil,
                name: "Harness inbound",
                type: "CONTACT_FLOW",
                description: "",
                content: ChatHarness.queueingFlow
            ),
            "DuplicateResourceException",
            409
        )
        harness.expectRejected(
            .updateContactFlowContent(
                instanceId: ChatHarness.instanceId,
                flowId: "missing",
                content: ChatHarness.queueingFlow
            ),
            "ResourceNotFoundException",
            404
        )
        let flows = ChatQueries.listContactFlows(in: harness.state)
        #expect(flows.map(\.flowId).contains(ChatHarness.flowId))
        #expect(flows.map(\.name) == flows.map(\.name).sorted())
        let described = try ChatQueries.describeContactFlow(
            instanceId: ChatHarness.instanceId,
            flowId: "arn:aws:connect:x:1:instance/y/contact-flow/\(ChatHarness.flowId)",
            in: harness.state
        )
        #expect(described.contents.last == ChatHarness.queueingFlow)
    }
}

/// GetParticipantInput, flow modules, and every corpus flow that loads, run end to end.
@Suite struct FlowRuntimeTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/flows")

    static let inputFlow = FlowActionTests.flow(
        [
            "{\"Identifier\":\"a\",\"Type\":\"GetParticipantInput\",\"Parameters\":{\"Text\":\"Press 1 for sales, 2 for billing\","
                + "\"StoreInput\":\"True\",\"InputTimeLimitSeconds\":\"30\"},\"Transitions\":{\"NextAction\":\"other\","
                + "\"Conditions\":[{\"NextAction\":\"sales\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"1\"]}},"
                + "{\"NextAction\":\"billing\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"2\"]}}],"
                + "\"Errors\":[{\"ErrorType\":\"InputTimeLimitExceeded\",\"NextAction\":\"timeout\"},"
                + "{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"other\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            FlowActionTests.message("sales", "Sales it is ($.StoredCustomerInput)", next: "q"),
            FlowActionTests.message("billing", "Billing", next: "q"),
            FlowActionTests.message("other", "Sorry, I did not get that", next: "end"),
            FlowActionTests.message("timeout", "No answer", next: "end"),
            FlowActionTests.queue, FlowActionTests.end,
        ].joined(separator: ",")
    )

    @Test(arguments: [("1", ["Sales it is (1)"]), (" 2 ", ["Billing"]), ("7", ["Sorry, I did not get that"])])
    func getParticipantInputMatchesTheReply(reply: String, expected: [String]) throws {
        var harness = ChatHarness()
        let contactId = try FlowActionTests.run(Self.inputFlow, harness: &harness)
        #expect(try harness.contact(contactId).flowRun?.status == .waiting)
        let token = try harness.connect(
            try harness.chat(contactId).participants.values.first { $0.role == .customer }!.participantToken
        )
        try harness.send(token.connectionToken!, reply)
        let messages = try FlowActionTests.systemMessages(harness, contactId)
        #expect(messages == ["Press 1 for sales, 2 for billing"] + expected)
        #expect(try harness.replayMatches())
    }

    @Test func getParticipantInputTimesOut() throws {
        var harness = ChatHarness()
        let contactId = try FlowActionTests.run(Self.inputFlow, harness: &harness)
        harness.now = try #require(harness.state.timers[TimerKey(.flowWait, chat: contactId, participant: contactId)])
        #expect(harness.fireTimers() == 1)
        #expect(try FlowActionTests.systemMessages(harness, contactId).last == "No answer")
        #expect(try harness.chat(contactId).endReason == .contactFlowDisconnect)
        #expect(try harness.replayMatches())
    }

    @Test func flowModulesRunAndReturnToTheCaller() throws {
        var harness = ChatHarness()
        let module = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"UpdateFlowAttributes\",\"Parameters\":{\"FlowAttributes\":{\"fromModule\":{\"Value\":\"yes\"}}},"
                    + "\"Transitions\":{\"NextAction\":\"m\"}}",
                "{\"Identifier\":\"m\",\"Type\":\"MessageParticipant\",\"Parameters\":{\"Text\":\"inside the module\"},"
                    + "\"Transitions\":{\"NextAction\":\"done\"}}",
                "{\"Identifier\":\"done\",\"Type\":\"EndFlowModuleExecution\",\"Parameters\":{},\"Transitions\":{}}",
            ].joined(separator: ",")
        )
        _ = try harness.must(
            .createContactFlowModule(
                instanceId: ChatHarness.instanceId,
                moduleId: "mod-1",
                name: "Module",
                content: module
            )
        )
        let main = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"InvokeFlowModule\",\"Parameters\":{\"FlowModuleId\":\"mod-1\"},"
                    + "\"Transitions\":{\"NextAction\":\"after\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.message("after", "back in main: $.FlowAttributes.fromModule", next: "missing-module"),
                "{\"Identifier\":\"missing-module\",\"Type\":\"InvokeFlowModule\",\"Parameters\":{\"FlowModuleId\":\"nope\"},"
                    + "\"Transitions\":{\"NextAction\":\"q\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"q\"}]}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        let contactId = try FlowActionTests.run(main, harness: &harness)
        #expect(try FlowActionTests.systemMessages(harness, contactId) == ["inside the module", "back in main: yes"])
        let run = try #require(try harness.contact(contactId).flowRun)
        #expect(run.flowId == "under-test")
        #expect(run.callStack.isEmpty)
        #expect(try harness.contact(contactId).queued != nil, "a missing module takes the Error branch")
        #expect(try harness.replayMatches())
    }

    /// Every corpus flow that loads also runs: a chat goes through it (the customer answers "1" to any prompt),
    /// time passes until the chat is over, and replay reproduces it. Resources the exports name (their queues,
    /// Lambdas, bots, modules) do not exist here, so those blocks take their Error branches, with the reason recorded.
    @Test func everyLoadableCorpusFlowRuns() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter {
            $0.hasSuffix(".json")
        }.sorted()
        #expect(files.count >= 10)
        var ran = 0
        for file in files {
            let text = try String(contentsOf: Self.corpus.appendingPathComponent(file), encoding: .utf8)
            guard (try? FlowDocument.parse(text)) != nil else { continue }
            var harness = ChatHarness()
            _ = try harness.must(
                .createContactFlow(
                    instanceId: ChatHarness.instanceId,
                    flowId: "corpus",
                    name: file,
                    type: "CONTACT_FLOW",
                    description: "",
                    content: text
                )
            )
            let chat = try harness.startChat(ChatHarness.request { $0.contactFlowId = "corpus" })
            if try harness.chat(chat.contactId).status == .active {
                let connection = try harness.connect(chat.participantToken)
                if try harness.chat(chat.contactId).status == .active {
                    _ = harness.run(
                        .sendMessage(
                            connectionToken: connection.connectionToken!,
                            contentType: ContentTypes.plainText,
                            content: "1",
                            clientToken: nil
                        )
                    )
                }
            }
            for _ in 0..<8 {
                harness.advance(Duration.day + Duration.hour)
                harness.fireTimers()
            }
            let steps = harness.log.compactMap { entry -> FlowStepped? in
                if case .flowStepped(let step) = entry.event { return step }
                return nil
            }
            #expect(!steps.isEmpty, "\(file): the flow ran no action")
            #expect(!steps.contains { $0.recorded["reason"] == "no such action" }, "\(file): a transition led nowhere")
            #expect(try harness.chat(chat.contactId).status == .ended, "\(file): the chat outlived its ceiling")
            #expect(try harness.replayMatches(), "\(file): replay differs")
            ran += 1
        }
        #expect(ran == 9)
    }
}

/// Flow logs and queue metrics in flows.
@Suite struct FlowLogAndMetricTests {
    @Test func flowLogsRecordTheStepsWhileLoggingIsOn() throws {
        var harness = ChatHarness()
        let content = FlowActionTests.flow(
            [
                FlowActionTests.message("a", "before logging", next: "on"),
                "{\"Identifier\":\"on\",\"Type\":\"UpdateFlowLoggingBehavior\",\"Parameters\":{\"FlowLoggingBehavior\":\"Enabled\"},"
                    + "\"Transitions\":{\"NextAction\":\"b\"}}",
                FlowActionTests.message("b", "logged", next: "off"),
                "{\"Identifier\":\"off\",\"Type\":\"UpdateFlowLoggingBehavior\",\"Parameters\":{\"FlowLoggingBehavior\":\"Disabled\"},"
                    + "\"Transitions\":{\"NextAction\":\"q\"}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        let contactId = try FlowActionTests.run(content, harness: &harness)
        let log = try ChatQueries.flowLogs(
            instanceId: ChatHarness.instanceId,
            contactId: contactId.description,
            in: harness.state
        )
        #expect(log.map(\.action) == ["on", "b"])
        #expect(log.map(\.actionType) == ["UpdateFlowLoggingBehavior", "MessageParticipant"])
        #expect(log.allSatisfy { $0.flowId == "under-test" && $0.version == 1 })
        #expect(throws: ChatError.self) {
            try ChatQueries.flowLogs(instanceId: ChatHarness.instanceId, contactId: "nope", in: harness.state)
        }
        #expect(try harness.replayMatches())
    }

    @Test func queueMetricsFeedConditionsAndFlowData() throws {
        var harness = ChatHarness()
        let content = FlowActionTests.flow(
            [
                "{\"Identifier\":\"a\",\"Type\":\"GetMetricData\",\"Parameters\":{\"QueueId\":\"harness-queue\"},"
                    + "\"Transitions\":{\"NextAction\":\"say\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.message("say", "$.Metrics.Queue.ContactsInQueue ahead of you", next: "check"),
                "{\"Identifier\":\"check\",\"Type\":\"CheckMetricData\",\"Parameters\":{\"MetricType\":\"NumberOfContactsInQueue\",\"QueueId\":\"harness-queue\"},"
                    + "\"Transitions\":{\"NextAction\":\"q\",\"Conditions\":[{\"NextAction\":\"busy\",\"Condition\":{\"Operator\":\"NumberGreaterOrEqualTo\",\"Operands\":[\"2\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"q\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.message("busy", "We are busy", next: "q"),
                "{\"Identifier\":\"staff\",\"Type\":\"CheckMetricData\",\"Parameters\":{\"MetricType\":\"NumberOfAgentsAvailable\"},"
                    + "\"Transitions\":{\"NextAction\":\"q\",\"Conditions\":[{\"NextAction\":\"q\",\"Condition\":{\"Operator\":\"NumberGreaterThan\",\"Operands\":[\"0\"]}}],"
                    + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
                FlowActionTests.queue, FlowActionTests.end,
            ].joined(separator: ",")
        )
        var messages: [[String]] = []
        _ = try FlowActionTests.run(content, harness: &harness)
        for _ in 0..<2 {
            let chat = try harness.startChat(ChatHarness.request { $0.contactFlowId = "under-test" })
            messages.append(try FlowActionTests.systemMessages(harness, chat.contactId))
        }
        #expect(messages == [["1 ahead of you"], ["2 ahead of you", "We are busy"]])
        #expect(try harness.replayMatches())
    }
}

/// Customer-queue flows: messages while the customer waits, a queue-to-queue transfer, and the stop when an agent
/// takes the contact.
@Suite struct CustomerQueueFlowTests {
    static let queueFlow = FlowActionTests.flow(
        [
            "{\"Identifier\":\"a\",\"Type\":\"MessageParticipantIteratively\",\"Parameters\":{\"Messages\":["
                + "{\"Text\":\"Still waiting for an agent\"},{\"Text\":\"Thanks for your patience\"}],\"InterruptFrequencySeconds\":\"60\"},"
                + "\"Transitions\":{\"NextAction\":\"check\",\"Conditions\":[{\"NextAction\":\"check\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"MessagesInterrupted\"]}}],"
                + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"stop\"}]}}",
            "{\"Identifier\":\"check\",\"Type\":\"CheckMetricData\",\"Parameters\":{\"MetricType\":\"OldestContactInQueueAgeSeconds\"},"
                + "\"Transitions\":{\"NextAction\":\"a\",\"Conditions\":[{\"NextAction\":\"move\",\"Condition\":{\"Operator\":\"NumberGreaterThan\",\"Operands\":[\"150\"]}}],"
                + "\"Errors\":[{\"ErrorType\":\"NoMatchingCondition\",\"NextAction\":\"a\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"stop\"}]}}",
            "{\"Identifier\":\"move\",\"Type\":\"DequeueContactAndTransferToQueue\",\"Parameters\":{\"QueueId\":\"overflow\"},"
                + "\"Transitions\":{\"NextAction\":\"stop\",\"Errors\":[{\"ErrorType\":\"QueueAtCapacity\",\"NextAction\":\"a\"},{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"stop\"}]}}",
            "{\"Identifier\":\"stop\",\"Type\":\"EndFlowExecution\",\"Parameters\":{},\"Transitions\":{}}",
        ].joined(separator: ",")
    )

    static let inbound = FlowActionTests.flow(
        [
            "{\"Identifier\":\"a\",\"Type\":\"UpdateContactEventHooks\",\"Parameters\":{\"EventHooks\":{\"CustomerQueue\":\"queue-flow\"}},"
                + "\"Transitions\":{\"NextAction\":\"q\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            FlowActionTests.queue, FlowActionTests.end,
        ].joined(separator: ",")
    )

    static func setUp() throws -> (ChatHarness, StartChatContactResponse) {
        var harness = ChatHarness()
        _ = try harness.must(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: "overflow", name: "Overflow", maxContacts: 0)
        )
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "queue-flow",
                name: "Queue flow",
                type: "CUSTOMER_QUEUE",
                description: "",
                content: queueFlow
            )
        )
        _ = try FlowActionTests.run(inbound, harness: &harness)
        let chat = try harness.startConnectedChat(ChatHarness.request { $0.contactFlowId = "under-test" }).chat
        return (harness, chat)
    }

    static func fireWait(_ harness: inout ChatHarness, _ contact: Identifier, _ chat: Identifier) throws {
        harness.now = try #require(harness.state.timers[TimerKey(.flowWait, chat: chat, participant: contact)])
        // The chat FlowActionTests.run started waits in the same queue, so its deadline may fall due too.
        #expect(harness.fireTimers() >= 1)
    }

    @Test func messagesRotateAndALongWaitMovesTheContactToAnotherQueue() throws {
        var (harness, chat) = try Self.setUp()
        let contact = chat.contactId
        #expect(try harness.contact(contact).queued?.queueId == ChatHarness.queueId)
        #expect(try FlowActionTests.systemMessages(harness, contact) == ["Still waiting for an agent"])
        try Self.fireWait(&harness, contact, contact)
        try Self.fireWait(&harness, contact, contact)
        #expect(
            try FlowActionTests.systemMessages(harness, contact)
                == ["Still waiting for an agent", "Thanks for your patience", "Still waiting for an agent"]
        )
        try Self.fireWait(&harness, contact, contact)  // waited 180 s > 150 s: queue transfer
        let session = try harness.chat(contact)
        #expect(session.contactIds.count == 2)
        let segment = try harness.contact(session.currentContactId)
        #expect(segment.initiationMethod == .queueTransfer)
        #expect(segment.previousContactId == contact)
        #expect(segment.queued?.queueId == "overflow")
        #expect(segment.flowRun?.flowId == "queue-flow", "the queue flow goes on in the new segment")
        #expect(try harness.contact(contact).status == .ended)
        #expect(try harness.replayMatches())
    }

    @Test func anAgentTakingTheContactStopsTheQueueFlow() throws {
        var (harness, chat) = try Self.setUp()
        let contact = chat.contactId
        #expect(try harness.contact(contact).flowRun?.status == .waiting)
        _ = try harness.must(.joinAgent(contactId: contact.description, displayName: "Sam", agentId: "agent-sam"))
        #expect(try harness.contact(contact).flowRun?.status == .ended)
        #expect(harness.state.timers[TimerKey(.flowWait, chat: contact, participant: contact)] == nil)
        #expect(try harness.contact(contact).queued == nil)
        harness.advance(Duration.hour)
        harness.fireTimers()
        #expect(try FlowActionTests.systemMessages(harness, contact) == ["Still waiting for an agent"])
        #expect(try harness.chat(contact).status == .active)
        #expect(try harness.replayMatches())
    }
}

/// Agent transfers: TRANSFER segments, transfer flows, transfer.succeeded / transfer.failed.
@Suite struct TransferTests {
    static func chatWithAgent() throws -> (ChatHarness, Identifier, customer: String, agent: String) {
        var harness = ChatHarness()
        let (chat, customer) = try harness.startConnectedChat()
        let (_, agent) = try harness.joinAgent(chat.contactId)
        return (harness, chat.contactId, customer, agent)
    }

    static func eventItems(_ harness: ChatHarness, _ chat: Identifier) throws -> [String] {
        try harness.chat(chat).items.filter { $0.type == "EVENT" }.map(\.contentType)
    }

    @Test func aTransferToAQueueStartsATransferSegment() throws {
        var (harness, chat, customer, agent) = try Self.chatWithAgent()
        _ = try harness.must(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: "billing", name: "Billing", maxContacts: 0)
        )
        _ = try harness.must(.transferContact(connectionToken: agent, queueId: "billing", agentId: nil, flowId: nil))
        let session = try harness.chat(chat)
        #expect(session.status == .active)
        #expect(session.contactIds.count == 2)
        let segment = try harness.contact(session.currentContactId)
        #expect(segment.initiationMethod == .transfer)
        #expect(segment.previousContactId == chat)
        #expect(segment.queued?.queueId == "billing")
        #expect(try harness.contact(chat).status == .ended)
        #expect(
            try Self.eventItems(harness, chat).suffix(2) == [
                ContentTypes.participantLeft, ContentTypes.transferSucceeded,
            ]
        )
        try harness.send(customer, "Hello billing?")
        #expect(try harness.chat(chat).items.last?.contactId == session.currentContactId)
        // The transcript still shows everything (the next agent sees the earlier messages).
        _ = try harness.must(
            .joinAgent(contactId: session.currentContactId.description, displayName: "Bea", agentId: "agent-bea")
        )
        #expect(try harness.contact(session.currentContactId).agentId == "agent-bea")
        #expect(try harness.replayMatches())
    }

    @Test func aTransferFlowDecidesWhereTheChatGoes() throws {
        var (harness, chat, _, agent) = try Self.chatWithAgent()
        let transferFlow = FlowActionTests.flow(
            [
                FlowActionTests.message("a", "Transferring you now", next: "q"), FlowActionTests.queue,
                FlowActionTests.end,
            ]
            .joined(separator: ",")
        )
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: "to-queue",
                name: "Transfer to queue",
                type: "QUEUE_TRANSFER",
                description: "",
                content: transferFlow
            )
        )
        _ = try harness.must(
            .transferContact(connectionToken: agent, queueId: nil, agentId: "agent-bea", flowId: "to-queue")
        )
        let segment = try harness.contact(try harness.chat(chat).currentContactId)
        #expect(segment.flowRun?.flowId == "to-queue")
        #expect(segment.queued?.queueId == ChatHarness.queueId, "the flow set its own working queue")
        #expect(try FlowActionTests.systemMessages(harness, chat) == ["Transferring you now"])
        #expect(try harness.replayMatches())
    }

    @Test func aFullQueueFailsTheTransferAndTheAgentStays() throws {
        var (harness, chat, customer, agent) = try Self.chatWithAgent()
        _ = try harness.must(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: "none", name: "None", maxContacts: 1)
        )
        let other = try harness.startChat()
        _ = try harness.must(
            .transferContact(
                connectionToken: try harness.joinAgent(other.contactId).1,
                queueId: "none",
                agentId: nil,
                flowId: nil
            )
        )
        _ = try harness.must(.transferContact(connectionToken: agent, queueId: "none", agentId: nil, flowId: nil))
        #expect(try harness.chat(chat).contactIds.count == 1)
        #expect(try Self.eventItems(harness, chat).last == ContentTypes.transferFailed)
        try harness.send(agent, "Sorry, billing is busy")
        harness.expectRejected(
            .transferContact(connectionToken: customer, queueId: "none", agentId: nil, flowId: nil),
            "AccessDeniedException",
            403
        )
        harness.expectRejected(
            .transferContact(connectionToken: agent, queueId: "missing", agentId: nil, flowId: nil),
            "ResourceNotFoundException",
            404
        )
        harness.expectRejected(
            .transferContact(connectionToken: agent, queueId: "none", agentId: "x", flowId: nil),
            "InvalidParameterException",
            400
        )
        #expect(try harness.replayMatches())
    }
}

@Suite struct BotParticipantWaitTests {
    static let flow = FlowActionTests.flow(
        [
            "{\"Identifier\":\"a\",\"Type\":\"Wait\",\"Parameters\":{\"TimeoutSeconds\":\"600\",\"Events\":[\"CustomerReturned\"]},"
                + "\"Transitions\":{\"Conditions\":["
                + "{\"NextAction\":\"b\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"CustomerReturned\"]}},"
                + "{\"NextAction\":\"b\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"WaitCompleted\"]}}],"
                + "\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            "{\"Identifier\":\"b\",\"Type\":\"Wait\",\"Parameters\":{\"TimeoutSeconds\":\"600\",\"Events\":[\"BotParticipantDisconnected\"]},"
                + "\"Transitions\":{\"Conditions\":["
                + "{\"NextAction\":\"gone\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"BotParticipantDisconnected\"]}},"
                + "{\"NextAction\":\"end\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"WaitCompleted\"]}}],"
                + "\"Errors\":[{\"ErrorType\":\"ParticipantNotFound\",\"NextAction\":\"nobot\"},"
                + "{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}",
            FlowActionTests.message("gone", "The assistant left", next: "q"),
            FlowActionTests.message("nobot", "No assistant", next: "q"),
            FlowActionTests.queue, FlowActionTests.end,
        ].joined(separator: ",")
    )

    /// Runs the flow: the customer's first message moves it to the bot-mode Wait.
    static func start(withBot: Bool) throws -> (ChatHarness, Identifier, bot: String?) {
        var harness = ChatHarness()
        let contactId = try FlowActionTests.run(flow, harness: &harness)
        let customer = try harness.connect(try harness.chat(contactId).participants.values.first!.participantToken)
        var bot: String?
        if withBot {
            guard
                case .participantJoined(_, let token) = try harness.must(
                    .createParticipant(
                        instanceId: ChatHarness.instanceId,
                        contactId: contactId.description,
                        role: "CUSTOM_BOT",
                        displayName: "Assistant"
                    )
                )
            else { throw HarnessError("no bot") }
            bot = try harness.connect(token).connectionToken
        }
        try harness.send(customer.connectionToken!, "hello")
        return (harness, contactId, bot)
    }

    @Test func theBotLeavingTakesBotParticipantDisconnected() throws {
        var (harness, contactId, bot) = try Self.start(withBot: true)
        #expect(try harness.contact(contactId).flowRun?.waitEvents == ["BotParticipantDisconnected"])
        _ = try harness.must(.disconnectParticipant(connectionToken: bot!, clientToken: nil))
        #expect(try FlowActionTests.systemMessages(harness, contactId) == ["The assistant left"])
        #expect(try harness.contact(contactId).queued != nil)
        #expect(try harness.replayMatches())
    }

    @Test func withoutABotTheWaitTakesParticipantNotFound() throws {
        let (harness, contactId, _) = try Self.start(withBot: false)
        #expect(try FlowActionTests.systemMessages(harness, contactId) == ["No assistant"])
        #expect(try harness.replayMatches())
    }
}

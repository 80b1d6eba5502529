/// Running flows inside `decide`. Every step is recorded as events (FlowStepped plus whatever the action does);
/// replay re-applies them and never re-runs a flow.
extension Transaction {
    /// The most actions one command may run before the flow must have parked (a guard against flows that loop
    /// without waiting).
    static let flowStepLimit = 500

    /// Starts `flowId` (a published version) for the contact and runs it until it waits, ends or leaves the chat.
    mutating func runFlow(_ flowId: String, version: Int, contactId: Identifier) {
        emit(.flowStarted(FlowStarted(contactId: contactId, flowId: flowId, version: Int64(version))))
        continueFlow(contactId)
    }

    /// The events the contact's flow is parked waiting for, or nil unless its run is waiting. Read where the contact
    /// lies (`TieredSlot.withPointer`), in one lookup: a customer's every message asks this, and a chain of stored
    /// properties (`contacts[id]?.flowRun?.status`) copied the record's optional run, twice.
    func waitEvents(of contactId: Identifier) -> [String]? {
        state.contacts[slot: contactId]?.withPointer { contact -> [String]? in
            switch contact.pointee.flowRun?.status {
            case .waiting?: contact.pointee.flowRun?.waitEvents
            default: nil
            }
        } ?? nil
    }

    /// A customer message: a flow parked in a Wait that listens for `CustomerReturned` takes that branch, and one
    /// waiting in GetParticipantInput takes the message as the input.
    mutating func customerMessage(_ chatId: Identifier, _ content: String) {
        guard let contactId = state.chats[chatId]?.currentContactId, let waitEvents = waitEvents(of: contactId)
        else { return }
        if waitEvents.contains("CustomerReturned") {
            waitEnded(contactId, event: "CustomerReturned")
        } else if waitEvents.contains("ParticipantInput") {
            inputReceived(contactId, content)
        } else if waitEvents.contains(Self.botInputEvent) {
            botInputReceived(contactId, content)
        }
    }

    /// The custom bot left: a Wait listening for `BotParticipantDisconnected` takes that branch.
    mutating func botParticipantLeft(_ chatId: Identifier) {
        guard let contactId = state.chats[chatId]?.currentContactId,
            waitEvents(of: contactId)?.contains("BotParticipantDisconnected") == true
        else { return }
        waitEnded(contactId, event: "BotParticipantDisconnected")
    }

    /// GetParticipantInput got the customer's reply: match it against the conditions.
    mutating func inputReceived(_ contactId: Identifier, _ content: String) {
        guard let contact = state.contacts[contactId], let run = contact.flowRun, let actionId = run.current,
            let action = document(of: run)?.actions[actionId]
        else { return }
        cancelTimer(TimerKey(.flowWait, chat: contact.chatId, participant: contactId))
        let input = content.trimmingWhitespace()
        var recorded: [String: String] = [:]
        if action.parameters["StoreInput"]?.text.lowercased() == "true" {
            recorded["flow.$StoredCustomerInput"] = String(input)
        }
        branch(on: String(input), action, contactId: contactId, recorded: recorded)
        continueFlow(contactId)
    }

    /// Leaves the Wait the contact's flow is parked in through the branch for `event` (`WaitCompleted` on timeout).
    mutating func waitEnded(_ contactId: Identifier, event: String) {
        guard let contact = state.contacts[contactId], let run = contact.flowRun, run.status == .waiting,
            let actionId = run.current, let action = document(of: run)?.actions[actionId]
        else { return }
        if event != "WaitCompleted" { cancelTimer(TimerKey(.flowWait, chat: contact.chatId, participant: contactId)) }
        if action.type == "InvokeLambdaFunction" {
            let pending = state.pendingInvocations.first {
                $0.value.contactId == contactId && $0.value.action == actionId
            }
            var recorded = ["reason": "no response within InvocationTimeLimitSeconds"]
            if let pending { recorded["lambda.invocation"] = pending.key.description }
            step(
                contactId,
                action,
                branch: "Error:NoMatchingError",
                next: action.errorTarget("NoMatchingError"),
                recorded: recorded
            )
            continueFlow(contactId)
            return
        }
        if action.type == "MessageParticipantIteratively" {
            messagesInterrupted(action, contactId: contactId, run: run)
            continueFlow(contactId)
            return
        }
        if action.type == "GetParticipantInput" || action.type == "ConnectParticipantWithLexBot" {
            fail(contactId, action, "InputTimeLimitExceeded", reason: "no reply within the input time limit")
            continueFlow(contactId)
            return
        }
        let target = action.conditions.first { $0.op == "Equals" && $0.operands.first == event }?.next
        step(contactId, action, branch: event, result: event, next: target ?? action.errorTarget("NoMatchingError"))
        continueFlow(contactId)
    }

    /// Parks the flow at `action` until one of `events` or the `flowWait` deadline `seconds` from now.
    mutating func park(
        _ action: FlowAction,
        contactId: Identifier,
        chatId: Identifier,
        events: [String],
        seconds: Int64
    ) {
        emit(.flowWaitStarted(FlowWaitStarted(contactId: contactId, action: action.identifier, events: events)))
        let key = TimerKey(.flowWait, chat: chatId, participant: contactId)
        emit(.timerArmed(TimerArmed(key: key, deadline: now + seconds * Duration.second)))
    }

    /// Withdraws a deadline if it is open.
    mutating func cancelTimer(_ key: TimerKey) {
        if state.timers[key] != nil { emit(.timerCancelled(TimerCancelled(key: key))) }
    }

    func document(of run: FlowRun) -> FlowDocument? {
        state.flows[run.flowId]?.document(version: run.version)
    }

    mutating func step(
        _ contactId: Identifier,
        _ action: FlowAction,
        branch: String,
        result: String? = nil,
        next: String?,
        recorded: [String: String] = [:]
    ) {
        emit(
            .flowStepped(
                FlowStepped(
                    contactId: contactId,
                    action: action.identifier,
                    actionType: action.type,
                    branch: branch,
                    result: result,
                    next: next,
                    recorded: recorded
                )
            )
        )
    }

    /// Takes the action's error branch `errorType` (falling back to `NoMatchingError`), recording why.
    mutating func fail(_ contactId: Identifier, _ action: FlowAction, _ errorType: String, reason: String) {
        let target = action.errorTarget(errorType) ?? action.errorTarget("NoMatchingError")
        step(contactId, action, branch: "Error:\(errorType)", next: target, recorded: ["reason": reason])
    }

    /// Runs actions while the contact's flow is running and its chat goes on.
    mutating func continueFlow(_ contactId: Identifier) {
        var executed = 0
        while let contact = state.contacts[contactId], let chat = state.chats[contact.chatId], chat.status == .active,
            chat.currentContactId == contactId, let run = contact.flowRun, run.status == .running,
            let actionId = run.current
        {
            guard let action = document(of: run)?.actions[actionId] else {
                let missing = FlowAction(identifier: actionId, type: "Unknown")
                step(
                    contactId,
                    missing,
                    branch: "Error:NoMatchingError",
                    next: nil,
                    recorded: ["reason": "no such action"]
                )
                break
            }
            guard executed < Self.flowStepLimit else {
                fail(contactId, action, "StepLimit", reason: "more than \(Self.flowStepLimit) actions without waiting")
                endChat(chat.chatId, .contactFlowDisconnect, at: now)
                return
            }
            executed += 1
            execute(action, contactId: contactId, run: run)
        }
        // An inbound or disconnect flow that ends without handing the contact to a queue or an agent disconnects it.
        guard let contact = state.contacts[contactId], let chat = state.chats[contact.chatId], chat.status == .active,
            chat.currentContactId == contactId, contact.flowRun?.status == .ended, contact.queued == nil,
            !chat.hasPresentParticipant({ $0 == .agent })
        else { return }
        endChat(chat.chatId, .contactFlowDisconnect, at: now)
    }

    // MARK: - Actions

    mutating func execute(_ action: FlowAction, contactId: Identifier, run: FlowRun) {
        switch action.type {
        case "MessageParticipant":
            guard let text = action.parameters["Text"].map({ template($0, contactId) }), !text.isEmpty else {
                fail(contactId, action, "NoMatchingError", reason: "chat supports Text prompts only")
                return
            }
            guard text.utf8.count <= ContentTypes.maxContentBytes else {
                fail(contactId, action, "NoMatchingError", reason: "the prompt is longer than 16,384 bytes")
                return
            }
            systemMessage(contactId, text)
            step(contactId, action, branch: "Next", next: action.next)
        case "Wait":
            startWait(action, contactId: contactId)
        case "UpdateContactEventHooks":
            updateEventHooks(action, contactId: contactId)
        case "UpdateContactTargetQueue":
            updateTargetQueue(action, contactId: contactId)
        case "TransferContactToQueue":
            transferToQueue(action, contactId: contactId)
        case "UpdateContactAttributes":
            updateAttributes(action, contactId: contactId)
        case "UpdateFlowAttributes":
            var recorded: [String: String] = [:]
            for (name, value) in action.parameters["FlowAttributes"]?.object ?? [:] {
                let raw = value["Value"] ?? value
                recorded["flow.\(name)"] = template(raw, contactId)
            }
            step(contactId, action, branch: "Next", next: action.next, recorded: recorded)
        case "Compare":
            let value = action.parameters["ComparisonValue"].map { template($0, contactId) } ?? ""
            branch(on: value, action, contactId: contactId)
        case "DisconnectParticipant":
            step(contactId, action, branch: "End", next: nil)
            if let chatId = state.contacts[contactId]?.chatId { endChat(chatId, .contactFlowDisconnect, at: now) }
        case "EndFlowExecution":
            step(contactId, action, branch: "End", next: nil)
        case "EndFlowModuleExecution":
            if let frame = run.callStack.last {
                step(
                    contactId,
                    action,
                    branch: "Return",
                    result: frame.flowId,
                    next: frame.returnTo,
                    recorded: ["return": "1"]
                )
            } else {
                step(contactId, action, branch: "End", next: nil)
            }
        case "InvokeFlowModule":
            let reference = action.parameters["FlowModuleId"].map { template($0, contactId) } ?? ""
            guard let module = resolveFlow(reference), let document = module.document(version: module.latestVersion),
                !document.startAction.isEmpty
            else {
                fail(contactId, action, "NoMatchingError", reason: "flow module \(reference) does not exist")
                return
            }
            guard run.callStack.count < 10 else {
                fail(contactId, action, "NoMatchingError", reason: "flow modules nest more than 10 deep")
                return
            }
            var recorded = ["call.flow": module.flowId, "call.version": String(module.latestVersion)]
            if let next = action.next { recorded["call.return"] = next }
            step(
                contactId,
                action,
                branch: "Next",
                result: module.flowId,
                next: document.startAction,
                recorded: recorded
            )
        case "MessageParticipantIteratively":
            messageIteratively(action, contactId: contactId, run: run)
        case "DequeueContactAndTransferToQueue":
            dequeueAndTransfer(action, contactId: contactId)
        case "CheckMetricData":
            checkMetricData(action, contactId: contactId)
        case "GetMetricData":
            getMetricData(action, contactId: contactId)
        case "InvokeLambdaFunction":
            invokeLambda(action, contactId: contactId)
        case "CheckHoursOfOperation":
            checkHoursOfOperation(action, contactId: contactId)
        case "ConnectParticipantWithLexBot":
            connectBot(action, contactId: contactId)
        case "GetParticipantInput":
            guard let prompt = action.parameters["Text"].map({ template($0, contactId) }), !prompt.isEmpty else {
                fail(contactId, action, "NoMatchingError", reason: "chat needs a Text prompt")
                return
            }
            let seconds =
                action.parameters["InputTimeLimitSeconds"].flatMap { resolveJSON($0, contactId)?.integer } ?? 5
            guard (1...604_800).contains(seconds), let chatId = state.contacts[contactId]?.chatId else {
                fail(contactId, action, "NoMatchingError", reason: "InputTimeLimitSeconds must be 1–604800")
                return
            }
            systemMessage(contactId, prompt)
            park(action, contactId: contactId, chatId: chatId, events: ["ParticipantInput"], seconds: seconds)
        case "TransferToFlow":
            let reference = action.parameters["ContactFlowId"].map { template($0, contactId) } ?? ""
            guard let flow = resolveFlow(reference) else {
                fail(contactId, action, "NoMatchingError", reason: "flow \(reference) does not exist")
                return
            }
            step(contactId, action, branch: "Next", result: flow.flowId, next: nil)
            runFlow(flow.flowId, version: flow.latestVersion, contactId: contactId)
        case "Loop":
            let count = action.parameters["LoopCount"].flatMap { resolveJSON($0, contactId)?.integer } ?? 0
            let done = run.loopCounters[action.identifier] ?? 0
            if done < count {
                let target = condition(action, "ContinueLooping")
                step(contactId, action, branch: "ContinueLooping", next: target, recorded: ["loop": String(done + 1)])
            } else {
                let target = condition(action, "DoneLooping")
                step(contactId, action, branch: "DoneLooping", next: target, recorded: ["loopReset": "1"])
            }
        case "DistributeByPercentage":
            let draw = Int64(newId().low % 100) + 1
            branch(on: String(draw), action, contactId: contactId, recorded: ["draw": String(draw)])
        case "UpdateContactRoutingBehavior":
            var recorded: [String: String] = [:]
            for key in ["QueuePriority", "QueueTimeAdjustmentSeconds"] {
                if let value = action.parameters[key] { recorded["routing.\(key)"] = template(value, contactId) }
            }
            step(contactId, action, branch: "Next", next: action.next, recorded: recorded)
        case "UpdateFlowLoggingBehavior":
            let enabled = action.parameters["FlowLoggingBehavior"]?.string ?? "Enabled"
            step(contactId, action, branch: "Next", next: action.next, recorded: ["flow.$logging": enabled])
        case "UpdateContactRecordingBehavior", "UpdateContactTextToSpeechVoice", "UpdateContactData":
            // No audio in chat, and contact data (name, description) is kept with the step for the record.
            var recorded: [String: String] = [:]
            for (key, value) in action.parameters { recorded["param.\(key)"] = value.text }
            step(contactId, action, branch: "Next", next: action.next, recorded: recorded)
        default:
            let reason =
                FlowActionTypes.voiceOnly.contains(action.type)
                ? "\(action.type) is for voice contacts only"
                : "\(action.type) is not supported for chat yet"
            fail(contactId, action, "NoMatchingError", reason: reason)
        }
    }

    /// The next action of the first condition `value` satisfies, or NoMatchingCondition.
    mutating func branch(
        on value: String,
        _ action: FlowAction,
        contactId: Identifier,
        recorded: [String: String] = [:]
    ) {
        for condition in action.conditions
        where FlowOperators.holds(condition.op, value, condition.operands.first ?? "") {
            step(contactId, action, branch: "Condition", result: value, next: condition.next, recorded: recorded)
            return
        }
        let target = action.errorTarget("NoMatchingCondition") ?? action.errorTarget("NoMatchingError")
        var noted = recorded
        noted["reason"] = "no condition matched \(value.prefix(100))"
        step(contactId, action, branch: "Error:NoMatchingCondition", result: value, next: target, recorded: noted)
    }

    func condition(_ action: FlowAction, _ value: String) -> String? {
        action.conditions.first { $0.op == "Equals" && $0.operands.first == value }?.next
    }

    mutating func systemMessage(_ contactId: Identifier, _ text: String) {
        guard let contact = state.contacts[contactId] else { return }
        emit(
            .messageSent(
                MessageSent(
                    chatId: contact.chatId,
                    contactId: contactId,
                    participantId: nil,
                    systemDisplayName: "SYSTEM_MESSAGE",
                    messageId: newId(),
                    contentType: ContentTypes.plainText,
                    content: text,
                    clientToken: nil
                )
            )
        )
    }

    mutating func startWait(_ action: FlowAction, contactId: Identifier) {
        guard let contact = state.contacts[contactId] else { return }
        let limit = action.parameters["TimeoutSeconds"] ?? action.parameters["TimeLimitSeconds"]
        let seconds = limit.flatMap { resolveJSON($0, contactId)?.integer }
        guard let seconds, (1...604_800).contains(seconds) else {
            fail(contactId, action, "NoMatchingError", reason: "TimeoutSeconds must be 1–604800")
            return
        }
        let events = (action.parameters["Events"]?.array ?? []).compactMap(\.string)
        if events.contains("BotParticipantDisconnected"),
            state.chats[contact.chatId]?.hasPresentParticipant({ $0 == .customBot }) != true
        {
            fail(contactId, action, "ParticipantNotFound", reason: "no custom bot participant to wait for")
            return
        }
        park(action, contactId: contactId, chatId: contact.chatId, events: events, seconds: seconds)
    }

    mutating func updateEventHooks(_ action: FlowAction, contactId: Identifier) {
        guard let hooks = action.parameters["EventHooks"]?.object, hooks.count == 1, let (hook, value) = hooks.first,
            let chatId = state.contacts[contactId]?.chatId
        else {
            fail(contactId, action, "NoMatchingError", reason: "EventHooks must have exactly one entry")
            return
        }
        let reference = template(value, contactId)
        switch hook {
        case "CustomerRemaining":
            guard let flow = resolveFlow(reference) else {
                fail(contactId, action, "NoMatchingError", reason: "flow \(reference) does not exist")
                return
            }
            if state.chats[chatId]?.disconnectFlowId != flow.flowId {
                emit(.eventHooksUpdated(EventHooksUpdated(chatId: chatId, customerRemainingFlowId: flow.flowId)))
            }
            step(contactId, action, branch: "Next", result: flow.flowId, next: action.next)
        case "CustomerQueue":
            guard let flow = resolveFlow(reference) else {
                fail(contactId, action, "NoMatchingError", reason: "flow \(reference) does not exist")
                return
            }
            emit(.customerQueueFlowSet(CustomerQueueFlowSet(contactId: contactId, flowId: flow.flowId)))
            step(contactId, action, branch: "Next", result: flow.flowId, next: action.next)
        default:
            // Hold, whisper and agent-UI hooks are recorded; chat runs no such flows yet.
            step(
                contactId,
                action,
                branch: "Next",
                result: reference,
                next: action.next,
                recorded: ["hook.\(hook)": reference]
            )
        }
    }

    mutating func updateTargetQueue(_ action: FlowAction, contactId: Identifier) {
        guard let target = blockTarget(action, contactId) else {
            let reference = (action.parameters["QueueId"] ?? action.parameters["AgentId"]).map {
                template($0, contactId)
            }
            let reason = reference.map { "no queue or agent \($0)" } ?? "QueueId or AgentId is required"
            fail(contactId, action, "NoMatchingError", reason: reason)
            return
        }
        emit(.targetQueueSet(TargetQueueSet(contactId: contactId, queueId: target)))
        step(contactId, action, branch: "Next", result: target, next: action.next)
    }

    mutating func transferToQueue(_ action: FlowAction, contactId: Identifier) {
        guard let contact = state.contacts[contactId], let target = contact.targetQueue else {
            fail(contactId, action, "NoMatchingError", reason: "no working queue is set")
            return
        }
        if let queue = disabledQueue(target) {
            fail(contactId, action, "NoMatchingError", reason: "\(queue.name) is disabled")
            return
        }
        if let queue = fullQueue(target) {
            fail(contactId, action, "QueueAtCapacity", reason: "\(queue.name) holds \(queue.maxContacts) contacts")
            return
        }
        emit(.contactQueued(ContactQueued(contactId: contactId, queueId: target)))
        step(contactId, action, branch: "Success", result: target, next: nil)
        startCustomerQueueFlow(contactId)
    }

    mutating func updateAttributes(_ action: FlowAction, contactId: Identifier) {
        var target = contactId
        if action.parameters["TargetContact"]?.string == "Related" {
            guard let related = state.contacts[contactId]?.relatedContactId, state.contacts[related] != nil else {
                fail(contactId, action, "NoMatchingError", reason: "the contact has no related contact")
                return
            }
            target = related
        }
        var attributes: [String: String] = [:]
        for (key, value) in action.parameters["Attributes"]?.object ?? [:] {
            attributes[key] = template(value, contactId)
        }
        do throws(ChatError) {
            try AttributeRules.check(attributes, mergedInto: state.contacts[target]?.attributes ?? [:])
        } catch {
            fail(contactId, action, "NoMatchingError", reason: error.message)
            return
        }
        if !attributes.isEmpty {
            emit(.attributesUpdated(AttributesUpdated(contactId: target, attributes: attributes)))
        }
        step(contactId, action, branch: "Next", next: action.next)
    }

    // MARK: - Values

    /// A parameter value: a single JSONPath resolves to its value, anything else is templated text.
    func resolveJSON(_ value: JSONValue, _ contactId: Identifier) -> JSONValue? {
        guard case .string(let text) = value else { return value }
        if FlowPath.isJSONPath(text) { return lookup(text, contactId).map { .string($0) } }
        return .string(template(value, contactId))
    }

    /// Text with every `$.Path` replaced by its value (a missing value becomes empty).
    func template(_ value: JSONValue, _ contactId: Identifier) -> String {
        let text = value.text
        guard text.contains("$.") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("$.") {
                var end = text.index(index, offsetBy: 2)
                while end < text.endIndex,
                    text[end].isLetter || text[end].isNumber || text[end] == "_" || text[end] == "-"
                        || (text[end] == "." && text.index(after: end) < text.endIndex
                            && (text[text.index(after: end)].isLetter || text[text.index(after: end)].isNumber))
                {
                    end = text.index(after: end)
                }
                out += lookup(String(text[index..<end]), contactId) ?? ""
                index = end
            } else {
                out.append(text[index])
                index = text.index(after: index)
            }
        }
        return out
    }

    /// The value of a JSONPath for the contact (`$.Attributes.x`, `$.External.x`, `$.FlowAttributes.x`, …).
    func lookup(_ path: String, _ contactId: Identifier) -> String? {
        guard let contact = state.contacts[contactId] else { return nil }
        let parts = path.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.first == "$", parts.count >= 2 else { return nil }
        let rest = parts.count > 2 ? parts[2] : ""
        switch parts[1] {
        case "Attributes": return contact.attributes[rest]
        case "External": return contact.flowRun?.external[rest]
        case "FlowAttributes": return contact.flowRun?.flowAttributes[rest]
        case "Channel": return "CHAT"
        case "ContactId": return contactId.description
        case "InitialContactId": return contact.chatId.description
        case "InstanceId": return contact.instanceId
        case "CustomerId": return contact.customerId
        case "Metrics": return contact.flowRun?.flowAttributes["$Metrics.\(rest)"]
        case "StoredCustomerInput": return contact.flowRun?.flowAttributes["$StoredCustomerInput"]
        case "Lex": return botLookup(rest, contact)
        case "Media" where rest == "InitialMessage":
            let chat = state.chats[contact.chatId]
            return chat?.items.first { $0.type == "MESSAGE" && $0.role == .customer }?.content
        case "Queue":
            guard let queue = contact.targetQueue else { return nil }
            return rest == "Name" ? state.queues[queue]?.name : queue
        case "PreviousContact":
            // Parley extension: the segment before this one (a disconnect flow routes back to its agent or queue).
            guard let previous = contact.previousContactId.flatMap({ state.contacts[$0] }) else { return nil }
            switch rest {
            case "AgentId": return previous.agentId
            case "QueueId": return previous.queued?.queueId ?? previous.targetQueue
            case "ContactId": return previous.contactId.description
            default: return nil
            }
        default: return nil
        }
    }
}

/// The comparison operators of flow conditions.
public enum FlowOperators {
    /// Whether `value` `op` `operand` holds (numbers compare numerically; text comparisons are exact).
    public static func holds(_ op: String, _ value: String, _ operand: String) -> Bool {
        switch op {
        case "Equals": return value == operand
        case "TextStartsWith": return value.hasPrefix(operand)
        case "TextEndsWith": return value.hasSuffix(operand)
        case "TextContains": return operand.isEmpty || value.contains(operand)
        default:
            guard let left = Double(value.trimmingWhitespace()), let right = Double(operand.trimmingWhitespace()) else {
                return false
            }
            switch op {
            case "NumberGreaterThan": return left > right
            case "NumberGreaterOrEqualTo": return left >= right
            case "NumberLessThan": return left < right
            case "NumberLessOrEqualTo": return left <= right
            default: return false
            }
        }
    }
}

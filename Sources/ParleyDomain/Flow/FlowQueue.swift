// Customer-queue flows: the flow set with UpdateContactEventHooks(CustomerQueue) runs while the contact waits in
// its queue (MessageParticipantIteratively, CheckMetricData, DequeueContactAndTransferToQueue, …) and stops when
// an agent takes the contact.

/// The customer-queue flow of a contact was set (UpdateContactEventHooks with `CustomerQueue`).
public struct CustomerQueueFlowSet: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x012A
    public static let name = "CustomerQueueFlowSet"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The flow to run while it waits in a queue.
    public var flowId: String

    /// Creates the event.
    public init(contactId: Identifier, flowId: String) {
        self.contactId = contactId
        self.flowId = flowId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: flowId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), flowId: try reader.readString())
    }
}

extension Transaction {
    /// Starts the contact's customer-queue flow, if it has one, now that it waits in a queue.
    mutating func startCustomerQueueFlow(_ contactId: Identifier) {
        guard let contact = state.contacts[contactId], contact.queued != nil,
            let flowId = contact.customerQueueFlowId, let flow = state.flows[flowId]
        else { return }
        runFlow(flow.flowId, version: flow.latestVersion, contactId: contactId)
    }

    /// An agent takes the contact: a customer-queue flow still running stops (its Wait deadline goes with it).
    mutating func stopCustomerQueueFlow(_ contactId: Identifier) {
        guard let contact = state.contacts[contactId], contact.queued != nil, let run = contact.flowRun,
            run.status != .ended
        else { return }
        cancelTimer(TimerKey(.flowWait, chat: contact.chatId, participant: contactId))
        let action = run.current.flatMap { document(of: run)?.actions[$0] } ?? FlowAction(identifier: "?", type: "?")
        step(contactId, action, branch: "Dequeued", next: nil, recorded: ["reason": "an agent took the contact"])
    }

    /// MessageParticipantIteratively: sends the next message of the list and waits `InterruptFrequencySeconds`,
    /// then takes `MessagesInterrupted`.
    mutating func messageIteratively(_ action: FlowAction, contactId: Identifier, run: FlowRun) {
        let messages = (action.parameters["Messages"]?.array ?? []).compactMap { $0["Text"] }
        let seconds = action.parameters["InterruptFrequencySeconds"].flatMap { resolveJSON($0, contactId)?.integer }
        guard !messages.isEmpty, let seconds, (1...604_800).contains(seconds),
            let chatId = state.contacts[contactId]?.chatId
        else {
            fail(contactId, action, "NoMatchingError", reason: "chat needs Text messages and an interrupt period")
            return
        }
        let index = Int(run.loopCounters[action.identifier] ?? 0) % messages.count
        systemMessage(contactId, template(messages[index], contactId))
        park(action, contactId: contactId, chatId: chatId, events: ["MessagesInterrupted"], seconds: seconds)
    }

    /// The interrupt period passed: continue at `MessagesInterrupted`, the next message next time.
    mutating func messagesInterrupted(_ action: FlowAction, contactId: Identifier, run: FlowRun) {
        let sent = (run.loopCounters[action.identifier] ?? 0) + 1
        let target = condition(action, "MessagesInterrupted") ?? action.next
        step(
            contactId,
            action,
            branch: "MessagesInterrupted",
            result: "MessagesInterrupted",
            next: target,
            recorded: ["loop": String(sent)]
        )
    }

    /// DequeueContactAndTransferToQueue: the contact moves to another queue as a new `QUEUE_TRANSFER` segment.
    mutating func dequeueAndTransfer(_ action: FlowAction, contactId: Identifier) {
        guard let contact = state.contacts[contactId], contact.queued != nil else {
            fail(contactId, action, "NoMatchingError", reason: "the contact is not waiting in a queue")
            return
        }
        guard let target = blockTarget(action, contactId) else {
            fail(contactId, action, "NoMatchingError", reason: "the target queue does not exist")
            return
        }
        if let queue = disabledQueue(target) {
            fail(contactId, action, "NoMatchingError", reason: "\(queue.name) is disabled")
            return
        }
        if let queue = fullQueue(target) {
            fail(contactId, action, "QueueAtCapacity", reason: "\(queue.name) is full")
            return
        }
        step(contactId, action, branch: "Success", result: target, next: nil)
        emit(.contactDisconnected(ContactDisconnected(contactId: contactId, reason: .other, effectiveAt: now)))
        let segment = newId()
        emit(
            .contactStarted(
                ContactStarted(
                    contactId: segment,
                    chatId: contact.chatId,
                    instanceId: contact.instanceId,
                    flowId: contact.flowRun?.flowId ?? contact.flowId,
                    initiationMethod: .queueTransfer,
                    previousContactId: contactId,
                    attributes: contact.attributes,
                    customerId: contact.customerId
                )
            )
        )
        emit(.targetQueueSet(TargetQueueSet(contactId: segment, queueId: target)))
        emit(.contactQueued(ContactQueued(contactId: segment, queueId: target)))
        if let queueFlow = contact.customerQueueFlowId {
            emit(.customerQueueFlowSet(CustomerQueueFlowSet(contactId: segment, flowId: queueFlow)))
            startCustomerQueueFlow(segment)
        }
    }
}

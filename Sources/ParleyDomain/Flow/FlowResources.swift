/// Flow and queue resources: each change is an event.
extension Transaction {
    /// The flow types `CreateContactFlow` accepts.
    static let flowTypes: Set<String> = [
        "CONTACT_FLOW", "CUSTOMER_QUEUE", "CUSTOMER_HOLD", "CUSTOMER_WHISPER", "AGENT_HOLD", "AGENT_WHISPER",
        "OUTBOUND_WHISPER", "AGENT_TRANSFER", "QUEUE_TRANSFER", "CAMPAIGN",
    ]

    /// A flow by id, or by the id at the end of a flow ARN (`…/contact-flow/<id>`).
    func resolveFlow(_ reference: String) -> FlowResource? { state.flows[reference: reference] }

    /// A queue by id or queue ARN suffix.
    func resolveQueue(_ reference: String) -> QueueResource? { state.queues[reference: reference] }

    /// The queue an action's `QueueId` names, or the agent queue (`agent/<id>`) its `AgentId` names (an id or an
    /// agent ARN); nil when the action names neither or the queue does not exist.
    func blockTarget(_ action: FlowAction, _ contactId: Identifier) -> String? {
        if let value = action.parameters["QueueId"] { return resolveQueue(template(value, contactId))?.queueId }
        guard let value = action.parameters["AgentId"] else { return nil }
        let agent = template(value, contactId).split(separator: "/").last.map(String.init) ?? ""
        return agent.isEmpty ? nil : "agent/\(agent)"
    }

    /// The queue `target` names if it holds MaxContacts contacts already (agent queues have no limit).
    ///
    /// Counts from the routing index of waiting contacts (`ChatState.waiting`), and only for a queue with a limit:
    /// scanning every contact ever held made each queued start cost O(history).
    func fullQueue(_ target: String) -> QueueResource? {
        func waiting() -> Int { state.waiting.values.count { $0.queueId == target } }
        if target.hasPrefix("agent/") {
            // Agent queues hold at most 10 contacts by default (connect-chat.md §6).
            let agentQueue = QueueResource(queueId: target, name: target, maxContacts: Self.agentQueueCapacity)
            return waiting() >= Self.agentQueueCapacity ? agentQueue : nil
        }
        guard let queue = state.queues[target], queue.maxContacts > 0 else { return nil }
        return waiting() >= queue.maxContacts ? queue : nil
    }

    /// Contacts an agent queue holds.
    static let agentQueueCapacity: Int64 = 10

    /// The queue `target` names if it is disabled (it takes no new contacts).
    func disabledQueue(_ target: String) -> QueueResource? {
        guard let queue = state.queues[target], !queue.enabled else { return nil }
        return queue
    }

    /// `UpdateQueueStatus`: ENABLED or DISABLED.
    mutating func updateQueueStatus(
        _ instanceId: String,
        _ queueId: String,
        _ status: String
    ) throws(ChatError)
        -> ChatReply
    {
        try checkInstance(instanceId)
        guard let queue = resolveQueue(queueId) else {
            throw ChatError(.resourceNotFound, "queue \(queueId) does not exist", resourceType: "QUEUE")
        }
        guard status == "ENABLED" || status == "DISABLED" else {
            throw ChatError(.invalidParameter, "Status must be ENABLED or DISABLED, not \(status)")
        }
        let enabled = status == "ENABLED"
        guard queue.enabled != enabled else { return .done }
        emit(.queueStatusUpdated(QueueStatusUpdated(queueId: queue.queueId, enabled: enabled)))
        return .done
    }

    func checkedContent(_ content: String) throws(ChatError) {
        do throws(FlowError) {
            _ = try FlowDocument.parseCached(content)
        } catch {
            throw ChatError(.invalidContactFlow, "the flow content is not valid: \(error)")
        }
    }

    mutating func createContactFlow(
        _ instanceId: String,
        _ flowId: String?,
        _ name: String,
        _ type: String,
        _ description: String,
        _ content: String,
        isModule: Bool = false
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard (1...127).contains(name.count) else {
            throw ChatError(.invalidParameter, "Name must be 1–127 characters")
        }
        guard isModule || Self.flowTypes.contains(type) else {
            throw ChatError(.invalidParameter, "Type \(type) is not a contact flow type")
        }
        guard description.count <= 500 else {
            throw ChatError(.invalidParameter, "Description must be at most 500 characters")
        }
        if let flowId {
            guard (1...256).contains(flowId.count), !flowId.contains("/") else {
                throw ChatError(.invalidParameter, "the flow id must be 1–256 characters without /")
            }
        }
        if state.flows.values.contains(where: { $0.name == name }) {
            throw ChatError(.duplicateResource, "a flow named \(name) exists already")
        }
        try checkedContent(content)
        let id = flowId ?? newId().description
        guard state.flows[id] == nil else { throw ChatError(.duplicateResource, "flow \(id) exists already") }
        emit(
            .flowPublished(
                FlowPublished(
                    flowId: id,
                    flowName: name,
                    type: type,
                    description: description,
                    content: content,
                    version: 1
                )
            )
        )
        return .flowPublished(flowId: id, version: 1)
    }

    mutating func updateContactFlowContent(
        _ instanceId: String,
        _ flowId: String,
        _ content: String
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard let flow = resolveFlow(flowId) else {
            throw ChatError(
                .resourceNotFound,
                "contact flow \(flowId) does not exist",
                resourceId: flowId,
                resourceType: "CONTACT_FLOW"
            )
        }
        try checkedContent(content)
        let version = flow.latestVersion + 1
        emit(
            .flowPublished(
                FlowPublished(
                    flowId: flow.flowId,
                    flowName: flow.name,
                    type: flow.type,
                    description: flow.description,
                    content: content,
                    version: Int64(version)
                )
            )
        )
        return .flowPublished(flowId: flow.flowId, version: version)
    }

    mutating func createQueue(
        _ instanceId: String,
        _ queueId: String?,
        _ name: String,
        _ maxContacts: Int64
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard (1...127).contains(name.count) else {
            throw ChatError(.invalidParameter, "Name must be 1–127 characters")
        }
        guard maxContacts >= 0 else { throw ChatError(.invalidParameter, "MaxContacts must not be negative") }
        if state.queues.values.contains(where: { $0.name == name }) {
            throw ChatError(.duplicateResource, "a queue named \(name) exists already")
        }
        let id = queueId ?? newId().description
        guard !id.isEmpty, !id.contains("/"), state.queues[id] == nil else {
            throw ChatError(.duplicateResource, "queue \(id) exists already or is not a valid id")
        }
        emit(.queueCreated(QueueCreated(queueId: id, queueName: name, maxContacts: maxContacts)))
        return .queueCreated(queueId: id)
    }
}

/// Read-only flow questions (DescribeContactFlow, ListContactFlows).
extension ChatQueries {
    /// `DescribeContactFlow`: the flow and its newest content.
    public static func describeContactFlow(
        instanceId: String,
        flowId: String,
        in state: ChatState
    ) throws(ChatError) -> FlowResource {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let flow = state.flows[reference: flowId] else {
            throw ChatError(.resourceNotFound, "contact flow \(flowId) does not exist", resourceType: "CONTACT_FLOW")
        }
        return flow
    }

    /// The flow log of a contact (the steps its flows ran while UpdateFlowLoggingBehavior was `Enabled`).
    public static func flowLogs(
        instanceId: String,
        contactId: String,
        in state: ChatState
    ) throws(ChatError) -> [FlowLogEntry] {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let id = Identifier(contactId), let contact = state.contacts[id] else {
            throw ChatError(.resourceNotFound, "contact \(contactId) does not exist", resourceType: "CONTACT")
        }
        return contact.flowLog
    }

    /// `ListContactFlows`, optionally of some types, sorted by name.
    public static func listContactFlows(types: Set<String> = [], in state: ChatState) -> [FlowResource] {
        state.flows.values.filter { types.isEmpty || types.contains($0.type) }.sorted { $0.name < $1.name }
    }
}

extension TreeDictionary where Key == String {
    /// The value for `reference`: an id, or an ARN whose last path part is the id (how Amazon names resources).
    subscript(reference reference: String) -> Value? {
        if let value = self[reference] { return value }
        guard let last = reference.split(separator: "/").last.map(String.init) else { return nil }
        return self[last]
    }
}

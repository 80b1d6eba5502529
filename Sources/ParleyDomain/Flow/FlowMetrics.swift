/// CheckMetricData and GetMetricData on the live queue figures (`ChatState.queueFigures`).
extension Transaction {
    /// The queue a metric block asks about: `QueueId`, `AgentId` (agent queue), or the working queue.
    func metricQueue(_ action: FlowAction, _ contactId: Identifier) -> String? {
        if action.parameters["QueueId"] != nil || action.parameters["AgentId"] != nil {
            return blockTarget(action, contactId)
        }
        return state.contacts[contactId]?.targetQueue
    }

    mutating func checkMetricData(_ action: FlowAction, contactId: Identifier) {
        guard let queue = metricQueue(action, contactId) else {
            fail(contactId, action, "NoMatchingError", reason: "no queue to read metrics of")
            return
        }
        let metric = action.parameters["MetricType"]?.string ?? ""
        let figures = state.queueFigures(queue, at: now)
        let value: Int64
        switch metric {
        case "NumberOfContactsInQueue": value = Int64(figures.contactsInQueue)
        case "OldestContactInQueueAgeSeconds": value = (figures.oldestContactAgeMilliseconds ?? 0) / 1000
        case "NumberOfAgentsAvailable": value = Int64(figures.agentsAvailable)
        case "NumberOfAgentsStaffed": value = Int64(figures.agentsStaffed)
        case "NumberOfAgentsOnline": value = Int64(figures.agentsOnline)
        default:
            fail(contactId, action, "NoMatchingError", reason: "unknown MetricType \(metric)")
            return
        }
        branch(
            on: String(value),
            action,
            contactId: contactId,
            recorded: ["metric.queue": queue, "metric.\(metric)": String(value)]
        )
    }

    mutating func getMetricData(_ action: FlowAction, contactId: Identifier) {
        guard let queue = metricQueue(action, contactId) else {
            fail(contactId, action, "NoMatchingError", reason: "no queue to read metrics of")
            return
        }
        let figures = state.queueFigures(queue, at: now)
        let recorded = [
            "flow.$Metrics.Queue.ARN": queue,
            "flow.$Metrics.Queue.Name": state.queues[queue]?.name ?? queue,
            "flow.$Metrics.Queue.ContactsInQueue": String(figures.contactsInQueue),
            "flow.$Metrics.Queue.OldestContactInQueue": String((figures.oldestContactAgeMilliseconds ?? 0) / 1000),
            "flow.$Metrics.Agents.Online.Count": String(figures.agentsOnline),
            "flow.$Metrics.Agents.Available.Count": String(figures.agentsAvailable),
            "flow.$Metrics.Agents.Staffed.Count": String(figures.agentsStaffed),
        ]
        step(contactId, action, branch: "Next", next: action.next, recorded: recorded)
    }
}

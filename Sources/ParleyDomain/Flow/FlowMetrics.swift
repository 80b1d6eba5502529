/// CheckMetricData and GetMetricData on live queue figures (the agent figures arrive with routing's agent states).
extension Transaction {
    /// The queue a metric block asks about: `QueueId`, `AgentId` (agent queue), or the working queue.
    func metricQueue(_ action: FlowAction, _ contactId: Identifier) -> String? {
        if action.parameters["QueueId"] != nil || action.parameters["AgentId"] != nil {
            return blockTarget(action, contactId)
        }
        return state.contacts[contactId]?.targetQueue
    }

    /// Contacts waiting in `queue` and how long the oldest has waited (whole seconds).
    func queueFigures(_ queue: String) -> (contacts: Int, oldestSeconds: Int64) {
        var count = 0
        var oldest: Int64?
        for contact in state.contacts.values {
            guard let position = contact.queued, position.queueId == queue,
                state.chats[contact.chatId]?.status == .active
            else { continue }
            count += 1
            oldest = min(oldest ?? position.since, position.since)
        }
        return (count, oldest.map { max(0, (now - $0) / Duration.second) } ?? 0)
    }

    mutating func checkMetricData(_ action: FlowAction, contactId: Identifier) {
        guard let queue = metricQueue(action, contactId) else {
            fail(contactId, action, "NoMatchingError", reason: "no queue to read metrics of")
            return
        }
        let metric = action.parameters["MetricType"]?.string ?? ""
        let figures = queueFigures(queue)
        let value: Int64
        switch metric {
        case "NumberOfContactsInQueue": value = Int64(figures.contacts)
        case "OldestContactInQueueAgeSeconds": value = figures.oldestSeconds
        default:
            fail(
                contactId,
                action,
                "NoMatchingError",
                reason: "\(metric) needs agent states, which Parley does not track yet"
            )
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
        let figures = queueFigures(queue)
        let recorded = [
            "flow.$Metrics.Queue.ARN": queue,
            "flow.$Metrics.Queue.Name": state.queues[queue]?.name ?? queue,
            "flow.$Metrics.Queue.ContactsInQueue": String(figures.contacts),
            "flow.$Metrics.Queue.OldestContactInQueue": String(figures.oldestSeconds),
        ]
        step(contactId, action, branch: "Next", next: action.next, recorded: recorded)
    }
}

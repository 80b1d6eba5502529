/// The CheckHoursOfOperation block: is the contact center open now?
extension Transaction {
    /// Tests the hours named by `HoursOfOperationId` (id or ARN, static or one JSONPath), or else the hours of the
    /// contact's working queue, at the command's time. The result (`True`/`False`), the hours and the local time
    /// are recorded on the step, so replay never evaluates the hours again.
    mutating func checkHoursOfOperation(_ action: FlowAction, contactId: Identifier) {
        let hours: HoursOfOperation
        switch hoursToCheck(action, contactId: contactId) {
        case .success(let found):
            hours = found
        case .failure(let problem):
            fail(contactId, action, "NoMatchingError", reason: problem.reason)
            return
        }
        guard let local = hours.localTime(at: now) else {
            fail(contactId, action, "NoMatchingError", reason: "time zone \(hours.timeZone) is unknown")
            return
        }
        let result = hours.isOpen(local) ? "True" : "False"
        let recorded = [
            "hours.id": hours.hoursId,
            "hours.timeZone": hours.timeZone,
            "hours.localTime": local.description,
            "hours.result": result,
        ]
        guard let target = condition(action, result) else {
            var noted = recorded
            noted["reason"] = "no condition for \(result)"
            step(
                contactId,
                action,
                branch: "Error:NoMatchingError",
                result: result,
                next: action.errorTarget("NoMatchingError"),
                recorded: noted
            )
            return
        }
        step(contactId, action, branch: "Condition", result: result, next: target, recorded: recorded)
    }

    /// Why CheckHoursOfOperation has no hours to test.
    struct HoursProblem: Error {
        var reason: String
    }

    /// The hours the block tests, or why there are none.
    func hoursToCheck(_ action: FlowAction, contactId: Identifier) -> Result<HoursOfOperation, HoursProblem> {
        if let value = action.parameters["HoursOfOperationId"] {
            let reference = resolveJSON(value, contactId)?.string ?? ""
            guard !reference.isEmpty else {
                return .failure(HoursProblem(reason: "HoursOfOperationId \(value.text) has no value"))
            }
            guard let hours = resolveHours(reference) else {
                return .failure(HoursProblem(reason: "hours of operation \(reference) do not exist"))
            }
            return .success(hours)
        }
        guard let target = state.contacts[contactId]?.targetQueue else {
            return .failure(HoursProblem(reason: "no HoursOfOperationId and no working queue is set"))
        }
        guard !target.hasPrefix("agent/") else {
            return .failure(HoursProblem(reason: "the working queue \(target) is an agent queue, which has no hours"))
        }
        guard let queue = state.queues[target] else {
            return .failure(HoursProblem(reason: "queue \(target) does not exist"))
        }
        guard let hoursId = queue.hoursOfOperationId else {
            return .failure(HoursProblem(reason: "queue \(queue.name) has no hours of operation"))
        }
        guard let hours = state.hoursOfOperations[hoursId] else {
            return .failure(HoursProblem(reason: "hours of operation \(hoursId) of queue \(queue.name) do not exist"))
        }
        return .success(hours)
    }
}

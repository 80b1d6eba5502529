/// The load-time rules of the flow language: document limits, identifiers, branch targets, and per-type parameters
/// and conditions. Values that are only known at run time (JSONPath references, deploy-time placeholders, ARNs of
/// other accounts or regions) are never rejected here.
public enum FlowValidator {
    /// The only `Version` Amazon accepts.
    public static let version = "2019-10-30"
    /// The most actions a flow may have.
    public static let maximumActions = 250
    /// The longest `Identifier`, in UTF-16 code units (as JavaScript counts them).
    public static let maximumIdentifierLength = 50

    /// Checks `document` against every rule and throws the first violation, in document order.
    public static func validate(_ document: FlowDocument) throws(FlowError) {
        try checkVersion(document.version)
        try checkActionCount(document.actionOrder.count)
        var seen: Set<String> = []
        for identifier in document.actionOrder {
            let action = document.actions[identifier]
            try checkIdentifier(identifier, type: action?.type)
            guard seen.insert(identifier).inserted else {
                throw FlowError(
                    .duplicateIdentifier,
                    "two actions have this Identifier",
                    actionIdentifier: identifier,
                    actionType: action?.type
                )
            }
            guard let action, action.identifier == identifier else {
                throw FlowError(
                    .invalidIdentifier,
                    "actionOrder lists this Identifier but no action has it",
                    actionIdentifier: identifier
                )
            }
        }
        for (identifier, action) in document.actions where !seen.contains(identifier) {
            throw FlowError(
                .invalidIdentifier,
                "the action is missing from actionOrder",
                actionIdentifier: identifier,
                actionType: action.type
            )
        }
        guard document.actions[document.startAction] != nil else {
            var message = "StartAction "
            JSONText.quote(document.startAction, to: &message)
            throw FlowError(.missingStartAction, message + " is not an action of this flow")
        }
        for identifier in document.actionOrder {
            guard let action = document.actions[identifier] else { continue }
            try ActionRules(action: action, actions: document.actions).check()
        }
    }

    /// Throws `unsupportedVersion` unless `version` is `"2019-10-30"`.
    public static func checkVersion(_ version: String) throws(FlowError) {
        guard version == Self.version else {
            throw FlowError(.unsupportedVersion, "Version must be \"\(Self.version)\", not \(quoted(version))")
        }
    }

    /// Throws `tooManyActions` if `count` is over 250.
    public static func checkActionCount(_ count: Int) throws(FlowError) {
        guard count <= maximumActions else {
            throw FlowError(.tooManyActions, "a flow may have at most \(maximumActions) actions; this one has \(count)")
        }
    }

    /// Throws `invalidIdentifier` unless `identifier` is 1–50 characters, free of `% : ( \ / ) = $ , ; [ ] { }`, and
    /// not a reserved JavaScript member name.
    public static func checkIdentifier(_ identifier: String, type: String?) throws(FlowError) {
        func fail(_ message: String) -> FlowError {
            FlowError(.invalidIdentifier, message, actionIdentifier: identifier, actionType: type)
        }
        guard !identifier.isEmpty else { throw fail("Identifier must not be empty") }
        let length = identifier.utf16.count
        guard length <= maximumIdentifierLength else {
            throw fail("Identifier must be at most \(maximumIdentifierLength) characters, not \(length)")
        }
        if let bad = identifier.first(where: { FlowActionTypes.forbiddenIdentifierCharacters.contains($0) }) {
            throw fail("Identifier must not contain \(quoted(String(bad))) (none of % : ( \\ / ) = $ , ; [ ] { })")
        }
        guard !FlowActionTypes.reservedIdentifiers.contains(identifier) else {
            throw fail("Identifier must not be the reserved name \(quoted(identifier))")
        }
    }

    static func quoted(_ text: String) -> String {
        var out = ""
        JSONText.quote(text.count > 80 ? String(text.prefix(77)) + "..." : text, to: &out)
        return out
    }
}

/// The rules for one action.
private struct ActionRules {
    let action: FlowAction
    let actions: [String: FlowAction]

    private var parameters: [String: JSONValue] { action.parameters }
    private static let promptKinds = ["Text", "PromptId", "SSML", "Media"]

    func check() throws(FlowError) {
        guard FlowActionTypes.loadable.contains(action.type) else {
            throw fail(.unsupportedAction, "\(action.type) is not an action type Parley loads")
        }
        try checkTargets()
        try checkConditionShapes()
        if FlowActionTypes.withoutResult.contains(action.type), !action.conditions.isEmpty {
            throw fail(.invalidCondition, "\(action.type) has no result to branch on, so Conditions must be empty")
        }
        try checkType()
    }

    private func fail(_ code: FlowError.Code, _ message: String) -> FlowError {
        FlowError(code, message, actionIdentifier: action.identifier, actionType: action.type)
    }

    private func quoted(_ text: String) -> String { FlowValidator.quoted(text) }

    // MARK: Transitions

    private func checkTargets() throws(FlowError) {
        if let next = action.next, actions[next] == nil {
            throw fail(.missingTarget, "NextAction \(quoted(next)) is not an action of this flow")
        }
        for branch in action.errors where actions[branch.next] == nil {
            throw fail(
                .missingTarget,
                "the \(branch.errorType) error branch goes to \(quoted(branch.next)), which is not an action of this flow"
            )
        }
        for (index, condition) in action.conditions.enumerated() where actions[condition.next] == nil {
            throw fail(
                .missingTarget,
                "Conditions[\(index)] goes to \(quoted(condition.next)), which is not an action of this flow"
            )
        }
    }

    private func checkConditionShapes() throws(FlowError) {
        for (index, condition) in action.conditions.enumerated() {
            guard FlowActionTypes.operators.contains(condition.op) else {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] uses the operator \(quoted(condition.op)); the operators are "
                        + FlowActionTypes.operators.joined(separator: ", ")
                )
            }
            guard condition.operands.count == 1 else {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] (\(condition.op)) needs exactly one operand, not \(condition.operands.count)"
                )
            }
            if FlowActionTypes.numberOperators.contains(condition.op), Double(condition.operands[0]) == nil {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] (\(condition.op)) compares numbers, and \(quoted(condition.operands[0])) "
                        + "is not one"
                )
            }
        }
    }

    /// Only `Equals`; operands from `results`; an Equals condition for each of `required`.
    private func checkResults(_ results: [String], required: [String]) throws(FlowError) {
        for (index, condition) in action.conditions.enumerated() {
            guard condition.op == "Equals" else {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] uses \(condition.op); \(action.type) allows only Equals"
                )
            }
            guard results.contains(condition.operands[0]) else {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] compares with \(quoted(condition.operands[0])), which is not a result of this "
                        + "\(action.type) (its results: \(results.joined(separator: ", ")))"
                )
            }
        }
        for result in required where !action.conditions.contains(where: { $0.operands == [result] }) {
            throw fail(.missingCondition, "an Equals condition for \(result) is required")
        }
    }

    private func equalsOnly() throws(FlowError) {
        for (index, condition) in action.conditions.enumerated() where condition.op != "Equals" {
            throw fail(
                .invalidCondition,
                "Conditions[\(index)] uses \(condition.op); \(action.type) allows only Equals"
            )
        }
    }

    // MARK: Per type

    private func checkType() throws(FlowError) {
        switch action.type {
        case "MessageParticipant":
            try prompt(in: parameters, required: true)
        case "Wait":
            try wait()
        case "UpdateContactEventHooks":
            try eventHooks()
        case "UpdateContactTargetQueue", "DequeueContactAndTransferToQueue":
            let name = try exactlyOne(of: ["QueueId", "AgentId"])
            try staticOrPath(name, parameters[name])
        case "UpdateContactAttributes":
            try stringMap("Attributes", parameters["Attributes"])
            try choice("TargetContact", parameters["TargetContact"], ["Current", "Related"], required: false)
        case "UpdateFlowAttributes":
            try flowAttributes()
        case "Compare":
            let value = try string("ComparisonValue", parameters["ComparisonValue"])
            guard let value, FlowPath.isJSONPath(value) else {
                throw fail(
                    .invalidParameter,
                    "ComparisonValue must be exactly one JSONPath such as $.Attributes.x, not \(quoted(value ?? ""))"
                )
            }
        case "TransferToFlow":
            try staticOrPath("ContactFlowId", parameters["ContactFlowId"])
        case "InvokeFlowModule":
            try staticOrPath("FlowModuleId", parameters["FlowModuleId"])
        case "Loop":
            try integer("LoopCount", parameters["LoopCount"], in: 0...100, path: true)
            try checkResults(["ContinueLooping", "DoneLooping"], required: ["ContinueLooping", "DoneLooping"])
        case "CheckHoursOfOperation":
            try staticOrPath("HoursOfOperationId", parameters["HoursOfOperationId"], required: false)
            try checkResults(["True", "False"], required: ["True", "False"])
        case "CheckMetricData":
            try metricData()
        case "GetMetricData":
            if let name = try atMostOne(of: ["QueueId", "AgentId"]) { try staticOrPath(name, parameters[name]) }
            _ = try string("QueueChannel", parameters["QueueChannel"], required: false)
        case "UpdateContactRoutingBehavior":
            let name = try exactlyOne(of: ["QueuePriority", "QueueTimeAdjustmentSeconds"])
            let range: ClosedRange<Int64> = name == "QueuePriority" ? 1...Int64.max : Int64.min...Int64.max
            try integer(name, parameters[name], in: range, path: false)
        case "ConnectParticipantWithLexBot":
            try lexBot()
        case "InvokeLambdaFunction":
            try lambda()
        case "GetParticipantInput":
            try prompt(in: parameters, required: false)
            try integer(
                "InputTimeLimitSeconds",
                parameters["InputTimeLimitSeconds"],
                in: 1...604_800,
                path: true,
                required: false
            )
            try choice("StoreInput", parameters["StoreInput"], ["True", "False"], required: false)
        case "MessageParticipantIteratively":
            try iterativeMessages()
        case "UpdateFlowLoggingBehavior":
            try choice("FlowLoggingBehavior", parameters["FlowLoggingBehavior"], ["Enabled", "Disabled"])
        case "UpdateContactRecordingBehavior":
            try atLeastOne(of: ["RecordingBehavior", "AnalyticsBehavior"])
            _ = try object("RecordingBehavior", parameters["RecordingBehavior"], required: false)
            _ = try object("AnalyticsBehavior", parameters["AnalyticsBehavior"], required: false)
        case "UpdateContactTextToSpeechVoice":
            let names = ["TextToSpeechVoice", "TextToSpeechEngine", "TextToSpeechStyle"]
            try atLeastOne(of: names)
            for name in names { _ = try string(name, parameters[name], required: false) }
        case "UpdateContactData":
            guard !parameters.isEmpty else {
                throw fail(.invalidParameter, "UpdateContactData needs at least one contact property to set")
            }
        default:
            // DisconnectParticipant, EndFlowExecution, EndFlowModuleExecution, TransferContactToQueue,
            // DistributeByPercentage and the voice-only types take no parameters Parley checks.
            break
        }
    }

    private func wait() throws(FlowError) {
        // The documentation names it TimeoutSeconds; the flow designer exports TimeLimitSeconds.
        let name = try exactlyOne(of: ["TimeoutSeconds", "TimeLimitSeconds"])
        try integer(name, parameters[name], in: 1...604_800, path: true)
        var events: [String] = []
        if let value = parameters["Events"] {
            guard let items = value.array else {
                throw fail(.invalidParameter, "Events must be a list of event names")
            }
            for (index, item) in items.enumerated() {
                guard let event = item.string, FlowActionTypes.waitEvents.contains(event) else {
                    throw fail(
                        .invalidParameter,
                        "Events[\(index)] is \(describe(item)); a Wait can list only "
                            + FlowActionTypes.waitEvents.joined(separator: ", ")
                    )
                }
                if !events.contains(event) { events.append(event) }
            }
        }
        try checkResults(["WaitCompleted"] + events, required: ["WaitCompleted"] + events)
    }

    private func eventHooks() throws(FlowError) {
        guard let hooks = try object("EventHooks", parameters["EventHooks"]) else { return }
        guard hooks.count == 1, let (key, value) = hooks.first else {
            throw fail(.invalidParameter, "EventHooks must have exactly one entry, not \(hooks.count)")
        }
        guard FlowActionTypes.eventHooks.contains(key) else {
            throw fail(
                .invalidParameter,
                "EventHooks key \(quoted(key)) is not one of " + FlowActionTypes.eventHooks.joined(separator: ", ")
            )
        }
        try staticOrPath("EventHooks.\(key)", value)
    }

    private func flowAttributes() throws(FlowError) {
        guard let attributes = try object("FlowAttributes", parameters["FlowAttributes"]) else { return }
        for key in attributes.keys.sorted() {
            guard let entry = attributes[key]?.object, entry["Value"]?.string != nil else {
                throw fail(.invalidParameter, "FlowAttributes.\(key) must be an object with a string Value")
            }
        }
    }

    private func metricData() throws(FlowError) {
        try choice("MetricType", parameters["MetricType"], FlowActionTypes.metricTypes)
        if let name = try atMostOne(of: ["QueueId", "AgentId"]) { try staticOrPath(name, parameters[name]) }
        guard let metric = parameters["MetricType"]?.string, FlowActionTypes.metricTypes.contains(metric) else {
            return  // a deploy-time placeholder: the conditions are checked once it is known
        }
        for (index, condition) in action.conditions.enumerated() {
            if metric.hasPrefix("NumberOfAgents") {
                guard condition.op == "NumberGreaterThan", Double(condition.operands[0]) == 0 else {
                    throw fail(
                        .invalidCondition,
                        "Conditions[\(index)] is \(condition.op) \(quoted(condition.operands[0])); \(metric) allows "
                            + "only NumberGreaterThan \"0\""
                    )
                }
            } else if condition.op != "Equals", !FlowActionTypes.numberOperators.contains(condition.op) {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(index)] uses \(condition.op); \(metric) allows Equals and the Number operators"
                )
            }
        }
    }

    private func lexBot() throws(FlowError) {
        let bot = try exactlyOne(of: ["LexV2Bot", "LexBot"])
        if bot == "LexV2Bot" {
            let details = try object("LexV2Bot", parameters["LexV2Bot"])
            // An empty AliasArn loads (samples ship it blank to be filled in); the run takes the Error branch.
            _ = try string("LexV2Bot.AliasArn", details?["AliasArn"])
        } else {
            let details = try object("LexBot", parameters["LexBot"])
            _ = try string("LexBot.Name", details?["Name"])
            _ = try string("LexBot.Region", details?["Region"], required: false)
            _ = try string("LexBot.Alias", details?["Alias"], required: false)
        }
        try prompt(in: parameters, required: false)
        try stringMap("LexSessionAttributes", parameters["LexSessionAttributes"], required: false)
        for name in ["LexInitializationData", "LexInitilizationData"] {
            if let data = try object(name, parameters[name], required: false) {
                _ = try string("\(name).InitialMessage", data["InitialMessage"], required: false)
            }
        }
        if let timeout = try object("LexTimeoutSeconds", parameters["LexTimeoutSeconds"], required: false) {
            // The chat timeout: 1 minute to 7 days.
            try integer("LexTimeoutSeconds.Text", timeout["Text"], in: 60...604_800, path: true)
        }
        try equalsOnly()
    }

    private func lambda() throws(FlowError) {
        _ = try string("LambdaFunctionARN", parameters["LambdaFunctionARN"])
        try choice("InvocationType", parameters["InvocationType"], ["SYNCHRONOUS", "ASYNCHRONOUS"], required: false)
        // 8 s for a synchronous call; the flow designer allows 60 s for an asynchronous one.
        let limit: Int64 = parameters["InvocationType"]?.string == "ASYNCHRONOUS" ? 60 : 8
        try integer(
            "InvocationTimeLimitSeconds",
            parameters["InvocationTimeLimitSeconds"],
            in: 1...limit,
            path: false,
            required: false
        )
        if let validation = try object("ResponseValidation", parameters["ResponseValidation"], required: false) {
            try choice(
                "ResponseValidation.ResponseType",
                validation["ResponseType"],
                ["STRING_MAP", "JSON"],
                required: false
            )
        }
        try stringMap("LambdaInvocationAttributes", parameters["LambdaInvocationAttributes"], required: false)
    }

    private func iterativeMessages() throws(FlowError) {
        guard let value = parameters["Messages"] else {
            throw fail(.invalidParameter, "Messages is required")
        }
        guard let messages = value.array, !messages.isEmpty else {
            throw fail(.invalidParameter, "Messages must be a non-empty list of messages")
        }
        for (index, message) in messages.enumerated() {
            guard let fields = message.object else {
                throw fail(.invalidParameter, "Messages[\(index)] must be an object")
            }
            try prompt(in: fields, required: true, path: "Messages[\(index)]")
        }
        try integer(
            "InterruptFrequencySeconds",
            parameters["InterruptFrequencySeconds"],
            in: 1...604_800,
            path: true,
            required: false
        )
        try checkResults(["MessagesInterrupted"], required: [])
    }

    /// Text, PromptId, SSML or Media: at most one, and exactly one when `required`. `path` locates a nested message.
    private func prompt(in fields: [String: JSONValue], required: Bool, path: String = "") throws(FlowError) {
        let field = path.isEmpty ? "" : path + "."
        let sentence = path.isEmpty ? "" : path + ": "
        let present = Self.promptKinds.filter { fields[$0] != nil }
        guard present.count <= 1 else {
            throw fail(
                .invalidParameter,
                "\(sentence)only one of Text, PromptId, SSML and Media may be given, not "
                    + present.joined(separator: " and ")
            )
        }
        guard let kind = present.first else {
            if required {
                throw fail(.invalidParameter, "\(sentence)exactly one of Text, PromptId, SSML and Media is required")
            }
            return
        }
        switch kind {
        case "Media":
            let media = try object(field + "Media", fields["Media"])
            _ = try string(field + "Media.Uri", media?["Uri"])
            try choice(field + "Media.SourceType", media?["SourceType"], ["S3"], required: false)
            try choice(field + "Media.MediaType", media?["MediaType"], ["Audio"], required: false)
        case "PromptId":
            try staticOrPath(field + "PromptId", fields["PromptId"])
        default:
            _ = try string(field + kind, fields[kind])
        }
    }

    // MARK: Parameter helpers

    private func exactlyOne(of names: [String]) throws(FlowError) -> String {
        guard let name = try atMostOne(of: names) else {
            throw fail(.invalidParameter, "exactly one of \(names.joined(separator: " and ")) is required")
        }
        return name
    }

    private func atMostOne(of names: [String]) throws(FlowError) -> String? {
        let present = names.filter { parameters[$0] != nil }
        guard present.count <= 1 else {
            throw fail(.invalidParameter, "only one of \(names.joined(separator: " and ")) may be given")
        }
        return present.first
    }

    private func atLeastOne(of names: [String]) throws(FlowError) {
        guard names.contains(where: { parameters[$0] != nil }) else {
            throw fail(.invalidParameter, "at least one of \(names.joined(separator: ", ")) is required")
        }
    }

    @discardableResult
    private func string(_ label: String, _ value: JSONValue?, required: Bool = true) throws(FlowError) -> String? {
        guard let value else {
            if required { throw fail(.invalidParameter, "\(label) is required") }
            return nil
        }
        guard let text = value.string else {
            throw fail(.invalidParameter, "\(label) must be a string")
        }
        return text
    }

    /// A string that is static or exactly one JSONPath (not a template mixing text and paths).
    private func staticOrPath(_ label: String, _ value: JSONValue?, required: Bool = true) throws(FlowError) {
        guard let text = try string(label, value, required: required) else { return }
        if FlowPath.containsJSONPath(text), !FlowPath.isJSONPath(text) {
            throw fail(
                .invalidParameter,
                "\(label) must be static or exactly one JSONPath, not the template \(quoted(text))"
            )
        }
    }

    /// A whole number in `range` (a JSON number or a string of digits), a deploy-time placeholder, or — when `path` —
    /// exactly one JSONPath.
    private func integer(
        _ label: String,
        _ value: JSONValue?,
        in range: ClosedRange<Int64>,
        path: Bool,
        required: Bool = true
    ) throws(FlowError) {
        guard let value else {
            if required { throw fail(.invalidParameter, "\(label) is required") }
            return
        }
        if let text = value.string, FlowPath.containsPlaceholder(text) || (path && FlowPath.isJSONPath(text)) {
            return
        }
        var wanted: String
        switch (range.lowerBound, range.upperBound) {
        case (Int64.min, Int64.max): wanted = "a whole number"
        case (let low, Int64.max): wanted = "a whole number of at least \(low)"
        case (let low, let high): wanted = "a whole number from \(low) to \(high)"
        }
        if path { wanted += " or one JSONPath" }
        guard let number = value.integer, range.contains(number) else {
            throw fail(.invalidParameter, "\(label) must be \(wanted), not \(describe(value))")
        }
    }

    /// A static string from `allowed` (or a deploy-time placeholder).
    private func choice(
        _ label: String,
        _ value: JSONValue?,
        _ allowed: [String],
        required: Bool = true
    )
        throws(FlowError)
    {
        guard let value else {
            if required {
                throw fail(.invalidParameter, "\(label) is required (one of \(allowed.joined(separator: ", ")))")
            }
            return
        }
        if let text = value.string, allowed.contains(text) || FlowPath.containsPlaceholder(text) { return }
        throw fail(
            .invalidParameter,
            "\(label) must be one of \(allowed.joined(separator: ", ")), not \(describe(value))"
        )
    }

    private func object(
        _ label: String,
        _ value: JSONValue?,
        required: Bool = true
    ) throws(FlowError)
        -> [String: JSONValue]?
    {
        guard let value else {
            if required { throw fail(.invalidParameter, "\(label) is required") }
            return nil
        }
        guard let fields = value.object else {
            throw fail(.invalidParameter, "\(label) must be an object")
        }
        return fields
    }

    /// An object whose values are all strings.
    private func stringMap(_ label: String, _ value: JSONValue?, required: Bool = true) throws(FlowError) {
        guard let fields = try object(label, value, required: required) else { return }
        for key in fields.keys.sorted() where fields[key]?.string == nil {
            throw fail(.invalidParameter, "\(label).\(key) must be a string")
        }
    }

    private func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return quoted(text) }
        let text = JSONText.serialize(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

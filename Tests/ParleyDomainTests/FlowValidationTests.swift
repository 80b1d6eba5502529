import Foundation
import ParleyDomain
import Testing

// MARK: Building small flows as JSON text

private func quoted(_ text: String) -> String {
    var out = ""
    JSONText.quote(text, to: &out)
    return out
}

/// One action. Every test flow also has the terminal action `end`, the default target.
private func act(
    _ identifier: String,
    _ type: String,
    _ parameters: String = "{}",
    next: String? = "end",
    errors: String = "[]",
    conditions: [String] = []
) -> String {
    let nextPart = next.map { "\"NextAction\": \(quoted($0)), " } ?? ""
    return """
        {"Identifier": \(quoted(identifier)), "Type": \(quoted(type)), "Parameters": \(parameters), \
        "Transitions": {\(nextPart)"Errors": \(errors), "Conditions": [\(conditions.joined(separator: ", "))]}}
        """
}

/// A `Transitions.Conditions` entry.
private func cond(_ op: String, _ operand: String, to target: String = "end") -> String {
    """
    {"NextAction": \(quoted(target)), "Condition": {"Operator": \(quoted(op)), "Operands": [\(quoted(operand))]}}
    """
}

private let end = #"{"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}"#

/// A flow of `actions` plus `end`, starting at the first one.
private func flow(_ actions: [String], start: String = "a", version: String = "2019-10-30") -> String {
    """
    {"Version": \(quoted(version)), "StartAction": \(quoted(start)), "Metadata": {"entryPointPosition": {"x": 0}}, \
    "Actions": [\((actions + [end]).joined(separator: ", "))]}
    """
}

/// A flow whose only action (besides `end`) is `a` of `type`.
private func single(_ type: String, _ parameters: String = "{}", conditions: [String] = []) -> String {
    flow([act("a", type, parameters, conditions: conditions)])
}

/// One rule check: a document that must load, or be rejected with `code` naming `action` and `type`.
struct FlowRuleCase: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    var code: FlowError.Code?
    var action: String?
    var type: String?
    var fragment: String = ""

    var testDescription: String { name }

    static func pass(_ name: String, _ json: String) -> FlowRuleCase { FlowRuleCase(name: name, json: json) }

    static func fail(
        _ name: String,
        _ json: String,
        _ code: FlowError.Code,
        action: String?,
        type: String?,
        _ fragment: String
    ) -> FlowRuleCase {
        FlowRuleCase(name: name, json: json, code: code, action: action, type: type, fragment: fragment)
    }

    /// `a` of `type` loads.
    static func ok(
        _ name: String,
        _ type: String,
        _ parameters: String = "{}",
        conditions: [String] = []
    ) -> FlowRuleCase {
        pass(name, single(type, parameters, conditions: conditions))
    }

    /// `a` of `type`, without parameters or conditions, is rejected with `code`.
    static func bad(_ name: String, _ type: String, _ code: FlowError.Code, _ fragment: String) -> FlowRuleCase {
        bad(name, type, "{}", conditions: [], code, fragment)
    }

    /// `a` of `type` is rejected with `code`, the message containing `fragment`.
    static func bad(
        _ name: String,
        _ type: String,
        _ parameters: String = "{}",
        conditions: [String] = [],
        _ code: FlowError.Code,
        _ fragment: String
    ) -> FlowRuleCase {
        fail(name, single(type, parameters, conditions: conditions), code, action: "a", type: type, fragment)
    }
}

private func check(_ rule: FlowRuleCase) {
    do throws(FlowError) {
        let document = try FlowDocument.parse(rule.json)
        if let code = rule.code {
            Issue.record("\(rule.name): loaded (\(document.actionOrder.count) actions), expected \(code)")
        }
    } catch {
        guard let code = rule.code else {
            Issue.record("\(rule.name): rejected: \(error)")
            return
        }
        #expect(error.code == code, "\(rule.name): \(error)")
        #expect(error.actionIdentifier == rule.action, "\(rule.name): \(error)")
        #expect(error.actionType == rule.type, "\(rule.name): \(error)")
        #expect(error.message.contains(rule.fragment), "\(rule.name): \(error)")
        if let action = rule.action {
            #expect(error.description.contains("in action \(quoted(action))"), "\(rule.name): \(error)")
        }
        if let action = rule.action, let type = rule.type {
            #expect(error.description.hasPrefix("\(code) in action \(quoted(action)) (\(type)): "), "\(error)")
        }
    }
}

// MARK: The cases

private let chain250 = flow(
    (0..<249).map { act("a\($0)", "UpdateContactAttributes", #"{"Attributes": {"k": "v"}}"#) },
    start: "a0"
)
private let chain251 = flow(
    (0..<250).map { act("a\($0)", "UpdateContactAttributes", #"{"Attributes": {"k": "v"}}"#) },
    start: "a0"
)
private let plainText = #"{"Text": "Hello"}"#

private let documentCases: [FlowRuleCase] = [
    .fail("not JSON", "{\"Version\": ", .invalidJSON, action: nil, type: nil, "not valid JSON"),
    .fail("not an object", "[1, 2]", .invalidJSON, action: nil, type: nil, "must be a JSON object"),
    .fail(
        "Actions not an array",
        #"{"Version": "2019-10-30", "StartAction": "a", "Actions": {}}"#,
        .invalidJSON,
        action: nil,
        type: nil,
        "Actions must be an array"
    ),
    .fail(
        "action without Type",
        flow([#"{"Identifier": "a", "Parameters": {}}"#]),
        .invalidJSON,
        action: "a",
        type: nil,
        "Type"
    ),
    .pass("a minimal flow", single("MessageParticipant", plainText)),
    .fail(
        "wrong Version",
        flow([act("a", "MessageParticipant", plainText)], version: "2020-01-01"),
        .unsupportedVersion,
        action: nil,
        type: nil,
        "\"2020-01-01\""
    ),
    .fail(
        "no Version",
        #"{"StartAction": "a", "Actions": []}"#,
        .unsupportedVersion,
        action: nil,
        type: nil,
        "Version is missing"
    ),
    .pass("250 actions", chain250),
    .fail("251 actions", chain251, .tooManyActions, action: nil, type: nil, "at most 250 actions; this one has 251"),
    .fail(
        "empty Identifier",
        flow([act("a", "MessageParticipant", plainText, next: ""), act("", "MessageParticipant", plainText)]),
        .invalidIdentifier,
        action: "",
        type: "MessageParticipant",
        "must not be empty"
    ),
    .fail(
        "Identifier without a string",
        flow([#"{"Identifier": 7, "Type": "DisconnectParticipant"}"#]),
        .invalidIdentifier,
        action: nil,
        type: "DisconnectParticipant",
        "Actions[0] must have an Identifier"
    ),
    .pass(
        "50-character Identifier",
        flow(
            [act(String(repeating: "x", count: 50), "MessageParticipant", plainText)],
            start: String(repeating: "x", count: 50)
        )
    ),
    .fail(
        "51-character Identifier",
        flow(
            [act(String(repeating: "x", count: 51), "MessageParticipant", plainText)],
            start: String(repeating: "x", count: 51)
        ),
        .invalidIdentifier,
        action: String(repeating: "x", count: 51),
        type: "MessageParticipant",
        "at most 50 characters, not 51"
    ),
    .pass(
        "Unicode, spaces and # in an Identifier",
        flow([act("Begrüßung Nr. #1 ✓", "MessageParticipant", plainText)], start: "Begrüßung Nr. #1 ✓")
    ),
    .fail(
        "duplicate Identifier",
        flow([act("a", "MessageParticipant", plainText), act("a", "DisconnectParticipant")]),
        .duplicateIdentifier,
        action: "a",
        type: "DisconnectParticipant",
        "Actions[1] has the same Identifier as Actions[0]"
    ),
    .fail(
        "no StartAction",
        #"{"Version": "2019-10-30", "Actions": []}"#,
        .missingStartAction,
        action: nil,
        type: nil,
        "StartAction is missing"
    ),
    .fail(
        "StartAction names no action",
        flow([act("a", "MessageParticipant", plainText)], start: "nowhere"),
        .missingStartAction,
        action: nil,
        type: nil,
        "\"nowhere\" is not an action"
    ),
    .fail(
        "NextAction names no action",
        flow([act("a", "MessageParticipant", plainText, next: "nowhere")]),
        .missingTarget,
        action: "a",
        type: "MessageParticipant",
        "NextAction \"nowhere\""
    ),
    .fail(
        "error branch names no action",
        flow([
            act(
                "a",
                "MessageParticipant",
                plainText,
                errors: #"[{"ErrorType": "NoMatchingError", "NextAction": "gone"}]"#
            )
        ]),
        .missingTarget,
        action: "a",
        type: "MessageParticipant",
        "NoMatchingError error branch goes to \"gone\""
    ),
    .pass(
        "error branch to an action",
        flow([
            act(
                "a",
                "MessageParticipant",
                plainText,
                errors: #"[{"ErrorType": "NoMatchingError", "NextAction": "end"}]"#
            )
        ])
    ),
    .fail(
        "condition names no action",
        single("Compare", #"{"ComparisonValue": "$.Channel"}"#, conditions: [cond("Equals", "CHAT", to: "gone")]),
        .missingTarget,
        action: "a",
        type: "Compare",
        "Conditions[0] goes to \"gone\""
    ),
    .fail(
        "Conditions not an array",
        flow([
            #"{"Identifier": "a", "Type": "Compare", "Parameters": {"ComparisonValue": "$.Channel"}, "Transitions": {"NextAction": "end", "Conditions": {}}}"#
        ]),
        .invalidCondition,
        action: "a",
        type: "Compare",
        "Conditions must be an array"
    ),
    .fail(
        "nested condition",
        single(
            "Compare",
            #"{"ComparisonValue": "$.Channel"}"#,
            conditions: [
                #"{"NextAction": "end", "Condition": {"Operator": "Equals", "Operands": [{"Operator": "Equals", "Operands": ["x"]}]}}"#
            ]
        ),
        .invalidCondition,
        action: "a",
        type: "Compare",
        "nested conditions are not supported"
    ),
    .fail(
        "unknown operator",
        single("Compare", #"{"ComparisonValue": "$.Channel"}"#, conditions: [cond("Between", "1")]),
        .invalidCondition,
        action: "a",
        type: "Compare",
        "operator \"Between\""
    ),
    .fail(
        "two operands",
        single(
            "Compare",
            #"{"ComparisonValue": "$.Channel"}"#,
            conditions: [#"{"NextAction": "end", "Condition": {"Operator": "Equals", "Operands": ["a", "b"]}}"#]
        ),
        .invalidCondition,
        action: "a",
        type: "Compare",
        "exactly one operand, not 2"
    ),
    .fail(
        "number operator with text",
        single("Compare", #"{"ComparisonValue": "$.Attributes.n"}"#, conditions: [cond("NumberLessThan", "ten")]),
        .invalidCondition,
        action: "a",
        type: "Compare",
        "\"ten\" is not one"
    ),
    .pass(
        "all eight operators",
        single(
            "Compare",
            #"{"ComparisonValue": "$.Attributes.n"}"#,
            conditions: ["Equals", "TextStartsWith", "TextEndsWith", "TextContains"].map { cond($0, "x") }
                + ["NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo"].map {
                    cond($0, "2.5")
                }
        )
    ),
    .fail(
        "conditions on an action without results",
        single("MessageParticipant", plainText, conditions: [cond("Equals", "x")]),
        .invalidCondition,
        action: "a",
        type: "MessageParticipant",
        "Conditions must be empty"
    ),
    .pass(
        "empty Conditions and Errors on an action without results",
        single("TransferToFlow", #"{"ContactFlowId": "flow-1"}"#)
    ),
    .fail(
        "unsupported type",
        single("CreateWisdomSession", #"{"WisdomAssistantArn": "arn"}"#),
        .unsupportedAction,
        action: "a",
        type: "CreateWisdomSession",
        "CreateWisdomSession is not an action type Parley loads"
    ),
    .pass(
        "Content wrapper (CreateContactFlow)",
        "{\"Name\": \"x\", \"Type\": \"CONTACT_FLOW\", \"Content\": \(quoted(single("MessageParticipant", plainText)))}"
    ),
    .pass(
        "ContactFlow wrapper (DescribeContactFlow)",
        "{\"ContactFlow\": {\"Arn\": \"arn\", \"Content\": \(quoted(single("MessageParticipant", plainText)))}}"
    ),
    .pass(
        "ContactFlowModule wrapper",
        "{\"ContactFlowModule\": {\"Content\": \(quoted(single("EndFlowModuleExecution")))}}"
    ),
    .fail(
        "Content that is not JSON",
        #"{"Content": "{not json"}"#,
        .invalidJSON,
        action: nil,
        type: nil,
        "Content is not valid JSON"
    ),
]

private let parameterCases: [FlowRuleCase] = [
    // MessageParticipant
    .ok("MessageParticipant Text", "MessageParticipant", plainText),
    .ok("MessageParticipant dynamic Text", "MessageParticipant", #"{"Text": "Hi $.Attributes.name, welcome"}"#),
    .ok("MessageParticipant SSML", "MessageParticipant", #"{"SSML": "<speak>Hi</speak>"}"#),
    .ok("MessageParticipant PromptId", "MessageParticipant", #"{"PromptId": "$.External.prompt"}"#),
    .ok(
        "MessageParticipant Media",
        "MessageParticipant",
        #"{"Media": {"Uri": "s3://b/k.wav", "SourceType": "S3", "MediaType": "Audio"}}"#
    ),
    .bad(
        "MessageParticipant Text not a string",
        "MessageParticipant",
        #"{"Text": 5}"#,
        .invalidParameter,
        "Text must be a string"
    ),
    .bad(
        "MessageParticipant two prompts",
        "MessageParticipant",
        #"{"Text": "a", "SSML": "b"}"#,
        .invalidParameter,
        "not Text and SSML"
    ),
    .bad(
        "MessageParticipant no prompt",
        "MessageParticipant",
        .invalidParameter,
        "exactly one of Text, PromptId, SSML and Media is required"
    ),
    .bad(
        "MessageParticipant Media without Uri",
        "MessageParticipant",
        #"{"Media": {"SourceType": "S3"}}"#,
        .invalidParameter,
        "Media.Uri is required"
    ),
    // Wait
    .ok(
        "Wait TimeoutSeconds string",
        "Wait",
        #"{"TimeoutSeconds": "900", "Events": ["CustomerReturned"]}"#,
        conditions: [cond("Equals", "CustomerReturned"), cond("Equals", "WaitCompleted")]
    ),
    .ok(
        "Wait TimeoutSeconds number at 7 days",
        "Wait",
        #"{"TimeoutSeconds": 604800}"#,
        conditions: [cond("Equals", "WaitCompleted")]
    ),
    .ok(
        "Wait TimeLimitSeconds (designer export) as JSONPath",
        "Wait",
        #"{"TimeLimitSeconds": "$.External.waitSeconds"}"#,
        conditions: [cond("Equals", "WaitCompleted")]
    ),
    .ok(
        "Wait timeout as deploy-time placeholder",
        "Wait",
        #"{"TimeoutSeconds": "${WAIT_SECONDS}"}"#,
        conditions: [cond("Equals", "WaitCompleted")]
    ),
    .ok(
        "Wait both events",
        "Wait",
        #"{"TimeoutSeconds": "60", "Events": ["CustomerReturned", "BotParticipantDisconnected"]}"#,
        conditions: [
            cond("Equals", "WaitCompleted"), cond("Equals", "BotParticipantDisconnected"),
            cond("Equals", "CustomerReturned"),
        ]
    ),
    .bad(
        "Wait timeout 0",
        "Wait",
        #"{"TimeoutSeconds": "0"}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "TimeoutSeconds must be a whole number from 1 to 604800 or one JSONPath, not \"0\""
    ),
    .bad(
        "Wait timeout over 7 days",
        "Wait",
        #"{"TimeoutSeconds": 604801}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "not 604801"
    ),
    .bad(
        "Wait timeout template",
        "Wait",
        #"{"TimeoutSeconds": "$.Attributes.a + 1"}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "TimeoutSeconds must be"
    ),
    .bad(
        "Wait without timeout",
        "Wait",
        #"{"Events": []}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "exactly one of TimeoutSeconds and TimeLimitSeconds is required"
    ),
    .bad(
        "Wait with both timeout names",
        "Wait",
        #"{"TimeoutSeconds": "1", "TimeLimitSeconds": "1"}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "only one of TimeoutSeconds and TimeLimitSeconds"
    ),
    .bad(
        "Wait unknown event",
        "Wait",
        #"{"TimeoutSeconds": "60", "Events": ["LambdaReturned"]}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .invalidParameter,
        "Events[0] is \"LambdaReturned\""
    ),
    .bad(
        "Wait without WaitCompleted",
        "Wait",
        #"{"TimeoutSeconds": "60", "Events": ["CustomerReturned"]}"#,
        conditions: [cond("Equals", "CustomerReturned")],
        .missingCondition,
        "an Equals condition for WaitCompleted is required"
    ),
    .bad(
        "Wait without a listed event's condition",
        "Wait",
        #"{"TimeoutSeconds": "60", "Events": ["CustomerReturned"]}"#,
        conditions: [cond("Equals", "WaitCompleted")],
        .missingCondition,
        "condition for CustomerReturned is required"
    ),
    .bad(
        "Wait with a non-Equals condition",
        "Wait",
        #"{"TimeoutSeconds": "60"}"#,
        conditions: [cond("TextContains", "Wait")],
        .invalidCondition,
        "allows only Equals"
    ),
    .bad(
        "Wait condition for an unlisted event",
        "Wait",
        #"{"TimeoutSeconds": "60"}"#,
        conditions: [cond("Equals", "WaitCompleted"), cond("Equals", "CustomerReturned")],
        .invalidCondition,
        "\"CustomerReturned\", which is not a result of this Wait"
    ),
    // UpdateContactEventHooks
    .ok(
        "event hook as JSONPath",
        "UpdateContactEventHooks",
        #"{"EventHooks": {"CustomerQueue": "$.FlowAttributes.queueFlow"}, "EventHooksConfiguration": {}}"#
    ),
    .ok(
        "event hook with another account's ARN",
        "UpdateContactEventHooks",
        #"{"EventHooks": {"CustomerRemaining": "arn:aws:connect:eu-west-2:999999999999:instance/i/contact-flow/f"}}"#
    ),
    .bad(
        "event hooks with two entries",
        "UpdateContactEventHooks",
        #"{"EventHooks": {"CustomerQueue": "q", "AgentWhisper": "w"}}"#,
        .invalidParameter,
        "exactly one entry, not 2"
    ),
    .bad(
        "event hook with an unknown key",
        "UpdateContactEventHooks",
        #"{"EventHooks": {"CustomerGone": "f"}}"#,
        .invalidParameter,
        "EventHooks key \"CustomerGone\""
    ),
    .bad("event hooks missing", "UpdateContactEventHooks", .invalidParameter, "EventHooks is required"),
    // UpdateContactTargetQueue / DequeueContactAndTransferToQueue
    .ok(
        "target queue ARN",
        "UpdateContactTargetQueue",
        #"{"QueueId": "arn:aws:connect:us-west-2:976576190876:instance/4e3a/queue/1f56"}"#
    ),
    .ok("target agent as JSONPath", "UpdateContactTargetQueue", #"{"AgentId": "$.Attributes.agent"}"#),
    .ok("target queue CDK placeholder", "UpdateContactTargetQueue", #"{"QueueId": "%QueueArn%"}"#),
    .bad(
        "target queue and agent",
        "UpdateContactTargetQueue",
        #"{"QueueId": "q", "AgentId": "a"}"#,
        .invalidParameter,
        "only one of QueueId and AgentId"
    ),
    .bad(
        "target queue missing",
        "UpdateContactTargetQueue",
        .invalidParameter,
        "exactly one of QueueId and AgentId is required"
    ),
    .bad(
        "target queue template",
        "UpdateContactTargetQueue",
        #"{"QueueId": "queue-$.Attributes.tier"}"#,
        .invalidParameter,
        "static or exactly one JSONPath"
    ),
    .ok("transfer to queue without parameters", "TransferContactToQueue"),
    .ok("dequeue to a queue", "DequeueContactAndTransferToQueue", #"{"QueueId": "q-2"}"#),
    .bad(
        "dequeue without a target",
        "DequeueContactAndTransferToQueue",
        .invalidParameter,
        "exactly one of QueueId and AgentId"
    ),
    // UpdateContactAttributes / UpdateFlowAttributes
    .ok(
        "attributes with templates",
        "UpdateContactAttributes",
        #"{"Attributes": {"Journey": "$.Attributes.Journey >> module", "Slot": "$.Lex.Slots.x"}, "TargetContact": "Related"}"#
    ),
    .bad(
        "attribute not a string",
        "UpdateContactAttributes",
        #"{"Attributes": {"n": 5}}"#,
        .invalidParameter,
        "Attributes.n must be a string"
    ),
    .bad(
        "attributes missing",
        "UpdateContactAttributes",
        #"{"TargetContact": "Current"}"#,
        .invalidParameter,
        "Attributes is required"
    ),
    .bad(
        "attributes for another contact",
        "UpdateContactAttributes",
        #"{"Attributes": {}, "TargetContact": "Other"}"#,
        .invalidParameter,
        "TargetContact must be one of Current, Related, not \"Other\""
    ),
    .ok(
        "flow attributes",
        "UpdateFlowAttributes",
        #"{"FlowAttributes": {"fn": {"Value": "arn:aws:lambda:$.AwsRegion:${ACCT_ID}:function:f"}}}"#
    ),
    .bad(
        "flow attribute without Value",
        "UpdateFlowAttributes",
        #"{"FlowAttributes": {"fn": "arn"}}"#,
        .invalidParameter,
        "FlowAttributes.fn must be an object with a string Value"
    ),
    // Compare
    .ok("compare a JSONPath", "Compare", #"{"ComparisonValue": "$.Channel"}"#, conditions: [cond("Equals", "CHAT")]),
    .bad(
        "compare a static value",
        "Compare",
        #"{"ComparisonValue": "CHAT"}"#,
        conditions: [cond("Equals", "CHAT")],
        .invalidParameter,
        "ComparisonValue must be exactly one JSONPath"
    ),
    .bad(
        "compare a template",
        "Compare",
        #"{"ComparisonValue": "$.Attributes.a-$.Attributes.b "}"#,
        .invalidParameter,
        "ComparisonValue must be exactly one JSONPath"
    ),
    // Terminal and flow-transfer actions
    .ok("disconnect", "DisconnectParticipant"),
    .ok("end flow", "EndFlowExecution"),
    .ok("end module", "EndFlowModuleExecution"),
    .ok(
        "transfer to flow via deploy placeholder",
        "TransferToFlow",
        #"{"ContactFlowId": "{{contactFlows.RulesEngineError.arn}}"}"#
    ),
    .bad("transfer to flow without id", "TransferToFlow", .invalidParameter, "ContactFlowId is required"),
    .ok("invoke module", "InvokeFlowModule", #"{"FlowModuleId": "1bc263e9-09cf-432c-971c-32da62c784af"}"#),
    .bad("invoke module without id", "InvokeFlowModule", .invalidParameter, "FlowModuleId is required"),
    // Loop
    .ok(
        "loop",
        "Loop",
        #"{"LoopCount": "3"}"#,
        conditions: [cond("Equals", "ContinueLooping", to: "a"), cond("Equals", "DoneLooping")]
    ),
    .ok(
        "loop zero times",
        "Loop",
        #"{"LoopCount": 0}"#,
        conditions: [cond("Equals", "DoneLooping"), cond("Equals", "ContinueLooping")]
    ),
    .bad(
        "loop over 100",
        "Loop",
        #"{"LoopCount": 101}"#,
        conditions: [cond("Equals", "ContinueLooping"), cond("Equals", "DoneLooping")],
        .invalidParameter,
        "LoopCount must be a whole number from 0 to 100"
    ),
    .bad(
        "loop without DoneLooping",
        "Loop",
        #"{"LoopCount": 2}"#,
        conditions: [cond("Equals", "ContinueLooping")],
        .missingCondition,
        "condition for DoneLooping is required"
    ),
    .bad(
        "loop with another condition",
        "Loop",
        #"{"LoopCount": 2}"#,
        conditions: [cond("Equals", "ContinueLooping"), cond("Equals", "DoneLooping"), cond("Equals", "Maybe")],
        .invalidCondition,
        "\"Maybe\", which is not a result of this Loop"
    ),
    // CheckHoursOfOperation
    .ok(
        "hours",
        "CheckHoursOfOperation",
        #"{"HoursOfOperationId": "hours-1"}"#,
        conditions: [cond("Equals", "True"), cond("Equals", "False")]
    ),
    .ok(
        "hours of the target queue",
        "CheckHoursOfOperation",
        conditions: [cond("Equals", "False"), cond("Equals", "True")]
    ),
    .bad(
        "hours without False",
        "CheckHoursOfOperation",
        conditions: [cond("Equals", "True")],
        .missingCondition,
        "condition for False is required"
    ),
    .bad(
        "hours with another condition",
        "CheckHoursOfOperation",
        conditions: [cond("Equals", "True"), cond("Equals", "False"), cond("Equals", "Holiday")],
        .invalidCondition,
        "\"Holiday\""
    ),
    // CheckMetricData / GetMetricData
    .ok(
        "agents available > 0",
        "CheckMetricData",
        #"{"MetricType": "NumberOfAgentsAvailable", "QueueId": "q"}"#,
        conditions: [cond("NumberGreaterThan", "0")]
    ),
    .ok(
        "oldest contact age",
        "CheckMetricData",
        #"{"MetricType": "OldestContactInQueueAgeSeconds"}"#,
        conditions: [cond("NumberLessThan", "60"), cond("Equals", "0")]
    ),
    .bad(
        "unknown metric",
        "CheckMetricData",
        #"{"MetricType": "ServiceLevel"}"#,
        .invalidParameter,
        "MetricType must be one of NumberOfAgentsAvailable"
    ),
    .bad(
        "agents staffed > 2",
        "CheckMetricData",
        #"{"MetricType": "NumberOfAgentsStaffed"}"#,
        conditions: [cond("NumberGreaterThan", "2")],
        .invalidCondition,
        "allows only NumberGreaterThan \"0\""
    ),
    .bad(
        "contacts in queue compared as text",
        "CheckMetricData",
        #"{"MetricType": "NumberOfContactsInQueue"}"#,
        conditions: [cond("TextContains", "1")],
        .invalidCondition,
        "allows Equals and the Number operators"
    ),
    .ok("get metrics", "GetMetricData", #"{"QueueId": "q", "QueueChannel": "Chat"}"#),
    .bad(
        "get metrics for queue and agent",
        "GetMetricData",
        #"{"QueueId": "q", "AgentId": "a"}"#,
        .invalidParameter,
        "only one of QueueId and AgentId"
    ),
    // UpdateContactRoutingBehavior
    .ok("routing priority", "UpdateContactRoutingBehavior", #"{"QueuePriority": "1"}"#),
    .ok("routing age adjustment", "UpdateContactRoutingBehavior", #"{"QueueTimeAdjustmentSeconds": -30}"#),
    .bad(
        "routing priority 0",
        "UpdateContactRoutingBehavior",
        #"{"QueuePriority": 0}"#,
        .invalidParameter,
        "QueuePriority must be a whole number of at least 1, not 0"
    ),
    .bad(
        "routing priority as JSONPath",
        "UpdateContactRoutingBehavior",
        #"{"QueuePriority": "$.Attributes.p"}"#,
        .invalidParameter,
        "QueuePriority must be a whole number of at least 1, not"
    ),
    .bad(
        "routing priority and age",
        "UpdateContactRoutingBehavior",
        #"{"QueuePriority": 1, "QueueTimeAdjustmentSeconds": 5}"#,
        .invalidParameter,
        "only one of QueuePriority and QueueTimeAdjustmentSeconds"
    ),
    .ok(
        "distribute by percentage",
        "DistributeByPercentage",
        conditions: [cond("NumberLessThan", "20"), cond("NumberLessThan", "50", to: "a")]
    ),
    // ConnectParticipantWithLexBot
    .ok(
        "Lex V2 bot of another account",
        "ConnectParticipantWithLexBot",
        #"{"Text": "How can I help?", "LexV2Bot": {"AliasArn": "arn:aws:lex:eu-west-1:999999999999:bot-alias/B/A"}, "LexTimeoutSeconds": {"Text": "300"}, "LexSessionAttributes": {"k": "v"}}"#,
        conditions: [cond("Equals", "Sales")]
    ),
    .ok(
        "Lex V1 bot",
        "ConnectParticipantWithLexBot",
        #"{"LexBot": {"Name": "Orders", "Region": "us-east-1", "Alias": "$LATEST"}, "LexInitilizationData": {"InitialMessage": "hi"}}"#
    ),
    .ok(
        "Lex chat timeout of 7 days",
        "ConnectParticipantWithLexBot",
        #"{"LexV2Bot": {"AliasArn": "$.FlowAttributes.bot"}, "LexTimeoutSeconds": {"Text": 604800}}"#
    ),
    .bad(
        "Lex without a bot",
        "ConnectParticipantWithLexBot",
        plainText,
        .invalidParameter,
        "exactly one of LexV2Bot and LexBot is required"
    ),
    .bad(
        "Lex V1 bot without Name",
        "ConnectParticipantWithLexBot",
        #"{"LexBot": {"Region": "us-east-1"}}"#,
        .invalidParameter,
        "LexBot.Name is required"
    ),
    .bad(
        "Lex chat timeout under a minute",
        "ConnectParticipantWithLexBot",
        #"{"LexV2Bot": {"AliasArn": "a"}, "LexTimeoutSeconds": {"Text": 30}}"#,
        .invalidParameter,
        "LexTimeoutSeconds.Text must be a whole number from 60 to 604800"
    ),
    .bad(
        "Lex chat timeout over 7 days",
        "ConnectParticipantWithLexBot",
        #"{"LexV2Bot": {"AliasArn": "a"}, "LexTimeoutSeconds": {"Text": "604801"}}"#,
        .invalidParameter,
        "not \"604801\""
    ),
    .bad(
        "Lex with two prompts",
        "ConnectParticipantWithLexBot",
        #"{"LexV2Bot": {"AliasArn": "a"}, "Text": "x", "PromptId": "p"}"#,
        .invalidParameter,
        "not Text and PromptId"
    ),
    .bad(
        "Lex with a number condition",
        "ConnectParticipantWithLexBot",
        #"{"LexV2Bot": {"AliasArn": "a"}}"#,
        conditions: [cond("NumberGreaterThan", "1")],
        .invalidCondition,
        "allows only Equals"
    ),
    // InvokeLambdaFunction
    .ok(
        "Lambda 8 s",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "{{lambdaFunctions.f.arn}}", "InvocationTimeLimitSeconds": "8", "LambdaInvocationAttributes": {"k": "$.External.x"}, "ResponseValidation": {"ResponseType": "JSON"}}"#
    ),
    .ok(
        "Lambda asynchronous 60 s",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f", "InvocationType": "ASYNCHRONOUS", "InvocationTimeLimitSeconds": 60}"#
    ),
    .bad(
        "Lambda 9 s",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "f", "InvocationTimeLimitSeconds": "9"}"#,
        .invalidParameter,
        "InvocationTimeLimitSeconds must be a whole number from 1 to 8"
    ),
    .bad(
        "Lambda asynchronous 61 s",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "f", "InvocationType": "ASYNCHRONOUS", "InvocationTimeLimitSeconds": 61}"#,
        .invalidParameter,
        "from 1 to 60"
    ),
    .bad(
        "Lambda without ARN",
        "InvokeLambdaFunction",
        #"{"InvocationTimeLimitSeconds": "3"}"#,
        .invalidParameter,
        "LambdaFunctionARN is required"
    ),
    .bad(
        "Lambda XML responses",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "f", "ResponseValidation": {"ResponseType": "XML"}}"#,
        .invalidParameter,
        "ResponseValidation.ResponseType must be one of STRING_MAP, JSON"
    ),
    .bad(
        "Lambda with a condition",
        "InvokeLambdaFunction",
        #"{"LambdaFunctionARN": "f"}"#,
        conditions: [cond("Equals", "x")],
        .invalidCondition,
        "Conditions must be empty"
    ),
    // GetParticipantInput
    .ok(
        "participant input",
        "GetParticipantInput",
        #"{"Text": "Press 1", "StoreInput": "False", "InputTimeLimitSeconds": "5"}"#,
        conditions: [cond("Equals", "1")]
    ),
    .bad(
        "participant input StoreInput",
        "GetParticipantInput",
        #"{"Text": "Press 1", "StoreInput": "Maybe"}"#,
        .invalidParameter,
        "StoreInput must be one of True, False"
    ),
    .bad(
        "participant input 0 s",
        "GetParticipantInput",
        #"{"Text": "Press 1", "InputTimeLimitSeconds": 0}"#,
        .invalidParameter,
        "InputTimeLimitSeconds must be"
    ),
    // MessageParticipantIteratively
    .ok(
        "iterative messages",
        "MessageParticipantIteratively",
        #"{"Messages": [{"Text": "Still waiting"}, {"PromptId": "p"}], "InterruptFrequencySeconds": "60"}"#,
        conditions: [cond("Equals", "MessagesInterrupted")]
    ),
    .bad("iterative messages missing", "MessageParticipantIteratively", .invalidParameter, "Messages is required"),
    .bad(
        "iterative message with two prompts",
        "MessageParticipantIteratively",
        #"{"Messages": [{"Text": "a"}, {"Text": "b", "SSML": "c"}]}"#,
        .invalidParameter,
        "Messages[1]: only one of Text, PromptId, SSML and Media may be given, not Text and SSML"
    ),
    .bad(
        "iterative messages other result",
        "MessageParticipantIteratively",
        #"{"Messages": [{"Text": "a"}]}"#,
        conditions: [cond("Equals", "Done")],
        .invalidCondition,
        "\"Done\""
    ),
    // Settings-like actions
    .ok("flow logging", "UpdateFlowLoggingBehavior", #"{"FlowLoggingBehavior": "Enabled"}"#),
    .bad(
        "flow logging On",
        "UpdateFlowLoggingBehavior",
        #"{"FlowLoggingBehavior": "On"}"#,
        .invalidParameter,
        "FlowLoggingBehavior must be one of Enabled, Disabled, not \"On\""
    ),
    .ok("recording", "UpdateContactRecordingBehavior", #"{"RecordingBehavior": {"RecordedParticipants": ["Agent"]}}"#),
    .bad(
        "recording without settings",
        "UpdateContactRecordingBehavior",
        .invalidParameter,
        "at least one of RecordingBehavior, AnalyticsBehavior"
    ),
    .bad(
        "recording as a string",
        "UpdateContactRecordingBehavior",
        #"{"RecordingBehavior": "all"}"#,
        .invalidParameter,
        "RecordingBehavior must be an object"
    ),
    .ok(
        "voice",
        "UpdateContactTextToSpeechVoice",
        #"{"TextToSpeechVoice": "%TextToSpeechVoice%", "TextToSpeechEngine": "Neural"}"#
    ),
    .bad(
        "voice without settings",
        "UpdateContactTextToSpeechVoice",
        .invalidParameter,
        "at least one of TextToSpeechVoice"
    ),
    .bad(
        "voice as a number",
        "UpdateContactTextToSpeechVoice",
        #"{"TextToSpeechVoice": 1}"#,
        .invalidParameter,
        "TextToSpeechVoice must be a string"
    ),
    .ok("contact data", "UpdateContactData", #"{"LanguageCode": "en-US"}"#),
    .bad("contact data empty", "UpdateContactData", .invalidParameter, "at least one contact property"),
]

@Suite struct FlowValidationTests {
    @Test(arguments: documentCases) func documentRule(_ rule: FlowRuleCase) { check(rule) }

    @Test(arguments: parameterCases) func parameterRule(_ rule: FlowRuleCase) { check(rule) }

    @Test(arguments: FlowActionTypes.forbiddenIdentifierCharacters.map { String($0) }.sorted())
    func forbiddenIdentifierCharacter(_ character: String) {
        let identifier = "Play\(character)greeting"
        check(
            .fail(
                "Identifier with \(character)",
                flow([act(identifier, "MessageParticipant", plainText)], start: identifier),
                .invalidIdentifier,
                action: identifier,
                type: "MessageParticipant",
                "must not contain \(quoted(character))"
            )
        )
    }

    @Test(arguments: FlowActionTypes.reservedIdentifiers.sorted())
    func reservedIdentifier(_ name: String) {
        check(
            .fail(
                "Identifier \(name)",
                flow([act(name, "MessageParticipant", plainText)], start: name),
                .invalidIdentifier,
                action: name,
                type: "MessageParticipant",
                "reserved name"
            )
        )
        check(
            .pass(
                "Identifier containing \(name)",
                flow([act("my \(name)", "MessageParticipant", plainText)], start: "my \(name)")
            )
        )
    }

    @Test(arguments: FlowActionTypes.eventHooks)
    func everyEventHookKeyLoads(_ key: String) {
        check(.ok("event hook \(key)", "UpdateContactEventHooks", "{\"EventHooks\": {\(quoted(key)): \"flow-1\"}}"))
    }

    @Test(arguments: FlowActionTypes.voiceOnly.sorted())
    func voiceOnlyTypesLoad(_ type: String) {
        check(.ok("voice-only \(type)", type, #"{"QueueId": "q"}"#))
    }

    @Test func descriptionNamesTheActionAndType() throws {
        let text = flow([act("Play greeting", "MessageParticipant", #"{"Text": 5}"#)], start: "Play greeting")
        do throws(FlowError) {
            _ = try FlowDocument.parse(text)
            Issue.record("loaded")
        } catch {
            #expect(error.code == .invalidParameter)
            #expect(
                error.description
                    == #"invalidParameter in action "Play greeting" (MessageParticipant): Text must be a string"#
            )
        }
        let versionError = FlowError(.unsupportedVersion, "Version must be \"2019-10-30\"")
        #expect(versionError.description == #"unsupportedVersion: Version must be "2019-10-30""#)
    }

    @Test func parsedModelKeepsOrderTransitionsAndSettings() throws {
        let text = """
            {"Version": "2019-10-30", "StartAction": "b", "Settings": {"InputParameters": []}, "Actions": [
              \(act("a", "Compare", #"{"ComparisonValue": "$.Channel"}"#, errors: #"[{"ErrorType": "NoMatchingCondition", "NextAction": "b"}]"#, conditions: [cond("Equals", "CHAT", to: "b"), cond("TextStartsWith", "VO")])),
              \(act("b", "MessageParticipant", plainText, next: "a")),
              \(end)]}
            """
        let document = try FlowDocument.parse(text)
        #expect(document.version == "2019-10-30")
        #expect(document.startAction == "b")
        #expect(document.actionOrder == ["a", "b", "end"])
        #expect(document.settings == .object(["InputParameters": .array([])]))
        let compare = try #require(document.actions["a"])
        #expect(compare.parameters == ["ComparisonValue": .string("$.Channel")])
        #expect(compare.next == "end")
        #expect(compare.errorTarget("NoMatchingCondition") == "b")
        #expect(
            compare.conditions == [
                FlowCondition(next: "b", op: "Equals", operands: ["CHAT"]),
                FlowCondition(next: "end", op: "TextStartsWith", operands: ["VO"]),
            ]
        )
        #expect(document.actions["end"]?.next == nil)
        #expect(document.actions["end"]?.errors.isEmpty == true)
    }

    @Test func validateChecksProgrammaticDocuments() throws {
        let message = FlowAction(identifier: "a", type: "MessageParticipant", parameters: ["Text": .string("Hi")])
        var document = FlowDocument(
            version: "2019-10-30",
            startAction: "a",
            actions: ["a": message],
            actionOrder: ["a"],
            settings: nil
        )
        try FlowValidator.validate(document)
        document.actionOrder = ["a", "b"]
        #expect(throws: FlowError.self) { try FlowValidator.validate(document) }
        document.actionOrder = ["a"]
        document.actions["a"]?.next = "b"
        do throws(FlowError) {
            try FlowValidator.validate(document)
            Issue.record("validated")
        } catch {
            #expect(error.code == .missingTarget)
            #expect(error.actionIdentifier == "a")
        }
    }

    @Test func typeSetsAreDisjointAndCoverTheBrief() {
        #expect(FlowActionTypes.supported.isDisjoint(with: FlowActionTypes.voiceOnly))
        #expect(FlowActionTypes.withoutResult.isSubset(of: FlowActionTypes.supported))
        #expect(FlowActionTypes.supported.count == 28)
        #expect(FlowActionTypes.voiceOnly.contains("TransferContactToAgent"))
        #expect(FlowActionTypes.voiceOnly.contains("CreateCallbackContact"))
        #expect(!FlowActionTypes.loadable.contains("CreateWisdomSession"))
    }

    // MARK: FlowPath

    @Test(arguments: [
        ("$.Attributes.x", ["Attributes", "x"]),
        ("$.Channel", ["Channel"]),
        ("$.External.order.items[0]", ["External", "order", "items", "0"]),
        ("$.Attributes['two words']", ["Attributes", "two words"]),
        ("$.FlowAttributes.acme-exampleFunction", ["FlowAttributes", "acme-exampleFunction"]),
        ("$.Lex.Slots.FirstName", ["Lex", "Slots", "FirstName"]),
    ])
    func jsonPaths(_ text: String, _ segments: [String]) {
        #expect(FlowPath.isJSONPath(text))
        #expect(FlowPath.segments(of: text) == segments)
        #expect(FlowPath.containsJSONPath(text))
    }

    @Test(arguments: [
        "", "$", "$.", "$.5", "Attributes.x", " $.Attributes.x", "$.Attributes.x ", "$.Attributes.x.", "$.a..b",
        "Hi $.Attributes.name", "$.Attributes.Journey >> went_through_module", "$.a[", "$.a['']", "${ACCT_ID}",
        "arn:aws:connect:us-west-2:976576190876:instance/4e3a",
    ])
    func notExactlyOneJSONPath(_ text: String) {
        #expect(!FlowPath.isJSONPath(text))
        #expect(FlowPath.segments(of: text) == nil)
    }

    @Test func templatesAndPlaceholders() {
        #expect(FlowPath.containsJSONPath("Hi $.Attributes.name, welcome"))
        #expect(FlowPath.containsJSONPath("arn:aws:lambda:$.AwsRegion:${ACCT_ID}:function:f"))
        #expect(!FlowPath.containsJSONPath("Costs $5.00 or ${PRICE}"))
        #expect(FlowPath.containsPlaceholder("arn:aws:connect:${REGION}:${ACCT_ID}:instance/x"))
        #expect(FlowPath.containsPlaceholder("{{contactFlows.RulesEngineError.arn}}"))
        #expect(FlowPath.containsPlaceholder("%QueueArn%"))
        #expect(!FlowPath.containsPlaceholder("100% sure"))
        #expect(!FlowPath.containsPlaceholder("%two words%"))
        #expect(!FlowPath.containsPlaceholder("$.Attributes.x"))
    }

    // MARK: The corpus of real exports

    /// `../shared/corpus/flows`, next to the repository.
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/corpus/flows").standardizedFileURL

    /// Each corpus file: "ok", or the unsupported action type it is rejected for.
    static let expected: [String: String] = [
        "cdk-constructs-inbound.json": "CreateWisdomSession",
        "data-analytics-simple-inbound.json": "ok",
        "gitlab-acme-flow-module.json": "ok",
        "gitlab-acme-main.json": "ok",
        "gitlab-acme-queue-transfer.json": "ok",
        "rules-engine-chat-disconnect.json": "ok",
        "rules-engine-message.json": "ok",
        "rules-engine-wait.json": "ok",
        "sbs-lex-integration-handler.json": "ok",
        "surveys-disconnect-module-call.json": "ok",
    ]

    @Test func corpusFilesLoadOrNameTheirUnsupportedType() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(names == Self.expected.keys.sorted(), "the corpus changed; update the expected table")
        for name in names {
            let text = try String(contentsOf: Self.corpus.appendingPathComponent(name), encoding: .utf8)
            let raw = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let rawActions = try #require(raw["Actions"] as? [[String: Any]])
            do throws(FlowError) {
                let document = try FlowDocument.parse(text)
                #expect(Self.expected[name] == "ok", "\(name) loaded")
                #expect(document.actionOrder == rawActions.compactMap { $0["Identifier"] as? String }, "\(name)")
                #expect(document.startAction == raw["StartAction"] as? String)
            } catch {
                #expect(error.code == .unsupportedAction, "\(name): \(error)")
                #expect(error.actionType == Self.expected[name], "\(name): \(error)")
                let identifier = try #require(error.actionIdentifier)
                #expect(
                    rawActions.contains {
                        $0["Identifier"] as? String == identifier && $0["Type"] as? String == error.actionType
                    }
                )
            }
        }
    }

    /// With its one unsupported action swapped for a supported type, the CDK export loads: nothing else in it is rejected.
    @Test func cdkExportFailsOnlyOnCreateWisdomSession() throws {
        let text = try String(
            contentsOf: Self.corpus.appendingPathComponent("cdk-constructs-inbound.json"),
            encoding: .utf8
        )
        let swapped = text.replacingOccurrences(of: "\"CreateWisdomSession\"", with: "\"DistributeByPercentage\"")
        #expect(try FlowDocument.parse(swapped).actionOrder.count == 11)
    }
}

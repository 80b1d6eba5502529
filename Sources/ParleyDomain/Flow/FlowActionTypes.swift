/// The action types Parley loads, and the fixed vocabularies of the flow language it checks against.
public enum FlowActionTypes {
    /// Types Parley runs with chat semantics.
    public static let supported: Set<String> = [
        "CheckHoursOfOperation",
        "CheckMetricData",
        "Compare",
        "ConnectParticipantWithLexBot",
        "DequeueContactAndTransferToQueue",
        "DisconnectParticipant",
        "DistributeByPercentage",
        "EndFlowExecution",
        "EndFlowModuleExecution",
        "GetMetricData",
        "GetParticipantInput",
        "InvokeFlowModule",
        "InvokeLambdaFunction",
        "Loop",
        "MessageParticipant",
        "MessageParticipantIteratively",
        "TransferContactToQueue",
        "TransferToFlow",
        "UpdateContactAttributes",
        "UpdateContactData",
        "UpdateContactEventHooks",
        "UpdateContactRecordingBehavior",
        "UpdateContactRoutingBehavior",
        "UpdateContactTargetQueue",
        "UpdateContactTextToSpeechVoice",
        "UpdateFlowAttributes",
        "UpdateFlowLoggingBehavior",
        "Wait",
    ]

    /// Voice-only types: a flow containing them loads, and on a chat the action takes its Error branch.
    public static let voiceOnly: Set<String> = [
        "CompleteOutboundCall",
        "CreateCallbackContact",
        "TransferContactToAgent",
        "UpdateContactCallbackNumber",
        "UpdateContactMediaStreamingBehavior",
    ]

    /// Every type a flow may contain: `supported` and `voiceOnly`.
    public static let loadable: Set<String> = supported.union(voiceOnly)

    /// Supported types that produce no run result, so their `Conditions` must be empty.
    public static let withoutResult: Set<String> = [
        "DequeueContactAndTransferToQueue",
        "DisconnectParticipant",
        "EndFlowExecution",
        "EndFlowModuleExecution",
        "GetMetricData",
        "InvokeLambdaFunction",
        "MessageParticipant",
        "TransferContactToQueue",
        "TransferToFlow",
        "UpdateContactAttributes",
        "UpdateContactData",
        "UpdateContactEventHooks",
        "UpdateContactRecordingBehavior",
        "UpdateContactRoutingBehavior",
        "UpdateContactTargetQueue",
        "UpdateContactTextToSpeechVoice",
        "UpdateFlowAttributes",
        "UpdateFlowLoggingBehavior",
    ]

    /// Condition operators, each taking one string operand.
    public static let operators: [String] = [
        "Equals", "TextStartsWith", "TextEndsWith", "TextContains",
        "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo",
    ]

    /// The operators that compare numbers (their operand must be a number).
    public static let numberOperators: Set<String> = [
        "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo",
    ]

    /// The keys `UpdateContactEventHooks.EventHooks` may use.
    public static let eventHooks: [String] = [
        "AgentHold", "AgentWhisper", "CustomerHold", "CustomerQueue", "CustomerRemaining", "CustomerWhisper",
        "DefaultAgentUI", "DisconnectAgentUI", "PauseContact", "ResumeContact",
    ]

    /// The events a `Wait` may list; each is also the run result when it interrupts the wait.
    public static let waitEvents: [String] = ["CustomerReturned", "BotParticipantDisconnected"]

    /// `CheckMetricData.MetricType` values.
    public static let metricTypes: [String] = [
        "NumberOfAgentsAvailable", "NumberOfAgentsStaffed", "NumberOfAgentsOnline", "OldestContactInQueueAgeSeconds",
        "NumberOfContactsInQueue",
    ]

    /// The reserved names an `Identifier` may not be (JavaScript object members).
    public static let reservedIdentifiers: Set<String> = [
        "__proto__", "__defineGetter__", "__defineSetter__", "constructor", "hasOwnProperty", "isPrototypeOf",
        "propertyIsEnumerable", "toLocaleString", "toString", "valueOf",
    ]

    /// The characters an `Identifier` may not contain.
    public static let forbiddenIdentifierCharacters: Set<Character> = [
        "%", ":", "(", "\\", "/", ")", "=", "$", ",", ";", "[", "]", "{", "}",
    ]
}

/// Parley's own sample flows (in the flow language), used by `parley demo` and the seed-scenario tests.
///
/// The inbound flow greets the customer, sets the disconnect flow and queues the chat. The disconnect flow runs
/// when the agent leaves while the customer remains: it says so and waits 15 minutes; if the customer writes,
/// the chat goes back to the previous agent (or, with the contact attribute `returnTo` = `queue`, to the previous
/// queue); if not, it disconnects. A Wait never outlives the chat: the duration ceiling ends it first.
public enum SampleFlows {
    /// The sample inbound flow's id.
    public static let inboundId = "parley-sample-inbound"
    /// The sample disconnect flow's id.
    public static let disconnectId = "parley-sample-disconnect"
    /// The queue the sample inbound flow uses.
    public static let queueId = "support"

    /// The sample inbound flow.
    public static let inbound = """
        {
          "Version": "2019-10-30",
          "StartAction": "greet",
          "Metadata": {"name": "Parley sample inbound"},
          "Actions": [
            {"Identifier": "greet", "Type": "MessageParticipant",
             "Parameters": {"Text": "Thanks for contacting us. An agent will be with you shortly."},
             "Transitions": {"NextAction": "set-disconnect-flow",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "set-disconnect-flow"}]}},
            {"Identifier": "set-disconnect-flow", "Type": "UpdateContactEventHooks",
             "Parameters": {"EventHooks": {"CustomerRemaining": "parley-sample-disconnect"}},
             "Transitions": {"NextAction": "set-queue",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "set-queue"}]}},
            {"Identifier": "set-queue", "Type": "UpdateContactTargetQueue",
             "Parameters": {"QueueId": "support"},
             "Transitions": {"NextAction": "to-queue",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "sorry"}]}},
            {"Identifier": "to-queue", "Type": "TransferContactToQueue", "Parameters": {},
             "Transitions": {"NextAction": "sorry",
                             "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "sorry"},
                                        {"ErrorType": "NoMatchingError", "NextAction": "sorry"}]}},
            {"Identifier": "sorry", "Type": "MessageParticipant",
             "Parameters": {"Text": "Sorry, we cannot take your chat right now."},
             "Transitions": {"NextAction": "end",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
            {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
          ]
        }
        """

    /// The sample disconnect flow.
    public static let disconnect = """
        {
          "Version": "2019-10-30",
          "StartAction": "prompt",
          "Metadata": {"name": "Parley sample disconnect"},
          "Actions": [
            {"Identifier": "prompt", "Type": "MessageParticipant",
             "Parameters": {"Text": "The agent has left the chat. Write within 15 minutes to continue."},
             "Transitions": {"NextAction": "wait",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "wait"}]}},
            {"Identifier": "wait", "Type": "Wait",
             "Parameters": {"TimeoutSeconds": "900", "Events": ["CustomerReturned"]},
             "Transitions": {"NextAction": "bye",
                             "Conditions": [
                               {"NextAction": "route-back",
                                "Condition": {"Operator": "Equals", "Operands": ["CustomerReturned"]}},
                               {"NextAction": "bye",
                                "Condition": {"Operator": "Equals", "Operands": ["WaitCompleted"]}}],
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}},
            {"Identifier": "route-back", "Type": "Compare",
             "Parameters": {"ComparisonValue": "$.Attributes.returnTo"},
             "Transitions": {"NextAction": "to-agent",
                             "Conditions": [
                               {"NextAction": "to-previous-queue",
                                "Condition": {"Operator": "Equals", "Operands": ["queue"]}}],
                             "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "to-agent"}]}},
            {"Identifier": "to-agent", "Type": "UpdateContactTargetQueue",
             "Parameters": {"AgentId": "$.PreviousContact.AgentId"},
             "Transitions": {"NextAction": "transfer",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "to-previous-queue"}]}},
            {"Identifier": "to-previous-queue", "Type": "UpdateContactTargetQueue",
             "Parameters": {"QueueId": "$.PreviousContact.QueueId"},
             "Transitions": {"NextAction": "transfer",
                             "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]}},
            {"Identifier": "transfer", "Type": "TransferContactToQueue", "Parameters": {},
             "Transitions": {"NextAction": "bye",
                             "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "bye"},
                                        {"ErrorType": "NoMatchingError", "NextAction": "bye"}]}},
            {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
          ]
        }
        """

    /// The commands that install the samples: the queue, the disconnect flow, then the inbound flow.
    public static func setup(instanceId: String) -> [ChatCommand] {
        [
            .createQueue(instanceId: instanceId, queueId: queueId, name: "Support", maxContacts: 0),
            .createContactFlow(
                instanceId: instanceId,
                flowId: disconnectId,
                name: "Parley sample disconnect",
                type: "CONTACT_FLOW",
                description: "Says the agent left, waits 15 minutes for the customer, routes back or disconnects",
                content: disconnect
            ),
            .createContactFlow(
                instanceId: instanceId,
                flowId: inboundId,
                name: "Parley sample inbound",
                type: "CONTACT_FLOW",
                description: "Greets, sets the disconnect flow and queues the chat",
                content: inbound
            ),
        ]
    }
}

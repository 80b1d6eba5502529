/// A flow in Amazon Connect's flow language (`"Version": "2019-10-30"`), parsed and validated.
public struct FlowDocument: Sendable, Equatable {
    /// `Version`.
    public var version: String
    /// `StartAction`.
    public var startAction: String
    /// Actions by `Identifier`.
    public var actions: [String: FlowAction]
    /// Identifiers in document order.
    public var actionOrder: [String]
    /// `Settings` (flow modules: input/output parameters), if present.
    public var settings: JSONValue?

    /// Creates a document.
    public init(
        version: String,
        startAction: String,
        actions: [String: FlowAction],
        actionOrder: [String],
        settings: JSONValue?
    ) {
        self.version = version
        self.startAction = startAction
        self.actions = actions
        self.actionOrder = actionOrder
        self.settings = settings
    }
}

/// One action (block) of a flow.
public struct FlowAction: Sendable, Equatable {
    /// `Identifier`.
    public var identifier: String
    /// `Type`, e.g. `MessageParticipant`.
    public var type: String
    /// `Parameters`.
    public var parameters: [String: JSONValue]
    /// `Transitions.NextAction`.
    public var next: String?
    /// `Transitions.Errors`, in order.
    public var errors: [FlowErrorBranch]
    /// `Transitions.Conditions`, in order (the first true one wins).
    public var conditions: [FlowCondition]

    /// Creates an action.
    public init(
        identifier: String,
        type: String,
        parameters: [String: JSONValue] = [:],
        next: String? = nil,
        errors: [FlowErrorBranch] = [],
        conditions: [FlowCondition] = []
    ) {
        self.identifier = identifier
        self.type = type
        self.parameters = parameters
        self.next = next
        self.errors = errors
        self.conditions = conditions
    }

    /// The target of the error branch `errorType`, if the action has one.
    public func errorTarget(_ errorType: String) -> String? {
        errors.first { $0.errorType == errorType }?.next
    }
}

/// One `Transitions.Errors` entry.
public struct FlowErrorBranch: Sendable, Equatable {
    /// `ErrorType`, e.g. `NoMatchingError`.
    public var errorType: String
    /// `NextAction`.
    public var next: String

    /// Creates a branch.
    public init(errorType: String, next: String) {
        self.errorType = errorType
        self.next = next
    }
}

/// One `Transitions.Conditions` entry: `{NextAction, Condition: {Operator, Operands}}`.
public struct FlowCondition: Sendable, Equatable {
    /// `NextAction`.
    public var next: String
    /// `Condition.Operator`, e.g. `Equals`, `NumberGreaterThan`.
    public var op: String
    /// `Condition.Operands` (strings).
    public var operands: [String]

    /// Creates a condition.
    public init(next: String, op: String, operands: [String]) {
        self.next = next
        self.op = op
        self.operands = operands
    }
}

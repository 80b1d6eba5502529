/// Why a flow document was rejected: a matchable `code`, a message, and the action it concerns (if any).
public struct FlowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The text is not JSON, or the document's skeleton has the wrong shape (e.g. `Actions` is not an array).
        public static let invalidJSON = Code("invalidJSON")
        /// `Version` is missing or is not `"2019-10-30"`.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// More than 250 actions.
        public static let tooManyActions = Code("tooManyActions")
        /// An `Identifier` is missing, empty, longer than 50 characters, uses a forbidden character or a reserved name.
        public static let invalidIdentifier = Code("invalidIdentifier")
        /// Two actions share an `Identifier`.
        public static let duplicateIdentifier = Code("duplicateIdentifier")
        /// `StartAction` is missing or names no action of the flow.
        public static let missingStartAction = Code("missingStartAction")
        /// A `NextAction` (default, error or condition branch) names no action of the flow.
        public static let missingTarget = Code("missingTarget")
        /// A condition the action type requires (e.g. Wait's `WaitCompleted`) is absent.
        public static let missingCondition = Code("missingCondition")
        /// A condition is malformed, uses an operator or operand the action type does not allow.
        public static let invalidCondition = Code("invalidCondition")
        /// A parameter is missing, has the wrong type, or is out of range.
        public static let invalidParameter = Code("invalidParameter")
        /// The action `Type` is not one Parley loads.
        public static let unsupportedAction = Code("unsupportedAction")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation.
    public var message: String
    /// The `Identifier` of the action concerned, if the problem is in one action.
    public var actionIdentifier: String?
    /// The `Type` of the action concerned, if known.
    public var actionType: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, actionIdentifier: String? = nil, actionType: String? = nil) {
        self.code = code
        self.message = message
        self.actionIdentifier = actionIdentifier
        self.actionType = actionType
    }

    /// `code in action "Identifier" (Type): message`, or `code: message` for document-level problems.
    public var description: String {
        var text = "\(code)"
        if let actionIdentifier {
            text += " in action "
            JSONText.quote(actionIdentifier, to: &text)
            if let actionType { text += " (\(actionType))" }
        } else if let actionType {
            text += " in a \(actionType) action"
        }
        return text + ": " + message
    }
}

import ParleyEngine

/// Why the server could not start or stopped: a matchable `code`, a message a person can act on, and what it is
/// about.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with the static members, e.g. `error.code == .socketInUse`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A configuration value (from the file or a flag) is missing or not valid; `field` names it.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The configuration file could not be read or is not a JSON object.
        public static let configurationFile = Code("configurationFile")
        /// A live server already answers on the query socket.
        public static let socketInUse = Code("socketInUse")
        /// The query socket path cannot be used (not a socket, too long, or a system call failed).
        public static let socketPath = Code("socketPath")
        /// The engine could not be opened; `engineError` holds its error.
        public static let engine = Code("engine")
        /// A listener could not be bound or failed.
        public static let listener = Code("listener")
        /// The server stopped before its listeners were bound.
        public static let notRunning = Code("notRunning")
        /// A local request over the query socket failed (connect, write, read, or a malformed answer).
        public static let client = Code("client")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation.
    public var message: String
    /// The configuration field concerned, for `.invalidConfiguration`.
    public var field: String?
    /// The engine's error, for `.engine`.
    public var engineError: EngineError?
    /// The underlying error, if any.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        field: String? = nil,
        engineError: EngineError? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.engineError = engineError
        self.underlying = underlying
    }

    /// "code: message".
    public var description: String { "\(code): \(message)" }
}

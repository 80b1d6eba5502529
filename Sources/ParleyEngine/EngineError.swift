import EventLog
import ParleyDomain

/// An error from the engine: a matchable `code`, a message a person can act on, and what it is about.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with the static members, e.g. `error.code == .decode`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A record of the log could not be decoded into an event; `sequence` names it.
        public static let decode = Code("decode")
        /// The event log failed (opening, reading or appending); `logError` holds its error.
        public static let log = Code("log")
        /// The engine is closed.
        public static let closed = Code("closed")
        /// A command's events exceed what one append may hold (the record or frame size limit).
        public static let eventTooLarge = Code("eventTooLarge")
        /// A checkpoint file is damaged, belongs to another log, or cannot be written.
        public static let checkpoint = Code("checkpoint")
        /// No projection is registered under the name or key asked for.
        public static let unknownProjection = Code("unknownProjection")
        /// A rebuild of that projection is already running.
        public static let rebuildInProgress = Code("rebuildInProgress")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation.
    public var message: String
    /// The log sequence involved, if any.
    public var sequence: UInt64?
    /// The log's own error, for `.log`.
    public var logError: EventLogError?
    /// The codec's error, for `.decode`.
    public var decodeError: DecodeError?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        sequence: UInt64? = nil,
        logError: EventLogError? = nil,
        decodeError: DecodeError? = nil
    ) {
        self.code = code
        self.message = message
        self.sequence = sequence
        self.logError = logError
        self.decodeError = decodeError
    }

    /// Wraps an error of the event log.
    init(log error: EventLogError) {
        self.init(.log, error.description, sequence: error.sequence, logError: error)
    }

    /// "code: message (sequence N)".
    public var description: String {
        let suffix = sequence.map { " (sequence \($0))" } ?? ""
        return "\(code): \(message)\(suffix)"
    }
}

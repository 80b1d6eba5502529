/// Why bytes could not be decoded: a matchable `code`, a message, and the byte offset where it was noticed.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The input ended before the value did.
        public static let truncated = Code("truncated")
        /// A variable-length integer is longer than 10 bytes or does not fit the type.
        public static let overflow = Code("overflow")
        /// A string is not valid UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// A value is outside what the field allows (an unknown enum case, a bad flag).
        public static let invalidValue = Code("invalidValue")
        /// An event type tag no decoder knows.
        public static let unknownTag = Code("unknownTag")
        /// An event schema version newer than this code, or one it never had.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// Bytes remain after the value was complete.
        public static let trailingBytes = Code("trailingBytes")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation.
    public var message: String
    /// Byte offset in the input where the problem was noticed.
    public var offset: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// "code at offset N: message".
    public var description: String { "\(code) at offset \(offset): \(message)" }
}

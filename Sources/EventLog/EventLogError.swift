/// An error from the event log: a matchable `code`, a message a person can act on, and where it happened.
public struct EventLogError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with the static members, e.g. `error.code == .checksumMismatch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A frame header or payload is not well-formed (bad magic, version, codec or lengths).
        public static let corruptFrame = Code("corruptFrame")
        /// A frame's CRC-32C does not match its bytes.
        public static let checksumMismatch = Code("checksumMismatch")
        /// A frame's recorded previous-frame hash does not match the frame before it.
        public static let chainMismatch = Code("chainMismatch")
        /// Sequence numbers are not continuous between frames or segments.
        public static let sequenceGap = Code("sequenceGap")
        /// The last frame of the log is incomplete (a crash during a write); it is truncated on open.
        public static let tornTail = Code("tornTail")
        /// A segment index disagrees with its segment.
        public static let indexMismatch = Code("indexMismatch")
        /// An operating-system call failed.
        public static let io = Code("io")
        /// The log directory does not exist or holds no log.
        public static let notFound = Code("notFound")
        /// Another process holds the log open for writing.
        public static let locked = Code("locked")
        /// A caller passed something the log cannot store (oversize record, timestamp going backwards, …).
        public static let invalidArgument = Code("invalidArgument")
        /// The writer is closed.
        public static let closed = Code("closed")
        /// The writer stopped after a failed write or sync; nothing more is accepted until it is reopened.
        public static let writerFailed = Code("writerFailed")
        /// LZ4 failed to compress or decompress.
        public static let compression = Code("compression")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation, with what to do about it where that is known.
    public var message: String
    /// The segment file involved, if any.
    public var segment: String?
    /// The byte offset in `segment` of the frame or record involved, if known.
    public var offset: Int64?
    /// The sequence number involved (the first one of a frame), if known.
    public var sequence: UInt64?
    /// The operating-system `errno`, for `.io` errors.
    public var errno: Int32?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        segment: String? = nil,
        offset: Int64? = nil,
        sequence: UInt64? = nil,
        errno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.segment = segment
        self.offset = offset
        self.sequence = sequence
        self.errno = errno
    }

    /// "code: message (segment S, offset O, sequence N)".
    public var description: String {
        var location: [String] = []
        if let segment { location.append("segment \(segment)") }
        if let offset { location.append("offset \(offset)") }
        if let sequence { location.append("sequence \(sequence)") }
        let suffix = location.isEmpty ? "" : " (" + location.joined(separator: ", ") + ")"
        return "\(code): \(message)\(suffix)"
    }
}

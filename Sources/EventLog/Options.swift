#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When appended frames are forced to stable storage, and so what a power failure can take.
public enum Durability: Sendable, Equatable, CustomStringConvertible {
    /// `fdatasync` after every group-commit write, before any caller is answered. Loses nothing acknowledged.
    case always
    /// Answer after the write reaches the page cache; `fdatasync` at most `milliseconds` later. A process crash
    /// loses nothing acknowledged; an OS crash or power loss can lose acknowledged records of the last interval.
    case interval(milliseconds: Int)
    /// Answer after the write; sync only when a segment is sealed and at close. A process crash loses nothing
    /// acknowledged; an OS crash or power loss can lose everything the kernel had not yet written back. For
    /// benchmarks and tests.
    case none

    /// Parses `always`, `none` or `interval:MS`.
    public init?(_ text: String) {
        switch text {
        case "always": self = .always
        case "none": self = .none
        default:
            guard text.hasPrefix("interval:"), let ms = Int(text.dropFirst(9)), ms > 0 else { return nil }
            self = .interval(milliseconds: ms)
        }
    }

    /// The form `init?(_:)` accepts.
    public var description: String {
        switch self {
        case .always: "always"
        case .none: "none"
        case .interval(let ms): "interval:\(ms)"
        }
    }
}

/// How the writer timestamps an append.
public enum StampPolicy: Sendable {
    /// Keep each record's timestamp; it must not be earlier than the log's last one.
    case asGiven
    /// Replace the timestamps with the writer's clock at commit time, never going backwards.
    case commitTime
}

/// Settings of an open log.
public struct EventLogOptions: Sendable {
    /// A segment is sealed and a new one started when the next frame would make it larger than this.
    public var segmentSize: Int64 = 64 << 20
    /// When to `fdatasync`.
    public var durability: Durability = .always
    /// A frame is closed once its raw payload reaches this size (LZ4's window is 64 KiB; more gains nothing).
    public var frameTargetBytes: Int = 64 << 10
    /// Bytes between sparse-index entries.
    public var indexIntervalBytes: Int64 = 4096
    /// How far ahead of the write position the active segment is filled with zeros (0 turns it off; unused with
    /// `Durability.none`).
    ///
    /// An `fdatasync` after writing into blocks that already exist only writes data; one after growing the file
    /// must also write the new file size, which takes about twice as long. The zeros are cut off when a segment is
    /// sealed or the log is closed; after a crash, recovery recognises them as the end of the log.
    public var preallocationBytes: Int64 = 4 << 20
    /// The largest record accepted.
    public var maxRecordBytes: Int = 4 << 20
    /// The clock for `StampPolicy.commitTime`: µs since the Unix epoch.
    public var clock: @Sendable () -> Int64 = EventLogOptions.wallClockMicroseconds

    /// Default options.
    public init() {}

    /// The system wall clock in µs since the Unix epoch.
    @Sendable public static func wallClockMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}

/// What an append produced: the sequence numbers and timestamps its records got.
public struct AppendReceipt: Sendable, Equatable {
    /// Sequence of the first record of the append.
    public var firstSequence: UInt64
    /// Sequence of the last record of the append.
    public var lastSequence: UInt64
    /// Timestamp of the first record.
    public var firstTimestamp: Int64
    /// Timestamp of the last record.
    public var lastTimestamp: Int64
}

/// Counters of the writer since open.
public struct WriterStatistics: Sendable, Equatable {
    /// Records written.
    public var records: Int = 0
    /// Append calls answered successfully.
    public var appends: Int = 0
    /// Group-commit batches (one write each).
    public var batches: Int = 0
    /// Frames written.
    public var frames: Int = 0
    /// `fdatasync` calls on segments.
    public var syncs: Int = 0
    /// Segments sealed.
    public var rolls: Int = 0
    /// Failed writes to index files (harmless: indexes are rebuilt from segments).
    public var indexWriteFailures: Int = 0
}

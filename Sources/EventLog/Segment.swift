#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names, header and layout of segment files.
public enum SegmentFile {
    /// "PARLEYSG".
    static let magic: [UInt8] = Array("PARLEYSG".utf8)
    /// Segment header size; the first frame starts here.
    public static let headerSize = 32
    /// Current segment format version.
    static let version: UInt16 = 1
    /// Digits in a segment file name (zero-padded base sequence).
    static let nameDigits = 20

    /// The file name of the segment whose first record has sequence `base`, e.g. `00000000000000000001.seg`.
    public static func name(base: UInt64) -> String { paddedNumber(base) + ".seg" }

    /// The index file name for the segment starting at `base`.
    public static func indexName(base: UInt64) -> String { paddedNumber(base) + ".idx" }

    static func paddedNumber(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, nameDigits - digits.count)) + digits
    }

    /// The base sequence encoded in a segment file name, or nil if `name` is not a segment file.
    static func base(fromName name: String) -> UInt64? {
        guard name.hasSuffix(".seg") else { return nil }
        let stem = name.dropLast(4)
        guard stem.count == nameDigits, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }

    /// The 32-byte segment header for `base`, recording the interval of its sparse index.
    static func header(base: UInt64, indexInterval: Int64) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(version)
        bytes.appendLE(UInt16(0))
        bytes.appendLE(UInt32(clamping: indexInterval))
        bytes.appendLE(base)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes.appendLE(crc)
        bytes.appendLE(UInt32(0))
        return bytes
    }

    /// Checks a segment header; returns its index interval, or a description of what is wrong.
    static func parseHeader(_ bytes: [UInt8], expectedBase: UInt64) -> Result<Int64, HeaderProblem> {
        bytes.withUnsafeBytes { bytes in
            guard bytes.count >= headerSize else {
                return .failure(HeaderProblem("segment shorter than its \(headerSize)-byte header"))
            }
            guard Array(bytes[0..<8]) == magic else { return .failure(HeaderProblem("segment magic is not PARLEYSG")) }
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<24])) == bytes.le(24, as: UInt32.self)
            else { return .failure(HeaderProblem("segment header checksum mismatch")) }
            guard bytes.le(28, as: UInt32.self) == 0 else {
                return .failure(HeaderProblem("segment header reserved bytes are not zero"))
            }
            let version = bytes.le(8, as: UInt16.self)
            guard version == Self.version else {
                return .failure(HeaderProblem("unsupported segment version \(version)"))
            }
            let base = bytes.le(16, as: UInt64.self)
            guard base == expectedBase else {
                return .failure(HeaderProblem("segment header says base \(base), file name says \(expectedBase)"))
            }
            let interval = Int64(bytes.le(12, as: UInt32.self))
            guard interval > 0 else { return .failure(HeaderProblem("segment header index interval is zero")) }
            return .success(interval)
        }
    }

    /// Why a segment header is unusable.
    struct HeaderProblem: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// Reads and checks the header of the segment at `path`, returning its index interval.
    static func readHeader(_ file: FileDescriptor, name: String, base: UInt64) throws(EventLogError) -> Int64 {
        switch parseHeader(try file.read(count: headerSize, at: 0), expectedBase: base) {
        case .success(let interval): return interval
        case .failure(let problem):
            throw EventLogError(.corruptFrame, problem.text, segment: name, offset: 0, sequence: base)
        }
    }
}

/// A segment as readers see it: its base sequence, file name and how many bytes of it are committed.
public struct SegmentRef: Sendable, Equatable {
    /// Sequence of the first record the segment holds (or will hold).
    public var base: UInt64
    /// File name inside the log directory.
    public var name: String { SegmentFile.name(base: base) }
    /// Bytes of the file that hold complete, committed frames (header included).
    public var length: Int64
}

/// The committed extent of a log: what a reader may read without ever seeing a partial frame.
public struct LogExtent: Sendable, Equatable {
    /// Sealed segments in order. Between rolls every published extent shares this array instead of copying it.
    public var sealed: [SegmentRef]
    /// The last segment, the one being written; nil when the directory holds no segment.
    public var active: SegmentRef?
    /// Sequence of the last committed record; 0 when the log is empty.
    public var headSequence: UInt64
    /// Timestamp of the last committed record; 0 when empty.
    public var headTimestamp: Int64
    /// SHA-256 of the last frame; zero when empty.
    public var headHash: FrameHash

    /// All segments in order, sealed then active. Builds an array: read it once, not in a loop.
    public var segments: [SegmentRef] { active.map { sealed + [$0] } ?? sealed }

    /// Creates an extent from its segments in order (the last one is the active segment).
    public init(segments: [SegmentRef], headSequence: UInt64, headTimestamp: Int64, headHash: FrameHash) {
        self.init(
            sealed: Array(segments.dropLast()),
            active: segments.last,
            headSequence: headSequence,
            headTimestamp: headTimestamp,
            headHash: headHash
        )
    }

    /// Creates an extent from its sealed segments and the active one.
    public init(
        sealed: [SegmentRef],
        active: SegmentRef?,
        headSequence: UInt64,
        headTimestamp: Int64,
        headHash: FrameHash
    ) {
        self.sealed = sealed
        self.active = active
        self.headSequence = headSequence
        self.headTimestamp = headTimestamp
        self.headHash = headHash
    }
}

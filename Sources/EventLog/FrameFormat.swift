import Crypto

/// How a frame's payload is stored.
public enum FrameCodec: UInt8, Sendable {
    /// Stored as is (compression would not have made it smaller).
    case raw = 0
    /// Compressed with the LZ4 block API.
    case lz4Block = 1
}

/// The fixed 88-byte header in front of every frame; see docs/log-format.md for the layout.
public struct FrameHeader: Sendable, Equatable {
    /// "PLFR".
    public static let magic: UInt32 = 0x5246_4C50
    /// The frame format version this code writes.
    public static let currentVersion: UInt8 = 1
    /// Size of the header in bytes.
    public static let size = 88
    /// Bytes in front of each record inside the raw payload: u32 length, i64 timestamp, u16 type.
    public static let recordHeaderSize = 14
    /// The largest raw payload a frame may carry.
    public static let maxRawLength = 64 << 20

    /// Format version.
    public var version: UInt8 = currentVersion
    /// Payload codec.
    public var codec: FrameCodec
    /// Compression dictionary id; 0 = none (the only value this version writes).
    public var dictionaryID: UInt16 = 0
    /// Sequence number of the first record.
    public var firstSequence: UInt64
    /// Number of records.
    public var count: UInt32
    /// Length of the payload before compression.
    public var rawLength: UInt32
    /// Length of the payload as stored after the header.
    public var storedLength: UInt32
    /// Timestamp of the first record (µs since the Unix epoch).
    public var firstTimestamp: Int64
    /// Timestamp of the last record.
    public var lastTimestamp: Int64
    /// SHA-256 of the previous frame's bytes (header and stored payload); zero for the first frame of a log.
    public var previousHash: FrameHash
    /// CRC-32C of the stored payload.
    public var payloadCRC: UInt32

    /// The sequence number of the last record.
    public var lastSequence: UInt64 { firstSequence + UInt64(count) - 1 }
    /// Header plus stored payload.
    public var frameLength: Int { Self.size + Int(storedLength) }

    /// Writes the header, including its own CRC, into `buffer[0..<88]`.
    func write(into buffer: UnsafeMutableRawBufferPointer) {
        buffer.putLE(Self.magic, at: 0)
        buffer.putLE(version, at: 4)
        buffer.putLE(codec.rawValue, at: 5)
        buffer.putLE(dictionaryID, at: 6)
        buffer.putLE(firstSequence, at: 8)
        buffer.putLE(count, at: 16)
        buffer.putLE(rawLength, at: 20)
        buffer.putLE(storedLength, at: 24)
        buffer.putLE(UInt32(0), at: 28)
        buffer.putLE(firstTimestamp, at: 32)
        buffer.putLE(lastTimestamp, at: 40)
        previousHash.write(into: buffer, at: 48)
        buffer.putLE(payloadCRC, at: 80)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<84]))
        buffer.putLE(crc, at: 84)
    }

    /// Why a header failed to parse.
    enum ParseFailure: Error {
        case badMagic
        case badChecksum
        case badField(String)
    }

    /// Parses and checks a header: magic, header CRC, and that every field is in range.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<FrameHeader, ParseFailure> {
        precondition(bytes.count >= size)
        guard bytes.le(0, as: UInt32.self) == magic else { return .failure(.badMagic) }
        let stored = bytes.le(84, as: UInt32.self)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<84])) == stored else {
            return .failure(.badChecksum)
        }
        let version = bytes.le(4, as: UInt8.self)
        guard version == currentVersion else { return .failure(.badField("unsupported frame version \(version)")) }
        guard let codec = FrameCodec(rawValue: bytes.le(5, as: UInt8.self)) else {
            return .failure(.badField("unknown codec \(bytes.le(5, as: UInt8.self))"))
        }
        let header = FrameHeader(
            version: version,
            codec: codec,
            dictionaryID: bytes.le(6, as: UInt16.self),
            firstSequence: bytes.le(8, as: UInt64.self),
            count: bytes.le(16, as: UInt32.self),
            rawLength: bytes.le(20, as: UInt32.self),
            storedLength: bytes.le(24, as: UInt32.self),
            firstTimestamp: bytes.le(32, as: Int64.self),
            lastTimestamp: bytes.le(40, as: Int64.self),
            previousHash: FrameHash(reading: bytes, at: 48),
            payloadCRC: bytes.le(80, as: UInt32.self)
        )
        if let problem = header.fieldProblem { return .failure(.badField(problem)) }
        return .success(header)
    }

    /// A description of the first out-of-range field, or nil when all are plausible.
    private var fieldProblem: String? {
        if dictionaryID != 0 { return "unknown dictionary \(dictionaryID)" }
        if count == 0 { return "frame with no records" }
        if firstSequence == 0 || firstSequence > UInt64.max - UInt64(count) { return "bad first sequence" }
        if Int(rawLength) > Self.maxRawLength { return "raw length \(rawLength) over the limit" }
        if UInt64(rawLength) < UInt64(count) * UInt64(Self.recordHeaderSize) {
            return "raw length \(rawLength) too small for \(count) records"
        }
        if codec == .raw && storedLength != rawLength { return "raw frame with stored length ≠ raw length" }
        if codec == .lz4Block && (storedLength == 0 || storedLength >= rawLength) {
            return "compressed length \(storedLength) not below raw length \(rawLength)"
        }
        if firstTimestamp > lastTimestamp { return "first timestamp after last timestamp" }
        return nil
    }
}

/// A SHA-256 digest of a frame, the link of the hash chain.
public struct FrameHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public private(set) var bytes: [UInt8]

    /// The all-zero hash that the first frame of a log points back to.
    public static let zero = FrameHash(bytes: [UInt8](repeating: 0, count: 32))

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    init(reading buffer: UnsafeRawBufferPointer, at offset: Int) {
        self.bytes = Array(buffer[offset..<offset + 32])
    }

    /// The SHA-256 of `frame` (header and stored payload).
    static func of(_ frame: UnsafeRawBufferPointer) -> FrameHash {
        FrameHash(bytes: Array(SHA256.hash(data: frame)))
    }

    func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.withUnsafeBytes {
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + 32]).copyMemory(from: $0)
        }
    }

    /// Lower-case hex.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One record inside a frame's payload, borrowed from the reader's buffer for the duration of a callback.
public struct RecordView {
    /// The record's sequence number.
    public let sequence: UInt64
    /// The record's timestamp (µs since the Unix epoch).
    public let timestamp: Int64
    /// The record's type tag.
    public let type: UInt16
    /// The record's bytes; valid only inside the callback that received them.
    public let payload: UnsafeRawBufferPointer

    /// Copies the record out of the reader's buffer.
    public func copy() -> StoredRecord {
        StoredRecord(sequence: sequence, timestamp: timestamp, type: type, payload: Array(payload))
    }
}

/// A record read back from the log, owning its bytes.
public struct StoredRecord: Sendable, Equatable {
    /// The record's sequence number.
    public var sequence: UInt64
    /// The record's timestamp (µs since the Unix epoch).
    public var timestamp: Int64
    /// The record's type tag.
    public var type: UInt16
    /// The record's bytes.
    public var payload: [UInt8]
}

/// A record to append: opaque bytes with a type tag and a timestamp.
public struct LogRecord: Sendable, Equatable {
    /// µs since the Unix epoch; must not be earlier than the log's last timestamp (see `StampPolicy`).
    public var timestamp: Int64
    /// A type tag the log stores but does not interpret.
    public var type: UInt16
    /// The encoded event.
    public var payload: [UInt8]

    /// Creates a record.
    public init(timestamp: Int64 = 0, type: UInt16 = 0, payload: [UInt8]) {
        self.timestamp = timestamp
        self.type = type
        self.payload = payload
    }
}

/// Walks the records of a decompressed payload, checking its structure against the header.
///
/// Calls `body` for each record; returns false if `body` asked to stop.
func walkRecords(
    _ raw: UnsafeRawBufferPointer,
    header: FrameHeader,
    _ body: (RecordView) throws -> Bool
) throws -> Bool {
    var offset = 0
    var sequence = header.firstSequence
    var previous = header.firstTimestamp
    for index in 0..<Int(header.count) {
        guard offset + FrameHeader.recordHeaderSize <= raw.count else {
            throw EventLogError(.corruptFrame, "record \(index) runs past the end of the payload")
        }
        let length = Int(raw.le(offset, as: UInt32.self))
        let timestamp = raw.le(offset + 4, as: Int64.self)
        let type = raw.le(offset + 12, as: UInt16.self)
        let start = offset + FrameHeader.recordHeaderSize
        guard length <= raw.count - start else {
            throw EventLogError(.corruptFrame, "record \(index) length \(length) runs past the end of the payload")
        }
        guard timestamp >= previous, index > 0 || timestamp == header.firstTimestamp else {
            throw EventLogError(.corruptFrame, "record \(index) timestamp out of order")
        }
        previous = timestamp
        let view = RecordView(
            sequence: sequence,
            timestamp: timestamp,
            type: type,
            payload: UnsafeRawBufferPointer(rebasing: raw[start..<start + length])
        )
        if try !body(view) { return false }
        offset = start + length
        sequence += 1
    }
    guard offset == raw.count else {
        throw EventLogError(.corruptFrame, "\(raw.count - offset) stray bytes after the last record")
    }
    guard previous == header.lastTimestamp else {
        throw EventLogError(.corruptFrame, "last record timestamp disagrees with the header")
    }
    return true
}

/// What the scanner found at the current offset.
enum ScanStep {
    /// A frame whose header and payload checksums are good; `bytes` (header + payload) is valid until the next call.
    case frame(FrameHeader, offset: Int64, bytes: UnsafeRawBufferPointer)
    /// The readable extent ends exactly here.
    case end
    /// An all-zero frame header: the start of the writer's preallocated zero tail, if only zeros follow
    /// (`FrameScanner.onlyZeros(from:)` tells).
    case zeros(offset: Int64)
    /// Something at `offset` is not a good frame.
    case bad(FrameProblem, offset: Int64)
}

/// Why the bytes at an offset are not a good frame.
enum FrameProblem: Equatable {
    /// Fewer bytes remain than the header or its payload needs.
    case short(remaining: Int64, header: FrameHeader?)
    /// The header failed its magic, checksum or field checks.
    case badHeader(String)
    /// The header is good but the payload checksum fails.
    case payloadChecksum(FrameHeader)

    /// An all-zero header where a frame must be.
    static let zeroedHeader = FrameProblem.badHeader("frame header is all zeros")

    /// The header, when it was readable.
    var header: FrameHeader? {
        switch self {
        case .short(_, let header): header
        case .badHeader: nil
        case .payloadChecksum(let header): header
        }
    }

    /// The error code when this is found at the very end of the log (where a short frame is a torn write).
    var errorCode: EventLogError.Code {
        switch self {
        case .short: .tornTail
        case .badHeader: .corruptFrame
        case .payloadChecksum: .checksumMismatch
        }
    }

    /// The error code when this is found where complete frames must be (a sealed segment, the committed extent).
    var midLogCode: EventLogError.Code {
        if case .short = self { return .corruptFrame }
        return errorCode
    }

    var explanation: String {
        switch self {
        case .short(let remaining, let header):
            if let header {
                "frame needs \(header.frameLength) bytes but only \(remaining) remain"
            } else {
                "only \(remaining) bytes remain, less than a frame header"
            }
        case .badHeader(let why): "bad frame header: \(why)"
        case .payloadChecksum: "frame payload CRC-32C mismatch"
        }
    }
}

/// Reads frames one after another from a segment file through a read-ahead buffer it owns.
struct FrameScanner: ~Copyable {
    let file: FileDescriptor
    /// Bytes of the file that may be read.
    let limit: Int64
    /// Offset of the next frame.
    var offset: Int64

    private var buffer: UnsafeMutableRawBufferPointer
    private var bufferStart: Int64 = 0
    private var bufferCount = 0
    private let readAhead: Int

    init(file: FileDescriptor, limit: Int64, offset: Int64, readAhead: Int = 1 << 20) {
        self.file = file
        self.limit = limit
        self.offset = offset
        self.readAhead = readAhead
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readAhead, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Makes `[at, at+count)` available and returns it; the caller has checked it lies within `limit`.
    private mutating func bytes(at position: Int64, count: Int) throws(EventLogError) -> UnsafeRawBufferPointer {
        let inBuffer = position >= bufferStart && position + Int64(count) <= bufferStart + Int64(bufferCount)
        if !inBuffer {
            let want = Int(min(Int64(max(count, readAhead)), limit - position))
            if buffer.count < want {
                buffer.deallocate()
                buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: want, alignment: 16)
            }
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position)
            bufferStart = position
            bufferCount = got
            guard got >= count else {
                throw EventLogError(
                    .io,
                    "\(file.path) is shorter than expected: read \(got) of \(count) bytes at offset \(position)",
                    offset: position
                )
            }
        }
        let start = Int(position - bufferStart)
        return UnsafeRawBufferPointer(rebasing: buffer[start..<start + count])
    }

    /// Reads and checks the frame at `offset`; on success advances past it.
    ///
    /// - Parameter checkPayload: verify the payload CRC (skip only for header-only walks such as stats).
    mutating func next(checkPayload: Bool = true) throws(EventLogError) -> ScanStep {
        let remaining = limit - offset
        if remaining == 0 { return .end }
        if remaining < Int64(FrameHeader.size) {
            if try bytes(at: offset, count: Int(remaining)).allSatisfy({ $0 == 0 }) { return .zeros(offset: offset) }
            return .bad(.short(remaining: remaining, header: nil), offset: offset)
        }
        let headerBytes = try bytes(at: offset, count: FrameHeader.size)
        if headerBytes.allSatisfy({ $0 == 0 }) { return .zeros(offset: offset) }
        let header: FrameHeader
        switch FrameHeader.parse(headerBytes) {
        case .success(let parsed): header = parsed
        case .failure(.badMagic): return .bad(.badHeader("magic is not PLFR"), offset: offset)
        case .failure(.badChecksum): return .bad(.badHeader("header CRC-32C mismatch"), offset: offset)
        case .failure(.badField(let why)): return .bad(.badHeader(why), offset: offset)
        }
        guard Int64(header.frameLength) <= remaining else {
            return .bad(.short(remaining: remaining, header: header), offset: offset)
        }
        let frame = try bytes(at: offset, count: header.frameLength)
        if checkPayload {
            let payload = UnsafeRawBufferPointer(rebasing: frame[FrameHeader.size...])
            guard CRC32C.checksum(payload) == header.payloadCRC else {
                return .bad(.payloadChecksum(header), offset: offset)
            }
        }
        let at = offset
        offset += Int64(header.frameLength)
        return .frame(header, offset: at, bytes: frame)
    }

    /// Whether every byte from `position` to the limit is zero.
    mutating func onlyZeros(from position: Int64) throws(EventLogError) -> Bool {
        var at = position
        while at < limit {
            let chunk = try bytes(at: at, count: Int(min(limit - at, Int64(readAhead))))
            if !chunk.allSatisfy({ $0 == 0 }) { return false }
            at += Int64(chunk.count)
        }
        return true
    }

    /// Looks for any well-formed frame (good header and payload CRC) starting after `position`.
    ///
    /// Used to tell a torn tail (nothing valid follows) from damage in the middle (valid frames follow).
    mutating func findValidFrame(after position: Int64) throws(EventLogError) -> Int64? {
        let magic = withUnsafeBytes(of: FrameHeader.magic.littleEndian) { Array($0) }
        var candidate = position + 1
        while candidate + Int64(FrameHeader.size) <= limit {
            let window = try bytes(at: candidate, count: Int(min(limit - candidate, Int64(readAhead))))
            var found: Int?
            var index = 0
            while index + 4 <= window.count {
                if window[index] == magic[0] && window[index + 1] == magic[1] && window[index + 2] == magic[2]
                    && window[index + 3] == magic[3]
                {
                    found = index
                    break
                }
                index += 1
            }
            guard let found else {
                candidate += Int64(max(1, window.count - 3))
                continue
            }
            let at = candidate + Int64(found)
            offset = at
            if case .frame = try next() { return at }
            candidate = at + 1
        }
        return nil
    }
}

/// Decompresses frame payloads into a buffer it owns.
struct PayloadDecoder: ~Copyable {
    private var raw: UnsafeMutableRawBufferPointer

    init() { raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16) }
    deinit { raw.deallocate() }

    /// The raw payload of `frame` (header + stored payload), valid until the next call.
    mutating func payload(
        of frame: UnsafeRawBufferPointer,
        header: FrameHeader
    ) throws(EventLogError)
        -> UnsafeRawBufferPointer
    {
        let stored = UnsafeRawBufferPointer(rebasing: frame[FrameHeader.size..<header.frameLength])
        switch header.codec {
        case .raw:
            return stored
        case .lz4Block:
            let rawLength = Int(header.rawLength)
            if raw.count < rawLength {
                raw.deallocate()
                raw = UnsafeMutableRawBufferPointer.allocate(byteCount: rawLength, alignment: 16)
            }
            try LZ4Block.decompress(stored, into: raw, rawLength: rawLength)
            return UnsafeRawBufferPointer(rebasing: raw[0..<rawLength])
        }
    }
}

/// Checks that consecutive frames link up: sequence continuity, the hash chain (when the previous frame is known)
/// and time order.
struct FrameLinkCheck {
    /// The sequence the next frame must start at.
    var nextSequence: UInt64
    /// The hash of the previous frame, when it is known.
    var previousHash: FrameHash?
    /// The last timestamp of the previous frame.
    var lastTimestamp = Int64.min

    /// Checks `header` against the frame before it, then makes it the previous frame; returns its hash.
    mutating func accept(
        _ header: FrameHeader,
        bytes: UnsafeRawBufferPointer,
        segment: String,
        offset: Int64
    ) throws(EventLogError) -> FrameHash {
        guard header.firstSequence == nextSequence else {
            throw EventLogError(
                .sequenceGap,
                "frame starts at sequence \(header.firstSequence), expected \(nextSequence)",
                segment: segment,
                offset: offset,
                sequence: nextSequence
            )
        }
        if let previousHash, previousHash != header.previousHash {
            throw EventLogError(
                .chainMismatch,
                "previous-frame hash \(header.previousHash) does not match the previous frame's hash \(previousHash)",
                segment: segment,
                offset: offset,
                sequence: header.firstSequence
            )
        }
        guard header.firstTimestamp >= lastTimestamp else {
            throw EventLogError(
                .corruptFrame,
                "frame timestamp goes backwards",
                segment: segment,
                offset: offset,
                sequence: header.firstSequence
            )
        }
        let hash = FrameHash.of(bytes)
        previousHash = hash
        lastTimestamp = header.lastTimestamp
        nextSequence = header.lastSequence + 1
        return hash
    }
}

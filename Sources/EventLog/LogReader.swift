#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about one frame, for header-only walks.
public struct FrameInfo: Sendable, Equatable {
    /// The segment file holding the frame.
    public var segment: String
    /// Byte offset of the frame in the segment.
    public var offset: Int64
    /// The frame's header.
    public var header: FrameHeader
}

/// Reads records from a fixed committed extent of a log; never sees a partially written frame.
///
/// Reading is blocking file I/O: run it on a thread of your own, not on Swift's cooperative pool, in servers.
/// Every frame's CRC-32C is checked; damage is an error naming segment, offset and sequence.
public struct LogReader: Sendable {
    /// The segment directory.
    public let directory: String
    /// What this reader may read.
    public let extent: LogExtent
    /// For a read-only open of a log whose last write was torn: what a writer would cut off (not read here).
    public let tornTail: TornTailReport?

    /// `extent.segments`, built once (it builds an array each time it is read).
    private let segments: [SegmentRef]

    init(directory: String, extent: LogExtent, tornTail: TornTailReport?) {
        self.directory = directory
        self.extent = extent
        self.tornTail = tornTail
        self.segments = extent.segments
    }

    /// Opens the log in `<dataDirectory>/log` read-only, without changing any file, even with another writer.
    public static func open(dataDirectory: String) throws(EventLogError) -> LogReader {
        let directory = EventLog.logDirectory(in: dataDirectory)
        guard Directory.exists(directory) else {
            throw EventLogError(.notFound, "no log at \(directory)")
        }
        let recovered = try Recovery.recover(directory: directory, repair: false, newIndexInterval: 4096)
        guard recovered.extent.active != nil else {
            throw EventLogError(.notFound, "no segment files in \(directory)")
        }
        return LogReader(directory: directory, extent: recovered.extent, tornTail: recovered.torn)
    }

    /// Calls `body` for each record from `sequence` on, in order, until it returns false.
    public func forEach(fromSequence sequence: UInt64 = 1, _ body: (RecordView) throws -> Bool) throws {
        guard sequence <= extent.headSequence, let first = segments.first else { return }
        let start = max(sequence, first.base)
        let segmentIndex = (segments.lastIndex { $0.base <= start }) ?? 0
        let seed = loadIndex(segments[segmentIndex])?.entry(atOrBefore: start)
        try scan(
            from: segmentIndex,
            seed: seed,
            skipFrame: { $0.lastSequence < start },
            skipRecord: { $0.sequence < start },
            body
        )
    }

    /// Calls `body` for each record whose timestamp is ≥ `timestamp`, in order, until it returns false.
    public func forEach(fromTimestamp timestamp: Int64, _ body: (RecordView) throws -> Bool) throws {
        guard !segments.isEmpty, extent.headSequence > 0 else { return }
        // The last segment whose first record is earlier than `timestamp` holds or precedes the first match.
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if let first = try firstTimestamp(of: segments[mid]), first < timestamp {
                low = mid + 1
            } else {
                high = mid
            }
        }
        let segmentIndex = max(0, low - 1)
        let seed = loadIndex(segments[segmentIndex])?.entry(before: timestamp)
        try scan(
            from: segmentIndex,
            seed: seed,
            skipFrame: { $0.lastTimestamp < timestamp },
            skipRecord: { $0.timestamp < timestamp },
            body
        )
    }

    /// Up to `limit` records from `sequence` on, copied out.
    public func records(fromSequence sequence: UInt64 = 1, limit: Int = .max) throws -> [StoredRecord] {
        var out: [StoredRecord] = []
        guard limit > 0 else { return out }
        try forEach(fromSequence: sequence) { record in
            out.append(record.copy())
            return out.count < limit
        }
        return out
    }

    /// The hash chain's link at the boundary after `sequence`: the SHA-256 of the frame ending there (what the next
    /// frame records as its previous hash). Nil when no frame of this log ends exactly at `sequence`.
    ///
    /// A saved state names its log position and this link, so it can never be applied to a different log that
    /// merely has as many records. Reads at most one index interval of frame headers.
    public func linkHash(after sequence: UInt64) throws -> FrameHash? {
        if sequence == 0 { return .zero }
        if sequence == extent.headSequence { return extent.headHash }
        guard sequence < extent.headSequence, !segments.isEmpty else { return nil }
        let start = sequence + 1
        let segment = segments[(segments.lastIndex { $0.base <= start }) ?? 0]
        let file = try openSegment(segment)
        defer { file.close() }
        let seed = loadIndex(segment)?.entry(atOrBefore: start)
        var scanner = FrameScanner(
            file: file,
            limit: segment.length,
            offset: seed?.offset ?? Int64(SegmentFile.headerSize)
        )
        var restarted = seed == nil
        while true {
            guard case .frame(let header, _, _) = try scanner.next(checkPayload: false) else {
                // A stale index seed may land off a frame boundary: scan the segment from its start once.
                guard !restarted else { return nil }
                restarted = true
                scanner.offset = Int64(SegmentFile.headerSize)
                continue
            }
            if header.firstSequence == start { return header.previousHash }
            if header.lastSequence >= start { return nil }
        }
    }

    /// Calls `body` with each frame's header, without decompressing (payload CRCs are still checked).
    public func forEachFrame(_ body: (FrameInfo) throws -> Void) throws {
        var expected = segments.first?.base ?? 1
        for segment in segments where segment.length > Int64(SegmentFile.headerSize) {
            let file = try openSegment(segment)
            defer { file.close() }
            var scanner = FrameScanner(file: file, limit: segment.length, offset: Int64(SegmentFile.headerSize))
            while true {
                switch try scanner.next() {
                case .end:
                    break
                case .frame(let header, let offset, _):
                    try checkSequence(header, expected: expected, segment: segment, offset: offset)
                    expected = header.lastSequence + 1
                    try body(FrameInfo(segment: segment.name, offset: offset, header: header))
                    continue
                case .bad(let problem, let offset):
                    throw damage(problem, segment: segment, offset: offset, sequence: expected)
                case .zeros(let offset):
                    throw damage(.zeroedHeader, segment: segment, offset: offset, sequence: expected)
                }
                break
            }
        }
    }

    private func scan(
        from segmentIndex: Int,
        seed: IndexEntry?,
        skipFrame: (FrameHeader) -> Bool,
        skipRecord: (RecordView) -> Bool,
        _ body: (RecordView) throws -> Bool
    ) throws {
        var decoder = PayloadDecoder()
        var seed = seed
        var expected = seed?.sequence ?? segments[segmentIndex].base
        var position = segmentIndex
        while position < segments.count {
            let segment = segments[position]
            position += 1
            guard segment.length > Int64(SegmentFile.headerSize) else { continue }
            let file = try openSegment(segment)
            defer { file.close() }
            let startOffset = seed?.offset ?? Int64(SegmentFile.headerSize)
            var scanner = FrameScanner(file: file, limit: segment.length, offset: startOffset)
            frames: while true {
                let step = try scanner.next()
                if let entry = seed {
                    // The first frame after an index seek must be the one the entry names, or the index is stale:
                    // start the segment over from its beginning.
                    seed = nil
                    guard case .frame(let header, _, _) = step, header.firstSequence == entry.sequence,
                        header.firstTimestamp == entry.timestamp
                    else {
                        expected = segment.base
                        scanner.offset = Int64(SegmentFile.headerSize)
                        continue frames
                    }
                }
                switch step {
                case .end:
                    break frames
                case .bad(let problem, let offset):
                    throw damage(problem, segment: segment, offset: offset, sequence: expected)
                case .zeros(let offset):
                    throw damage(.zeroedHeader, segment: segment, offset: offset, sequence: expected)
                case .frame(let header, let offset, let bytes):
                    try checkSequence(header, expected: expected, segment: segment, offset: offset)
                    expected = header.lastSequence + 1
                    if skipFrame(header) { continue frames }
                    do {
                        let payload = try decoder.payload(of: bytes, header: header)
                        let more = try walkRecords(payload, header: header) { record in
                            skipRecord(record) ? true : try body(record)
                        }
                        if !more { return }
                    } catch var error as EventLogError {
                        error.segment = segment.name
                        error.offset = offset
                        error.sequence = error.sequence ?? header.firstSequence
                        throw error
                    }
                }
            }
        }
    }

    private func checkSequence(_ header: FrameHeader, expected: UInt64, segment: SegmentRef, offset: Int64) throws {
        guard header.firstSequence == expected else {
            throw EventLogError(
                .sequenceGap,
                "frame starts at sequence \(header.firstSequence), expected \(expected)",
                segment: segment.name,
                offset: offset,
                sequence: expected
            )
        }
    }

    private func damage(
        _ problem: FrameProblem,
        segment: SegmentRef,
        offset: Int64,
        sequence: UInt64
    )
        -> EventLogError
    {
        EventLogError(
            problem.midLogCode,
            problem.explanation + " inside the committed log",
            segment: segment.name,
            offset: offset,
            sequence: sequence
        )
    }

    private func openSegment(_ segment: SegmentRef) throws(EventLogError) -> FileDescriptor {
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(directory + "/" + segment.name, O_RDONLY)
        } catch {
            throw EventLogError(
                error.code,
                "segment is missing or unreadable: \(error.message)",
                segment: segment.name,
                sequence: segment.base,
                errno: error.errno
            )
        }
        do {
            _ = try SegmentFile.readHeader(file, name: segment.name, base: segment.base)
        } catch {
            file.close()
            throw error
        }
        return file
    }

    private func loadIndex(_ segment: SegmentRef) -> SegmentIndex? {
        let path = directory + "/" + SegmentFile.indexName(base: segment.base)
        if case .loaded(let index, _) = SegmentIndex.load(path: path, base: segment.base, segmentLength: segment.length)
        {
            return index
        }
        return nil
    }

    private func firstTimestamp(of segment: SegmentRef) throws -> Int64? {
        guard segment.length > Int64(SegmentFile.headerSize) else { return nil }
        let file = try openSegment(segment)
        defer { file.close() }
        var scanner = FrameScanner(
            file: file,
            limit: segment.length,
            offset: Int64(SegmentFile.headerSize),
            readAhead: FrameHeader.size
        )
        switch try scanner.next(checkPayload: false) {
        case .frame(let header, _, _): return header.firstTimestamp
        case .end: return nil
        case .bad(let problem, let offset):
            throw damage(problem, segment: segment, offset: offset, sequence: segment.base)
        case .zeros(let offset):
            throw damage(.zeroedHeader, segment: segment, offset: offset, sequence: segment.base)
        }
    }
}

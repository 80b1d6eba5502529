#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What recovery cut off the end of the log: a frame whose write never completed, so it was never acknowledged.
public struct TornTailReport: Sendable, Equatable, CustomStringConvertible {
    /// Segment file whose tail was cut.
    public var segment: String
    /// Where the log now ends (the start of the torn frame).
    public var offset: Int64
    /// How many bytes were removed (or, read-only, would be).
    public var bytesTruncated: Int64
    /// The first sequence number that was in flight and is now not in the log.
    public var firstLostSequence: UInt64
    /// The last sequence number of the torn frame, when its header was still readable.
    public var lastLostSequence: UInt64?
    /// Why the tail was judged torn.
    public var reason: String

    /// One line for logs and the CLI.
    public var description: String {
        let range = lastLostSequence.map { "\(firstLostSequence)–\($0)" } ?? "from \(firstLostSequence)"
        return
            "torn tail in \(segment) at offset \(offset): \(bytesTruncated) bytes, unacknowledged sequences \(range) (\(reason))"
    }
}

/// The state of a log's end as found by the tail scan.
struct RecoveredLog {
    var extent: LogExtent
    /// The size of the last segment file: its committed length plus any preallocated zeros.
    var lastSegmentFileLength: Int64 = 0
    /// The index of the last segment, brought up to date with the scanned frames.
    var lastIndex: SegmentIndex?
    /// Whether the on-disk index of the last segment differs from `lastIndex`.
    var indexStale: Bool
    var torn: TornTailReport?
}

/// Opening a log: find segments, scan only the tail of the last one, cut a torn tail, refuse mid-log damage.
enum Recovery {
    /// The base sequences of the segment files in `directory`, in order; a segment named with base 0 is damage
    /// (sequences start at 1), refused here so that no caller computes the sequence before it.
    static func segmentBases(in directory: String) throws(EventLogError) -> [UInt64] {
        let bases = try Directory.list(directory).compactMap(SegmentFile.base(fromName:)).sorted()
        if bases.first == 0 {
            throw EventLogError(
                .corruptFrame,
                "segment file \(SegmentFile.name(base: 0)) names base sequence 0, but sequences start at 1",
                segment: SegmentFile.name(base: 0),
                offset: 0
            )
        }
        return bases
    }

    /// Scans the tail of the log in `directory`; with `repair`, truncates a torn tail and fixes a torn segment header.
    ///
    /// - Parameter newIndexInterval: the index interval written into a segment header that has to be recreated.
    static func recover(
        directory: String,
        repair: Bool,
        newIndexInterval: Int64
    ) throws(EventLogError)
        -> RecoveredLog
    {
        let bases = try segmentBases(in: directory)
        guard let lastBase = bases.last else {
            return RecoveredLog(
                extent: LogExtent(segments: [], headSequence: 0, headTimestamp: 0, headHash: .zero),
                lastIndex: nil,
                indexStale: false,
                torn: nil
            )
        }
        var segments: [SegmentRef] = []
        for base in bases.dropLast() {
            let size = try Directory.fileSize(directory + "/" + SegmentFile.name(base: base))
            guard size >= Int64(SegmentFile.headerSize) else {
                throw EventLogError(
                    .corruptFrame,
                    "sealed segment is only \(size) bytes, shorter than its header",
                    segment: SegmentFile.name(base: base),
                    offset: 0,
                    sequence: base
                )
            }
            segments.append(SegmentRef(base: base, length: size))
        }
        let sealedEnd = try checkSealedSegments(directory: directory, sealed: segments, lastBase: lastBase)

        let name = SegmentFile.name(base: lastBase)
        let path = directory + "/" + name
        let fd = try FileDescriptor.open(path, repair ? O_RDWR : O_RDONLY)
        defer { fd.close() }
        var fileLength = try fd.size()

        // The segment header: a crash while rolling can leave it short; anything else wrong with it is damage.
        var interval = newIndexInterval
        var torn: TornTailReport?
        switch SegmentFile.parseHeader(try fd.read(count: SegmentFile.headerSize, at: 0), expectedBase: lastBase) {
        case .success(let recorded):
            interval = recorded
        case .failure(let problem):
            let headerProblem = problem.text
            guard fileLength <= Int64(SegmentFile.headerSize) else {
                throw EventLogError(.corruptFrame, headerProblem, segment: name, offset: 0, sequence: lastBase)
            }
            torn = TornTailReport(
                segment: name,
                offset: 0,
                bytesTruncated: fileLength,
                firstLostSequence: lastBase,
                lastLostSequence: nil,
                reason: "segment header incomplete (" + headerProblem + ")"
            )
            if repair {
                try fd.truncate(to: 0)
                try fd.write(SegmentFile.header(base: lastBase, indexInterval: interval), at: 0)
                try fd.sync()
                fileLength = Int64(SegmentFile.headerSize)
            } else {
                fileLength = 0
            }
        }

        // Start from the last index entry so only the tail is read; fall back to the whole segment if the index is
        // missing, damaged, or points at something that is not the frame it names.
        let indexPath = directory + "/" + SegmentFile.indexName(base: lastBase)
        var index = SegmentIndex(base: lastBase, interval: interval)
        var indexStale = true
        if case .loaded(let loaded, let clean) = SegmentIndex.load(
            path: indexPath,
            base: lastBase,
            segmentLength: fileLength
        ), loaded.interval == interval {
            index = loaded
            indexStale = !clean
        }
        let scan = try scanTail(fd: fd, name: name, base: lastBase, limit: fileLength, index: index)
        if !scan.startedAtEntry {
            // `scanTail` fell back to a full scan: the loaded index did not agree with the segment.
            indexStale = true
        }
        if scan.index != index { indexStale = true }
        index = scan.index

        var physicalLength = fileLength
        if let zeros = scan.zeroTailAt {
            // Preallocated zeros after the last frame: the log ends there; the writer keeps writing into them.
            fileLength = zeros
        }
        if let bad = scan.tornAt {
            let lost = fileLength - bad.offset
            let report = TornTailReport(
                segment: name,
                offset: bad.offset,
                bytesTruncated: lost,
                firstLostSequence: scan.nextSequence,
                lastLostSequence: bad.problem.header.flatMap {
                    $0.firstSequence == scan.nextSequence ? $0.lastSequence : nil
                },
                reason: bad.problem.explanation
            )
            torn = report
            if repair {
                try fd.truncate(to: bad.offset)
                try fd.sync()
                physicalLength = bad.offset
            }
            fileLength = bad.offset
        }
        segments.append(SegmentRef(base: lastBase, length: fileLength))

        var extent = LogExtent(segments: segments, headSequence: 0, headTimestamp: 0, headHash: .zero)
        if let last = scan.lastFrame {
            extent.headSequence = last.header.lastSequence
            extent.headTimestamp = last.header.lastTimestamp
            extent.headHash = last.hash
        } else if let sealedEnd {
            // The last segment has no frames (a crash right after a roll): the head is the previous segment's end,
            // which `checkSealedSegments` has just read and checked to end right before `lastBase`.
            extent.headSequence = sealedEnd.header.lastSequence
            extent.headTimestamp = sealedEnd.header.lastTimestamp
            extent.headHash = sealedEnd.hash
        } else {
            extent.headSequence = lastBase - 1
        }
        return RecoveredLog(
            extent: extent,
            lastSegmentFileLength: physicalLength,
            lastIndex: index,
            indexStale: indexStale,
            torn: torn
        )
    }

    /// The error for a gap between segments: the segment file that should hold `expected` is not there.
    static func missingSegment(expected: UInt64, found: UInt64) -> EventLogError {
        let previous = expected == 1 ? "the log starts at 1" : "the segment before ends at \(expected - 1)"
        return EventLogError(
            .sequenceGap,
            "segment \(SegmentFile.name(base: expected)) is missing: \(previous), the next segment on disk starts at "
                + "\(found). Nothing was opened or changed: restore the missing segment file from a replica or backup",
            segment: SegmentFile.name(base: expected),
            sequence: expected
        )
    }

    /// Checks, before anything is opened for writing, that every sealed segment is there and readable and that each
    /// continues the one before: the file opens, its header is its own, the frames after its last index entry are
    /// intact, and the next segment starts at the following sequence with a frame that links to its last frame's hash.
    ///
    /// Reads a header and a few KiB at the end of each sealed segment, not the segments themselves (that is
    /// `parley log verify`): a missing, unreadable or foreign segment is refused at open, with its name.
    /// Returns the last sealed segment's last frame (nil without sealed segments).
    static func checkSealedSegments(
        directory: String,
        sealed: [SegmentRef],
        lastBase: UInt64
    ) throws(EventLogError) -> (header: FrameHeader, offset: Int64, hash: FrameHash)? {
        var expected: UInt64 = 1
        var sealedEnd: (header: FrameHeader, offset: Int64, hash: FrameHash)?
        var previousHash = FrameHash.zero
        for (position, segment) in sealed.enumerated() {
            guard segment.base == expected else { throw missingSegment(expected: expected, found: segment.base) }
            let fd = try openSegment(directory: directory, name: segment.name)
            defer { fd.close() }
            let interval = try SegmentFile.readHeader(fd, name: segment.name, base: segment.base)
            try checkFirstLink(fd: fd, name: segment.name, limit: segment.length, previousHash: previousHash)
            var index = SegmentIndex(base: segment.base, interval: interval)
            if case .loaded(let loaded, _) = SegmentIndex.load(
                path: directory + "/" + SegmentFile.indexName(base: segment.base),
                base: segment.base,
                segmentLength: segment.length
            ) {
                index = loaded
            }
            let scan = try scanTail(fd: fd, name: segment.name, base: segment.base, limit: segment.length, index: index)
            if let bad = scan.tornAt {
                throw EventLogError(
                    bad.problem.midLogCode,
                    bad.problem.explanation + " at the end of a sealed segment. Nothing was opened or changed: "
                        + "restore this segment from a replica or backup",
                    segment: segment.name,
                    offset: bad.offset,
                    sequence: scan.nextSequence
                )
            }
            guard let last = scan.lastFrame else {
                throw EventLogError(
                    .corruptFrame,
                    "sealed segment holds no frames",
                    segment: segment.name,
                    offset: Int64(SegmentFile.headerSize)
                )
            }
            expected = last.header.lastSequence + 1
            previousHash = last.hash
            sealedEnd = last
            let next = position + 1 < sealed.count ? sealed[position + 1].base : lastBase
            guard next == expected else { throw missingSegment(expected: expected, found: next) }
        }
        if !sealed.isEmpty {
            let name = SegmentFile.name(base: lastBase)
            let fd = try openSegment(directory: directory, name: name)
            defer { fd.close() }
            try checkFirstLink(fd: fd, name: name, limit: try fd.size(), previousHash: previousHash)
        } else if lastBase != 1 {
            throw missingSegment(expected: 1, found: lastBase)
        }
        return sealedEnd
    }

    /// Opens a segment for reading; a failure names the segment.
    private static func openSegment(directory: String, name: String) throws(EventLogError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(directory + "/" + name, O_RDONLY)
        } catch {
            throw EventLogError(
                .io,
                "segment \(name) cannot be read (\(error.message)). Nothing was opened or changed: make the file "
                    + "readable again or restore it from a replica or backup",
                segment: name,
                errno: error.errno
            )
        }
    }

    /// The segment's first frame (if it has one yet) must link to `previousHash`, the last frame of the segment before.
    private static func checkFirstLink(
        fd: FileDescriptor,
        name: String,
        limit: Int64,
        previousHash: FrameHash
    ) throws(EventLogError) {
        var scanner = FrameScanner(file: fd, limit: limit, offset: Int64(SegmentFile.headerSize), readAhead: 4096)
        guard case .frame(let header, let offset, _) = try scanner.next(checkPayload: false) else { return }
        guard header.previousHash == previousHash else {
            throw EventLogError(
                .chainMismatch,
                "the first frame's previous-frame hash \(header.previousHash) does not match the last frame of the "
                    + "segment before (\(previousHash)): this segment does not continue that one. Nothing was "
                    + "opened or changed: restore the segments of this log from one replica or backup",
                segment: name,
                offset: offset,
                sequence: header.firstSequence
            )
        }
    }

    struct TailScan {
        var index: SegmentIndex
        var startedAtEntry: Bool
        var nextSequence: UInt64
        var lastFrame: (header: FrameHeader, offset: Int64, hash: FrameHash)?
        var tornAt: (problem: FrameProblem, offset: Int64)?
        /// Where the preallocated zero tail starts, when the segment ends in one.
        var zeroTailAt: Int64?
    }

    /// Walks frames from the last index entry (or the segment start) to `limit`, checking CRCs, sequence
    /// continuity and hash links, and classifies the first bad frame as a torn tail or as mid-log damage.
    static func scanTail(
        fd: FileDescriptor,
        name: String,
        base: UInt64,
        limit: Int64,
        index: SegmentIndex
    ) throws(EventLogError) -> TailScan {
        if let entry = index.entries.last, entry.offset < limit {
            var trimmed = index
            trimmed.truncate(at: entry.offset)
            if let scan = try scanFrames(
                fd: fd,
                name: name,
                start: entry,
                limit: limit,
                index: trimmed
            ) {
                return scan
            }
        }
        let fresh = SegmentIndex(base: base, interval: index.interval)
        let start = IndexEntry(sequence: base, timestamp: Int64.min, offset: Int64(SegmentFile.headerSize))
        var scan = try scanFrames(fd: fd, name: name, start: start, limit: limit, index: fresh)!
        scan.startedAtEntry = false
        return scan
    }

    /// Returns nil when the frame at `start` is not the one the index entry names (the index is stale).
    private static func scanFrames(
        fd: FileDescriptor,
        name: String,
        start: IndexEntry,
        limit: Int64,
        index: SegmentIndex
    ) throws(EventLogError) -> TailScan? {
        var scan = TailScan(index: index, startedAtEntry: true, nextSequence: start.sequence)
        let fromEntry = start.timestamp != Int64.min
        if limit < start.offset { return fromEntry ? nil : scan }
        var scanner = FrameScanner(file: fd, limit: limit, offset: start.offset, readAhead: 256 * 1024)
        var links = FrameLinkCheck(nextSequence: start.sequence)
        while true {
            let bad: (problem: FrameProblem, offset: Int64)
            switch try scanner.next() {
            case .end:
                return scan
            case .zeros(let offset):
                if fromEntry && offset == start.offset { return nil }
                // The writer's preallocated zero tail: the clean end of the log, if nothing but zeros follows.
                if try scanner.onlyZeros(from: offset) {
                    scan.zeroTailAt = offset
                    return scan
                }
                bad = (.zeroedHeader, offset)
            case .frame(let header, let offset, let bytes):
                if fromEntry && offset == start.offset
                    && (header.firstSequence != start.sequence || header.firstTimestamp != start.timestamp)
                {
                    return nil
                }
                let hash = try links.accept(header, bytes: bytes, segment: name, offset: offset)
                scan.index.note(header, at: offset)
                scan.lastFrame = (header, offset, hash)
                scan.nextSequence = links.nextSequence
                continue
            case .bad(let problem, let offset):
                if fromEntry && offset == start.offset { return nil }
                bad = (problem, offset)
            }
            if case .short = bad.problem {
                scan.tornAt = bad
                return scan
            }
            if let following = try scanner.findValidFrame(after: bad.offset) {
                throw EventLogError(
                    bad.problem.errorCode,
                    bad.problem.explanation
                        + "; a valid frame follows at offset \(following), so this is damage inside the log, "
                        + "not a torn write. The log was not opened and nothing was changed: restore this "
                        + "segment from a replica or backup",
                    segment: name,
                    offset: bad.offset,
                    sequence: scan.nextSequence
                )
            }
            scan.tornAt = bad
            return scan
        }
    }
}

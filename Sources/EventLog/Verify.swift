import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of checking a whole log.
public struct VerifyReport: Sendable {
    /// Segments checked.
    public var segments = 0
    /// Frames that passed every check.
    public var frames = 0
    /// Records in those frames.
    public var records = 0
    /// Sequence of the last good record.
    public var headSequence: UInt64 = 0
    /// SHA-256 of the last good frame.
    public var headHash = FrameHash.zero
    /// Index files that were rewritten (only with `repairIndexes`).
    public var repairedIndexes: [String] = []
    /// The first problem found, or nil when the log is intact.
    public var problem: EventLogError?

    /// Whether every check passed.
    public var intact: Bool { problem == nil }
}

/// Size and compression figures for a log, from a header-only walk.
public struct LogStatistics: Sendable, Codable, Equatable {
    /// Where the last frame is, so outside tools can aim at it.
    public struct LastFrame: Sendable, Codable, Equatable {
        /// Segment file name.
        public var segment: String
        /// Byte offset in the segment.
        public var offset: Int64
        /// Frame length (header and stored payload).
        public var length: Int
    }

    /// Segment files.
    public var segments = 0
    /// Frames.
    public var frames = 0
    /// Records.
    public var events = 0
    /// Bytes of record data before compression (the raw payloads).
    public var rawBytes: Int64 = 0
    /// Bytes the frames occupy on disk (headers and stored payloads).
    public var storedBytes: Int64 = 0
    /// Frames stored uncompressed because LZ4 would not have made them smaller.
    public var rawFrames = 0
    /// Sequence of the last record.
    public var headSequence: UInt64 = 0
    /// The last frame, if any.
    public var lastFrame: LastFrame?

    /// rawBytes / storedBytes.
    public var ratio: Double { storedBytes == 0 ? 0 : Double(rawBytes) / Double(storedBytes) }
}

/// Whole-log checks and figures.
public enum LogInspector {
    /// Checks every segment header, frame CRC, record layout, hash link, sequence continuity and index.
    ///
    /// Segments are checked in parallel (one per core); the links between segments are checked afterwards, and
    /// the problem reported is the first one in log order.
    ///
    /// - Parameter repairIndexes: rewrite index files that disagree with their segments instead of failing.
    public static func verify(
        dataDirectory: String,
        repairIndexes: Bool = false
    ) throws(EventLogError) -> VerifyReport {
        let directory = EventLog.logDirectory(in: dataDirectory)
        guard Directory.exists(directory) else { throw EventLogError(.notFound, "no log at \(directory)") }
        let bases = try Recovery.segmentBases(in: directory)
        guard !bases.isEmpty else { throw EventLogError(.notFound, "no segment files in \(directory)") }

        let verdicts = Mutex<[SegmentVerdict?]>(Array(repeating: nil, count: bases.count))
        DispatchQueue.concurrentPerform(iterations: bases.count) { position in
            let verdict = verifySegment(
                directory: directory,
                base: bases[position],
                isLast: position == bases.count - 1,
                repairIndexes: repairIndexes
            )
            verdicts.withLock { $0[position] = verdict }
        }

        var report = VerifyReport()
        var nextSequence: UInt64 = 1
        var previousHash: FrameHash? = FrameHash.zero
        var lastTimestamp = Int64.min
        for (position, verdict) in verdicts.withLock({ $0 }).enumerated() {
            guard let verdict else { continue }
            let name = SegmentFile.name(base: bases[position])
            report.segments += 1
            // The link from the previous segment's end: the base, also of a segment without a good frame (recovery
            // refuses a gap before a torn last segment, so it must not pass as a mere torn tail here), then the
            // hash chain and the time of the first frame.
            if bases[position] != nextSequence {
                report.problem = Recovery.missingSegment(expected: nextSequence, found: bases[position])
                return report
            }
            if let first = verdict.first {
                var problem: EventLogError?
                if let previousHash, previousHash != first.previousHash {
                    problem = EventLogError(
                        .chainMismatch,
                        "previous-frame hash \(first.previousHash) does not match the previous frame's hash "
                            + "\(previousHash)",
                        segment: name,
                        offset: Int64(SegmentFile.headerSize),
                        sequence: first.firstSequence
                    )
                } else if first.firstTimestamp < lastTimestamp {
                    problem = EventLogError(
                        .corruptFrame,
                        "frame timestamp goes backwards",
                        segment: name,
                        offset: Int64(SegmentFile.headerSize),
                        sequence: first.firstSequence
                    )
                }
                if let problem {
                    report.problem = problem
                    return report
                }
            }
            report.frames += verdict.frames
            report.records += verdict.records
            report.repairedIndexes += verdict.repairedIndex.map { [$0] } ?? []
            if let last = verdict.last {
                report.headSequence = last.header.lastSequence
                report.headHash = last.hash
                nextSequence = last.header.lastSequence + 1
                previousHash = last.hash
                lastTimestamp = last.header.lastTimestamp
            }
            if let problem = verdict.problem {
                report.problem = problem
                return report
            }
        }
        return report
    }

    /// What checking one segment on its own found.
    private struct SegmentVerdict: Sendable {
        var first: FrameHeader?
        var last: (header: FrameHeader, hash: FrameHash)?
        var frames = 0
        var records = 0
        var repairedIndex: String?
        var problem: EventLogError?
    }

    /// Checks one segment: header, every frame (CRCs, fields, record layout), the links between its own frames,
    /// and its index. Counts stop at the first problem.
    private static func verifySegment(
        directory: String,
        base: UInt64,
        isLast: Bool,
        repairIndexes: Bool
    )
        -> SegmentVerdict
    {
        let name = SegmentFile.name(base: base)
        var verdict = SegmentVerdict()
        do throws(EventLogError) {
            let file = try FileDescriptor.open(directory + "/" + name, O_RDONLY)
            defer { file.close() }
            let size = try file.size()
            let interval: Int64
            switch SegmentFile.parseHeader(try file.read(count: SegmentFile.headerSize, at: 0), expectedBase: base) {
            case .success(let recorded):
                interval = recorded
            case .failure(let problem):
                let code: EventLogError.Code =
                    isLast && size <= Int64(SegmentFile.headerSize) ? .tornTail : .corruptFrame
                throw EventLogError(code, problem.text, segment: name, offset: 0, sequence: base)
            }
            let indexPath = directory + "/" + SegmentFile.indexName(base: base)
            let stored = SegmentIndex.load(path: indexPath, base: base, segmentLength: size)
            var rebuilt = SegmentIndex(base: base, interval: interval)
            var links = FrameLinkCheck(nextSequence: base)
            var decoder = PayloadDecoder()
            var scanner = FrameScanner(file: file, limit: size, offset: Int64(SegmentFile.headerSize))
            frames: while true {
                let bad: (problem: FrameProblem, offset: Int64)
                switch try scanner.next() {
                case .end:
                    break frames
                case .zeros(let offset):
                    // Only the active segment may end in the writer's preallocated zeros.
                    if isLast, try scanner.onlyZeros(from: offset) { break frames }
                    bad = (.zeroedHeader, offset)
                case .bad(let problem, let offset):
                    bad = (problem, offset)
                case .frame(let header, let offset, let bytes):
                    let hash = try links.accept(header, bytes: bytes, segment: name, offset: offset)
                    do {
                        let payload = try decoder.payload(of: bytes, header: header)
                        _ = try walkRecords(payload, header: header) { _ in true }
                    } catch {
                        throw EventLogError(
                            (error as? EventLogError)?.code ?? .corruptFrame,
                            (error as? EventLogError)?.message ?? "\(error)",
                            segment: name,
                            offset: offset,
                            sequence: header.firstSequence
                        )
                    }
                    rebuilt.note(header, at: offset)
                    if verdict.first == nil { verdict.first = header }
                    verdict.last = (header, hash)
                    verdict.frames += 1
                    verdict.records += Int(header.count)
                    continue frames
                }
                var code = bad.problem.midLogCode
                var message = bad.problem.explanation
                if isLast, try scanner.findValidFrame(after: bad.offset) == nil {
                    code = .tornTail
                    message +=
                        "; nothing valid follows, so this is a torn last write that opening the log "
                        + "for writing will truncate"
                }
                throw EventLogError(code, message, segment: name, offset: bad.offset, sequence: links.nextSequence)
            }
            if let problem = indexProblem(stored, rebuilt: rebuilt, sealed: !isLast) {
                guard repairIndexes else {
                    throw EventLogError(
                        .indexMismatch,
                        "index \(SegmentFile.indexName(base: base)) \(problem); "
                            + "`parley log verify --repair-indexes` rebuilds it from the segment",
                        segment: name
                    )
                }
                try rebuilt.write(to: indexPath)
                verdict.repairedIndex = SegmentFile.indexName(base: base)
            }
        } catch {
            verdict.problem = error
        }
        return verdict
    }

    /// Why a stored index disagrees with the one rebuilt from its segment, or nil if it agrees.
    ///
    /// The active segment's index may lag behind (the writer appends entries after each batch and a crash can
    /// lose the last few), so for it a matching prefix is enough.
    static func indexProblem(_ stored: SegmentIndex.LoadResult, rebuilt: SegmentIndex, sealed: Bool) -> String? {
        switch stored {
        case .missing:
            return "is missing"
        case .unusable(let why):
            return "is unusable (\(why))"
        case .loaded(let index, let clean):
            if !clean { return "has damaged entries" }
            guard index.interval == rebuilt.interval, index.entries.count <= rebuilt.entries.count,
                Array(rebuilt.entries.prefix(index.entries.count)) == index.entries
            else { return "has entries that do not match the segment's frames" }
            if sealed && index.entries.count != rebuilt.entries.count {
                return "lacks \(rebuilt.entries.count - index.entries.count) entries"
            }
            return nil
        }
    }

    /// Segments, frames, records, raw and stored bytes, from a read-only, header-only walk.
    public static func statistics(dataDirectory: String) throws -> LogStatistics {
        let reader = try LogReader.open(dataDirectory: dataDirectory)
        var stats = LogStatistics()
        stats.segments = reader.extent.segments.count
        try reader.forEachFrame { frame in
            stats.frames += 1
            stats.events += Int(frame.header.count)
            stats.rawBytes += Int64(frame.header.rawLength)
            stats.storedBytes += Int64(frame.header.frameLength)
            if frame.header.codec == .raw { stats.rawFrames += 1 }
            stats.headSequence = frame.header.lastSequence
            stats.lastFrame = LogStatistics.LastFrame(
                segment: frame.segment,
                offset: frame.offset,
                length: frame.header.frameLength
            )
        }
        return stats
    }
}

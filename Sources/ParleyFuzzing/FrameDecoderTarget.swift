import Crypto
import Dispatch
import EventLog
import Foundation
import Synchronization

/// The frame decoder target: the input becomes the segment file(s) of a log in a scratch directory, which then goes
/// through every reader of the log: `LogInspector.verify`, `LogReader` (records by sequence and by time, frame
/// headers, hash links), and `EventLog.open` (recovery, with repair) followed by one append.
///
/// Input layout: byte 0 holds flags, byte 1 chooses the index interval (`32 << (byte & 15)` bytes), the rest is
/// the frame stream after a 32-byte segment header the target writes (base sequence 1).
///
/// | flag | meaning |
/// | --- | --- |
/// | 0x01 | fix each frame's payload CRC and header CRC, so mutations reach LZ4 and the record walk |
/// | 0x02 | also fix the hash chain and the sequence numbers |
/// | 0x04 | the rest is the whole segment file, its header included (nothing is fixed) |
/// | 0x08 | split the frames into two segments after the first frame |
/// | 0x10 | write an index file for the last segment, as the writer would from the frames found |
/// | 0x20 | with 0x04: name the segment after the base its header records (bytes 16–23), not 1 |
///
/// Properties checked (any other outcome, an error included, is fine):
/// - a log that `verify` finds intact reads back completely through `LogReader`: as many records as `verify`
///   counted, in sequence order, ending at its head, and `EventLog.open` opens it without cutting anything;
/// - a log whose only problem is a torn tail opens at the head `verify` reported, and after one append it verifies
///   intact, one record longer;
/// - records read by timestamp are the records read by sequence from the first one at that timestamp.
public enum FrameDecoderTarget {
    /// The flag bits of byte 0.
    public struct Flags: OptionSet, Sendable {
        /// The bits.
        public let rawValue: UInt8
        /// Creates flags from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Fix the payload and header CRCs.
        public static let fixChecksums = Flags(rawValue: 0x01)
        /// Fix the hash chain and the sequence numbers (with `fixChecksums`).
        public static let fixChain = Flags(rawValue: 0x02)
        /// The input is the whole segment file.
        public static let wholeFile = Flags(rawValue: 0x04)
        /// Two segments, split after the first frame.
        public static let twoSegments = Flags(rawValue: 0x08)
        /// Write an index file for the last segment.
        public static let writeIndex = Flags(rawValue: 0x10)
        /// With `wholeFile`: name the segment after the base in its header (bytes 16–23), not 1.
        public static let baseFromHeader = Flags(rawValue: 0x20)
    }

    /// The timestamps the appending writer stamps with (µs); later than the seeds' own.
    static let appendClock: Int64 = 1_800_000_000_000_000

    /// Builds the input that makes `segment` (frames after a 32-byte segment header) the target's log.
    public static func input(flags: Flags, intervalSelector: UInt8 = 7, frames: [UInt8]) -> [UInt8] {
        [flags.rawValue, intervalSelector] + frames
    }

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard input.count >= 2 else { return }
        let flags = Flags(rawValue: input[0])
        let interval = Int64(32) << Int64(input[1] & 15)
        guard let data = ScratchDirectory.make("frames") else {
            throw FuzzFinding(.frameDecoder, .harness, "cannot create a scratch directory in \(ScratchDirectory.root)")
        }
        defer { ScratchDirectory.remove(data) }
        let directory = data + "/log"
        guard mkdir(directory, 0o700) == 0 else {
            throw FuzzFinding(.frameDecoder, .harness, "cannot create \(directory)")
        }
        let body = Array(input[2...])
        var files: [(name: String, bytes: [UInt8])] = []
        if flags.contains(.wholeFile) {
            var base: UInt64 = 1
            if flags.contains(.baseFromHeader) && body.count >= 24 {
                base = body[16..<24].reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            files.append((segmentName(base), body))
        } else {
            let layout = LogLayout(frames: body, flags: flags)
            var segmentBase: UInt64 = 1
            var start = 0
            let split = flags.contains(.twoSegments) ? layout.boundaries.first : nil
            for end in [split, body.count].compactMap({ $0 }) where end >= start {
                let frames = Array(layout.frames[start..<end])
                files.append((segmentName(segmentBase), segmentHeader(base: segmentBase, interval: interval) + frames))
                if flags.contains(.writeIndex) && end == body.count {
                    let offsets = layout.frameStarts.filter { $0 >= start }.map { Int64($0 - start) }
                    let entries = layout.indexEntries(offsets: offsets, startingAt: start, interval: interval)
                    files.append((indexName(segmentBase), indexFile(base: segmentBase, interval: interval, entries)))
                }
                segmentBase = layout.nextSequence(after: end) ?? segmentBase &+ 1
                start = end
            }
        }
        for file in files {
            guard write(file.bytes, to: directory + "/" + file.name) else {
                throw FuzzFinding(.frameDecoder, .harness, "cannot write \(file.name)")
            }
        }
        try check(data)
    }

    /// The checks on the log in `data`.
    private static func check(_ data: String) throws(FuzzFinding) {
        func fail(_ message: String) -> FuzzFinding { FuzzFinding(.frameDecoder, .propertyViolated, message) }

        let before: VerifyReport
        do {
            before = try LogInspector.verify(dataDirectory: data, repairIndexes: true)
        } catch {
            return
        }

        Verbose.say(
            "verify: \(before.frames) frames, \(before.records) records, head \(before.headSequence), "
                + (before.problem.map { "\($0)" } ?? "intact")
        )
        if before.intact {
            let reader: LogReader
            do {
                reader = try LogReader.open(dataDirectory: data)
            } catch {
                throw fail("verify found the log intact, but LogReader.open failed: \(error)")
            }
            if let torn = reader.tornTail { throw fail("verify found the log intact, LogReader a torn tail: \(torn)") }
            guard
                before.frames == 0
                    || (reader.extent.headSequence == before.headSequence && reader.extent.headHash == before.headHash)
            else {
                throw fail(
                    "verify's head is \(before.headSequence) \(before.headHash), LogReader's "
                        + "\(reader.extent.headSequence) \(reader.extent.headHash)"
                )
            }
            try readAll(reader, expected: before, fail: fail)
        } else {
            // Damage is fine: the readers only have to report it, not trap. Exercise them anyway.
            if let reader = try? LogReader.open(dataDirectory: data) {
                _ = try? reader.records(limit: 100_000)
                try? reader.forEachFrame { _ in }
                _ = try? reader.linkHash(after: 1)
            }
        }

        let recoverable = before.intact || before.problem?.code == .tornTail
        var options = EventLogOptions()
        options.durability = .none
        options.segmentSize = 1 << 20
        options.clock = { appendClock }
        let log: EventLog
        do {
            log = try EventLog.open(dataDirectory: data, options: options)
        } catch {
            if recoverable {
                throw fail(
                    "verify reported \(before.problem.map { "\($0)" } ?? "an intact log"), open failed: \(error)"
                )
            }
            return
        }
        let head = log.extent.headSequence
        // (A log without frames has no head in verify's report; recovery counts from the segment's base.)
        if recoverable && before.frames > 0 && head != before.headSequence {
            log.closeSynchronously()
            throw fail("verify's head is \(before.headSequence), the recovered log's \(head)")
        }
        if before.intact, let recovery = log.recovery {
            log.closeSynchronously()
            throw fail("an intact log was cut when it opened: \(recovery)")
        }
        let appended = appendOne(log)
        waitForMaintenance(log)
        log.closeSynchronously()
        guard recoverable else { return }
        switch appended {
        case .success(let receipt):
            guard receipt.firstSequence == head + 1 else {
                throw fail("the append after open got sequence \(receipt.firstSequence), head was \(head)")
            }
        case .failure(let error):
            // Only a log at the end of the sequence space (a tampered segment name) refuses the append.
            guard error.code == .invalidArgument, head == UInt64.max - 1 else {
                throw fail("appending to a recovered log failed: \(error)")
            }
            return
        }
        let after: VerifyReport
        do {
            after = try LogInspector.verify(dataDirectory: data, repairIndexes: true)
        } catch {
            throw fail("verify of the recovered, appended log failed: \(error)")
        }
        guard after.intact, after.headSequence == head + 1 else {
            throw fail(
                "after recovery (\(before.problem.map { "\($0)" } ?? "intact")) and one append the log verifies "
                    + "\(after.problem.map { "\($0)" } ?? "intact") with head \(after.headSequence), expected \(head + 1)"
            )
        }
    }

    /// Reads an intact log every way `LogReader` offers and compares with `verify`'s figures.
    private static func readAll(
        _ reader: LogReader,
        expected: VerifyReport,
        fail: (String) -> FuzzFinding
    ) throws(FuzzFinding) {
        let records: [StoredRecord]
        do {
            records = try reader.records()
        } catch {
            throw fail("verify found the log intact, reading its records failed: \(error)")
        }
        guard records.count == expected.records else {
            throw fail("verify counted \(expected.records) records, LogReader read \(records.count)")
        }
        if let last = records.last, last.sequence != expected.headSequence {
            throw fail("the last record read is \(last.sequence), the head \(expected.headSequence)")
        }
        for (earlier, later) in zip(records, records.dropFirst())
        where later.sequence != earlier.sequence + 1 || later.timestamp < earlier.timestamp {
            throw fail("records \(earlier.sequence) and \(later.sequence) are out of order")
        }
        var frames: [FrameInfo] = []
        do {
            try reader.forEachFrame { frames.append($0) }
        } catch {
            throw fail("verify found the log intact, forEachFrame failed: \(error)")
        }
        guard frames.count == expected.frames else {
            throw fail("verify counted \(expected.frames) frames, forEachFrame saw \(frames.count)")
        }
        // The link after a frame is the previous-frame hash of the next one (found through the index).
        let links = zip(frames, frames.dropFirst()).map { ($0.header.lastSequence, $1.header.previousHash) }
        for (sequence, hash) in [links.first, links.last, links.dropFirst(links.count / 2).first].compactMap({ $0 }) {
            let found: FrameHash?
            do {
                found = try reader.linkHash(after: sequence)
            } catch {
                throw fail("linkHash(after: \(sequence)) failed on an intact log: \(error)")
            }
            guard found == hash else {
                throw fail(
                    "linkHash(after: \(sequence)) is \(found.map { "\($0)" } ?? "nil"), the next frame says \(hash)"
                )
            }
        }
        // By time: from a record's timestamp on, the records are those by sequence from the first with that time.
        guard let probe = records.dropFirst(records.count / 2).first else { return }
        let fromTime: [StoredRecord]
        do {
            var collected: [StoredRecord] = []
            try reader.forEach(fromTimestamp: probe.timestamp) { record in
                collected.append(record.copy())
                return true
            }
            fromTime = collected
        } catch {
            throw fail("forEach(fromTimestamp:) failed on an intact log: \(error)")
        }
        let wanted = Array(records.drop { $0.timestamp < probe.timestamp })
        guard fromTime == wanted else {
            throw fail(
                "forEach(fromTimestamp: \(probe.timestamp)) read \(fromTime.count) records from "
                    + "\(fromTime.first?.sequence ?? 0), expected \(wanted.count) from \(wanted.first?.sequence ?? 0)"
            )
        }
    }

    /// Appends one record and waits for its commit.
    private static func appendOne(_ log: EventLog) -> Result<AppendReceipt, EventLogError> {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<AppendReceipt, EventLogError>?>(nil)
        log.enqueue([LogRecord(type: 0, payload: Array("fuzz".utf8))], stamp: .commitTime) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? .failure(EventLogError(.closed, "no answer"))
    }

    /// Waits for the background index repair `EventLog.open` starts, so that it does not outlive the directory.
    private static func waitForMaintenance(_ log: EventLog) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await log.waitForIndexMaintenance()
            done.signal()
        }
        done.wait()
    }

    // MARK: Building files

    static func segmentName(_ base: UInt64) -> String { SegmentFile.name(base: base) }
    static func indexName(_ base: UInt64) -> String { SegmentFile.indexName(base: base) }

    /// The 32-byte segment header (docs/log-format.md).
    static func segmentHeader(base: UInt64, interval: Int64) -> [UInt8] {
        var bytes = Array("PARLEYSG".utf8)
        append(UInt16(1), to: &bytes)
        append(UInt16(0), to: &bytes)
        append(UInt32(clamping: interval), to: &bytes)
        append(base, to: &bytes)
        append(CRC32C.checksum(bytes), to: &bytes)
        append(UInt32(0), to: &bytes)
        return bytes
    }

    /// An index file with `entries` (sequence, timestamp, offset).
    static func indexFile(base: UInt64, interval: Int64, _ entries: [(UInt64, Int64, Int64)]) -> [UInt8] {
        var bytes = Array("PARLEYIX".utf8)
        append(UInt16(1), to: &bytes)
        append(UInt16(0), to: &bytes)
        append(UInt32(clamping: interval), to: &bytes)
        append(base, to: &bytes)
        append(UInt32(0), to: &bytes)
        append(CRC32C.checksum(bytes), to: &bytes)
        for (sequence, timestamp, offset) in entries {
            var entry: [UInt8] = []
            append(sequence, to: &entry)
            append(timestamp, to: &entry)
            append(offset, to: &entry)
            append(UInt32(0), to: &entry)
            append(CRC32C.checksum(entry), to: &entry)
            bytes += entry
        }
        return bytes
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }
}

/// The frame stream of the input, walked the way the writer lays frames out, with the fixes the flags ask for.
struct LogLayout {
    /// The frames, with checksums (and chain) fixed as asked.
    var frames: [UInt8]
    /// Where each complete frame starts.
    var frameStarts: [Int] = []
    /// Where each complete frame ends.
    var boundaries: [Int] = []
    /// Each complete frame's first sequence, first timestamp and record count, by start offset.
    var headers: [Int: (sequence: UInt64, timestamp: Int64, count: UInt32)] = [:]

    static let headerSize = FrameHeader.size

    init(frames input: [UInt8], flags: FrameDecoderTarget.Flags) {
        frames = input
        var offset = 0
        var previous = [UInt8](repeating: 0, count: 32)
        var nextSequence: UInt64 = 1
        while offset + Self.headerSize <= frames.count {
            let header = offset..<offset + Self.headerSize
            // The writer's zero tail stays zeros.
            if frames[header].allSatisfy({ $0 == 0 }) { break }
            let stored = Int(load(UInt32.self, at: offset + 24))
            let end = offset + Self.headerSize + stored
            if flags.contains(.fixChecksums) {
                if flags.contains(.fixChain) {
                    store(nextSequence, at: offset + 8)
                    frames.replaceSubrange(offset + 48..<offset + 80, with: previous)
                }
                if end <= frames.count {
                    let crc = frames.withUnsafeBytes {
                        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset + Self.headerSize..<end]))
                    }
                    store(crc, at: offset + 80)
                }
                let crc = frames.withUnsafeBytes {
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 84]))
                }
                store(crc, at: offset + 84)
            }
            guard end <= frames.count else { break }
            let first = load(UInt64.self, at: offset + 8)
            let count = load(UInt32.self, at: offset + 16)
            headers[offset] = (first, load(Int64.self, at: offset + 32), count)
            frameStarts.append(offset)
            boundaries.append(end)
            previous = Array(SHA256.hash(data: frames[offset..<end]))
            nextSequence = first &+ UInt64(count)
            offset = end
        }
    }

    /// The sequence after the frame that ends at `end`, if a frame ends there.
    func nextSequence(after end: Int) -> UInt64? {
        guard let index = boundaries.firstIndex(of: end), let header = headers[frameStarts[index]] else { return nil }
        return header.sequence &+ UInt64(header.count)
    }

    /// The sparse index entries the writer would record for frames at `offsets` (relative to a segment's frames
    /// starting at `start`), with the 32-byte segment header in front.
    func indexEntries(offsets: [Int64], startingAt start: Int, interval: Int64) -> [(UInt64, Int64, Int64)] {
        var entries: [(UInt64, Int64, Int64)] = []
        for offset in offsets {
            guard let header = headers[start + Int(offset)] else { continue }
            let position = offset + 32
            if let last = entries.last, position < last.2 + interval { continue }
            entries.append((header.sequence, header.timestamp, position))
        }
        return entries
    }

    private func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        frames.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    private mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        frames.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }
}

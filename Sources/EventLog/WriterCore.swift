#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open segment file, closed when the last user (writer or a pending sync) lets go of it.
final class SegmentHandle: Sendable {
    let file: FileDescriptor
    init(_ file: FileDescriptor) { self.file = file }
    deinit { file.close() }
}

/// The writer's file state. Touched only on the writer's serial queue (and in `init`/`deinit`), hence unchecked.
final class WriterCore: @unchecked Sendable {
    let directory: String
    let options: EventLogOptions
    private var lock: FileDescriptor?

    private var segment: SegmentHandle?
    private var segmentBase: UInt64
    private var segmentLength: Int64
    /// Size of the active segment file: `segmentLength` plus preallocated zeros.
    private var fileLength: Int64
    private var index: SegmentIndex
    private var indexFile: FileDescriptor?
    private var indexEntriesOnDisk: Int
    private(set) var sealedSegments: [SegmentRef]

    private var nextSequence: UInt64
    private var lastTimestamp: Int64
    private var lastHash: FrameHash

    private var lz4 = LZ4Block()
    private var raw: [UInt8] = []
    private var output: [UInt8] = []
    private var dirty = false
    private var lastSyncTime: Int64 = 0
    var deferredSyncScheduled = false
    private(set) var statistics = WriterStatistics()

    init(
        directory: String,
        options: EventLogOptions,
        recovered: RecoveredLog,
        lock: FileDescriptor
    )
        throws(EventLogError)
    {
        self.directory = directory
        self.options = options
        self.lock = lock
        let extent = recovered.extent
        nextSequence = extent.headSequence + 1
        lastTimestamp = extent.headTimestamp
        lastHash = extent.headHash
        raw.reserveCapacity(options.frameTargetBytes * 2)
        output.reserveCapacity(options.frameTargetBytes * 2)

        if let last = extent.active, let lastIndex = recovered.lastIndex {
            sealedSegments = extent.sealed
            segmentBase = last.base
            segmentLength = last.length
            fileLength = max(last.length, recovered.lastSegmentFileLength)
            index = lastIndex
            segment = SegmentHandle(try FileDescriptor.open(directory + "/" + last.name, O_RDWR))
            let indexPath = directory + "/" + SegmentFile.indexName(base: last.base)
            if recovered.indexStale || !Directory.exists(indexPath) {
                try index.write(to: indexPath)
            }
            indexFile = try FileDescriptor.open(indexPath, O_WRONLY)
            indexEntriesOnDisk = index.entries.count
        } else {
            sealedSegments = []
            segmentBase = nextSequence
            segmentLength = 0
            fileLength = 0
            index = SegmentIndex(base: nextSequence, interval: options.indexIntervalBytes)
            indexEntriesOnDisk = 0
            try createSegment(base: nextSequence)
        }
    }

    /// The committed extent as of the last completed batch.
    func extent() -> LogExtent {
        LogExtent(
            sealed: sealedSegments,
            active: SegmentRef(base: segmentBase, length: segmentLength),
            headSequence: nextSequence - 1,
            headTimestamp: lastTimestamp,
            headHash: lastHash
        )
    }

    /// Whether an `interval` sync is owed.
    var wantsDeferredSync: Bool { dirty }

    func closeFiles() {
        segment = nil
        indexFile?.close()
        indexFile = nil
        lock?.close()
        lock = nil
    }

    // MARK: - Committing a batch

    struct Outcome {
        var results: [Result<AppendReceipt, EventLogError>]
        /// Set when the writer can no longer accept appends.
        var fatal: EventLogError?
        /// Under `Durability.always`: the segment that must be `fdatasync`ed before the batch is answered.
        var awaitingSync: SegmentHandle?
    }

    /// State to return to when a batch's write fails before anything of it is on disk.
    private struct Checkpoint {
        var nextSequence: UInt64
        var lastTimestamp: Int64
        var lastHash: FrameHash
        var segmentLength: Int64
        var indexCount: Int
    }

    /// Frames `batch`, writes it with one `pwrite` per segment, syncs per policy, and answers each append.
    func commit(_ batch: [PendingAppend]) -> Outcome {
        guard segment != nil else {
            let error = EventLogError(.closed, "the log is closed")
            return Outcome(results: batch.map { _ in .failure(error) }, fatal: error)
        }
        var results: [Result<AppendReceipt, EventLogError>] = []
        results.reserveCapacity(batch.count)
        let checkpoint = Checkpoint(
            nextSequence: nextSequence,
            lastTimestamp: lastTimestamp,
            lastHash: lastHash,
            segmentLength: segmentLength,
            indexCount: index.entries.count
        )
        var writeStart = segmentLength
        var rolled = false
        var frame = FrameInProgress()
        raw.removeAll(keepingCapacity: true)
        output.removeAll(keepingCapacity: true)
        var appended = 0

        do {
            for append in batch {
                let size = append.records.reduce(0) { $0 + FrameHeader.recordHeaderSize + $1.payload.count }
                if frame.count > 0 && raw.count + size > options.frameTargetBytes {
                    if try sealFrame(&frame, writeStart: &writeStart) { rolled = true }
                }
                // A frame's last sequence + 1 must fit 64 bits (readers check it); only a log whose segment names
                // were tampered with gets near that.
                guard UInt64(append.records.count) <= UInt64.max - nextSequence else {
                    results.append(
                        .failure(
                            EventLogError(
                                .invalidArgument,
                                "the log's sequence numbers are used up: the next one is \(nextSequence)",
                                sequence: nextSequence
                            )
                        )
                    )
                    continue
                }
                switch stamp(append) {
                case .failure(let error):
                    results.append(.failure(error))
                case .success(let timestamps):
                    let first = nextSequence
                    for (record, timestamp) in zip(append.records, timestamps) {
                        raw.appendLE(UInt32(record.payload.count))
                        raw.appendLE(timestamp)
                        raw.appendLE(record.type)
                        raw.append(contentsOf: record.payload)
                    }
                    if frame.count == 0 {
                        frame.firstSequence = first
                        frame.firstTimestamp = timestamps[0]
                    }
                    frame.count += append.records.count
                    frame.lastTimestamp = timestamps[timestamps.count - 1]
                    nextSequence += UInt64(append.records.count)
                    lastTimestamp = frame.lastTimestamp
                    appended += append.records.count
                    results.append(
                        .success(
                            AppendReceipt(
                                firstSequence: first,
                                lastSequence: nextSequence - 1,
                                firstTimestamp: timestamps[0],
                                lastTimestamp: frame.lastTimestamp
                            )
                        )
                    )
                }
            }
            if frame.count > 0 {
                if try sealFrame(&frame, writeStart: &writeStart) { rolled = true }
            }
        } catch {
            return fail(batch: batch, error: error, checkpoint: checkpoint, anythingOnDisk: rolled)
        }
        if appended == 0 { return Outcome(results: results, fatal: nil) }

        do {
            try writeOutput(at: writeStart)
        } catch {
            return fail(batch: batch, error: error, checkpoint: checkpoint, anythingOnDisk: rolled)
        }
        writeIndexEntries()
        statistics.batches += 1
        statistics.records += appended
        statistics.appends += results.count { if case .success = $0 { true } else { false } }
        if options.durability == .always {
            // The sync runs on the syncer queue while this queue writes the next batch.
            return Outcome(results: results, fatal: nil, awaitingSync: segment)
        }
        do {
            try syncPerPolicy()
        } catch {
            // After a failed fdatasync the page cache may have dropped the data: never retry as if it were safe.
            let fatal = EventLogError(
                .writerFailed,
                "fdatasync failed (\(error.message)); the writer stopped. The last batch may or may not be on disk: "
                    + "reopen the log to recover",
                segment: SegmentFile.name(base: segmentBase),
                sequence: checkpoint.nextSequence,
                errno: error.errno
            )
            return Outcome(results: batch.map { _ in .failure(fatal) }, fatal: fatal)
        }
        return Outcome(results: results, fatal: nil)
    }

    private func fail(
        batch: [PendingAppend],
        error: EventLogError,
        checkpoint: Checkpoint,
        anythingOnDisk: Bool
    )
        -> Outcome
    {
        // Roll the active segment back to where the batch began; if part of the batch already reached another
        // segment or the rollback itself fails, the writer must stop.
        var fatal: EventLogError?
        output.removeAll(keepingCapacity: true)
        raw.removeAll(keepingCapacity: true)
        if error.code == .writerFailed {
            fatal = error
        } else if anythingOnDisk {
            fatal = EventLogError(
                .writerFailed,
                "write failed after part of the batch reached a sealed segment (\(error.message)); the writer "
                    + "stopped: reopen the log to recover",
                errno: error.errno
            )
        } else {
            do {
                try segment?.file.truncate(to: checkpoint.segmentLength)
                fileLength = checkpoint.segmentLength
            } catch let truncateError {
                fatal = EventLogError(
                    .writerFailed,
                    "write failed (\(error.message)) and the partial write could not be removed "
                        + "(\(truncateError.message)); the writer stopped: reopen the log to recover",
                    errno: error.errno
                )
            }
            nextSequence = checkpoint.nextSequence
            lastTimestamp = checkpoint.lastTimestamp
            lastHash = checkpoint.lastHash
            segmentLength = checkpoint.segmentLength
            index.entries.removeLast(index.entries.count - checkpoint.indexCount)
        }
        let reported = fatal ?? error
        return Outcome(results: batch.map { _ in .failure(reported) }, fatal: fatal)
    }

    /// Assigns timestamps to an append, or explains why its timestamps are not acceptable.
    private func stamp(_ append: PendingAppend) -> Result<[Int64], EventLogError> {
        switch append.stamp {
        case .commitTime:
            let now = max(options.clock(), lastTimestamp)
            return .success([Int64](repeating: now, count: append.records.count))
        case .asGiven:
            var previous = lastTimestamp
            for record in append.records {
                guard record.timestamp >= previous else {
                    return .failure(
                        EventLogError(
                            .invalidArgument,
                            "record timestamp \(record.timestamp) is earlier than the log's last timestamp \(previous)"
                        )
                    )
                }
                previous = record.timestamp
            }
            return .success(append.records.map(\.timestamp))
        }
    }

    private struct FrameInProgress {
        var firstSequence: UInt64 = 0
        var count = 0
        var firstTimestamp: Int64 = 0
        var lastTimestamp: Int64 = 0
    }

    /// Compresses the raw payload into a frame appended to `output`; rolls the segment first if the frame does
    /// not fit. Returns whether it rolled.
    private func sealFrame(_ frame: inout FrameInProgress, writeStart: inout Int64) throws(EventLogError) -> Bool {
        defer {
            frame = FrameInProgress()
            raw.removeAll(keepingCapacity: true)
        }
        let compressed = try compressRaw()
        var header = FrameHeader(
            codec: compressed == nil ? .raw : .lz4Block,
            firstSequence: frame.firstSequence,
            count: UInt32(frame.count),
            rawLength: UInt32(raw.count),
            storedLength: UInt32(compressed?.count ?? raw.count),
            firstTimestamp: frame.firstTimestamp,
            lastTimestamp: frame.lastTimestamp,
            previousHash: lastHash,
            payloadCRC: 0
        )
        var rolled = false
        if segmentLength > Int64(SegmentFile.headerSize)
            && segmentLength + Int64(header.frameLength) > options.segmentSize
        {
            try writeOutput(at: writeStart)
            try roll(newBase: frame.firstSequence)
            writeStart = segmentLength
            rolled = true
        }
        let frameOffset = segmentLength
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: FrameHeader.size))
        if let compressed {
            output.append(contentsOf: compressed)
        } else {
            output.append(contentsOf: raw)
        }
        output.withUnsafeMutableBytes { bytes in
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(start + FrameHeader.size)...])
            header.payloadCRC = CRC32C.checksum(payload)
            header.write(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start..<start + FrameHeader.size]))
            lastHash = FrameHash.of(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
        segmentLength += Int64(header.frameLength)
        index.note(header, at: frameOffset)
        statistics.frames += 1
        return rolled
    }

    /// LZ4-compresses `raw`; nil when that would not make it smaller.
    private func compressRaw() throws(EventLogError) -> [UInt8]? {
        let result: Result<[UInt8]?, EventLogError> = raw.withUnsafeBytes { source in
            do throws(EventLogError) {
                return .success(try lz4.compress(source).map { Array($0) })
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes `output` (frames not yet on disk) at `offset` of the active segment and empties it.
    private func writeOutput(at offset: Int64) throws(EventLogError) {
        guard !output.isEmpty, let segment else { return }
        let end = offset + Int64(output.count)
        try preallocate(through: end)
        try segment.file.write(output, at: offset)
        fileLength = max(fileLength, end)
        output.removeAll(keepingCapacity: true)
        dirty = true
    }

    /// Fills the active segment with zeros past `end` (up to the preallocation distance) if it does not reach it.
    private func preallocate(through end: Int64) throws(EventLogError) {
        // Without syncs there is nothing to gain and the zeros would only double the bytes written.
        guard options.durability != .none, options.preallocationBytes > 0, end > fileLength, let segment else {
            return
        }
        let target = max(end, min(end + options.preallocationBytes, options.segmentSize))
        var position = fileLength
        while position < target {
            let count = Int(min(target - position, Int64(Self.zeros.count)))
            let result: Result<Void, EventLogError> = Self.zeros.withUnsafeBytes { zeros in
                do throws(EventLogError) {
                    try segment.file.write(UnsafeRawBufferPointer(rebasing: zeros[0..<count]), at: position)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
            position += Int64(count)
        }
        fileLength = target
    }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 20)

    /// Cuts the preallocated zeros off the active segment and syncs it (before sealing or closing).
    func trimPreallocation() throws(EventLogError) {
        guard let segment, fileLength > segmentLength else { return }
        try segment.file.truncate(to: segmentLength)
        fileLength = segmentLength
        dirty = true
    }

    private func syncPerPolicy() throws(EventLogError) {
        switch options.durability {
        case .always:
            break  // synced by the caller's syncer
        case .interval(let ms):
            let now = monotonicMilliseconds()
            if now - lastSyncTime >= Int64(ms) { try syncSegment() }
        case .none:
            break
        }
    }

    private func syncSegment() throws(EventLogError) {
        guard dirty, let segment else { return }
        try segment.file.sync()
        dirty = false
        lastSyncTime = monotonicMilliseconds()
        statistics.syncs += 1
    }

    /// Syncs if a write is not yet durable; returns a fatal error if the sync failed.
    func syncIfDirty() -> EventLogError? {
        do {
            try syncSegment()
            return nil
        } catch {
            return EventLogError(.writerFailed, "deferred fdatasync failed: \(error.message)", errno: error.errno)
        }
    }

    /// Seals the active segment (synced, full index written) and starts a new one whose first record is `newBase`.
    private func roll(newBase: UInt64) throws(EventLogError) {
        do {
            try trimPreallocation()
            try syncSegment()
        } catch {
            throw EventLogError(
                .writerFailed,
                "sealing the segment failed (\(error.message)); the writer stopped: reopen the log",
                segment: SegmentFile.name(base: segmentBase),
                errno: error.errno
            )
        }
        segment = nil
        try index.write(to: directory + "/" + SegmentFile.indexName(base: segmentBase))
        indexFile?.close()
        indexFile = nil
        sealedSegments.append(SegmentRef(base: segmentBase, length: segmentLength))
        statistics.rolls += 1
        try createSegment(base: newBase)
    }

    private func createSegment(base: UInt64) throws(EventLogError) {
        let path = directory + "/" + SegmentFile.name(base: base)
        let handle = SegmentHandle(try FileDescriptor.open(path, O_RDWR | O_CREAT | O_EXCL))
        try handle.file.write(SegmentFile.header(base: base, indexInterval: options.indexIntervalBytes), at: 0)
        try handle.file.sync()
        segment = handle
        segmentBase = base
        segmentLength = Int64(SegmentFile.headerSize)
        fileLength = segmentLength
        index = SegmentIndex(base: base, interval: options.indexIntervalBytes)
        let indexPath = directory + "/" + SegmentFile.indexName(base: base)
        try index.write(to: indexPath)
        indexFile = try FileDescriptor.open(indexPath, O_WRONLY)
        indexEntriesOnDisk = 0
        try Directory.sync(directory)
    }

    /// Appends index entries added since the last call; failures only cost a rebuild later.
    private func writeIndexEntries() {
        guard index.entries.count > indexEntriesOnDisk, let indexFile else { return }
        var bytes: [UInt8] = []
        for entry in index.entries[indexEntriesOnDisk...] { bytes += SegmentIndex.entryBytes(entry) }
        let offset = Int64(SegmentIndex.headerSize + indexEntriesOnDisk * SegmentIndex.entrySize)
        do {
            try indexFile.write(bytes, at: offset)
            indexEntriesOnDisk = index.entries.count
        } catch {
            statistics.indexWriteFailures += 1
        }
    }
}

/// Milliseconds of a monotonic clock, for sync intervals only (never recorded in the log).
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

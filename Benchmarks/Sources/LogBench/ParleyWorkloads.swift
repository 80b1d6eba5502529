import BenchChat
import EventLog

/// The log's side of every workload.
struct ParleyWorkloads {
    /// The events to write.
    let pool: EventPool

    /// What a timed append run produced.
    struct AppendRun {
        /// Records acknowledged.
        var events: Int
        /// Wall-clock seconds from the first append to the last acknowledgement.
        var seconds: Double
        /// The writer's counters (frames, fsyncs, batches).
        var statistics: WriterStatistics
        /// Latencies of the append calls, in seconds.
        var latency: Sample
        /// Bytes the frames occupy per event (headers included).
        var storedBytesPerEvent: Double

        /// Acknowledged records per second.
        var eventsPerSecond: Double { Double(events) / seconds }
    }

    /// `writers` tasks append `recordsPerCall` records per call, each waiting for its acknowledgement before the
    /// next call, until `duration` seconds have passed. Records are stamped with the commit time, as a server would.
    func append(
        directory: String,
        durability: Durability,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws -> AppendRun {
        var options = EventLogOptions()
        options.durability = durability
        let log = try EventLog.open(dataDirectory: directory, options: options)
        let pool = pool
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(duration * 1000))
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(4096)
                    var index = writer * 7919
                    while ContinuousClock.now < deadline {
                        let records = (index..<index + recordsPerCall).map { pool.record($0) }
                        let before = ContinuousClock.now
                        _ = try await log.append(records, stamp: .commitTime)
                        latencies.append(before.duration(to: .now).seconds)
                        index += recordsPerCall
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        let seconds = start.duration(to: .now).seconds
        await log.close()
        let stored = try LogInspector.statistics(dataDirectory: directory)
        return AppendRun(
            events: latencies.count * recordsPerCall,
            seconds: seconds,
            statistics: log.statistics,
            latency: Sample(latencies),
            storedBytesPerEvent: Double(stored.storedBytes) / Double(max(stored.events, 1))
        )
    }

    /// What a bulk load wrote.
    struct Load {
        /// Records written.
        var events: Int
        /// Payload bytes written.
        var payloadBytes: Int
        /// Bytes of the segment files.
        var segmentBytes: Int64
        /// Seconds the load took.
        var seconds: Double
    }

    /// Loads events into a new log as fast as it takes them: appends of `chunk` records, many in flight at once
    /// so that group commit fills whole 64 KiB frames, durability `none`. Stops after `events` records or once
    /// the segments hold `bytes`, whichever comes first.
    func load(
        directory: String,
        encoding: EventPool.Encoding = .binary,
        events: Int = .max,
        bytes: Int64 = .max,
        segmentSize: Int64 = 64 << 20
    ) async throws -> Load {
        var options = EventLogOptions()
        options.durability = .none
        options.segmentSize = segmentSize
        let log = try EventLog.open(dataDirectory: directory, options: options)
        let chunk = 16
        let window = 4096
        var written = 0
        var payloadBytes = 0
        var previous: AppendWaiter?
        let start = ContinuousClock.now
        while written < events {
            // Enqueue a window of appends, then wait for the previous window: the writer always has work queued.
            var last: AppendWaiter?
            for _ in 0..<window where written < events {
                let count = min(chunk, events - written)
                var records: [LogRecord] = []
                records.reserveCapacity(count)
                for index in written..<written + count {
                    let record = pool.record(index, encoding: encoding)
                    payloadBytes += record.payload.count
                    records.append(record)
                }
                written += count
                let waiter = AppendWaiter()
                log.enqueue(records, stamp: .asGiven) { waiter.fulfil($0) }
                last = waiter
            }
            if let previous { _ = try await previous.wait().get() }
            previous = last
            if segmentBytes(log.extent) >= bytes { break }
        }
        if let previous { _ = try await previous.wait().get() }
        await log.close()
        return Load(
            events: written,
            payloadBytes: payloadBytes,
            segmentBytes: FileTree.totalSize(in: EventLog.logDirectory(in: directory), suffix: ".seg"),
            seconds: start.duration(to: .now).seconds
        )
    }

    private func segmentBytes(_ extent: LogExtent) -> Int64 { extent.segments.reduce(0) { $0 + $1.length } }

    /// Reads every record of the log in `directory` on the calling thread: open, decompress, CRC, iterate.
    func replay(directory: String) throws -> ReplayTally {
        var tally = ReplayTally()
        let reader = try LogReader.open(dataDirectory: directory)
        try reader.forEach(fromSequence: 1) { record in
            tally.add(type: record.type, payload: record.payload)
            return true
        }
        return tally
    }

    /// Seconds to open the existing log in `directory` for writing (recovery: find segments, scan the tail of
    /// the last one) and close it again.
    ///
    /// - Parameter cold: drop the log's files from the page cache first, so recovery reads from the disk.
    func reopen(directory: String, cold: Bool) async throws -> (seconds: Double, recovery: TornTailReport?) {
        if cold { FileTree.evictFromPageCache(EventLog.logDirectory(in: directory)) }
        let start = ContinuousClock.now
        let log = try EventLog.open(dataDirectory: directory, options: EventLogOptions())
        await log.close()
        return (start.duration(to: .now).seconds, log.recovery)
    }

    /// Leaves a torn write at the end of the log, as a crash in the middle of writing a frame does: the first
    /// half of a copy of the last segment's first frame (its header is valid, its payload is cut short).
    func tearTail(directory: String) throws {
        let logDirectory = EventLog.logDirectory(in: directory)
        guard let last = FileTree.files(in: logDirectory).last(where: { $0.hasSuffix(".seg") }) else {
            throw BenchError("no segment in \(logDirectory)")
        }
        // docs/log-format.md: the first frame follows the segment header; the u32 at byte 24 of a frame header is
        // the stored payload length.
        let first = Int64(SegmentFile.headerSize)
        let header = try FileTree.read(last, offset: first, count: FrameHeader.size)
        guard header.count == FrameHeader.size else { throw BenchError("\(last) holds no frame") }
        let stored = Int(header[24]) | Int(header[25]) << 8 | Int(header[26]) << 16 | Int(header[27]) << 24
        let frame = try FileTree.read(last, offset: first, count: FrameHeader.size + stored)
        try FileTree.append(Array(frame.prefix(frame.count / 2)), to: last)
    }

    /// Seconds `LogInspector.verify` takes on the log in `directory`; fails if the log is not intact.
    func verify(directory: String, cold: Bool) throws -> Double {
        if cold { FileTree.evictFromPageCache(EventLog.logDirectory(in: directory)) }
        let (report, seconds) = try timed { try LogInspector.verify(dataDirectory: directory) }
        if let problem = report.problem { throw BenchError("verify found a problem: \(problem)") }
        return seconds
    }
}

import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only, LZ4-compressed, hash-chained segment log opened for writing.
///
/// Appends are group-committed: every append that arrives while a write and `fdatasync` are in flight joins the
/// next batch, and each caller is answered only once its batch is durable (under `Durability.always`). All file
/// I/O of the writer runs on a dedicated serial dispatch queue, never on Swift's cooperative pool. The records of
/// one append call always land in one frame, so they survive or vanish together.
public final class EventLog: Sendable {
    /// The directory holding the segment files (`<data>/log`).
    public let directory: String
    /// The options the log was opened with.
    public let options: EventLogOptions
    /// The torn tail that opening the log cut off, if any.
    public let recovery: TornTailReport?

    private let shared: Mutex<Shared>
    private let core: WriterCore
    private let queue: DispatchQueue
    private let maintenance = DispatchGroup()

    /// The segment directory inside a data directory.
    public static func logDirectory(in dataDirectory: String) -> String {
        dataDirectory.hasSuffix("/") ? dataDirectory + "log" : dataDirectory + "/log"
    }

    /// Opens (creating if needed) the log in `<dataDirectory>/log`, recovering its tail.
    ///
    /// Takes an exclusive lock: a second writer on the same directory fails with `.locked`.
    public static func open(
        dataDirectory: String,
        options: EventLogOptions = EventLogOptions()
    ) throws(EventLogError)
        -> EventLog
    {
        guard options.segmentSize >= Int64(SegmentFile.headerSize + FrameHeader.size + 64),
            options.frameTargetBytes > 0, options.indexIntervalBytes > 0, options.maxRecordBytes > 0
        else {
            throw EventLogError(.invalidArgument, "segment size, frame target, index interval must be positive")
        }
        let directory = logDirectory(in: dataDirectory)
        try Directory.create(directory)
        let lock = try FileDescriptor.open(directory + "/LOCK", O_RDWR | O_CREAT)
        guard try lock.tryLock() else {
            lock.close()
            throw EventLogError(.locked, "\(directory) is open for writing by another process")
        }
        do {
            let recovered = try Recovery.recover(
                directory: directory,
                repair: true,
                newIndexInterval: options.indexIntervalBytes
            )
            let core = try WriterCore(directory: directory, options: options, recovered: recovered, lock: lock)
            return EventLog(directory: directory, options: options, recovery: recovered.torn, core: core)
        } catch {
            lock.close()
            throw error
        }
    }

    private init(directory: String, options: EventLogOptions, recovery: TornTailReport?, core: WriterCore) {
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self.core = core
        self.queue = DispatchQueue(label: "parley.eventlog.writer", qos: .userInitiated)
        self.shared = Mutex(Shared(committed: core.extent()))
        let sealed = core.sealedSegments
        DispatchQueue.global(qos: .utility).async(group: maintenance) {
            IndexMaintenance.repairSealedIndexes(directory: directory, segments: sealed)
        }
    }

    deinit {
        core.closeFiles()
    }

    /// Returns once the background check of sealed segments' index files (started by `open`) has finished.
    ///
    /// Opening only scans the tail of the log; missing or damaged indexes of sealed segments are rebuilt in the
    /// background so that opening stays fast however long the log is.
    public func waitForIndexMaintenance() async {
        await withCheckedContinuation { continuation in
            maintenance.notify(queue: .global()) { continuation.resume() }
        }
    }

    /// The committed extent: readers may read exactly this much.
    public var extent: LogExtent { shared.withLock { $0.committed } }

    /// Counters since open.
    public var statistics: WriterStatistics { shared.withLock { $0.statistics } }

    /// A reader over what is committed now, running concurrently with the writer.
    public func reader() -> LogReader {
        LogReader(directory: directory, extent: extent, tornTail: nil)
    }

    /// Appends `records` atomically (one frame) and returns once they are committed per the durability policy.
    public func append(
        _ records: [LogRecord],
        stamp: StampPolicy = .asGiven
    ) async throws(EventLogError)
        -> AppendReceipt
    {
        let result = await withCheckedContinuation { continuation in
            enqueue(records, stamp: stamp) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Queues `records` for the next group commit and calls `completion` once committed or failed.
    ///
    /// Appends are committed in the order of their `enqueue` calls; `completion` runs on the writer's queue and
    /// must not block.
    public func enqueue(
        _ records: [LogRecord],
        stamp: StampPolicy = .asGiven,
        completion: @escaping @Sendable (Result<AppendReceipt, EventLogError>) -> Void
    ) {
        if let problem = validate(records) {
            completion(.failure(problem))
            return
        }
        let pending = PendingAppend(records: records, stamp: stamp, completion: completion)
        let action: EnqueueAction = shared.withLock { state in
            if let failure = state.failure { return .fail(failure) }
            if state.closed { return .fail(EventLogError(.closed, "the log is closed")) }
            state.pending.append(pending)
            if state.draining { return .joined }
            state.draining = true
            return .startDrain
        }
        switch action {
        case .joined: break
        case .fail(let error): completion(.failure(error))
        case .startDrain: queue.async { self.drain() }
        }
    }

    private enum EnqueueAction {
        case joined, startDrain
        case fail(EventLogError)
    }

    private func validate(_ records: [LogRecord]) -> EventLogError? {
        if records.isEmpty { return EventLogError(.invalidArgument, "an append needs at least one record") }
        var total = 0
        for record in records {
            if record.payload.count > options.maxRecordBytes {
                return EventLogError(
                    .invalidArgument,
                    "record of \(record.payload.count) bytes exceeds the limit of \(options.maxRecordBytes)"
                )
            }
            total += FrameHeader.recordHeaderSize + record.payload.count
        }
        if total > FrameHeader.maxRawLength {
            return EventLogError(.invalidArgument, "append of \(total) bytes exceeds the frame limit")
        }
        return nil
    }

    /// Runs on `queue`: takes every pending append, writes them as one batch, repeats until none are left.
    private func drain() {
        while true {
            let batch: [PendingAppend] = shared.withLock { state in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            if batch.isEmpty { return }
            let outcome = core.commit(batch)
            let statistics = core.statistics
            let committed = core.extent()
            let pendingFailures: [PendingAppend] = shared.withLock { state in
                state.statistics = statistics
                state.committed = committed
                if let fatal = outcome.fatal {
                    state.failure = fatal
                    let stranded = state.pending
                    state.pending.removeAll()
                    return stranded
                }
                return []
            }
            for (append, result) in zip(batch, outcome.results) { append.completion(result) }
            for append in pendingFailures { append.completion(.failure(outcome.fatal!)) }
            if core.wantsDeferredSync { scheduleDeferredSync() }
        }
    }

    private func scheduleDeferredSync() {
        guard case .interval(let ms) = options.durability, !core.deferredSyncScheduled else { return }
        core.deferredSyncScheduled = true
        queue.asyncAfter(deadline: .now() + .milliseconds(ms)) { [self] in
            core.deferredSyncScheduled = false
            if let fatal = core.syncIfDirty() {
                shared.withLock { $0.failure = fatal }
            }
            let statistics = core.statistics
            shared.withLock { $0.statistics = statistics }
        }
    }

    /// Like `close()`, blocking the calling thread; for synchronous command-line code, never from the writer queue.
    public func closeSynchronously() {
        shared.withLock { $0.closed = true }
        queue.sync {
            drain()
            _ = core.syncIfDirty()
            core.closeFiles()
        }
    }

    /// Stops accepting appends, commits what is queued, syncs, and releases the files and the lock.
    public func close() async {
        shared.withLock { $0.closed = true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                drain()
                _ = core.syncIfDirty()
                core.closeFiles()
                continuation.resume()
            }
        }
    }
}

/// An append waiting for the next group commit.
struct PendingAppend: Sendable {
    var records: [LogRecord]
    var stamp: StampPolicy
    var completion: @Sendable (Result<AppendReceipt, EventLogError>) -> Void
}

/// State shared between callers and the writer queue.
private struct Shared: Sendable {
    var pending: [PendingAppend] = []
    var draining = false
    var closed = false
    var failure: EventLogError?
    var committed: LogExtent
    var statistics = WriterStatistics()
}

import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only, LZ4-compressed, hash-chained segment log opened for writing.
///
/// Appends are group-committed: every append that arrives while a write is in flight joins the next batch, and
/// each caller is answered only once its batch is durable (under `Durability.always`). Writing and syncing are
/// pipelined on two serial dispatch queues: while one `fdatasync` runs, the writer frames and writes the next
/// batch, and the next `fdatasync` covers every batch written meanwhile. No file I/O runs on Swift's cooperative
/// pool. The records of one append call always land in one frame, so they survive or vanish together.
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
    private let syncQueue: DispatchQueue
    /// Batches that may be written but not yet synced at once under `Durability.always` (double buffering).
    private let syncSlots = DispatchSemaphore(value: 2)
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
        self.syncQueue = DispatchQueue(label: "parley.eventlog.syncer", qos: .userInitiated)
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

    /// Why the writer stopped (a failed `fdatasync`, or a write it could not undo), or nil while it accepts appends.
    public var writerFailure: EventLogError? { shared.withLock { $0.failure } }

    /// Counters since open.
    public var statistics: WriterStatistics {
        shared.withLock { state in
            var statistics = state.writerStatistics
            statistics.syncs += state.syncerSyncs
            return statistics
        }
    }

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
    ///
    /// Under `Durability.always` a written batch goes to the syncer and this queue goes straight on to write the
    /// next batch while the sync is in flight; otherwise the batch is answered here.
    private func drain() {
        let pipelined = options.durability == .always
        while true {
            // Double buffering: one batch may be written while the previous one syncs, no more; waiting here lets
            // the next batch gather everything that arrives during the sync.
            if pipelined { syncSlots.wait() }
            let taken: (batch: [PendingAppend], failure: EventLogError?) = shared.withLock { state in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.draining = false }
                return (taken, state.failure)
            }
            let batch = taken.batch
            if batch.isEmpty {
                if pipelined { syncSlots.signal() }
                return
            }
            if let failure = taken.failure {
                if pipelined { syncSlots.signal() }
                for append in batch { append.completion(.failure(failure)) }
                continue
            }
            let outcome = core.commit(batch)
            if outcome.fatal == nil, let handle = outcome.awaitingSync {
                // The syncer returns the slot once this batch is synced.
                submitForSync(
                    WrittenBatch(appends: batch, results: outcome.results, extent: core.extent(), segment: handle)
                )
                continue
            }
            if pipelined { syncSlots.signal() }
            let statistics = core.statistics
            let committed = core.extent()
            let publish = options.durability != .always
            let stranded: [PendingAppend] = shared.withLock { state in
                state.writerStatistics = statistics
                if publish { state.committed = committed }
                guard let fatal = outcome.fatal else { return [] }
                state.failure = fatal
                let stranded = state.pending
                state.pending.removeAll()
                return stranded
            }
            for (append, result) in zip(batch, outcome.results) { append.completion(result) }
            for append in stranded { append.completion(.failure(outcome.fatal!)) }
            if core.wantsDeferredSync { scheduleDeferredSync() }
        }
    }

    /// Queues a written batch for the syncer, starting the syncer if it is idle.
    private func submitForSync(_ written: WrittenBatch) {
        let statistics = core.statistics
        let start: Bool = shared.withLock { state in
            state.writerStatistics = statistics
            state.written.append(written)
            if state.syncing { return false }
            state.syncing = true
            return true
        }
        if start { syncQueue.async { self.syncLoop() } }
    }

    /// Runs on `syncQueue`: one `fdatasync` covers every batch written since the last one; then the new extent is
    /// published and those callers are answered. A failed sync stops the writer for good.
    private func syncLoop() {
        while true {
            let group: [WrittenBatch] = shared.withLock { state in
                let taken = state.written
                state.written.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.syncing = false }
                return taken
            }
            guard let last = group.last else { return }
            var failure: EventLogError?
            var synced: [ObjectIdentifier] = []
            for written in group where !synced.contains(ObjectIdentifier(written.segment)) {
                synced.append(ObjectIdentifier(written.segment))
                do {
                    try written.segment.file.sync()
                } catch {
                    failure = EventLogError(
                        .writerFailed,
                        "fdatasync failed (\(error.message)); the writer stopped. Unanswered appends may or may not "
                            + "be on disk: reopen the log to recover",
                        segment: written.segment.file.path,
                        errno: error.errno
                    )
                    break
                }
            }
            let syncs = synced.count
            let stranded: [PendingAppend] = shared.withLock { state in
                state.syncerSyncs += syncs
                guard let failure else {
                    state.committed = last.extent
                    return []
                }
                state.failure = failure
                let stranded = state.pending + state.written.flatMap(\.appends)
                state.pending.removeAll()
                state.written.removeAll()
                return stranded
            }
            for _ in group { syncSlots.signal() }
            if let failure {
                for written in group { for append in written.appends { append.completion(.failure(failure)) } }
                for append in stranded { append.completion(.failure(failure)) }
            } else {
                for written in group {
                    for (append, result) in zip(written.appends, written.results) { append.completion(result) }
                }
            }
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
            shared.withLock { $0.writerStatistics = statistics }
        }
    }

    /// Runs on `queue`: commits what is queued, waits for the syncer, syncs and closes the files.
    private func finishAndCloseFiles() {
        drain()
        syncQueue.sync {}  // the syncer drains everything submitted before this point
        try? core.trimPreallocation()  // on failure the zeros stay; recovery reads them as the end
        _ = core.syncIfDirty()
        core.closeFiles()
        let statistics = core.statistics
        shared.withLock { $0.writerStatistics = statistics }
    }

    /// Like `close()`, blocking the calling thread; for synchronous command-line code, never from the writer queue.
    public func closeSynchronously() {
        shared.withLock { $0.closed = true }
        queue.sync {
            finishAndCloseFiles()
        }
    }

    /// Stops accepting appends, commits what is queued, syncs, and releases the files and the lock.
    public func close() async {
        shared.withLock { $0.closed = true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                finishAndCloseFiles()
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

/// A batch that is written but, under `Durability.always`, not yet synced or answered.
struct WrittenBatch: Sendable {
    var appends: [PendingAppend]
    var results: [Result<AppendReceipt, EventLogError>]
    /// The extent including this batch, published once it is synced.
    var extent: LogExtent
    var segment: SegmentHandle
}

/// State shared between callers, the writer queue and the syncer queue.
private struct Shared: Sendable {
    var pending: [PendingAppend] = []
    var draining = false
    var written: [WrittenBatch] = []
    var syncing = false
    var closed = false
    var failure: EventLogError?
    var committed: LogExtent
    var writerStatistics = WriterStatistics()
    var syncerSyncs = 0
}

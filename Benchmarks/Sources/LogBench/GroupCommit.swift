import BenchChat
import Dispatch
import EventLog
import Synchronization

/// A database peer's store, as `GroupCommit` drives it.
protocol GroupCommitStore: AnyObject, SendableMetatype {
    /// Inserts `records` in one transaction and commits; returns the sequence of each.
    func insert(_ records: [LogRecord], stampNow: Bool) throws -> [Int64]
    /// Bytes the store occupies on disk once everything committed is in its files.
    func storedBytes() throws -> Int64
}

/// Group commit in front of a database peer (SQLite, PostgreSQL), shaped like the log's own: callers queue
/// records; one writer (a serial dispatch queue, one connection) takes everything pending, inserts it in one
/// transaction, commits, then answers every caller. With one caller that is one transaction per record.
final class GroupCommit<Store: GroupCommitStore>: Sendable {
    private struct Pending {
        var records: [LogRecord]
        var completion: @Sendable (Result<Int64, any Error>) -> Void
    }

    private struct Shared {
        var pending: [Pending] = []
        var draining = false
    }

    /// The store, touched only on `queue`.
    private final class Writer: @unchecked Sendable {
        let store: Store
        var transactions = 0
        init(store: Store) { self.store = store }
    }

    private let shared = Mutex(Shared())
    private let queue: DispatchQueue
    private let writer: Writer

    /// Group-commits into `store`, which this takes over.
    init(store: Store, label: String) {
        writer = Writer(store: store)
        queue = DispatchQueue(label: "parley.bench.\(label)-writer", qos: .userInitiated)
    }

    /// Commits `records` (stamped with the commit time) and returns the sequence of the first once the
    /// transaction holding them committed.
    func append(_ records: [LogRecord]) async throws -> Int64 {
        try await withCheckedContinuation { continuation in
            enqueue(records) { continuation.resume(returning: $0) }
        }.get()
    }

    /// Transactions committed so far (read after the callers are done).
    var transactions: Int { queue.sync { writer.transactions } }

    /// The store's size on disk once everything committed is in its files.
    func storedBytes() throws -> Int64 {
        try queue.sync { try writer.store.storedBytes() }
    }

    /// `writers` tasks append `recordsPerCall` records of `pool` per call, each waiting for its commit before the
    /// next call, until `duration` seconds have passed. Returns the latency of every call and the wall-clock seconds
    /// from the first append to the last acknowledgement.
    func drive(
        pool: EventPool,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws -> (latencies: [Double], seconds: Double) {
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
                        _ = try await self.append(records)
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
        return (latencies, start.duration(to: .now).seconds)
    }

    private func enqueue(
        _ records: [LogRecord],
        completion: @escaping @Sendable (Result<Int64, any Error>) -> Void
    ) {
        let startDrain = shared.withLock { state in
            state.pending.append(Pending(records: records, completion: completion))
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
    }

    /// Runs on `queue`: commits everything pending as one transaction, repeats until nothing is left.
    private func drain() {
        while true {
            let batch: [Pending] = shared.withLock { state in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            if batch.isEmpty { return }
            do {
                let sequences = try writer.store.insert(batch.flatMap(\.records), stampNow: true)
                writer.transactions += 1
                var position = 0
                for pending in batch {
                    pending.completion(.success(sequences[position]))
                    position += pending.records.count
                }
            } catch {
                for pending in batch { pending.completion(.failure(error)) }
            }
        }
    }
}

/// What a timed append run against a database peer produced.
struct PeerAppendRun {
    /// Records acknowledged.
    var events: Int
    /// Wall-clock seconds from the first append to the last acknowledgement.
    var seconds: Double
    /// Transactions (one commit, one WAL flush when durable, each).
    var transactions: Int
    /// Latencies of the append calls, in seconds.
    var latency: Sample
    /// Bytes on disk per event (SQLite: the database file after a checkpoint; PostgreSQL: the table and its
    /// indexes).
    var bytesPerEvent: Double

    /// Acknowledged records per second.
    var eventsPerSecond: Double { Double(events) / seconds }

    /// Times `writers` × `recordsPerCall` appends through `database` for `duration` seconds.
    static func measure<Store: GroupCommitStore>(
        _ database: GroupCommit<Store>,
        pool: EventPool,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws -> PeerAppendRun {
        let (latencies, seconds) = try await database.drive(
            pool: pool,
            writers: writers,
            recordsPerCall: recordsPerCall,
            duration: duration
        )
        let events = latencies.count * recordsPerCall
        return PeerAppendRun(
            events: events,
            seconds: seconds,
            transactions: database.transactions,
            latency: Sample(latencies),
            bytesPerEvent: Double(try database.storedBytes()) / Double(max(events, 1))
        )
    }
}

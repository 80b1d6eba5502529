import Dispatch
import EventLog
import Synchronization

/// Group commit in front of SQLite, shaped like the log's own: callers queue records; one writer (a serial
/// dispatch queue) takes everything pending, inserts it in one transaction, commits, then answers every caller.
/// With one caller that is one transaction per record.
final class SQLiteGroupCommit: Sendable {
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
        let store: SQLiteEventStore
        var transactions = 0
        init(store: SQLiteEventStore) { self.store = store }
    }

    private let shared = Mutex(Shared())
    private let queue = DispatchQueue(label: "parley.bench.sqlite-writer", qos: .userInitiated)
    private let writer: Writer

    /// Group-commits into the database at `path`.
    init(path: String, synchronous: SQLiteEventStore.Synchronous) throws {
        writer = Writer(store: try SQLiteEventStore(path: path, synchronous: synchronous))
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

    /// Checkpoints the WAL into the database file (read the file's size after this).
    func checkpoint() throws {
        try queue.sync { try writer.store.checkpoint() }
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

import EventLog

/// SQLite's side of the append and replay workloads, shaped exactly like the log's.
struct SQLiteWorkloads {
    /// The events to write.
    let pool: EventPool

    /// `writers` tasks append `recordsPerCall` records per call through a `GroupCommit`, each waiting for its
    /// commit before the next call, until `duration` seconds have passed.
    func append(
        path: String,
        synchronous: SQLiteEventStore.Synchronous,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws -> PeerAppendRun {
        let database = GroupCommit(store: try SQLiteEventStore(path: path, synchronous: synchronous), label: "sqlite")
        return try await PeerAppendRun.measure(
            database,
            pool: pool,
            writers: writers,
            recordsPerCall: recordsPerCall,
            duration: duration
        )
    }

    /// Loads the same first `events` records as `ParleyWorkloads.load` into a new database, 10,000 rows per
    /// transaction, then checkpoints so the database file holds everything. Returns the file's size in bytes.
    func load(path: String, events: Int) throws -> Int64 {
        let store = try SQLiteEventStore(path: path, synchronous: .full)
        var written = 0
        while written < events {
            let count = min(10_000, events - written)
            let records = (written..<written + count).map { pool.record($0) }
            _ = try store.insert(records, stampNow: false)
            written += count
        }
        return try store.storedBytes()
    }

    /// Reads every row in order; see `SQLiteEventStore.replay`.
    func replay(path: String) throws -> ReplayTally {
        try SQLiteEventStore.replay(path: path)
    }
}

import EventLog

/// SQLite's side of the append and replay workloads, shaped exactly like the log's.
struct SQLiteWorkloads {
    /// The events to write.
    let pool: EventPool

    /// What a timed append run produced.
    struct AppendRun {
        /// Records acknowledged.
        var events: Int
        /// Wall-clock seconds from the first append to the last acknowledgement.
        var seconds: Double
        /// Transactions (one commit, one WAL fsync under `FULL`, each).
        var transactions: Int
        /// Latencies of the append calls, in seconds.
        var latency: Sample
        /// Bytes of the database file per event, after a checkpoint.
        var bytesPerEvent: Double

        /// Acknowledged records per second.
        var eventsPerSecond: Double { Double(events) / seconds }
    }

    /// `writers` tasks append `recordsPerCall` records per call through `SQLiteGroupCommit`, each waiting for its
    /// commit before the next call, until `duration` seconds have passed.
    func append(
        path: String,
        synchronous: SQLiteEventStore.Synchronous,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws -> AppendRun {
        let database = try SQLiteGroupCommit(path: path, synchronous: synchronous)
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
                        _ = try await database.append(records)
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
        try database.checkpoint()
        let events = latencies.count * recordsPerCall
        return AppendRun(
            events: events,
            seconds: seconds,
            transactions: database.transactions,
            latency: Sample(latencies),
            bytesPerEvent: Double(FileTree.size(path) + FileTree.size(path + "-wal")) / Double(max(events, 1))
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
        try store.checkpoint()
        return FileTree.size(path) + FileTree.size(path + "-wal")
    }

    /// Reads every row in order; see `SQLiteEventStore.replay`.
    func replay(path: String) throws -> ReplayTally {
        try SQLiteEventStore.replay(path: path)
    }
}

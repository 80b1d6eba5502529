import EventLog

/// PostgreSQL's side of the append and replay workloads, shaped exactly like SQLite's, against the server the
/// benchmark started.
struct PostgresWorkloads {
    /// The events to write.
    let pool: EventPool
    /// The server the benchmark runs.
    let server: PostgresServer

    /// `writers` tasks append `recordsPerCall` records per call through a `GroupCommit` over one connection (each
    /// batch one multi-row INSERT, one commit), each waiting for its commit before the next call, until `duration`
    /// seconds have passed. The table is new.
    func append(
        synchronousCommit: Bool,
        writers: Int,
        recordsPerCall: Int,
        duration: Double
    ) async throws
        -> PeerAppendRun
    {
        let store = try PostgresEventStore(
            conninfo: server.conninfo,
            create: true,
            synchronousCommit: synchronousCommit
        )
        return try await PeerAppendRun.measure(
            GroupCommit(store: store, label: "postgres"),
            pool: pool,
            writers: writers,
            recordsPerCall: recordsPerCall,
            duration: duration
        )
    }

    /// Loads the same first `events` records as `ParleyWorkloads.load` into a new table, 10,000 rows per
    /// transaction, then settles it (VACUUM ANALYZE, CHECKPOINT). Returns the table's size with its indexes.
    func load(events: Int) throws -> Int64 {
        let store = try PostgresEventStore(conninfo: server.conninfo, create: true)
        var written = 0
        while written < events {
            let count = min(10_000, events - written)
            let records = (written..<written + count).map { pool.record($0) }
            _ = try store.insert(records, stampNow: false)
            written += count
        }
        try store.settle()
        return try store.storedBytes()
    }

    /// Reads every row in order; see `PostgresEventStore.replay`.
    func replay() throws -> ReplayTally {
        try PostgresEventStore.replay(conninfo: server.conninfo)
    }

    /// The server's version and the settings that decide durability, for the report.
    func describeServer() throws -> String {
        let connection = try PostgresConnection(server.conninfo)
        func show(_ name: String) throws -> String { try connection.scalar("SHOW \(name)") ?? "?" }
        return "PostgreSQL \(try show("server_version")) started by the benchmark on 127.0.0.1:\(server.port) "
            + "(fsync=\(try show("fsync")), synchronous_commit=\(try show("synchronous_commit")), "
            + "wal_sync_method=\(try show("wal_sync_method")), full_page_writes=\(try show("full_page_writes")), "
            + "shared_buffers=\(try show("shared_buffers"))), libpq \(PostgresConnection.libraryVersion), TCP on "
            + "loopback, one connection per group-commit writer"
    }
}

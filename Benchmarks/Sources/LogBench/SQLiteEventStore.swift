import BenchChat
import EventLog

/// The SQLite peer: the same records in `events(seq INTEGER PRIMARY KEY, ts, type, payload BLOB)`, WAL journal.
final class SQLiteEventStore: GroupCommitStore {
    /// How SQLite syncs: `FULL` is the durable setting (one fsync of the WAL per commit), `NORMAL` the peer of the
    /// log's `interval` (in WAL mode it syncs only at checkpoints), `OFF` the peer of the log's `none`.
    enum Synchronous: String, Sendable {
        /// fsync the WAL at every commit.
        case full = "FULL"
        /// fsync the WAL only when checkpointing: a commit survives a crash of the process, not of the machine.
        case normal = "NORMAL"
        /// Never fsync.
        case off = "OFF"
    }

    private let path: String
    private let connection: SQLiteConnection
    private let insert: SQLiteStatement
    private var lastTimestamp: Int64 = 0

    /// Opens (creating if needed) the database file at `path` with the WAL journal and `synchronous`.
    init(path: String, synchronous: Synchronous) throws {
        self.path = path
        connection = try SQLiteConnection(path: path)
        _ = try connection.scalar("PRAGMA journal_mode=WAL")
        try connection.execute(
            """
            PRAGMA synchronous=\(synchronous.rawValue);
            CREATE TABLE IF NOT EXISTS events (
                seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type INTEGER NOT NULL, payload BLOB NOT NULL
            );
            """
        )
        insert = try connection.prepare("INSERT INTO events (ts, type, payload) VALUES (?, ?, ?)")
    }

    /// Inserts `records` in one transaction and commits; returns the sequence (rowid) of each.
    ///
    /// - Parameter stampNow: replace timestamps with the commit time (never going backwards), as the log's
    ///   `StampPolicy.commitTime` does.
    func insert(_ records: [LogRecord], stampNow: Bool) throws -> [Int64] {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let now = stampNow ? max(EventLogOptions.wallClockMicroseconds(), lastTimestamp) : 0
            var sequences: [Int64] = []
            sequences.reserveCapacity(records.count)
            for record in records {
                let timestamp = stampNow ? now : record.timestamp
                try insert.bind(timestamp, at: 1)
                try insert.bind(Int64(record.type), at: 2)
                try record.payload.withUnsafeBytes { payload in
                    try insert.bindBlob(payload, at: 3)
                    _ = try insert.step()
                    try insert.reset()
                }
                lastTimestamp = max(lastTimestamp, timestamp)
                sequences.append(connection.lastInsertRowID)
            }
            try connection.execute("COMMIT")
            return sequences
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Moves everything from the WAL into the database file and empties the WAL.
    func checkpoint() throws {
        _ = try connection.scalar("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Checkpoints, then the size of the database file and its WAL.
    func storedBytes() throws -> Int64 {
        try checkpoint()
        return FileTree.size(path) + FileTree.size(path + "-wal")
    }

    /// Reads every row in sequence order on the calling thread: `SELECT … ORDER BY seq`, every payload.
    static func replay(path: String) throws -> ReplayTally {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        let select = try connection.prepare("SELECT seq, ts, type, payload FROM events ORDER BY seq")
        var tally = ReplayTally()
        var expected: Int64 = 1
        while try select.step() {
            guard select.int64(0) == expected else { throw BenchError("SQLite replay: sequence gap at \(expected)") }
            _ = select.int64(1)
            tally.add(type: UInt16(truncatingIfNeeded: select.int64(2)), payload: select.blob(3))
            expected += 1
        }
        return tally
    }
}

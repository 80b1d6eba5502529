import BenchChat
import EventLog
import ParleyDomain

/// The PostgreSQL peer: the same records in a table in the style of Message DB, `messages(global_position
/// bigserial primary key, position, time, stream_name, type, data bytea, metadata jsonb, id uuid)` with Message DB's
/// unique indexes on `(stream_name, position)` and on `id`. Each event goes to the stream `contact-<contact id>`;
/// `data` holds the same compact binary payload that SQLite stores as a BLOB.
final class PostgresEventStore: GroupCommitStore {
    /// Message DB's table (`message_store.messages`, its `data` column `bytea` here) and its unique indexes.
    static let schema = """
        DROP TABLE IF EXISTS messages;
        CREATE TABLE messages (
            global_position bigserial NOT NULL PRIMARY KEY,
            position bigint NOT NULL,
            time timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
            stream_name text NOT NULL,
            type text NOT NULL,
            data bytea,
            metadata jsonb,
            id uuid NOT NULL
        );
        CREATE UNIQUE INDEX messages_id ON messages (id);
        CREATE UNIQUE INDEX messages_stream ON messages (stream_name, position);
        """

    /// Message DB's `type` column holds the event's name; the record type tag maps to it and back.
    static let typeNames: [[UInt8]] = [
        "", "ContactStarted", "ParticipantJoined", "MessageSent", "EventSent", "ContactAttributesUpdated",
        "ContactTransferred", "ParticipantLeft", "ChatEnded",
    ].map { Array($0.utf8) }

    /// Rows per INSERT statement: 6 parameters a row stay far below PostgreSQL's 65,535.
    static let rowsPerStatement = 1_000

    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
    private static let epochOffset: Int64 = 946_684_800_000_000

    private let connection: PostgresConnection
    private var preparedRowCounts: Set<Int> = []
    private var streamVersions: [ContactKey: Int64] = [:]
    private var random = SplitMix64(seed: UInt64.random(in: .min ... .max))
    private var lastTimestamp: Int64 = 0

    /// Connects to `conninfo`; `create` replaces the table with an empty one. `synchronousCommit` off lets a commit
    /// return before its WAL is flushed (the peer of the log's `none`).
    init(conninfo: String, create: Bool, synchronousCommit: Bool = true) throws {
        connection = try PostgresConnection(conninfo)
        // A prepared INSERT is planned once, as SQLite's prepared statement is (not re-planned for its first runs).
        try connection.execute(
            "SET synchronous_commit = \(synchronousCommit ? "on" : "off"); SET plan_cache_mode = force_generic_plan; "
                + "SET client_min_messages = warning"
        )
        if create { try connection.execute(Self.schema) }
    }

    /// Inserts `records` in one transaction (one multi-row INSERT per 1,000 rows) and commits; returns the
    /// global position of each. Each row's `position` is its stream's next version, kept by this writer, the
    /// table's only one.
    ///
    /// - Parameter stampNow: replace timestamps with the commit time (never going backwards), as the log's
    ///   `StampPolicy.commitTime` does.
    func insert(_ records: [LogRecord], stampNow: Bool) throws -> [Int64] {
        let now = stampNow ? max(EventLogOptions.wallClockMicroseconds(), lastTimestamp) : 0
        let single = records.count <= Self.rowsPerStatement
        if !single { try connection.execute("BEGIN") }
        do {
            var positions: [Int64] = []
            positions.reserveCapacity(records.count)
            var start = 0
            while start < records.count {
                let end = min(start + Self.rowsPerStatement, records.count)
                let result = try insertStatement(records[start..<end], now: stampNow ? now : nil)
                for row in 0..<result.rows { positions.append(result.int64(row: row, column: 0)) }
                start = end
            }
            if !single { try connection.execute("COMMIT") }
            return positions
        } catch {
            if !single { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    /// Size of the table with its indexes and TOAST (`pg_total_relation_size`); the WAL is not counted.
    func storedBytes() throws -> Int64 {
        Int64(try connection.scalar("SELECT pg_total_relation_size('messages')") ?? "0") ?? 0
    }

    /// VACUUM ANALYZE then CHECKPOINT: sets the hint bits and the visibility map, as a settled table has them, so
    /// that replay does not write.
    func settle() throws {
        try connection.execute("VACUUM ANALYZE messages")
        try connection.execute("CHECKPOINT")
    }

    /// One multi-row INSERT … RETURNING global_position, prepared once per row count.
    private func insertStatement(_ records: ArraySlice<LogRecord>, now: Int64?) throws -> PostgresResult {
        let name = "insert_\(records.count)"
        if preparedRowCounts.insert(records.count).inserted {
            let rows = (0..<records.count).map { row in
                "(" + (1...6).map { "$\(row * 6 + $0)" }.joined(separator: ", ") + ")"
            }
            try connection.prepare(
                name: name,
                sql: "INSERT INTO messages (position, time, stream_name, type, data, id) VALUES "
                    + rows.joined(separator: ", ") + " RETURNING global_position",
                types: Array(
                    repeating: [
                        PostgresType.int8, PostgresType.timestamp, PostgresType.text, PostgresType.text,
                        PostgresType.bytea, PostgresType.uuid,
                    ],
                    count: records.count
                ).flatMap { $0 }
            )
        }
        var parameters = PostgresParameters(reservingCapacity: records.count * 6, bytes: records.count * 260)
        for record in records {
            let contact = ContactKey(payload: record.payload)
            let version = streamVersions[contact].map { $0 + 1 } ?? 0
            streamVersions[contact] = version
            let timestamp = now ?? record.timestamp
            lastTimestamp = max(lastTimestamp, timestamp)
            parameters.append(version)
            parameters.append(timestamp - Self.epochOffset)
            parameters.append(bytes: contact.streamName)
            let type = Int(record.type)
            parameters.append(bytes: type < Self.typeNames.count ? Self.typeNames[type] : Array("Unknown".utf8))
            parameters.append(bytes: record.payload)
            parameters.append(bytes: random.uuid())
        }
        return try connection.executePrepared(name: name, parameters: parameters)
    }

    /// Reads every row in global position order on the calling thread, through a cursor 10,000 rows per FETCH in
    /// the binary format: global_position, time, type and data of each, as SQLite's replay reads seq, ts, type
    /// and payload.
    static func replay(conninfo: String) throws -> ReplayTally {
        let connection = try PostgresConnection(conninfo)
        try connection.execute(
            """
            BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
            DECLARE replay NO SCROLL CURSOR FOR
                SELECT global_position, time, type, data FROM messages ORDER BY global_position
            """
        )
        var tally = ReplayTally()
        var expected: Int64 = 1
        while true {
            let result = try connection.queryBinary("FETCH FORWARD 10000 FROM replay")
            let rows = result.rows
            if rows == 0 { break }
            for row in 0..<rows {
                guard result.int64(row: row, column: 0) == expected else {
                    throw BenchError("PostgreSQL replay: global position gap at \(expected)")
                }
                _ = result.int64(row: row, column: 1)
                tally.add(type: typeTag(result.bytes(row: row, column: 2)), payload: result.bytes(row: row, column: 3))
                expected += 1
            }
        }
        try connection.execute("COMMIT")
        return tally
    }

    /// The record type tag of a `type` name (0 if unknown).
    private static func typeTag(_ name: UnsafeRawBufferPointer) -> UInt16 {
        for tag in 1..<typeNames.count where typeNames[tag].count == name.count {
            if typeNames[tag].withUnsafeBytes({ $0.elementsEqual(name) }) { return UInt16(tag) }
        }
        return 0
    }
}

/// A chat's contact id, taken from the binary payload (bytes 1–16), which names its Message DB stream.
private struct ContactKey: Hashable {
    let high: UInt64
    let low: UInt64

    init(payload: [UInt8]) {
        guard payload.count >= 17 else {
            (high, low) = (0, 0)
            return
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 1...8 { high = high << 8 | UInt64(payload[index]) }
        for index in 9...16 { low = low << 8 | UInt64(payload[index]) }
        (self.high, self.low) = (high, low)
    }

    /// `contact-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: Message DB's `category-id` stream name.
    var streamName: [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var name = Array("contact-".utf8)
        name.reserveCapacity(44)
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 { name.append(UInt8(ascii: "-")) }
            let half = index < 8 ? high : low
            let byte = UInt8(truncatingIfNeeded: half >> UInt64(56 - 8 * (index % 8)))
            name.append(hex[Int(byte >> 4)])
            name.append(hex[Int(byte & 15)])
        }
        return name
    }
}

extension SplitMix64 {
    /// 16 random bytes with the version 4 and variant bits set: the message id a Message DB client would send.
    mutating func uuid() -> [UInt8] {
        let (first, second) = (next(), next())
        var bytes = withUnsafeBytes(of: first) { Array($0) } + withUnsafeBytes(of: second) { Array($0) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return bytes
    }
}

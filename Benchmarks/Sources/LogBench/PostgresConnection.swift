import CPostgres
import Foundation

/// A PostgreSQL failure: the SQLSTATE (or a libpq condition) and the server's or libpq's message.
struct PostgresError: Error, CustomStringConvertible {
    /// The SQLSTATE of a server error, or `connection` / `protocol` for a client-side failure.
    let code: String
    /// The message, without its trailing newline.
    let message: String

    /// "PostgreSQL error CODE: MESSAGE".
    var description: String { "PostgreSQL error \(code): \(message)" }
}

/// Type OIDs of the parameters the benchmark binds (pg_type.dat).
enum PostgresType {
    /// `bigint`.
    static let int8: UInt32 = 20
    /// `text`.
    static let text: UInt32 = 25
    /// `bytea`.
    static let bytea: UInt32 = 17
    /// `timestamp` (without time zone).
    static let timestamp: UInt32 = 1114
    /// `uuid`.
    static let uuid: UInt32 = 2950
}

/// Parameters of one statement in PostgreSQL's binary format, packed into one buffer.
struct PostgresParameters {
    private var bytes: [UInt8] = [0]
    private var offsets: [Int] = []
    private var lengths: [Int32] = []

    /// Room for `count` parameters of about `bytes` bytes in all.
    init(reservingCapacity count: Int, bytes byteCount: Int) {
        bytes.reserveCapacity(byteCount + 1)
        offsets.reserveCapacity(count)
        lengths.reserveCapacity(count)
    }

    /// Number of parameters so far.
    var count: Int { offsets.count }

    /// A `bigint` (or `timestamp`: microseconds since 2000-01-01): eight bytes, big-endian.
    mutating func append(_ value: Int64) {
        offsets.append(bytes.count)
        lengths.append(8)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytea`, `text` (UTF-8) or `uuid` (16 bytes) value: the bytes themselves.
    mutating func append<Bytes: Collection<UInt8>>(bytes value: Bytes) {
        offsets.append(bytes.count)
        lengths.append(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    /// Calls `body` with the value pointers, lengths and formats (all binary) that libpq takes.
    func withLibpqArrays<T>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<Int32>, UnsafePointer<Int32>) throws -> T
    ) rethrows -> T {
        let formats = [Int32](repeating: 1, count: count + 1)
        return try bytes.withUnsafeBytes { buffer in
            // `bytes` starts with a pad byte, so even a zero-length value gets a non-null pointer (null is NULL).
            let base = buffer.baseAddress!
            let values: [UnsafePointer<CChar>?] =
                offsets.map { (base + $0).assumingMemoryBound(to: CChar.self) } + [nil]
            let lengths = lengths + [0]
            return try values.withUnsafeBufferPointer { values in
                try lengths.withUnsafeBufferPointer { lengths in
                    try formats.withUnsafeBufferPointer { formats in
                        try body(values.baseAddress!, lengths.baseAddress!, formats.baseAddress!)
                    }
                }
            }
        }
    }
}

/// One libpq connection, blocking calls on the calling thread. Not thread-safe: use it from one thread at a time.
final class PostgresConnection {
    private let handle: OpaquePointer

    /// The linked libpq's version as a number, e.g. 150018 for 15.18.
    static var libraryVersion: Int { Int(PQlibVersion()) }

    /// Connects with a libpq connection string, e.g. `host=127.0.0.1 port=5432 dbname=postgres user=parley`.
    init(_ conninfo: String) throws {
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError(code: "connection", message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(code: "connection", message: message)
        }
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    /// Runs one or more statements (simple protocol); the rows of the last, if any, are dropped.
    func execute(_ sql: String) throws {
        _ = try PostgresResult(PQexec(handle, sql), connection: self)
    }

    /// The first column of the first row of `sql`, as text.
    func scalar(_ sql: String) throws -> String? {
        let result = try PostgresResult(PQexec(handle, sql), connection: self)
        guard result.rows > 0, !result.isNull(row: 0, column: 0) else { return nil }
        return String(decoding: result.bytes(row: 0, column: 0), as: UTF8.self)
    }

    /// Prepares `sql` under `name` with parameters of the given types.
    func prepare(name: String, sql: String, types: [UInt32]) throws {
        _ = try types.withUnsafeBufferPointer { types in
            try PostgresResult(
                PQprepare(handle, name, sql, Int32(types.count), types.baseAddress),
                connection: self
            )
        }
    }

    /// Runs the prepared statement `name` with binary parameters; rows come back in the binary format.
    func executePrepared(name: String, parameters: PostgresParameters) throws -> PostgresResult {
        try parameters.withLibpqArrays { values, lengths, formats in
            try PostgresResult(
                PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 1),
                connection: self
            )
        }
    }

    /// Runs `sql` (one statement, no parameters) through the extended protocol; rows come back in the binary
    /// format.
    func queryBinary(_ sql: String) throws -> PostgresResult {
        try PostgresResult(PQexecParams(handle, sql, 0, nil, nil, nil, nil, 1), connection: self)
    }

    /// The connection's last error message.
    fileprivate var errorMessage: String { Self.message(PQerrorMessage(handle)) }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The result of one statement: its rows, in whichever format they were asked for.
final class PostgresResult {
    private let handle: OpaquePointer

    /// Takes `handle`, throwing (and freeing it) unless the statement succeeded.
    fileprivate init(_ handle: OpaquePointer?, connection: PostgresConnection) throws {
        guard let handle else { throw PostgresError(code: "protocol", message: connection.errorMessage) }
        let status = PQresultStatus(handle)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = PQresultErrorField(handle, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "protocol"
            let message = PQresultErrorMessage(handle).map { String(cString: $0) } ?? connection.errorMessage
            PQclear(handle)
            throw PostgresError(code: state, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        self.handle = handle
    }

    deinit { PQclear(handle) }

    /// Number of rows.
    var rows: Int { Int(PQntuples(handle)) }

    /// Whether the value at `row`, `column` (0-based) is SQL NULL.
    func isNull(row: Int, column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    /// The value's bytes (text or binary format), valid while the result lives.
    func bytes(row: Int, column: Int) -> UnsafeRawBufferPointer {
        let base = PQgetvalue(handle, Int32(row), Int32(column))
        let count = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : count)
    }

    /// A binary-format `bigint` or `timestamp` value.
    func int64(row: Int, column: Int) -> Int64 {
        let value = bytes(row: row, column: column)
        guard value.count == 8 else { return 0 }
        return Int64(bigEndian: value.loadUnaligned(as: Int64.self))
    }
}

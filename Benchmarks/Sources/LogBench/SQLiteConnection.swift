import CSQLite

/// A SQLite failure: the result code and the connection's message.
struct SQLiteError: Error, CustomStringConvertible {
    /// The SQLite result code.
    let code: Int32
    /// `sqlite3_errmsg` at the time.
    let message: String

    /// "SQLite error CODE: MESSAGE".
    var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite connection. Not thread-safe: use it from one thread at a time.
final class SQLiteConnection {
    private let handle: OpaquePointer

    /// The linked SQLite library's version, e.g. `3.40.1`.
    static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Opens (creating if needed) the database at `path`.
    init(path: String, readOnly: Bool = false) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: code, message: "\(path): \(message)")
        }
        self.handle = handle
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil))
    }

    /// The first column of the first row of `sql`, as text.
    func scalar(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.text(0) : nil
    }

    /// A prepared statement for `sql`.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil))
        guard let statement else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement: \(sql)") }
        return SQLiteStatement(handle: statement, connection: self)
    }

    /// The rowid of the last inserted row.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Throws unless `code` is `SQLITE_OK`, `SQLITE_ROW` or `SQLITE_DONE`.
    func check(_ code: Int32) throws {
        guard code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE else {
            throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)))
        }
    }
}

/// A prepared statement of a `SQLiteConnection`.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    fileprivate init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds an integer to parameter `index` (1-based).
    func bind(_ value: Int64, at index: Int32) throws {
        try connection.check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds `bytes` to parameter `index` without copying: they must stay valid until the next `step`/`reset`.
    func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        try connection.check(sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), nil))
    }

    /// Steps once; true when a row is available.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        try connection.check(code)
        return code == SQLITE_ROW
    }

    /// Resets the statement so it can run again (bindings are kept).
    func reset() throws { try connection.check(sqlite3_reset(handle)) }

    /// Column `index` (0-based) of the current row as an integer.
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` of the current row as text.
    func text(_ index: Int32) -> String? { sqlite3_column_text(handle, index).map { String(cString: $0) } }

    /// Column `index` of the current row as bytes, valid until the next step.
    func blob(_ index: Int32) -> UnsafeRawBufferPointer {
        // The pointer first, then the size (SQLite's documented order).
        let base = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : count)
    }
}

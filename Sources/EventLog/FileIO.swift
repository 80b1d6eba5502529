#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor with EINTR-safe, error-converting positional I/O. Blocking: call it off the cooperative pool.
struct FileDescriptor: Sendable {
    let raw: Int32
    let path: String

    /// Opens `path` with `flags` (O_CLOEXEC is added).
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(EventLogError) -> FileDescriptor {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return FileDescriptor(raw: fd, path: path) }
            if errno == EINTR { continue }
            throw ioError("cannot open", path)
        }
    }

    func close() {
        _ = Glibc.close(raw)
    }

    /// The file's current size.
    func size() throws(EventLogError) -> Int64 {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw ioError("cannot stat", path) }
        return Int64(info.st_size)
    }

    /// Reads exactly `buffer.count` bytes at `offset`, or fewer only at end of file; returns the count read.
    @discardableResult
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(EventLogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw ioError("cannot read at offset \(offset + Int64(done)) of", path)
            }
        }
        return done
    }

    /// Writes all of `buffer` at `offset`.
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(EventLogError) {
        var done = 0
        while done < buffer.count {
            let n = pwrite(raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw ioError("cannot write \(buffer.count) bytes at offset \(offset) of", path)
            }
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int64) throws(EventLogError) {
        let result: Result<Void, EventLogError> = bytes.withUnsafeBytes { buffer in
            do throws(EventLogError) {
                try write(buffer, at: offset)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    func read(count: Int, at offset: Int64) throws(EventLogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result: Result<Int, EventLogError> = bytes.withUnsafeMutableBytes { buffer in
            do throws(EventLogError) {
                return .success(try read(into: buffer, at: offset))
            } catch {
                return .failure(error)
            }
        }
        bytes.removeLast(count - (try result.get()))
        return bytes
    }

    /// Flushes the file's data (and the metadata needed to read it) to stable storage.
    func sync() throws(EventLogError) {
        while fdatasync(raw) != 0 {
            if errno != EINTR { throw ioError("fdatasync failed for", path) }
        }
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int64) throws(EventLogError) {
        while ftruncate(raw, off_t(length)) != 0 {
            if errno != EINTR { throw ioError("cannot truncate to \(length) bytes", path) }
        }
    }

    /// Takes an exclusive advisory lock without waiting; false if another process holds it.
    func tryLock() throws(EventLogError) -> Bool {
        while flock(raw, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return false }
            if errno != EINTR { throw ioError("cannot lock", path) }
        }
        return true
    }
}

/// An `.io` error carrying the current `errno` and its text.
func ioError(_ what: String, _ path: String) -> EventLogError {
    let code = errno
    let text = String(cString: strerror(code))
    return EventLogError(.io, "\(what) \(path): \(text)", errno: code)
}

/// File-system helpers for directories.
enum Directory {
    /// Creates `path` and its parents if missing.
    static func create(_ path: String) throws(EventLogError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw ioError("cannot create directory", partial)
            }
        }
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The size of the file at `path` (one `stat`, no open).
    static func fileSize(_ path: String) throws(EventLogError) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ioError("cannot stat", path) }
        return Int64(info.st_size)
    }

    /// The names in `path`, unsorted.
    static func list(_ path: String) throws(EventLogError) -> [String] {
        guard let dir = opendir(path) else { throw ioError("cannot list directory", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes a directory's entries (new, renamed or removed files) durable.
    static func sync(_ path: String) throws(EventLogError) {
        let fd = try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY)
        defer { fd.close() }
        while fsync(fd.raw) != 0 {
            if errno != EINTR { throw ioError("fsync failed for directory", path) }
        }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws(EventLogError) {
        if unlink(path) != 0 && errno != ENOENT { throw ioError("cannot remove", path) }
    }

    /// Atomically replaces `destination` with `source`.
    static func rename(_ source: String, _ destination: String) throws(EventLogError) {
        if Glibc.rename(source, destination) != 0 { throw ioError("cannot rename \(source) to", destination) }
    }
}

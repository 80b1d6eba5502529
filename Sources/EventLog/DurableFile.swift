#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole files written atomically and durably beside the log (checkpoints): write a temporary file, sync it,
/// rename it over the target, sync the directory. A crash leaves either the old file or the new one, never a mix.
public enum DurableFile {
    /// Writes `bytes` to `path` atomically and durably, creating the directory if needed.
    public static func write(_ bytes: [UInt8], to path: String) throws(EventLogError) {
        let directory = parent(of: path)
        try Directory.create(directory)
        let temporary = path + ".tmp"
        let file = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        do {
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            try? Directory.remove(temporary)
            throw error
        }
        file.close()
        try Directory.rename(temporary, path)
        try Directory.sync(directory)
    }

    /// A file written front to back and made durable only by `commit()`: the bytes go to `<path>.tmp`, and
    /// `commit()` syncs it, renames it over `path` and syncs the directory. A writer dropped without `commit()`
    /// removes its temporary file. For files too large to assemble in memory first.
    public final class Writer {
        /// The file being written.
        public let path: String
        private let temporary: String
        private var file: FileDescriptor?
        /// Bytes written so far.
        public private(set) var offset: Int64 = 0
        private var buffer: [UInt8] = []
        private static let flushSize = 1 << 20

        /// Starts writing `path` (creating its directory if needed).
        public init(path: String) throws(EventLogError) {
            self.path = path
            temporary = path + ".tmp"
            try Directory.create(parent(of: path))
            file = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            buffer.reserveCapacity(Self.flushSize)
        }

        deinit {
            guard let file else { return }
            file.close()
            try? Directory.remove(temporary)
        }

        /// Appends `bytes`.
        public func append(_ bytes: some Collection<UInt8>) throws(EventLogError) {
            buffer.append(contentsOf: bytes)
            offset += Int64(bytes.count)
            if buffer.count >= Self.flushSize { try flush() }
        }

        private func flush() throws(EventLogError) {
            guard let file else { throw EventLogError(.io, "\(path) was already committed") }
            try file.write(buffer, at: offset - Int64(buffer.count))
            buffer.removeAll(keepingCapacity: true)
        }

        /// Makes the file durable under its name.
        public func commit() throws(EventLogError) {
            try flush()
            guard let file else { return }
            try file.sync()
            file.close()
            self.file = nil
            try Directory.rename(temporary, path)
            try Directory.sync(parent(of: path))
        }
    }

    /// The whole content of the file at `path`.
    public static func read(_ path: String) throws(EventLogError) -> [UInt8] {
        let file = try FileDescriptor.open(path, O_RDONLY)
        defer { file.close() }
        let size = try file.size()
        guard size <= Int64(Int32.max) * 8 else {
            throw EventLogError(.io, "\(path) is too large to read whole (\(size) bytes)")
        }
        return try file.read(count: Int(size), at: 0)
    }

    /// The file names in `directory` (sorted); empty when it does not exist.
    public static func list(_ directory: String) throws(EventLogError) -> [String] {
        guard Directory.exists(directory) else { return [] }
        return try Directory.list(directory).sorted()
    }

    /// Removes the file at `path`; a missing file is not an error.
    public static func remove(_ path: String) throws(EventLogError) {
        try Directory.remove(path)
    }

}

/// The directory part of `path`.
private func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// A file opened for positional reads, closed when the last reference goes. On Linux a file removed while open
/// stays readable, so a reader can outlive the file's name (a checkpoint replaced by a newer one).
public final class ReadableFile: Sendable {
    /// The path it was opened at.
    public let path: String
    /// Its size when opened.
    public let size: Int64
    private let file: FileDescriptor

    /// Opens `path` for reading.
    public init(path: String) throws(EventLogError) {
        self.path = path
        file = try FileDescriptor.open(path, O_RDONLY)
        do {
            size = try file.size()
        } catch {
            file.close()
            throw error
        }
    }

    deinit { file.close() }

    /// Exactly `count` bytes at `offset`; fewer (the file ends first) is an error.
    public func read(count: Int, at offset: Int64) throws(EventLogError) -> [UInt8] {
        let bytes = try file.read(count: count, at: offset)
        guard bytes.count == count else {
            throw EventLogError(
                .io,
                "\(path) ends at \(offset + Int64(bytes.count)), inside \(count) bytes at \(offset)"
            )
        }
        return bytes
    }
}

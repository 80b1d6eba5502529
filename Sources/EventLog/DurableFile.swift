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

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

import BenchChat
import CDispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's working directory: every workload gets a fresh subdirectory, removed when it is done.
struct Scratch: Sendable {
    /// The root directory.
    let root: String
    /// Leave files in place instead of removing them (for looking at them afterwards).
    let keep: Bool

    /// Creates `root` (and its parents) if needed.
    init(root: String, keep: Bool) throws {
        self.root = root
        self.keep = keep
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// A new, empty directory `root/name` (anything already there is removed first).
    func freshDirectory(_ name: String) throws -> String {
        let path = root + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Removes `path` and everything below it, unless files are kept; a missing path is fine.
    func remove(_ path: String) {
        if !keep { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// File-system helpers.
enum FileTree {
    /// The regular files below `directory`, as full paths.
    static func files(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let path = directory + "/" + relative
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { paths.append(path) }
        }
        return paths.sorted()
    }

    /// The size of a file in bytes (0 if missing).
    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// The total size of the files below `directory` whose names end with `suffix`.
    static func totalSize(in directory: String, suffix: String = "") -> Int64 {
        files(in: directory).filter { $0.hasSuffix(suffix) }.reduce(0) { $0 + size($1) }
    }

    /// Asks the kernel to drop the cached pages of every file below `directory`, so the next read comes from
    /// the disk. Only clean pages go, and only this benchmark's files: nothing else on the machine is affected.
    static func evictFromPageCache(_ directory: String) {
        for path in files(in: directory) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
    }

    /// Appends `bytes` to the file at `path`.
    static func append(_ bytes: [UInt8], to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchError("cannot open \(path) for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    /// `count` bytes of the file at `path` from `offset`.
    static func read(_ path: String, offset: Int64, count: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return [UInt8](try handle.read(upToCount: count) ?? Data())
    }
}

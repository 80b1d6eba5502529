#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One sparse-index entry: the first sequence and timestamp of a frame and where the frame starts.
public struct IndexEntry: Sendable, Equatable {
    /// First sequence of the frame.
    public var sequence: UInt64
    /// First timestamp of the frame.
    public var timestamp: Int64
    /// Byte offset of the frame in the segment.
    public var offset: Int64
}

/// The sparse index of one segment (sequence → offset, time → offset), kept in `<base>.idx`.
///
/// An entry is recorded for the first frame of the segment and then for the first frame starting at least
/// `interval` bytes after the previous entry, so the entries are a pure function of the segment and can always be
/// rebuilt from it.
struct SegmentIndex: Sendable, Equatable {
    static let magic: [UInt8] = Array("PARLEYIX".utf8)
    static let headerSize = 32
    static let entrySize = 32
    static let version: UInt16 = 1

    var base: UInt64
    var interval: Int64
    var entries: [IndexEntry] = []

    /// Whether a frame at `offset` gets an entry.
    func wantsEntry(at offset: Int64) -> Bool {
        guard let last = entries.last else { return true }
        return offset >= last.offset + interval
    }

    /// Records the frame if the interval rule wants it; returns whether it did.
    @discardableResult
    mutating func note(_ header: FrameHeader, at offset: Int64) -> Bool {
        guard wantsEntry(at: offset) else { return false }
        entries.append(IndexEntry(sequence: header.firstSequence, timestamp: header.firstTimestamp, offset: offset))
        return true
    }

    /// Drops every entry at or after `offset`.
    mutating func truncate(at offset: Int64) {
        while let last = entries.last, last.offset >= offset { entries.removeLast() }
    }

    /// The last entry whose sequence is ≤ `sequence`.
    func entry(atOrBefore sequence: UInt64) -> IndexEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].sequence <= sequence { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    /// The last entry whose timestamp is < `timestamp` (records at `timestamp` may start in the frame before).
    func entry(before timestamp: Int64) -> IndexEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    static func headerBytes(base: UInt64, interval: Int64) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(version)
        bytes.appendLE(UInt16(0))
        bytes.appendLE(UInt32(clamping: interval))
        bytes.appendLE(base)
        bytes.appendLE(UInt32(0))
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes.appendLE(crc)
        return bytes
    }

    static func entryBytes(_ entry: IndexEntry) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entrySize)
        bytes.appendLE(entry.sequence)
        bytes.appendLE(entry.timestamp)
        bytes.appendLE(entry.offset)
        bytes.appendLE(UInt32(0))
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes.appendLE(crc)
        return bytes
    }

    /// The whole index file.
    func fileBytes() -> [UInt8] {
        var bytes = Self.headerBytes(base: base, interval: interval)
        for entry in entries { bytes += Self.entryBytes(entry) }
        return bytes
    }

    /// The outcome of reading an index file.
    enum LoadResult {
        /// No index file.
        case missing
        /// The file's header is unusable.
        case unusable(String)
        /// The valid entries; `clean` is false when a damaged or torn tail of entries was dropped.
        case loaded(SegmentIndex, clean: Bool)
    }

    /// Reads and checks `path`: header, each entry's CRC, ordering, and offsets below `segmentLength`.
    static func load(path: String, base: UInt64, segmentLength: Int64) -> LoadResult {
        guard Directory.exists(path) else { return .missing }
        let bytes: [UInt8]
        do throws(EventLogError) {
            let fd = try FileDescriptor.open(path, O_RDONLY)
            defer { fd.close() }
            bytes = try fd.read(count: Int(try fd.size()), at: 0)
        } catch {
            return .unusable(error.message)
        }
        return bytes.withUnsafeBytes { raw -> LoadResult in
            guard raw.count >= headerSize, Array(raw[0..<8]) == magic,
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28])) == raw.le(28, as: UInt32.self)
            else { return .unusable("bad index header") }
            guard raw.le(8, as: UInt16.self) == version, raw.le(16, as: UInt64.self) == base else {
                return .unusable("index version or base does not match")
            }
            let interval = Int64(raw.le(12, as: UInt32.self))
            guard interval > 0 else { return .unusable("index interval is zero") }
            var index = SegmentIndex(base: base, interval: interval)
            var clean = (raw.count - headerSize) % entrySize == 0
            var offset = headerSize
            while offset + entrySize <= raw.count {
                let entryBytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + entrySize])
                let entry = IndexEntry(
                    sequence: entryBytes.le(0, as: UInt64.self),
                    timestamp: entryBytes.le(8, as: Int64.self),
                    offset: entryBytes.le(16, as: Int64.self)
                )
                let crcOK =
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: entryBytes[0..<28]))
                    == entryBytes.le(28, as: UInt32.self)
                let ordered: Bool
                if let last = index.entries.last {
                    ordered =
                        entry.sequence > last.sequence && entry.timestamp >= last.timestamp
                        && entry.offset >= last.offset + interval
                } else {
                    ordered = entry.sequence == base && entry.offset == Int64(SegmentFile.headerSize)
                }
                guard crcOK, ordered, entry.offset < segmentLength else {
                    clean = false
                    break
                }
                index.entries.append(entry)
                offset += entrySize
            }
            return .loaded(index, clean: clean)
        }
    }

    /// Replaces the index file atomically (temporary file + rename); not synced, as it can always be rebuilt.
    func write(to path: String) throws(EventLogError) {
        let temporary = path + ".tmp"
        let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        defer { fd.close() }
        try fd.write(fileBytes(), at: 0)
        try Directory.rename(temporary, path)
    }
}

/// Rebuilding sparse indexes from their segments.
enum IndexMaintenance {
    /// Builds the index of a segment by walking its frame headers.
    static func build(directory: String, segment: SegmentRef) throws(EventLogError) -> SegmentIndex {
        let file = try FileDescriptor.open(directory + "/" + segment.name, O_RDONLY)
        defer { file.close() }
        let interval = try SegmentFile.readHeader(file, name: segment.name, base: segment.base)
        var index = SegmentIndex(base: segment.base, interval: interval)
        var scanner = FrameScanner(file: file, limit: segment.length, offset: Int64(SegmentFile.headerSize))
        while case .frame(let header, let offset, _) = try scanner.next(checkPayload: false) {
            index.note(header, at: offset)
        }
        return index
    }

    /// Rewrites the index of every sealed segment whose index file is missing or damaged.
    static func repairSealedIndexes(directory: String, segments: [SegmentRef]) {
        for segment in segments {
            let path = directory + "/" + SegmentFile.indexName(base: segment.base)
            if case .loaded(let index, true) = SegmentIndex.load(
                path: path,
                base: segment.base,
                segmentLength: segment.length
            ), !index.entries.isEmpty {
                continue
            }
            // A failure here only means readers seek more slowly; verify reports the index.
            if let index = try? build(directory: directory, segment: segment) {
                try? index.write(to: path)
            }
        }
    }
}

import EventLog
import ParleyDomain
import Synchronization

/// One entry of a cold table's index in a checkpoint file: 40 bytes, little-endian.
///
///     fingerprint:16 (high, low as u64)  offset:u64  stored-length:u32  raw-length:u32  crc32c(raw):u32
///     codec:u8 (0 stored, 1 LZ4 block)  reserved:3
struct ColdIndexRecord: Equatable {
    static let size = 40

    var fingerprint: ColdFingerprint
    var offset: UInt64
    var storedLength: UInt32
    var rawLength: UInt32
    var crc: UInt32
    var codec: UInt8

    func append(to bytes: inout [UInt8]) {
        appendLittleEndian(fingerprint.high, to: &bytes)
        appendLittleEndian(fingerprint.low, to: &bytes)
        appendLittleEndian(offset, to: &bytes)
        appendLittleEndian(storedLength, to: &bytes)
        appendLittleEndian(rawLength, to: &bytes)
        appendLittleEndian(crc, to: &bytes)
        bytes.append(codec)
        bytes.append(contentsOf: [0, 0, 0])
    }

    init(
        fingerprint: ColdFingerprint,
        offset: UInt64,
        storedLength: UInt32,
        rawLength: UInt32,
        crc: UInt32,
        codec: UInt8
    ) {
        self.fingerprint = fingerprint
        self.offset = offset
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.crc = crc
        self.codec = codec
    }

    init(_ bytes: [UInt8], at index: Int) {
        let base = index * Self.size
        fingerprint = ColdFingerprint(
            high: readLittleEndian(bytes, base, as: UInt64.self),
            low: readLittleEndian(bytes, base + 8, as: UInt64.self)
        )
        offset = readLittleEndian(bytes, base + 16, as: UInt64.self)
        storedLength = readLittleEndian(bytes, base + 24, as: UInt32.self)
        rawLength = readLittleEndian(bytes, base + 28, as: UInt32.self)
        crc = readLittleEndian(bytes, base + 32, as: UInt32.self)
        codec = bytes[base + 36]
    }
}

func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: T.bitWidth, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
}

func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as type: T.Type) -> T {
    var value: T = 0
    for index in stride(from: T.bitWidth / 8 - 1, through: 0, by: -1) { value = value << 8 | T(bytes[offset + index]) }
    return value
}

/// A cold table inside a checkpoint file, read on demand: its index is read (and its CRC checked) the first time
/// the table is searched, and each entry is read, decompressed and checked against its CRC when it is asked for.
/// Opening a checkpoint therefore reads nothing of its cold tables.
final class FileColdTable: ColdTable {
    let file: ReadableFile
    let count: Int
    let indexOffset: Int64
    let indexCRC: UInt32
    private let index = Mutex<[UInt8]?>(nil)

    init(file: ReadableFile, count: Int, indexOffset: Int64, indexCRC: UInt32) {
        self.file = file
        self.count = count
        self.indexOffset = indexOffset
        self.indexCRC = indexCRC
    }

    /// The index bytes, read and checked once.
    private func indexBytes() -> [UInt8] {
        index.withLock { cached in
            if let cached { return cached }
            let bytes: [UInt8]
            do {
                bytes = try file.read(count: count * ColdIndexRecord.size, at: indexOffset)
            } catch {
                coldTierFailure("\(file.path): reading a cold index failed: \(error)")
            }
            guard CRC32C.checksum(bytes) == indexCRC else {
                coldTierFailure("\(file.path): the cold index at \(indexOffset) fails its CRC-32C check")
            }
            cached = bytes
            return bytes
        }
    }

    func record(at position: Int) -> ColdIndexRecord { ColdIndexRecord(indexBytes(), at: position) }

    func fingerprint(at position: Int) -> ColdFingerprint { record(at: position).fingerprint }

    func index(of fingerprint: ColdFingerprint) -> Int? {
        let bytes = indexBytes()
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            let found = ColdIndexRecord(bytes, at: middle).fingerprint
            if found == fingerprint { return middle }
            if found < fingerprint { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    func entry(at position: Int) -> [UInt8] {
        let record = record(at: position)
        do {
            let stored = try file.read(count: Int(record.storedLength), at: Int64(record.offset))
            let raw = try Self.expand(stored, record)
            guard CRC32C.checksum(raw) == record.crc else {
                coldTierFailure("\(file.path): cold entry at \(record.offset) fails its CRC-32C check")
            }
            return raw
        } catch {
            coldTierFailure("\(file.path): reading the cold entry at \(record.offset) failed: \(error)")
        }
    }

    /// The raw bytes of a stored entry.
    static func expand(_ stored: [UInt8], _ record: ColdIndexRecord) throws(EventLogError) -> [UInt8] {
        switch record.codec {
        case 0: return stored
        case 1:
            var raw = [UInt8](repeating: 0, count: Int(record.rawLength))
            let outcome: Result<Void, EventLogError> = stored.withUnsafeBytes { source in
                raw.withUnsafeMutableBytes { destination in
                    Result { () throws(EventLogError) in
                        try LZ4Block.decompress(source, into: destination, rawLength: Int(record.rawLength))
                    }
                }
            }
            try outcome.get()
            return raw
        default: throw EventLogError(.corruptFrame, "unknown cold entry codec \(record.codec)")
        }
    }
}

/// Writes the cold tables of a checkpoint into a file being written, returning each table's place.
struct ColdTableWriter: ~Copyable {
    /// Where a written table is.
    struct Placed {
        var count: Int
        var indexOffset: UInt64
        var indexCRC: UInt32
    }

    private var codec = LZ4Block()

    /// Writes `build` (its kept entries copied as stored, its added ones compressed) and then its index.
    mutating func write(_ build: ColdTableBuild, to file: DurableFile.Writer) throws(EventLogError) -> Placed {
        var records: [ColdIndexRecord] = []
        records.reserveCapacity(build.count)
        let fileBase = build.base as? FileColdTable
        var keptPosition = 0
        var addedPosition = 0
        while keptPosition < build.kept.count || addedPosition < build.added.count {
            let takeKept: Bool
            if keptPosition == build.kept.count {
                takeKept = false
            } else if addedPosition == build.added.count {
                takeKept = true
            } else {
                let kept = build.base.unsafelyUnwrapped.fingerprint(at: build.kept[keptPosition])
                takeKept = kept < build.added[addedPosition].fingerprint
            }
            if takeKept {
                let position = build.kept[keptPosition]
                keptPosition += 1
                if let fileBase {
                    var record = fileBase.record(at: position)
                    let stored = try fileBase.file.read(count: Int(record.storedLength), at: Int64(record.offset))
                    record.offset = UInt64(file.offset)
                    try file.append(stored)
                    records.append(record)
                } else if let base = build.base {
                    records.append(
                        try append(base.entry(at: position), fingerprint: base.fingerprint(at: position), file)
                    )
                }
            } else {
                let entry = build.added[addedPosition]
                addedPosition += 1
                records.append(try append(entry.bytes, fingerprint: entry.fingerprint, file))
            }
        }
        var index: [UInt8] = []
        index.reserveCapacity(records.count * ColdIndexRecord.size)
        for record in records { record.append(to: &index) }
        let placed = Placed(count: records.count, indexOffset: UInt64(file.offset), indexCRC: CRC32C.checksum(index))
        try file.append(index)
        return placed
    }

    private mutating func append(
        _ raw: [UInt8],
        fingerprint: ColdFingerprint,
        _ file: DurableFile.Writer
    ) throws(EventLogError) -> ColdIndexRecord {
        let offset = UInt64(file.offset)
        let crc = CRC32C.checksum(raw)
        let compressed: Result<[UInt8]?, EventLogError> = raw.withUnsafeBytes { source in
            Result { () throws(EventLogError) -> [UInt8]? in try codec.compress(source).map { Array($0) } }
        }
        let stored = try compressed.get()
        try file.append(stored ?? raw)
        return ColdIndexRecord(
            fingerprint: fingerprint,
            offset: offset,
            storedLength: UInt32((stored ?? raw).count),
            rawLength: UInt32(raw.count),
            crc: crc,
            codec: stored == nil ? 0 : 1
        )
    }
}

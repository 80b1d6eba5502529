import EventLog
import ParleyDomain

/// A checkpoint: the machine state and projections saved together at one log position, so an open loads it and
/// replays only the log's tail.
///
/// File `<data>/checkpoints/checkpoint-<position, 20 digits>.ckpt`, written front to back into a temporary file
/// that is synced and renamed into place. Each state is saved in two parts: its hot part (what is still changing,
/// decoded whole at open) and its cold tables (what has settled: ended chats, completed records; read entry by entry
/// when asked for, never at open). So opening costs what the live part of the state costs, however long the history.
/// Layout (integers in the header are LEB128 varints unless sized; sized ones are little-endian):
///
///     "PRLYCKPT"  format:u8=2
///     cold data:   the entries of every cold table, each stored (codec 0) or as an LZ4 block (codec 1)
///     cold index:  per table, `count` 40-byte records sorted by fingerprint (see `ColdIndexRecord`)
///     header:      position  timestamp(zig-zag)  link-hash:32  section-count
///                  section*: name(string)  version(zig-zag)  state-hash:32  raw-length  chunk-count
///                            chunk*: raw-length  codec:u8 (0 stored, 1 LZ4 block)  stored-length  bytes
///                            table-count  table*: entry-count  index-offset  index-crc32c
///     footer:      header-offset:u64  header-length:u64  header-crc32c:u32  "PRLYCKPT"
///
/// `link-hash` is the hash chain's link after `position` (the SHA-256 of the log frame ending there): a checkpoint
/// is only used on the log it was taken from. `state-hash` is the SHA-256 of the section's hot bytes; loading
/// re-checks it. A cold index is checked against its CRC-32C when first read, and each entry against the CRC-32C in
/// its index record. A section is loaded only if its name and version match what the code declares.
public struct Checkpoint: Sendable {
    /// One saved state.
    public struct Section: Sendable {
        /// The projection or state name.
        public var name: String
        /// Its schema version.
        public var version: Int
        /// SHA-256 of `bytes`.
        public var stateHash: [UInt8]
        /// The hot part: the split encoding, which refers to the cold tables by number.
        public var bytes: [UInt8]
        /// The cold tables to write (a section about to be written).
        public var coldBuilds: [ColdTableBuild]
        /// The cold tables read (a section loaded from a file).
        public var cold: ColdTables
        /// Entries in the cold tables.
        public var coldEntries: Int

        /// "name@version".
        public var key: String { "\(name)@\(version)" }

        /// A section holding the hot `bytes` and the cold tables they refer to.
        public init(name: String, version: Int, bytes: [UInt8], cold builds: [ColdTableBuild] = []) {
            self.name = name
            self.version = version
            self.bytes = bytes
            self.stateHash = StateDigest.sha256(bytes)
            self.coldBuilds = builds
            self.cold = .none
            self.coldEntries = builds.reduce(0) { $0 + $1.count }
        }

        /// A section holding the split encoding of `value`.
        public init(name: String, version: Int, splitting value: some SnapshotCodable) {
            let split = value.splitSnapshot()
            self.init(name: name, version: version, bytes: split.bytes, cold: split.tables)
        }

        /// The section of a machine state, in its codec's split encoding.
        public init<State>(codec: StateSnapshotCodec<State>, state: State) {
            let split = codec.encodeSplit(state)
            self.init(name: codec.name, version: codec.version, bytes: split.bytes, cold: split.tables)
        }

        /// Decodes the section as a `Value`.
        public func decode<Value: SnapshotCodable>(_ type: Value.Type = Value.self) throws(DecodeError) -> Value {
            try Value(splitSnapshot: bytes, tables: cold)
        }
    }

    /// The last log record the states reflect.
    public var position: UInt64
    /// That record's timestamp (µs).
    public var timestamp: Int64
    /// The hash chain's link after `position`.
    public var linkHash: [UInt8]
    /// The saved states.
    public var sections: [Section]

    static let magic = Array("PRLYCKPT".utf8)
    static let format: UInt8 = 2
    static let chunkSize = 4 << 20
    static let footerSize = 28
    /// Checkpoint files kept; older ones are removed after a new one is written.
    static let kept = 2

    /// Creates a checkpoint.
    public init(position: UInt64, timestamp: Int64, linkHash: [UInt8], sections: [Section]) {
        self.position = position
        self.timestamp = timestamp
        self.linkHash = linkHash
        self.sections = sections
    }

    /// The section stored under `name` and `version`.
    public func section(name: String, version: Int) -> Section? {
        sections.first { $0.name == name && $0.version == version }
    }

    /// The checkpoint directory of a data directory.
    public static func directory(in dataDirectory: String) -> String { dataDirectory + "/checkpoints" }

    /// The file name of a checkpoint at `position`.
    static func fileName(position: UInt64) -> String {
        let digits = String(position)
        return "checkpoint-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".ckpt"
    }

    // MARK: Encoding

    /// The header: position, link, and each section's hot part and table places.
    private func header(tables: [[ColdTableWriter.Placed]]) throws(EventLogError) -> [UInt8] {
        var writer = BinaryWriter(capacity: 1 << 16)
        writer.write(varUInt: position)
        writer.write(varInt: timestamp)
        for byte in linkHash { writer.write(byte: byte) }
        writer.write(varUInt: UInt64(sections.count))
        var codec = LZ4Block()
        for (section, placed) in zip(sections, tables) {
            writer.write(string: section.name)
            writer.write(varInt: Int64(section.version))
            for byte in section.stateHash { writer.write(byte: byte) }
            writer.write(varUInt: UInt64(section.bytes.count))
            let chunkCount = (section.bytes.count + Self.chunkSize - 1) / Self.chunkSize
            writer.write(varUInt: UInt64(chunkCount))
            var start = 0
            while start < section.bytes.count {
                let end = min(start + Self.chunkSize, section.bytes.count)
                let outcome: Result<[UInt8]?, EventLogError> = section.bytes[start..<end].withUnsafeBytes { raw in
                    Result { () throws(EventLogError) -> [UInt8]? in try codec.compress(raw).map { Array($0) } }
                }
                let compressed = try outcome.get()
                writer.write(varUInt: UInt64(end - start))
                if let compressed {
                    writer.write(byte: 1)
                    writer.write(bytes: compressed)
                } else {
                    writer.write(byte: 0)
                    writer.write(bytes: section.bytes[start..<end])
                }
                start = end
            }
            writer.write(varUInt: UInt64(placed.count))
            for table in placed {
                writer.write(varUInt: UInt64(table.count))
                writer.write(varUInt: table.indexOffset)
                writer.write(varUInt: UInt64(table.indexCRC))
            }
        }
        return writer.bytes
    }

    /// Writes the file at `path`: the cold tables, then the header and the footer. Blocking file I/O.
    func write(to path: String) throws(EngineError) {
        do throws(EventLogError) {
            let file = try DurableFile.Writer(path: path)
            try file.append(Self.magic + [Self.format])
            var tables = ColdTableWriter()
            var placed: [[ColdTableWriter.Placed]] = []
            for section in sections {
                var sectionTables: [ColdTableWriter.Placed] = []
                for build in section.coldBuilds { sectionTables.append(try tables.write(build, to: file)) }
                placed.append(sectionTables)
            }
            let header = try header(tables: placed)
            var footer: [UInt8] = []
            appendLittleEndian(UInt64(file.offset), to: &footer)
            appendLittleEndian(UInt64(header.count), to: &footer)
            appendLittleEndian(CRC32C.checksum(header), to: &footer)
            footer.append(contentsOf: Self.magic)
            try file.append(header)
            try file.append(footer)
            try file.commit()
        } catch {
            throw EngineError(.checkpoint, "writing \(path) failed: \(error)", logError: error)
        }
    }

    /// Opens the checkpoint file at `path`: reads its header and hot parts, checks them, and leaves the cold tables
    /// to be read on demand. Damage of any kind is a `.checkpoint` error naming the file.
    public static func load(path: String) throws(EngineError) -> Checkpoint {
        let file: ReadableFile
        let head: [UInt8]
        let footer: [UInt8]
        let header: [UInt8]
        do throws(EventLogError) {
            file = try ReadableFile(path: path)
            guard file.size >= Int64(magic.count + 1 + footerSize) else {
                throw EventLogError(.corruptFrame, "\(file.size) bytes is too short for a checkpoint")
            }
            head = try file.read(count: magic.count + 1, at: 0)
            guard Array(head.prefix(magic.count)) == magic else {
                throw EventLogError(.corruptFrame, "not a Parley checkpoint")
            }
            guard head[magic.count] == format else {
                throw EventLogError(
                    .corruptFrame,
                    "checkpoint format \(head[magic.count]); this build reads format \(format) (the log is replayed)"
                )
            }
            footer = try file.read(count: footerSize, at: file.size - Int64(footerSize))
            let headerOffset = readLittleEndian(footer, 0, as: UInt64.self)
            let headerLength = readLittleEndian(footer, 8, as: UInt64.self)
            guard Array(footer.suffix(magic.count)) == magic, headerOffset >= UInt64(head.count),
                headerLength < UInt64(file.size), headerOffset + headerLength + UInt64(footerSize) == UInt64(file.size)
            else {
                throw EventLogError(.corruptFrame, "the footer does not describe the file (damaged or cut short)")
            }
            header = try file.read(count: Int(headerLength), at: Int64(headerOffset))
            guard CRC32C.checksum(header) == readLittleEndian(footer, 16, as: UInt32.self) else {
                throw EventLogError(.checksumMismatch, "the header fails its CRC-32C check (damaged)")
            }
        } catch {
            throw EngineError(.checkpoint, "\(path) cannot be used: \(error)", logError: error)
        }
        let coldLimit = readLittleEndian(footer, 0, as: UInt64.self)
        let result: Result<Checkpoint, DecodeError> = header.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            do throws(DecodeError) {
                let position = try reader.readVarUInt()
                let timestamp = try reader.readVarInt()
                let linkHash = try readHash(&reader)
                let count = try reader.readCount(limit: 4096)
                var sections: [Section] = []
                for _ in 0..<count {
                    var section = try readSection(&reader)
                    let tableCount = try reader.readCount(limit: 4096)
                    var tables: [any ColdTable] = []
                    for _ in 0..<tableCount {
                        let entries = try reader.readCount()
                        let indexOffset = try reader.readVarUInt()
                        let crc = try reader.readVarUInt()
                        guard indexOffset + UInt64(entries) * UInt64(ColdIndexRecord.size) <= coldLimit,
                            let indexCRC = UInt32(exactly: crc)
                        else {
                            throw DecodeError(
                                .invalidValue,
                                "a cold table lies outside the file",
                                offset: reader.offset
                            )
                        }
                        tables.append(
                            FileColdTable(
                                file: file,
                                count: entries,
                                indexOffset: Int64(indexOffset),
                                indexCRC: indexCRC
                            )
                        )
                        section.coldEntries += entries
                    }
                    section.cold = ColdTables(tables: tables)
                    sections.append(section)
                }
                try reader.expectEnd()
                return .success(
                    Checkpoint(position: position, timestamp: timestamp, linkHash: linkHash, sections: sections)
                )
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let checkpoint): return checkpoint
        case .failure(let error):
            throw EngineError(.checkpoint, "\(path) does not decode: \(error)", decodeError: error)
        }
    }

    /// Reads one section's name, version, hash and hot bytes (checking the hash).
    private static func readSection(_ reader: inout BinaryReader) throws(DecodeError) -> Section {
        let name = try reader.readString()
        let version = Int(truncatingIfNeeded: try reader.readVarInt())
        let hash = try readHash(&reader)
        let rawLength = try reader.readCount()
        let chunks = try reader.readCount()
        var content: [UInt8] = []
        content.reserveCapacity(rawLength)
        for _ in 0..<chunks {
            let chunkLength = try reader.readCount(limit: chunkSize)
            let codec = try reader.readByte()
            let data = try reader.readBytesView()
            switch codec {
            case 0 where data.count == chunkLength:
                content.append(contentsOf: data)
            case 1:
                var chunk = [UInt8](repeating: 0, count: chunkLength)
                let inflated: Result<Void, EventLogError> = chunk.withUnsafeMutableBytes { destination in
                    Result { () throws(EventLogError) in
                        try LZ4Block.decompress(data, into: destination, rawLength: chunkLength)
                    }
                }
                if case .failure(let error) = inflated {
                    throw DecodeError(.invalidValue, "\(error)", offset: reader.offset)
                }
                content.append(contentsOf: chunk)
            default:
                throw DecodeError(.invalidValue, "bad chunk codec \(codec)", offset: reader.offset)
            }
        }
        guard content.count == rawLength else {
            throw DecodeError(.invalidValue, "section \(name) has \(content.count) bytes", offset: 0)
        }
        let section = Section(name: name, version: version, bytes: content)
        guard section.stateHash == hash else {
            throw DecodeError(.invalidValue, "section \(name)@\(version) fails its hash", offset: 0)
        }
        return section
    }

    private static func readHash(_ reader: inout BinaryReader) throws(DecodeError) -> [UInt8] {
        var hash: [UInt8] = []
        hash.reserveCapacity(32)
        for _ in 0..<32 { hash.append(try reader.readByte()) }
        return hash
    }

    // MARK: Files

    /// Writes the checkpoint into `<dataDirectory>/checkpoints` and removes all but the newest `kept` files.
    /// Blocking file I/O.
    public func write(dataDirectory: String) throws(EngineError) -> String {
        let directory = Self.directory(in: dataDirectory)
        let path = directory + "/" + Self.fileName(position: position)
        try write(to: path)
        do throws(EventLogError) {
            let files = try DurableFile.list(directory).filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".ckpt") }
            for old in files.dropLast(Self.kept) { try DurableFile.remove(directory + "/" + old) }
        } catch {
            throw EngineError(.checkpoint, "writing \(path) failed: \(error)", logError: error)
        }
        return path
    }

    /// What looking for a usable checkpoint found.
    public struct Search: Sendable {
        /// The newest checkpoint that is intact and belongs to the log, if any.
        public var checkpoint: Checkpoint?
        /// Its file.
        public var path: String?
        /// Newer files passed over, and why.
        public var rejected: [String] = []
    }

    /// The newest intact checkpoint of this log at or before `until` (a timestamp, µs); blocking file I/O.
    public static func newest(dataDirectory: String, reader: LogReader, until: Int64? = nil) -> Search {
        var search = Search()
        let directory = directory(in: dataDirectory)
        let files: [String]
        do {
            files = try DurableFile.list(directory).filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".ckpt") }
        } catch {
            search.rejected.append("\(directory): \(error)")
            return search
        }
        for name in files.reversed() {
            let path = directory + "/" + name
            do {
                let checkpoint = try load(path: path)
                if let until, checkpoint.timestamp > until { continue }
                guard checkpoint.position <= reader.extent.headSequence else {
                    search.rejected.append("\(path): position \(checkpoint.position) is past the log's head")
                    continue
                }
                guard let link = try reader.linkHash(after: checkpoint.position), link.bytes == checkpoint.linkHash
                else {
                    search.rejected.append("\(path): taken from a different log (hash chain mismatch)")
                    continue
                }
                search.checkpoint = checkpoint
                search.path = path
                return search
            } catch {
                search.rejected.append("\(path): \(error)")
            }
        }
        return search
    }
}

import EventLog
import ParleyDomain

/// A checkpoint: the machine state and projections saved together at one log position, so an open loads it and
/// replays only the log's tail.
///
/// File `<data>/checkpoints/checkpoint-<position, 20 digits>.ckpt`, written atomically (temporary file, fsync,
/// rename). Layout (integers are LEB128 varints unless sized):
///
///     "PRLYCKPT"  format:u8=1  position  timestamp(zig-zag)  link-hash:32  section-count
///     section*:   name(string)  version(zig-zag)  state-hash:32  raw-length  chunk-count
///                 chunk*: raw-length  codec:u8 (0 stored, 1 LZ4 block)  stored-length  bytes
///     crc32c:u32le of everything before it
///
/// `link-hash` is the hash chain's link after `position` (the SHA-256 of the log frame ending there): a checkpoint
/// is only used on the log it was taken from. `state-hash` is the SHA-256 of the section's raw (canonical)
/// encoding; loading re-checks it. A section is loaded only if its name and version match what the code declares.
public struct Checkpoint: Sendable {
    /// One saved state.
    public struct Section: Sendable {
        /// The projection or state name.
        public var name: String
        /// Its schema version.
        public var version: Int
        /// SHA-256 of `bytes`.
        public var stateHash: [UInt8]
        /// The canonical encoding.
        public var bytes: [UInt8]

        /// "name@version".
        public var key: String { "\(name)@\(version)" }

        /// A section holding `bytes`.
        public init(name: String, version: Int, bytes: [UInt8]) {
            self.name = name
            self.version = version
            self.bytes = bytes
            self.stateHash = StateDigest.sha256(bytes)
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
    static let format: UInt8 = 1
    static let chunkSize = 4 << 20
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

    /// The file's bytes.
    public func encoded() throws(EngineError) -> [UInt8] {
        var writer = BinaryWriter(capacity: 1 << 16)
        for byte in Self.magic { writer.write(byte: byte) }
        writer.write(byte: Self.format)
        writer.write(varUInt: position)
        writer.write(varInt: timestamp)
        for byte in linkHash { writer.write(byte: byte) }
        writer.write(varUInt: UInt64(sections.count))
        var codec = LZ4Block()
        for section in sections {
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
                guard case .success(let compressed) = outcome else {
                    throw EngineError(.checkpoint, "compressing section \(section.key) failed: \(outcome)")
                }
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
        }
        var bytes = writer.bytes
        let crc = CRC32C.checksum(bytes)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        return bytes
    }

    /// Decodes a checkpoint file; damage of any kind is a `.checkpoint` error naming `origin`.
    public static func decode(_ bytes: [UInt8], origin: String) throws(EngineError) -> Checkpoint {
        guard bytes.count > magic.count + 5, Array(bytes.prefix(magic.count)) == magic else {
            throw EngineError(.checkpoint, "\(origin) is not a Parley checkpoint")
        }
        let body = bytes.dropLast(4)
        let stored = bytes.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(8 * $1.offset) }
        guard CRC32C.checksum(body) == stored else {
            throw EngineError(.checkpoint, "\(origin) fails its CRC-32C check (damaged or cut short)")
        }
        let result: Result<Checkpoint, DecodeError> = body.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            do throws(DecodeError) {
                for _ in magic { _ = try reader.readByte() }
                let format = try reader.readByte()
                guard format == Self.format else {
                    throw DecodeError(.unsupportedVersion, "checkpoint format \(format)", offset: reader.offset)
                }
                let position = try reader.readVarUInt()
                let timestamp = try reader.readVarInt()
                let linkHash = try readHash(&reader)
                let count = try reader.readCount(limit: 4096)
                var sections: [Section] = []
                for _ in 0..<count {
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
                    var section = Section(name: name, version: version, bytes: content)
                    guard section.stateHash == hash else {
                        throw DecodeError(.invalidValue, "section \(name)@\(version) fails its hash", offset: 0)
                    }
                    section.stateHash = hash
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
            throw EngineError(.checkpoint, "\(origin) does not decode: \(error)", decodeError: error)
        }
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
        let bytes = try encoded()
        do throws(EventLogError) {
            try DurableFile.write(bytes, to: path)
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
                let checkpoint = try decode(try readFile(path), origin: path)
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

    private static func readFile(_ path: String) throws(EngineError) -> [UInt8] {
        do {
            return try DurableFile.read(path)
        } catch {
            throw EngineError(.checkpoint, "cannot read \(path): \(error)", logError: error)
        }
    }
}

// The binary encoding of projection snapshots. It reuses the event codec's primitives (varints, length-prefixed
// strings) and is canonical: maps are written in key order, so equal values encode to equal bytes and a state hash
// can be the SHA-256 of the encoding.

/// A value that round-trips through the canonical binary snapshot encoding.
public protocol SnapshotCodable {
    /// Appends the value to `writer`.
    func snapshotEncode(to writer: inout BinaryWriter)
    /// Reads a value written by `snapshotEncode`.
    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError)
    /// Appends the value, moving settled entries of its tiered maps into `cold` when it splits (see `TieredMap`);
    /// by default the plain encoding.
    func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit)
    /// Reads a value written by either encoding, taking split maps' cold tiers from `cold`; by default the plain
    /// decoding.
    init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError)
}

extension SnapshotCodable {
    /// The plain encoding (a value without tiered maps).
    public func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit) { snapshotEncode(to: &writer) }

    /// The plain decoding (a value without tiered maps).
    public init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError) {
        try self.init(snapshotFrom: &reader)
    }

    /// The split encoding: the bytes of the hot part, and the cold tables they refer to by number.
    public func splitSnapshot() -> (bytes: [UInt8], tables: [ColdTableBuild]) {
        var writer = BinaryWriter(capacity: 4096)
        var sink = ColdSplit.split
        snapshotEncode(to: &writer, cold: &sink)
        return (writer.bytes, sink.tables)
    }

    /// Decodes a whole buffer written by `splitSnapshot()` (or `snapshotBytes()`), with its cold tables.
    public init(splitSnapshot bytes: [UInt8], tables: ColdTables) throws(DecodeError) {
        let result: Result<Self, DecodeError> = bytes.withUnsafeBytes { buffer in
            var reader = BinaryReader(buffer)
            do throws(DecodeError) {
                let value = try Self(snapshotFrom: &reader, cold: tables)
                try reader.expectEnd()
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }
}

extension SnapshotCodable {
    /// The value's canonical encoding.
    public func snapshotBytes() -> [UInt8] {
        var writer = BinaryWriter(capacity: 4096)
        snapshotEncode(to: &writer)
        return writer.bytes
    }

    /// Decodes a whole buffer written by `snapshotBytes()`; trailing bytes are an error.
    public init(snapshotBytes bytes: [UInt8]) throws(DecodeError) {
        try self.init(splitSnapshot: bytes, tables: .none)
    }
}

extension String: SnapshotCodable {
    /// Writes the string.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(string: self) }
    /// Reads a string.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) { self = try reader.readString() }
}

extension Int64: SnapshotCodable {
    /// Writes the integer (zig-zag varint).
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(varInt: self) }
    /// Reads an integer.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) { self = try reader.readVarInt() }
}

extension Int: SnapshotCodable {
    /// Writes the integer (zig-zag varint).
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(varInt: Int64(self)) }
    /// Reads an integer.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let value = try reader.readVarInt()
        guard let narrowed = Int(exactly: value) else {
            throw DecodeError(.overflow, "integer out of range", offset: reader.offset)
        }
        self = narrowed
    }
}

extension UInt64: SnapshotCodable {
    /// Writes the integer (varint).
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(varUInt: self) }
    /// Reads an integer.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) { self = try reader.readVarUInt() }
}

extension Bool: SnapshotCodable {
    /// Writes the flag.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(bool: self) }
    /// Reads a flag.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) { self = try reader.readBool() }
}

extension Double: SnapshotCodable {
    /// Writes the IEEE-754 bits.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(varUInt: bitPattern) }
    /// Reads a double.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self = Double(bitPattern: try reader.readVarUInt())
    }
}

extension Identifier: SnapshotCodable {
    /// Writes the 16 bytes.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(identifier: self) }
    /// Reads an identifier.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) { self = try reader.readIdentifier() }
}

extension Optional: SnapshotCodable where Wrapped: SnapshotCodable {
    /// Writes a presence flag, then the value.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        switch self {
        case .none: writer.write(bool: false)
        case .some(let value):
            writer.write(bool: true)
            value.snapshotEncode(to: &writer)
        }
    }
    /// Reads an optional value.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self = try reader.readBool() ? try Wrapped(snapshotFrom: &reader) : nil
    }
}

extension Array: SnapshotCodable where Element: SnapshotCodable {
    /// Writes the count, then the elements in order.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varUInt: UInt64(count))
        for element in self { element.snapshotEncode(to: &writer) }
    }
    /// Reads an array.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let count = try reader.readCount()
        var elements: [Element] = []
        elements.reserveCapacity(Swift.min(count, 1 << 16))
        for _ in 0..<count { elements.append(try Element(snapshotFrom: &reader)) }
        self = elements
    }
}

extension Dictionary: SnapshotCodable where Key: SnapshotCodable & Comparable, Value: SnapshotCodable {
    /// Writes the count, then the entries in key order (canonical).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varUInt: UInt64(count))
        for key in keys.sorted() {
            key.snapshotEncode(to: &writer)
            self[key].unsafelyUnwrapped.snapshotEncode(to: &writer)
        }
    }
    /// Reads a dictionary; a repeated key is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let count = try reader.readCount()
        var entries: [Key: Value] = [:]
        entries.reserveCapacity(Swift.min(count, 1 << 16))
        for _ in 0..<count {
            let key = try Key(snapshotFrom: &reader)
            let value = try Value(snapshotFrom: &reader)
            guard entries.updateValue(value, forKey: key) == nil else {
                throw DecodeError(.invalidValue, "a repeated key in a snapshot map", offset: reader.offset)
            }
        }
        self = entries
    }
}

extension TreeDictionary: SnapshotCodable where Key: SnapshotCodable & Comparable, Value: SnapshotCodable {
    /// Writes the count, then the entries in key order (canonical).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varUInt: UInt64(count))
        for key in keys.sorted() {
            key.snapshotEncode(to: &writer)
            self[key].unsafelyUnwrapped.snapshotEncode(to: &writer)
        }
    }
    /// Reads a map; a repeated key is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let count = try reader.readCount()
        var entries: TreeDictionary<Key, Value> = [:]
        for _ in 0..<count {
            let key = try Key(snapshotFrom: &reader)
            let value = try Value(snapshotFrom: &reader)
            guard entries.updateValue(value, forKey: key) == nil else {
                throw DecodeError(.invalidValue, "a repeated key in a snapshot map", offset: reader.offset)
            }
        }
        self = entries
    }
}

/// Enumerations stored as their one-byte raw value: conform with an empty extension.
public protocol SnapshotCodableEnumeration: SnapshotCodable, RawRepresentable<UInt8> {}

extension SnapshotCodableEnumeration {
    /// Writes the raw value.
    public func snapshotEncode(to writer: inout BinaryWriter) { writer.write(byte: rawValue) }
    /// Reads a raw value; an unknown one is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let raw = try reader.readByte()
        guard let value = Self(rawValue: raw) else {
            throw DecodeError(.invalidValue, "unknown \(Self.self) value \(raw) in a snapshot", offset: reader.offset)
        }
        self = value
    }
}

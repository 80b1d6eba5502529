/// Reads values written by `BinaryWriter`, checking every length and never reading past the end.
///
/// Malformed input is a `DecodeError` naming the offset, never a crash.
public struct BinaryReader: ~Copyable {
    private let base: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    public private(set) var offset = 0

    /// Reads from `bytes`, which must outlive the reader.
    public init(_ bytes: UnsafeRawBufferPointer) { base = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == base.count }

    /// Bytes not yet read.
    public var remaining: Int { base.count - offset }

    private func truncated(_ what: String) -> DecodeError {
        DecodeError(.truncated, "input ends inside \(what)", offset: offset)
    }

    /// One raw byte.
    public mutating func readByte() throws(DecodeError) -> UInt8 {
        guard offset < base.count else { throw truncated("a byte") }
        defer { offset += 1 }
        return base[offset]
    }

    /// A LEB128 varint; at most 10 bytes, and the tenth may only carry the top bit. A value below 128 (a length,
    /// a count, a flag) is read inline; longer ones call `readLongVarUInt`.
    @inline(__always)
    public mutating func readVarUInt() throws(DecodeError) -> UInt64 {
        if offset < base.count, base[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(base[offset])
        }
        return try readLongVarUInt()
    }

    /// `readVarUInt` of any length.
    private mutating func readLongVarUInt() throws(DecodeError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw truncated("a varint") }
            let byte = base[offset]
            offset += 1
            if shift == 63 && byte > 1 {
                throw DecodeError(.overflow, "varint does not fit 64 bits", offset: start)
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag-encoded signed varint.
    public mutating func readVarInt() throws(DecodeError) -> Int64 {
        let raw = try readVarUInt()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A varint that must fit in `Int` and not exceed `limit`.
    public mutating func readCount(limit: Int = Int(Int32.max)) throws(DecodeError) -> Int {
        let start = offset
        let raw = try readVarUInt()
        guard raw <= UInt64(limit) else {
            throw DecodeError(.overflow, "count \(raw) exceeds \(limit)", offset: start)
        }
        return Int(raw)
    }

    /// A boolean byte (0 or 1; anything else is an error).
    public mutating func readBool() throws(DecodeError) -> Bool {
        let start = offset
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw DecodeError(.invalidValue, "boolean byte \(other)", offset: start)
        }
    }

    /// Length-prefixed bytes, borrowed from the input.
    public mutating func readBytesView() throws(DecodeError) -> UnsafeRawBufferPointer {
        let count = try readCount()
        guard count <= remaining else { throw truncated("\(count) bytes") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: base[offset..<offset + count])
    }

    /// Length-prefixed bytes, copied.
    public mutating func readBytes() throws(DecodeError) -> [UInt8] { Array(try readBytesView()) }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is an error, not repaired.
    public mutating func readString() throws(DecodeError) -> String {
        let start = offset
        return try Self.string(from: readBytesView(), at: start)
    }

    /// A length-prefixed UTF-8 string, as `readString`, but the table's own copy when it holds the string.
    public mutating func readString(interning table: StringTable) throws(DecodeError) -> String {
        let start = offset
        let view = try readBytesView()
        if let known = table.string(matching: view) { return known }
        return try Self.string(from: view, at: start)
    }

    /// The string whose UTF-8 is `view` (read at `start`); invalid UTF-8 is an error, not repaired.
    private static func string(from view: UnsafeRawBufferPointer, at start: Int) throws(DecodeError) -> String {
        let bytes = view.bindMemory(to: UInt8.self)
        // Nearly every string is ASCII, which is valid UTF-8: skip the generic (unspecialised) validation.
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DecodeError(.invalidUTF8, "string is not valid UTF-8", offset: start)
        }
        return text
    }

    /// Whether every byte is below 0x80, eight at a time.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= raw.count {
            high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < raw.count {
            high |= UInt64(raw[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// A 16-byte identifier. Inlined: most events hold several, and the call cost about as much as the read.
    @inline(__always)
    public mutating func readIdentifier() throws(DecodeError) -> Identifier {
        guard remaining >= 16 else { throw truncated("an identifier") }
        defer { offset += 16 }
        return Identifier(
            high: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        )
    }

    /// An optional value written with `BinaryWriter.write(optional:_:)`.
    public mutating func readOptional<Value>(
        _ readValue: (inout BinaryReader) throws(DecodeError) -> Value
    ) throws(DecodeError) -> Value? {
        try readBool() ? try readValue(&self) : nil
    }

    /// A sequence written with `BinaryWriter.write(array:_:)`; each element takes at least one byte.
    public mutating func readArray<Element>(
        _ readElement: (inout BinaryReader) throws(DecodeError) -> Element
    ) throws(DecodeError) -> [Element] {
        let count = try readCount(limit: remaining)
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try readElement(&self)) }
        return elements
    }

    /// A map written with `BinaryWriter.write(stringMap:)`; keys must be strictly increasing.
    public mutating func readStringMap() throws(DecodeError) -> [String: String] {
        let count = try readCount(limit: remaining / 2)
        // Most maps are empty (a flow step's or a contact's attributes): `reserveCapacity` there was an unspecialized
        // call that looked up the dictionary's metadata, about 1 K instructions for nothing.
        guard count > 0 else { return [:] }
        var map = [String: String](minimumCapacity: count)
        var previous: String?
        for _ in 0..<count {
            let start = offset
            let key = try readString()
            if let previous, key <= previous {
                throw DecodeError(.invalidValue, "map keys out of order or repeated", offset: start)
            }
            map[key] = try readString()
            previous = key
        }
        return map
    }

    /// Throws unless every byte was read.
    public func expectEnd() throws(DecodeError) {
        guard isAtEnd else {
            throw DecodeError(.trailingBytes, "\(remaining) bytes after the end of the value", offset: offset)
        }
    }
}

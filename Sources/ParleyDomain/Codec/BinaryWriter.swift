/// Appends values in Parley's compact binary form (the format of event payloads in the log).
///
/// Integers are LEB128 varints (signed ones zigzag-encoded), strings and byte arrays are length-prefixed,
/// identifiers are 16 raw bytes, and maps are written in key order so equal values always encode identically.
public struct BinaryWriter: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer.
    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// One raw byte.
    public mutating func write(byte: UInt8) { bytes.append(byte) }

    /// An unsigned integer as a LEB128 varint (1–10 bytes).
    public mutating func write(varUInt value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A signed integer, zigzag-encoded so small magnitudes stay short.
    public mutating func write(varInt value: Int64) {
        write(varUInt: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A boolean as one byte, 0 or 1.
    public mutating func write(bool value: Bool) { bytes.append(value ? 1 : 0) }

    /// A UTF-8 string: varint byte length, then the bytes.
    public mutating func write(string value: String) {
        var value = value
        value.withUTF8 { utf8 in
            write(varUInt: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Opaque bytes: varint length, then the bytes.
    public mutating func write(bytes value: some Collection<UInt8>) {
        write(varUInt: UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Bytes already in this encoding (a value encoded elsewhere), appended as they are, without a length.
    public mutating func write(encoded value: some Collection<UInt8>) {
        bytes.append(contentsOf: value)
    }

    /// An identifier as 16 bytes, big-endian.
    public mutating func write(identifier value: Identifier) {
        withUnsafeBytes(of: value.high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: value.low.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// An optional value: a presence byte, then the value if present.
    public mutating func write<Value>(optional value: Value?, _ writeValue: (inout BinaryWriter, Value) -> Void) {
        guard let value else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        writeValue(&self, value)
    }

    /// A sequence: varint count, then each element.
    public mutating func write<Element>(
        array value: some Collection<Element>,
        _ writeElement: (inout BinaryWriter, Element) -> Void
    ) {
        write(varUInt: UInt64(value.count))
        for element in value { writeElement(&self, element) }
    }

    /// A string-to-string map, in key order so equal maps encode identically.
    public mutating func write(stringMap value: [String: String]) {
        write(varUInt: UInt64(value.count))
        for key in value.keys.sorted() {
            write(string: key)
            write(string: value[key]!)
        }
    }
}

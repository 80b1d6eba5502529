extension BinaryWriter {
    /// An optional identifier.
    public mutating func write(optionalIdentifier value: Identifier?) {
        write(optional: value) { $0.write(identifier: $1) }
    }

    /// An optional string.
    public mutating func write(optionalString value: String?) {
        write(optional: value) { $0.write(string: $1) }
    }

    /// A signed 64-bit integer (zigzag varint).
    public mutating func write(int value: Int64) { write(varInt: value) }

    /// An optional signed 64-bit integer.
    public mutating func write(optionalInt value: Int64?) {
        write(optional: value) { $0.write(varInt: $1) }
    }

    /// A one-byte enumeration.
    public mutating func write<Value: RawRepresentable<UInt8>>(enumeration value: Value) {
        write(byte: value.rawValue)
    }

    /// An optional one-byte enumeration (0 = absent).
    public mutating func write<Value: RawRepresentable<UInt8>>(optionalEnumeration value: Value?) {
        write(byte: value?.rawValue ?? 0)
    }

    /// A list of strings.
    public mutating func write(strings value: [String]) {
        write(array: value) { $0.write(string: $1) }
    }
}

extension BinaryReader {
    /// An optional identifier.
    public mutating func readOptionalIdentifier() throws(DecodeError) -> Identifier? {
        try readOptional { (reader: inout BinaryReader) throws(DecodeError) in try reader.readIdentifier() }
    }

    /// An optional string.
    public mutating func readOptionalString() throws(DecodeError) -> String? {
        try readOptional { (reader: inout BinaryReader) throws(DecodeError) in try reader.readString() }
    }

    /// A signed 64-bit integer.
    public mutating func readInt() throws(DecodeError) -> Int64 { try readVarInt() }

    /// An optional signed 64-bit integer.
    public mutating func readOptionalInt() throws(DecodeError) -> Int64? {
        try readOptional { (reader: inout BinaryReader) throws(DecodeError) in try reader.readVarInt() }
    }

    /// A one-byte enumeration; an unknown value is an error.
    public mutating func readEnumeration<Value: RawRepresentable<UInt8>>(
        _ type: Value.Type
    ) throws(DecodeError) -> Value {
        let start = offset
        let raw = try readByte()
        guard let value = Value(rawValue: raw) else {
            throw DecodeError(.invalidValue, "\(Value.self) value \(raw)", offset: start)
        }
        return value
    }

    /// An optional one-byte enumeration (0 = absent).
    public mutating func readOptionalEnumeration<Value: RawRepresentable<UInt8>>(
        _ type: Value.Type
    ) throws(DecodeError) -> Value? {
        let start = offset
        let raw = try readByte()
        if raw == 0 { return nil }
        guard let value = Value(rawValue: raw) else {
            throw DecodeError(.invalidValue, "\(Value.self) value \(raw)", offset: start)
        }
        return value
    }

    /// A list of strings.
    public mutating func readStrings() throws(DecodeError) -> [String] {
        try readArray { (reader: inout BinaryReader) throws(DecodeError) in try reader.readString() }
    }
}

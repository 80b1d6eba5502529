// The participant service's hottest calls (SendMessage, SendEvent) carry a flat JSON object of strings and answer
// with one. Foundation's `JSONDecoder` and `JSONEncoder` cost about 11 % of a SendMessage request's server CPU for
// those few bytes; these readers and writers do the common case directly and leave everything else to Foundation.
import NIOCore

/// A JSON object whose members are all strings or `null`, read without Foundation.
///
/// `parse` accepts only what it reads exactly as `JSONDecoder` would: an object of string keys and string or `null`
/// values, with each key at most once, every escape valid and the text valid UTF-8. Anything else (nesting, numbers,
/// booleans, a duplicate key, a lone surrogate escape, invalid UTF-8, text after the object) makes it return nil, and
/// the caller decodes the body with `JSONDecoder`, which gives the same value or its precise error.
struct FlatJSONObject {
    /// The members in the order they appear; a `null` value is nil.
    private(set) var members: [(key: String, value: String?)] = []

    /// The value of `key`: nil if the key is absent, `.some(nil)` if it is `null`.
    subscript(key: String) -> String?? {
        for member in members where member.key == key { return .some(member.value) }
        return nil
    }

    /// Reads `bytes` as a flat object of strings, or nil (see the type's description).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> FlatJSONObject? {
        var reader = Reader(bytes: bytes)
        var object = FlatJSONObject()
        reader.skipWhitespace()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        reader.skipWhitespace()
        if !reader.take(UInt8(ascii: "}")) {
            while true {
                guard let key = reader.string() else { return nil }
                // A repeated key: which one `JSONDecoder` keeps is its business, not this reader's.
                guard !object.members.contains(where: { $0.key == key }) else { return nil }
                reader.skipWhitespace()
                guard reader.take(UInt8(ascii: ":")) else { return nil }
                reader.skipWhitespace()
                let value: String?
                if reader.takeNull() {
                    value = nil
                } else {
                    guard let text = reader.string() else { return nil }
                    value = text
                }
                object.members.append((key, value))
                reader.skipWhitespace()
                if reader.take(UInt8(ascii: "}")) { break }
                guard reader.take(UInt8(ascii: ",")) else { return nil }
                reader.skipWhitespace()
            }
        }
        reader.skipWhitespace()
        return reader.atEnd ? object : nil
    }

    /// A cursor over the body's bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// Consumes `byte` if it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Consumes the literal `null` if it is next.
        mutating func takeNull() -> Bool {
            guard bytes.count - index >= 4, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
                bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
            else { return false }
            index += 4
            return true
        }

        /// A string literal, unescaped; nil if there is none here or it is not one `JSONDecoder` reads the same way.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            // Most strings hold no escape: their bytes are the text.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = Self.text(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            var unescaped = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return unescaped.withUnsafeBytes(Self.text)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                    case UInt8(ascii: "b"): unescaped.append(0x08)
                    case UInt8(ascii: "f"): unescaped.append(0x0C)
                    case UInt8(ascii: "n"): unescaped.append(0x0A)
                    case UInt8(ascii: "r"): unescaped.append(0x0D)
                    case UInt8(ascii: "t"): unescaped.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        unescaped.append(contentsOf: UTF8.encode(scalar)!)
                    default: return nil
                    }
                case ..<0x20:
                    return nil
                default:
                    unescaped.append(byte)
                }
            }
            return nil
        }

        /// `utf8` as a string, or nil if it is not valid UTF-8.
        ///
        /// `String(validating:as:)` runs generic code that looks up type metadata on every call. Decoding repairs each
        /// invalid sequence into U+FFFD's bytes, which the input, being invalid there, cannot hold: the text is valid
        /// exactly when its bytes come out unchanged.
        static func text(_ utf8: UnsafeRawBufferPointer) -> String? {
            let units = utf8.assumingMemoryBound(to: UInt8.self)
            let text = String(decoding: units, as: UTF8.self)
            return text.utf8.elementsEqual(units) ? text : nil
        }

        /// The scalar of a `\uXXXX` escape whose `\u` was just read, with a following low surrogate if it is a high
        /// one; nil for a lone surrogate or bad hex digits.
        private mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let unit = hex4() else { return nil }
            switch unit {
            case 0xD800..<0xDC00:
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(),
                    (0xDC00..<0xE000).contains(low)
                else { return nil }
                return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            case 0xDC00..<0xE000:
                return nil
            default:
                return Unicode.Scalar(unit)
            }
        }

        private mutating func hex4() -> UInt16? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt16 = 0
            for _ in 0..<4 {
                guard let digit = Hex.value(bytes[index]) else { return nil }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }
    }
}

/// Writes a JSON object of string members byte for byte as `JSONResponse.make` (a `JSONEncoder` with sorted keys
/// and unescaped slashes) would.
struct FlatJSONWriter {
    /// The text so far.
    private(set) var buffer: ByteBuffer
    private var first = true

    /// Starts an object in a buffer of `capacity` bytes.
    init(capacity: Int) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    /// Appends the member `key: value`. Keys must come in the encoder's sorted order (the caller's duty).
    mutating func member(_ key: StaticString, _ value: String) {
        if !first { buffer.writeInteger(UInt8(ascii: ",")) }
        first = false
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(key)
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeInteger(UInt8(ascii: ":"))
        Self.writeString(value, to: &buffer)
    }

    /// The finished object.
    mutating func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    /// `value` as a JSON string literal, escaped as `JSONEncoder` escapes it with `.withoutEscapingSlashes`.
    static func writeString(_ value: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                buffer.writeBytes(UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case 0x22: buffer.writeStaticString("\\\"")
                case 0x5C: buffer.writeStaticString("\\\\")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                default:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Hex.lowerDigits[Int(byte >> 4)])
                    buffer.writeInteger(Hex.lowerDigits[Int(byte & 0x0F)])
                }
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

/// A request body that `Request.decodeFlatJSON` can build from a flat object of strings without `JSONDecoder`.
protocol FlatJSONDecodable: Decodable {
    /// The value `JSONDecoder` would decode from `object`, or nil if it would throw (then it is asked, for its error).
    init?(flat object: FlatJSONObject)
}

/// An answer that `JSONResponse.make` writes without `JSONEncoder`.
protocol FlatJSONEncodable: Encodable {
    /// The JSON text `JSONEncoder` would write (sorted keys, unescaped slashes).
    func flatJSON() -> ByteBuffer
}

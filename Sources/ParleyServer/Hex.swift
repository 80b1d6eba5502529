/// Hexadecimal digits, read and written byte by byte (SigV4's percent-encoding and hashes, JSON's `\u` escapes).
enum Hex {
    /// The value of one hex digit of either case, or nil.
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The digits 0–9, A–F.
    static let upperDigits = Array("0123456789ABCDEF".utf8)
    /// The digits 0–9, a–f.
    static let lowerDigits = Array("0123456789abcdef".utf8)
}

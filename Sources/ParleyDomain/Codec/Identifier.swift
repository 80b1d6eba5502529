/// A 128-bit identifier (contact, participant, message, token…), stored as 16 bytes and shown as a UUID string.
public struct Identifier: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    /// Creates an identifier from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A random version-4 UUID from `generator` (IDs are generated at decide time and recorded in events).
    public static func random(using generator: inout some RandomNumberGenerator) -> Identifier {
        let high = (generator.next() & ~0xF000) | 0x4000
        let low = (generator.next() & ~(0xC000 << 48)) | (0x8000 << 48)
        return Identifier(high: high, low: low)
    }

    /// Parses `8-4-4-4-12` hex (either case); nil if malformed.
    public init?(_ text: String) {
        var value: [UInt64] = [0, 0]
        var digits = 0
        for (position, character) in text.utf8.enumerated() {
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            guard digits < 32 else { return nil }
            value[digits / 16] = value[digits / 16] << 4 | UInt64(nibble)
            digits += 1
        }
        guard digits == 32, text.utf8.count == 36 else { return nil }
        self.init(high: value[0], low: value[1])
    }

    /// Lower-case `8-4-4-4-12` hex, as Amazon Connect shows ids.
    public var description: String {
        // One allocation: the 36 bytes are written straight into the string's storage.
        String(unsafeUninitializedCapacity: 36) { write(into: $0, at: 0, dashed: true) }
    }

    /// The 32 lower-case hex digits without dashes, `rest`'s digits after them (a 256-bit token from two ids).
    public func digits(followedBy rest: Identifier? = nil) -> String {
        String(unsafeUninitializedCapacity: rest == nil ? 32 : 64) { out in
            let end = write(into: out, at: 0, dashed: false)
            return rest?.write(into: out, at: end, dashed: false) ?? end
        }
    }

    /// Writes the hex digits at `start` (with dashes at 8, 12, 16 and 20 when `dashed`); returns the end.
    private func write(into out: UnsafeMutableBufferPointer<UInt8>, at start: Int, dashed: Bool) -> Int {
        var position = start
        for (half, word) in [(0, high), (1, low)] {
            for nibble in 0..<16 {
                let index = half * 16 + nibble
                if dashed, index == 8 || index == 12 || index == 16 || index == 20 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let digit = UInt8(truncatingIfNeeded: (word >> UInt64(60 - nibble * 4)) & 0xF)
                out[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                position += 1
            }
        }
        return position
    }

    /// Orders by the 128-bit value.
    public static func < (lhs: Identifier, rhs: Identifier) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The hash `Dictionary`, `Set` and `TreeDictionary` use: both halves and `seed` mixed with a process-wide secret
    /// by multiply-xorshift rounds instead of SipHash. Identifiers are random (made by the server, version 4), so a
    /// cheap mix spreads them as well; the secret comes from `Hasher`, so an attacker who picks identifiers to look up
    /// cannot aim them at one bucket any more than with SipHash's seed. Hashing identifiers was ~7 % of a replay's
    /// instructions (docs/performance.md, "Late night of 2026-11-22").
    public func _rawHashValue(seed: Int) -> Int {
        keyedHash(seed: seed, secret: Identifier.hashSecret)
    }

    /// The mix behind `_rawHashValue(seed:)`, with the secret given (tests check the spread for fixed secrets).
    @inline(__always) func keyedHash(seed: Int, secret: UInt64) -> Int {
        var mixed = high ^ secret ^ UInt64(UInt(bitPattern: seed))
        mixed = (mixed ^ (mixed >> 32)) &* 0xD6E8_FEB8_6659_FD93
        mixed ^= low &* 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 32))
    }

    /// The process's hashing secret, drawn from `Hasher` (so `SWIFT_DETERMINISTIC_HASHING` fixes it too).
    static let hashSecret: UInt64 = {
        var hasher = Hasher()
        hasher.combine(0x5061_726C_6579 as UInt64)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }()
}

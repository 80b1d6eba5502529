/// A 128-bit identifier (contact, participant, message, token…), stored as 16 bytes and shown as a UUID string.
public struct Identifier: CompactMapKey, Comparable, CustomStringConvertible {
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
        var text = text
        // A native string's bytes are contiguous; a bridged one is copied once.
        guard let parsed = text.withUTF8({ Self.parse($0)?.id }) else { return nil }
        self = parsed
    }

    /// The identifier that the first 32 bytes of `text` spell as hex digits without dashes (as `digits()` writes
    /// them), or nil when `text` is shorter or they are not all hex digits.
    public static func leadingDigits(of text: String) -> Identifier? {
        // Not `withUTF8`: it is mutating, and the string's copy and uniqueness check cost more than the parse.
        if let parsed = text.utf8.withContiguousStorageIfAvailable(leadingDigits(in:)) { return parsed }
        return Array(text.utf8).withUnsafeBufferPointer(leadingDigits(in:))
    }

    /// `leadingDigits(of:)` of UTF-8 `bytes`.
    static func leadingDigits(in bytes: UnsafeBufferPointer<UInt8>) -> Identifier? {
        guard bytes.count >= 32, let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        func load64(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        var flags = HexWord.Flags()
        let high = UInt64(HexWord.value(load64(0), &flags)) << 32 | UInt64(HexWord.value(load64(8), &flags))
        let low = UInt64(HexWord.value(load64(16), &flags)) << 32 | UInt64(HexWord.value(load64(24), &flags))
        return flags.valid ? Identifier(high: high, low: low) : nil
    }

    /// What a `8-4-4-4-12` hex string spells, and which cases of letters it uses.
    struct Parsed {
        /// The identifier.
        var id: Identifier
        /// Whether it has a lower-case letter.
        var hasLower: Bool
        /// Whether it has an upper-case letter.
        var hasUpper: Bool
    }

    /// Parses `8-4-4-4-12` hex in `bytes`; nil if malformed. Eight digits at a time, in the bytes of a `UInt64`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        guard bytes.count == 36, let base = bytes.baseAddress else { return nil }
        let dash = UInt8(ascii: "-")
        guard base[8] == dash, base[13] == dash, base[18] == dash, base[23] == dash else { return nil }
        let raw = UnsafeRawPointer(base)
        func load64(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        func load32(_ offset: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        // The 32 digits, eight to a word, the first digit in the lowest byte.
        let words = (load64(0), load32(9) | load32(14) << 32, load32(19) | load32(24) << 32, load64(28))
        var flags = HexWord.Flags()
        let high = UInt64(HexWord.value(words.0, &flags)) << 32 | UInt64(HexWord.value(words.1, &flags))
        let low = UInt64(HexWord.value(words.2, &flags)) << 32 | UInt64(HexWord.value(words.3, &flags))
        guard flags.valid else { return nil }
        return Parsed(id: Identifier(high: high, low: low), hasLower: flags.lower != 0, hasUpper: flags.upper != 0)
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

    /// Both halves folded into one word (for a `CompactMap`'s filter; a version-4 identifier's bits are random).
    public var filterWord: UInt64 { high ^ low }

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

/// Eight ASCII hex digits in the bytes of a `UInt64` (the first in the lowest byte), read without a loop: each byte
/// is range-checked and converted in its own lane (SWAR).
enum HexWord {
    /// What the words read so far held.
    struct Flags {
        /// Lanes (0x80 bits) that were a hex digit, and-ed over the words: all set while every byte was one.
        var digits: UInt64 = 0x8080_8080_8080_8080
        /// Lanes that held a lower-case letter, or-ed over the words.
        var lower: UInt64 = 0
        /// Lanes that held an upper-case letter, or-ed over the words.
        var upper: UInt64 = 0
        /// Whether every byte was a hex digit.
        var valid: Bool { digits == 0x8080_8080_8080_8080 }
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The 0x80 bit of each lane whose byte lies in `low...high`; the bytes must be below 0x80.
    @inline(__always)
    private static func inRange(_ word: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        (word &+ (ones &* UInt64(0x80 - low))) & ~(word &+ (ones &* UInt64(0x7F - high))) & highBits
    }

    /// The 32-bit value the eight digits spell, the first digit the most significant; `flags` records the rest.
    @inline(__always)
    static func value(_ word: UInt64, _ flags: inout Flags) -> UInt32 {
        let ascii = word & highBits == 0
        let digit = inRange(word, 0x30, 0x39)
        let folded = word | 0x2020_2020_2020_2020
        let letter = inRange(folded, 0x61, 0x66)
        let lowerCase = letter & ((word & 0x2020_2020_2020_2020) << 2)
        flags.digits &= ascii ? digit | letter : 0
        flags.lower |= lowerCase
        flags.upper |= letter & ~lowerCase
        // A digit's low four bits are its value; a letter's are 1...6, 9 short of it.
        let nibbles = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ ((letter >> 7) &* 9)
        // Pack the lanes' nibbles, first lane most significant: pairs into bytes, bytes into halves, halves into one.
        let pairs = ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F)
        let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF)
        return UInt32(truncatingIfNeeded: ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF))
    }
}

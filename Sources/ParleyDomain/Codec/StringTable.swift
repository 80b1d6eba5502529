import Foundation

/// A fixed set of strings that `BinaryReader.readString(interning:)` hands back shared instead of decoding a new copy
/// of each: the few dozen content types that every message and event carries.
///
/// A string of more than 15 UTF-8 bytes is a heap allocation in Swift; a content type decoded afresh cost its event
/// an allocation, a copy and a free, and every comparison of it a byte-by-byte compare. One from the table is a
/// literal: it is never allocated or reference-counted, and compares equal to its constant at the first word.
public struct StringTable: Sendable {
    /// The strings, in the order given.
    public let strings: [String]
    /// Every string's UTF-8, back to back.
    private let bytes: [UInt8]
    /// Where each string starts in `bytes`, and (last) where the last one ends.
    private let offsets: [Int]
    /// For each UTF-8 length modulo 64, the first string of such a length, or -1: a lookup compares the few strings
    /// of its length, not all of them.
    private let firstOfLength: [Int]
    /// For each string, the next one of its length modulo 64, or -1.
    private let nextOfLength: [Int]

    /// A table of `strings` (repeats are kept once).
    public init(_ strings: [String]) {
        var unique: [String] = []
        for string in strings where !unique.contains(string) { unique.append(string) }
        self.strings = unique
        var bytes: [UInt8] = []
        var offsets = [0]
        for string in unique {
            bytes.append(contentsOf: string.utf8)
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
        var firstOfLength = Array(repeating: -1, count: 64)
        var nextOfLength = Array(repeating: -1, count: unique.count)
        for index in unique.indices.reversed() {
            let bucket = (offsets[index + 1] - offsets[index]) & 63
            nextOfLength[index] = firstOfLength[bucket]
            firstOfLength[bucket] = index
        }
        self.firstOfLength = firstOfLength
        self.nextOfLength = nextOfLength
    }

    /// The table's string whose UTF-8 is `utf8`, if any.
    public func string(matching utf8: UnsafeRawBufferPointer) -> String? {
        bytes.withUnsafeBytes { all -> String? in
            var index = firstOfLength[utf8.count & 63]
            while index >= 0 {
                let start = offsets[index]
                if offsets[index + 1] - start == utf8.count {
                    // An empty `utf8` may have no base address; the table's empty string matches it then.
                    guard let wanted = utf8.baseAddress, let held = all.baseAddress else { return strings[index] }
                    if memcmp(held + start, wanted, utf8.count) == 0 { return strings[index] }
                }
                index = nextOfLength[index]
            }
            return nil
        }
    }
}

import ParleyDomain

/// Checks that hashes spread evenly over every 5-bit window: `TreeDictionary` branches on 5 bits per level and
/// `Dictionary` masks the low bits.
///
/// The hashes are keyed with a process-wide secret drawn at random, so the tests hash with fixed secrets instead:
/// a bound on one bucket's count checked against the random secret failed about one run in twenty.
enum HashSpread {
    /// The secrets the tests hash with, in place of the process's.
    static let secrets: [UInt64] = {
        var generator = SplitMix(seed: 2026)
        return [0, UInt64.max] + (0..<6).map { _ in generator.next() }
    }()

    /// An even spread exceeds this chi-square over 32 buckets (31 degrees of freedom) about once in a million
    /// (Wilson–Hilferty); a hash that leaves a bit of a window fixed scores in the thousands.
    static let limit = 85.0

    /// The windows from bits 0..<5 to 55..<60 whose counts are not even, each with its chi-square and counts.
    static func unevenWindows(_ hashes: [Int]) -> [String] {
        let expected = Double(hashes.count) / 32
        return stride(from: 0, through: 55, by: 5).compactMap { shift in
            var buckets = [Int](repeating: 0, count: 32)
            for hash in hashes { buckets[Int((UInt(bitPattern: hash) >> UInt(shift)) & 31)] += 1 }
            let chiSquare = buckets.reduce(0.0) { sum, count in
                sum + (Double(count) - expected) * (Double(count) - expected) / expected
            }
            return chiSquare < limit ? nil : "bits \(shift)..<\(shift + 5): chi-square \(chiSquare), \(buckets)"
        }
    }
}

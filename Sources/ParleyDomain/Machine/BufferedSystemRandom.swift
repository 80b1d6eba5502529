import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The system's cryptographic random source, read 256 bytes at a time: one `getentropy` call per 32 draws.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` system call per `next()`, so two per identifier: at 256
/// concurrent SendMessage clients that was as many system calls as the requests' reads and writes together. The bytes
/// are the same kernel source's; only the calls are fewer. Copies share one pool under a lock, so no draw from any
/// copy ever repeats another's bytes, and a copy left behind (a decision context that was not written back) cannot
/// hand out the same identifiers twice.
public struct BufferedSystemRandom: RandomNumberGenerator, Sendable {
    /// Words per refill: 256 bytes, the most `getentropy` gives in one call.
    static let poolWords = 32

    private struct Pool: ~Copyable {
        var words = [UInt64](repeating: 0, count: BufferedSystemRandom.poolWords)
        /// The next unused word; `words.count` when every word is used.
        var next = BufferedSystemRandom.poolWords
        /// Refills done (what the tests read to see that one call serves `poolWords` draws).
        var refills = 0
    }

    private final class Shared: Sendable {
        let pool = Mutex(Pool())
    }

    private let shared = Shared()

    /// A generator with a pool of its own (empty: the first draw fills it).
    public init() {}

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        shared.pool.withLock { pool in
            if pool.next == pool.words.count {
                Self.fill(&pool.words)
                pool.next = 0
                pool.refills += 1
            }
            defer { pool.next += 1 }
            return pool.words[pool.next]
        }
    }

    /// How many times the pool has been filled from the system.
    var refills: Int { shared.pool.withLock { $0.refills } }

    /// Overwrites `words` with the system's random bytes.
    private static func fill(_ words: inout [UInt64]) {
        #if canImport(Glibc)
        let filled = words.withUnsafeMutableBytes { getentropy($0.baseAddress!, $0.count) == 0 }
        if filled { return }
        #endif
        // No getentropy (or it failed): the standard library's generator, one call per word.
        var system = SystemRandomNumberGenerator()
        for index in words.indices { words[index] = system.next() }
    }
}

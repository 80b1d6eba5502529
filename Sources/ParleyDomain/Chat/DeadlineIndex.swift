// The timer projection keeps its deadlines twice: `ChatState.timers` maps a key to its deadline (what snapshots,
// hashes and lookups use), and this index holds the same pairs in firing order, so that the earliest deadline, the
// due ones and a listing in deadline order cost O(log n) or O(k) instead of a scan of every open timer.
//
// It is a sorted array cut into chunks of at most `chunkCapacity` entries, kept in an array of chunks ordered by
// their first entries. Both levels are Swift arrays, so the index is a value with copy-on-write at two levels: a
// state copied for a published snapshot shares every chunk, and the writer's next change copies the outer array of
// chunk references and the one chunk it touches, never every entry.

/// Open deadlines in firing order (deadline, then key), derived from `ChatState.timers`.
public struct DeadlineIndex: Sendable, Sequence {
    /// One deadline and the timer it belongs to.
    public struct Entry: Sendable, Hashable, Comparable {
        /// When it falls due (µs).
        public var deadline: Int64
        /// The timer.
        public var key: TimerKey

        /// An entry.
        public init(_ deadline: Int64, _ key: TimerKey) {
            self.deadline = deadline
            self.key = key
        }

        /// Deadline order; the key orders equal deadlines (the order they fire in).
        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.key < rhs.key
        }
    }

    /// The most entries a chunk holds; a fuller one splits in two.
    static let chunkCapacity = 128

    /// Sorted chunks, each non-empty and sorted, each entry below every entry of the next chunk.
    private var chunks: [[Entry]] = []

    /// How many deadlines are open.
    public private(set) var count = 0

    /// How many of them are queue delays (`TimerKind.queueDelay`): routing withdraws stale ones only when there are
    /// any, instead of looking up every waiting contact's key on every pass.
    public private(set) var queueDelayCount = 0

    /// An empty index.
    public init() {}

    /// The index of `entries`, which need not be sorted (each key at most once).
    public init(_ entries: some Sequence<Entry>) {
        let sorted = entries.sorted()
        // Chunks start three-quarters full, leaving room to insert before the first split.
        let size = Self.chunkCapacity * 3 / 4
        chunks = stride(from: 0, to: sorted.count, by: size).map {
            Array(sorted[$0..<Swift.min($0 + size, sorted.count)])
        }
        count = sorted.count
        queueDelayCount = sorted.count { $0.key.kind == .queueDelay }
    }

    /// The earliest entry.
    public var first: Entry? { chunks.first?.first }

    /// Whether no deadline is open.
    public var isEmpty: Bool { count == 0 }

    /// Adds `entry` (its key must not be in the index under another deadline: remove that first).
    public mutating func insert(_ entry: Entry) {
        count += 1
        if entry.key.kind == .queueDelay { queueDelayCount += 1 }
        guard !chunks.isEmpty else {
            chunks = [[entry]]
            return
        }
        let chunk = chunkIndex(for: entry)
        // The position first: no read of the chunk may overlap the write (a copy alive then would copy the chunk).
        let position = Self.lowerBound(of: entry, in: chunks[chunk])
        chunks[chunk].insert(entry, at: position)
        if chunks[chunk].count > Self.chunkCapacity {
            let half = chunks[chunk].count / 2
            let upper = Array(chunks[chunk][half...])
            chunks[chunk].removeSubrange(half...)
            chunks.insert(upper, at: chunk + 1)
        }
    }

    /// Removes `entry`; false when it is not in the index.
    @discardableResult
    public mutating func remove(_ entry: Entry) -> Bool {
        guard !chunks.isEmpty else { return false }
        let chunk = chunkIndex(for: entry)
        let position = Self.lowerBound(of: entry, in: chunks[chunk])
        guard position < chunks[chunk].count, chunks[chunk][position] == entry else { return false }
        chunks[chunk].remove(at: position)
        count -= 1
        if entry.key.kind == .queueDelay { queueDelayCount -= 1 }
        if chunks[chunk].isEmpty {
            chunks.remove(at: chunk)
        } else if chunks[chunk].count < Self.chunkCapacity / 4 {
            mergeSmall(chunk)
        }
        return true
    }

    /// The entries due at `now` (deadline ≤ `now`), in firing order.
    public func due(at now: Int64) -> [Entry] {
        var due: [Entry] = []
        for chunk in chunks {
            guard chunk[0].deadline <= now else { break }
            if chunk[chunk.count - 1].deadline <= now {
                due += chunk
            } else {
                due += chunk.prefix { $0.deadline <= now }
                break
            }
        }
        return due
    }

    /// Every entry in firing order.
    public func makeIterator() -> FlattenSequence<[[Entry]]>.Iterator { chunks.joined().makeIterator() }

    /// The chunk `entry` belongs in: the last whose first entry is not above it (the first chunk when none is).
    private func chunkIndex(for entry: Entry) -> Int {
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle][0] <= entry { low = middle + 1 } else { high = middle }
        }
        return Swift.max(low - 1, 0)
    }

    /// The first position in `chunk` whose entry is not below `entry`.
    private static func lowerBound(of entry: Entry, in chunk: [Entry]) -> Int {
        var low = 0
        var high = chunk.count
        while low < high {
            let middle = (low + high) / 2
            if chunk[middle] < entry { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Folds a chunk that fell under a quarter full into a neighbour with room, so that removals cannot leave
    /// many near-empty chunks behind.
    private mutating func mergeSmall(_ chunk: Int) {
        if chunk + 1 < chunks.count, chunks[chunk].count + chunks[chunk + 1].count <= Self.chunkCapacity {
            let next = chunks.remove(at: chunk + 1)
            chunks[chunk] += next
        } else if chunk > 0, chunks[chunk - 1].count + chunks[chunk].count <= Self.chunkCapacity {
            let small = chunks.remove(at: chunk)
            chunks[chunk - 1] += small
        }
    }

    /// How many chunks hold the entries (for tests of the layout).
    var chunkCount: Int { chunks.count }

    /// Whether the layout holds: chunks non-empty, within capacity, sorted within and across, and the counts those
    /// of the entries (for tests).
    var isWellFormed: Bool {
        var previous: Entry?
        var total = 0
        var queueDelays = 0
        for chunk in chunks {
            guard !chunk.isEmpty, chunk.count <= Self.chunkCapacity else { return false }
            for entry in chunk {
                if let previous, !(previous < entry) { return false }
                previous = entry
                if entry.key.kind == .queueDelay { queueDelays += 1 }
            }
            total += chunk.count
        }
        return total == count && queueDelays == queueDelayCount
    }
}

extension DeadlineIndex: Equatable {
    /// The same entries, whatever the chunks (a rebuilt index and one grown entry by entry are equal).
    public static func == (lhs: DeadlineIndex, rhs: DeadlineIndex) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

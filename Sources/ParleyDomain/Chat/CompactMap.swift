// A map for the small per-chat indexes (a chat's messages by id, its ClientTokens): a short array while it holds at
// most `CompactMap.smallLimit` entries; beyond, a persistent `TreeDictionary` of the older entries and the short array
// of those added since, merged into the tree whenever it fills.
//
// Most chats hold a few dozen entries or fewer. In a `TreeDictionary` each of those grows its root node one step at a
// time (room for 1, 2, 4, 8 … entries), and every step frees the old node through the tree's generic deinit, which
// looks up the node's type metadata at run time: about 2.5 K instructions a step, more than the insert itself. The
// array grows twice and is searched newest first, where a receipt or a retried ClientToken usually points. A copy
// shared with a published snapshot copies at most `smallLimit` entries on its next change.
//
// A large map adds to the array as well: writing to the tree after every published snapshot copied its root node (up
// to 32 entries, a ClientToken key holding a string) and freed the old one through the tree's generic deinit, about
// 4.4 K instructions per message in a chat of 17 to 36. The tree now changes once per `smallLimit` additions. See
// docs/performance.md, "2026-11-23 (later): per-chat maps that start small" and "2026-11-24".
//
// The array is a `ChunkStorage` with claimed slots, as a transcript's last chunk is: a copy that shares it with a
// published snapshot appends in place when no other copy appended there first, so a message's ClientToken and
// item index no longer copy up to 32 entries per chat and batch (and free the old array a batch later). See
// docs/performance.md, "2026-11-24 (sixth session)".
//
// The limit is 32: a chat whose clients send a typing event before each message and a read receipt after it, as the
// chat JavaScript library does, holds three ClientTokens per message, and at 16 every such chat of ten messages built
// a tree once, 17 inserts at about 2 K instructions each. Searching 32 keys costs less (a UUID token compares as 16
// bytes). See docs/performance.md, "2026-11-24 (later)".

import HashTreeCollections

/// A key of a `CompactMap`: hashable, with a cheap word for the map's filter.
public protocol CompactMapKey: Hashable, Sendable {
    /// A word that equal keys share (different keys rarely): the map mixes it to pick the key's bit in its filter. It
    /// must cost far less than a search of the array, so no `Hasher`: a random identifier's own bits will do.
    var filterWord: UInt64 { get }
}

/// A map that keeps up to `smallLimit` entries in an array (searched newest first) and more in a `TreeDictionary`
/// beside an array of the newest ones. Equality, iteration content, the snapshot encoding and the JSON encoding are
/// those of the same entries in a `TreeDictionary`: which form holds them never shows.
public struct CompactMap<Key: CompactMapKey, Value: Sendable>: Sendable {
    typealias Entry = (key: Key, value: Value)

    /// Entries in insertion order, the first `smallCount` slots: all of them while the map is small; once `large` is
    /// set, those added since the last merge into it, at most `smallLimit`. No key is in both. Copies share it, each
    /// seeing its own prefix; nil while it holds none.
    private var small: ChunkStorage<Entry>?
    /// The entries of `small` this copy holds.
    private var smallCount = 0
    /// The older entries, once more than `smallLimit` were held at the same time.
    private var large: TreeDictionary<Key, Value>?
    /// One bit of 128 for each key of the array this copy holds (`filterBit(_:)`), the low half then the high: a key
    /// whose bit is clear is not in the array, so an insert of a new key (a ClientToken, a message id) usually skips
    /// the search of up to `smallLimit` keys. Cleared when the array's entries move to the tree.
    private var filter: (low: UInt64, high: UInt64) = (0, 0)

    /// The most entries the array form holds.
    public static var smallLimit: Int { 32 }

    /// An empty map.
    public init() {}

    /// Entries in the map.
    public var count: Int { (large?.count ?? 0) + smallCount }

    /// Whether the map is empty.
    public var isEmpty: Bool { count == 0 }

    /// Whether the entries are in the tree form (tests).
    var isLarge: Bool { large != nil }

    /// The identity of the array's storage (tests: which copies share it).
    var smallIdentity: ObjectIdentifier? { small.map(ObjectIdentifier.init) }

    /// The value of `key`; setting nil removes the entry.
    public subscript(key: Key) -> Value? {
        get {
            if let index = smallIndex(of: key, Self.filterBit(key)) {
                return small.unsafelyUnwrapped.elements[index].value
            }
            return large?[key]
        }
        set {
            let bit = Self.filterBit(key)
            if let index = smallIndex(of: key, bit) {
                if let newValue { setSmallValue(newValue, at: index) } else { removeSmall(at: index) }
            } else if large?.index(forKey: key) != nil {
                large![key] = newValue
            } else if let newValue {
                insertNew(key, newValue, bit)
            }
        }
    }

    /// A key's place in `filter`: which half, and the bit in it.
    private typealias FilterBit = (high: Bool, mask: UInt64)

    /// The half of `filter` and the bit in it that stand for `key`.
    @inline(__always)
    private static func filterBit(_ key: Key) -> FilterBit {
        let mixed = key.filterWord &* 0x9E37_79B9_7F4A_7C15
        return (mixed >> 63 != 0, 1 << ((mixed >> 57) & 63))
    }

    /// Sets `bit` (a key's `filterBit(_:)`) in `filter`.
    private mutating func addToFilter(_ bit: FilterBit) {
        if bit.high { filter.high |= bit.mask } else { filter.low |= bit.mask }
    }

    /// The position of `key` in `small`, searched from the newest entry unless `bit` (its `filterBit(_:)`) is clear.
    private func smallIndex(of key: Key, _ bit: FilterBit) -> Int? {
        guard let small else { return nil }
        guard (bit.high ? filter.high : filter.low) & bit.mask != 0 else { return nil }
        var index = smallCount
        while index > 0 {
            index -= 1
            if small.elements[index].key == key { return index }
        }
        return nil
    }

    /// Makes `small` this copy's alone, holding its `smallCount` entries, with room for `capacity`.
    private mutating func copySmall(capacity: Int) {
        // Asked before `old` holds a second reference.
        let unique = isKnownUniquelyReferenced(&small)
        let old = small.unsafelyUnwrapped
        small = ChunkStorage(capacity: capacity, prefix: smallCount, of: old, moving: unique)
    }

    /// Changes the value of the entry at `index` of `small`, copying the array first if another copy shares it.
    private mutating func setSmallValue(_ value: Value, at index: Int) {
        if !isKnownUniquelyReferenced(&small) { copySmall(capacity: small.unsafelyUnwrapped.capacity) }
        small.unsafelyUnwrapped.elements[index].value = value
    }

    /// Removes the entry at `index` of `small`, keeping the order of the others (into a new array: removals are rare).
    private mutating func removeSmall(at index: Int) {
        let old = small.unsafelyUnwrapped
        let storage = ChunkStorage<Entry>(capacity: old.capacity)
        for position in 0..<smallCount where position != index {
            let claimed = storage.claim(position < index ? position : position - 1)
            precondition(claimed, "a new array has room for the entries it copies")
            (storage.elements + (position < index ? position : position - 1)).initialize(to: old.elements[position])
        }
        smallCount -= 1
        small = smallCount == 0 ? nil : storage
        filter = (0, 0)
        for entry in smallEntries { addToFilter(Self.filterBit(entry.key)) }
    }

    /// Adds an entry whose key the map does not hold (`bit` is its `filterBit(_:)`); the entry past `smallLimit` in the
    /// array moves them all to the tree.
    private mutating func insertNew(_ key: Key, _ value: Value, _ bit: FilterBit) {
        if smallCount < Self.smallLimit {
            if small == nil {
                small = ChunkStorage(capacity: large == nil ? 4 : Self.smallLimit)
            } else if smallCount == small.unsafelyUnwrapped.capacity {
                copySmall(capacity: Swift.min(smallCount * 2, Self.smallLimit))
            }
            // The next slot, unless another copy sharing the array filled it first.
            if !small.unsafelyUnwrapped.claim(smallCount) {
                copySmall(capacity: small.unsafelyUnwrapped.capacity)
                let claimed = small.unsafelyUnwrapped.claim(smallCount)
                precondition(claimed, "a new array has room after its prefix")
            }
            (small.unsafelyUnwrapped.elements + smallCount).initialize(to: (key, value))
            smallCount += 1
            addToFilter(bit)
            return
        }
        // Taken out of `self`: a tree no snapshot shares changes in place.
        var tree = large.take() ?? TreeDictionary<Key, Value>()
        for entry in smallEntries { tree[entry.key] = entry.value }
        tree[key] = value
        small = nil
        smallCount = 0
        filter = (0, 0)
        large = tree
    }

    /// The entries of `small` this copy holds, in insertion order.
    private var smallEntries: SmallEntries { SmallEntries(storage: small, count: smallCount) }

    /// The first `count` entries of an array storage (kept alive while iterated).
    fileprivate struct SmallEntries: Sequence, IteratorProtocol {
        let storage: ChunkStorage<Entry>?
        let count: Int
        var index = 0

        init(storage: ChunkStorage<Entry>?, count: Int) {
            self.storage = storage
            self.count = count
        }

        /// The next entry.
        mutating func next() -> Entry? {
            guard index < count, let storage else { return nil }
            defer { index += 1 }
            return storage.elements[index]
        }
    }
}

extension CompactMap: ExpressibleByDictionaryLiteral {
    /// A map of `elements`; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (Key, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}

extension CompactMap: Sequence {
    /// Iterates the entries: the tree's in its own order, then the array's in insertion order.
    public struct Iterator: IteratorProtocol {
        fileprivate var large: TreeDictionary<Key, Value>.Iterator?
        fileprivate var small: SmallEntries

        /// The next entry.
        public mutating func next() -> (key: Key, value: Value)? {
            if large != nil, let entry = large!.next() { return entry }
            large = nil
            return small.next()
        }
    }

    /// An iterator over the entries.
    public func makeIterator() -> Iterator {
        Iterator(large: large?.makeIterator(), small: smallEntries)
    }

    /// The number of entries.
    public var underestimatedCount: Int { count }
}

extension CompactMap: Equatable where Value: Equatable {
    /// Equal when they hold the same entries, in whichever form.
    public static func == (lhs: CompactMap, rhs: CompactMap) -> Bool {
        if lhs.smallCount == 0, rhs.smallCount == 0, let left = lhs.large, let right = rhs.large {
            return left == right
        }
        return lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension CompactMap {
    /// The entries as a `TreeDictionary`.
    public var tree: TreeDictionary<Key, Value> {
        var tree = large ?? TreeDictionary<Key, Value>()
        for entry in smallEntries { tree[entry.key] = entry.value }
        return tree
    }
}

extension CompactMap: Encodable where Key: Encodable, Value: Encodable {
    /// Encodes as a `TreeDictionary` of the same entries does.
    public func encode(to encoder: any Encoder) throws { try tree.encode(to: encoder) }
}

extension CompactMap: SnapshotCodable where Key: SnapshotCodable & Comparable, Value: SnapshotCodable {
    /// Writes what a `TreeDictionary` of the same entries writes: the count, then the entries in key order.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        if large != nil { return tree.snapshotEncode(to: &writer) }
        writer.write(varUInt: UInt64(smallCount))
        for entry in smallEntries.sorted(by: { $0.key < $1.key }) {
            entry.key.snapshotEncode(to: &writer)
            entry.value.snapshotEncode(to: &writer)
        }
    }

    /// Reads a map; a repeated key is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        let count = try reader.readCount()
        for _ in 0..<count {
            let key = try Key(snapshotFrom: &reader)
            let value = try Value(snapshotFrom: &reader)
            guard self[key] == nil else {
                throw DecodeError(.invalidValue, "a repeated key in a snapshot map", offset: reader.offset)
            }
            self[key] = value
        }
    }
}

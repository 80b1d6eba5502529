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
// The limit is 32: a chat whose clients send a typing event before each message and a read receipt after it, as the
// chat JavaScript library does, holds three ClientTokens per message, and at 16 every such chat of ten messages built
// a tree once, 17 inserts at about 2 K instructions each. Searching 32 keys costs less (a UUID token compares as 16
// bytes). See docs/performance.md, "2026-11-24 (later)".

import HashTreeCollections

/// A map that keeps up to `smallLimit` entries in an array (searched newest first) and more in a `TreeDictionary`
/// beside an array of the newest ones. Equality, iteration content, the snapshot encoding and the JSON encoding are
/// those of the same entries in a `TreeDictionary`: which form holds them never shows.
public struct CompactMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Entries in insertion order: all of them while the map is small; once `large` is set, those added since the last
    /// merge into it, at most `smallLimit`. No key is in both.
    private var small: ContiguousArray<(key: Key, value: Value)> = []
    /// The older entries, once more than `smallLimit` were held at the same time.
    private var large: TreeDictionary<Key, Value>?

    /// The most entries the array form holds.
    public static var smallLimit: Int { 32 }

    /// An empty map.
    public init() {}

    /// Entries in the map.
    public var count: Int { (large?.count ?? 0) + small.count }

    /// Whether the map is empty.
    public var isEmpty: Bool { count == 0 }

    /// Whether the entries are in the tree form (tests).
    var isLarge: Bool { large != nil }

    /// The value of `key`; setting nil removes the entry.
    public subscript(key: Key) -> Value? {
        get {
            if let index = smallIndex(of: key) { return small[index].value }
            return large?[key]
        }
        set {
            if let index = smallIndex(of: key) {
                if let newValue { small[index].value = newValue } else { small.remove(at: index) }
            } else if large?.index(forKey: key) != nil {
                large![key] = newValue
            } else if let newValue {
                insertNew(key, newValue)
            }
        }
    }

    /// The position of `key` in `small`, searched from the newest entry.
    private func smallIndex(of key: Key) -> Int? {
        var index = small.count
        while index > 0 {
            index -= 1
            if small[index].key == key { return index }
        }
        return nil
    }

    /// Adds an entry whose key the map does not hold; the entry past `smallLimit` in the array moves them all to the
    /// tree.
    private mutating func insertNew(_ key: Key, _ value: Value) {
        if small.count < Self.smallLimit {
            if small.capacity == 0 { small.reserveCapacity(large == nil ? 4 : Self.smallLimit) }
            small.append((key, value))
            return
        }
        // Taken out of `self`: a tree no snapshot shares changes in place.
        var tree = large.take() ?? TreeDictionary<Key, Value>()
        for entry in small { tree[entry.key] = entry.value }
        tree[key] = value
        small.removeAll(keepingCapacity: true)
        large = tree
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
        fileprivate var small: IndexingIterator<ContiguousArray<(key: Key, value: Value)>>

        /// The next entry.
        public mutating func next() -> (key: Key, value: Value)? {
            if large != nil, let entry = large!.next() { return entry }
            large = nil
            return small.next()
        }
    }

    /// An iterator over the entries.
    public func makeIterator() -> Iterator {
        Iterator(large: large?.makeIterator(), small: small.makeIterator())
    }

    /// The number of entries.
    public var underestimatedCount: Int { count }
}

extension CompactMap: Equatable where Value: Equatable {
    /// Equal when they hold the same entries, in whichever form.
    public static func == (lhs: CompactMap, rhs: CompactMap) -> Bool {
        if lhs.small.isEmpty, rhs.small.isEmpty, let left = lhs.large, let right = rhs.large { return left == right }
        return lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension CompactMap {
    /// The entries as a `TreeDictionary`.
    public var tree: TreeDictionary<Key, Value> {
        var tree = large ?? TreeDictionary<Key, Value>()
        for entry in small { tree[entry.key] = entry.value }
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
        writer.write(varUInt: UInt64(small.count))
        for entry in small.sorted(by: { $0.key < $1.key }) {
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

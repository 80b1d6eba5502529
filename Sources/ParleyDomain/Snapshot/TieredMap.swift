// A map whose settled entries can live in a cold tier: an immutable, sorted table written by a checkpoint and read
// back one entry at a time, so that loading a checkpoint costs what the live part of the state costs, not what the
// whole history costs. See docs/projections.md, "Hot and cold state".
//
// Logically a `TieredMap` is an ordinary map. Which tier an entry is in never shows: lookups fall through from the
// hot tier to the cold one, writes always land in the hot tier (an entry read from the cold tier and changed is
// copied up), and the canonical encoding, equality and state hash are those of the merged content.

import Crypto

/// The 128-bit key a cold table is sorted and searched by.
public struct ColdFingerprint: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    /// A fingerprint from its halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Orders by `high`, then `low`.
    public static func < (lhs: ColdFingerprint, rhs: ColdFingerprint) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// 32 hex digits.
    public var description: String {
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> shift)) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> shift)) }
        return StateDigest.hex(bytes)
    }
}

/// A key a `TieredMap` can keep in a cold tier: its fingerprint must identify it (identifiers are their own
/// fingerprint; strings use 128 bits of SHA-256).
public protocol ColdKey: Hashable, Sendable, SnapshotCodable {
    /// The key's fingerprint.
    var coldFingerprint: ColdFingerprint { get }
}

extension Identifier: ColdKey {
    /// The identifier's own 16 bytes.
    public var coldFingerprint: ColdFingerprint { ColdFingerprint(high: high, low: low) }
}

extension String: ColdKey {
    /// The first 16 bytes of the SHA-256 of the UTF-8 bytes.
    public var coldFingerprint: ColdFingerprint {
        var digest = SHA256()
        var copy = self
        copy.withUTF8 { digest.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return digest.finalize().withUnsafeBytes { raw in
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(raw[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(raw[index]) }
            return ColdFingerprint(high: high, low: low)
        }
    }
}

/// An immutable cold tier: entries sorted by strictly increasing fingerprint, each the canonical encoding of its key
/// followed by that of its value. Checkpoints implement it over a file; `InMemoryColdTable` holds bytes.
///
/// The methods do not throw: a table was checked when it was opened, and damage found later (a disk error, a file
/// changed under the server) stops the process with a message naming the file, because no answer it could give
/// would be right. The log is intact; moving the checkpoint aside and restarting replays it.
public protocol ColdTable: AnyObject, Sendable {
    /// Entries in the table.
    var count: Int { get }
    /// The fingerprint of entry `index`.
    func fingerprint(at index: Int) -> ColdFingerprint
    /// The canonical bytes (key, then value) of entry `index`.
    func entry(at index: Int) -> [UInt8]
    /// The position of the entry with `fingerprint`, if the table holds one.
    func index(of fingerprint: ColdFingerprint) -> Int?
}

extension ColdTable {
    /// The position of the entry with `fingerprint`, if the table holds one (binary search).
    public func index(of fingerprint: ColdFingerprint) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            let found = self.fingerprint(at: middle)
            if found == fingerprint { return middle }
            if found < fingerprint { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

/// A cold table held in memory (tests, and tables built before they are written).
public final class InMemoryColdTable: ColdTable {
    /// The entries, sorted by fingerprint.
    public let entries: [(fingerprint: ColdFingerprint, bytes: [UInt8])]

    /// A table of `entries`, which must be sorted by strictly increasing fingerprint.
    public init(_ entries: [(fingerprint: ColdFingerprint, bytes: [UInt8])]) {
        precondition(zip(entries, entries.dropFirst()).allSatisfy { $0.fingerprint < $1.fingerprint })
        self.entries = entries
    }

    /// Entries in the table.
    public var count: Int { entries.count }
    /// The fingerprint of entry `index`.
    public func fingerprint(at index: Int) -> ColdFingerprint { entries[index].fingerprint }
    /// The bytes of entry `index`.
    public func entry(at index: Int) -> [UInt8] { entries[index].bytes }
}

/// What a split encoding puts into one cold table: the entries of the old table still current, and the settled
/// entries of the hot tier. Their fingerprints are disjoint; the writer merges them in fingerprint order.
public struct ColdTableBuild: Sendable {
    /// The table the map was loaded with, if any.
    public var base: (any ColdTable)?
    /// The positions of `base` entries kept, ascending.
    public var kept: [Int]
    /// New entries, sorted by fingerprint.
    public var added: [(fingerprint: ColdFingerprint, bytes: [UInt8])]

    /// Entries in the table to write.
    public var count: Int { kept.count + added.count }
}

/// The sink of a snapshot encoding: inline (every entry in the bytes, the canonical form state hashes are taken of)
/// or split (settled entries collected into cold tables, which a checkpoint writes beside the bytes).
public struct ColdSplit: Sendable {
    /// Whether settled entries go to cold tables.
    public let splits: Bool
    /// The tables collected, numbered by position.
    public private(set) var tables: [ColdTableBuild] = []

    /// Everything in the bytes.
    public static var inline: ColdSplit { ColdSplit(splits: false) }
    /// Settled entries into cold tables.
    public static var split: ColdSplit { ColdSplit(splits: true) }

    /// Adds a table; returns its number.
    mutating func add(_ table: ColdTableBuild) -> Int {
        tables.append(table)
        return tables.count - 1
    }
}

/// The cold tables a split encoding refers to by number, when decoding it.
public struct ColdTables: Sendable {
    /// The tables by number.
    public var tables: [any ColdTable]

    /// No tables: only inline encodings decode.
    public static var none: ColdTables { ColdTables(tables: []) }

    /// The given tables.
    public init(tables: [any ColdTable]) { self.tables = tables }

    func table(_ number: Int, offset: Int) throws(DecodeError) -> any ColdTable {
        guard number < tables.count else {
            throw DecodeError(.invalidValue, "cold table \(number) of \(tables.count) is missing", offset: offset)
        }
        return tables[number]
    }
}

/// One value of a `TieredMap`'s hot tier, kept on the heap and shared until written (copy on write).
///
/// A tree node then holds and moves an 8-byte reference, not the value: a change in place no longer moves a whole
/// chat or record out of its node and back, and copying a shared node (the engine's batch copy) retains references
/// instead of copying every value in it.
public struct TieredSlot<Value: Sendable & Equatable>: Sendable, Equatable, TieredSlotProtocol {
    /// The heap cell; `value` is nil only while a change through `optional` removes the entry.
    private final class Cell: @unchecked Sendable {
        // Mutated only through `optional`/`value`'s `_modify`, after making the cell unique: a shared cell is never
        // written, so the unchecked Sendable holds.
        @exclusivity(unchecked) var value: Value?
        init(_ value: consuming Value?) { self.value = value }
    }

    private var cell: Cell

    /// A slot holding `value`.
    public init(_ value: consuming Value) { cell = Cell(value) }

    /// A slot holding nothing: a placeholder that `TieredMap.update` puts in the tree for a missing key and takes
    /// out again unless its body stores a value.
    fileprivate init(empty: Void) { cell = Cell(nil) }

    /// The value.
    var value: Value {
        _read { yield cell.value! }
        _modify {
            if !isKnownUniquelyReferenced(&cell) { copyCell() }
            yield &cell.value!
        }
    }

    /// The value, writable as an optional: nil after a change means the entry is removed.
    public var optional: Value? {
        _read { yield cell.value }
        _modify {
            if !isKnownUniquelyReferenced(&cell) { copyCell() }
            yield &cell.value
        }
    }

    /// What `body` returns for the address of the value, where it lies in the cell.
    ///
    /// Reading a value that a class holds copies it whenever the compiler cannot prove that nothing writes it
    /// meanwhile: binding `value`, calling a method of it, and passing it to a closure (even as `borrowing`) all did,
    /// measured, and for a chat the copy and its release cost about 3 K instructions. Fields read through the address
    /// (`pointer.pointee.field`) are loaded where they lie. An optional's payload is at its start (the single-payload
    /// enum layout of Swift's stable ABI). The pointer is valid only inside `body`, which must not change the map.
    public func withPointer<R, E: Error>(_ body: (UnsafePointer<Value>) throws(E) -> R) throws(E) -> R {
        try withUnsafeMutablePointer(to: &cell.value) { optional throws(E) -> R in
            if case .none = optional.pointee { preconditionFailure("a slot in a map holds a value") }
            return try body(UnsafeRawPointer(optional).assumingMemoryBound(to: Value.self))
        }
    }

    /// Gives the slot a cell of its own. Not inlined into the accessors above: a copy of the value in their frames
    /// would make each of their calls allocate its frame on the heap.
    @inline(never)
    private mutating func copyCell() {
        cell = Cell(cell.value)
    }

    /// Equal when they hold equal values (the same cell, at once).
    public static func == (lhs: TieredSlot, rhs: TieredSlot) -> Bool {
        lhs.cell === rhs.cell || lhs.cell.value == rhs.cell.value
    }
}

/// What `Optional.slotValue` needs of a slot.
protocol TieredSlotProtocol {
    associatedtype Value
    init(_ value: Value)
    var optional: Value? { get set }
}

extension Optional where Wrapped: TieredSlotProtocol {
    /// The value of an optional slot as an optional value: setting nil removes the slot, setting a value to a missing
    /// slot makes one. Through a tree's `_modify`, one lookup reads, changes, inserts or removes in place.
    fileprivate var slotValue: Wrapped.Value? {
        get { self?.optional }
        _modify {
            if self != nil {
                yield &self!.optional
                if self!.optional == nil { self = nil }
            } else {
                yield &newSlotValue
            }
        }
    }

    /// A value for a missing slot, which makes the slot when it is set. Apart from `slotValue`: a value held across
    /// the yield would be in the frame of every call of that accessor, which then allocates its frame on the heap.
    private var newSlotValue: Wrapped.Value? {
        get { nil }
        _modify {
            var value: Wrapped.Value? = nil
            yield &value
            if let value { self = Wrapped(value) }
        }
    }
}

/// A map with a hot tier (a persistent `TreeDictionary`) over an optional immutable cold tier.
public struct TieredMap<Key: ColdKey, Value: SnapshotCodable & Sendable & Equatable>: Sendable {
    /// Entries written since the cold tier was loaded (and all entries of a map without one), each in a heap slot.
    private var hot: TreeDictionary<Key, TieredSlot<Value>> = [:]
    /// The cold tier.
    private var cold: (any ColdTable)?
    /// Cold keys removed.
    private var removed: Set<Key> = []
    /// Hot keys that are also in the cold tier.
    private var shadowed = 0

    /// An empty map.
    public init() {}

    /// Entries in the map.
    public var count: Int { hot.count + (cold?.count ?? 0) - shadowed - removed.count }

    /// Whether the map is empty.
    public var isEmpty: Bool { count == 0 }

    /// Entries in the cold tier that the hot tier neither replaces nor removed.
    public var coldCount: Int { count - hot.count }

    /// Entries in the hot tier.
    public var hotCount: Int { hot.count }

    /// Whether the map holds a value for `key` (a cold one is not decoded).
    public func contains(_ key: Key) -> Bool {
        if hot.index(forKey: key) != nil { return true }
        guard let cold, !removed.contains(key) else { return false }
        return cold.index(of: key.coldFingerprint) != nil
    }

    /// The value of `key` if it is in the hot tier (no cold lookup).
    public func hotValue(_ key: Key) -> Value? { hot[key]?.value }

    /// The value of `key`, from the hot tier or else the cold one.
    public subscript(key: Key) -> Value? {
        // A hot value is lent from its slot. Whether a chain through it (`state.chats[id]?.customerParticipantId`)
        // copies is up to the optimizer: in the contact-record and metrics folds, whose `ChatState` is a parameter,
        // such chains copied the map's fields and the whole value, while `self[slot:]` with `withPointer` did not.
        _read {
            if let slot = hot[key] {
                yield slot.optional
            } else {
                yield self[coldValue: key]
            }
        }
        set {
            if let newValue {
                if hot.updateValue(TieredSlot(newValue), forKey: key) == nil { noteInserted(key) }
            } else if hot.removeValue(forKey: key) != nil {
                if inCold(key) {
                    shadowed -= 1
                    removed.insert(key)
                }
            } else if !removed.contains(key), inCold(key) {
                removed.insert(key)
            }
        }
        _modify {
            if cold == nil {
                yield &hot[key].slotValue
            } else if hot.index(forKey: key) != nil {
                yield &hot[key].slotValue
                if hot.index(forKey: key) == nil, inCold(key) {
                    shadowed -= 1
                    removed.insert(key)
                }
            } else {
                yield &self[copyingUp: key]
            }
        }
    }

    /// The slot of `key` (a cold value in a slot of its own), to read its value where it lies (`withPointer`). Through
    /// an accessor: a method of a map that a class holds (`ChatState`'s fields) would copy the whole map first.
    public subscript(slot key: Key) -> TieredSlot<Value>? {
        _read {
            if let slot = hot[key] {
                yield slot
            } else {
                yield self[coldSlot: key]
            }
        }
    }

    /// A cold value of `key` in a slot of its own. Apart from `subscript(slot:)`, for the reason of `coldValue`.
    private subscript(coldSlot key: Key) -> TieredSlot<Value>? { self[coldValue: key].map(TieredSlot.init) }

    /// Runs `body` on the value of `key` in place and returns what it returns; nil (and `body` is not called) when the
    /// map holds no value for `key`. `self[key]?.change()` does the same through the tree's `_modify`, which moves the
    /// entry out of its node and back (two copies and a heap-allocated frame per call); this goes through the tree's
    /// closure-based update, which lends the entry where it lies. A missing key costs a second lookup (a placeholder
    /// is inserted and taken out again); a key only in the cold tier is copied up, as through the subscript.
    public mutating func update<R>(_ key: Key, _ body: (inout Value) -> R) -> R? {
        if cold != nil, hot.index(forKey: key) == nil {
            guard var value = self[key] else { return nil }
            defer { self[key] = value }
            return body(&value)
        }
        var inserted = false
        // Nothing here compares the slot's optional with nil: with an Equatable value that copies the value.
        let result: R? = hot.updateValue(forKey: key, default: Self.placeholder(&inserted)) { slot in
            inserted ? nil : body(&slot.value)
        }
        if inserted { hot.removeValue(forKey: key) }
        return result
    }

    /// Runs `body` on the value of `key` in place, first storing `defaultValue()` when the map holds none, and returns
    /// what `body` returns. The closure-based counterpart of `self[key, default:]`, whose `_modify` moves the entry out
    /// of its tree node and back (for a held key about 1.4 K instructions more, as with `update(_:_:)`).
    public mutating func update<R>(
        _ key: Key,
        default defaultValue: @autoclosure () -> Value,
        _ body: (inout Value) -> R
    ) -> R {
        if cold != nil, hot.index(forKey: key) == nil {
            var value = self[key] ?? defaultValue()
            defer { self[key] = value }
            return body(&value)
        }
        return hot.updateValue(forKey: key, default: TieredSlot(defaultValue())) { slot in body(&slot.value) }
    }

    /// Stores `value` for `key` (replacing any value held), moved into its slot rather than copied: for a new entry
    /// built just before, where the subscript's setter copies the value into the slot and releases the original.
    public mutating func insertNew(_ key: Key, _ value: consuming Value) {
        if hot.updateValue(TieredSlot(value), forKey: key) == nil { noteInserted(key) }
    }

    /// An empty slot for `update`, noting that it was needed.
    private static func placeholder(_ inserted: inout Bool) -> TieredSlot<Value> {
        inserted = true
        return TieredSlot(empty: ())
    }

    /// The value of `key` in the cold tier, unless the hot tier removed it. Apart from `subscript(key:)`: a decoded
    /// value held across the yield would be in the frame of every read, which then allocates its frame on the heap.
    private subscript(coldValue key: Key) -> Value? {
        if let cold, !removed.contains(key), let index = cold.index(of: key.coldFingerprint) {
            return Self.decode(cold, index, expecting: key).value
        }
        return nil
    }

    /// The value of `key`, which is in the cold tier only (or in neither), written to the hot tier after a change.
    /// Apart from `subscript(key:)`: a value held across the yield would be in the frame of every call of that
    /// accessor, which then allocates its frame on the heap.
    private subscript(copyingUp key: Key) -> Value? {
        get { self[key] }
        _modify {
            var value = self[key]
            defer { self[key] = value }
            yield &value
        }
    }

    /// Whether changing `key` through the subscript happens in place: the key is in the hot tier, or there is no cold
    /// tier (an entry of the cold tier is copied up to the hot tier, changed or not).
    public func modifiesInPlace(_ key: Key) -> Bool { cold == nil || hot.index(forKey: key) != nil }

    /// The value of `key`, or `defaultValue` (written back when changed).
    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        _modify {
            if cold == nil || hot.index(forKey: key) != nil {
                yield &hot[key, default: TieredSlot(defaultValue())].value
            } else {
                var value = self[key] ?? defaultValue()
                defer { self[key] = value }
                yield &value
            }
        }
    }

    /// Every value (cold ones decoded), in no particular order.
    public var values: [Value] { entries.map(\.value) }

    /// Every key, in no particular order.
    public var keys: [Key] { entries.map(\.key) }

    /// Every entry (cold ones decoded), in no particular order.
    public var entries: [(key: Key, value: Value)] {
        var all = hot.map { (key: $0.key, value: $0.value.value) }
        guard let cold else { return all }
        all.reserveCapacity(count)
        for index in 0..<cold.count {
            let entry = Self.decode(cold, index, expecting: nil)
            guard hot[entry.key] == nil, !removed.contains(entry.key) else { continue }
            all.append(entry)
        }
        return all
    }

    /// The hot tier's values, without decoding the cold tier: every value a split left hot (e.g. every active
    /// chat) and every value written since the cold tier was loaded.
    public var hotValues: LazyMapSequence<TreeDictionary<Key, TieredSlot<Value>>.Values, Value> {
        hot.values.lazy.map(\.value)
    }

    private func inCold(_ key: Key) -> Bool { cold?.index(of: key.coldFingerprint) != nil }

    private mutating func noteInserted(_ key: Key) {
        guard inCold(key) else { return }
        removed.remove(key)
        shadowed += 1
    }

    private static func decode(_ table: any ColdTable, _ index: Int, expecting key: Key?) -> (key: Key, value: Value) {
        let bytes = table.entry(at: index)
        let result: Result<(key: Key, value: Value), DecodeError> = bytes.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            do throws(DecodeError) {
                let key = try Key(snapshotFrom: &reader)
                let value = try Value(snapshotFrom: &reader)
                try reader.expectEnd()
                return .success((key, value))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let entry):
            if let key, entry.key != key {
                coldTierFailure("cold entry \(index) holds key \(entry.key), not \(key) (fingerprint collision)")
            }
            return entry
        case .failure(let error): coldTierFailure("cold entry \(index) does not decode: \(error)")
        }
    }
}

/// Stops the process on a cold tier that cannot be read (see `ColdTable`).
public func coldTierFailure(_ message: String) -> Never {
    fatalError(
        "Parley: \(message). A checkpoint's cold state is damaged; move the checkpoint files aside "
            + "(DATA/checkpoints) and restart: the log is intact and is replayed."
    )
}

extension TieredMap: Equatable {
    /// Equal when they hold the same entries, whichever tier each is in.
    public static func == (lhs: TieredMap, rhs: TieredMap) -> Bool {
        if lhs.cold === rhs.cold, lhs.removed == rhs.removed, lhs.shadowed == rhs.shadowed, lhs.hot == rhs.hot {
            return true
        }
        guard lhs.count == rhs.count else { return false }
        for entry in lhs.entries where rhs[entry.key] != entry.value { return false }
        return true
    }
}

extension TieredMap: SnapshotCodable {
    /// The canonical (inline) encoding: every entry, cold ones included, in fingerprint order.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        var sink = ColdSplit.inline
        snapshotEncode(to: &writer, cold: &sink, settled: { _, _ in false })
    }

    /// Reads an inline encoding.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        try self.init(snapshotFrom: &reader, cold: .none)
    }

    /// Writes the map. Inline (`cold.splits` false): tag 0, the count, then every entry in fingerprint order.
    /// Split: tag 1, the number of a new cold table holding the old table's current entries and the hot entries
    /// `settled` accepts, then the other hot entries like an inline map.
    public func snapshotEncode(to writer: inout BinaryWriter, cold sink: inout ColdSplit, settled: (Key, Value) -> Bool)
    {
        guard sink.splits else {
            writer.write(byte: 0)
            writer.write(varUInt: UInt64(count))
            let sortedHot = sortedHotEntries { _, _ in true }
            var hotIndex = 0
            let coldCount = cold?.count ?? 0
            let gone = removedFingerprints
            var coldIndex = 0
            while hotIndex < sortedHot.count || coldIndex < coldCount {
                if let cold, coldIndex < coldCount {
                    let fingerprint = cold.fingerprint(at: coldIndex)
                    if hotIndex == sortedHot.count || fingerprint < sortedHot[hotIndex].fingerprint {
                        if !gone.contains(fingerprint) { writer.write(encoded: cold.entry(at: coldIndex)) }
                        coldIndex += 1
                        continue
                    }
                    if fingerprint == sortedHot[hotIndex].fingerprint { coldIndex += 1 }
                }
                let entry = sortedHot[hotIndex]
                entry.key.snapshotEncode(to: &writer)
                entry.value.snapshotEncode(to: &writer)
                hotIndex += 1
            }
            return
        }
        var build = ColdTableBuild(base: cold, kept: [], added: [])
        if let cold {
            var replaced = removedFingerprints
            if shadowed > 0 { replaced.formUnion(hot.keys.lazy.map(\.coldFingerprint)) }
            for index in 0..<cold.count where !replaced.contains(cold.fingerprint(at: index)) {
                build.kept.append(index)
            }
        }
        for entry in sortedHotEntries(settled) {
            var entryWriter = BinaryWriter(capacity: 256)
            entry.key.snapshotEncode(to: &entryWriter)
            entry.value.snapshotEncode(to: &entryWriter)
            build.added.append((entry.fingerprint, entryWriter.bytes))
        }
        let live = sortedHotEntries { !settled($0, $1) }
        writer.write(byte: 1)
        writer.write(varUInt: UInt64(sink.add(build)))
        writer.write(varUInt: UInt64(live.count))
        for entry in live {
            entry.key.snapshotEncode(to: &writer)
            entry.value.snapshotEncode(to: &writer)
        }
    }

    /// Writes the map as a map of `Key` to one part of each value would write itself (`writePart` encodes the part),
    /// without building that map. A split encoding's cold table is a new one, holding every settled entry (a cold
    /// tier's entries are decoded, since the table stores whole values).
    public func snapshotEncode(
        to writer: inout BinaryWriter,
        cold sink: inout ColdSplit,
        settled: (Key, Value) -> Bool,
        writePart: (Value, inout BinaryWriter) -> Void
    ) {
        var live = entries.map { (fingerprint: $0.key.coldFingerprint, key: $0.key, value: $0.value) }
        live.sort { $0.fingerprint < $1.fingerprint }
        if sink.splits {
            var build = ColdTableBuild(base: nil, kept: [], added: [])
            live.removeAll { entry in
                guard settled(entry.key, entry.value) else { return false }
                var entryWriter = BinaryWriter(capacity: 256)
                entry.key.snapshotEncode(to: &entryWriter)
                writePart(entry.value, &entryWriter)
                build.added.append((entry.fingerprint, entryWriter.bytes))
                return true
            }
            writer.write(byte: 1)
            writer.write(varUInt: UInt64(sink.add(build)))
        } else {
            writer.write(byte: 0)
        }
        writer.write(varUInt: UInt64(live.count))
        for entry in live {
            entry.key.snapshotEncode(to: &writer)
            writePart(entry.value, &writer)
        }
    }

    /// Reads an inline or split encoding; a split one takes its cold tier from `tables`.
    public init(snapshotFrom reader: inout BinaryReader, cold tables: ColdTables) throws(DecodeError) {
        self.init()
        let start = reader.offset
        switch try reader.readByte() {
        case 0: break
        case 1: cold = try tables.table(try reader.readCount(), offset: start)
        case let tag: throw DecodeError(.invalidValue, "tiered map tag \(tag)", offset: start)
        }
        let count = try reader.readCount()
        for _ in 0..<count {
            let key = try Key(snapshotFrom: &reader)
            let value = try Value(snapshotFrom: &reader)
            guard hot.updateValue(TieredSlot(value), forKey: key) == nil else {
                throw DecodeError(.invalidValue, "a repeated key in a snapshot map", offset: reader.offset)
            }
        }
    }

    /// The fingerprints of the cold keys removed.
    private var removedFingerprints: Set<ColdFingerprint> { Set(removed.map(\.coldFingerprint)) }

    private func sortedHotEntries(
        _ include: (Key, Value) -> Bool
    ) -> [(fingerprint: ColdFingerprint, key: Key, value: Value)] {
        hot.compactMap { include($0.key, $0.value.value) ? ($0.key.coldFingerprint, $0.key, $0.value.value) : nil }
            .sorted { $0.fingerprint < $1.fingerprint }
    }
}

extension TieredMap: Encodable where Key: Encodable, Value: Encodable {
    /// Encodes as an array of alternating keys and values in fingerprint order, whichever tier each entry is in.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for entry in entries.sorted(by: { $0.key.coldFingerprint < $1.key.coldFingerprint }) {
            try container.encode(entry.key)
            try container.encode(entry.value)
        }
    }
}

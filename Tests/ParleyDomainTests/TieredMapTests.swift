import ParleyDomain
import Testing

/// `TieredMap` against a plain dictionary: whatever tier an entry is in, the map reads, counts, encodes and compares
/// like the dictionary, through splits into cold tables and every kind of write.
@Suite struct TieredMapTests {
    typealias Map = TieredMap<String, [Int64]>

    /// A split encoding decoded over in-memory tables, as a checkpoint load does over a file.
    static func reload(_ map: Map, settled: (String, [Int64]) -> Bool) throws -> Map {
        var writer = BinaryWriter()
        var sink = ColdSplit.split
        map.snapshotEncode(to: &writer, cold: &sink, settled: settled)
        let tables = sink.tables.map { $0.inMemory() }
        let bytes = writer.bytes
        return try bytes.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            let decoded = try Map(snapshotFrom: &reader, cold: ColdTables(tables: tables))
            try reader.expectEnd()
            return decoded
        }
    }

    /// The map the model describes, all hot.
    static func plain(_ model: [String: [Int64]]) -> Map {
        var map = Map()
        for (key, value) in model { map[key] = value }
        return map
    }

    static func check(_ map: Map, _ model: [String: [Int64]], _ step: String) {
        #expect(map.count == model.count, "\(step): count")
        #expect(map.snapshotBytes() == plain(model).snapshotBytes(), "\(step): canonical bytes")
        #expect(map == plain(model), "\(step): equality")
        #expect(Set(map.keys) == Set(model.keys), "\(step): keys")
        for (key, value) in model { #expect(map[key] == value, "\(step): \(key)") }
        #expect(map["absent"] == nil)
    }

    @Test func aSplitMapReadsEncodesAndComparesLikeTheWholeOne() throws {
        var model: [String: [Int64]] = [:]
        for index in 0..<200 { model["key-\(index)"] = [Int64(index), Int64(index % 7)] }
        let whole = Self.plain(model)
        let split = try Self.reload(whole) { _, value in value[1] != 0 }
        #expect(split.hotCount == model.values.filter { $0[1] == 0 }.count)
        #expect(split.coldCount == model.count - split.hotCount)
        Self.check(split, model, "after the split")
        #expect(split.snapshotBytes() == whole.snapshotBytes())
        // Splitting again keeps the old table's entries (now `kept`) and adds newly settled ones.
        let again = try Self.reload(split) { _, _ in true }
        #expect(again.hotCount == 0)
        Self.check(again, model, "after a second split")
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomWritesOverAColdTierMatchADictionary(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var model: [String: [Int64]] = [:]
        var map = Map()
        for step in 0..<600 {
            let key = "key-\(random.next() % 60)"
            switch random.next() % 12 {
            case 0, 1:
                let value = [Int64(step)]
                map[key] = value
                model[key] = value
            case 2:
                map[key] = nil
                model[key] = nil
            case 3:
                map[key]?.append(Int64(step))
                model[key]?.append(Int64(step))
            case 4:
                map[key, default: []].append(Int64(step))
                model[key, default: []].append(Int64(step))
            case 5:
                // Read-modify-write that removes through `_modify`.
                if var value = map[key], value.count > 2 {
                    value.removeFirst()
                    map[key] = value
                    model[key] = value
                } else {
                    map[key] = map[key]
                }
            case 7:
                // Insert, replace or remove through `_modify` itself (an inout argument), whichever tier holds the key.
                func write(_ slot: inout [Int64]?, _ value: [Int64]?) { slot = value }
                let value: [Int64]? = random.next() % 3 == 0 ? nil : [Int64(step), 7]
                write(&map[key], value)
                model[key] = value
            case 8:
                // The closure-based update: in place when held (whichever tier), nothing when missing.
                let answer = map.update(key) { value -> Int in
                    value.append(Int64(step))
                    return value.count
                }
                model[key]?.append(Int64(step))
                #expect(answer == model[key]?.count, "step \(step): update's answer")
            case 9:
                // The closure-based update with a default: inserts when missing (whichever tier), else in place.
                let answer = map.update(key, default: [-1]) { value -> Int in
                    value.append(Int64(step))
                    return value.count
                }
                model[key, default: [-1]].append(Int64(step))
                #expect(answer == model[key]?.count, "step \(step): update's answer")
            case 10:
                // A value moved into its slot: a new key, or one held (replaced), in either tier.
                let value = [Int64(step), 10]
                map.insertNew(key, value)
                model[key] = value
            case 6:
                let settle = random.next() % 2 == 0
                map = try Self.reload(map) { _, value in settle || value.count % 2 == 0 }
            default:
                Self.check(map, model, "step \(step)")
            }
        }
        Self.check(map, model, "the end")
    }

    @Test func updateChangesTheValueInPlaceAndLeavesCopiesAndMissingKeysAlone() throws {
        var map = Map()
        map["held"] = [1]
        let before = map
        #expect(map.update("held") { $0.append(2) } != nil)
        #expect(map["held"] == [1, 2])
        #expect(before["held"] == [1], "a copy taken before (a published snapshot) keeps its value")
        // A missing key: the body does not run, and neither the count nor the content changes.
        var ran = false
        let answer: Void? = map.update("missing") { _ in ran = true }
        #expect(answer == nil && !ran)
        #expect(map.count == 1 && map["missing"] == nil)
        #expect(map == Self.plain(["held": [1, 2]]))
        // A key only in the cold tier is copied up, changed; the table is not touched.
        let split = try Self.reload(map) { _, _ in true }
        var changed = split
        #expect(changed.update("held") { $0.append(3) } != nil)
        #expect(changed["held"] == [1, 2, 3] && changed.hotCount == 1 && changed.count == 1)
        #expect(split["held"] == [1, 2])
    }

    @Test func updateWithADefaultInsertsOnceAndInsertNewMovesTheValueIn() throws {
        var map = Map()
        var defaults = 0
        func fresh() -> [Int64] {
            defaults += 1
            return [0]
        }
        #expect(
            map.update("a", default: fresh()) { value -> Int in
                value.append(1)
                return value.count
            } == 2
        )
        #expect(
            map.update("a", default: fresh()) { value -> Int in
                value.append(2)
                return value.count
            } == 3
        )
        #expect(defaults == 1, "the default is built only for a missing key")
        #expect(map == Self.plain(["a": [0, 1, 2]]))
        let before = map
        map.insertNew("b", [5])
        #expect(map.count == 2 && map["b"] == [5])
        #expect(before.count == 1 && before["b"] == nil, "a copy taken before keeps its content")
        // Over a cold tier: a cold key is copied up and changed; a new key counts once; the table is untouched.
        let split = try Self.reload(map) { _, _ in true }
        var changed = split
        changed.update("a", default: fresh()) { $0.append(3) }
        changed.update("c", default: fresh()) { $0.append(4) }
        changed.insertNew("b", [6])
        #expect(defaults == 2)
        #expect(changed.count == 3 && changed.hotCount == 3 && changed.coldCount == 0)
        #expect(changed == Self.plain(["a": [0, 1, 2, 3], "b": [6], "c": [0, 4]]))
        #expect(split == Self.plain(["a": [0, 1, 2], "b": [5]]))
    }
}

extension ColdTableBuild {
    /// The table a checkpoint would write, held in memory.
    func inMemory() -> any ColdTable {
        var entries: [(fingerprint: ColdFingerprint, bytes: [UInt8])] = []
        if let base { entries += kept.map { (base.fingerprint(at: $0), base.entry(at: $0)) } }
        entries += added
        return InMemoryColdTable(entries.sorted { $0.fingerprint < $1.fingerprint })
    }
}

/// The deterministic generator of the tests above.
typealias SplitMix = SplitMix64

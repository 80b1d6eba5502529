import Foundation
import HashTreeCollections
import Testing

@testable import ParleyDomain

/// `CompactMap` against a plain dictionary, across the move from its array form to its tree form, and its encodings
/// against a `TreeDictionary` of the same entries (a chat's snapshot bytes and hash must not depend on the form).
@Suite struct CompactMapTests {
    static func key(_ number: Int) -> Identifier { Identifier(high: UInt64(number) << 40, low: UInt64(number)) }

    static func encoded(_ value: some SnapshotCodable) -> [UInt8] {
        var writer = BinaryWriter()
        value.snapshotEncode(to: &writer)
        return writer.bytes
    }

    static func decode<T: SnapshotCodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { buffer in
            var reader = BinaryReader(buffer)
            return try T(snapshotFrom: &reader)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomChangesMatchADictionaryAndLeaveCopiesAlone(seed: UInt64) {
        var random = SplitMix(seed: seed)
        var map = CompactMap<Identifier, Int>()
        var model: [Identifier: Int] = [:]
        var copies: [(CompactMap<Identifier, Int>, [Identifier: Int])] = []
        var sawSmall = false
        var sawLarge = false
        for step in 0..<3000 {
            // Keys from a range that starts below the array form's limit and widens past it, so that both forms are
            // written, read and copied.
            let range = 4 + step / 40
            let key = Self.key(Int.random(in: 0..<range, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6:
                map[key] = step
                model[key] = step
            case 6..<8:
                map[key] = nil
                model[key] = nil
            default:
                #expect(map[key] == model[key])
            }
            #expect(map.count == model.count)
            sawSmall = sawSmall || (!map.isLarge && map.count > 1)
            sawLarge = sawLarge || map.isLarge
            #expect(map.isLarge || map.count <= CompactMap<Identifier, Int>.smallLimit)
            if step % 97 == 0 { copies.append((map, model)) }
        }
        #expect(sawSmall && sawLarge)
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == model)
        #expect(map[Self.key(1_000_000)] == nil)
        for (copy, expected) in copies {
            #expect(Dictionary(uniqueKeysWithValues: copy.map { ($0.key, $0.value) }) == expected)
            #expect(copy.count == expected.count)
        }
    }

    /// The filter that lets a search skip the array never hides a key the map holds: keys equal as values (a text
    /// ClientToken in either Unicode normalization form) are found through each other, among many other keys and after
    /// removals, and keys that differ (a UUID token in upper and in lower case) stay apart.
    @Test func keysEqualAsValuesAreFoundThroughEachOther() {
        var generator = SplitMix(seed: 41)
        let participant = Self.key(7)
        let composed = ClientTokenKey(participant, .message, "caf\u{E9}-retry")
        let decomposed = ClientTokenKey(participant, .message, "cafe\u{301}-retry")
        #expect(composed == decomposed)
        let lower = ClientTokenKey(participant, .event, "0f8e1c6a-2b3d-4e5f-8a9b-0c1d2e3f4a5b")
        let upper = ClientTokenKey(participant, .event, "0F8E1C6A-2B3D-4E5F-8A9B-0C1D2E3F4A5B")
        #expect(lower != upper)
        var map = CompactMap<ClientTokenKey, SentRecord>()
        var others: [ClientTokenKey] = []
        for index in 0..<(CompactMap<ClientTokenKey, SentRecord>.smallLimit - 4) {
            let key = ClientTokenKeyTests.randomKey(using: &generator)
            guard key != composed, key != lower, key != upper, map[key] == nil else { continue }
            map[key] = SentRecord(id: Self.key(index), time: Int64(index))
            others.append(key)
        }
        map[composed] = SentRecord(id: Self.key(100), time: 100)
        map[lower] = SentRecord(id: Self.key(101), time: 101)
        #expect(!map.isLarge)
        #expect(map[decomposed] == SentRecord(id: Self.key(100), time: 100))
        #expect(map[upper] == nil)
        map[decomposed] = SentRecord(id: Self.key(102), time: 102)
        map[upper] = SentRecord(id: Self.key(103), time: 103)
        #expect(map.count == others.count + 3)
        #expect(map[composed] == SentRecord(id: Self.key(102), time: 102))
        #expect(map[lower] == SentRecord(id: Self.key(101), time: 101))
        for key in others.prefix(others.count / 2) { map[key] = nil }
        #expect(map[decomposed] == SentRecord(id: Self.key(102), time: 102))
        #expect(map[upper] == SentRecord(id: Self.key(103), time: 103))
        #expect(others.dropFirst(others.count / 2).allSatisfy { map[$0] != nil })
        #expect(others.prefix(others.count / 2).allSatisfy { map[$0] == nil })
    }

    @Test func theLatestValueOfARepeatedKeyWinsInTheArrayForm() {
        var map: CompactMap<Identifier, Int> = [Self.key(1): 1, Self.key(2): 2]
        map[Self.key(1)] = 10
        map[Self.key(3)] = 3
        map[Self.key(2)] = nil
        #expect(!map.isLarge)
        #expect(map.count == 2)
        #expect(map[Self.key(1)] == 10 && map[Self.key(2)] == nil && map[Self.key(3)] == 3)
    }

    @Test(arguments: [0, 1, 5, 16, 17, 40])
    func encodesAsATreeDictionaryOfTheSameEntries(size: Int) throws {
        var generator = SplitMix(seed: UInt64(size) + 11)
        var map = CompactMap<ClientTokenKey, SentRecord>()
        var tree = TreeDictionary<ClientTokenKey, SentRecord>()
        for index in 0..<size {
            let key = ClientTokenKeyTests.randomKey(using: &generator)
            let record = SentRecord(id: Self.key(index), time: Int64(index))
            map[key] = record
            tree[key] = record
        }
        #expect(map.isLarge == (map.count > CompactMap<ClientTokenKey, SentRecord>.smallLimit))
        #expect(Self.encoded(map) == Self.encoded(tree), "snapshot bytes")
        let decoded = try Self.decode(CompactMap<ClientTokenKey, SentRecord>.self, Self.encoded(tree))
        #expect(decoded == map)
        #expect(decoded.tree == tree)

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(map) == encoder.encode(tree), "JSON")
    }

    @Test func equalityIgnoresTheFormAndTheOrder() {
        let limit = CompactMap<Identifier, Int>.smallLimit
        var grown = CompactMap<Identifier, Int>()
        for number in 0...limit { grown[Self.key(number)] = number }
        grown[Self.key(limit)] = nil
        #expect(grown.isLarge)
        var small = CompactMap<Identifier, Int>()
        for number in (0..<limit).reversed() { small[Self.key(number)] = number }
        #expect(!small.isLarge)
        #expect(grown == small && small == grown)
        small[Self.key(0)] = -1
        #expect(grown != small && small != grown)
    }

    @Test func entriesAddedPastTheLimitStayFindableAcrossMerges() throws {
        let limit = CompactMap<Identifier, Int>.smallLimit
        var map = CompactMap<Identifier, Int>()
        var tree = TreeDictionary<Identifier, Int>()
        var copies: [(CompactMap<Identifier, Int>, Int)] = []
        for number in 0..<(6 * limit + 3) {
            map[Self.key(number)] = number
            tree[Self.key(number)] = number
            #expect(map.count == number + 1)
            #expect(map.isLarge == (number >= limit))
            #expect((0...number).allSatisfy { map[Self.key($0)] == $0 }, "after \(number)")
            #expect(map.tree == tree)
            #expect(Self.encoded(map) == Self.encoded(tree), "snapshot bytes after \(number)")
            if number % 7 == 0 { copies.append((map, number + 1)) }
        }
        // Entries in the tree and among the newest: changed, removed, and a removed key added again.
        for (number, value) in [(0, -1), (limit + 1, -2), (6 * limit + 2, -3)] {
            map[Self.key(number)] = value
            tree[Self.key(number)] = value
        }
        for number in [1, 6 * limit + 1] {
            map[Self.key(number)] = nil
            tree[Self.key(number)] = nil
        }
        map[Self.key(1)] = 1
        tree[Self.key(1)] = 1
        #expect(map.count == tree.count)
        #expect(map.tree == tree)
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }).count == tree.count)
        #expect(Self.encoded(map) == Self.encoded(tree))
        #expect(try Self.decode(CompactMap<Identifier, Int>.self, Self.encoded(map)) == map)
        // Copies taken along the way kept what they held.
        for (copy, count) in copies {
            #expect(copy.count == count)
            #expect((0..<count).allSatisfy { copy[Self.key($0)] == $0 })
            #expect(copy[Self.key(count)] == nil)
        }
    }

    @Test(arguments: [3, CompactMap<Identifier, Int>.smallLimit + 5])
    func anAppendToACopySharedWithASnapshotFillsTheNextSlotInPlace(size: Int) {
        var map = CompactMap<Identifier, Int>()
        for number in 0..<size { map[Self.key(number)] = number }
        let snapshot = map
        map[Self.key(size)] = size
        #expect(map.smallIdentity == snapshot.smallIdentity, "the array was not copied")
        #expect(map.count == size + 1 && map[Self.key(size)] == size)
        #expect(snapshot.count == size && snapshot[Self.key(size)] == nil)
        #expect(!snapshot.contains { $0.key == Self.key(size) })
        // Another copy of the snapshot finds the slot taken, and copies its own entries.
        var other = snapshot
        other[Self.key(999_999)] = -1
        #expect(other.smallIdentity != snapshot.smallIdentity)
        #expect(other.count == size + 1 && other[Self.key(999_999)] == -1 && other[Self.key(size)] == nil)
        #expect(map[Self.key(999_999)] == nil && snapshot[Self.key(999_999)] == nil)
        // Changing or removing a shared entry copies too.
        var changed = snapshot
        changed[Self.key(size - 1)] = -2
        var removed = snapshot
        removed[Self.key(size - 1)] = nil
        #expect(changed[Self.key(size - 1)] == -2 && removed[Self.key(size - 1)] == nil && removed.count == size - 1)
        #expect(snapshot[Self.key(size - 1)] == size - 1 && map[Self.key(size - 1)] == size - 1)
        #expect(snapshot.tree.count == size && map.tree.count == size + 1)
    }

    @Test func aRepeatedKeyInSnapshotBytesIsRefused() {
        var writer = BinaryWriter()
        writer.write(varUInt: 2)
        for _ in 0..<2 {
            Self.key(1).snapshotEncode(to: &writer)
            Int64(5).snapshotEncode(to: &writer)
        }
        #expect(throws: DecodeError.self) { try Self.decode(CompactMap<Identifier, Int64>.self, writer.bytes) }
    }
}

/// A chat's per-chat maps past the array form's limit, through the chat machine.
@Suite struct ChatCompactMapTests {
    @Test func aLongChatKeepsItsRetriesReceiptsAndMessageIndex() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat()
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        var sent: [Identifier] = []
        for number in 0..<40 {
            harness.advance(Duration.second)
            sent.append(try harness.send(token, "message \(number)", clientToken: "token-\(number)").id)
        }
        // A retry with an early token (in the tree form by now) gets the first answer, and records nothing.
        let session = try harness.chat(chat.contactId)
        #expect(session.sentByClientToken.isLarge && session.itemIndex.isLarge)
        #expect(try harness.send(token, "message 3", clientToken: "token-3").id == sent[3])
        #expect(try harness.chat(chat.contactId).items.count == session.items.count)
        // A receipt for an early message lands on it.
        let read = try harness.sendEvent(agentToken, ContentTypes.read, "{\"messageId\":\"\(sent[2])\"}")
        let after = try harness.chat(chat.contactId)
        let position = try #require(after.itemIndex[sent[2]])
        #expect(after.items[position].id == sent[2])
        #expect(after.items[position].receipts[agentId]?.readAt == read.time)
        // The index holds exactly the messages, at their positions.
        let messages = after.items.enumerated().filter { $0.element.type == "MESSAGE" }
        #expect(messages.count == 40 && after.items.count > 40)
        #expect(after.itemIndex.count == messages.count)
        #expect(messages.allSatisfy { after.itemIndex[$0.element.id] == $0.offset })
        try ChatStateSnapshotTests.roundTrip(harness.state, "a long chat", hashes: true)
        #expect(try harness.replayMatches())
    }
}

import Foundation
import HashTreeCollections
import ParleyDomain
import Testing

/// `ClientTokenKey` stands in for the text `participant/kind/token` the retry map was keyed by: it must write those
/// bytes and order as that text orders, or a chat's snapshot (and its hash) would change.
@Suite struct ClientTokenKeyTests {
    static func randomKey(using generator: inout some RandomNumberGenerator) -> ClientTokenKey {
        let token = Bool.random(using: &generator) ? randomText(using: &generator) : uuidLike(using: &generator)
        // Few participants, so keys often share a participant (and a kind) and the tokens decide.
        let participant = Identifier(high: UInt64.random(in: 0...2, using: &generator) << 60, low: 7)
        return ClientTokenKey(participant, Bool.random(using: &generator) ? .event : .message, token)
    }

    static func randomText(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("aZ09-_/.:é漢 ")
        let length = Int.random(in: 0...40, using: &generator)
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A UUID in lower, upper or mixed case, sometimes one character off (kept as text, not as 16 bytes); few
    /// distinct values, so that equal and near-equal tokens meet.
    static func uuidLike(using generator: inout some RandomNumberGenerator) -> String {
        let id = Identifier(high: UInt64.random(in: 0...3, using: &generator) << 62 | 0xABC, low: 0xDEF0_1234)
        var text = id.description
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: text = text.uppercased()
        case 1: text = text.prefix(20).uppercased() + text.dropFirst(20)
        case 2: text = text.replacingOccurrences(of: "-", with: "_")
        case 3: text += "0"
        default: break
        }
        return text
    }

    @Test func aTokenReadsBackAsItWasGivenInEveryForm() {
        let id = Identifier(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        let participant = Identifier(high: 9, low: 9)
        let forms = [
            id.description, id.description.uppercased(),
            id.description.prefix(20).uppercased() + id.description.dropFirst(20),
            "0000\(id.description.dropFirst(4))", "00000000-0000-0000-0000-000000000000", "token", "",
        ]
        var keys: [ClientTokenKey] = []
        for token in forms {
            let key = ClientTokenKey(participant, .message, token)
            #expect(key.token == token)
            #expect(key.text == "\(participant)/message/\(token)")
            keys.append(key)
        }
        // Lower and upper case spell one UUID but are different tokens.
        #expect(Set(keys).count == forms.count)
        var changed = keys[0]
        changed.token = forms[1]
        #expect(changed == keys[1] && changed.hashValue == keys[1].hashValue)
    }

    static func decode<T: SnapshotCodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { buffer in
            var reader = BinaryReader(buffer)
            return try T(snapshotFrom: &reader)
        }
    }

    @Test func ordersAsItsTextAndRoundTripsThroughIt() throws {
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<2000).map { _ in Self.randomKey(using: &generator) }
        let byKey = keys.sorted().map(\.text)
        let byText = keys.map(\.text).sorted()
        let first = byKey.indices.first { byKey[$0] != byText[$0] }
        #expect(first == nil, "ordered apart first at \(first ?? 0): \(first.map { (byKey[$0], byText[$0]) } as Any)")
        for key in keys.prefix(200) {
            #expect(ClientTokenKey(text: key.text) == key)
            var writer = BinaryWriter()
            key.snapshotEncode(to: &writer)
            var text = BinaryWriter()
            key.text.snapshotEncode(to: &text)
            #expect(writer.bytes == text.bytes)
            #expect(try Self.decode(ClientTokenKey.self, writer.bytes) == key)
        }
    }

    @Test func equalityAndHashingAgreeWithTheText() {
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<400).map { _ in Self.randomKey(using: &generator) }
        for (left, right) in zip(keys, keys.shuffled(using: &generator) + keys.prefix(50)) {
            #expect((left == right) == (left.text == right.text), "\(left.text) vs \(right.text)")
            if left == right { #expect(left.hashValue == right.hashValue) }
        }
        // Each part counts: a key with one part changed is another key, with another hash.
        let key = ClientTokenKey(Identifier(high: 1, low: 2), .message, "token-1")
        let others = [
            ClientTokenKey(Identifier(high: 1, low: 3), .message, "token-1"),
            ClientTokenKey(Identifier(high: 1, low: 2), .event, "token-1"),
            ClientTokenKey(Identifier(high: 1, low: 2), .message, "token-2"),
        ]
        for other in others {
            #expect(other != key && other.hashValue != key.hashValue, "\(other.text)")
        }
        #expect(Set(keys + keys).count == Set(keys.map(\.text)).count)
    }

    @Test func aMapOfKeysWritesWhatAMapOfTheirTextsWrote() throws {
        var generator = SystemRandomNumberGenerator()
        var byKey: TreeDictionary<ClientTokenKey, SentRecord> = [:]
        var byText: TreeDictionary<String, SentRecord> = [:]
        for index in 0..<500 {
            let key = Self.randomKey(using: &generator)
            let record = SentRecord(id: Identifier(high: 1, low: UInt64(index)), time: Int64(index))
            byKey[key] = record
            byText[key.text] = record
        }
        var keyed = BinaryWriter()
        byKey.snapshotEncode(to: &keyed)
        var texted = BinaryWriter()
        byText.snapshotEncode(to: &texted)
        #expect(keyed.bytes == texted.bytes, "the snapshot bytes differ")
        #expect(try Self.decode(TreeDictionary<ClientTokenKey, SentRecord>.self, keyed.bytes) == byKey)

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(byKey) == encoder.encode(byText))
    }

    @Test func textThatIsNotAKeyIsRefused() {
        for bad in ["", "x/message/t", "\(Identifier(high: 1, low: 2))/reply/t", "\(Identifier(high: 1, low: 2))"] {
            #expect(ClientTokenKey(text: bad) == nil)
            var writer = BinaryWriter()
            bad.snapshotEncode(to: &writer)
            #expect(throws: DecodeError.self) { try Self.decode(ClientTokenKey.self, writer.bytes) }
        }
    }
}

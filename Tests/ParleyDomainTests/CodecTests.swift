import Testing

@testable import ParleyDomain

/// Decodes `bytes` with `body`, requiring every byte to be consumed.
private func decoding<T>(
    _ bytes: [UInt8],
    _ body: (inout BinaryReader) throws(DecodeError) -> T
) throws(DecodeError)
    -> T
{
    let result: Result<T, DecodeError> = bytes.withUnsafeBytes { raw in
        var reader = BinaryReader(raw)
        do throws(DecodeError) {
            let value = try body(&reader)
            try reader.expectEnd()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// A value exercising every primitive, for round trips.
private struct Sample: Equatable {
    var unsigned: UInt64
    var signed: Int64
    var flag: Bool
    var text: String
    var blob: [UInt8]
    var id: Identifier
    var maybe: String?
    var list: [Int64]
    var map: [String: String]

    func encode(into writer: inout BinaryWriter) {
        writer.write(varUInt: unsigned)
        writer.write(varInt: signed)
        writer.write(bool: flag)
        writer.write(string: text)
        writer.write(bytes: blob)
        writer.write(identifier: id)
        writer.write(optional: maybe) { $0.write(string: $1) }
        writer.write(array: list) { $0.write(varInt: $1) }
        writer.write(stringMap: map)
    }

    static func decode(from reader: inout BinaryReader) throws(DecodeError) -> Sample {
        Sample(
            unsigned: try reader.readVarUInt(),
            signed: try reader.readVarInt(),
            flag: try reader.readBool(),
            text: try reader.readString(),
            blob: try reader.readBytes(),
            id: try reader.readIdentifier(),
            maybe: try reader.readOptional { (reader: inout BinaryReader) throws(DecodeError) in
                try reader.readString()
            },
            list: try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in try reader.readVarInt() },
            map: try reader.readStringMap()
        )
    }

    static func random(using generator: inout some RandomNumberGenerator) -> Sample {
        let texts = ["", "hello", "héllo wörld ✓", String(repeating: "x", count: 300), "日本語のテキスト"]
        return Sample(
            unsigned: [
                0, 1, 127, 128, 16_383, 16_384, UInt64.max, UInt64.random(in: 0...UInt64.max, using: &generator),
            ]
            .randomElement(using: &generator)!,
            signed: [0, -1, 1, -64, 64, Int64.min, Int64.max, Int64.random(in: .min ... .max, using: &generator)]
                .randomElement(using: &generator)!,
            flag: Bool.random(using: &generator),
            text: texts.randomElement(using: &generator)!,
            blob: (0..<Int.random(in: 0..<40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            },
            id: Identifier.random(using: &generator),
            maybe: Bool.random(using: &generator) ? texts.randomElement(using: &generator) : nil,
            list: (0..<Int.random(in: 0..<6, using: &generator)).map { _ in
                Int64.random(in: -1000...1000, using: &generator)
            },
            map: Dictionary(
                uniqueKeysWithValues: (0..<Int.random(in: 0..<5, using: &generator)).map {
                    ("key\($0)", texts[$0 % texts.count])
                }
            )
        )
    }
}

@Suite struct BinaryCodecTests {
    @Test func roundTripsEveryPrimitive() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let sample = Sample.random(using: &generator)
            var writer = BinaryWriter()
            sample.encode(into: &writer)
            #expect(
                try decoding(writer.bytes) { (reader: inout BinaryReader) throws(DecodeError) in
                    try Sample.decode(from: &reader)
                } == sample
            )
        }
    }

    @Test func varintsUseTheExpectedBytes() {
        func bytes(_ value: UInt64) -> [UInt8] {
            var writer = BinaryWriter()
            writer.write(varUInt: value)
            return writer.bytes
        }
        #expect(bytes(0) == [0])
        #expect(bytes(127) == [0x7F])
        #expect(bytes(128) == [0x80, 0x01])
        #expect(bytes(300) == [0xAC, 0x02])
        #expect(bytes(UInt64.max).count == 10)
        var writer = BinaryWriter()
        writer.write(varInt: -1)
        writer.write(varInt: 1)
        writer.write(varInt: -64)
        #expect(writer.bytes == [1, 2, 127])
    }

    @Test func everyTruncationIsATypedErrorNeverACrash() throws {
        var generator = SystemRandomNumberGenerator()
        var cases = 0
        for _ in 0..<200 {
            var writer = BinaryWriter()
            Sample.random(using: &generator).encode(into: &writer)
            for cut in 0..<writer.bytes.count {
                #expect(throws: DecodeError.self) {
                    try decoding(Array(writer.bytes[0..<cut])) { (reader: inout BinaryReader) throws(DecodeError) in
                        try Sample.decode(from: &reader)
                    }
                }
                cases += 1
            }
        }
        #expect(cases > 10_000)
    }

    @Test func garbageIsRejectedOrDecodedButNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let garbage = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? decoding(garbage) { (reader: inout BinaryReader) throws(DecodeError) in
                try Sample.decode(from: &reader)
            }
        }
    }

    @Test func malformedInputsNameTheProblem() {
        #expect(throws: DecodeError(.overflow, "varint does not fit 64 bits", offset: 0)) {
            try decoding([UInt8](repeating: 0xFF, count: 10) + [0x01]) {
                (reader: inout BinaryReader) throws(DecodeError) in
                try reader.readVarUInt()
            }
        }
        #expect(throws: DecodeError(.invalidUTF8, "string is not valid UTF-8", offset: 0)) {
            try decoding([2, 0xC3, 0x28]) { (reader: inout BinaryReader) throws(DecodeError) in try reader.readString()
            }
        }
        #expect(throws: DecodeError(.invalidValue, "boolean byte 7", offset: 0)) {
            try decoding([7]) { (reader: inout BinaryReader) throws(DecodeError) in try reader.readBool() }
        }
        #expect(throws: DecodeError(.invalidValue, "map keys out of order or repeated", offset: 5)) {
            try decoding([2, 1, 0x62, 1, 0x78, 1, 0x61, 1, 0x79]) { (reader: inout BinaryReader) throws(DecodeError) in
                try reader.readStringMap()
            }
        }
        #expect(throws: DecodeError(.trailingBytes, "1 bytes after the end of the value", offset: 1)) {
            try decoding([1, 9]) { (reader: inout BinaryReader) throws(DecodeError) in try reader.readBool() }
        }
    }

    @Test func mapsEncodeIdenticallyWhateverTheInsertionOrder() {
        var first = BinaryWriter()
        first.write(stringMap: ["b": "2", "a": "1", "c": "3"])
        var second = BinaryWriter()
        var map: [String: String] = [:]
        for (key, value) in [("c", "3"), ("a", "1"), ("b", "2")] { map[key] = value }
        second.write(stringMap: map)
        #expect(first.bytes == second.bytes)
    }
}

@Suite struct IdentifierTests {
    @Test func parsesAndPrintsUUIDs() throws {
        let text = "6513270e-269e-0d37-f2a7-4de452e6b438"
        let id = try #require(Identifier(text))
        #expect(id.description == text)
        #expect(Identifier(text.uppercased()) == id)
        for bad in [
            "", "6513270e269e0d37f2a74de452e6b438", "6513270e-269e-0d37-f2a7-4de452e6b43",
            "g513270e-269e-0d37-f2a7-4de452e6b438",
        ] {
            #expect(Identifier(bad) == nil)
        }
    }

    @Test func leadingDigitsReadTheIdentifierATokenStartsWith() throws {
        let id = try #require(Identifier("6513270e-269e-0d37-f2a7-4de452e6b438"))
        let other = Identifier(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        let token = id.digits(followedBy: other)
        #expect(Identifier.leadingDigits(of: token) == id)
        #expect(Identifier.leadingDigits(of: String(token.dropFirst(32))) == other)
        #expect(Identifier.leadingDigits(of: token.uppercased()) == id)
        #expect(Identifier.leadingDigits(of: id.digits()) == id)
        for bad in ["", String(id.digits().dropLast()), "g" + id.digits().dropFirst(), id.description, "é" + token] {
            #expect(Identifier.leadingDigits(of: bad) == nil, "\(bad)")
        }
    }

    @Test func randomIdentifiersAreVersion4() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let text = Identifier.random(using: &generator).description
            #expect(Array(text)[14] == "4")
            #expect("89ab".contains(Array(text)[19]))
            #expect(Identifier(text)?.description == text)
        }
    }

    @Test(arguments: HashSpread.secrets)
    func hashesSpreadRandomIdentifiersOverEveryFiveBitLevel(secret: UInt64) {
        // Every window must spread version-4 identifiers (whose fixed version and variant bits a plain fold of the
        // halves would keep).
        var generator = SplitMix(seed: 42)
        let hashes = (0..<8192).map { _ in Identifier.random(using: &generator).keyedHash(seed: 0, secret: secret) }
        #expect(HashSpread.unevenWindows(hashes) == [])
    }

    @Test func identifiersParseTheirTextInEitherCaseAndRefuseAnythingElse() throws {
        var generator = SplitMix64(seed: 0x1D)
        for _ in 0..<200 {
            let id = Identifier.random(using: &generator)
            #expect(Identifier(id.description) == id)
            #expect(Identifier(id.description.uppercased()) == id)
        }
        let text = Array("0123abcd-ef45-6789-ABCD-EF0123456789".utf8)
        let id = try #require(Identifier(String(decoding: text, as: UTF8.self)))
        #expect(id == Identifier(high: 0x0123_ABCD_EF45_6789, low: 0xABCD_EF01_2345_6789))
        // Every byte that is not a hex digit where a digit goes, or not a dash where one goes, is refused.
        let hex = Set("0123456789abcdefABCDEF".utf8)
        for position in text.indices {
            for byte in UInt8(0)...UInt8(255) {
                var bad = text
                bad[position] = byte
                let dash = [8, 13, 18, 23].contains(position)
                let valid = dash ? byte == UInt8(ascii: "-") : hex.contains(byte)
                let parsed = bad.withUnsafeBufferPointer { Identifier.parse($0) }
                #expect((parsed != nil) == valid, "byte \(byte) at \(position)")
            }
        }
        for short in ["", "0123abcd-ef45-6789-abcd-ef012345678", "0123abcd-ef45-6789-abcd-ef01234567890"] {
            #expect(Identifier(short) == nil)
        }
    }

    @Test func hashesDependOnBothHalvesAndTheSeedAndAgreeWithEquality() throws {
        let id = try #require(Identifier("6513270e-269e-4d37-b2a7-4de452e6b438"))
        let same = try #require(Identifier("6513270E-269E-4D37-B2A7-4DE452E6B438"))
        #expect(id.hashValue == same.hashValue)
        #expect(id._rawHashValue(seed: 7) == same._rawHashValue(seed: 7))
        #expect(id.hashValue == id._rawHashValue(seed: 0))
        var otherHigh = id
        otherHigh.high ^= 1 << 40
        var otherLow = id
        otherLow.low ^= 1 << 3
        #expect(Set([id, otherHigh, otherLow].map(\.hashValue)).count == 3)
        #expect(id._rawHashValue(seed: 1) != id._rawHashValue(seed: 2))
        #expect(Set([id, same, otherHigh, otherLow]).count == 3)
    }

    @Test func digitsAreTheDashedFormWithoutDashes() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let first = Identifier.random(using: &generator)
            let second = Identifier.random(using: &generator)
            let token = first.digits(followedBy: second)
            #expect(token == (first.description + second.description).filter { $0 != "-" })
            #expect(token.utf8.count == 64)
            #expect(first.digits() == String(token.prefix(32)))
        }
        let edges = try #require(Identifier("00000000-0000-4000-8000-00000000000f"))
        #expect(edges.digits() == "000000000000400080000000000000" + "0f")
    }
}

/// A test event with two schema versions: v2 added `author`.
private struct NoteAdded: VersionedEvent {
    static let tag: UInt16 = 0xFFF0
    static let name = "NoteAdded"
    static let currentVersion: UInt8 = 2
    var id: Identifier
    var text: String
    var author: String?

    func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: id)
        writer.write(string: text)
        writer.write(optional: author) { $0.write(string: $1) }
    }

    static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> NoteAdded {
        let id = try reader.readIdentifier()
        let text = try reader.readString()
        // Version 1 had no author: upcast with nil.
        let author =
            version >= 2
            ? try reader.readOptional { (reader: inout BinaryReader) throws(DecodeError) in try reader.readString() }
            : nil
        return NoteAdded(id: id, text: text, author: author)
    }
}

@Suite struct VersionedEventTests {
    /// The bytes a version-1 build wrote for NoteAdded(id, "hi"): kept verbatim so v1 stays decodable forever.
    static let version1Fixture: [UInt8] =
        [1] + [0x65, 0x13, 0x27, 0x0E, 0x26, 0x9E, 0x4D, 0x37, 0xB2, 0xA7, 0x4D, 0xE4, 0x52, 0xE6, 0xB4, 0x38]
        + [2, 0x68, 0x69]

    @Test func oldVersionsAreUpcast() throws {
        let event = try EventCodec.decode(NoteAdded.self, payload: Self.version1Fixture)
        #expect(event.id.description == "6513270e-269e-4d37-b2a7-4de452e6b438")
        #expect(event.text == "hi" && event.author == nil)
    }

    @Test func currentVersionRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        let event = NoteAdded(id: .random(using: &generator), text: "hello", author: "agent")
        let (tag, payload) = EventCodec.encode(event)
        #expect(tag == NoteAdded.tag && payload.first == 2)
        #expect(try EventCodec.decode(NoteAdded.self, payload: payload) == event)
    }

    @Test func unknownVersionsAreRefused() {
        for version: UInt8 in [0, 3, 255] {
            #expect(throws: DecodeError.self) {
                try EventCodec.decode(NoteAdded.self, payload: [version] + Self.version1Fixture.dropFirst())
            }
        }
    }
}

@Suite struct EventVersionTests {
    @Test func participantLeftVersion2CarriesEffectiveAtAndVersion1UpcastsWithout() throws {
        let chat = Identifier(high: 1, low: 2)
        var event = ParticipantLeft(
            chatId: chat,
            contactId: chat,
            participantId: Identifier(high: 3, low: 4),
            reason: .expired,
            itemId: Identifier(high: 5, low: 6),
            effectiveAt: 1_767_229_200_000_001
        )
        let (tag, payload) = EventCodec.encode(event)
        #expect(tag == 0x0103)
        #expect(payload.first == 2)
        #expect(try EventCodec.decode(ParticipantLeft.self, payload: payload) == event)
        // A version-1 payload is the version-2 one without the trailing optional.
        var v1 = Array(payload.dropLast(payload.count - (1 + 16 + 16 + 16 + 1 + 16)))
        v1[0] = 1
        event.effectiveAt = nil
        #expect(try EventCodec.decode(ParticipantLeft.self, payload: v1) == event)
        // Version 3 does not exist yet.
        var future = payload
        future[0] = 3
        #expect(throws: DecodeError.self) { try EventCodec.decode(ParticipantLeft.self, payload: future) }
    }
}

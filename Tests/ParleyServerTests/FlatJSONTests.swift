import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParleyDomain
import Testing

@testable import ParleyServer

/// The flat JSON reader and writer of the send calls must read and write exactly what Foundation's coders do, or
/// step aside: generated bodies are decoded both ways and compared.
@Suite struct FlatJSONTests {
    typealias SendBody = ParticipantAPI.SendBody
    typealias SentAnswer = ParticipantAPI.SentAnswer

    /// A deterministic generator, so a failure can be replayed.
    typealias Generator = SplitMix64

    /// Text pieces: ASCII, the characters JSON must escape, and one-, two-, three- and four-byte UTF-8.
    static let scalars: [Unicode.Scalar] =
        Array("aZ09 .,:;{}[]'~".unicodeScalars) + ["\"", "\\", "/", "\u{7F}", "é", "中", "😀", "\u{301}", "\u{FFFF}"]
        + (0..<0x20).map { Unicode.Scalar(UInt8($0)) }

    /// A JSON string literal for `text`, with each scalar written in one of the forms JSON allows for it.
    static func literal(_ text: String, _ random: inout Generator) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        func unit(_ value: UInt32, upper: Bool) {
            bytes += Array(("\\u" + String(format: upper ? "%04X" : "%04x", value)).utf8)
        }
        for scalar in text.unicodeScalars {
            let upper = random.chance(50)
            switch scalar {
            case "\"": bytes += random.chance(80) ? Array(#"\""#.utf8) : Array(#"\u0022"#.utf8)
            case "\\": bytes += random.chance(80) ? Array(#"\\"#.utf8) : Array(#"\u005C"#.utf8)
            case "/": bytes += random.chance(50) ? [UInt8(ascii: "/")] : Array(#"\/"#.utf8)
            case "\n" where random.chance(70): bytes += Array(#"\n"#.utf8)
            case "\t" where random.chance(70): bytes += Array(#"\t"#.utf8)
            case "\r" where random.chance(70): bytes += Array(#"\r"#.utf8)
            case "\u{08}" where random.chance(70): bytes += Array(#"\b"#.utf8)
            case "\u{0C}" where random.chance(70): bytes += Array(#"\f"#.utf8)
            case _ where scalar.value < 0x20: unit(scalar.value, upper: upper)
            case _ where scalar.value >= 0x10000 && random.chance(40):
                let offset = scalar.value - 0x10000
                unit(0xD800 + (offset >> 10), upper: upper)
                unit(0xDC00 + (offset & 0x3FF), upper: upper)
            case _ where random.chance(15): unit(scalar.value, upper: upper)
            default: bytes += Array(String(scalar).utf8)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    static func text(_ random: inout Generator) -> String {
        var text = ""
        for _ in 0..<random.below(12) { text.unicodeScalars.append(scalars[random.below(scalars.count)]) }
        return text
    }

    static func whitespace(_ random: inout Generator) -> [UInt8] {
        let spaces: [UInt8] = [0x20, 0x0A, 0x0D, 0x09]
        return random.chance(70) ? [] : (0..<random.below(3) + 1).map { _ in spaces[random.below(4)] }
    }

    /// Ways to spoil a body; each must make the reader step aside or agree with `JSONDecoder`.
    enum Flaw: CaseIterable {
        case loneSurrogate, rawControl, invalidUTF8, badEscape, truncated, trailingComma, number, nested, duplicate,
            missingContentType, nullContentType, textAfter, shortUnicode, boolean
    }

    /// A body of SendMessage's shape with unknown members mixed in, maybe spoiled by `flaw`.
    static func body(_ random: inout Generator, flaw: Flaw?) -> [UInt8] {
        var members: [(key: String, value: [UInt8])] = []
        if flaw != .missingContentType {
            members.append(
                ("ContentType", flaw == .nullContentType ? Array("null".utf8) : literal(text(&random), &random))
            )
        }
        if random.chance(80) {
            members.append(("Content", random.chance(15) ? Array("null".utf8) : literal(text(&random), &random)))
        }
        if random.chance(50) {
            members.append(("ClientToken", random.chance(15) ? Array("null".utf8) : literal(text(&random), &random)))
        }
        for index in 0..<random.below(3) {
            members.append(("Other\(index)", random.chance(20) ? Array("null".utf8) : literal(text(&random), &random)))
        }
        var spoiled = members.indices.randomElement(using: &random) ?? 0
        if members.isEmpty {
            members.append(("X", Array(#""x""#.utf8)))
            spoiled = 0
        }
        switch flaw {
        case .loneSurrogate: members[spoiled].value.insert(contentsOf: Array(#"\uD83D"#.utf8), at: 1)
        case .rawControl: members[spoiled].value.insert(0x01, at: 1)
        case .invalidUTF8: members[spoiled].value.insert(contentsOf: random.chance(50) ? [0xFF] : [0xE4, 0xB8], at: 1)
        case .badEscape: members[spoiled].value.insert(contentsOf: Array(#"\x"#.utf8), at: 1)
        case .shortUnicode: members[spoiled].value.insert(contentsOf: Array(#"\u12G4"#.utf8), at: 1)
        case .number: members.append(("Other9", Array("12".utf8)))
        case .boolean: members.append(("Other9", Array("true".utf8)))
        case .nested: members.append(("Other9", Array(#"{"a":"b"}"#.utf8)))
        case .duplicate: members.append(members[spoiled])
        default: break
        }
        members.shuffle(using: &random)
        var bytes = whitespace(&random) + [UInt8(ascii: "{")]
        for (index, member) in members.enumerated() {
            if index > 0 { bytes += whitespace(&random) + [UInt8(ascii: ",")] }
            bytes += whitespace(&random) + literal(member.key, &random) + whitespace(&random) + [UInt8(ascii: ":")]
            bytes += whitespace(&random) + member.value
        }
        if flaw == .trailingComma { bytes.append(UInt8(ascii: ",")) }
        bytes += whitespace(&random) + [UInt8(ascii: "}")] + whitespace(&random)
        if flaw == .textAfter { bytes += Array("x".utf8) }
        if flaw == .truncated { bytes.removeLast(random.below(bytes.count - 1) + 1) }
        return bytes
    }

    static func fast(_ bytes: [UInt8]) -> SendBody? {
        bytes.withUnsafeBytes(FlatJSONObject.parse).flatMap(SendBody.init(flat:))
    }

    static func equal(_ left: SendBody, _ right: SendBody) -> Bool {
        left.contentType == right.contentType && left.content == right.content && left.clientToken == right.clientToken
    }

    @Test func sound_bodiesReadAsJSONDecoderReadsThem() throws {
        var random = Generator(seed: 1)
        for _ in 0..<4000 {
            let bytes = Self.body(&random, flaw: nil)
            let reference = try JSONDecoder().decode(SendBody.self, from: Data(bytes))
            let fast = try #require(
                Self.fast(bytes),
                "the reader stepped aside on \(String(decoding: bytes, as: UTF8.self))"
            )
            #expect(Self.equal(fast, reference), "\(String(decoding: bytes, as: UTF8.self))")
            // Every member, the unknown ones too, reads as Foundation reads it.
            let members = try #require(bytes.withUnsafeBytes(FlatJSONObject.parse)).members
            let dictionary = try JSONDecoder().decode([String: String?].self, from: Data(bytes))
            #expect(members.count == dictionary.count)
            for member in members { #expect(dictionary[member.key] == .some(member.value)) }
        }
    }

    @Test(arguments: Flaw.allCases)
    func spoiled_bodiesAreLeftToJSONDecoderOrReadTheSame(_ flaw: Flaw) {
        var random = Generator(seed: UInt64(Flaw.allCases.firstIndex(of: flaw)!) + 100)
        var declined = 0
        for _ in 0..<500 {
            let bytes = Self.body(&random, flaw: flaw)
            let reference = try? JSONDecoder().decode(SendBody.self, from: Data(bytes))
            guard let fast = Self.fast(bytes) else {
                declined += 1
                continue
            }
            // Whatever the reader accepts, Foundation decodes to the same body.
            guard let reference else {
                Issue.record("accepted a body JSONDecoder refuses: \(String(decoding: bytes, as: UTF8.self))")
                continue
            }
            #expect(Self.equal(fast, reference))
        }
        // Every flaw but a duplicate of an unknown member, or a flaw cut off by truncation, makes the reader step aside.
        #expect(declined >= 400, "\(flaw): declined only \(declined) of 500")
    }

    struct Expected {
        var contentType: String
        var content: String? = nil
        var clientToken: String? = nil
        init(_ contentType: String, content: String? = nil, clientToken: String? = nil) {
            self.contentType = contentType
            self.content = content
            self.clientToken = clientToken
        }
    }

    @Test func handWrittenBodies() {
        let cases: [(String, Expected?)] = [
            (#"{"ContentType":"text/plain","Content":"hi"}"#, Expected("text/plain", content: "hi")),
            (" {\n\t\"Content\" : null ,\"ContentType\":\"a\\/b\" } \r\n", Expected("a/b")),
            (#"{"ContentType":"t","Content":"\uD83D\uDE00\u00e9\"\\"}"#, Expected("t", content: "😀é\"\\")),
            (#"{"ContentType":"t","ClientToken":"\u0000"}"#, Expected("t", clientToken: "\u{0}")),
            (#"{"ContentType":"t","Extra":"x"}"#, Expected("t")),
            (#"{"ContentType":"t","Content":"\uDE00"}"#, nil),
            (#"{"ContentType":"t","Content":"\uD83D"}"#, nil),
            (#"{"ContentType":"t",}"#, nil),
            (#"{"ContentType":"t"}x"#, nil),
            (#"{"ContentType":"t","N":1}"#, nil),
            (#"{"ContentType":null}"#, nil),
            (#"{"Content":"x"}"#, nil),
            (#"{"ContentType":"t","ContentType":"u"}"#, nil),
            (#"["ContentType"]"#, nil),
            ("", nil),
            ("{", nil),
            (#"{"ContentType":"t"#, nil),
        ]
        for (body, expected) in cases {
            let fast = Self.fast(Array(body.utf8))
            switch (fast, expected) {
            case (nil, nil): break
            case (let fast?, let expected?):
                #expect(
                    fast.contentType == expected.contentType && fast.content == expected.content
                        && fast.clientToken == expected.clientToken,
                    "\(body)"
                )
            default: Issue.record("\(body): read \(String(describing: fast)), expected \(String(describing: expected))")
            }
        }
    }

    /// Text that is not valid UTF-8 makes the reader step aside, escaped or not; valid multi-byte text reads back.
    @Test func invalidUTF8IsDeclined() throws {
        let invalid: [[UInt8]] = [
            [0xFF], [0x80], [0xC0, 0x80], [0xC3], [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF0, 0x9F, 0x98], [0xEF, 0xBF], [0xE0, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        ]
        let valid: [[UInt8]] = [
            [0xC3, 0xA9], [0xE4, 0xB8, 0xAD], [0xEF, 0xBF, 0xBD], [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        func body(_ text: [UInt8], escaped: Bool) -> [UInt8] {
            // An escape sends the string through the unescaping path, which validates its own copy.
            Array(#"{"ContentType":"t","Content":"a"#.utf8) + (escaped ? Array(#"\n"#.utf8) : []) + text
                + Array(#"z"}"#.utf8)
        }
        for bytes in invalid {
            for escaped in [false, true] {
                #expect(Self.fast(body(bytes, escaped: escaped)) == nil, "\(bytes), escaped: \(escaped)")
                #expect(Self.fast(body(bytes + bytes, escaped: escaped)) == nil, "\(bytes) twice, escaped: \(escaped)")
            }
        }
        for bytes in valid {
            for escaped in [false, true] {
                let fast = try #require(Self.fast(body(bytes, escaped: escaped)), "\(bytes), escaped: \(escaped)")
                let reference = try JSONDecoder().decode(SendBody.self, from: Data(body(bytes, escaped: escaped)))
                #expect(Self.equal(fast, reference), "\(bytes), escaped: \(escaped)")
                #expect(fast.content == "a" + (escaped ? "\n" : "") + String(decoding: bytes, as: UTF8.self) + "z")
            }
        }
    }

    /// The answer's bytes are JSONEncoder's, for every ASCII character and for random text.
    @Test func answersAreWhatJSONEncoderWrites() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var random = Generator(seed: 7)
        var answers = (0..<0x80).map { SentAnswer(id: "a\(Character(Unicode.Scalar(UInt8($0))))b", absoluteTime: "t") }
        for _ in 0..<2000 { answers.append(SentAnswer(id: Self.text(&random), absoluteTime: Self.text(&random))) }
        for answer in answers {
            let expected = try encoder.encode(answer)
            #expect(Array(answer.flatJSON().readableBytesView) == Array(expected), "\(answer)")
        }
        // JSONResponse.make takes the direct path for the answer, and writes the same.
        let answer = SentAnswer(id: "x/\"y\"", absoluteTime: "2026-11-23T08:00:00.000Z")
        let response = JSONResponse.make(answer)
        #expect(response.headers[.contentType] == "application/json")
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        #expect(collected.bytes == Array(try encoder.encode(answer)))
    }

    final class Collected: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    struct CollectingWriter: ResponseBodyWriter {
        let into: Collected
        mutating func write(_ buffer: ByteBuffer) async throws { into.bytes += buffer.readableBytesView }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

extension SplitMix64 {
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

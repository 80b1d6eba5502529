import Testing

@testable import ParleyDomain

/// `ContactRecordBuilder.characterCount`, which reads ASCII text eight bytes at a time, against `String.count`.
@Suite struct CharacterCountTests {
    @Test func crLfPairsAtEveryOffsetAndNonASCIIAfterTheFirstWordsCountAsStringCountDoes() {
        var cases: [String] = ["", "a", "\r\n", "\r", "\n", "\n\r"]
        for length in [7, 8, 9, 15, 16, 17, 24, 40] {
            for offset in 0..<length {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
                bytes[offset] = 0x0D
                if offset + 1 < length { bytes[offset + 1] = 0x0A }
                cases.append(String(decoding: bytes, as: UTF8.self))
                let plain = String(repeating: "y", count: offset)
                cases.append(plain + "é" + String(repeating: "z", count: length - offset))
                cases.append(plain + "👩‍💻\r\n" + String(repeating: "z", count: length - offset))
            }
        }
        for text in cases {
            #expect(ContactRecordBuilder.characterCount(text) == text.count, "\(Array(text.utf8))")
        }
    }

    @Test func randomTextCountsAsStringCountDoes() {
        let pieces = ["a", "Z", " ", "\r", "\n", "\r\n", "\t", "é", "ß", "中", "👍", "🇩🇪", "e\u{301}"]
        var generator = SplitMix(seed: 42)
        for _ in 0..<2_000 {
            let parts = Int(generator.next() % 40)
            var text = ""
            for _ in 0..<parts {
                // Mostly ASCII, as chat messages are, so that the eight-byte path runs long stretches.
                let index = Int(generator.next() % 100)
                text += index < 90 ? pieces[index % 7] : pieces[7 + index % 6]
            }
            #expect(ContactRecordBuilder.characterCount(text) == text.count, "\(Array(text.utf8))")
        }
    }
}

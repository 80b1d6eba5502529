import CLZ4
import CParleyCRC32C
import EventLog
import Foundation
import Testing

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func hardwareIsUsedWhenTheCPUHasSSE42() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpuinfo.contains(" sse4_2") {
            #expect(CRC32C.usesHardware)
        }
    }

    @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099])
    func hardwareAndPortableAgree(length: Int) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length + 8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { raw in
            for shift in 0..<8 {
                let slice = UnsafeRawBufferPointer(rebasing: raw[shift..<shift + length])
                let portable = parley_crc32c_update_portable(0, slice.baseAddress, slice.count)
                #expect(CRC32C.checksum(slice) == portable)
                if parley_crc32c_hardware_available() != 0 {
                    #expect(parley_crc32c_update_hardware(0, slice.baseAddress, slice.count) == portable)
                }
                // Incremental use equals one pass.
                let half = slice.count / 2
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[0..<half]))
                #expect(
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[half...]), continuing: first) == portable
                )
            }
        }
    }
}

@Suite struct LZ4BlockTests {
    @Test func roundTripAndIncompressibleInput() throws {
        var codec = LZ4Block()
        let text = Array(String(repeating: "{\"type\":\"message\",\"text\":\"hello\"}\n", count: 200).utf8)
        let compressed = try text.withUnsafeBytes { try codec.compress($0).map { Array($0) } }
        let stored = try #require(compressed)
        #expect(stored.count < text.count / 4)
        var out = [UInt8](repeating: 0, count: text.count)
        try stored.withUnsafeBytes { source in
            try out.withUnsafeMutableBytes { try LZ4Block.decompress(source, into: $0, rawLength: text.count) }
        }
        #expect(out == text)

        var generator = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(try noise.withUnsafeBytes { try codec.compress($0) } == nil)
    }

    /// One codec compresses block after block with one reused state: each block stands alone (it decompresses by
    /// itself) and is byte for byte what a fresh codec makes of the same input, whatever came before. (LZ4's one-shot
    /// call can pick other matches for inputs under 64 KiB: it uses a 16-bit table there.)
    @Test func eachBlockDependsOnNoEarlierInput() throws {
        var reused = LZ4Block()
        var generator = SystemRandomNumberGenerator()
        let words = ["hello", "message", "customer", "agent", "{\"type\":", "queue", "0123456789"]
        for round in 0..<300 {
            let count =
                round % 3 == 0
                ? Int.random(in: 20...200, using: &generator) : Int.random(in: 1...4000, using: &generator)
            let input = Array((0..<count).map { _ in words.randomElement(using: &generator)! }.joined().utf8)
            let block = try input.withUnsafeBytes { try reused.compress($0).map { Array($0) } }
            var fresh = LZ4Block()
            #expect(try input.withUnsafeBytes { try fresh.compress($0).map { Array($0) } } == block)
            if let oneShot = Self.oneShot(input), let block { #expect(oneShot.count <= block.count + block.count / 8) }
            guard let block else { continue }
            var out = [UInt8](repeating: 0, count: input.count)
            try block.withUnsafeBytes { source in
                try out.withUnsafeMutableBytes { try LZ4Block.decompress(source, into: $0, rawLength: input.count) }
            }
            #expect(out == input)
        }
    }

    /// `LZ4_compress_default` into `input.count - 1` bytes, as the codec asks for; nil when it does not fit.
    static func oneShot(_ input: [UInt8]) -> [UInt8]? {
        var out = [CChar](repeating: 0, count: max(input.count - 1, 1))
        let written = input.withUnsafeBytes { source in
            LZ4_compress_default(
                source.baseAddress!.assumingMemoryBound(to: CChar.self),
                &out,
                Int32(input.count),
                Int32(input.count - 1)
            )
        }
        return written > 0 ? out.prefix(Int(written)).map { UInt8(bitPattern: $0) } : nil
    }

    @Test func malformedInputIsAnErrorNotACrash() throws {
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8](repeating: 0, count: 1000)
        var failures = 0
        for _ in 0..<500 {
            let garbage = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
            do {
                try garbage.withUnsafeBytes { source in
                    try out.withUnsafeMutableBytes { try LZ4Block.decompress(source, into: $0, rawLength: 1000) }
                }
            } catch let error as EventLogError {
                #expect(error.code == .compression)
                failures += 1
            }
        }
        #expect(failures == 500)
    }
}

@Suite struct LogTimeTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00.000000Z", Int64(0)),
        ("2026-11-21T19:41:05.123456Z", Int64(1_795_290_065_123_456)),
        ("2000-02-29T23:59:59.999999Z", Int64(951_868_799_999_999)),
        ("1969-12-31T23:59:59.999999Z", Int64(-1)),
    ])
    func formatsAndParses(text: String, micros: Int64) {
        #expect(LogTime.iso8601(micros) == text)
        #expect(LogTime.parse(text) == micros)
    }

    @Test func parsesOffsetsAndShortFractions() {
        #expect(LogTime.parse("2026-11-21T20:41:05+01:00") == LogTime.parse("2026-11-21T19:41:05Z"))
        #expect(LogTime.parse("2026-11-21T19:41:05.5Z") == LogTime.parse("2026-11-21T19:41:05Z")! + 500_000)
        #expect(LogTime.parse("2026-13-21T19:41:05Z") == nil)
        #expect(LogTime.parse("yesterday") == nil)
    }

    @Test func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        for micros in stride(from: Int64(-5_000_000_000_000_000), to: 5_000_000_000_000_000, by: 37_123_456_789_123) {
            let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(LogTime.iso8601(micros).prefix(19) == expected.prefix(19))
        }
    }
}

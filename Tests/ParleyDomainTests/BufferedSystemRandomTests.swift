import Testing

@testable import ParleyDomain

/// `BufferedSystemRandom`: one system call per pool, draws that never repeat across copies or threads, and bits that
/// look random.
@Suite struct BufferedSystemRandomTests {
    @Test func onePoolServesItsWordsBeforeTheNextRefill() {
        var generator = BufferedSystemRandom()
        #expect(generator.refills == 0)
        for _ in 0..<BufferedSystemRandom.poolWords { _ = generator.next() }
        #expect(generator.refills == 1)
        _ = generator.next()
        #expect(generator.refills == 2)
        for _ in 0..<(10 * BufferedSystemRandom.poolWords) { _ = generator.next() }
        #expect(generator.refills == 12)
    }

    /// A copy shares the pool: a decision context's copy that was not written back cannot hand out the words the
    /// engine's generator hands out next. A pool held by value would repeat them here.
    @Test func copiesShareOnePoolAndNeverRepeatADraw() {
        var original = BufferedSystemRandom()
        var seen = Set<UInt64>()
        for round in 0..<200 {
            var copy = original
            // The copy draws a few words and is dropped; the original goes on from where the copy stopped.
            for _ in 0..<(round % 7) { #expect(seen.insert(copy.next()).inserted) }
            for _ in 0..<3 { #expect(seen.insert(original.next()).inserted) }
        }
        #expect(seen.count > 600)
    }

    @Test func concurrentDrawsAreAllDistinct() async {
        let generator = BufferedSystemRandom()
        let drawn = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine = generator
                    return (0..<5_000).map { _ in mine.next() }
                }
            }
            var all: [UInt64] = []
            for await part in group { all += part }
            return all
        }
        #expect(drawn.count == 40_000)
        #expect(Set(drawn).count == drawn.count)
    }

    /// Each of the 64 bit positions is set in about half of 20,000 draws: a word left zero, or a pool handed out
    /// before it was filled, fails it. The bound is 7 standard deviations (about one false failure in 10¹¹ runs).
    @Test func everyBitIsSetAboutHalfTheTime() {
        var generator = BufferedSystemRandom()
        let draws = 20_000
        var ones = [Int](repeating: 0, count: 64)
        for _ in 0..<draws {
            let word = generator.next()
            for bit in 0..<64 where word >> UInt64(bit) & 1 == 1 { ones[bit] += 1 }
        }
        let bound = 7 * (Double(draws) / 4).squareRoot()
        for (bit, count) in ones.enumerated() {
            #expect(abs(Double(count) - Double(draws) / 2) < bound, "bit \(bit) was set \(count) times")
        }
    }

    @Test func identifiersFromItAreVersionFourAndDistinct() {
        var generator = BufferedSystemRandom()
        let identifiers = (0..<2_000).map { _ in Identifier.random(using: &generator) }
        #expect(Set(identifiers).count == identifiers.count)
        for identifier in identifiers {
            #expect(identifier.description.count == 36)
            #expect(Array(identifier.description)[14] == "4")
        }
    }
}

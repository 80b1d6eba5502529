import Testing

@testable import ParleyDomain

/// `ChunkedArray` behaves as an array (values, order, writes, value semantics) and encodes as one.
@Suite struct ChunkedArrayTests {
    @Test(arguments: [0, 1, 15, 16, 17, 63, 64, 65, 200])
    func itHoldsWhatAnArrayHolds(count: Int) throws {
        var chunked = ChunkedArray<Int>()
        var array: [Int] = []
        for value in 0..<count {
            chunked.append(value * 3)
            array.append(value * 3)
        }
        #expect(Array(chunked) == array)
        #expect(chunked.count == count)
        #expect(chunked.last == array.last)
        #expect(chunked == ChunkedArray(array))

        // A copy is a value: writes to either leave the other as it was.
        var copy = chunked
        if count > 0 {
            copy[0] += 1000
            copy[count - 1] = -1
            #expect(Array(chunked) == array)
            #expect(copy[count - 1] == -1)
            if count > 1 { #expect(copy[0] == array[0] + 1000) }
            #expect(copy != chunked)
        }
        copy.append(7)
        #expect(chunked.count == count && copy.count == count + 1 && copy.last == 7)

        var writer = BinaryWriter(capacity: 64)
        chunked.snapshotEncode(to: &writer)
        var arrayWriter = BinaryWriter(capacity: 64)
        array.snapshotEncode(to: &arrayWriter)
        #expect(writer.bytes == arrayWriter.bytes)
        let decoded = try writer.bytes.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            return try ChunkedArray<Int>(snapshotFrom: &reader)
        }
        #expect(decoded == chunked)
    }
}

/// Counts live `Tracked` elements, to check that chunks free exactly what they hold.
final class LiveCount {
    var live = 0
}

/// An element that counts itself alive.
final class Tracked: Equatable {
    let value: Int
    let count: LiveCount

    init(_ value: Int, _ count: LiveCount) {
        self.value = value
        self.count = count
        count.live += 1
    }

    deinit { count.live -= 1 }

    static func == (lhs: Tracked, rhs: Tracked) -> Bool { lhs.value == rhs.value }
}

/// Copies of a `ChunkedArray` that share chunks: appends claim the next free slot of a shared chunk, and everything
/// else copies what it writes.
@Suite struct ChunkedArraySharingTests {
    @Test func anAppendAtTheSharedEndWritesInPlaceAndASecondOneCopies() {
        var original = ChunkedArray<Int>()
        for value in 0..<19 { original.append(value) }  // chunk 1 holds 3 in room for 4 (chunks grow 1, 2, 4, …)
        var first = original
        first.append(100)
        // The first copy to append at the shared end claims the slot: its last chunk is the original's.
        #expect(first.chunkIdentity(1) == original.chunkIdentity(1))
        var second = original
        second.append(200)
        // The slot is taken: the second copy copies the chunk's prefix and appends there.
        #expect(second.chunkIdentity(1) != original.chunkIdentity(1))
        #expect(Array(original) == Array(0..<19))
        #expect(Array(first) == Array(0..<19) + [100])
        #expect(Array(second) == Array(0..<19) + [200])
        // The original appending now finds the slot taken too.
        original.append(300)
        #expect(Array(original) == Array(0..<19) + [300])
        #expect(Array(first) == Array(0..<19) + [100])
        #expect(first.chunkIdentity(1) != original.chunkIdentity(1))
        // A write to a shared chunk copies it, and leaves the others as they were.
        first[17] = -17
        #expect(first[17] == -17 && original[17] == 17 && second[17] == 17)
    }

    @Test(arguments: [1, 2, 3, 4])
    func randomCopiesAppendsAndWritesMatchArraysAndFreeEverything(seed: UInt64) {
        let count = LiveCount()
        do {
            var random = SplitMix(seed: seed)
            var versions: [ChunkedArray<Tracked>] = [ChunkedArray()]
            var models: [[Int]] = [[]]
            var next = 0
            for _ in 0..<3_000 {
                let pick = Int(random.next() % UInt64(versions.count))
                switch random.next() % 10 {
                case 0...4:
                    next += 1
                    versions[pick].append(Tracked(next, count))
                    models[pick].append(next)
                case 5:
                    if !models[pick].isEmpty {
                        let position = Int(random.next() % UInt64(models[pick].count))
                        next += 1
                        versions[pick][position] = Tracked(next, count)
                        models[pick][position] = next
                    }
                case 6, 7:
                    if versions.count < 12 {
                        versions.append(versions[pick])
                        models.append(models[pick])
                    }
                default:
                    if versions.count > 1 {
                        versions.remove(at: pick)
                        models.remove(at: pick)
                    }
                }
                for (version, model) in zip(versions, models) where version.map(\.value) != model {
                    Issue.record("a copy holds \(version.map(\.value)), not \(model)")
                    return
                }
            }
            // Each element alive is held by some copy (slots claimed by copies since dropped may stay until their
            // chunk goes).
            let held = Set(models.flatMap { $0 })
            #expect(count.live >= held.count)
        }
        #expect(count.live == 0)
    }

    @Test func copiesAppendingOnManyThreadsEachKeepTheirOwnElements() async {
        var shared = ChunkedArray<Int>()
        for value in 0..<5 { shared.append(value) }
        let base = shared
        let results = await withTaskGroup(of: (Int, [Int]).self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mine = base
                    for value in 0..<100 { mine.append(task * 1_000 + value) }
                    return (task, Array(mine))
                }
            }
            var all: [(Int, [Int])] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        for (task, elements) in results {
            #expect(elements == Array(0..<5) + (0..<100).map { task * 1_000 + $0 })
        }
        #expect(Array(base) == Array(0..<5))
    }
}

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

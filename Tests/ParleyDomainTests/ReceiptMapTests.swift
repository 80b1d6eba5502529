import Foundation
import Testing

@testable import ParleyDomain

/// A transcript item's receipts in a short sorted array behave, encode and decode as the `[Identifier: Receipt]` they
/// replaced: snapshots and state hashes are unchanged.
@Suite struct ReceiptMapTests {
    @Test func itActsAndEncodesAsADictionaryOfTheSameReceipts() throws {
        var random = SeededGenerator(seed: 41)
        for round in 0..<200 {
            var map = ReceiptMap()
            var dictionary: [Identifier: Receipt] = [:]
            for _ in 0..<Int(random.next() % 12) {
                let recipient = Identifier(high: random.next() % 5, low: random.next() % 3)
                let receipt: Receipt? =
                    random.next() % 4 == 0
                    ? nil : Receipt(deliveredAt: Int64(random.next() % 100), readAt: Int64(random.next() % 100))
                map[recipient] = receipt
                dictionary[recipient] = receipt
            }
            #expect(map.count == dictionary.count && map.isEmpty == dictionary.isEmpty, "\(round)")
            #expect(map.map(\.key) == dictionary.keys.sorted(), "\(round)")
            for (recipient, receipt) in dictionary { #expect(map[recipient] == receipt) }
            #expect(map.snapshotBytes() == dictionary.snapshotBytes(), "\(round)")
            #expect(try ReceiptMap(snapshotBytes: map.snapshotBytes()) == map)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            #expect(try encoder.encode(map) == encoder.encode(dictionary), "\(round)")
        }
    }

    @Test func receiptsDecodeInAnyOrderButNotTwice() throws {
        let (first, second) = (Identifier(high: 1, low: 1), Identifier(high: 2, low: 2))
        let receipt = Receipt(deliveredAt: 5, readAt: nil)
        var writer = BinaryWriter()
        writer.write(varUInt: 2)
        for recipient in [second, first] {
            recipient.snapshotEncode(to: &writer)
            receipt.snapshotEncode(to: &writer)
        }
        let decoded = try ReceiptMap(snapshotBytes: writer.bytes)
        #expect(decoded == [first: receipt, second: receipt])
        #expect(decoded.map(\.key) == [first, second])

        var repeated = BinaryWriter()
        repeated.write(varUInt: 2)
        for recipient in [first, first] {
            recipient.snapshotEncode(to: &repeated)
            receipt.snapshotEncode(to: &repeated)
        }
        #expect(throws: DecodeError.self) { try ReceiptMap(snapshotBytes: repeated.bytes) }
        let one: ReceiptMap = [first: receipt]
        #expect(one != [second: receipt])
    }
}

import Foundation
import Testing

@testable import ParleyDomain

/// `BillingMeter` keeps the month of its last message open beside the others: its counts, equality, JSON and snapshot
/// bytes must be those of a plain month-by-month dictionary, whatever order the messages come in.
@Suite struct BillingMeterTests {
    static func encoded(_ meter: BillingMeter) -> [UInt8] {
        var writer = BinaryWriter()
        meter.snapshotEncode(to: &writer)
        return writer.bytes
    }

    @Test func monthBoundsAreTheFirstMicrosecondsOfTheMonthAndTheNext() {
        let cases: [(String, String, String, String)] = [
            ("2026-11-21T10:00:00Z", "2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            ("2026-12-31T23:59:59.999999Z", "2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("2024-02-29T12:00:00Z", "2024-02", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
            ("1969-12-31T23:59:59Z", "1969-12", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("2027-01-01T00:00:00Z", "2027-01", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ]
        for (time, key, start, end) in cases {
            let bounds = CivilTime.monthBounds(of: instant(time))
            #expect(bounds.key == key, "\(time)")
            #expect(bounds.start == instant(start), "\(time)")
            #expect(bounds.end == instant(end), "\(time)")
            #expect(CivilTime.month(of: bounds.start) == key && CivilTime.month(of: bounds.end - 1) == key)
            #expect(CivilTime.month(of: bounds.end) != key)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func countsMatchADictionaryInAnyOrder(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var meter = BillingMeter()
        var model: [String: Int64] = [:]
        let base = instant("2026-10-15T00:00:00Z")
        for step in 0..<600 {
            // Mostly forward in one month, sometimes back or ahead by months, sometimes at a boundary.
            let offset: Int64
            switch random.next() % 10 {
            case 0: offset = -Int64(random.next() % 120) * Duration.day
            case 1: offset = Int64(random.next() % 120) * Duration.day
            case 2: offset = instant("2026-11-01T00:00:00Z") - base - Int64(random.next() % 2)
            default: offset = Int64(step) * Duration.hour / 4
            }
            let timestamp = base + offset
            meter.countMessage(at: timestamp)
            model[CivilTime.month(of: timestamp), default: 0] += 1
            #expect(meter.messagesByMonth == model)
            #expect(meter.totalMessages == Int64(step + 1))
            if step % 97 == 0 {
                // A meter read back from its snapshot has no open month: equal, same bytes, and it counts on alike.
                let bytes = Self.encoded(meter)
                var decoded = try bytes.withUnsafeBytes { buffer in
                    var reader = BinaryReader(buffer)
                    return try BillingMeter(snapshotFrom: &reader)
                }
                #expect(decoded == meter)
                #expect(Self.encoded(decoded) == bytes)
                var counted = meter
                decoded.countMessage(at: timestamp)
                counted.countMessage(at: timestamp)
                #expect(decoded == counted && Self.encoded(decoded) == Self.encoded(counted))
            }
        }
        #expect(meter == BillingMeter(messagesByMonth: model, totalMessages: 600))
        #expect(meter != BillingMeter(messagesByMonth: model, totalMessages: 599))
        var other = model
        other[other.keys.first!, default: 0] += 1
        #expect(meter != BillingMeter(messagesByMonth: other, totalMessages: 600))
    }

    @Test func jsonShowsTheMergedMonths() throws {
        var meter = BillingMeter()
        meter.countMessage(at: instant("2026-11-30T23:59:59Z"))
        meter.countMessage(at: instant("2026-12-01T00:00:00Z"))
        meter.countMessage(at: instant("2026-12-02T00:00:00Z"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(meter)) as? [String: Any]
        #expect(json?["messagesByMonth"] as? [String: Int] == ["2026-11": 1, "2026-12": 2])
        #expect(json?["totalMessages"] as? Int == 3)
        #expect(json?.count == 2)
    }

    @Test func settingTheMonthsReplacesTheOpenOne() {
        var meter = BillingMeter()
        meter.countMessage(at: instant("2026-11-02T00:00:00Z"))
        meter.messagesByMonth = ["2026-10": 4]
        meter.countMessage(at: instant("2026-11-03T00:00:00Z"))
        #expect(meter.messagesByMonth == ["2026-10": 4, "2026-11": 1])
    }
}

/// ISO-8601 timestamps as the participant API writes them: `yyyy-MM-ddTHH:mm:ss.SSSZ` (UTC, milliseconds).
public enum ISOTime {
    /// Formats µs since the epoch with millisecond precision.
    public static func format(_ micros: Int64) -> String {
        let (year, month, day, hour, minute, second, milli) = fields(micros)
        guard (0...9999).contains(year) else { return paddedFormat(micros) }
        // The 24 ASCII bytes written in place: an answer, a transcript item and a record each format times.
        return String(unsafeUninitializedCapacity: 24) { bytes in
            func put(_ value: Int64, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    bytes[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                    value /= 10
                }
            }
            // The separators from the pattern, then the digits over its zeros.
            _ = bytes.initialize(from: "0000-00-00T00:00:00.000Z".utf8)
            put(year, 4, at: 0)
            put(month, 2, at: 5)
            put(day, 2, at: 8)
            put(hour, 2, at: 11)
            put(minute, 2, at: 14)
            put(second, 2, at: 17)
            put(milli, 3, at: 20)
            return 24
        }
    }

    /// `format` by string interpolation: years outside 0–9999, and the reference its tests compare with.
    static func paddedFormat(_ micros: Int64) -> String {
        let (year, month, day, hour, minute, second, milli) = fields(micros)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
            + ".\(pad(milli, 3))Z"
    }

    /// The UTC calendar fields of µs since the epoch, to the millisecond.
    private static func fields(
        _ micros: Int64
    ) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, milli: Int64) {
        let millis = CivilTime.floorDivide(micros, 1000)
        let days = CivilTime.floorDivide(millis, 86_400_000)
        let (year, month, day) = CivilTime.civil(fromDays: days)
        let inDay = millis - days * 86_400_000
        return (year, month, day, inDay / 3_600_000, inDay / 60_000 % 60, inDay / 1000 % 60, inDay % 1000)
    }

    /// Parses `yyyy-MM-ddTHH:mm:ss[.fraction]Z` (or a `+00:00` offset) to µs; nil if malformed.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116,
            bytes[13] == 58, bytes[16] == 58,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { fraction = fraction * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 6)..<6 { fraction *= 10 }
        }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        guard suffix == "Z" || suffix == "z" || suffix == "+00:00" else { return nil }
        let days = days(fromCivil: year, month, day)
        guard CivilTime.civil(fromDays: days) == (year, month, day) else { return nil }
        return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + fraction
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = CivilTime.floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

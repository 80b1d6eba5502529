import Foundation

/// A time of day in an hours-of-operation range (`StartTime` / `EndTime`).
public struct HoursTime: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// `Hours` (0–23).
    public var hours: Int
    /// `Minutes` (0–59).
    public var minutes: Int

    /// Creates a time of day.
    public init(hours: Int, minutes: Int) {
        self.hours = hours
        self.minutes = minutes
    }

    /// Minutes since midnight.
    public var minuteOfDay: Int { hours * 60 + minutes }

    /// `HH:mm`.
    public var description: String { HoursOfOperation.twoDigits(hours) + ":" + HoursOfOperation.twoDigits(minutes) }
}

/// One `Config` entry of an hours of operation: a day and the times it is open, as sent (the day is validated by
/// `CreateHoursOfOperation`).
public struct HoursRange: Sendable, Equatable, Encodable {
    /// `Day`: `SUNDAY` … `SATURDAY`.
    public var day: String
    /// `StartTime` (inclusive).
    public var startTime: HoursTime
    /// `EndTime` (exclusive); 00:00 means midnight at the end of the day.
    public var endTime: HoursTime

    /// Creates a range.
    public init(day: String, startTime: HoursTime, endTime: HoursTime) {
        self.day = day
        self.startTime = startTime
        self.endTime = endTime
    }

    /// Creates a range from `HH:mm` parts.
    public init(_ day: String, _ startHours: Int, _ startMinutes: Int, _ endHours: Int, _ endMinutes: Int) {
        self.init(
            day: day,
            startTime: HoursTime(hours: startHours, minutes: startMinutes),
            endTime: HoursTime(hours: endHours, minutes: endMinutes)
        )
    }

    /// The day as a Gregorian weekday (Sunday = 1 … Saturday = 7), or nil for an unknown day.
    public var weekday: Int? { HoursOfOperation.days.firstIndex(of: day).map { $0 + 1 } }

    /// The end in minutes since midnight (an end of 00:00 is 1,440: the range runs until midnight).
    public var endMinuteOfDay: Int { endTime.minuteOfDay == 0 ? 1440 : endTime.minuteOfDay }

    /// Whether `minuteOfDay` on `weekday` falls in the range (start inclusive, end exclusive).
    public func contains(weekday: Int, minuteOfDay: Int) -> Bool {
        self.weekday == weekday && startTime.minuteOfDay <= minuteOfDay && minuteOfDay < endMinuteOfDay
    }
}

/// A local date and time in an hours of operation's time zone.
public struct HoursLocalTime: Sendable, Equatable, CustomStringConvertible {
    /// The Gregorian weekday (Sunday = 1 … Saturday = 7).
    public var weekday: Int
    /// `yyyy-MM-ddTHH:mm:ss` in the zone.
    public var dateTime: String
    /// Minutes since local midnight.
    public var minuteOfDay: Int
    /// The zone's offset from UTC at that instant, in seconds.
    public var utcOffsetSeconds: Int

    /// The weekday's name (`SUNDAY` … `SATURDAY`).
    public var dayName: String { HoursOfOperation.days[weekday - 1] }

    /// `yyyy-MM-ddTHH:mm:ss±hh:mm DAY`, e.g. `2026-03-08T03:30:00-04:00 SUNDAY`.
    public var description: String {
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        let offset = abs(utcOffsetSeconds) / 60
        let zone = sign + HoursOfOperation.twoDigits(offset / 60) + ":" + HoursOfOperation.twoDigits(offset % 60)
        return "\(dateTime)\(zone) \(dayName)"
    }
}

/// An hours-of-operation resource: a time zone and the weekly ranges in which it is open.
public struct HoursOfOperation: Sendable, Equatable, Encodable {
    /// The day names in weekday order (index 0 is Sunday).
    public static let days = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]

    /// The hours of operation id.
    public var hoursId: String
    /// `Name`.
    public var name: String
    /// `TimeZone` (an IANA identifier such as `America/New_York`).
    public var timeZone: String
    /// `Config`: the open ranges; they may overlap.
    public var config: [HoursRange]

    /// Creates the resource.
    public init(hoursId: String, name: String, timeZone: String, config: [HoursRange]) {
        self.hoursId = hoursId
        self.name = name
        self.timeZone = timeZone
        self.config = config
    }

    /// The local weekday and time of `micros` (µs since the epoch) in the zone, DST included; nil if the zone is
    /// unknown to this build's tzdata.
    public func localTime(at micros: Int64) -> HoursLocalTime? {
        guard let zone = Self.zone(timeZone) else { return nil }
        let seconds = CivilTime.floorDivide(micros, 1_000_000)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let hour = parts.hour,
            let minute = parts.minute, let second = parts.second, let weekday = parts.weekday
        else { return nil }
        let dateTime =
            "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day))T"
            + "\(Self.twoDigits(hour)):\(Self.twoDigits(minute)):\(Self.twoDigits(second))"
        return HoursLocalTime(
            weekday: weekday,
            dateTime: dateTime,
            minuteOfDay: hour * 60 + minute,
            utcOffsetSeconds: zone.secondsFromGMT(for: date)
        )
    }

    /// Whether it is open at `micros` (µs since the epoch): some range of the local weekday holds the local time.
    public func isOpen(at micros: Int64) -> Bool {
        guard let local = localTime(at: micros) else { return false }
        return isOpen(local)
    }

    /// Whether it is open at a local time.
    public func isOpen(_ local: HoursLocalTime) -> Bool {
        config.contains { $0.contains(weekday: local.weekday, minuteOfDay: local.minuteOfDay) }
    }

    /// The zone named by an IANA identifier that this build's tzdata knows; nil for anything else (abbreviations
    /// that do not name a zone file, `GMT+5`-style offsets, wrong case).
    public static func zone(_ identifier: String) -> TimeZone? {
        guard !identifier.isEmpty, !identifier.hasPrefix("GMT+"), !identifier.hasPrefix("GMT-"),
            let zone = TimeZone(identifier: identifier)
        else { return nil }
        guard
            zone.identifier == identifier || identifier == "UTC"
                || TimeZone.knownTimeZoneIdentifiers.contains(identifier)
        else { return nil }
        return zone
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}

/// Hours-of-operation resources: each change is an event.
extension Transaction {
    /// Hours of operation by id, or by the id at the end of an ARN (`…/operating-hours/<id>`).
    func resolveHours(_ reference: String) -> HoursOfOperation? { state.hoursOfOperations[reference: reference] }

    /// Checks one `Config` entry.
    static func checkRange(_ range: HoursRange, at index: Int) throws(ChatError) {
        guard range.weekday != nil else {
            throw ChatError(
                .invalidParameter,
                "Config[\(index)].Day must be one of \(HoursOfOperation.days.joined(separator: ", ")), not \(range.day)"
            )
        }
        for (label, time) in [("StartTime", range.startTime), ("EndTime", range.endTime)] {
            guard (0...23).contains(time.hours) else {
                throw ChatError(.invalidParameter, "Config[\(index)].\(label).Hours must be 0–23, not \(time.hours)")
            }
            guard (0...59).contains(time.minutes) else {
                throw ChatError(
                    .invalidParameter,
                    "Config[\(index)].\(label).Minutes must be 0–59, not \(time.minutes)"
                )
            }
        }
        guard range.startTime.minuteOfDay < range.endMinuteOfDay else {
            throw ChatError(
                .invalidParameter,
                "Config[\(index)]: EndTime \(range.endTime) must be after StartTime \(range.startTime) (00:00 is midnight)"
            )
        }
    }

    /// `CreateHoursOfOperation`: validates the zone and every range and records `HoursOfOperationCreated`.
    mutating func createHoursOfOperation(
        _ instanceId: String,
        _ hoursId: String?,
        _ name: String,
        _ timeZone: String,
        _ config: [HoursRange]
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard (1...127).contains(name.count) else {
            throw ChatError(.invalidParameter, "Name must be 1–127 characters")
        }
        guard HoursOfOperation.zone(timeZone) != nil else {
            throw ChatError(.invalidParameter, "TimeZone \(timeZone) is not a known IANA time zone")
        }
        guard config.count <= 100 else {
            throw ChatError(.invalidParameter, "Config must have at most 100 entries")
        }
        for (index, range) in config.enumerated() { try Self.checkRange(range, at: index) }
        if let hoursId {
            guard (1...256).contains(hoursId.count), !hoursId.contains("/") else {
                throw ChatError(.invalidParameter, "the hours of operation id must be 1–256 characters without /")
            }
        }
        if state.hoursOfOperations.values.contains(where: { $0.name == name }) {
            throw ChatError(.duplicateResource, "hours of operation named \(name) exist already")
        }
        let id = hoursId ?? newId().description
        guard state.hoursOfOperations[id] == nil else {
            throw ChatError(.duplicateResource, "hours of operation \(id) exist already")
        }
        emit(
            .hoursOfOperationCreated(
                HoursOfOperationCreated(hoursId: id, name: name, timeZone: timeZone, config: config)
            )
        )
        return .hoursOfOperationCreated(hoursId: id)
    }

    /// `UpdateQueueHoursOfOperation`: the queue's hours become `hoursId` (writes nothing when they are already).
    mutating func updateQueueHoursOfOperation(
        _ instanceId: String,
        _ queueId: String,
        _ hoursId: String
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard let queue = resolveQueue(queueId) else {
            throw ChatError(
                .resourceNotFound,
                "queue \(queueId) does not exist",
                resourceId: queueId,
                resourceType: "QUEUE"
            )
        }
        guard let hours = resolveHours(hoursId) else {
            throw ChatError(
                .resourceNotFound,
                "hours of operation \(hoursId) do not exist",
                resourceId: hoursId,
                resourceType: "HOURS_OF_OPERATION"
            )
        }
        guard queue.hoursOfOperationId != hours.hoursId else { return .done }
        emit(
            .queueHoursOfOperationUpdated(
                QueueHoursOfOperationUpdated(queueId: queue.queueId, hoursId: hours.hoursId)
            )
        )
        return .done
    }
}

/// Read-only hours-of-operation questions.
extension ChatQueries {
    /// `DescribeHoursOfOperation`: the hours by id or ARN.
    public static func describeHoursOfOperation(
        instanceId: String,
        hoursId: String,
        in state: ChatState
    ) throws(ChatError) -> HoursOfOperation {
        guard state.instance?.instanceId == instanceId else {
            throw ChatError(.resourceNotFound, "instance \(instanceId) does not exist", resourceType: "INSTANCE")
        }
        guard let hours = state.hoursOfOperations[reference: hoursId] else {
            throw ChatError(
                .resourceNotFound,
                "hours of operation \(hoursId) do not exist",
                resourceId: hoursId,
                resourceType: "HOURS_OF_OPERATION"
            )
        }
        return hours
    }
}

// Hours-of-operation events. Tags 0x0138–0x013F.

/// Hours of operation were created (CreateHoursOfOperation).
public struct HoursOfOperationCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0138
    public static let name = "HoursOfOperationCreated"
    public static let currentVersion: UInt8 = 1
    /// The hours of operation id.
    public var hoursId: String
    /// `Name`.
    public var name: String
    /// `TimeZone` (IANA).
    public var timeZone: String
    /// `Config`.
    public var config: [HoursRange]

    /// Creates the event.
    public init(hoursId: String, name: String, timeZone: String, config: [HoursRange]) {
        self.hoursId = hoursId
        self.name = name
        self.timeZone = timeZone
        self.config = config
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: hoursId)
        writer.write(string: name)
        writer.write(string: timeZone)
        writer.write(array: config) { writer, range in
            writer.write(string: range.day)
            writer.write(int: Int64(range.startTime.hours))
            writer.write(int: Int64(range.startTime.minutes))
            writer.write(int: Int64(range.endTime.hours))
            writer.write(int: Int64(range.endTime.minutes))
        }
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            hoursId: try reader.readString(),
            name: try reader.readString(),
            timeZone: try reader.readString(),
            config: try reader.readArray { reader throws(DecodeError) in
                HoursRange(
                    day: try reader.readString(),
                    startTime: HoursTime(hours: Int(try reader.readInt()), minutes: Int(try reader.readInt())),
                    endTime: HoursTime(hours: Int(try reader.readInt()), minutes: Int(try reader.readInt()))
                )
            }
        )
    }
}

/// A queue's hours of operation were set (UpdateQueueHoursOfOperation).
public struct QueueHoursOfOperationUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0139
    public static let name = "QueueHoursOfOperationUpdated"
    public static let currentVersion: UInt8 = 1
    /// The queue.
    public var queueId: String
    /// The hours of operation.
    public var hoursId: String

    /// Creates the event.
    public init(queueId: String, hoursId: String) {
        self.queueId = queueId
        self.hoursId = hoursId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: queueId)
        writer.write(string: hoursId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(queueId: try reader.readString(), hoursId: try reader.readString())
    }
}

import EventLog
import Foundation
import Testing

/// Timestamps with runs of equal values, so time seeks meet ties.
private func timestamp(for sequence: UInt64) -> Int64 { 1_700_000_000_000_000 + Int64(sequence / 3) * 10 }

@Suite struct RoundTripTests {
    /// Appends `count` records in appends of `batch` records each, sequence-derived payloads and timestamps.
    private func fill(_ log: EventLog, from first: UInt64, count: Int, batch: Int) async throws {
        var sequence = first
        let end = first + UInt64(count)
        while sequence < end {
            let upper = min(end, sequence + UInt64(batch))
            let records = (sequence..<upper).map {
                LogRecord(timestamp: timestamp(for: $0), type: UInt16($0 % 7), payload: payload(for: $0))
            }
            let receipt = try await log.append(records)
            #expect(receipt.firstSequence == sequence && receipt.lastSequence == upper - 1)
            sequence = upper
        }
    }

    /// Reads everything and checks each record against what was written.
    private func checkAll(_ reader: LogReader, expectedCount: UInt64) throws {
        var next: UInt64 = 1
        var mismatches = 0
        try reader.forEach(fromSequence: 1) { record in
            if record.sequence != next || record.timestamp != timestamp(for: next) || record.type != UInt16(next % 7)
                || !record.payload.elementsEqual(payload(for: next))
            {
                mismatches += 1
            }
            next += 1
            return true
        }
        #expect(mismatches == 0)
        #expect(next - 1 == expectedCount)
    }

    @Test func millionsOfRecordsAcrossSegmentRolls() async throws {
        let directory = TemporaryDirectory()
        let total = 2_000_000
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 1 << 20))
        try await fill(log, from: 1, count: total, batch: 500)
        let segments = log.extent.segments.count
        #expect(segments > 20)
        #expect(log.statistics.rolls == segments - 1)
        try checkAll(log.reader(), expectedCount: UInt64(total))
        await log.close()

        // Reopen: recovery scans only the tail, and appending continues the chain across segments.
        let reopened = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 1 << 20))
        #expect(reopened.recovery == nil)
        #expect(reopened.extent.headSequence == UInt64(total))
        try await fill(reopened, from: UInt64(total) + 1, count: 10_000, batch: 100)
        await reopened.close()

        let reader = try LogReader.open(dataDirectory: directory.path)
        try checkAll(reader, expectedCount: UInt64(total) + 10_000)
        let report = try LogInspector.verify(dataDirectory: directory.path)
        #expect(report.intact, "\(String(describing: report.problem))")
        #expect(report.records == total + 10_000)
        #expect(report.segments == reader.extent.segments.count)
    }

    @Test func readsFromAnySequenceAndTime() async throws {
        let directory = TemporaryDirectory()
        let total: UInt64 = 60_000
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 32 * 1024))
        try await fill(log, from: 1, count: Int(total), batch: 37)
        await log.close()
        let reader = try LogReader.open(dataDirectory: directory.path)
        #expect(reader.extent.segments.count > 10)

        var generator = SystemRandomNumberGenerator()
        var starts: [UInt64] = [1, 2, total - 1, total] + reader.extent.segments.flatMap { [$0.base - 1, $0.base] }
        starts += (0..<300).map { _ in UInt64.random(in: 1...total, using: &generator) }
        for start in starts where start >= 1 {
            let records = try reader.records(fromSequence: start, limit: 5)
            let expected = Array(start..<min(total + 1, start + 5))
            #expect(records.map(\.sequence) == expected, "from \(start)")
            #expect(records.allSatisfy { $0.payload == payload(for: $0.sequence) })
        }
        #expect(try reader.records(fromSequence: total + 1).isEmpty)

        // Time seeks: the first record with timestamp ≥ t, including ties and times between records.
        var instants: [Int64] = [
            timestamp(for: 1) - 1, timestamp(for: 1), timestamp(for: total), timestamp(for: total) + 1,
        ]
        instants += (0..<300).map { _ in
            timestamp(for: UInt64.random(in: 1...total, using: &generator))
                + Int64.random(in: -5...5, using: &generator)
        }
        for instant in instants {
            var first: StoredRecord?
            try reader.forEach(fromTimestamp: instant) { record in
                first = record.copy()
                return false
            }
            let expected = (1...total).first { timestamp(for: $0) >= instant }
            #expect(first?.sequence == expected, "from time \(instant)")
        }
    }

    @Test func recordsOfOneAppendShareAFrameAndEmptyRecordsWork() async throws {
        let directory = TemporaryDirectory()
        var options = smallOptions()
        options.frameTargetBytes = 100
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        let big = (0..<50).map { LogRecord(timestamp: 5, type: 1, payload: payload(for: UInt64($0))) }
        _ = try await log.append(big)
        _ = try await log.append([LogRecord(timestamp: 6, type: 2, payload: [])])
        await log.close()
        var frames: [FrameInfo] = []
        try LogReader.open(dataDirectory: directory.path).forEachFrame { frames.append($0) }
        #expect(frames.map(\.header.count) == [50, 1])
        let records = try LogReader.open(dataDirectory: directory.path).records()
        #expect(records.count == 51 && records.last?.payload == [])
    }

    @Test func rejectsBadInputWithoutWritingAnything() async throws {
        let directory = TemporaryDirectory()
        var options = smallOptions()
        options.maxRecordBytes = 1000
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        _ = try await log.append([LogRecord(timestamp: 100, payload: [1])])
        for bad in [
            [], [LogRecord(timestamp: 100, payload: [UInt8](repeating: 0, count: 1001))],
            [LogRecord(timestamp: 99, payload: [2])],
            [LogRecord(timestamp: 101, payload: [3]), LogRecord(timestamp: 100, payload: [4])],
        ] {
            await #expect(throws: EventLogError.self) { try await log.append(bad) }
            do {
                _ = try await log.append(bad)
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(!error.message.isEmpty)
            }
        }
        #expect(log.extent.headSequence == 1)
        let receipt = try await log.append([LogRecord(timestamp: 100, payload: [5])])
        #expect(receipt.firstSequence == 2)
        await log.close()
        await #expect(throws: EventLogError.self) { try await log.append([LogRecord(timestamp: 200, payload: [6])]) }
    }

    @Test func secondWriterIsLockedOut() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path)
        #expect {
            _ = try EventLog.open(dataDirectory: directory.path)
        } throws: { ($0 as? EventLogError)?.code == .locked }
        await log.close()
        let again = try EventLog.open(dataDirectory: directory.path)
        await again.close()
    }

    @Test func commitTimeStampingNeverGoesBackwards() async throws {
        let directory = TemporaryDirectory()
        let ticks = ClockTicks([1_000, 900, 2_000, 1_500])
        var options = smallOptions()
        options.clock = { ticks.next() }
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        var stamps: [Int64] = []
        for index in 0..<4 {
            stamps.append(try await log.append([LogRecord(payload: [UInt8(index)])], stamp: .commitTime).firstTimestamp)
        }
        #expect(stamps == [1_000, 1_000, 2_000, 2_000])
        await log.close()
    }
}

/// A clock returning preset values, for stamping tests.
final class ClockTicks: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int64]
    init(_ values: [Int64]) { self.values = values }
    func next() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return values.isEmpty ? Int64.max : values.removeFirst()
    }
}

import EventLog
import Foundation
import Testing

/// Opening a log checks that every sealed segment is there, readable and continues the one before — without reading
/// the segments through — and refuses otherwise, naming the segment and changing nothing.
@Suite struct SegmentPresenceTests {
    /// A log of several segments; its segment file names.
    private func makeLog(_ directory: TemporaryDirectory) async throws -> [String] {
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        var sequence: UInt64 = 1
        while sequence <= 3_000 {
            let records = (sequence..<sequence + 20).map {
                LogRecord(timestamp: Int64($0) * 100, payload: payload(for: $0))
            }
            _ = try await log.append(records)
            sequence += 20
        }
        await log.close()
        let names = try segmentNames(directory)
        try #require(names.count >= 4)
        return names
    }

    /// Every file of the log directory and its bytes.
    private func snapshot(_ directory: TemporaryDirectory) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.logPath) {
            files[name] = try readFile(directory.logFile(name))
        }
        return files
    }

    /// Opening fails with `code`, naming `segment`, and leaves every file as it was.
    private func expectRefusal(
        _ directory: TemporaryDirectory,
        code: EventLogError.Code,
        segment: String
    ) async throws {
        let before = try snapshot(directory)
        do {
            let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
            await log.close()
            Issue.record("the log opened")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.segment == segment, "\(error)")
            #expect(error.description.contains(segment), "\(error)")
        }
        #expect(try snapshot(directory) == before, "a refused log is left as it was")
        let verify = try LogInspector.verify(dataDirectory: directory.path)
        #expect(verify.problem?.segment == segment, "\(String(describing: verify.problem))")
    }

    @Test func aMissingMiddleSegmentIsNamed() async throws {
        let directory = TemporaryDirectory()
        let names = try await makeLog(directory)
        let hidden = directory.path + "/hidden.seg"
        try FileManager.default.moveItem(atPath: directory.logFile(names[1]), toPath: hidden)
        try await expectRefusal(directory, code: .sequenceGap, segment: names[1])
        try FileManager.default.moveItem(atPath: hidden, toPath: directory.logFile(names[1]))
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        #expect(log.extent.headSequence == 3_000)
        await log.close()
    }

    @Test func aMissingFirstSegmentIsNamed() async throws {
        let directory = TemporaryDirectory()
        let names = try await makeLog(directory)
        try FileManager.default.removeItem(atPath: directory.logFile(names[0]))
        try await expectRefusal(directory, code: .sequenceGap, segment: names[0])
    }

    @Test func aSegmentFromAnotherLogIsRefused() async throws {
        // Same sequence numbers, different content: the hash link from the segment before does not hold.
        let directory = TemporaryDirectory()
        let names = try await makeLog(directory)
        let other = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: other.path, options: smallOptions(segmentSize: 16 * 1024))
        var sequence: UInt64 = 1
        while sequence <= 3_000 {
            let records = (sequence..<sequence + 20).map {
                LogRecord(timestamp: Int64($0) * 100, payload: payload(for: $0 + 1))
            }
            _ = try await log.append(records)
            sequence += 20
        }
        await log.close()
        let otherNames = try segmentNames(other)
        try #require(otherNames[1] == names[1])
        try writeFile(directory.logFile(names[1]), try readFile(other.logFile(names[1])))
        try await expectRefusal(directory, code: .chainMismatch, segment: names[1])
    }

    @Test func aSealedSegmentCutShortIsNamed() async throws {
        let directory = TemporaryDirectory()
        let names = try await makeLog(directory)
        let bytes = try readFile(directory.logFile(names[2]))
        try writeFile(directory.logFile(names[2]), Array(bytes.prefix(bytes.count - 10)))
        let before = try snapshot(directory)
        #expect(throws: EventLogError.self) {
            try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        }
        #expect(try snapshot(directory) == before, "a refused log is left as it was")
    }
}

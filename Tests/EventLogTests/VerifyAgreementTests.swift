import EventLog
import Foundation
import Testing

/// `verify` and opening the log agree on what a torn tail is (found by the frame-decoder fuzz target).
struct VerifyAgreementTests {
    /// A segment header for `base` (docs/log-format.md), as the writer makes it.
    static func segmentHeader(base: UInt64, interval: UInt32 = 1024) -> [UInt8] {
        var bytes = Array("PARLEYSG".utf8)
        withUnsafeBytes(of: UInt16(1).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt16(0).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: interval.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: base.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { bytes += $0 }
        return bytes
    }

    @Test func aGapBeforeATornLastSegmentIsNotATornTail() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 8 * 1024))
        for sequence in UInt64(1)...300 {
            _ = try await log.append([LogRecord(timestamp: Int64(sequence), payload: payload(for: sequence))])
        }
        await log.close()
        let segments = try segmentNames(directory)
        try #require(segments.count >= 2)
        // The last segment is replaced by one whose base skips a sequence and whose only frame is torn.
        let last = try #require(segments.last)
        let base = try #require(UInt64(last.dropLast(4)))
        try FileManager.default.removeItem(atPath: directory.logFile(last))
        try? FileManager.default.removeItem(atPath: directory.logFile(SegmentFile.indexName(base: base)))
        try writeFile(
            directory.logFile(SegmentFile.name(base: base + 1)),
            Self.segmentHeader(base: base + 1) + Array(repeating: 0xAB, count: 100)
        )

        let report = try LogInspector.verify(dataDirectory: directory.path)
        #expect(report.problem?.code == .sequenceGap, "\(String(describing: report.problem))")
        // Named by the segment that should hold `base`: the one on disk starts a sequence later.
        #expect(report.problem?.segment == SegmentFile.name(base: base))
        #expect(report.problem?.message.contains(String(base + 1)) == true)
        // Opening refuses the log for the same reason, and changes nothing.
        let refusal = #expect(throws: EventLogError.self) {
            try EventLog.open(dataDirectory: directory.path, options: smallOptions())
        }
        #expect(refusal?.code == .sequenceGap, "\(String(describing: refusal))")
        #expect(try segmentNames(directory).last == SegmentFile.name(base: base + 1))
    }

    /// A crash right after a roll leaves a last segment with a header and no frame: the log opens with its head at
    /// the end of the sealed segment before it, and the next append links to that segment's last frame.
    @Test func anEmptyLastSegmentOpensAtThePreviousSegmentsEnd() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 8 * 1024))
        for sequence in UInt64(1)...300 {
            _ = try await log.append([LogRecord(timestamp: Int64(sequence), payload: payload(for: sequence))])
        }
        let before = log.extent
        await log.close()
        #expect(before.headSequence == 300)
        try writeFile(directory.logFile(SegmentFile.name(base: 301)), Self.segmentHeader(base: 301))

        let reopened = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 8 * 1024))
        #expect(reopened.extent.headSequence == before.headSequence)
        #expect(reopened.extent.headTimestamp == before.headTimestamp)
        #expect(reopened.extent.headHash == before.headHash)
        _ = try await reopened.append([LogRecord(timestamp: 301, payload: payload(for: 301))])
        await reopened.close()
        let report = try LogInspector.verify(dataDirectory: directory.path)
        #expect(report.problem == nil, "\(String(describing: report.problem))")
        #expect(report.headSequence == 301)
    }
}

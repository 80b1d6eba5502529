import EventLog
import Foundation
import Testing

@Suite struct IndexTests {
    /// A log of many segments with recognisable records.
    private func makeLog(_ directory: TemporaryDirectory) async throws -> UInt64 {
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        var sequence: UInt64 = 1
        while sequence <= 20_000 {
            let records = (sequence..<sequence + 20).map {
                LogRecord(timestamp: Int64($0) * 100, payload: payload(for: $0))
            }
            _ = try await log.append(records)
            sequence += 20
        }
        await log.close()
        return sequence - 1
    }

    /// First sequence found from a set of start sequences and instants.
    private func answers(_ directory: TemporaryDirectory, total: UInt64) throws -> [UInt64?] {
        let reader = try LogReader.open(dataDirectory: directory.path)
        var out: [UInt64?] = []
        for start in stride(from: UInt64(1), through: total, by: 97) {
            out.append(try reader.records(fromSequence: start, limit: 1).first?.sequence)
        }
        for instant in stride(from: Int64(0), through: Int64(total) * 100 + 100, by: 9_973) {
            var first: UInt64?
            try reader.forEach(fromTimestamp: instant) { record in
                first = record.sequence
                return false
            }
            out.append(first)
        }
        return out
    }

    private func indexFiles(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.logPath).filter { $0.hasSuffix(".idx") }.sorted()
    }

    enum Damage: String, CaseIterable {
        case deleted, truncated, garbage, wrongOffsets, swapped
    }

    @Test(arguments: Damage.allCases)
    func damagedIndexesAreRebuiltWithTheSameAnswers(damage: Damage) async throws {
        let directory = TemporaryDirectory()
        let total = try await makeLog(directory)
        let expected = try answers(directory, total: total)
        let files = try indexFiles(directory)
        #expect(files.count > 5)
        let pristine = try files.map { try readFile(directory.logFile($0)) }

        for (position, name) in files.enumerated() {
            let path = directory.logFile(name)
            var bytes = pristine[position]
            switch damage {
            case .deleted:
                try FileManager.default.removeItem(atPath: path)
                continue
            case .truncated:
                bytes = Array(bytes.prefix(bytes.count / 2 + 7))
            case .garbage:
                for index in stride(from: 3, to: bytes.count, by: 11) { bytes[index] ^= 0x5A }
            case .wrongOffsets:
                // Entries with valid checksums that point at the wrong bytes: a stale index.
                var offset = 32
                while offset + 32 <= bytes.count {
                    let shifted = bytes[offset + 16] &+ 7
                    bytes[offset + 16] = shifted
                    let crc = CRC32C.checksum(Array(bytes[offset..<offset + 28]))
                    withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(offset + 28..<offset + 32, with: $0) }
                    offset += 32
                }
            case .swapped:
                bytes = pristine[(position + 1) % files.count]
            }
            try writeFile(path, bytes)
        }

        // Readers give the same answers from damaged indexes.
        #expect(try answers(directory, total: total) == expected)
        // Verify notices the disagreement (unless the damage left a valid prefix of the active index).
        let before = try LogInspector.verify(dataDirectory: directory.path)
        #expect(before.problem?.code == .indexMismatch)

        // Opening for writing rebuilds them; afterwards verify agrees and the answers are unchanged.
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        await log.waitForIndexMaintenance()
        await log.close()
        let after = try LogInspector.verify(dataDirectory: directory.path)
        #expect(after.intact, "\(String(describing: after.problem))")
        #expect(try indexFiles(directory) == files)
        for (position, name) in files.enumerated() {
            #expect(try readFile(directory.logFile(name)) == pristine[position], "\(name) rebuilt identically")
        }
        #expect(try answers(directory, total: total) == expected)
    }

    @Test func verifyCanRepairIndexesItself() async throws {
        let directory = TemporaryDirectory()
        _ = try await makeLog(directory)
        let name = try #require(try indexFiles(directory).first)
        let pristine = try readFile(directory.logFile(name))
        try FileManager.default.removeItem(atPath: directory.logFile(name))
        #expect(try LogInspector.verify(dataDirectory: directory.path).problem?.code == .indexMismatch)
        let repaired = try LogInspector.verify(dataDirectory: directory.path, repairIndexes: true)
        #expect(repaired.intact && repaired.repairedIndexes == [name])
        #expect(try readFile(directory.logFile(name)) == pristine)
    }
}

import EventLog
import Foundation
import ParleyDomain
import Testing

/// Stored logs of frozen event encodings: written once from a harness, decoded on every run.
enum LogFixture {
    /// The path of `Fixtures/<name>`.
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    /// Writes the harness's log to `path` (replacing it); for PARLEY_WRITE_FIXTURES=1 runs only.
    static func write(_ harness: ChatHarness, to path: String) async throws {
        try? FileManager.default.removeItem(atPath: path)
        var options = EventLogOptions()
        options.preallocationBytes = 0
        let log = try EventLog.open(dataDirectory: path, options: options)
        let records = harness.log.map { timestamp, event in
            let (tag, payload) = event.encoded()
            return LogRecord(timestamp: timestamp, type: tag, payload: payload)
        }
        _ = try await log.append(records)
        await log.close()
        try? FileManager.default.removeItem(atPath: path + "/log/LOCK")
    }

    /// Decodes every record, checks that current-version records re-encode to the same bytes and that every tag
    /// of `frozen` occurs; returns the tags seen.
    @discardableResult
    static func check(_ path: String, frozen: Set<UInt16>) throws -> Set<UInt16> {
        let reader = try LogReader.open(dataDirectory: path)
        var tags: Set<UInt16> = []
        var failures: [String] = []
        try reader.forEach(fromSequence: 1) { record in
            do {
                guard let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) else {
                    failures.append("record \(record.sequence): tag \(record.type) is not a domain event")
                    return true
                }
                tags.insert(record.type)
                if type(of: event.payload).currentVersion == record.payload.first {
                    #expect(
                        event.encoded().payload == Array(record.payload),
                        "record \(record.sequence) re-encodes differently"
                    )
                }
            } catch {
                failures.append("record \(record.sequence): \(error)")
            }
            return true
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(frozen.isSubset(of: tags), "missing: \(frozen.subtracting(tags).sorted())")
        return tags
    }
}

import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// A fresh directory under the system temporary directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "parley-engine") {
        let template = FileManager.default.temporaryDirectory.path + "/\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { fatalError("mkdtemp failed for \(template)") }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The log directory inside this data directory.
    var logPath: String { EventLog.logDirectory(in: path) }
}

/// 2023-11-14T22:13:20Z in µs: where manual clocks start.
let startOfTest: Int64 = 1_700_000_000_000_000

/// µs in a minute, an hour.
let minute: Int64 = 60_000_000
let hour: Int64 = 60 * minute

/// Log options for tests: no fsync unless asked, no preallocation.
func testOptions(durability: Durability = .none) -> EventLogOptions {
    var options = EventLogOptions()
    options.durability = durability
    options.preallocationBytes = 0
    return options
}

/// Opens a ledger engine on `directory`.
func openLedger(
    _ directory: TemporaryDirectory,
    clock: ManualClock = ManualClock(startOfTest),
    seed: UInt64 = 1,
    options: EventLogOptions = testOptions()
) async throws(EngineError) -> Engine<Ledger> {
    try await Engine<Ledger>.open(
        dataDirectory: directory.path,
        options: options,
        clock: clock,
        generator: SplitMix64(seed: seed)
    )
}

/// Every record of the log in `directory`, read-only.
func storedRecords(_ directory: TemporaryDirectory) throws -> [StoredRecord] {
    try LogReader.open(dataDirectory: directory.path).records()
}

/// The frame headers of the log in `directory`, read-only.
func storedFrames(_ directory: TemporaryDirectory) throws -> [FrameHeader] {
    var headers: [FrameHeader] = []
    try LogReader.open(dataDirectory: directory.path).forEachFrame { headers.append($0.header) }
    return headers
}

/// Decodes a stored ledger record.
func ledgerEvent(_ record: StoredRecord) throws -> Ledger.Event? {
    try record.payload.withUnsafeBytes { bytes throws(DecodeError) in
        try Ledger.decode(tag: record.type, payload: bytes)
    }
}

extension Result {
    /// The failure, if this is one.
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

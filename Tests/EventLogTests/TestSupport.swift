import EventLog
import Foundation

/// A fresh directory under the system temporary directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "parley") {
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

    /// Full path of a file in the log directory.
    func logFile(_ name: String) -> String { logPath + "/" + name }
}

/// Deterministic payload for a sequence number: 8–72 bytes, partly repetitive so LZ4 has work to do.
func payload(for sequence: UInt64) -> [UInt8] {
    let length = 8 + Int(sequence % 65)
    var bytes = [UInt8]()
    bytes.reserveCapacity(length)
    var state = sequence &* 0x9E37_79B9_7F4A_7C15
    for index in 0..<length {
        if index % 4 == 0 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        bytes.append(index < 8 ? UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(index))) : UInt8(97 + (state >> 59)))
    }
    return bytes
}

/// Options with small segments so tests cross many segment rolls.
func smallOptions(segmentSize: Int64 = 64 * 1024, durability: Durability = .none) -> EventLogOptions {
    var options = EventLogOptions()
    options.segmentSize = segmentSize
    options.durability = durability
    options.frameTargetBytes = 4096
    options.indexIntervalBytes = 1024
    return options
}

/// Reads a whole file.
func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Replaces a whole file.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Names of segment files in a log directory, sorted.
func segmentNames(_ directory: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.logPath).filter { $0.hasSuffix(".seg") }.sorted()
}

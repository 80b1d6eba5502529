import EventLog
import Foundation
import Testing

/// Runs the built `parley` executable, as a user would.
private struct Parley {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let executable: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("parley")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("parley executable not found near \(CommandLine.arguments[0])")
    }()

    static func run(_ arguments: [String], stdin: String = "") throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("parley-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("in")
        let output = scratch.appendingPathComponent("out")
        let errors = scratch.appendingPathComponent("err")
        try Data(stdin.utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: try String(contentsOf: output, encoding: .utf8),
            stderr: try String(contentsOf: errors, encoding: .utf8)
        )
    }
}

/// A data directory removed after the test.
private final class DataDirectory: Sendable {
    let path: String
    init() {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("parley-cli-data-\(UUID().uuidString)").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var segmentPath: String { path + "/log/" + SegmentFile.name(base: 1) }
}

@Suite struct ParleyLogCommandTests {
    private let lines = (1...500).map { "{\"event\":\"MessageSent\",\"n\":\($0),\"content\":\"hello \($0)\"}" }

    @Test func appendVerifyStatsDumpRoundTrip() throws {
        let data = DataDirectory()
        let append = try Parley.run(["log", "append", data.path], stdin: lines.joined(separator: "\n") + "\n")
        #expect(append.status == 0, "\(append.stderr)")
        #expect(append.stdout == "500\n")

        let again = try Parley.run(["log", "append", data.path, "--type", "7"], stdin: "one more\n")
        #expect(again.stdout == "501\n")

        let verify = try Parley.run(["log", "verify", data.path])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("ok: head sequence 501, head hash "))

        let stats = try Parley.run(["log", "stats", data.path, "--json"])
        #expect(stats.status == 0)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        )
        #expect(json["events"] as? Int == 501)
        #expect(json["segments"] as? Int == 1)
        #expect((json["frames"] as? Int ?? 0) >= 2)
        let raw = try #require(json["rawBytes"] as? Int)
        let stored = try #require(json["storedBytes"] as? Int)
        #expect(stored < raw, "JSON lines must compress")
        let lastFrame = try #require(json["lastFrame"] as? [String: Any])
        #expect(lastFrame["segment"] as? String == SegmentFile.name(base: 1))
        let segmentSize = try FileManager.default.attributesOfItem(atPath: data.segmentPath)[.size] as? Int
        #expect((lastFrame["offset"] as? Int ?? 0) + (lastFrame["length"] as? Int ?? 0) == segmentSize)

        let dump = try Parley.run(["log", "dump", data.path])
        let records = dump.stdout.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
        #expect(records.count == 501)
        for (index, record) in records.enumerated() {
            #expect(record["sequence"] as? Int == index + 1)
            let payload = Data(base64Encoded: record["payload"] as? String ?? "") ?? Data()
            #expect(String(decoding: payload, as: UTF8.self) == (index < 500 ? lines[index] : "one more"))
            #expect(record["type"] as? Int == (index < 500 ? 0 : 7))
            #expect(LogTime.parse(record["timestamp"] as? String ?? "") != nil)
        }

        let page = try Parley.run(["log", "dump", data.path, "--from", "499", "--limit", "2"])
        #expect(page.stdout.split(separator: "\n").count == 2)
        #expect(page.stdout.hasPrefix("{\"sequence\":499,"))

        let firstTimestamp = try #require(records.first?["timestamp"] as? String)
        let since = try Parley.run(["log", "dump", data.path, "--since", firstTimestamp, "--limit", "1"])
        #expect(since.stdout.hasPrefix("{\"sequence\":1,"))
    }

    @Test func verifyNamesTheFirstBadLocationAndExitsNonZero() throws {
        let data = DataDirectory()
        // Two appends make two frames; damage a payload byte of the first one.
        _ = try Parley.run(["log", "append", data.path], stdin: lines.prefix(50).joined(separator: "\n"))
        _ = try Parley.run(["log", "append", data.path], stdin: lines.suffix(50).joined(separator: "\n"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data.segmentPath))
        let target = SegmentFile.headerSize + FrameHeader.size + 10
        bytes[target] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: data.segmentPath))

        let verify = try Parley.run(["log", "verify", data.path])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED: checksumMismatch"))
        #expect(verify.stdout.contains("segment \(SegmentFile.name(base: 1)), offset 32, sequence 1"))

        // Opening for writing refuses too, and leaves the file as it was.
        let append = try Parley.run(["log", "append", data.path], stdin: "x\n")
        #expect(append.status != 0)
        #expect(append.stderr.contains("checksumMismatch"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: data.segmentPath)) == bytes)
    }

    @Test func tornTailIsReportedAndCut() throws {
        let data = DataDirectory()
        _ = try Parley.run(["log", "append", data.path], stdin: lines.prefix(20).joined(separator: "\n"))
        _ = try Parley.run(["log", "append", data.path], stdin: lines.suffix(20).joined(separator: "\n"))
        // Group commit decides how the lines fall into frames: find the last frame from `stats --json`.
        let stats = try Parley.run(["log", "stats", data.path, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let lastFrame = try #require(json["lastFrame"] as? [String: Any])
        let offset = try #require(lastFrame["offset"] as? Int)
        let url = URL(fileURLWithPath: data.segmentPath)
        let bytes = try Data(contentsOf: url)
        let firstLost = (0..<8).reduce(0) { $0 | Int(bytes[offset + 8 + $1]) << (8 * $1) }
        #expect(firstLost > 20 && firstLost <= 40)
        try bytes.prefix(bytes.count - 5).write(to: url)

        let verify = try Parley.run(["log", "verify", data.path])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED: tornTail"))
        #expect(verify.stdout.contains("offset \(offset), sequence \(firstLost)"))

        let append = try Parley.run(["log", "append", data.path], stdin: "after the crash\n")
        #expect(append.status == 0)
        #expect(append.stderr.contains("recovered: torn tail in \(SegmentFile.name(base: 1)) at offset \(offset)"))
        #expect(append.stderr.contains("unacknowledged sequences \(firstLost)–40"))
        #expect(append.stdout == "\(firstLost)\n")
        #expect(try Parley.run(["log", "verify", data.path]).status == 0)
    }

    @Test func badArgumentsGetClearErrors() throws {
        let missing = try Parley.run(["log", "verify", "/nonexistent/parley"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("notFound"))
        let durability = try Parley.run(["log", "append", "/tmp/x", "--durability", "sometimes"])
        #expect(durability.status != 0)
        #expect(durability.stderr.contains("--durability must be always, none or interval:MS"))
    }
}

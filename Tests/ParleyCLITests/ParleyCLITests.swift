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
            #expect(record["tag"] as? Int == (index < 500 ? 0 : 7), "records below 0x0100 are not domain events")
            #expect(record["text"] as? String == (index < 500 ? lines[index] : "one more"))
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

/// The chat commands: demo, dump of decoded events, replay summaries, and overdue timers after a crash.
@Suite struct ParleyChatCommandTests {
    private func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { throw CLITestError("not a JSON object: \(text)") }
        return dictionary
    }

    @Test func demoDumpAndReplayShowDecodedEventsAndState() throws {
        let data = DataDirectory()
        let demo = try Parley.run(["demo", data.path, "--scenario", "chat", "--at", "2026-03-01T09:00:00Z"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let dump = try Parley.run(["log", "dump", data.path])
        #expect(dump.status == 0)
        let lines = dump.stdout.split(separator: "\n").map(String.init)
        let types = try lines.map { try json($0)["type"] as? String ?? "?" }
        #expect(types.first == "InstanceConfigured")
        #expect(types.contains("ContactStarted"))
        #expect(types.contains("MessageSent"))
        #expect(types.last == "ChatEnded")
        #expect(!dump.stdout.contains("\"payload\""), "domain events are shown decoded, not as base64")
        let started = try lines.map { try json($0) }.first { $0["type"] as? String == "ContactStarted" } ?? [:]
        let event = started["event"] as? [String: Any]
        #expect((event?["attributes"] as? [String: String]) == ["language": "en", "tier": "gold"])
        #expect(event?["initiationMethod"] as? String == "API")

        let replay = try Parley.run(["replay", data.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        let summary = try json(replay.stdout)
        #expect((summary["contactsByState"] as? [String: Int]) == ["ENDED": 1])
        #expect((summary["billableMessagesByMonth"] as? [String: Int]) == ["2026-03": 4], "greeting + 3 messages")
        let hash = (summary["stateHash"] as? [String: Any])?["combined"] as? String
        #expect(hash?.count == 64)

        // As of the instant the chat started, it is active.
        let startedAt = try lines.map { try json($0) }.first { $0["type"] as? String == "ContactStarted" }?["timestamp"]
        let early = try Parley.run(["replay", data.path, "--until", startedAt as? String ?? "?"])
        let earlySummary = try json(early.stdout)
        #expect((earlySummary["chatsByState"] as? [String: Int]) == ["ACTIVE": 1])
        #expect(earlySummary["position"] as? Int ?? 0 < summary["position"] as? Int ?? 0)

        let again = try Parley.run(["replay", data.path])
        #expect(again.stdout == replay.stdout, "replay is deterministic")

        let bad = try Parley.run(["replay", data.path, "--until", "yesterday"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--until must be an ISO 8601 instant"))
    }

    @Test func contactRecordsRebuildAndTheAuditReplay() throws {
        let data = DataDirectory()
        let demo = try Parley.run(["demo", data.path, "--scenario", "returns", "--at", "2026-03-01T09:00:00Z"])
        #expect(demo.status == 0, "\(demo.stderr)")

        let ctr = try Parley.run(["ctr", data.path])
        #expect(ctr.status == 0, "\(ctr.stderr)")
        let records = try ctr.stdout.split(separator: "\n").map { try json(String($0)) }
        #expect(records.count >= 2)
        let api = try #require(records.first { $0["InitiationMethod"] as? String == "API" })
        let next = try #require(records.first { $0["PreviousContactId"] as? String == api["ContactId"] as? String })
        #expect(api["NextContactId"] as? String == next["ContactId"] as? String)
        #expect(next["InitialContactId"] as? String == api["ContactId"] as? String)
        #expect(records.allSatisfy { $0["Channel"] as? String == "CHAT" && $0["DisconnectTimestamp"] is String })

        let rebuild = try Parley.run(["rebuild", data.path, "--projection", "metrics@2"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("events/s"))
        let report = try json(rebuild.stdout)
        let rebuilt = try #require((report["rebuilt"] as? [[String: Any]])?.first)
        #expect(rebuilt["key"] as? String == "metrics@2")
        #expect((rebuilt["eventsPerSecond"] as? Double ?? 0) > 0)
        let checkpoint = try #require(report["checkpoint"] as? String)
        #expect(FileManager.default.fileExists(atPath: checkpoint))

        // The rebuild's checkpoint holds every projection: the audit replay starts from it.
        let replay = try Parley.run(["replay", data.path, "--records"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let summary = try json(replay.stdout)
        #expect(summary["checkpoint"] as? String == checkpoint)
        let part = try #require(summary["contactRecords"] as? [String: Any])
        #expect(part["completed"] as? Int == records.count)
        #expect((part["records"] as? [Any])?.count == records.count)
        let metrics = try #require(summary["metrics"] as? [String: Any])
        #expect(metrics["projection"] as? String == "metrics@2")
        let results = try #require((metrics["result"] as? [String: Any])?["MetricResults"] as? [[String: Any]])
        #expect(!results.isEmpty)
        let full = try Parley.run(["replay", data.path, "--no-checkpoints"])
        #expect(try json(full.stdout)["stateHash"] as? [String: String] == summary["stateHash"] as? [String: String])

        // As of the first record's start nothing was complete yet.
        let start = try #require(api["InitiationTimestamp"] as? String)
        let early = try json(try Parley.run(["replay", data.path, "--until", start]).stdout)
        #expect((early["contactRecords"] as? [String: Any])?["completed"] as? Int == 0)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let second = try #require(formatter.date(from: start)).addingTimeInterval(1)
        let asOf = try Parley.run(["ctr", data.path, "--as-of", formatter.string(from: second), "--include-open"])
        #expect(asOf.stdout.split(separator: "\n").count == 1)

        let unknown = try Parley.run(["rebuild", data.path, "--projection", "nothing"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no projection"))
        let backwards = try Parley.run([
            "ctr", data.path, "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-01T00:00:00Z",
        ])
        #expect(backwards.status != 0)
    }

    /// A server is killed (SIGKILL) while a chat is active; its ceiling passes while nothing runs. Replaying as of
    /// a later instant reports the ceiling as overdue and never shows the chat active; firing after the restart
    /// records the deadline and the firing time, and the chat ends as of its deadline.
    @Test func killedBetweenDeadlineAndFiring() throws {
        let data = DataDirectory()
        let process = Process()
        process.executableURL = Parley.executable
        process.arguments = [
            "demo", data.path, "--at", "2026-01-01T00:00:00Z", "--duration", "60", "--leave-open",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var printed = Data()
        while !String(decoding: printed, as: UTF8.self).contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let line = String(decoding: printed, as: UTF8.self)
        #expect(line.hasPrefix("contact "), "\(line)")

        let before = try json(try Parley.run(["replay", data.path, "--until", "2026-01-01T00:59:59Z"]).stdout)
        #expect((before["chatsByState"] as? [String: Int]) == ["ACTIVE": 1])
        #expect((before["overdueTimers"] as? [Any])?.isEmpty == true)

        let after = try json(try Parley.run(["replay", data.path, "--until", "2026-01-01T02:00:00Z"]).stdout)
        #expect((after["chatsByState"] as? [String: Int]) == ["ENDED": 1])
        #expect((after["contactsByState"] as? [String: Int]) == ["ENDED": 1])
        #expect(after["chatsEndedByOverdueTimers"] as? Int == 1)
        let overdue = after["overdueTimers"] as? [[String: String]] ?? []
        #expect(overdue.count == 1)
        #expect(overdue.first?["deadline"] == "2026-01-01T01:00:00.000Z")
        #expect(overdue.first?["timer"]?.hasPrefix("chatCeiling/") == true)

        let listed = try Parley.run(["timers", data.path, "--at", "2026-01-01T03:00:00Z"])
        #expect(listed.stdout.contains("2026-01-01T01:00:00.000Z  OVERDUE  chatCeiling/"))

        // The restart fires the overdue ceiling at once. (The chat started 1 µs after the instance was configured.)
        let fired = try Parley.run(["timers", data.path, "--fire", "--at", "2026-01-01T03:00:00Z"])
        #expect(fired.status == 0, "\(fired.stderr)")
        #expect(fired.stdout.hasPrefix("fired 1 timer command(s)"))
        let dump = try Parley.run(["log", "dump", data.path]).stdout.split(separator: "\n").map(String.init)
        let firing = try dump.map { try json($0) }.first { $0["type"] as? String == "TimerFired" }
        let event = firing?["event"] as? [String: Any]
        // The ceiling is one hour after the chat started (a few µs after the instance and sample flows were set up).
        let armed = try dump.map { try json($0) }.first {
            $0["type"] as? String == "TimerArmed"
                && (($0["event"] as? [String: Any])?["key"] as? String)?.hasPrefix("chatCeiling/") == true
        }
        let ceiling = (armed?["event"] as? [String: Any])?["deadline"] as? Int ?? 0
        #expect((1_767_229_200_000_000...1_767_229_200_000_100).contains(ceiling))
        #expect(event?["deadline"] as? Int == ceiling)
        #expect(event?["firedAt"] as? Int == 1_767_236_400_000_000)
        let ended = try dump.map { try json($0) }.first { $0["type"] as? String == "ChatEnded" }
        let endedEvent = ended?["event"] as? [String: Any]
        #expect(endedEvent?["reason"] as? String == "EXPIRED")
        #expect(endedEvent?["effectiveAt"] as? Int == ceiling)

        let final = try json(try Parley.run(["replay", data.path]).stdout)
        #expect((final["chatsByState"] as? [String: Int]) == ["ENDED": 1])
        #expect((final["overdueTimers"] as? [Any])?.isEmpty == true)
        #expect(final["openTimers"] as? Int == 0)
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `parley flow validate`: one line per file, and a non-zero exit when any file is rejected.
@Suite struct ParleyFlowCommandTests {
    /// The real flow exports in `../shared/corpus/flows`, next to the repository.
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/corpus/flows").standardizedFileURL

    private static func flow(greeting: String) -> String {
        """
        {"Version": "2019-10-30", "StartAction": "Play greeting", "Actions": [
          {"Identifier": "Play greeting", "Type": "MessageParticipant", "Parameters": {"Text": \(greeting)},
           "Transitions": {"NextAction": "Hang up", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "Hang up"}]}},
          {"Identifier": "Hang up", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}]}
        """
    }

    @Test func validatePrintsOneLinePerFileAndFailsIfAnyIsRejected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-flow-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.json").path
        let bad = directory.appendingPathComponent("bad.json").path
        try Data(Self.flow(greeting: "\"Welcome!\"").utf8).write(to: URL(fileURLWithPath: good))
        try Data(Self.flow(greeting: "5").utf8).write(to: URL(fileURLWithPath: bad))
        let disconnectFlow = Self.corpus.appendingPathComponent("rules-engine-chat-disconnect.json").path

        let mixed = try Parley.run(["flow", "validate", good, bad, disconnectFlow])
        #expect(mixed.status == 1, "\(mixed.stderr)")
        #expect(
            mixed.stdout.split(separator: "\n").map(String.init) == [
                "\(good): ok (2 actions)",
                "\(bad): rejected: invalidParameter in action \"Play greeting\" (MessageParticipant): "
                    + "Text must be a string",
                "\(disconnectFlow): ok (9 actions)",
            ]
        )

        let allGood = try Parley.run(["flow", "validate", good, disconnectFlow])
        #expect(allGood.status == 0, "\(allGood.stderr)")
        #expect(allGood.stdout == "\(good): ok (2 actions)\n\(disconnectFlow): ok (9 actions)\n")
    }

    @Test func corpusExportWithAnUnsupportedActionIsRejectedByName() throws {
        let cdk = Self.corpus.appendingPathComponent("cdk-constructs-inbound.json").path
        let run = try Parley.run(["flow", "validate", cdk])
        #expect(run.status == 1)
        #expect(
            run.stdout == "\(cdk): rejected: unsupportedAction in action \"fb3373b8-c1c6-4a7f-848d-c82cc8d68f90\" "
                + "(CreateWisdomSession): CreateWisdomSession is not an action type Parley loads\n"
        )
    }

    @Test func missingFilesAndArgumentsAreErrors() throws {
        let missing = try Parley.run(["flow", "validate", "/nonexistent/flow.json"])
        #expect(missing.status == 1)
        #expect(missing.stdout.hasPrefix("/nonexistent/flow.json: rejected: cannot read the file"))
        let none = try Parley.run(["flow", "validate"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("give at least one FILE"))
    }
}

/// `parley demo`: the seed scenario of issue 4 through the engine on a simulated clock, into a real log.
@Suite struct ParleyDemoScenarioTests {
    /// The output split into the variants' blocks, by scenario name (the `== NAME: …` headings).
    private static func blocks(_ output: String) -> [String: [String]] {
        var blocks: [String: [String]] = [:]
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("== "), let colon = line.firstIndex(of: ":") {
                current = String(line[line.index(line.startIndex, offsetBy: 3)..<colon])
            } else if line.hasPrefix("log: ") {
                current = nil
            }
            if let current { blocks[current, default: []].append(line) }
        }
        return blocks
    }

    /// A block's contact segments: `key value` fields of each `contact …` line and the line after it.
    private static func segments(_ block: [String]) -> [[String: String]] {
        var segments: [[String: String]] = []
        for (index, line) in block.enumerated() where line.hasPrefix("  contact ") && index + 1 < block.count {
            var fields: [String: String] = [:]
            for field in (line + "  " + block[index + 1]).split(separator: "  ") {
                let text = field.trimmingCharacters(in: .whitespaces)
                guard let space = text.firstIndex(of: " ") else { continue }
                fields[String(text[..<space])] = String(text[text.index(after: space)...])
            }
            segments.append(fields)
        }
        return segments
    }

    /// The text after `prefix` on the block's first line that starts with it.
    private static func value(_ prefix: String, in block: [String]) -> String? {
        block.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    private func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { throw CLITestError("not a JSON object: \(text)") }
        return dictionary
    }

    @Test func everyVariantRunsInOneLogThatReplaysAndVerifies() throws {
        let data = DataDirectory()
        let demo = try Parley.run(["demo", "--data", data.path, "--scenario", "all"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.hasPrefix("parley demo: the seed scenario (returns, returns-to-queue, times-out, expires)"))
        #expect(demo.stdout.contains("simulated clock from 2026-01-05T09:00:00.000Z"))
        let blocks = Self.blocks(demo.stdout)
        #expect(blocks.keys.sorted() == ["expires", "returns", "returns-to-queue", "times-out"])
        for (name, block) in blocks {
            #expect(block.contains { $0.hasSuffix("  AGENT     Sam  Are you there?") }, "\(name)")
            #expect(
                block.contains {
                    $0.hasSuffix(
                        "  SYSTEM    SYSTEM_MESSAGE  The agent has left the chat. Write within 15 minutes to continue."
                    )
                },
                "\(name)"
            )
            let segments = Self.segments(block)
            try #require(segments.count == 2, "\(name): \(block)")
            #expect(segments[0]["initiation"] == "API")
            #expect(segments[0]["previous"] == "-")
            #expect(segments[0]["next"] == segments[1]["contact"])
            #expect(segments[0]["disconnect"] == "AGENT_DISCONNECT")
            #expect(segments[0]["queue"] == "support")
            #expect(segments[0]["agent"] == "agent-sam")
            #expect(segments[0]["flow"] == "parley-sample-inbound v1 ENDED")
            #expect(segments[1]["initiation"] == "DISCONNECT")
            #expect(segments[1]["previous"] == segments[0]["contact"])
            #expect(segments[1]["next"] == "-")
        }

        let returns = blocks["returns"] ?? []
        #expect(returns.contains { $0.hasSuffix("  CUSTOMER  Ana  Hey, I'm back") })
        #expect(returns.contains { $0.hasSuffix("  AGENT     Sam  Welcome back, Ana. Your parcel arrives tomorrow.") })
        #expect(
            Self.value("outcome: ", in: returns)
                == "back in queue agent/agent-sam; agent-sam took it again; ended CUSTOMER_DISCONNECT at "
                + "2026-01-05T09:12:00.000Z"
        )
        #expect(Self.segments(returns).last?["disconnect"] == "CUSTOMER_DISCONNECT")
        #expect(Self.segments(returns).last?["queue"] == "agent/agent-sam")

        let toQueue = blocks["returns-to-queue"] ?? []
        #expect(toQueue.contains { $0.hasSuffix("  CUSTOMER  Ana  Hey, I'm back") })
        #expect(Self.value("outcome: ", in: toQueue) == "back in queue support")
        #expect(Self.segments(toQueue).last?["queue"] == "support (waiting)")
        #expect(Self.segments(toQueue).last?["disconnect"] == "-")

        let timesOut = blocks["times-out"] ?? []
        #expect(!timesOut.contains { $0.contains("Hey, I'm back") })
        #expect(Self.value("outcome: ", in: timesOut)?.hasPrefix("ended CONTACT_FLOW_DISCONNECT at ") == true)
        #expect(Self.segments(timesOut).last?["disconnect"] == "CONTACT_FLOW_DISCONNECT")
        #expect(Self.segments(timesOut).last?["flow"] == "parley-sample-disconnect v1 ENDED")

        let expires = blocks["expires"] ?? []
        let ceiling = try #require(Self.value("chat ", in: expires)?.components(separatedBy: ", ceiling ").last)
        #expect(Self.value("outcome: ", in: expires) == "ended EXPIRED at \(ceiling)")
        #expect(Self.segments(expires).last?["disconnect"] == "EXPIRED")
        #expect(Self.segments(expires).last?["flow"] == "parley-sample-disconnect v1 WAITING")
        #expect(
            demo.stdout.hasSuffix(
                "replay it: parley replay \(data.path)   (and parley log dump \(data.path) for every event)\n"
            )
        )

        // The log is real: it replays to the same chats, and it verifies.
        let replay = try Parley.run(["replay", data.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        let summary = try json(replay.stdout)
        #expect((summary["chatsByState"] as? [String: Int]) == ["ACTIVE": 1, "ENDED": 3], "returns-to-queue waits")
        let contacts = summary["contactsByState"] as? [String: Int] ?? [:]
        #expect(contacts["ENDED"] == 7)
        #expect(contacts.values.reduce(0, +) == 8)
        #expect(summary["participantsPresent"] as? Int == 1, "Ana, waiting in the support queue")
        let verify = try Parley.run(["log", "verify", data.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.hasPrefix("ok: head sequence "))
    }

    @Test(
        arguments: [
            (
                "returns",
                "back in queue agent/agent-sam; agent-sam took it again; ended CUSTOMER_DISCONNECT at "
                    + "2026-03-02T08:12:00.000Z"
            ),
            ("returns-to-queue", "back in queue support"),
            ("times-out", "ended CONTACT_FLOW_DISCONNECT at 2026-03-02T08:23:00.000Z"),
            ("expires", "ended EXPIRED at 2026-03-02T09:00:00.000Z"),
        ]
    )
    func oneVariantOnTheSimulatedClockInATemporaryDirectory(scenario: String, outcome: String) throws {
        let demo = try Parley.run(["demo", "--scenario", scenario, "--at", "2026-03-02T08:00:00Z"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(Self.blocks(demo.stdout).keys.sorted() == [scenario])
        #expect(Self.value("outcome: ", in: Self.blocks(demo.stdout)[scenario] ?? []) == outcome)
        let log = try #require(Self.value("log: ", in: demo.stdout.components(separatedBy: "\n")))
        let directory = URL(fileURLWithPath: String(log.prefix { $0 != "," })).deletingLastPathComponent().path
        #expect(log.contains("(temporary: removed on exit; use --data DIR)"))
        #expect(!FileManager.default.fileExists(atPath: directory), "the temporary directory is gone")
    }

    @Test func withoutArgumentsEveryVariantRunsAndNothingIsLeftBehind() throws {
        let demo = try Parley.run(["demo"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let outcomes = demo.stdout.split(separator: "\n").filter { $0.hasPrefix("outcome: ") }
        #expect(outcomes.count == 4)
        #expect(demo.stdout.contains("outcome: back in queue agent/agent-sam;"))
        #expect(demo.stdout.contains("outcome: back in queue support\n"))
        #expect(demo.stdout.contains("outcome: ended CONTACT_FLOW_DISCONNECT at 2026-01-05T"))
        #expect(demo.stdout.contains("outcome: ended EXPIRED at 2026-01-05T"))
        let log = try #require(Self.value("log: ", in: demo.stdout.components(separatedBy: "\n")))
        let directory = URL(fileURLWithPath: String(log.prefix { $0 != "," })).deletingLastPathComponent().path
        #expect(directory.contains("parley-demo-"))
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func aSecondRunContinuesAfterTheLogOnThePositionalDirectory() throws {
        let data = DataDirectory()
        let first = try Parley.run(["demo", data.path, "--scenario", "times-out"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("outcome: ended CONTACT_FLOW_DISCONNECT at 2026-01-05T09:23:00.000Z\n"))
        // Same default start, but the clock never runs behind the log: the next chat starts at the next minute.
        let second = try Parley.run(["demo", data.path, "--scenario", "times-out"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("simulated clock from 2026-01-05T09:24:00.000Z"))
        #expect(second.stdout.contains("outcome: ended CONTACT_FLOW_DISCONNECT at 2026-01-05T09:47:00.000Z\n"))
        let summary = try json(try Parley.run(["replay", data.path]).stdout)
        #expect((summary["chatsByState"] as? [String: Int]) == ["ENDED": 2])
        #expect(try Parley.run(["log", "verify", data.path]).status == 0)
    }

    @Test func badArgumentsAreRejectedBeforeAnythingIsWritten() throws {
        let twice = try Parley.run(["demo", "/tmp/parley-a", "--data", "/tmp/parley-b"])
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("DIR and --data /tmp/parley-b differ"))
        let duration = try Parley.run(["demo", "--duration", "60"])
        #expect(duration.status != 0)
        #expect(duration.stderr.contains("--duration applies to --scenario chat and --leave-open"))
        let open = try Parley.run(["demo", "--leave-open"])
        #expect(open.status != 0)
        #expect(open.stderr.contains("--leave-open needs a data directory"))
        let unknown = try Parley.run(["demo", "--scenario", "sometimes"])
        #expect(unknown.status != 0)
        let at = try Parley.run(["demo", "--at", "tomorrow"])
        #expect(at.status != 0)
        #expect(at.stderr.contains("--at must be an ISO 8601 instant"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/parley-a"))
    }
}

/// `parley flow publish` / `list`: flows as versioned resources of a data directory.
@Suite struct ParleyFlowResourceCommandTests {
    @Test func publishListAndRepublish() throws {
        let data = DataDirectory()
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/flows")
        let file = corpus.appendingPathComponent("rules-engine-wait.json").path
        let first = try Parley.run(
            ["flow", "publish", data.path, file, "--id", "wait-flow", "--name", "Wait", "--instance", "cli-instance"]
        )
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "published wait-flow version 1\n")
        let second = try Parley.run(["flow", "publish", data.path, file, "--id", "wait-flow"])
        #expect(second.stdout == "published wait-flow version 2\n")
        let listed = try Parley.run(["flow", "list", data.path])
        #expect(listed.stdout == "wait-flow  CONTACT_FLOW  v2  Wait\n")

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).json")
        try Data("{\"Version\":\"2019-10-30\",\"StartAction\":\"x\",\"Actions\":[]}".utf8).write(to: broken)
        defer { try? FileManager.default.removeItem(at: broken) }
        let rejected = try Parley.run(["flow", "publish", data.path, broken.path, "--name", "Broken"])
        #expect(rejected.status != 0)
        #expect(rejected.stderr.contains("InvalidContactFlowException"))
        #expect(try Parley.run(["flow", "list", data.path]).stdout == listed.stdout, "nothing was written")
    }
}

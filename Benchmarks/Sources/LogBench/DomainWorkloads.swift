import BenchChat
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

#if canImport(Glibc)
import Glibc
#endif

/// The chat domain's workloads: whole chats through `Engine<ChatMachine>` and through its SQLite peer, and the
/// replay and decoding of a log of chat events next to the same events as JSON lines.
struct DomainWorkloads {
    /// The message texts the clients send.
    let messages: ChatMessages

    /// What a timed run of chat clients produced.
    struct CommandRun {
        /// Commands answered (the set-up commands not included).
        var commands: Int
        /// Chats run to their end.
        var chats: Int
        /// Events committed by those commands.
        var events: Int
        /// Wall-clock seconds from the first command to the last answer.
        var seconds: Double
        /// Latency of every command, in seconds.
        var latency: Sample
        /// Frames written (Parley) or transactions committed (SQLite).
        var commits: Int
        /// `fdatasync` calls of the log (Parley only).
        var syncs: Int

        /// Commands answered per second.
        var commandsPerSecond: Double { Double(commands) / seconds }
        /// Events committed per second.
        var eventsPerSecond: Double { Double(events) / seconds }
        /// Frames or transactions per command.
        var commitsPerCommand: Double { Double(commits) / Double(max(commands, 1)) }
    }

    /// `clients` tasks run chats through a new `Engine<ChatMachine>` over the log in `directory` for `duration`
    /// seconds.
    func engineCommands(
        directory: String,
        durability: Durability,
        clients: Int,
        duration: Double
    ) async throws -> CommandRun {
        let engine = try await EngineLoad.openWithSetup(directory: directory, durability: durability)
        let before = engine.logStatistics
        let run = try await drive(clients: clients, duration: duration) { await engine.submit($0) }
        let after = engine.logStatistics
        await engine.close()
        return CommandRun(
            commands: run.tally.commands,
            chats: run.tally.chats,
            events: after.records - before.records,
            seconds: run.seconds,
            latency: Sample(run.tally.latencies),
            commits: after.frames - before.frames,
            syncs: after.syncs - before.syncs
        )
    }

    /// The same clients and chats through `SQLiteChatEngine` over a new database at `path`.
    func sqliteCommands(
        path: String,
        synchronous: SQLiteEventStore.Synchronous,
        commit: SQLiteChatEngine.Commit,
        clients: Int,
        duration: Double
    ) async throws -> CommandRun {
        let database = try SQLiteChatEngine(path: path, synchronous: synchronous, commit: commit)
        try await ChatScript.runSetup { await database.submit($0) }
        let before = database.counters
        let run = try await drive(clients: clients, duration: duration) { await database.submit($0) }
        let after = database.counters
        return CommandRun(
            commands: run.tally.commands,
            chats: run.tally.chats,
            events: after.events - before.events,
            seconds: run.seconds,
            latency: Sample(run.tally.latencies),
            commits: after.transactions - before.transactions,
            syncs: 0
        )
    }

    /// Runs `clients` chat clients against `submit` until `duration` seconds have passed.
    private func drive(
        clients: Int,
        duration: Double,
        submit: @escaping SubmitCommand
    ) async throws -> (tally: ClientTally, seconds: Double) {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(duration * 1000))
        let tally = try await EngineLoad.drive(
            clients: clients,
            messages: messages,
            recordLatency: true,
            submit: submit
        ) { _ in ContinuousClock.now < deadline }
        return (tally, start.duration(to: .now).seconds)
    }

    /// What building the replay log took.
    struct Build {
        /// Records in the log (set-up events included).
        var events: Int
        /// Commands answered.
        var commands: Int
        /// Chats run to their end.
        var chats: Int
        /// Seconds the build took.
        var seconds: Double
    }

    /// Fills a new log in `directory` with whole chats through `Engine<ChatMachine>` (durability `none`, `clients`
    /// concurrent clients so that batches are large) until it holds at least `events` records and `bytes` bytes of
    /// frames.
    func buildLog(directory: String, events: Int, bytes: Int64 = 0, clients: Int = 64) async throws -> Build {
        var options = EventLogOptions()
        options.durability = .none
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            options: options,
            generator: SplitMix64(seed: 0xB11D)
        )
        let start = ContinuousClock.now
        try await ChatScript.runSetup { await engine.submit($0) }
        let messages = messages
        let tally = try await withThrowingTaskGroup(of: ClientTally.self) { group in
            for index in 0..<clients {
                group.addTask {
                    try await ChatClient(
                        submit: { await engine.submit($0) },
                        messages: messages,
                        index: index,
                        typingAndReceipts: true
                    )
                    .run(recordLatency: false) {
                        engine.logStatistics.records < events
                            || (bytes > 0 && engine.logExtent.segments.reduce(0) { $0 + $1.length } < bytes)
                    }
                }
            }
            var total = ClientTally()
            for try await part in group { total.merge(part) }
            return total
        }
        let written = engine.logStatistics.records
        await engine.close()
        return Build(
            events: written,
            commands: tally.commands,
            chats: tally.chats,
            seconds: start.duration(to: .now).seconds
        )
    }

    /// Replays the log in `directory` the way a server starts: `Engine<ChatMachine>.replay` (read, decode, apply).
    /// The caller keeps the result, as a server does, and times its release apart.
    func replay(directory: String) throws -> Snapshot<ChatState> {
        try Engine<ChatMachine>.replay(dataDirectory: directory, threads: .one)
    }

    /// Replays the log in `directory` into the state and every projection (`ChatMachine.projections`: contact
    /// records, metrics v1 and v2), without checkpoints, as `parley replay --no-checkpoints` does; with `threads`
    /// `.two`, decoding runs on a second thread.
    func replayAll(directory: String, threads: ReplayThreads) throws -> Snapshot<ChatState> {
        try Engine<ChatMachine>.replay(
            dataDirectory: directory,
            projections: ChatMachine.projections,
            useCheckpoints: false,
            threads: threads
        ).snapshot
    }

    /// What a decoding pass saw, so the binary and JSON decoders can be checked against each other.
    struct DecodeTally: Equatable {
        /// Events decoded.
        var events = 0
        /// Bytes of message content (`MessageSent`), summed.
        var messageBytes = 0
    }

    /// Reads and decodes every record of the log in `directory` into `ChatEvent`s without applying them:
    /// `LogReader.forEach` and `ChatEventCatalogue.decode`.
    func decode(directory: String) throws -> DecodeTally {
        var tally = DecodeTally()
        var failure: DecodeError?
        let reader = try LogReader.open(dataDirectory: directory)
        try reader.forEach(fromSequence: 1) { record in
            do throws(DecodeError) {
                guard let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) else {
                    return true
                }
                tally.events += 1
                if case .messageSent(let message) = event { tally.messageBytes += message.content.utf8.count }
            } catch {
                failure = error
                return false
            }
            return true
        }
        if let failure { throw BenchError("the domain log does not decode: \(failure)") }
        return tally
    }

    /// Event counts by type name in the log in `directory`, largest first.
    func mix(directory: String) throws -> [(name: String, count: Int)] {
        var counts: [String: Int] = [:]
        let reader = try LogReader.open(dataDirectory: directory)
        try reader.forEach(fromSequence: 1) { record in
            counts[ChatEventCatalogue.name(ofTag: record.type) ?? "tag \(record.type)", default: 0] += 1
            return true
        }
        return counts.map { ($0.key, $0.value) }.sorted { $0.count > $1.count }
    }

    /// Writes every event of the log in `directory` to `path` as one JSON line each, in the shape of
    /// `parley log dump`: `{"sequence":…,"timestamp":"…","type":"…","event":{…}}` with the event rendered by
    /// `ChatEventCatalogue.json`. Returns the lines and bytes written.
    func writeJSONLines(from directory: String, to path: String) throws -> (lines: Int, bytes: Int) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchError("cannot create \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 21)
        var lines = 0
        var bytes = 0
        let reader = try LogReader.open(dataDirectory: directory)
        try reader.forEach(fromSequence: 1) { record in
            guard let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) else {
                return true
            }
            let line =
                "{\"sequence\":\(record.sequence),\"timestamp\":\"\(LogTime.iso8601(record.timestamp))\","
                + "\"type\":\"\(event.name)\",\"event\":\(ChatEventCatalogue.json(event))}\n"
            buffer.append(contentsOf: line.utf8)
            lines += 1
            if buffer.count >= 1 << 20 {
                bytes += buffer.count
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
            return true
        }
        bytes += buffer.count
        try handle.write(contentsOf: buffer)
        return (lines, bytes)
    }

    /// Reads the JSON-lines file at `path` and parses every line with Foundation's `JSONSerialization`, reading
    /// the event's type and, for messages, the content: the JSON peer of `decode(directory:)`.
    ///
    /// This is a generous baseline for JSON: it stops at `[String: Any]` and does not build typed events.
    func decodeJSONLines(path: String) throws -> DecodeTally {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        var tally = DecodeTally()
        var start = 0
        let count = data.count
        while start < count {
            let end = data.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress, let found = memchr(base + start, 0x0A, count - start) else {
                    return count
                }
                return base.distance(to: UnsafeRawPointer(found))
            }
            let object = try JSONSerialization.jsonObject(with: data[start..<end])
            guard let line = object as? [String: Any], let type = line["type"] as? String,
                let event = line["event"] as? [String: Any]
            else { throw BenchError("line at byte \(start) of \(path) is not an event") }
            tally.events += 1
            if type == "MessageSent", let content = event["content"] as? String {
                tally.messageBytes += content.utf8.count
            }
            start = end + 1
        }
        return tally
    }
}

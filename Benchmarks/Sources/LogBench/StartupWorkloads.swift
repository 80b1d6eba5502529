import BenchChat
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Synchronization

/// Startup from checkpoints: logs of whole chats built through `Engine<ChatMachine>` with every chat projection,
/// then `Engine.open` timed from a current checkpoint, from a checkpoint plus a tail of the log, and from the log
/// alone (full replay), with the checkpoint's load taken apart.
struct StartupWorkloads {
    /// The message texts the clients send.
    let messages: ChatMessages

    /// The projections a Parley server keeps: every one is built, checkpointed and loaded.
    static var projections: [any Projection<ChatMachine>.Type] { ChatMachine.projections }

    /// Opening loads the newest checkpoint and never writes one: a measured open leaves the files as they were.
    static let loadOnly = CheckpointPolicy(everyEvents: 0, onClose: false, loadAtOpen: true)

    /// What building a log took.
    struct Build {
        /// Records in the log (set-up events included).
        var events: Int
        /// Commands answered.
        var commands: Int
        /// Chats run to their end.
        var chats: Int
        /// Seconds the build took, the checkpoint written at close included.
        var seconds: Double
    }

    /// Fills a new log in `directory` with exactly `chats` whole chats (after the set-up) through an engine that
    /// keeps every chat projection, `clients` clients at once, durability `none`; closing the engine writes the
    /// one checkpoint (none is written while building).
    func buildLog(directory: String, chats: Int, clients: Int = 64) async throws -> Build {
        var options = EventLogOptions()
        options.durability = .none
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            options: options,
            generator: SplitMix64(seed: 0x57A2_7B11),
            projections: Self.projections,
            checkpoints: CheckpointPolicy(everyEvents: 0, onClose: true, loadAtOpen: true)
        )
        let start = ContinuousClock.now
        try await ChatScript.runSetup { await engine.submit($0) }
        let messages = messages
        let clients = max(1, min(clients, chats))
        let tally = try await withThrowingTaskGroup(of: ClientTally.self) { group in
            for index in 0..<clients {
                // Every client runs its share of whole chats: a chat is exactly `commandsPerChat` commands.
                let share = chats / clients + (index < chats % clients ? 1 : 0)
                let budget = share * ChatScript.commandsPerChat
                let sent = CommandCounter()
                group.addTask {
                    let submit: SubmitCommand = { command in
                        sent.increment()
                        return await engine.submit(command)
                    }
                    return try await ChatClient(submit: submit, messages: messages, index: index)
                        .run(recordLatency: false) { sent.value < budget }
                }
            }
            var total = ClientTally()
            for try await part in group { total.merge(part) }
            return total
        }
        let state = engine.snapshot.state
        let written = engine.logStatistics.records
        await engine.close()
        guard tally.chats == chats, state.chats.count == chats, state.activeChats == 0 else {
            throw BenchError(
                "the build ran \(tally.chats) chats, the state holds \(state.chats.count) "
                    + "(\(state.activeChats) active), \(chats) were asked for"
            )
        }
        return Build(
            events: written,
            commands: tally.commands,
            chats: tally.chats,
            seconds: start.duration(to: .now).seconds
        )
    }

    /// Appends chats to the log in `directory` through an engine that loads its checkpoint and writes none, until
    /// at least `events` records were added (the last chats are left open, as at a crash); returns the records
    /// added.
    func appendTail(directory: String, events: Int, clients: Int = 8) async throws -> Int {
        var options = EventLogOptions()
        options.durability = .none
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            options: options,
            generator: SplitMix64(seed: 0x7A11_5EED),
            projections: Self.projections,
            checkpoints: Self.loadOnly
        )
        let messages = messages
        try await withThrowingTaskGroup(of: ClientTally.self) { group in
            for index in 0..<clients {
                group.addTask {
                    // Other client numbers than the build's, so the names and texts differ.
                    try await ChatClient(submit: { await engine.submit($0) }, messages: messages, index: 1000 + index)
                        .run(recordLatency: false) { engine.logStatistics.records < events }
                }
            }
            for try await _ in group {}
        }
        let written = engine.logStatistics.records
        await engine.close()
        return written
    }

    /// One timed open.
    struct Open {
        /// Wall-clock seconds of `Engine.open` (the close after it not included).
        var seconds: Double
        /// What the engine said it did.
        var report: OpenReport
        /// The log position it reached.
        var position: UInt64
    }

    /// Opens an engine on `directory` with every chat projection and `checkpoints`, times it, and closes it.
    func open(directory: String, checkpoints: CheckpointPolicy) async throws -> Open {
        let start = ContinuousClock.now
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            projections: Self.projections,
            checkpoints: checkpoints
        )
        let seconds = start.duration(to: .now).seconds
        let opened = Open(seconds: seconds, report: engine.openReport, position: engine.snapshot.position)
        await engine.close()
        return opened
    }

    /// The state and projection hashes an open reaches, to check that loading a checkpoint and replaying the
    /// whole log agree.
    func stateHashes(directory: String, checkpoints: CheckpointPolicy) async throws -> [String] {
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            projections: Self.projections,
            checkpoints: checkpoints
        )
        let snapshot = engine.snapshot
        await engine.close()
        guard let codec = ChatMachine.stateSnapshot else { throw BenchError("ChatMachine has no state codec") }
        var hashes = ["chat: " + StateDigest.hex(StateDigest.sha256(codec.encode(snapshot.state)))]
        for member in snapshot.projections.members {
            hashes.append("\(type(of: member).key): \(member.stateHash())")
        }
        return hashes
    }

    /// Opens the log in `directory` from its checkpoint and tail and writes a checkpoint at the head; returns the
    /// seconds `writeCheckpoint` took (encoding every section, LZ4, SHA-256, the durable write).
    func writeCurrentCheckpoint(directory: String) async throws -> Double {
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            projections: Self.projections,
            checkpoints: Self.loadOnly
        )
        let start = ContinuousClock.now
        let path = try await engine.writeCheckpoint()
        let seconds = start.duration(to: .now).seconds
        await engine.close()
        guard path != nil else { throw BenchError("writeCheckpoint wrote nothing") }
        return seconds
    }

    /// The newest checkpoint file of `directory` and its size.
    func checkpointFile(directory: String) throws -> (path: String, bytes: Int64) {
        let files = FileTree.files(in: Checkpoint.directory(in: directory)).filter { $0.hasSuffix(".ckpt") }
        guard let path = files.last else { throw BenchError("no checkpoint in \(directory)") }
        return (path, FileTree.size(path))
    }

    /// Where the time of loading one checkpoint goes, in seconds, and the sizes of its sections.
    struct LoadParts {
        /// `Checkpoint.load`: the footer and header (CRC-32C), and each section's hot part (LZ4, SHA-256); the
        /// cold tables are not read.
        var container = 0.0
        /// Decoding the `ChatState` section's hot part.
        var state = 0.0
        /// Decoding each projection's section, in registration order.
        var projections: [(key: String, seconds: Double)] = []
        /// Raw (decompressed) bytes of each section's hot part: the state first, then the projections.
        var sectionBytes: [(key: String, bytes: Int)] = []
        /// Entries in each section's cold tables (read on demand, not at open).
        var coldEntries: [(key: String, entries: Int)] = []

        /// Everything above.
        var total: Double { container + state + projections.reduce(0) { $0 + $1.seconds } }
    }

    /// Loads the checkpoint at `path` step by step, the way `Engine.open` does, timing each step.
    func loadParts(path: String) throws -> LoadParts {
        var parts = LoadParts()
        let (checkpoint, containerSeconds) = try timed { try Checkpoint.load(path: path) }
        parts.container = containerSeconds
        guard let codec = ChatMachine.stateSnapshot,
            let stateSection = checkpoint.section(name: codec.name, version: codec.version)
        else { throw BenchError("\(path) holds no chat state") }
        let (state, stateSeconds) = try timed { try codec.decodeSplit(stateSection.bytes, stateSection.cold) }
        guard state.eventCount > 0 else { throw BenchError("\(path) holds an empty chat state") }
        parts.state = stateSeconds
        parts.sectionBytes.append(("chat@\(codec.version)", stateSection.bytes.count))
        parts.coldEntries.append(("chat@\(codec.version)", stateSection.coldEntries))
        for type in Self.projections {
            guard let section = checkpoint.section(name: type.name, version: type.version) else {
                throw BenchError("\(path) holds no \(type.key)")
            }
            let (_, seconds) = try timed { try section.decode(type) }
            parts.projections.append((type.key, seconds))
            parts.sectionBytes.append((type.key, section.bytes.count))
            parts.coldEntries.append((type.key, section.coldEntries))
        }
        return parts
    }

    /// Rebuilds the projections named `name` offline from the whole log (`Engine.rebuildOffline`, which also writes
    /// a checkpoint).
    func rebuild(directory: String, name: String) throws -> OfflineRebuildReport {
        try Engine<ChatMachine>.rebuildOffline(dataDirectory: directory, projections: Self.projections, name: name)
    }
}

/// Commands one client has sent, read by its own `keepGoing` check.
final class CommandCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts one command.
    func increment() { count.add(1, ordering: .relaxed) }

    /// Commands counted so far.
    var value: Int { count.load(ordering: .relaxed) }
}

import EventLog
import ParleyDomain
import ParleyEngine

/// Chat clients through an engine for a fixed amount of work, for profilers: the same commands however the tasks
/// are scheduled, so that instruction counts (callgrind) compare between builds.
public enum EngineLoad {
    /// What a run did.
    public struct Result: Sendable {
        /// Commands answered (the set-up commands not included).
        public var commands: Int
        /// Chats run to their end.
        public var chats: Int
        /// Records committed.
        public var events: Int
        /// Frames (batches) written.
        public var frames: Int
    }

    /// `clients` tasks run chats through a new `Engine<ChatMachine>` (durability none) over the log in
    /// `directory`, each until it has asked `budget` times whether to go on (once before every command).
    public static func run(directory: String, clients: Int, budget: Int) async throws -> Result {
        var options = EventLogOptions()
        options.durability = .none
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            options: options,
            generator: SplitMix64(seed: 0xC0FF_EE00)
        )
        try await ChatScript.runSetup { await engine.submit($0) }
        let before = engine.logStatistics
        let messages = ChatMessages()
        let tally = try await withThrowingTaskGroup(of: ClientTally.self) { group in
            for index in 0..<clients {
                group.addTask {
                    var asked = 0
                    let client = ChatClient(submit: { await engine.submit($0) }, messages: messages, index: index)
                    return try await client.run(recordLatency: false) {
                        asked += 1
                        return asked <= budget
                    }
                }
            }
            var total = ClientTally()
            for try await part in group { total.merge(part) }
            return total
        }
        let after = engine.logStatistics
        await engine.close()
        return Result(
            commands: tally.commands,
            chats: tally.chats,
            events: after.records - before.records,
            frames: after.frames - before.frames
        )
    }
}

import EventLog
import ParleyDomain
import ParleyEngine

/// Chat clients through an engine: the engine-commands phase of `log-bench`, and a fixed amount of work for profilers
/// (the same commands however the tasks are scheduled, so that callgrind's instruction counts compare between builds).
public enum EngineLoad {
    /// What a fixed run did.
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

    /// A new `Engine<ChatMachine>` over the log in `directory`, folding `projections`, with `ChatScript`'s set-up done.
    public static func openWithSetup(
        directory: String,
        durability: Durability,
        projections: [any Projection<ChatMachine>.Type] = []
    ) async throws -> Engine<ChatMachine> {
        var options = EventLogOptions()
        options.durability = durability
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory,
            options: options,
            generator: SplitMix64(seed: 0xC0FF_EE00),
            projections: projections
        )
        try await ChatScript.runSetup { await engine.submit($0) }
        return engine
    }

    /// `clients` chat clients at once against `submit`, client k numbered k, with `messagesPerChat` messages in each
    /// chat; each runs while `keepGoing(asked)` is true, `asked` counting its own checks from 1 (one before every
    /// command).
    public static func drive(
        clients: Int,
        messages: ChatMessages,
        messagesPerChat: Int = ChatScript.messagesPerChat,
        typingAndReceipts: Bool = false,
        recordLatency: Bool,
        submit: @escaping SubmitCommand,
        keepGoing: @escaping @Sendable (_ asked: Int) -> Bool
    ) async throws -> ClientTally {
        try await withThrowingTaskGroup(of: ClientTally.self) { group in
            for index in 0..<clients {
                group.addTask {
                    var asked = 0
                    let client = ChatClient(
                        submit: submit,
                        messages: messages,
                        index: index,
                        messagesPerChat: messagesPerChat,
                        typingAndReceipts: typingAndReceipts
                    )
                    return try await client.run(recordLatency: recordLatency) {
                        asked += 1
                        return keepGoing(asked)
                    }
                }
            }
            var total = ClientTally()
            for try await part in group { total.merge(part) }
            return total
        }
    }

    /// `clients` tasks run chats of `messagesPerChat` messages through a new engine (durability none, folding
    /// `projections`) over the log in `directory`, each until it has asked `budget` times whether to go on.
    public static func run(
        directory: String,
        clients: Int,
        messagesPerChat: Int = ChatScript.messagesPerChat,
        typingAndReceipts: Bool = false,
        projections: [any Projection<ChatMachine>.Type] = [],
        budget: Int
    ) async throws -> Result {
        let engine = try await openWithSetup(directory: directory, durability: .none, projections: projections)
        let before = engine.logStatistics
        let tally = try await drive(
            clients: clients,
            messages: ChatMessages(tokens: max(messagesPerChat, ChatScript.messagesPerChat) * 4),
            messagesPerChat: messagesPerChat,
            typingAndReceipts: typingAndReceipts,
            recordLatency: false
        ) {
            await engine.submit($0)
        } keepGoing: { asked in
            asked <= budget
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

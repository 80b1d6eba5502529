import BenchChat
import Dispatch
import EventLog
import ParleyDomain
import ParleyEngine
import Synchronization

/// The SQLite peer of `Engine<ChatMachine>`: the same single writer deciding the same commands against the same
/// in-memory `ChatState`, stamping and encoding the same events, but storing them in SQLite (one `INSERT` per
/// event into the `events` table of `SQLiteEventStore`) instead of the log.
///
/// Callers queue commands; a serial dispatch queue takes everything pending. With `perCommand` each command is its
/// own `BEGIN IMMEDIATE … COMMIT` (what a request handler writing through SQLite does); with `grouped` the commands
/// pending together are decided one after another and committed in one transaction, as the engine commits one
/// frame per batch. Callers are answered after the commit, and the state moves on only then.
final class SQLiteChatEngine: Sendable {
    /// How commands are grouped into transactions.
    enum Commit: Sendable {
        /// One transaction per command.
        case perCommand
        /// One transaction for all the commands waiting when the writer comes round (group commit).
        case grouped
    }

    private struct Pending {
        var command: ChatCommand
        var continuation: CheckedContinuation<Result<ChatReply, ChatError>, Never>
    }

    private struct Shared {
        var pending: [Pending] = []
        var draining = false
    }

    /// Everything the writer owns; touched only on `queue`.
    private final class Writer: @unchecked Sendable {
        let store: SQLiteEventStore
        var state = ChatMachine.initialState()
        var generator: any RandomNumberGenerator = SplitMix64(seed: 0xC0FF_EE00)
        var lastTimestamp: Int64 = 0
        var transactions = 0
        var events = 0
        let clock = SystemClock()

        init(store: SQLiteEventStore) { self.store = store }

        /// Decides `commands` in order against the working state and commits all their events in one transaction.
        func run(_ commands: [ChatCommand]) -> [Result<ChatReply, ChatError>] {
            var working = state
            var last = lastTimestamp
            var records: [LogRecord] = []
            var results: [Result<ChatReply, ChatError>] = []
            results.reserveCapacity(commands.count)
            for command in commands {
                let now = max(clock.now(), last + 1)
                var context = DecisionContext(now: now, generator: generator)
                let result = ChatMachine.decide(working, command, context: &context)
                generator = context.randomSource
                switch result {
                case .failure(let error):
                    results.append(.failure(error))
                case .success(let decision):
                    for (index, event) in decision.events.enumerated() {
                        let (tag, payload) = ChatMachine.encode(event)
                        let timestamp = now + Int64(index)
                        records.append(LogRecord(timestamp: timestamp, type: tag, payload: payload))
                        ChatMachine.apply(event, at: timestamp, to: &working)
                        last = timestamp
                    }
                    results.append(.success(decision.reply))
                }
            }
            guard !records.isEmpty else { return results }
            do {
                _ = try store.insert(records, stampNow: false)
            } catch {
                let failure = ChatMachine.storageFailure("\(error)")
                return commands.map { _ in .failure(failure) }
            }
            transactions += 1
            events += records.count
            state = working
            lastTimestamp = last
            return results
        }
    }

    private let shared = Mutex(Shared())
    private let queue = DispatchQueue(label: "parley.bench.sqlite-chat-writer", qos: .userInitiated)
    private let writer: Writer
    private let commit: Commit

    /// A writer over a new or existing database at `path` (its state starts empty: use a new database).
    init(path: String, synchronous: SQLiteEventStore.Synchronous, commit: Commit) throws {
        writer = Writer(store: try SQLiteEventStore(path: path, synchronous: synchronous))
        self.commit = commit
    }

    /// Decides `command`, commits its events and returns the reply, or the reason it was rejected.
    func submit(_ command: ChatCommand) async -> Result<ChatReply, ChatError> {
        await withCheckedContinuation { continuation in
            let startDrain = shared.withLock { state in
                state.pending.append(Pending(command: command, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    /// Transactions committed and events inserted so far (read after the callers are done).
    var counters: (transactions: Int, events: Int) {
        queue.sync { (writer.transactions, writer.events) }
    }

    /// Runs on `queue`: commits what is pending, repeats until nothing is left.
    private func drain() {
        while true {
            let batch: [Pending] = shared.withLock { state in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            if batch.isEmpty { return }
            switch commit {
            case .perCommand:
                for pending in batch {
                    let result = writer.run([pending.command])[0]
                    pending.continuation.resume(returning: result)
                }
            case .grouped:
                let results = writer.run(batch.map(\.command))
                for (pending, result) in zip(batch, results) { pending.continuation.resume(returning: result) }
            }
        }
    }
}

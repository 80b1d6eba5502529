import ArgumentParser
import BenchChat
import Dispatch
import ParleyDomain
import ParleyEngine
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `replay-profile`: replays a chat log kept by `log-bench --domain-log DIR`, or runs a fixed amount of chat commands
/// through the engine, for profilers (callgrind, perf) that should see that and nothing else.
@main
struct ReplayProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-profile",
        abstract: "Replays the chat log in a data directory, or runs chat commands through the engine, for profiling."
    )

    @Argument(help: "The data directory: its log/ holds the chat events, or (with --commands) a new log is made there.")
    var directory: String

    @Flag(
        help: """
            Fold every projection (contact records, metrics v1 and v2) beside the state; with --commands, as a \
            server does.
            """
    )
    var projections = false

    @Flag(help: "Decode on a second thread while this one applies.")
    var twoThreads = false

    @Option(help: "Replays to run.")
    var runs = 1

    @Option(
        help: """
            Instead of replaying: chat clients (log-bench's engine-commands clients, --clients of them) each ask \
            this many times whether to send another command (once before each), through an engine with durability \
            none over a new log in the directory, which must not hold one yet.
            """
    )
    var commands: Int?

    @Option(help: "With --commands: concurrent chat clients (each keeps one chat, and its timers, open).")
    var clients = 64

    @Option(help: "With --commands: messages in each chat (long chats show what grows with a transcript).")
    var messagesPerChat = ChatScript.messagesPerChat

    @Flag(
        help: """
            With --commands: before each message its sender sends a typing event, and after it the reader a read \
            receipt, as log-bench's domain-replay log does.
            """
    )
    var typingAndReceipts = false

    mutating func run() throws {
        if let commands {
            guard access(directory + "/log", F_OK) != 0 else {
                throw ValidationError("\(directory) already holds a log; --commands makes a new one")
            }
            let start = ContinuousClock.now
            guard clients > 0 else { throw ValidationError("--clients must be at least 1") }
            let folded = projections ? ChatMachine.projections : []
            let result = try Self.blocking { [directory, messagesPerChat, typingAndReceipts, clients] in
                try await EngineLoad.run(
                    directory: directory,
                    clients: clients,
                    messagesPerChat: messagesPerChat,
                    typingAndReceipts: typingAndReceipts,
                    projections: folded,
                    budget: commands
                )
            }
            print(
                "\(result.commands) commands, \(result.chats) chats, \(result.events) events, \(result.frames) frames"
                    + " in \(start.duration(to: .now).seconds) s"
            )
            return
        }
        for _ in 0..<runs {
            let start = ContinuousClock.now
            var snapshot: Snapshot<ChatState>? = try Engine<ChatMachine>.replay(
                dataDirectory: directory,
                projections: projections ? ChatMachine.projections : [],
                useCheckpoints: false,
                threads: twoThreads ? .two : .one
            ).snapshot
            let seconds = start.duration(to: .now).seconds
            let position = snapshot?.position ?? 0
            // The release is timed apart: a server keeps the state it replayed.
            let releaseStart = ContinuousClock.now
            snapshot = nil
            let releaseSeconds = releaseStart.duration(to: .now).seconds
            let rate = Double(position) / seconds
            print("\(position) events in \(seconds) s: \(Int(rate)) events/s; released in \(releaseSeconds) s")
        }
    }

    /// Runs `body` on the cooperative pool and blocks this thread until it is done. Not an async `run`: valgrind
    /// 3.19 stops with an internal error when the main thread parks in an async main.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}

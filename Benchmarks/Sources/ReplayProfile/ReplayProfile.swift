import ArgumentParser
import ParleyDomain
import ParleyEngine

#if canImport(Glibc)
import Glibc
#endif

/// `replay-profile`: replays a chat log kept by `log-bench --domain-log DIR`, for profilers (callgrind, perf) that
/// should see the replay and nothing else.
@main
struct ReplayProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-profile",
        abstract: "Replays the chat log in a data directory, for profiling."
    )

    @Argument(help: "The data directory (its log/ holds the chat events).")
    var directory: String

    @Flag(help: "Fold every projection (contact records, metrics v1 and v2) beside the state.")
    var projections = false

    @Flag(help: "Decode on a second thread while this one applies.")
    var twoThreads = false

    @Option(help: "Replays to run.")
    var runs = 1

    mutating func run() throws {
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let (snapshot, _) = try Engine<ChatMachine>.replay(
                dataDirectory: directory,
                projections: projections ? ChatMachine.projections : [],
                useCheckpoints: false,
                threads: twoThreads ? .two : .one
            )
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let rate = Double(snapshot.position) / seconds
            print("\(snapshot.position) events in \(seconds) s: \(Int(rate)) events/s")
        }
    }
}

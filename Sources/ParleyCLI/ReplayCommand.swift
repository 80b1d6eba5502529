import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley replay DIR [--until T]`: rebuild the state from the log and summarise it.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from the log and print a JSON summary of the state.",
        discussion: """
            Reads DIR/log without changing it (a running server may have it open). With --until, only events \
            stamped at or before that instant are applied, and deadlines at or before it that had not fired are \
            listed as overdue: a chat past its duration ceiling is counted as ended, never as active.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "Replay the state as of this instant (ISO 8601, e.g. 2026-11-21T10:00:00.000Z).")
    var until: String?

    func run() throws {
        var instant: Int64?
        if let until {
            guard let parsed = LogTime.parse(until) ?? ISOTime.parse(until) else {
                throw ValidationError("--until must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
            }
            instant = parsed
        }
        let snapshot = try Engine<ChatMachine>.replay(dataDirectory: directory, until: instant)
        let summary = ReplaySummary(state: snapshot.state, position: snapshot.position, asOf: instant)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    }
}

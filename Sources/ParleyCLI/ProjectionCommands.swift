import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley rebuild DIR --projection NAME`: rebuild a projection from the whole log, offline, and checkpoint it.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild a projection from the log, print its fold rate, and write a checkpoint holding it.",
        discussion: """
            NAME is a projection name (every version: contact-records, metrics) or name@version (metrics@2). \
            The log is only read; the checkpoint written lets the next `parley serve` start without rebuilding. \
            Prints one JSON object: each projection rebuilt with its events, seconds, events per second and state \
            hash, and the checkpoint file.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "The projection to rebuild: a name, or name@version.")
    var projection: String

    func run() throws {
        let report = try Engine<ChatMachine>.rebuildOffline(
            dataDirectory: directory,
            projections: ChatMachine.projections,
            name: projection
        )
        for rebuilt in report.rebuilt {
            let rate = Int(rebuilt.eventsPerSecond.rounded())
            FileHandle.standardError.write(
                Data(
                    "rebuilt \(rebuilt.key): \(rebuilt.events) events in \(rebuilt.seconds) s, \(rate) events/s\n".utf8
                )
            )
        }
        print(try prettyJSON(report))
    }
}

/// `parley ctr DIR [--from T] [--to T]`: contact trace records as JSON lines.
struct ContactRecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctr",
        abstract: "Print contact trace records as JSON lines, one per contact segment, in Amazon's CTR shape.",
        discussion: """
            Records whose DisconnectTimestamp (or, with --by lastUpdate, LastUpdateTimestamp) lies in [--from, --to) \
            are printed in that order; records still open (segment or after-contact work going on) only with \
            --include-open. --contact prints the whole chain of that contact's chat. --as-of replays the log up to \
            an instant first (an audit of what the records were then). Reads the log (and the newest checkpoint) \
            without changing them.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "The first instant included (ISO 8601).")
    var from: String?

    @Option(help: "The instant the range ends before (ISO 8601).")
    var to: String?

    @Option(help: "Which timestamp the range reads: disconnect (default) or lastUpdate.")
    var by: String = "disconnect"

    @Flag(help: "Also print records whose segment or after-contact work is still going on.")
    var includeOpen = false

    @Option(help: "Print the chain of the chat this contact id belongs to.")
    var contact: String?

    @Option(help: "Replay the log up to this instant (ISO 8601) first.")
    var asOf: String?

    func run() throws {
        let field: ContactRecordTime
        switch by {
        case "disconnect": field = .disconnect
        case "lastUpdate": field = .lastUpdate
        default: throw ValidationError("--by must be disconnect or lastUpdate")
        }
        let start = try from.map { try instant($0, option: "--from") } ?? .min
        let end = try to.map { try instant($0, option: "--to") } ?? .max
        guard start < end else { throw ValidationError("--from must be before --to") }
        var contactId: Identifier?
        if let contact {
            guard let parsed = Identifier(contact) else { throw ValidationError("--contact is not a contact id") }
            contactId = parsed
        }
        let (snapshot, _) = try Engine<ChatMachine>.replay(
            dataDirectory: directory,
            until: try asOf.map { try instant($0, option: "--as-of") },
            projections: [ContactRecordsProjection.self]
        )
        guard let records = snapshot.projections[ContactRecordsProjection.self] else { return }
        let selection = ContactRecordSelection(
            from: start,
            to: end,
            by: field,
            includeOpen: includeOpen,
            contactId: contactId
        )
        for record in records.select(selection) { print(record.jsonLine()) }
    }
}

/// Parses an ISO 8601 instant given to `option`.
func instant(_ text: String, option: String) throws -> Int64 {
    guard let parsed = LogTime.parse(text) ?? ISOTime.parse(text) else {
        throw ValidationError("\(option) must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
    }
    return parsed
}

/// Sorted, indented JSON without escaped slashes.
func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

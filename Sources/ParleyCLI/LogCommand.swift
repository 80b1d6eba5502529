import ArgumentParser
import Dispatch
import EventLog
import Foundation
import ParleyDomain

/// `parley log …`: work with the segment log directly.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Append to, verify, dump and measure an event log.",
        subcommands: [Append.self, Verify.self, Dump.self, Stats.self]
    )
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension LogCommand {
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append each line of standard input as one record and print the head sequence.",
            discussion: """
                Creates the log in DIR/log if needed. Lines are appended in input order with group commit and \
                stamped with the current time. A torn tail left by a crash is cut off first and reported.
                """
        )

        @Argument(help: "The data directory (the log lives in DIR/log).")
        var directory: String

        @Option(help: "Type tag stored with every record.")
        var type: UInt16 = 0

        @Option(help: "always | interval:MS | none")
        var durability: String = "always"

        @Option(help: "Segment size in bytes before rolling to a new segment.")
        var segmentSize: Int64 = 64 << 20

        @Option(help: "Appends in flight at once (they are group-committed together).")
        var window: Int = 1024

        func validate() throws {
            guard Durability(durability) != nil else {
                throw ValidationError("--durability must be always, none or interval:MS")
            }
            guard window > 0 else { throw ValidationError("--window must be positive") }
        }

        func run() throws {
            var options = EventLogOptions()
            options.durability = Durability(durability)!
            options.segmentSize = segmentSize
            let log = try EventLog.open(dataDirectory: directory, options: options)
            if let torn = log.recovery { printError("recovered: \(torn)") }
            let slots = DispatchSemaphore(value: window)
            let failures = FirstFailure()
            while let line = readLine(strippingNewline: true) {
                slots.wait()
                log.enqueue([LogRecord(type: type, payload: Array(line.utf8))], stamp: .commitTime) { result in
                    if case .failure(let error) = result { failures.note(error) }
                    slots.signal()
                }
            }
            log.closeSynchronously()
            if let error = failures.first { throw error }
            print(log.extent.headSequence)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC, hash link, sequence and index; exit 0 only if the log is intact."
        )

        @Argument(help: "The data directory.")
        var directory: String

        @Flag(help: "Rewrite index files that disagree with their segments instead of failing.")
        var repairIndexes = false

        func run() throws {
            let report = try LogInspector.verify(dataDirectory: directory, repairIndexes: repairIndexes)
            for name in report.repairedIndexes { print("repaired index \(name)") }
            let summary =
                "head sequence \(report.headSequence), head hash \(report.headHash), "
                + "\(report.segments) segments, \(report.frames) frames, \(report.records) records"
            if let problem = report.problem {
                print("FAILED: \(problem)")
                print("intact up to: \(summary)")
                throw ExitCode(1)
            }
            print("ok: \(summary)")
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print records as JSON lines: sequence, timestamp, event type and the event's fields.",
            discussion: """
                Domain events (tags from 0x0100) are decoded and shown by name with their fields. Other records \
                (e.g. text appended with `parley log append`) show their tag and payload as base64 (and as text \
                when it is UTF-8). A record that fails to decode is shown with its error and raw payload.
                """
        )

        @Argument(help: "The data directory.")
        var directory: String

        @Option(help: "First sequence number to print.")
        var from: UInt64 = 1

        @Option(help: "Print records from this instant on (ISO 8601) instead of --from.")
        var since: String?

        @Option(help: "Print at most this many records.")
        var limit: Int?

        func run() throws {
            let reader = try LogReader.open(dataDirectory: directory)
            if let torn = reader.tornTail { printError("warning: \(torn); not shown") }
            var remaining = limit ?? Int.max
            guard remaining > 0 else { return }
            var out = ""
            let body: (RecordView) throws -> Bool = { record in
                out += EventRendering.jsonLine(record)
                out += "\n"
                if out.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(out.utf8))
                    out = ""
                }
                remaining -= 1
                return remaining > 0
            }
            if let since {
                guard let instant = LogTime.parse(since) else {
                    throw ValidationError("--since must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
                }
                try reader.forEach(fromTimestamp: instant, body)
            } else {
                try reader.forEach(fromSequence: from, body)
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Segments, frames, events, raw and stored bytes and the compression ratio."
        )

        @Argument(help: "The data directory.")
        var directory: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let stats = try LogInspector.statistics(dataDirectory: directory)
            if json {
                struct Output: Encodable {
                    var stats: LogStatistics
                    func encode(to encoder: any Encoder) throws {
                        try stats.encode(to: encoder)
                        var container = encoder.container(keyedBy: Key.self)
                        try container.encode((stats.ratio * 1000).rounded() / 1000, forKey: .ratio)
                    }
                    enum Key: String, CodingKey { case ratio }
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(Output(stats: stats)), as: UTF8.self))
            } else {
                print("segments     \(stats.segments)")
                print("frames       \(stats.frames) (\(stats.rawFrames) stored raw)")
                print("events       \(stats.events)")
                print("head         \(stats.headSequence)")
                print("raw bytes    \(stats.rawBytes)")
                print("stored bytes \(stats.storedBytes)")
                print("ratio        \(String(format: "%.3f", stats.ratio))")
                if let last = stats.lastFrame {
                    print("last frame   \(last.segment) offset \(last.offset) length \(last.length)")
                }
            }
        }
    }
}

/// The first error reported by concurrent completions.
final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var error: EventLogError?

    func note(_ error: EventLogError) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }

    var first: EventLogError? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}

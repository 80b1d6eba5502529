import BenchChat
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

extension BenchmarkRun {
    /// One durability setting of the engine-commands runs and its SQLite peer.
    private struct CommandShape {
        var durability: Durability
        var synchronous: SQLiteEventStore.Synchronous
        var clients: Int

        var label: String {
            "\(durability) / \(synchronous.rawValue), \(clients) client\(clients == 1 ? "" : "s")"
        }
    }

    /// The runs of one shape: Parley, SQLite with a transaction per command, and SQLite with group commit.
    private struct CommandRuns {
        var parley: [DomainWorkloads.CommandRun] = []
        var perCommand: [DomainWorkloads.CommandRun] = []
        var grouped: [DomainWorkloads.CommandRun] = []
    }

    /// Whole chats through `Engine<ChatMachine>` (`always`, then `interval:5`) at each client count, against the
    /// same commands decided by the same machine over SQLite (`FULL`, then `NORMAL`), `plan.runs` times each.
    mutating func engineCommands() async throws {
        var shapes: [CommandShape] = []
        for (durability, synchronous) in [
            (Durability.always, SQLiteEventStore.Synchronous.full), (.interval(milliseconds: 5), .normal),
        ] {
            shapes += plan.clients.map { CommandShape(durability: durability, synchronous: synchronous, clients: $0) }
        }
        for shape in shapes { try await commandShape(shape) }
    }

    private mutating func commandShape(_ shape: CommandShape) async throws {
        Self.progress(
            "engine commands, \(shape.label), \(Numbers.fixed(plan.commandSeconds, 1)) s each, \(plan.runs) times"
        )
        var runs = CommandRuns()
        for _ in 0..<plan.runs {
            let logDirectory = try scratch.freshDirectory("commands-parley")
            defer { scratch.remove(logDirectory) }
            runs.parley.append(
                try await domain.engineCommands(
                    directory: logDirectory,
                    durability: shape.durability,
                    clients: shape.clients,
                    duration: plan.commandSeconds
                )
            )
            let databaseDirectory = try scratch.freshDirectory("commands-sqlite")
            defer { scratch.remove(databaseDirectory) }
            runs.perCommand.append(
                try await domain.sqliteCommands(
                    path: databaseDirectory + "/per-command.sqlite",
                    synchronous: shape.synchronous,
                    commit: .perCommand,
                    clients: shape.clients,
                    duration: plan.commandSeconds
                )
            )
            // With one client every batch is one command: group commit changes nothing.
            if shape.clients > 1 {
                runs.grouped.append(
                    try await domain.sqliteCommands(
                        path: databaseDirectory + "/grouped.sqlite",
                        synchronous: shape.synchronous,
                        commit: .grouped,
                        clients: shape.clients,
                        duration: plan.commandSeconds
                    )
                )
            }
        }
        let ours = Sample(runs.parley.map(\.commandsPerSecond)).median
        let perCommand = Sample(runs.perCommand.map(\.commandsPerSecond)).median
        report.rows.append(
            ReportRow(
                figure: "chat commands through the engine, \(shape.label) (peer: SQLite, a transaction per command)",
                parley: Numbers.rate(ours),
                sqlite: Numbers.rate(perCommand),
                ratio: Numbers.ratio(medianRatio(runs.parley, runs.perCommand))
            )
        )
        if !runs.grouped.isEmpty {
            report.rows.append(
                ReportRow(
                    figure: "chat commands through the engine, \(shape.label) (peer: SQLite, group commit)",
                    parley: Numbers.rate(ours),
                    sqlite: Numbers.rate(Sample(runs.grouped.map(\.commandsPerSecond)).median),
                    ratio: Numbers.ratio(medianRatio(runs.parley, runs.grouped))
                )
            )
        }
        report.details.append(describe(shape, runs))
    }

    /// The median over the runs of Parley's commands/s ÷ the peer's, pairing the runs made one after the other.
    private func medianRatio(_ ours: [DomainWorkloads.CommandRun], _ theirs: [DomainWorkloads.CommandRun]) -> Double {
        Sample(zip(ours, theirs).map { $0.commandsPerSecond / $1.commandsPerSecond }).median
    }

    /// Events, frames, fsyncs and latencies behind a command figure.
    private func describe(_ shape: CommandShape, _ runs: CommandRuns) -> String {
        func summary(_ runs: [DomainWorkloads.CommandRun], commits: String, extra: String = "") -> String {
            let latency = Sample(runs.flatMap(\.latency.sorted))
            let commands = runs.reduce(0) { $0 + $1.commands }
            let events = runs.reduce(0) { $0 + $1.events }
            return "\(Numbers.rate(Sample(runs.map(\.commandsPerSecond)).median)) commands, "
                + "\(Numbers.rate(Sample(runs.map(\.eventsPerSecond)).median)) events "
                + "(\(Numbers.fixed(Double(events) / Double(max(commands, 1)), 2)) events/command), "
                + "\(Numbers.fixed(Sample(runs.map(\.commitsPerCommand)).median, 3)) \(commits)/command, "
                + extra + "latency p50 \(Numbers.seconds(latency.median)) p99 "
                + "\(Numbers.seconds(latency.percentile(0.99))), commands/s of the runs "
                + runs.map { Numbers.count($0.commandsPerSecond) }.joined(separator: ", ")
        }
        let syncs = Sample(runs.parley.map { Double($0.syncs) / Double(max($0.commands, 1)) }).median
        var text =
            "\(shape.durability) × \(shape.clients): Parley "
            + summary(runs.parley, commits: "frames", extra: "\(Numbers.fixed(syncs, 3)) fsyncs/command, ")
            + "; SQLite per command " + summary(runs.perCommand, commits: "transactions")
        if !runs.grouped.isEmpty {
            text += "; SQLite grouped " + summary(runs.grouped, commits: "transactions")
        }
        return text
    }

    /// Builds a log of chat events through the engine once, then times, `plan.runs` times each and alternately:
    /// `Engine<ChatMachine>.replay` (decode + apply), decoding alone, and the same events as JSON lines parsed by
    /// `JSONSerialization`.
    mutating func domainReplayAndDecode() async throws {
        let target = plan.domainEvents
        let logDirectory: String
        let build: DomainWorkloads.Build
        if let kept = plan.domainLog, FileManager.default.fileExists(atPath: kept + "/log") {
            Self.progress("reusing the chat log in \(kept)")
            logDirectory = kept
            let records = try LogInspector.statistics(dataDirectory: kept).events
            build = DomainWorkloads.Build(events: records, commands: 0, chats: 0, seconds: 0)
        } else {
            Self.progress("building a log of \(target) chat events through the engine (durability none)")
            if let kept = plan.domainLog {
                try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
                logDirectory = kept
            } else {
                logDirectory = try scratch.freshDirectory("domain-parley")
            }
            build = try await domain.buildLog(directory: logDirectory, events: target)
        }
        let jsonDirectory = try scratch.freshDirectory("domain-json")
        defer {
            if plan.domainLog == nil { scratch.remove(logDirectory) }
            scratch.remove(jsonDirectory)
        }
        let events = build.events
        let statistics = try LogInspector.statistics(dataDirectory: logDirectory)

        Self.progress("rendering the \(events) events as JSON lines (ChatEventCatalogue.json)")
        let jsonPath = jsonDirectory + "/events.jsonl"
        let (json, renderSeconds) = try timed { try domain.writeJSONLines(from: logDirectory, to: jsonPath) }
        guard json.lines == events else {
            throw BenchError("the JSON lines hold \(json.lines) events, the log \(events)")
        }

        let replaying = plan.phases.contains("domain-replay")
        let decoding = plan.phases.contains("domain-decode")
        Self.progress(
            "timing "
                + [replaying ? "replay" : nil, decoding ? "decode" : nil, "JSON lines"].compactMap { $0 }
                .joined(separator: ", ") + ", \(plan.runs) times each, page cache warm"
        )
        var replayRates: [Double] = []
        var decodeRates: [Double] = []
        var jsonRates: [Double] = []
        var replayRatios: [Double] = []
        var replayAllRates: [Double] = []
        var replayAllRatios: [Double] = []
        var replayPipelinedRates: [Double] = []
        var replayReleaseSeconds: [Double] = []
        var replayAllReleaseSeconds: [Double] = []
        var replayAllWithReleaseRates: [Double] = []
        var replayPipelinedRatios: [Double] = []
        var decodeRatios: [Double] = []
        for _ in 0..<plan.runs {
            let (jsonTally, jsonSeconds) = try timed { try domain.decodeJSONLines(path: jsonPath) }
            let jsonRate = Double(events) / jsonSeconds
            jsonRates.append(jsonRate)
            if replaying {
                // Each replay's result is kept until its rate is taken, as a server keeps the state it replayed;
                // its release is timed on its own (`releaseSeconds`) and shown beside the rates.
                var replayed: Snapshot<ChatState>?
                let seconds = try timed { replayed = try domain.replay(directory: logDirectory) }.seconds
                guard replayed?.position == UInt64(events), replayed?.state.eventCount == Int64(events) else {
                    throw BenchError("replay reached \(replayed?.position ?? 0) of \(events) events")
                }
                replayReleaseSeconds.append(timed { replayed = nil }.seconds)
                replayRates.append(Double(events) / seconds)
                replayRatios.append(Double(events) / seconds / jsonRate)
                for threads in [ReplayThreads.one, .two] {
                    var all: Snapshot<ChatState>?
                    let allSeconds = try timed {
                        all = try domain.replayAll(directory: logDirectory, threads: threads)
                    }.seconds
                    guard all?.position == UInt64(events), all?.state.eventCount == Int64(events) else {
                        throw BenchError("replay with projections reached \(all?.position ?? 0) of \(events) events")
                    }
                    let releaseSeconds = timed { all = nil }.seconds
                    if case .one = threads {
                        replayAllReleaseSeconds.append(releaseSeconds)
                        replayAllRates.append(Double(events) / allSeconds)
                        replayAllRatios.append(Double(events) / allSeconds / jsonRate)
                        replayAllWithReleaseRates.append(Double(events) / (allSeconds + releaseSeconds))
                    } else {
                        replayPipelinedRates.append(Double(events) / allSeconds)
                        replayPipelinedRatios.append(Double(events) / allSeconds / jsonRate)
                    }
                }
            }
            if decoding {
                let (tally, seconds) = try timed { try domain.decode(directory: logDirectory) }
                guard tally == jsonTally, tally.events == events else {
                    throw BenchError("binary decode saw \(tally), JSON lines \(jsonTally), the log holds \(events)")
                }
                decodeRates.append(Double(events) / seconds)
                decodeRatios.append(Double(events) / seconds / jsonRate)
            }
        }
        let jsonRate = Sample(jsonRates).median
        let jsonPeer = "\(Numbers.rate(jsonRate)) (JSON lines, JSONSerialization)"
        if replaying {
            report.rows.append(
                ReportRow(
                    figure: "chat replay: Engine<ChatMachine>.replay, read + decode + apply, one thread, warm",
                    parley: Numbers.rate(Sample(replayRates).median),
                    sqlite: jsonPeer,
                    ratio: Numbers.ratio(Sample(replayRatios).median)
                )
            )
            report.rows.append(
                ReportRow(
                    figure: "chat replay into the state and every projection (contact records, metrics v1 + v2), "
                        + "one thread, warm",
                    parley: Numbers.rate(Sample(replayAllRates).median),
                    sqlite: jsonPeer,
                    ratio: Numbers.ratio(Sample(replayAllRatios).median)
                )
            )
            report.rows.append(
                ReportRow(
                    figure: "the same, one thread, counting in the release of the replayed state and projections "
                        + "afterwards (timed so until 2026-11-23)",
                    parley: Numbers.rate(Sample(replayAllWithReleaseRates).median),
                    sqlite: jsonPeer,
                    ratio: Numbers.ratio(Sample(replayAllWithReleaseRates).median / jsonRate)
                )
            )
            report.rows.append(
                ReportRow(
                    figure: "chat replay into the state and every projection, decode on a second thread, warm",
                    parley: Numbers.rate(Sample(replayPipelinedRates).median),
                    sqlite: jsonPeer,
                    ratio: Numbers.ratio(Sample(replayPipelinedRatios).median)
                )
            )
        }
        if decoding {
            report.rows.append(
                ReportRow(
                    figure: "chat decode only: LogReader.forEach + ChatEventCatalogue.decode, one thread, warm",
                    parley: Numbers.rate(Sample(decodeRates).median),
                    sqlite: jsonPeer,
                    ratio: Numbers.ratio(Sample(decodeRatios).median)
                )
            )
        }
        var detail =
            "chat log: \(events) events from \(build.chats) whole chats (\(build.commands) commands, "
            + "\(Numbers.fixed(Double(events) / Double(max(build.commands, 1)), 2)) events/command) built through "
            + "the engine with durability none and 64 clients in \(Numbers.seconds(build.seconds)) "
            + "(\(Numbers.rate(Double(build.commands) / build.seconds)) commands); "
            + "\(Numbers.bytes(Double(statistics.storedBytes) / Double(events)))/event stored, "
            + "\(Numbers.bytes(Double(statistics.rawBytes) / Double(events)))/event raw; JSON lines "
            + "\(Numbers.bytes(Double(json.bytes) / Double(events)))/event, rendered at "
            + "\(Numbers.rate(Double(events) / renderSeconds)) (JSONEncoder); "
            + "runs: JSON " + jsonRates.map { Numbers.count($0) }.joined(separator: ", ")
        if replaying {
            detail += "; replay " + replayRates.map { Numbers.count($0) }.joined(separator: ", ")
            detail += "; replay with projections " + replayAllRates.map { Numbers.count($0) }.joined(separator: ", ")
            detail +=
                "; the same on two threads " + replayPipelinedRates.map { Numbers.count($0) }.joined(separator: ", ")
            detail +=
                "; releasing the result afterwards (not in the replay rates): state only "
                + replayReleaseSeconds.map { Numbers.seconds($0) }.joined(separator: ", ") + ", with projections "
                + replayAllReleaseSeconds.map { Numbers.seconds($0) }.joined(separator: ", ")
        }
        if decoding { detail += "; decode " + decodeRates.map { Numbers.count($0) }.joined(separator: ", ") }
        if replaying && decoding {
            let replaySeconds = 1 / Sample(replayRates).median
            let decodeSeconds = 1 / Sample(decodeRates).median
            detail +=
                "; apply alone (replay − decode) about \(Numbers.rate(1 / max(replaySeconds - decodeSeconds, 1e-12)))"
        }
        report.details.append(detail)
        let mix = try domain.mix(directory: logDirectory)
        report.details.append(
            "chat log mix: "
                + mix.prefix(12).map { "\($0.name) \(Numbers.fixed(100 * Double($0.count) / Double(events), 1))%" }
                .joined(separator: ", ")
        )
    }
}

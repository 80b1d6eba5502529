import BenchChat
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

extension BenchmarkRun {
    /// What one log size measured.
    private struct StartupSize {
        var chats: Int
        var build: StartupWorkloads.Build
        /// Records in the log the opens read: the build plus the tail.
        var records: Int
        var tail: Int
        /// Bytes of the log's frames.
        var logBytes: Int64
        /// Size of the current checkpoint file.
        var checkpointBytes: Int64
        /// Seconds `writeCheckpoint` took to make the checkpoint current.
        var checkpointWrite: Double
        /// Open seconds from the current checkpoint (a), from the checkpoint before the tail (b), full replay (c).
        var current: [Double] = []
        var withTail: [Double] = []
        var replay: [Double] = []
        /// The engine's own figure (`openReport.seconds`) of the opens from the current checkpoint.
        var reportedCurrent: [Double] = []
        var parts: [StartupWorkloads.LoadParts] = []
        var rebuilds: [RebuildReport] = []

        var a: Double { Sample(current).median }
        var b: Double { Sample(withTail).median }
        var c: Double { Sample(replay).median }
    }

    /// Startup of `Engine<ChatMachine>` with every chat projection, on logs of S and 4·S whole chats: open from a
    /// current checkpoint (a), from a checkpoint `plan.startupTail` events behind the head (b), and by replaying the
    /// whole log (c, `CheckpointPolicy.disabled`: the peer), page cache warm; then offline rebuilds of the
    /// projections. The run fails unless every open reaches the head having replayed what it should, and the states
    /// and projections loaded from either checkpoint hash the same as the full replay's.
    mutating func startup() async throws {
        let workloads = StartupWorkloads(messages: domain.messages)
        var sizes: [StartupSize] = []
        for chats in [plan.startupChats, 4 * plan.startupChats] {
            sizes.append(try await startupSize(chats: chats, workloads: workloads))
        }
        for size in sizes {
            let name =
                "startup, \(Numbers.count(Double(size.chats))) chats (\(Numbers.count(Double(size.records))) records)"
            let peer = "\(Numbers.seconds(size.c)) (full replay, CheckpointPolicy.disabled)"
            report.rows.append(
                ReportRow(
                    figure: name + ": open from a current checkpoint",
                    parley: Numbers.seconds(size.a),
                    sqlite: peer,
                    ratio: Numbers.ratio(size.c / size.a)
                )
            )
            report.rows.append(
                ReportRow(
                    figure: name + ": open from a checkpoint + a \(size.tail)-event tail",
                    parley: Numbers.seconds(size.b),
                    sqlite: peer,
                    ratio: Numbers.ratio(size.c / size.b)
                )
            )
        }
        guard let small = sizes.first, let large = sizes.last else { return }
        for (what, ours, theirs) in [
            ("open from a current checkpoint", large.a / small.a, large.c / small.c),
            ("open from a checkpoint + tail", large.b / small.b, large.c / small.c),
        ] {
            report.rows.append(
                ReportRow(
                    figure: "startup growth with 4× the chats, \(what) (peer: full replay's growth)",
                    parley: Numbers.ratio(ours),
                    sqlite: Numbers.ratio(theirs),
                    ratio: Numbers.ratio(theirs / ours)
                )
            )
        }
        for rebuild in large.rebuilds {
            let replayRate = Double(large.records) / large.c
            report.rows.append(
                ReportRow(
                    figure: "offline rebuild of \(rebuild.key), \(Numbers.count(Double(large.chats))) chats "
                        + "(peer: full replay of state + every projection)",
                    parley: Numbers.rate(rebuild.eventsPerSecond),
                    sqlite: Numbers.rate(replayRate),
                    ratio: Numbers.ratio(rebuild.eventsPerSecond / replayRate)
                )
            )
        }
        for size in sizes { report.details += describe(size) }
    }

    /// Builds the log of `chats` chats and its tail, keeps a copy whose checkpoint stays behind the tail, makes the
    /// original's checkpoint current, then opens them `plan.runs` times each, alternating a, b and c.
    private mutating func startupSize(chats: Int, workloads: StartupWorkloads) async throws -> StartupSize {
        Self.progress("startup: building a log of \(chats) whole chats with every projection (durability none)")
        let directory = try scratch.freshDirectory("startup-\(chats)")
        let behind = directory + "-tail"
        defer {
            scratch.remove(directory)
            scratch.remove(behind)
        }
        let build = try await workloads.buildLog(directory: directory, chats: chats)
        let tail = try await workloads.appendTail(directory: directory, events: plan.startupTail)
        let records = build.events + tail
        let statistics = try LogInspector.statistics(dataDirectory: directory)
        guard statistics.events == records else {
            throw BenchError("the startup log holds \(statistics.events) records, \(records) were written")
        }
        // The copy keeps the build's checkpoint, `tail` records behind the head; the original gets a current one.
        try FileManager.default.copyItem(atPath: directory, toPath: behind)
        let checkpointWrite = try await workloads.writeCurrentCheckpoint(directory: directory)
        let checkpoint = try workloads.checkpointFile(directory: directory)
        var size = StartupSize(
            chats: chats,
            build: build,
            records: records,
            tail: tail,
            logBytes: statistics.storedBytes,
            checkpointBytes: checkpoint.bytes,
            checkpointWrite: checkpointWrite
        )
        let replayed = try await workloads.stateHashes(directory: directory, checkpoints: .disabled)
        for (path, name) in [(directory, "current checkpoint"), (behind, "checkpoint + tail")] {
            let loaded = try await workloads.stateHashes(directory: path, checkpoints: StartupWorkloads.loadOnly)
            guard loaded == replayed else {
                throw BenchError("the states from the \(name) differ from the full replay's: \(loaded), \(replayed)")
            }
        }

        Self.progress(
            "startup: opening it \(plan.runs) times each from the current checkpoint, from the checkpoint + tail and "
                + "by full replay, and loading the checkpoint step by step"
        )
        for _ in 0..<plan.runs {
            let current = try await workloads.open(directory: directory, checkpoints: StartupWorkloads.loadOnly)
            try check(current, records: records, replayed: 0, checkpoint: true)
            size.current.append(current.seconds)
            size.reportedCurrent.append(current.report.seconds)
            let withTail = try await workloads.open(directory: behind, checkpoints: StartupWorkloads.loadOnly)
            try check(withTail, records: records, replayed: tail, checkpoint: true)
            size.withTail.append(withTail.seconds)
            let replay = try await workloads.open(directory: directory, checkpoints: .disabled)
            try check(replay, records: records, replayed: records, checkpoint: false)
            size.replay.append(replay.seconds)
            size.parts.append(try workloads.loadParts(path: checkpoint.path))
        }

        Self.progress("startup: rebuilding metrics and contact-records offline")
        for name in ["metrics", "contact-records"] {
            let rebuilt = try workloads.rebuild(directory: directory, name: name)
            for report in rebuilt.rebuilt where report.events != UInt64(records) {
                throw BenchError("the rebuild of \(report.key) folded \(report.events) of \(records) records")
            }
            size.rebuilds += rebuilt.rebuilt
        }
        return size
    }

    /// Fails unless an open reached the head having replayed `replayed` records, from a checkpoint holding every
    /// projection or (`checkpoint` false) from none.
    private func check(_ open: StartupWorkloads.Open, records: Int, replayed: Int, checkpoint: Bool) throws {
        let report = open.report
        let loadedAll = report.loaded.count == StartupWorkloads.projections.count && report.rebuilding.isEmpty
        guard open.position == UInt64(records), report.replayedRecords == UInt64(replayed),
            (report.checkpoint != nil) == checkpoint, !checkpoint || loadedAll, report.rejected.isEmpty
        else {
            throw BenchError(
                "an open expected to replay \(replayed) of \(records) records \(checkpoint ? "from a" : "without") "
                    + "checkpoint reached \(open.position) and reported \(report)"
            )
        }
    }

    private func describe(_ size: StartupSize) -> [String] {
        let sections = size.parts.first?.sectionBytes ?? []
        let parts = size.parts
        func median(_ value: (StartupWorkloads.LoadParts) -> Double) -> Double { Sample(parts.map(value)).median }
        var load =
            "startup \(size.chats) chats, loading the checkpoint step by step (medians): Checkpoint.load (footer, "
            + "header CRC-32C, LZ4 and SHA-256 of the hot parts) " + Numbers.seconds(median(\.container))
            + ", ChatState hot-part decode " + Numbers.seconds(median(\.state))
        for (index, type) in StartupWorkloads.projections.enumerated() {
            load += ", \(type.key) decode " + Numbers.seconds(median { $0.projections[index].seconds })
        }
        let cold = size.parts.first?.coldEntries ?? []
        load += "; cold entries left on disk: " + cold.map { "\($0.key) \($0.entries)" }.joined(separator: ", ")
        let rawBytes = Double(sections.reduce(0) { $0 + $1.bytes })
        load +=
            "; sum \(Numbers.seconds(median(\.total))) (the open took \(Numbers.seconds(size.a))); the open per MB of "
            + "raw hot parts \(Numbers.seconds(size.a / rawBytes * 1e6)), "
            + "per chat \(Numbers.seconds(size.a / Double(size.chats))); "
            + "full replay per chat \(Numbers.seconds(size.c / Double(size.chats)))"
        return [
            "startup \(size.chats) chats: \(size.records) records (\(size.build.events) built through the engine "
                + "with every projection in \(Numbers.seconds(size.build.seconds)), "
                + "\(Numbers.rate(Double(size.build.events) / size.build.seconds)) events, then a tail of "
                + "\(size.tail)); log \(Numbers.bytes(Double(size.logBytes))) of frames; checkpoint "
                + "\(Numbers.bytes(Double(size.checkpointBytes))) (raw hot parts: "
                + sections.map { "\($0.key) \(Numbers.bytes(Double($0.bytes)))" }.joined(separator: ", ")
                + "), written by writeCheckpoint in \(Numbers.seconds(size.checkpointWrite)); open runs: current "
                + size.current.map(Numbers.seconds).joined(separator: ", ") + " (openReport.seconds "
                + size.reportedCurrent.map(Numbers.seconds).joined(separator: ", ") + "); + tail "
                + size.withTail.map(Numbers.seconds).joined(separator: ", ") + "; full replay "
                + size.replay.map(Numbers.seconds).joined(separator: ", ") + " ("
                + Numbers.rate(Double(size.records) / size.c) + "); offline rebuilds "
                + size.rebuilds.map { "\($0.key) \(Numbers.rate($0.eventsPerSecond))" }.joined(separator: ", "),
            load,
        ]
    }

    /// Startup on a log of at least `plan.startupLogMiB` MiB (1 GiB by default) of whole chats: the full replay of
    /// the state and every projection with no checkpoint (c, which also writes the checkpoint at close), then opens
    /// from that current checkpoint (a), `plan.runs` times. The run fails unless the states and projections loaded
    /// from the checkpoint hash the same as the full replay's.
    mutating func startupLarge() async throws {
        let target = Int64(plan.startupLogMiB) << 20
        Self.progress(
            "startup-large: building a log of at least \(plan.startupLogMiB) MiB of whole chats (state only, durability "
                + "none)"
        )
        let directory = try scratch.freshDirectory("startup-large")
        defer { scratch.remove(directory) }
        let build = try await domain.buildLog(directory: directory, events: 1, bytes: target)
        let statistics = try LogInspector.statistics(dataDirectory: directory)
        let records = statistics.events
        let workloads = StartupWorkloads(messages: domain.messages)

        Self.progress(
            "startup-large: \(records) records, \(Numbers.bytes(Double(statistics.storedBytes))); full replay with every "
                + "projection, which writes the checkpoint at close"
        )
        let replayPolicy = CheckpointPolicy(everyEvents: 0, onClose: true, loadAtOpen: false)
        let replayStart = ContinuousClock.now
        let replayed = try await workloads.open(directory: directory, checkpoints: replayPolicy)
        let replayAndClose = replayStart.duration(to: .now).seconds
        try check(replayed, records: records, replayed: records, checkpoint: false)
        let checkpoint = try workloads.checkpointFile(directory: directory)

        Self.progress("startup-large: opening it \(plan.runs) times from the current checkpoint")
        var opens: [Double] = []
        for _ in 0..<plan.runs {
            let current = try await workloads.open(directory: directory, checkpoints: StartupWorkloads.loadOnly)
            try check(current, records: records, replayed: 0, checkpoint: true)
            opens.append(current.seconds)
        }
        let loaded = try await workloads.stateHashes(directory: directory, checkpoints: StartupWorkloads.loadOnly)
        let full = try await workloads.stateHashes(directory: directory, checkpoints: .disabled)
        guard loaded == full else {
            throw BenchError("the states from the checkpoint differ from the full replay's: \(loaded), \(full)")
        }
        let open = Sample(opens).median
        let size = Numbers.bytes(Double(statistics.storedBytes))
        report.rows.append(
            ReportRow(
                figure: "startup with a \(size) log (\(Numbers.count(Double(records))) records): open from a current "
                    + "checkpoint",
                target: "≤ 1 s",
                parley: Numbers.seconds(open),
                sqlite: Numbers.seconds(replayed.seconds) + " (full replay, CheckpointPolicy.disabled)",
                ratio: Numbers.ratio(replayed.seconds / open),
                verdict: open <= 1 ? "met" : "MISSED"
            )
        )
        report.rows.append(
            ReportRow(
                figure: "startup with a \(size) log and no checkpoint: full rebuild of the state and every projection",
                parley: Numbers.rate(Double(records) / replayed.seconds) + " (\(Numbers.seconds(replayed.seconds)))",
                sqlite: "—",
                ratio: ""
            )
        )
        report.details.append(
            "startup-large: \(records) records in \(statistics.segments) segments, \(size) of frames, built through "
                + "the engine (state only, \(build.chats) chats, 64 clients, durability none) in "
                + "\(Numbers.seconds(build.seconds)); full replay with every projection \(Numbers.seconds(replayed.seconds)) "
                + "(\(Numbers.rate(Double(records) / replayed.seconds)) events), with the checkpoint written at close "
                + "\(Numbers.seconds(replayAndClose)); checkpoint \(Numbers.bytes(Double(checkpoint.bytes))); opens from "
                + "it " + opens.map(Numbers.seconds).joined(separator: ", ")
                + "; the states and projections loaded from it hash as the full replay's"
        )
    }
}

import EventLog

extension BenchmarkRun {
    /// Loads the same events into a log and a SQLite table, replays both (warm, then cold page cache), and
    /// compares their size with the JSON lines of the same events.
    mutating func replayAndSizes() async throws {
        let events = plan.replayEvents
        Self.progress("loading \(events) events into a log and into SQLite")
        let logDirectory = try scratch.freshDirectory("replay-parley")
        let databaseDirectory = try scratch.freshDirectory("replay-sqlite")
        defer {
            scratch.remove(logDirectory)
            scratch.remove(databaseDirectory)
        }
        let database = databaseDirectory + "/events.sqlite"
        let load = try await parley.load(directory: logDirectory, events: events)
        let (sqliteBytes, sqliteLoadSeconds) = try timed { try sqlite.load(path: database, events: events) }

        Self.progress("replaying \(events) events, \(plan.runs) times each, page cache warm")
        var ours: [Double] = []
        var theirs: [Double] = []
        for _ in 0..<plan.runs {
            let (logTally, logSeconds) = try timed { try parley.replay(directory: logDirectory) }
            let (sqliteTally, sqliteSeconds) = try timed { try sqlite.replay(path: database) }
            try check(logTally, against: sqliteTally, events: events, payloadBytes: load.payloadBytes)
            ours.append(Double(events) / logSeconds)
            theirs.append(Double(events) / sqliteSeconds)
        }
        let warm = (Sample(ours).median, Sample(theirs).median)
        report.rows.append(
            ReportRow(
                figure: "replay, one thread, page cache warm",
                target: "≥ 2 M/s",
                parley: Numbers.rate(warm.0),
                sqlite: Numbers.rate(warm.1),
                ratio: Numbers.ratio(warm.0 / warm.1),
                verdict: Target.atLeast(2_000_000).verdict(warm.0)
            )
        )

        Self.progress("replaying once more from a cold page cache")
        FileTree.evictFromPageCache(EventLog.logDirectory(in: logDirectory))
        let (_, coldLogSeconds) = try timed { try parley.replay(directory: logDirectory) }
        FileTree.evictFromPageCache(databaseDirectory)
        let (_, coldSQLiteSeconds) = try timed { try sqlite.replay(path: database) }
        let cold = (Double(events) / coldLogSeconds, Double(events) / coldSQLiteSeconds)
        report.rows.append(
            ReportRow(
                figure: "replay, one thread, page cache cold",
                parley: Numbers.rate(cold.0),
                sqlite: Numbers.rate(cold.1),
                ratio: Numbers.ratio(cold.0 / cold.1)
            )
        )

        let logStatistics = try LogInspector.statistics(dataDirectory: logDirectory)
        report.details.append(
            "replay data: \(events) events, \(Numbers.bytes(Double(load.payloadBytes))) of payload; Parley "
                + "\(logStatistics.frames) frames, LZ4 \(Numbers.ratio(logStatistics.ratio)) on the record bytes, "
                + "replay \(Numbers.bytes(Double(logStatistics.storedBytes) * warm.0 / Double(events)))/s read "
                + "(loaded in \(Numbers.seconds(load.seconds))); SQLite "
                + "\(Numbers.bytes(Double(sqliteBytes))) (loaded in \(Numbers.seconds(sqliteLoadSeconds)), 10,000 rows "
                + "per transaction); replay rates of the \(plan.runs) runs: Parley "
                + ours.map { Numbers.count($0) }.joined(separator: ", ") + "; SQLite "
                + theirs.map { Numbers.count($0) }.joined(separator: ", ")
        )
        try await sizes(
            events: events,
            logStatistics: logStatistics,
            segmentFileBytes: load.segmentBytes,
            logDirectory: logDirectory,
            sqliteBytes: sqliteBytes
        )
        try await recoveryOfSmallLog(directory: logDirectory, bytes: load.segmentBytes)
    }

    /// Bytes per event: the log (binary and JSON-line records), SQLite, and the JSON lines themselves.
    private mutating func sizes(
        events: Int,
        logStatistics: LogStatistics,
        segmentFileBytes: Int64,
        logDirectory: String,
        sqliteBytes: Int64
    ) async throws {
        Self.progress("storing the same events as JSON lines, for size")
        let jsonDirectory = try scratch.freshDirectory("json-parley")
        defer { scratch.remove(jsonDirectory) }
        let jsonLoad = try await parley.load(directory: jsonDirectory, encoding: .json, events: events)
        let jsonStatistics = try LogInspector.statistics(dataDirectory: jsonDirectory)
        let jsonLinesPerEvent = Double(jsonLoad.payloadBytes) / Double(events)
        let binaryStored = Double(logStatistics.storedBytes) / Double(events)
        let jsonStored = Double(jsonStatistics.storedBytes) / Double(events)
        let sqlitePerEvent = Double(sqliteBytes) / Double(events)
        report.rows.append(
            ReportRow(
                figure: "stored bytes/event, binary events",
                parley: Numbers.bytes(binaryStored),
                sqlite: Numbers.bytes(sqlitePerEvent),
                ratio: Numbers.ratio(sqlitePerEvent / binaryStored)
            )
        )
        report.rows.append(
            ReportRow(
                figure: "JSON lines (\(Numbers.fixed(jsonLinesPerEvent, 1)) B/event) ÷ stored bytes",
                parley: Numbers.ratio(jsonLinesPerEvent / binaryStored),
                sqlite: Numbers.ratio(jsonLinesPerEvent / sqlitePerEvent),
                ratio: Numbers.ratio(sqlitePerEvent / binaryStored)
            )
        )
        report.rows.append(
            ReportRow(
                figure: "stored bytes/event, JSON-line events",
                parley: Numbers.bytes(jsonStored) + " (JSON ÷ stored \(Numbers.ratio(jsonLinesPerEvent / jsonStored)))"
            )
        )
        let indexBytes = FileTree.totalSize(in: EventLog.logDirectory(in: logDirectory), suffix: ".idx")
        report.details.append(
            "sizes: binary log \(Numbers.bytes(Double(segmentFileBytes))) of segments + "
                + "\(Numbers.bytes(Double(indexBytes))) of indexes for \(events) events "
                + "(frames hold \(Numbers.fixed(Double(logStatistics.rawBytes) / Double(events), 1)) raw B/event incl. "
                + "the 14 B record header, 88 B header per frame); JSON-line log LZ4 "
                + "\(Numbers.ratio(jsonStatistics.ratio)); SQLite file after checkpoint "
                + "\(Numbers.bytes(Double(sqliteBytes)))"
        )
    }

    /// Recovery time of the replay log, to set beside the big log's: recovery should not grow with the log.
    private mutating func recoveryOfSmallLog(directory: String, bytes: Int64) async throws {
        var samples: [Double] = []
        for _ in 0..<plan.runs {
            samples.append(try await parley.reopen(directory: directory, cold: false).seconds)
        }
        smallLogRecovery = (bytes, Sample(samples).median)
    }

    /// Fails the run if the two replays disagree with each other or with what was written.
    private func check(_ ours: ReplayTally, against theirs: ReplayTally, events: Int, payloadBytes: Int) throws {
        guard ours.events == events, ours.payloadBytes == payloadBytes else {
            throw BenchError(
                "Parley replay read \(ours.events) events / \(ours.payloadBytes) B, wrote \(events) / \(payloadBytes) B"
            )
        }
        guard ours == theirs else {
            throw BenchError("Parley and SQLite replays disagree: \(ours) vs \(theirs)")
        }
    }
}

import BenchChat
import EventLog

extension BenchmarkRun {
    /// Loads the same events into a log, a SQLite table and a PostgreSQL table, replays each (warm, then cold page
    /// cache), and compares their size with the JSON lines of the same events.
    mutating func replayAndSizes() async throws {
        let events = plan.replayEvents
        let runs = plan.runs
        Self.progress(
            "loading \(events) events into a log" + (measuresSQLite ? ", into SQLite" : "")
                + (postgres == nil ? "" : ", into PostgreSQL")
        )
        let logDirectory = try scratch.freshDirectory("replay-parley")
        let databaseDirectory = try scratch.freshDirectory("replay-sqlite")
        defer {
            scratch.remove(logDirectory)
            scratch.remove(databaseDirectory)
        }
        let database = databaseDirectory + "/events.sqlite"
        let load = try await parley.load(directory: logDirectory, events: events)
        var sqliteLoad: (bytes: Int64, seconds: Double)?
        if measuresSQLite {
            let (bytes, seconds) = try timed { try sqlite.load(path: database, events: events) }
            sqliteLoad = (bytes, seconds)
        }
        let postgresLoad = await measurePostgres("load") { postgres in
            let (bytes, seconds) = try timed { try postgres.load(events: events) }
            return (bytes: bytes, seconds: seconds)
        }

        Self.progress("replaying \(events) events, \(runs) times each, page cache warm")
        var ours: [Double] = []
        var theirs: [Double] = []
        var postgresRates: [Double] = []
        for _ in 0..<runs {
            let (logTally, logSeconds) = try timed { try parley.replay(directory: logDirectory) }
            try check(logTally, events: events, payloadBytes: load.payloadBytes)
            ours.append(Double(events) / logSeconds)
            if measuresSQLite {
                let (sqliteTally, sqliteSeconds) = try timed { try sqlite.replay(path: database) }
                guard logTally == sqliteTally else {
                    throw BenchError("Parley and SQLite replays disagree: \(logTally) vs \(sqliteTally)")
                }
                theirs.append(Double(events) / sqliteSeconds)
            }
            if postgresLoad != nil {
                let seconds = await measurePostgres("replay") { postgres in
                    let (tally, seconds) = try timed { try postgres.replay() }
                    guard tally == logTally else {
                        throw BenchError("Parley and PostgreSQL replays disagree: \(logTally) vs \(tally)")
                    }
                    return seconds
                }
                if let seconds { postgresRates.append(Double(events) / seconds) }
            }
        }
        let warm = Sample(ours).median
        var warmRow = ReportRow(
            figure: "replay, one thread, page cache warm",
            target: "≥ 2 M/s",
            parley: Numbers.rate(warm),
            verdict: Target.atLeast(2_000_000).verdict(warm)
        )
        fill(&warmRow, parley: warm, sqlite: theirs.isEmpty ? nil : Sample(theirs).median)
        fill(&warmRow, parley: warm, postgres: postgresRates.isEmpty ? nil : Sample(postgresRates).median)
        report.rows.append(warmRow)

        Self.progress("replaying once more from a cold page cache")
        FileTree.evictFromPageCache(EventLog.logDirectory(in: logDirectory))
        let (_, coldLogSeconds) = try timed { try parley.replay(directory: logDirectory) }
        var coldRow = ReportRow(
            figure: "replay, one thread, page cache cold",
            parley: Numbers.rate(Double(events) / coldLogSeconds)
        )
        if measuresSQLite {
            FileTree.evictFromPageCache(databaseDirectory)
            let (_, coldSQLiteSeconds) = try timed { try sqlite.replay(path: database) }
            fill(&coldRow, parley: Double(events) / coldLogSeconds, sqlite: Double(events) / coldSQLiteSeconds)
        }
        if postgresLoad != nil {
            // A restart empties shared_buffers; then the cluster's files leave the page cache.
            let coldSeconds = await measurePostgres("cold replay") { postgres in
                postgres.server.stop()
                FileTree.evictFromPageCache(postgres.server.dataDirectory)
                try postgres.server.start()
                return try timed { try postgres.replay() }.seconds
            }
            fill(&coldRow, parley: Double(events) / coldLogSeconds, postgres: coldSeconds.map { Double(events) / $0 })
        }
        report.rows.append(coldRow)

        let logStatistics = try LogInspector.statistics(dataDirectory: logDirectory)
        var detail =
            "replay data: \(events) events, \(Numbers.bytes(Double(load.payloadBytes))) of payload; Parley "
            + "\(logStatistics.frames) frames, LZ4 \(Numbers.ratio(logStatistics.ratio)) on the record bytes, "
            + "replay \(Numbers.bytes(Double(logStatistics.storedBytes) * warm / Double(events)))/s read "
            + "(loaded in \(Numbers.seconds(load.seconds)))"
        if let sqliteLoad {
            detail +=
                "; SQLite \(Numbers.bytes(Double(sqliteLoad.bytes))) (loaded in \(Numbers.seconds(sqliteLoad.seconds)), "
                + "10,000 rows per transaction)"
        }
        if let postgresLoad {
            detail +=
                "; PostgreSQL table + indexes \(Numbers.bytes(Double(postgresLoad.bytes))) (loaded in "
                + "\(Numbers.seconds(postgresLoad.seconds)), 10,000 rows per transaction in INSERTs of 1,000 rows, "
                + "then VACUUM ANALYZE)"
        }
        detail += "; replay rates of the \(runs) runs: Parley " + ours.map { Numbers.count($0) }.joined(separator: ", ")
        if !theirs.isEmpty { detail += "; SQLite " + theirs.map { Numbers.count($0) }.joined(separator: ", ") }
        if !postgresRates.isEmpty {
            detail += "; PostgreSQL " + postgresRates.map { Numbers.count($0) }.joined(separator: ", ")
        }
        report.details.append(detail)
        try await sizes(
            events: events,
            logStatistics: logStatistics,
            segmentFileBytes: load.segmentBytes,
            logDirectory: logDirectory,
            sqliteBytes: sqliteLoad?.bytes,
            postgresBytes: postgresLoad?.bytes
        )
        try await recoveryOfSmallLog(directory: logDirectory, bytes: load.segmentBytes)
    }

    /// Sets the SQLite cells of a rate row.
    private func fill(_ row: inout ReportRow, parley: Double, sqlite: Double?) {
        guard let sqlite else { return }
        row.sqlite = Numbers.rate(sqlite)
        row.ratio = Numbers.ratio(parley / sqlite)
    }

    /// Sets the PostgreSQL cells of a rate row.
    private func fill(_ row: inout ReportRow, parley: Double, postgres: Double?) {
        guard let postgres else { return }
        row.postgres = Numbers.rate(postgres)
        row.postgresRatio = Numbers.ratio(parley / postgres)
    }

    /// Bytes per event: the log (binary and JSON-line records), SQLite, and the JSON lines themselves.
    private mutating func sizes(
        events: Int,
        logStatistics: LogStatistics,
        segmentFileBytes: Int64,
        logDirectory: String,
        sqliteBytes: Int64?,
        postgresBytes: Int64?
    ) async throws {
        Self.progress("storing the same events as JSON lines, for size")
        let jsonDirectory = try scratch.freshDirectory("json-parley")
        defer { scratch.remove(jsonDirectory) }
        let jsonLoad = try await parley.load(directory: jsonDirectory, encoding: .json, events: events)
        let jsonStatistics = try LogInspector.statistics(dataDirectory: jsonDirectory)
        let jsonLinesPerEvent = Double(jsonLoad.payloadBytes) / Double(events)
        let binaryStored = Double(logStatistics.storedBytes) / Double(events)
        let jsonStored = Double(jsonStatistics.storedBytes) / Double(events)
        let sqlitePerEvent = sqliteBytes.map { Double($0) / Double(events) }
        let postgresPerEvent = postgresBytes.map { Double($0) / Double(events) }
        var stored = ReportRow(figure: "stored bytes/event, binary events", parley: Numbers.bytes(binaryStored))
        var jsonRatio = ReportRow(
            figure: "JSON lines (\(Numbers.fixed(jsonLinesPerEvent, 1)) B/event) ÷ stored bytes",
            parley: Numbers.ratio(jsonLinesPerEvent / binaryStored)
        )
        if let sqlitePerEvent {
            stored.sqlite = Numbers.bytes(sqlitePerEvent)
            stored.ratio = Numbers.ratio(sqlitePerEvent / binaryStored)
            jsonRatio.sqlite = Numbers.ratio(jsonLinesPerEvent / sqlitePerEvent)
            jsonRatio.ratio = Numbers.ratio(sqlitePerEvent / binaryStored)
        }
        if let postgresPerEvent {
            stored.postgres = Numbers.bytes(postgresPerEvent)
            stored.postgresRatio = Numbers.ratio(postgresPerEvent / binaryStored)
            jsonRatio.postgres = Numbers.ratio(jsonLinesPerEvent / postgresPerEvent)
            jsonRatio.postgresRatio = Numbers.ratio(postgresPerEvent / binaryStored)
        }
        report.rows.append(stored)
        report.rows.append(jsonRatio)
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
                + "\(Numbers.ratio(jsonStatistics.ratio))"
                + (sqliteBytes.map { "; SQLite file after checkpoint \(Numbers.bytes(Double($0)))" } ?? "")
                + (postgresBytes.map {
                    "; PostgreSQL table + primary key + 2 unique indexes (pg_total_relation_size, WAL not counted) "
                        + Numbers.bytes(Double($0))
                } ?? "")
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

    /// Fails the run if the log's replay does not give back what was written.
    private func check(_ ours: ReplayTally, events: Int, payloadBytes: Int) throws {
        guard ours.events == events, ours.payloadBytes == payloadBytes else {
            throw BenchError(
                "Parley replay read \(ours.events) events / \(ours.payloadBytes) B, wrote \(events) / \(payloadBytes) B"
            )
        }
    }
}

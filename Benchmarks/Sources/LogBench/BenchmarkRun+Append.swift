import EventLog

extension BenchmarkRun {
    /// One append configuration: how many tasks append, how many records each call carries, and whether every
    /// commit is made durable.
    struct AppendShape {
        /// Concurrent tasks.
        var writers: Int
        /// Records per append call.
        var recordsPerCall = 1
        /// `always` / `synchronous=FULL`, or `none` / `synchronous=OFF`.
        var durable: Bool

        var label: String {
            let tasks = "\(writers) writer\(writers == 1 ? "" : "s")"
            let calls = recordsPerCall == 1 ? "" : " × \(recordsPerCall) records per call"
            return durable
                ? "durable append, \(tasks)\(calls) (always / FULL)"
                : "append without fsync, \(tasks)\(calls) (none / OFF)"
        }
    }

    /// Durable appends at each writer count, one record per call; then one writer handing over 256 records per
    /// call (how a single-writer engine batches); then appends without fsync. The log and its peers (SQLite, and
    /// PostgreSQL with `synchronous_commit` on, or off for the runs without fsync) alternate so that all see the
    /// same machine.
    mutating func appends() async throws {
        var shapes = plan.writers.map { AppendShape(writers: $0, durable: true) }
        shapes.append(AppendShape(writers: 1, recordsPerCall: 256, durable: true))
        shapes += plan.relaxedWriters.map { AppendShape(writers: $0, durable: false) }
        for shape in shapes { try await appendPair(shape) }
    }

    private mutating func appendPair(_ shape: AppendShape) async throws {
        let duration = plan.appendSeconds
        Self.progress(shape.label + ", \(Numbers.fixed(duration, 1)) s each")
        let logDirectory = try scratch.freshDirectory("append-parley")
        defer { scratch.remove(logDirectory) }
        let ours = try await parley.append(
            directory: logDirectory,
            durability: shape.durable ? .always : .none,
            writers: shape.writers,
            recordsPerCall: shape.recordsPerCall,
            duration: duration
        )
        var theirs: PeerAppendRun?
        if measuresSQLite {
            let databaseDirectory = try scratch.freshDirectory("append-sqlite")
            defer { scratch.remove(databaseDirectory) }
            theirs = try await sqlite.append(
                path: databaseDirectory + "/events.sqlite",
                synchronous: shape.durable ? .full : .off,
                writers: shape.writers,
                recordsPerCall: shape.recordsPerCall,
                duration: duration
            )
        }
        let postgres = await measurePostgres("append (\(shape.label))") { postgres in
            try await postgres.append(
                synchronousCommit: shape.durable,
                writers: shape.writers,
                recordsPerCall: shape.recordsPerCall,
                duration: duration
            )
        }
        var row = ReportRow(figure: shape.label, parley: Numbers.rate(ours.eventsPerSecond))
        if let theirs {
            row.sqlite = Numbers.rate(theirs.eventsPerSecond)
            row.ratio = Numbers.ratio(ours.eventsPerSecond / theirs.eventsPerSecond)
        }
        if let postgres {
            row.postgres = Numbers.rate(postgres.eventsPerSecond)
            row.postgresRatio = Numbers.ratio(ours.eventsPerSecond / postgres.eventsPerSecond)
        }
        if shape.durable && shape.writers == 256 && shape.recordsPerCall == 1 {
            row.target = "≥ 500 K/s"
            row.verdict = Target.atLeast(500_000).verdict(ours.eventsPerSecond)
        }
        report.rows.append(row)
        if shape.durable && shape.writers == 1 && shape.recordsPerCall == 1 {
            var sizes = ReportRow(
                figure: "stored bytes/event, durable 1 writer (a frame per event)",
                parley: Numbers.bytes(ours.storedBytesPerEvent)
            )
            if let theirs {
                sizes.sqlite = Numbers.bytes(theirs.bytesPerEvent)
                sizes.ratio = Numbers.ratio(theirs.bytesPerEvent / ours.storedBytesPerEvent)
            }
            if let postgres {
                sizes.postgres = Numbers.bytes(postgres.bytesPerEvent)
                sizes.postgresRatio = Numbers.ratio(postgres.bytesPerEvent / ours.storedBytesPerEvent)
            }
            report.rows.append(sizes)
        }
        report.details.append(describe(shape, ours, sqlite: theirs, postgres: postgres))
    }

    /// Frames, fsyncs and batch sizes behind an append figure, and the latency of the calls.
    private func describe(
        _ shape: AppendShape,
        _ ours: ParleyWorkloads.AppendRun,
        sqlite: PeerAppendRun?,
        postgres: PeerAppendRun?
    ) -> String {
        let statistics = ours.statistics
        let events = Double(max(statistics.records, 1))
        let calls = shape.recordsPerCall == 1 ? "" : " × \(shape.recordsPerCall)"
        func peer(_ name: String, _ run: PeerAppendRun?, unit: String) -> String {
            guard let run else { return "" }
            return "; \(name) \(run.transactions) transactions "
                + "(\(Numbers.fixed(Double(run.events) / Double(max(run.transactions, 1)), 1)) events each), "
                + "p50 \(Numbers.seconds(run.latency.median)) p99 \(Numbers.seconds(run.latency.percentile(0.99))), "
                + "\(Numbers.fixed(run.bytesPerEvent, 1)) B/event\(unit)"
        }
        return "\(shape.durable ? "always" : "none") × \(shape.writers)\(calls): Parley \(statistics.batches) batches, "
            + "\(Numbers.fixed(Double(statistics.syncs) / events, 4)) fsyncs and "
            + "\(Numbers.fixed(Double(statistics.frames) / events, 4)) frames per event "
            + "(\(Numbers.fixed(events / Double(max(statistics.batches, 1)), 1)) events per batch), "
            + "call latency p50 \(Numbers.seconds(ours.latency.median)) p99 "
            + "\(Numbers.seconds(ours.latency.percentile(0.99))), "
            + "\(Numbers.fixed(ours.storedBytesPerEvent, 1)) stored B/event"
            + peer("SQLite", sqlite, unit: "")
            + peer(
                "PostgreSQL (synchronous_commit=\(shape.durable ? "on" : "off"))",
                postgres,
                unit: " (table + indexes)"
            )
    }
}

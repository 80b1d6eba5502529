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
    /// call (how a single-writer engine batches); then appends without fsync. The log and SQLite alternate so
    /// that both see the same machine.
    mutating func appends() async throws {
        var shapes = plan.writers.map { AppendShape(writers: $0, durable: true) }
        shapes.append(AppendShape(writers: 1, recordsPerCall: 256, durable: true))
        shapes += plan.relaxedWriters.map { AppendShape(writers: $0, durable: false) }
        for shape in shapes { try await appendPair(shape) }
    }

    private mutating func appendPair(_ shape: AppendShape) async throws {
        Self.progress(shape.label + ", \(Numbers.fixed(plan.appendSeconds, 1)) s each")
        let logDirectory = try scratch.freshDirectory("append-parley")
        defer { scratch.remove(logDirectory) }
        let ours = try await parley.append(
            directory: logDirectory,
            durability: shape.durable ? .always : .none,
            writers: shape.writers,
            recordsPerCall: shape.recordsPerCall,
            duration: plan.appendSeconds
        )
        let databaseDirectory = try scratch.freshDirectory("append-sqlite")
        defer { scratch.remove(databaseDirectory) }
        let theirs = try await sqlite.append(
            path: databaseDirectory + "/events.sqlite",
            synchronous: shape.durable ? .full : .off,
            writers: shape.writers,
            recordsPerCall: shape.recordsPerCall,
            duration: plan.appendSeconds
        )
        var row = ReportRow(
            figure: shape.label,
            parley: Numbers.rate(ours.eventsPerSecond),
            sqlite: Numbers.rate(theirs.eventsPerSecond),
            ratio: Numbers.ratio(ours.eventsPerSecond / theirs.eventsPerSecond)
        )
        if shape.durable && shape.writers == 256 && shape.recordsPerCall == 1 {
            row.target = "≥ 500 K/s"
            row.verdict = Target.atLeast(500_000).verdict(ours.eventsPerSecond)
        }
        report.rows.append(row)
        if shape.durable && shape.writers == 1 && shape.recordsPerCall == 1 {
            report.rows.append(
                ReportRow(
                    figure: "stored bytes/event, durable 1 writer (a frame per event)",
                    parley: Numbers.bytes(ours.storedBytesPerEvent),
                    sqlite: Numbers.bytes(theirs.bytesPerEvent),
                    ratio: Numbers.ratio(theirs.bytesPerEvent / ours.storedBytesPerEvent)
                )
            )
        }
        report.details.append(describe(shape, ours, theirs))
    }

    /// Frames, fsyncs and batch sizes behind an append figure, and the latency of the calls.
    private func describe(
        _ shape: AppendShape,
        _ ours: ParleyWorkloads.AppendRun,
        _ theirs: SQLiteWorkloads.AppendRun
    ) -> String {
        let statistics = ours.statistics
        let events = Double(max(statistics.records, 1))
        let calls = shape.recordsPerCall == 1 ? "" : " × \(shape.recordsPerCall)"
        return "\(shape.durable ? "always" : "none") × \(shape.writers)\(calls): Parley \(statistics.batches) batches, "
            + "\(Numbers.fixed(Double(statistics.syncs) / events, 4)) fsyncs and "
            + "\(Numbers.fixed(Double(statistics.frames) / events, 4)) frames per event "
            + "(\(Numbers.fixed(events / Double(max(statistics.batches, 1)), 1)) events per batch), "
            + "call latency p50 \(Numbers.seconds(ours.latency.median)) p99 "
            + "\(Numbers.seconds(ours.latency.percentile(0.99))), "
            + "\(Numbers.fixed(ours.storedBytesPerEvent, 1)) stored B/event; "
            + "SQLite \(theirs.transactions) transactions "
            + "(\(Numbers.fixed(Double(theirs.events) / Double(max(theirs.transactions, 1)), 1)) events each), "
            + "p50 \(Numbers.seconds(theirs.latency.median)) p99 \(Numbers.seconds(theirs.latency.percentile(0.99))), "
            + "\(Numbers.fixed(theirs.bytesPerEvent, 1)) B/event"
    }
}

import EventLog
import ParleyDomain

extension Engine {
    /// Where an open or replay starts from, and what it found.
    struct Opened: Sendable {
        var snapshot: Snapshot<Machine.State>
        var projections: ProjectionSet<Machine>
        var report = OpenReport()
    }

    /// Replays the log in `<dataDirectory>/log` read-only, applying the records stamped `until` or earlier, with the
    /// given projections beside the state.
    ///
    /// Starts from the newest checkpoint taken at or before `until` when one holds the state and every projection
    /// asked for (`useCheckpoints`), else from an empty state. Changes no file and works while a writer has the log
    /// open. A command's events carry consecutive µs timestamps, so an instant can fall between two events of one
    /// command. This is blocking file I/O: in a server, call it from a thread of your own, not from the cooperative
    /// pool.
    /// - Parameters:
    ///   - dataDirectory: The data directory; the log lives in its `log/` subdirectory.
    ///   - until: The last instant (µs since the Unix epoch) to include; nil for the whole log.
    ///   - projections: Projections to fold beside the state (published in the snapshot).
    ///   - useCheckpoints: Whether a checkpoint may shorten the replay.
    ///   - threads: Whether records are decoded on a second thread while this one applies them.
    public static func replay(
        dataDirectory: String,
        until: Int64? = nil,
        projections: [any Projection<Machine>.Type],
        useCheckpoints: Bool = true,
        threads: ReplayThreads = .one
    ) throws(EngineError) -> (snapshot: Snapshot<Machine.State>, report: OpenReport) {
        let reader: LogReader
        do {
            reader = try LogReader.open(dataDirectory: dataDirectory)
        } catch {
            throw EngineError(log: error)
        }
        var opened = startingPoint(
            dataDirectory: dataDirectory,
            reader: reader,
            projections: projections,
            load: useCheckpoints,
            until: until,
            requireAll: true
        )
        let from = opened.snapshot.position
        try fold(reader, into: &opened.snapshot, projections: &opened.projections, until: until, threads: threads)
        opened.report.replayedRecords = opened.snapshot.position - from
        opened.snapshot.projections = PublishedProjections(opened.projections.members)
        return (opened.snapshot, opened.report)
    }

    /// Replays the whole log (or up to `until`) into the machine's state alone, without checkpoints.
    public static func replay(
        dataDirectory: String,
        until: Int64? = nil,
        threads: ReplayThreads = .one
    ) throws(EngineError) -> Snapshot<Machine.State> {
        try replay(dataDirectory: dataDirectory, until: until, projections: [], useCheckpoints: false, threads: threads)
            .snapshot
    }

    /// The newest usable checkpoint's states, or empty ones. With `requireAll`, a checkpoint lacking one of the
    /// projections is not used (the replay starts from the beginning); without, the lacking ones are listed in
    /// `report.rebuilding` and left out of `projections`.
    static func startingPoint(
        dataDirectory: String,
        reader: LogReader,
        projections types: [any Projection<Machine>.Type],
        load: Bool,
        until: Int64?,
        requireAll: Bool = false
    ) -> Opened {
        let empty = Opened(
            snapshot: Snapshot(state: Machine.initialState(), position: 0, timestamp: 0),
            projections: ProjectionSet(empty: types)
        )
        guard load, let codec = Machine.stateSnapshot else { return empty }
        let search = Checkpoint.newest(dataDirectory: dataDirectory, reader: reader, until: until)
        var fallback = empty
        fallback.report.rejected = search.rejected
        guard let checkpoint = search.checkpoint, let path = search.path else { return fallback }
        guard let section = checkpoint.section(name: codec.name, version: codec.version) else {
            fallback.report.rejected.append("\(path): no \(codec.name)@\(codec.version) state")
            return fallback
        }
        var opened = empty
        opened.report.rejected = search.rejected
        do {
            opened.snapshot = Snapshot(
                state: try codec.decodeSplit(section.bytes, section.cold),
                position: checkpoint.position,
                timestamp: checkpoint.timestamp
            )
            var members: [any Projection<Machine>] = []
            for type in types {
                if let saved = checkpoint.section(name: type.name, version: type.version) {
                    members.append(try saved.decode(type))
                    opened.report.loaded.append(type.key)
                } else if requireAll {
                    fallback.report.rejected.append("\(path): no \(type.key) projection")
                    return fallback
                } else {
                    opened.report.rebuilding.append(type.key)
                }
            }
            opened.projections = ProjectionSet(members)
        } catch {
            fallback.report.rejected.append("\(path): \(error)")
            return fallback
        }
        opened.report.checkpoint = path
        opened.report.checkpointPosition = checkpoint.position
        return opened
    }

    /// Decodes and applies every record of `reader` after `snapshot.position` stamped `until` or earlier (and at or
    /// before sequence `through`), to the state and then to the projections; with `threads` `.two`, decoding runs on a
    /// second thread (`foldPipelined`).
    @_specialize(where Machine == ChatMachine)
    static func fold(
        _ reader: LogReader,
        into snapshot: inout Snapshot<Machine.State>,
        projections: inout ProjectionSet<Machine>,
        until: Int64?,
        through: UInt64 = .max,
        threads: ReplayThreads = .one
    ) throws(EngineError) {
        if threads.pipelines {
            try foldPipelined(reader, into: &snapshot, projections: &projections, until: until, through: through)
            return
        }
        var decodeFailure: EngineError?
        do {
            try snapshot.withFields { state, position, timestamp in
                try reader.forEach(fromSequence: position + 1) { record in
                    if let until, record.timestamp > until { return false }
                    if record.sequence > through { return false }
                    let event: Machine.Event?
                    do throws(DecodeError) {
                        event = try Machine.decode(tag: record.type, payload: record.payload)
                    } catch {
                        decodeFailure = EngineError(
                            .decode,
                            "record of type \(record.type) does not decode: \(error)",
                            sequence: record.sequence,
                            decodeError: error
                        )
                        return false
                    }
                    if let event { step(event, at: record.timestamp, state: &state, projections: &projections) }
                    position = record.sequence
                    timestamp = record.timestamp
                    return true
                }
            }
        } catch let error as EventLogError {
            throw EngineError(log: error)
        } catch {
            throw EngineError(.log, "reading the log failed: \(error)")
        }
        if let decodeFailure { throw decodeFailure }
    }
}

extension Engine {
    /// Applies one event to the state (unless `applied` says `state` is already the state after it), then to the
    /// projections with the state after it.
    ///
    /// A function of its own so that the projections borrow `state`: applied inside a replay's closure (where the
    /// state is a captured variable), the state was copied for every event, about 5 % of a replay's instructions.
    @inline(never)
    static func step(
        _ event: Machine.Event,
        at timestamp: Int64,
        state: inout Machine.State,
        projections: inout ProjectionSet<Machine>,
        applied: Bool = false
    ) {
        if !applied { Machine.apply(event, at: timestamp, to: &state) }
        projections.apply(event, at: timestamp, state: state)
    }
}

/// What an offline rebuild did.
public struct OfflineRebuildReport: Sendable, Encodable {
    /// One entry per projection rebuilt, with its fold rate.
    public var rebuilt: [RebuildReport]
    /// The checkpoint written with the rebuilt projections, if the machine has a state codec.
    public var checkpoint: String?
    /// Where the other projections came from: "checkpoint" (its state equalled the rebuilt one) or "replay".
    public var others: String
}

extension Engine {
    /// Rebuilds the projections named `name` ("name" or "name@version") from the whole log, offline, and writes a
    /// checkpoint holding them beside the machine state and the other `projections` (those are taken from the
    /// newest checkpoint and its tail when it holds them all, else folded too).
    ///
    /// Reads the log read-only; a running server may have it open (its next checkpoint supersedes this one). The
    /// reported rate is that of the fold of the machine state plus the named projections, which is what a rebuild
    /// costs. Blocking file I/O.
    public static func rebuildOffline(
        dataDirectory: String,
        projections types: [any Projection<Machine>.Type],
        name: String
    ) throws(EngineError) -> OfflineRebuildReport {
        let chosen = types.filter { $0.key == name || $0.name == name }
        guard !chosen.isEmpty else {
            let known = types.map { $0.key }.joined(separator: ", ")
            throw EngineError(.unknownProjection, "no projection \"\(name)\" is registered (known: \(known))")
        }
        let reader: LogReader
        do {
            reader = try LogReader.open(dataDirectory: dataDirectory)
        } catch {
            throw EngineError(log: error)
        }
        let started = ContinuousClock.now
        var rebuilt = Opened(
            snapshot: Snapshot(state: Machine.initialState(), position: 0, timestamp: 0),
            projections: ProjectionSet(empty: chosen)
        )
        try fold(reader, into: &rebuilt.snapshot, projections: &rebuilt.projections, until: nil)
        let seconds = Self.seconds(since: started)
        let events = rebuilt.snapshot.position
        var reports: [RebuildReport] = []
        for member in rebuilt.projections.members {
            reports.append(
                RebuildReport(
                    key: type(of: member).key,
                    events: events,
                    seconds: seconds,
                    eventsPerSecond: seconds > 0 ? Double(events) / seconds : 0,
                    position: events,
                    stateHash: member.stateHash(),
                    matchesReplaced: nil
                )
            )
        }
        guard let codec = Machine.stateSnapshot else {
            return OfflineRebuildReport(rebuilt: reports, checkpoint: nil, others: "none")
        }
        let otherTypes = types.filter { type in !chosen.contains { $0.key == type.key } }
        var others = startingPoint(
            dataDirectory: dataDirectory,
            reader: reader,
            projections: otherTypes,
            load: true,
            until: nil,
            requireAll: true
        )
        let fromCheckpoint = others.report.checkpoint != nil
        try fold(reader, into: &others.snapshot, projections: &others.projections, until: nil)
        if fromCheckpoint, codec.encode(others.snapshot.state) != codec.encode(rebuilt.snapshot.state) {
            throw EngineError(
                .checkpoint,
                "the state from \(others.report.checkpoint ?? "the checkpoint") and its tail differs from the state "
                    + "rebuilt from the whole log; not writing a checkpoint (move the checkpoint files aside and rebuild)"
            )
        }
        var sections = [Checkpoint.Section(codec: codec, state: rebuilt.snapshot.state)]
        for type in types {
            let member =
                rebuilt.projections.member(forKey: type.key) ?? others.projections.member(forKey: type.key)
            if let member {
                sections.append(Checkpoint.Section(name: type.name, version: type.version, splitting: member))
            }
        }
        let link: FrameHash?
        do {
            link = try reader.linkHash(after: rebuilt.snapshot.position)
        } catch {
            throw EngineError(.log, "reading the log failed: \(error)")
        }
        guard let link else {
            throw EngineError(.checkpoint, "the log has no frame boundary at \(rebuilt.snapshot.position)")
        }
        let checkpoint = Checkpoint(
            position: rebuilt.snapshot.position,
            timestamp: rebuilt.snapshot.timestamp,
            linkHash: link.bytes,
            sections: sections
        )
        let path = try checkpoint.write(dataDirectory: dataDirectory)
        return OfflineRebuildReport(
            rebuilt: reports,
            checkpoint: path,
            others: fromCheckpoint ? "checkpoint" : "replay"
        )
    }
}

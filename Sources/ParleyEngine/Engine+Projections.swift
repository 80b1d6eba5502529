import EventLog
import ParleyDomain
import Synchronization

extension Engine {
    /// Every registered projection's phase (ready, rebuilding, failed); never waits for the writer.
    public nonisolated var projectionStatus: [ProjectionStatus] { statuses.withLock { $0 } }

    /// The registered projection types matching `name` ("name" for every version, or "name@version").
    func projectionTypes(matching name: String) -> [any Projection<Machine>.Type] {
        projectionTypes.filter { $0.key == name || $0.name == name }
    }

    /// Rebuilds the projections named `name` ("name" or "name@version") from the log beside the serving copies and
    /// swaps each in atomically when it has caught up; the server keeps serving meanwhile. Returns one report per
    /// projection rebuilt.
    public func rebuild(_ name: String) async throws(EngineError) -> [RebuildReport] {
        let types = projectionTypes(matching: name)
        guard !types.isEmpty else {
            let known = projectionTypes.map { $0.key }.joined(separator: ", ")
            throw EngineError(.unknownProjection, "no projection \"\(name)\" is registered (known: \(known))")
        }
        if let busy = types.first(where: { rebuildTails[$0.key] != nil }) {
            throw EngineError(.rebuildInProgress, "\(busy.key) is already being rebuilt")
        }
        var reports: [RebuildReport] = []
        for type in types {
            switch await rebuildOne(type) {
            case .success(let report): reports.append(report)
            case .failure(let error): throw error
            }
        }
        return reports
    }

    /// A rebuilt projection waiting to be swapped in.
    struct ParkedRebuild: Sendable {
        var key: String
        var opened: Opened
        var started: ContinuousClock.Instant
        var backlog: UInt64
    }

    /// Returns once the background rebuilds started at open (or since) are done.
    public func waitForRebuilds() async {
        while let task = rebuildTasks.values.first {
            await task.value
        }
    }

    /// Starts background rebuilds of `keys` (projections a checkpoint lacked at open).
    func startRebuilds(of keys: [String]) {
        for type in projectionTypes where keys.contains(type.key) && rebuildTasks[type.key] == nil {
            rebuildTasks[type.key] = Task { _ = await self.rebuildOne(type) }
        }
    }

    /// Folds a fresh `type` (and a fresh machine state, which it reads) over the log up to the committed position,
    /// then over the events committed meanwhile, then installs and publishes it.
    private func rebuildOne(_ type: any Projection<Machine>.Type) async -> Result<RebuildReport, EngineError> {
        let key = type.key
        let started = ContinuousClock.now
        let start = position
        rebuildTails[key] = []
        setStatus(key) { $0.phase = .rebuilding }
        let reader = log.reader()
        let built: Result<Opened, EngineError> = await runBlockingResult { () throws(EngineError) -> Opened in
            var opened = Opened(
                snapshot: Snapshot(state: Machine.initialState(), position: 0, timestamp: 0),
                projections: ProjectionSet(empty: [type])
            )
            try Self.fold(reader, into: &opened.snapshot, projections: &opened.projections, until: nil, through: start)
            return opened
        }
        rebuildTasks[key] = nil
        switch built {
        case .failure(let error):
            rebuildTails[key] = nil
            setStatus(key) {
                $0.phase = .failed
                $0.message = error.description
            }
            return .failure(error)
        case .success(let opened):
            let rebuild = ParkedRebuild(key: key, opened: opened, started: started, backlog: start)
            // A batch decided before the swap but committed after it would publish a set without the new copy: with
            // a batch in flight the swap waits for its commit (`installParked`), which also folds the batch in.
            guard writer != nil else {
                let report = install(rebuild)
                if !closed { publish() }
                return .success(report)
            }
            return .success(await withCheckedContinuation { parked.append((rebuild, $0)) })
        }
    }

    /// Swaps in the rebuilds waiting for a commit; called by `commit` before it publishes, and by `close`.
    func installParked() {
        let waiting = parked
        parked.removeAll()
        for (rebuild, continuation) in waiting { continuation.resume(returning: install(rebuild)) }
    }

    /// Folds the events committed since the rebuild's backlog into it and installs it in the committed set.
    private func install(_ rebuild: ParkedRebuild) -> RebuildReport {
        var opened = rebuild.opened
        let tail = rebuildTails.removeValue(forKey: rebuild.key) ?? []
        for (event, timestamp) in tail {
            Self.step(event, at: timestamp, state: &opened.snapshot.state, projections: &opened.projections)
        }
        let previous = projections.member(forKey: rebuild.key)
        let seconds = Self.seconds(since: rebuild.started)
        let events = rebuild.backlog + UInt64(tail.count)
        var report = RebuildReport(
            key: rebuild.key,
            events: events,
            seconds: seconds,
            eventsPerSecond: seconds > 0 ? Double(events) / seconds : 0,
            position: position,
            stateHash: "",
            matchesReplaced: nil
        )
        if let rebuilt = opened.projections.member(forKey: rebuild.key) {
            report.stateHash = rebuilt.stateHash()
            report.matchesReplaced = previous.map { $0.stateHash() == report.stateHash }
            projections.install(rebuilt)
        }
        setStatus(rebuild.key) {
            $0.phase = .ready
            $0.serving = true
            $0.lastRebuild = report
            $0.message = nil
        }
        return report
    }

    private func setStatus(_ key: String, _ change: (inout ProjectionStatus) -> Void) {
        statuses.withLock { all in
            if let index = all.firstIndex(where: { $0.key == key }) { change(&all[index]) }
        }
    }

    // MARK: Checkpoints

    /// Writes a checkpoint of the committed state and ready projections now (after any one being written) and
    /// returns its path; nil when the machine has no state codec.
    @discardableResult
    public func writeCheckpoint() async throws(EngineError) -> String? {
        if let checkpointTask { await checkpointTask.value }
        guard let work = checkpointWork() else { return nil }
        do {
            let path = try await runBlocking(work)
            checkpointProblem.withLock { $0 = nil }
            return path
        } catch {
            checkpointProblem.withLock { $0 = error }
            throw error
        }
    }

    /// Starts writing a checkpoint in the background unless one is being written.
    func startCheckpoint() {
        guard checkpointTask == nil, let work = checkpointWork() else { return }
        checkpointTask = Task {
            do throws(EngineError) {
                _ = try await runBlocking(work)
                self.checkpointProblem.withLock { $0 = nil }
            } catch {
                self.checkpointProblem.withLock { $0 = error }
            }
            self.checkpointTask = nil
        }
    }

    /// The blocking work that encodes and writes a checkpoint of the committed state; resets the counters.
    private func checkpointWork() -> (@Sendable () throws(EngineError) -> String)? {
        guard let codec = Machine.stateSnapshot else { return nil }
        let state = self.state
        let members = projections.members
        let position = self.position
        let timestamp = lastTimestamp
        let link = headLink
        let directory = dataDirectory
        eventsSinceCheckpoint = 0
        checkpointPosition = position
        return { () throws(EngineError) -> String in
            var sections = [Checkpoint.Section(codec: codec, state: state)]
            for member in members {
                let type = type(of: member)
                sections.append(Checkpoint.Section(name: type.name, version: type.version, splitting: member))
            }
            let checkpoint = Checkpoint(
                position: position,
                timestamp: timestamp,
                linkHash: link.bytes,
                sections: sections
            )
            return try checkpoint.write(dataDirectory: directory)
        }
    }
}

/// `runBlocking`, with the outcome as a value.
func runBlockingResult<T: Sendable>(
    _ work: @escaping @Sendable () throws(EngineError) -> T
) async -> Result<T, EngineError> {
    do {
        return .success(try await runBlocking(work))
    } catch {
        return .failure(error)
    }
}

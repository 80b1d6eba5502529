import Dispatch
import EventLog
import ParleyDomain
import Synchronization

/// Runs an `EventSourcedMachine` over one event log: the single serial writer of a Parley instance.
///
/// Commands are decided one at a time against the state, in arrival order. While one batch of events is being made
/// durable, the commands that arrive wait; when it is done they are decided together as the next batch (group
/// commit): each against the state including the earlier commands of its batch, so a batch is equivalent to running
/// its commands one by one, and all their events go to the log in one append (one frame). Only after the log reports
/// the batch durable are the callers answered, the state committed and a new snapshot published. One batch is in
/// flight at a time, so a batch is never decided against events that might still fail.
///
/// Why an actor rather than a class on a serial dispatch queue: everything the writer runs on its own executor is
/// pure CPU work (`decide`, `apply`, `encode`) and bookkeeping. Blocking file I/O runs elsewhere: appends and syncs
/// on the log's dispatch queues, opening and replaying on a dispatch queue of the engine's, never on Swift's
/// cooperative pool. The actor's serial execution is the single writer; callers suspend (instead of blocking a
/// thread) while their batch syncs, and the actor is free to collect the next batch meanwhile. Submitting does not
/// enter the actor: a command is queued in an inbox under a lock, and the writer task takes what has queued each
/// time it starts a batch (a command that finds the writer stopped starts it).
///
/// Reads never wait for the writer: `snapshot` is published through a mutex after every committed batch.
///
/// Deadlines that were already due when the engine opened are not fired by `open`: call `fireDueTimers()` right
/// after it (and `startScheduler()` to fire later ones as they come). Call `close()` when done; a started scheduler
/// keeps the engine alive until then.
///
/// `Machine` must have a sendable metatype (every concrete type has one) because opening replays on a dispatch queue.
public actor Engine<Machine: EventSourcedMachine & SendableMetatype> {
    /// The data directory (the log is in its `log/` subdirectory).
    public nonisolated let dataDirectory: String

    /// A batch stops taking further commands once its events reach this many bytes (one frame holds at most
    /// `FrameHeader.maxRawLength`; a single command may use at most half of that, so a batch always fits).
    static var batchTargetBytes: Int { 1 << 20 }

    let log: EventLog
    let clock: any EngineClock
    private var generator: any RandomNumberGenerator
    /// The committed state: every event the log has made durable, applied.
    var state: Machine.State
    var position: UInt64
    var lastTimestamp: Int64
    private let published: Mutex<Snapshot<Machine.State>>
    /// The position of `published`, readable without copying the snapshot out of its lock.
    private let publishedPosition: Atomic<UInt64>

    /// The projections registered at open (their types, to build fresh copies for rebuilds).
    let projectionTypes: [any Projection<Machine>.Type]
    /// The committed, ready projections.
    var projections: ProjectionSet<Machine>
    /// The hash chain's link after `position` (what a checkpoint records).
    var headLink: FrameHash
    /// Checkpoint settings.
    let checkpointPolicy: CheckpointPolicy
    /// Events committed since the last checkpoint.
    var eventsSinceCheckpoint = 0
    /// The position of the last checkpoint written or loaded.
    var checkpointPosition: UInt64
    /// The checkpoint being written, if any.
    var checkpointTask: Task<Void, Never>?
    /// For each projection key being rebuilt: the events committed since its rebuild started.
    var rebuildTails: [String: [(event: Machine.Event, timestamp: Int64)]] = [:]
    /// Rebuilds done while a batch was in flight, swapped in by its commit.
    var parked: [(rebuild: ParkedRebuild, continuation: CheckedContinuation<RebuildReport, Never>)] = []
    /// The running rebuild tasks by key.
    var rebuildTasks: [String: Task<Void, Never>] = [:]
    /// The projections' phases, readable without the actor.
    let statuses: Mutex<[ProjectionStatus]>
    /// Why the last checkpoint could not be written (a full disk, say), until one is written again.
    let checkpointProblem = Mutex<EngineError?>(nil)
    /// What `open` found.
    public nonisolated let openReport: OpenReport

    /// Commands submitted and not yet taken by the writer, and the writer's task: callers queue here under a lock
    /// without hopping onto the actor (a hop is two task switches a command).
    private nonisolated let inbox = Mutex(Inbox())
    /// Commands the writer took from the inbox that did not fit in its last batch, the next one last, and beside
    /// them their callers' continuations. Two arrays of concrete types, not one of a generic pair: the optimizer moves,
    /// copies and frees a generic struct through its type's value witnesses even in specialized code.
    private var backlog: (commands: [Machine.Command], continuations: [CommandContinuation]) = ([], [])
    /// Set by `close()`: no command is accepted any more.
    var closed = false
    private var closing: Task<Void, Never>?
    private var positionWaiters: [PositionWaiter] = []
    /// Resumed once the engine has closed (see `waitUntilClosed`).
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set once `close()` has finished.
    private var finishedClosing = false
    /// Called after every committed batch (see `observeCommits`).
    private nonisolated let commitObservers = Mutex<[CommitObserver]>([])

    /// Told of every committed batch: the snapshot it published and the batch's events, in order.
    public typealias CommitObserver = @Sendable (Snapshot<Machine.State>, [Machine.Event]) -> Void

    /// The scheduler task started by `startScheduler()`.
    var scheduler: Task<Void, Never>?
    /// The scheduler's wait, resumed by a committed batch, its timeout or `close()`.
    var schedulerWake: CheckedContinuation<Void, Never>?
    /// The task that ends the scheduler's current wait when its timeout passes.
    var schedulerSleeper: Task<Void, Never>?
    /// Identifies the scheduler's current wait, so a stale timeout never ends a later one.
    var schedulerWait: UInt64 = 0
    /// When the scheduler's current wait ends by itself (engine clock, µs): it looks at the next deadline then.
    var schedulerWakeAt: Int64 = .min
    /// How often a committed batch ended the scheduler's wait (for tests).
    var schedulerWakesByCommits = 0

    /// What a command came to: its answer and how many events it wrote.
    struct Outcome: Sendable {
        var result: Result<Machine.Reply, Machine.Failure>
        var events: Int
    }

    /// A caller waiting for its command's outcome. Unchecked: each is resumed exactly once, by the batch that answers
    /// it or by the refusal of a closed engine, and the checked kind allocates a canary per command and checks it on
    /// every resume.
    typealias CommandContinuation = UnsafeContinuation<Outcome, Never>

    private struct Inbox {
        var commands: [Machine.Command] = []
        /// The callers of `commands`, in the same order.
        var continuations: [CommandContinuation] = []
        /// The task deciding and committing batches, while there are commands to decide; nil when it has stopped.
        var writer: Task<Void, Never>?
        /// Set by `close()`: no command is queued any more.
        var closed = false
    }

    /// The task deciding and committing batches, if one is running (a batch may be in flight).
    var writer: Task<Void, Never>? { inbox.withLock { $0.writer } }

    private struct PositionWaiter {
        var position: UInt64
        var continuation: CheckedContinuation<Snapshot<Machine.State>, Never>
    }

    /// A decided batch: the answers, the records to append and the state they lead to.
    private struct Batch {
        var answers: [(continuation: CommandContinuation, outcome: Outcome)] = []
        var records: [LogRecord] = []
        /// The events, in order, as the commit observers receive them (no copy), and beside them their timestamps.
        var events: [Machine.Event] = []
        var timestamps: [Int64] = []
        var state: Machine.State
        var projections: ProjectionSet<Machine>
        var lastTimestamp: Int64
        var bytes = 0
    }

    /// Opens (creating if needed) the log in `<dataDirectory>/log` and brings the machine's state and the
    /// projections up to its head: from the newest usable checkpoint plus the log's tail, or by replaying it all.
    ///
    /// The log recovers its own torn tail. Every record is decoded and applied; records whose `decode` returns nil
    /// are skipped, and one that fails to decode stops the open with an `EngineError.Code.decode` naming its
    /// sequence. A damaged checkpoint, or one of another log, is passed over (see `openReport`). A projection the
    /// checkpoint lacks (a new version) is rebuilt from the log in the background and published when it is done.
    /// Opening and replaying run on a dispatch queue, not on the cooperative pool. Overdue deadlines are not fired
    /// here: call `fireDueTimers()` next.
    /// - Parameters:
    ///   - dataDirectory: The data directory; the log lives in its `log/` subdirectory.
    ///   - options: How the log is written (durability, segment size, …).
    ///   - clock: The one clock that stamps events.
    ///   - generator: The source of the identifiers `decide` draws through `DecisionContext`.
    ///   - projections: The projections to keep beside the state.
    ///   - checkpoints: When to write checkpoints and whether to load one.
    public static func open(
        dataDirectory: String,
        options: EventLogOptions = EventLogOptions(),
        clock: any EngineClock = SystemClock(),
        generator: any RandomNumberGenerator & Sendable = BufferedSystemRandom(),
        projections: [any Projection<Machine>.Type] = [],
        checkpoints: CheckpointPolicy = CheckpointPolicy()
    ) async throws(EngineError) -> Engine {
        let started = ContinuousClock.now
        let (log, opened) = try await runBlocking { () throws(EngineError) -> (EventLog, Opened) in
            let log: EventLog
            do throws(EventLogError) {
                log = try EventLog.open(dataDirectory: dataDirectory, options: options)
            } catch {
                throw EngineError(log: error)
            }
            do throws(EngineError) {
                let reader = log.reader()
                var opened = startingPoint(
                    dataDirectory: dataDirectory,
                    reader: reader,
                    projections: projections,
                    load: checkpoints.loadAtOpen,
                    until: nil
                )
                let from = opened.snapshot.position
                try fold(reader, into: &opened.snapshot, projections: &opened.projections, until: nil)
                opened.report.replayedRecords = reader.extent.headSequence - from
                opened.snapshot.position = reader.extent.headSequence
                opened.snapshot.timestamp = reader.extent.headTimestamp
                return (log, opened)
            } catch {
                log.closeSynchronously()
                throw error
            }
        }
        var report = opened.report
        report.seconds = Self.seconds(since: started)
        let engine = Engine(
            dataDirectory: dataDirectory,
            log: log,
            clock: clock,
            generator: generator,
            opened: opened,
            report: report,
            projectionTypes: projections,
            checkpoints: checkpoints
        )
        await engine.startRebuilds(of: report.rebuilding)
        return engine
    }

    private init(
        dataDirectory: String,
        log: EventLog,
        clock: any EngineClock,
        generator: any RandomNumberGenerator,
        opened: Opened,
        report: OpenReport,
        projectionTypes: [any Projection<Machine>.Type],
        checkpoints: CheckpointPolicy
    ) {
        self.dataDirectory = dataDirectory
        self.log = log
        self.clock = clock
        self.generator = generator
        self.state = opened.snapshot.state
        self.position = opened.snapshot.position
        self.lastTimestamp = opened.snapshot.timestamp
        self.projections = opened.projections
        self.projectionTypes = projectionTypes
        self.headLink = log.extent.headHash
        self.checkpointPolicy = checkpoints
        self.checkpointPosition = report.checkpointPosition
        self.openReport = report
        var published = opened.snapshot
        published.projections = PublishedProjections(opened.projections.members)
        self.published = Mutex(published)
        self.publishedPosition = Atomic(published.position)
        self.statuses = Mutex(
            projectionTypes.map { type in
                let rebuilding = report.rebuilding.contains(type.key)
                return ProjectionStatus(
                    key: type.key,
                    name: type.name,
                    version: type.version,
                    phase: rebuilding ? .rebuilding : .ready,
                    serving: !rebuilding,
                    source: rebuilding ? "rebuild" : report.loaded.contains(type.key) ? "checkpoint" : "replay"
                )
            }
        )
    }

    /// The latest committed state and the log position it reflects; never waits for the writer.
    public nonisolated var snapshot: Snapshot<Machine.State> {
        published.withLock { $0 }
    }

    /// The log position of the latest committed snapshot: `snapshot.position`, without copying the snapshot.
    public nonisolated var snapshotPosition: UInt64 { publishedPosition.load(ordering: .acquiring) }

    /// The log writer's counters since open (batches, frames, syncs, …).
    public nonisolated var logStatistics: WriterStatistics { log.statistics }
    /// Why the log's writer stopped accepting appends, or nil while it works; reopening the log recovers.
    public nonisolated var writerFailure: EventLogError? { log.writerFailure }
    /// Why the last checkpoint was not written, or nil if it was (or none was due). Harmless to the data: the log
    /// holds everything, and the next start replays more of it.
    public nonisolated var checkpointFailure: EngineError? { checkpointProblem.withLock { $0 } }

    /// The torn tail the log cut off when it opened, if any.
    public nonisolated var recovery: TornTailReport? { log.recovery }

    /// The log's committed extent: its segments, head sequence, timestamp and hash.
    public nonisolated var logExtent: LogExtent { log.extent }

    /// Decides `command`, makes its events durable and returns the reply, or the reason it was rejected.
    ///
    /// A rejected command writes nothing. If the log cannot make the batch durable, the failure is
    /// `Machine.storageFailure(_:)` and the state is unchanged; after `close()` it is a storage failure too.
    public nonisolated func submit(_ command: Machine.Command) async -> Result<Machine.Reply, Machine.Failure> {
        await process(command).result
    }

    /// Returns the first published snapshot at `position` or later (read-your-writes), or the latest one once the
    /// engine is closed.
    public func waitForSnapshot(atLeast position: UInt64) async -> Snapshot<Machine.State> {
        let current = snapshot
        if current.position >= position || closed { return current }
        return await withCheckedContinuation { continuation in
            positionWaiters.append(PositionWaiter(position: position, continuation: continuation))
        }
    }

    /// Returns once the engine has closed and its log is shut (at once if it already has).
    public func waitUntilClosed() async {
        if finishedClosing { return }
        await withCheckedContinuation { closeWaiters.append($0) }
    }

    /// Registers `observer`, called on the writer after every committed batch with the snapshot it published and the
    /// batch's events, before the batch's callers are answered. It must return quickly and must not wait for the
    /// engine: it is how readers learn what a commit changed without re-reading the whole state.
    public nonisolated func observeCommits(_ observer: @escaping CommitObserver) {
        commitObservers.withLock { $0.append(observer) }
    }

    /// Stops the scheduler, commits the commands already submitted, and closes the log.
    public func close() async {
        if let closing {
            await closing.value
            return
        }
        closed = true
        inbox.withLock { $0.closed = true }
        let task = Task { await self.finishClosing() }
        closing = task
        await task.value
    }

    private func finishClosing() async {
        if let scheduler {
            scheduler.cancel()
            wakeScheduler()
            await scheduler.value
            self.scheduler = nil
        }
        if let writer { await writer.value }
        installParked()
        if let checkpointTask { await checkpointTask.value }
        if checkpointPolicy.onClose, position > checkpointPosition {
            _ = try? await writeCheckpoint()  // a failure is recorded in `checkpointFailure`
        }
        await log.close()
        let waiters = positionWaiters
        positionWaiters.removeAll()
        let current = snapshot
        for waiter in waiters { waiter.continuation.resume(returning: current) }
        finishedClosing = true
        let closeWaiters = self.closeWaiters
        self.closeWaiters.removeAll()
        for waiter in closeWaiters { waiter.resume() }
    }

    /// Queues `command` for the next batch and returns once it is answered; starts the writer if it has stopped.
    @_specialize(where Machine == ChatMachine)
    nonisolated func process(_ command: Machine.Command) async -> Outcome {
        await withUnsafeContinuation { continuation in
            let refused = inbox.withLock { inbox in
                if inbox.closed { return true }
                inbox.commands.append(command)
                inbox.continuations.append(continuation)
                if inbox.writer == nil { inbox.writer = Task { await self.drain() } }
                return false
            }
            if refused {
                let error = EngineError(.closed, "the engine is closed")
                continuation.resume(
                    returning: Outcome(result: .failure(Machine.storageFailure(error.description)), events: 0)
                )
            }
        }
    }

    /// The writer loop: decides and commits batches until no command is waiting, then marks itself stopped (under
    /// the inbox's lock, so that a command queued after that starts a new writer).
    private func drain() async {
        while true {
            if backlog.commands.isEmpty {
                inbox.withLock { inbox in
                    if inbox.commands.isEmpty { inbox.writer = nil }
                    swap(&backlog.commands, &inbox.commands)
                    swap(&backlog.continuations, &inbox.continuations)
                }
                if backlog.commands.isEmpty { return }
                backlog.commands.reverse()
                backlog.continuations.reverse()
            }
            let batch = decideNextBatch()
            await commit(batch)
        }
    }

    /// Decides pending commands in order against the working state until the batch is full or none are left.
    @_specialize(where Machine == ChatMachine)
    private func decideNextBatch() -> Batch {
        var batch = Batch(state: state, projections: ProjectionSet(), lastTimestamp: lastTimestamp)
        // Room for the commands waiting and two events each, most of a batch: growing the arrays copies them.
        let expected = min(backlog.commands.count, 4_096)
        batch.answers.reserveCapacity(expected)
        batch.records.reserveCapacity(2 * expected)
        batch.events.reserveCapacity(2 * expected)
        batch.timestamps.reserveCapacity(2 * expected)
        // The batch's working projections, folded as the machine applies each event, with the state right after it:
        // held outside the batch so that the observer can change them while the machine changes `batch.state`.
        var working = projections
        let maxRecordBytes = log.options.maxRecordBytes
        // The next command is the backlog's last: each is moved out of it, not copied (with its release, a copy of a
        // command costs more than a lookup in the state).
        while !backlog.commands.isEmpty && batch.bytes < Self.batchTargetBytes {
            let command = backlog.commands.removeLast()
            let continuation = backlog.continuations.removeLast()
            let now = max(clock.now(), batch.lastTimestamp + 1)
            var context = DecisionContext(now: now, generator: generator)
            // Decided on the batch's working state itself: on success it is the state after the command's events.
            let result = Machine.decideInPlace(&batch.state, command, context: &context) {
                event,
                timestamp,
                state in
                working.apply(event, at: timestamp, state: state)
            }
            generator = context.randomSource
            let decision: Decision<Machine.Event, Machine.Reply>
            switch result {
            case .rejected(let failure):
                batch.answers.append((continuation, Outcome(result: .failure(failure), events: 0)))
                continue
            case .rejectedAfterChange(let failure):
                (batch.state, working) = rebuiltWorkingState(of: batch)
                batch.answers.append((continuation, Outcome(result: .failure(failure), events: 0)))
                continue
            case .decided(let decided):
                decision = decided
            }
            var records: [LogRecord] = []
            records.reserveCapacity(decision.events.count)
            var bytes = 0
            var largest = 0
            // By index: iterating the array would copy each event.
            for index in decision.events.indices {
                let (tag, payload) = Machine.encode(decision.events[index])
                records.append(LogRecord(timestamp: now + Int64(index), type: tag, payload: payload))
                bytes += FrameHeader.recordHeaderSize + payload.count
                largest = max(largest, payload.count)
            }
            if largest > maxRecordBytes || bytes > FrameHeader.maxRawLength / 2 {
                let error = EngineError(
                    .eventTooLarge,
                    "the command's events (\(bytes) bytes, largest \(largest)) exceed the record limit of "
                        + "\(maxRecordBytes) bytes or the command limit of \(FrameHeader.maxRawLength / 2) bytes"
                )
                (batch.state, working) = rebuiltWorkingState(of: batch)
                let outcome = Outcome(result: .failure(Machine.storageFailure(error.description)), events: 0)
                batch.answers.append((continuation, outcome))
                continue
            }
            batch.events.append(contentsOf: decision.events)
            for record in records { batch.timestamps.append(record.timestamp) }
            if let last = records.last { batch.lastTimestamp = last.timestamp }
            batch.records.append(contentsOf: records)
            batch.bytes += bytes
            let outcome = Outcome(result: .success(decision.reply), events: records.count)
            batch.answers.append((continuation, outcome))
        }
        batch.projections = working
        return batch
    }

    /// The working state and projections of `batch` rebuilt from the committed ones and the events the batch holds:
    /// after a command that changed them in place was rejected (rare: `InPlaceDecision.rejectedAfterChange`, or
    /// events too large).
    private func rebuiltWorkingState(of batch: Batch) -> (Machine.State, ProjectionSet<Machine>) {
        var rebuilt = state
        var rebuiltProjections = projections
        for index in batch.events.indices {
            Self.step(
                batch.events[index],
                at: batch.timestamps[index],
                state: &rebuilt,
                projections: &rebuiltProjections
            )
        }
        return (rebuilt, rebuiltProjections)
    }

    /// Appends the batch as one frame; once durable commits its state, publishes it and answers the callers.
    @_specialize(where Machine == ChatMachine)
    private func commit(_ batch: Batch) async {
        guard !batch.records.isEmpty else {
            for answer in batch.answers { answer.continuation.resume(returning: answer.outcome) }
            return
        }
        let receipt: AppendReceipt
        do {
            receipt = try await log.append(batch.records, stamp: .asGiven)
        } catch {
            let failure = Machine.storageFailure(EngineError(log: error).description)
            for answer in batch.answers {
                answer.continuation.resume(returning: Outcome(result: .failure(failure), events: 0))
            }
            return
        }
        state = batch.state
        projections = batch.projections
        position = receipt.lastSequence
        lastTimestamp = batch.lastTimestamp
        headLink = log.extent.headHash
        if !rebuildTails.isEmpty {
            let stamped = zip(batch.events, batch.timestamps).map { (event: $0, timestamp: $1) }
            for key in rebuildTails.keys { rebuildTails[key]?.append(contentsOf: stamped) }
        }
        if !parked.isEmpty { installParked() }
        let snapshot = publish()
        let observers = commitObservers.withLock { $0 }
        for observer in observers { observer(snapshot, batch.events) }
        // Published before anyone is answered: a caller that reads `snapshot` after its reply sees its own write.
        for answer in batch.answers { answer.continuation.resume(returning: answer.outcome) }
        if !positionWaiters.isEmpty {
            var waiting: [PositionWaiter] = []
            for waiter in positionWaiters {
                if waiter.position <= position {
                    waiter.continuation.resume(returning: snapshot)
                } else {
                    waiting.append(waiter)
                }
            }
            positionWaiters = waiting
        }
        wakeSchedulerForEarlierDeadline()
        eventsSinceCheckpoint += batch.records.count
        if checkpointPolicy.everyEvents > 0, eventsSinceCheckpoint >= checkpointPolicy.everyEvents {
            startCheckpoint()
        }
    }

    /// Publishes the committed state and ready projections; returns the snapshot.
    @discardableResult
    @_specialize(where Machine == ChatMachine)
    func publish() -> Snapshot<Machine.State> {
        let snapshot = Snapshot(
            state: state,
            position: position,
            timestamp: lastTimestamp,
            projections: PublishedProjections(projections.members)
        )
        published.withLock { $0 = snapshot }
        publishedPosition.store(position, ordering: .releasing)
        return snapshot
    }

    /// Seconds elapsed since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Runs blocking work (file I/O) on a dispatch queue instead of Swift's cooperative pool.
func runBlocking<T: Sendable>(
    _ work: @escaping @Sendable () throws(EngineError) -> T
) async throws(EngineError) -> T {
    let result: Result<T, EngineError> = await withCheckedContinuation { continuation in
        DispatchQueue(label: "parley.engine.blocking", qos: .userInitiated).async {
            continuation.resume(returning: Result { () throws(EngineError) -> T in try work() })
        }
    }
    return try result.get()
}

import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

// The ledger's state as a checkpoint section, and two versions of a projection over it, so the engine's checkpoint
// and rebuild paths are tested on a small machine of its own.

extension Ledger.Account: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        id.snapshotEncode(to: &writer)
        balance.snapshotEncode(to: &writer)
        held.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(id: try Identifier(snapshotFrom: &reader))
        balance = try Int64(snapshotFrom: &reader)
        held = try Int64(snapshotFrom: &reader)
    }
}

extension Ledger.Hold: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        account.snapshotEncode(to: &writer)
        amount.snapshotEncode(to: &writer)
        until.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        account = try String(snapshotFrom: &reader)
        amount = try Int64(snapshotFrom: &reader)
        until = try Int64(snapshotFrom: &reader)
    }
}

extension Ledger.Release: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        deadline.snapshotEncode(to: &writer)
        at.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        deadline = try Int64(snapshotFrom: &reader)
        at = try Int64(snapshotFrom: &reader)
    }
}

extension Ledger.State: SnapshotCodable {
    func snapshotEncode(to writer: inout BinaryWriter) {
        accounts.snapshotEncode(to: &writer)
        holds.snapshotEncode(to: &writer)
        released.snapshotEncode(to: &writer)
        memos.snapshotEncode(to: &writer)
        events.snapshotEncode(to: &writer)
        lastTimestamp.snapshotEncode(to: &writer)
        nonIncreasingTimestamps.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        accounts = try [String: Ledger.Account](snapshotFrom: &reader)
        holds = try [Identifier: Ledger.Hold](snapshotFrom: &reader)
        released = try [Identifier: Ledger.Release](snapshotFrom: &reader)
        memos = try [String](snapshotFrom: &reader)
        events = try Int(snapshotFrom: &reader)
        lastTimestamp = try Int64(snapshotFrom: &reader)
        nonIncreasingTimestamps = try Int(snapshotFrom: &reader)
    }
}

extension Ledger {
    static var stateSnapshot: StateSnapshotCodec<State>? { .canonical(name: "ledger", version: 1) }
}

/// Money deposited per account (v1).
struct DepositTotals: Projection, Equatable {
    typealias Machine = Ledger
    static let name = "movements"
    static let version = 1
    var deposited: [String: Int64] = [:]

    init() {}

    mutating func apply(_ event: Ledger.Event, at timestamp: Int64, state: Ledger.State) {
        if case .deposited(let account, let amount) = event { deposited[account, default: 0] += amount }
    }

    func snapshotEncode(to writer: inout BinaryWriter) { deposited.snapshotEncode(to: &writer) }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        deposited = try [String: Int64](snapshotFrom: &reader)
    }
}

/// v2 of the same projection: deposits and withdrawals, and the balance it reads from the machine state.
struct MovementTotals: Projection, Equatable {
    typealias Machine = Ledger
    static let name = "movements"
    static let version = 2
    var deposited: [String: Int64] = [:]
    var withdrawn: [String: Int64] = [:]
    var lastBalance: [String: Int64] = [:]

    init() {}

    mutating func apply(_ event: Ledger.Event, at timestamp: Int64, state: Ledger.State) {
        switch event {
        case .deposited(let account, let amount):
            deposited[account, default: 0] += amount
            lastBalance[account] = state.accounts[account]?.balance
        case .withdrew(let account, let amount):
            withdrawn[account, default: 0] += amount
            lastBalance[account] = state.accounts[account]?.balance
        default: break
        }
    }

    func snapshotEncode(to writer: inout BinaryWriter) {
        deposited.snapshotEncode(to: &writer)
        withdrawn.snapshotEncode(to: &writer)
        lastBalance.snapshotEncode(to: &writer)
    }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        deposited = try [String: Int64](snapshotFrom: &reader)
        withdrawn = try [String: Int64](snapshotFrom: &reader)
        lastBalance = try [String: Int64](snapshotFrom: &reader)
    }
}

@Suite struct CheckpointTests {
    static let names = ["a", "b", "c"]

    func open(
        _ directory: TemporaryDirectory,
        _ projections: [any Projection<Ledger>.Type] = [DepositTotals.self],
        policy: CheckpointPolicy = CheckpointPolicy(),
        seed: UInt64 = 5
    ) async throws(EngineError) -> Engine<Ledger> {
        try await Engine<Ledger>.open(
            dataDirectory: directory.path,
            options: testOptions(),
            clock: ManualClock(startOfTest),
            generator: SplitMix64(seed: seed),
            projections: projections,
            checkpoints: policy
        )
    }

    /// Opens the accounts, then `count` deposits, withdrawals and transfers.
    func work(_ engine: Engine<Ledger>, _ count: Int, seed: UInt64 = 7) async {
        for name in Self.names { _ = await engine.submit(.open(name)) }
        var random = SplitMix64(seed: seed)
        for _ in 0..<count {
            let name = Self.names[Int(random.next() % 3)]
            let amount = Int64(random.next() % 40) + 1
            switch random.next() % 3 {
            case 0: _ = await engine.submit(.deposit(name, amount * 2))
            case 1: _ = await engine.submit(.withdraw(name, amount))
            default: _ = await engine.submit(.transfer(from: name, to: Self.names[Int(random.next() % 3)], amount))
            }
        }
    }

    /// The state and projections replayed from the whole log, without checkpoints.
    func fullReplay(
        _ directory: TemporaryDirectory,
        _ projections: [any Projection<Ledger>.Type]
    ) throws -> Snapshot<Ledger.State> {
        try Engine<Ledger>.replay(dataDirectory: directory.path, projections: projections, useCheckpoints: false)
            .snapshot
    }

    func checkpointFiles(_ directory: TemporaryDirectory) throws -> [String] {
        try DurableFile.list(Checkpoint.directory(in: directory.path))
    }

    @Test func closeWritesACheckpointAndOpenLoadsItWithoutReplaying() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory)
        await work(engine, 120)
        let live = engine.snapshot
        #expect(engine.openReport.checkpoint == nil)
        await engine.close()
        #expect(try checkpointFiles(directory).count == 1)

        let reopened = try await open(directory)
        #expect(reopened.openReport.checkpoint != nil)
        #expect(reopened.openReport.checkpointPosition == live.position)
        #expect(reopened.openReport.replayedRecords == 0)
        #expect(reopened.openReport.loaded == [DepositTotals.key])
        #expect(reopened.snapshot.state == live.state)
        #expect(reopened.snapshot.projections[DepositTotals.self] == live.projections[DepositTotals.self])
        #expect(reopened.projectionStatus.map(\.source) == ["checkpoint"])
        await reopened.close()

        let replayed = try fullReplay(directory, [DepositTotals.self])
        #expect(replayed.state == live.state)
        #expect(replayed.projections[DepositTotals.self] == live.projections[DepositTotals.self])
        #expect(live.projections[DepositTotals.self]?.deposited.isEmpty == false)
    }

    @Test func openReplaysOnlyTheTailAfterTheCheckpoint() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory, policy: CheckpointPolicy(everyEvents: 0, onClose: false))
        await work(engine, 50)
        let path = try #require(try await engine.writeCheckpoint())
        let atCheckpoint = engine.snapshot.position
        await work(engine, 30, seed: 8)
        let live = engine.snapshot
        await engine.close()
        #expect(try checkpointFiles(directory) == [String(path.split(separator: "/").last!)])

        let reopened = try await open(directory)
        #expect(reopened.openReport.checkpointPosition == atCheckpoint)
        #expect(reopened.openReport.replayedRecords == live.position - atCheckpoint)
        #expect(reopened.openReport.replayedRecords > 0)
        #expect(reopened.snapshot.state == live.state)
        #expect(reopened.snapshot.projections[DepositTotals.self] == live.projections[DepositTotals.self])
        await reopened.close()
    }

    @Test func aDamagedCheckpointIsPassedOverAndTheLogReplayed() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory)
        await work(engine, 40)
        let live = engine.snapshot
        await engine.close()
        let file = Checkpoint.directory(in: directory.path) + "/" + (try checkpointFiles(directory)[0])
        var bytes = try DurableFile.read(file)
        bytes[bytes.count / 2] ^= 0x40
        try DurableFile.write(bytes, to: file)
        #expect(throws: EngineError.self) { try Checkpoint.load(path: file) }

        let reopened = try await open(directory, policy: CheckpointPolicy(onClose: false))
        #expect(reopened.openReport.checkpoint == nil)
        #expect(reopened.openReport.rejected.count == 1)
        #expect(reopened.openReport.rejected[0].contains("CRC-32C"))
        #expect(reopened.openReport.replayedRecords == live.position)
        #expect(reopened.snapshot.state == live.state)
        await reopened.close()
    }

    @Test func aCheckpointCutShortOrOfAnOlderFormatIsPassedOverWithItsReason() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory)
        await work(engine, 40)
        let live = engine.snapshot
        await engine.close()
        let file = Checkpoint.directory(in: directory.path) + "/" + (try checkpointFiles(directory)[0])
        let bytes = try DurableFile.read(file)
        try DurableFile.write(Array(bytes.dropLast(3)), to: file)
        let cut = try await open(directory, policy: CheckpointPolicy(onClose: false))
        #expect(cut.openReport.checkpoint == nil)
        #expect(cut.openReport.rejected.first?.contains("cut short") == true)
        #expect(cut.snapshot.state == live.state)
        await cut.close()

        var older = bytes
        older[8] = 1
        try DurableFile.write(older, to: file)
        let old = try await open(directory, policy: CheckpointPolicy(onClose: false))
        #expect(old.openReport.checkpoint == nil)
        #expect(old.openReport.rejected.first?.contains("checkpoint format 1") == true)
        #expect(old.snapshot.state == live.state)
        await old.close()
    }

    @Test func aCheckpointOfAnotherLogIsNeverApplied() async throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        let one = try await open(first)
        await work(one, 40, seed: 1)
        await one.close()
        let two = try await open(second, policy: CheckpointPolicy(onClose: false), seed: 6)
        await work(two, 40, seed: 1)
        let live = two.snapshot
        await two.close()
        #expect(try checkpointFiles(second).isEmpty)
        // The same number of records, a different history: the hash chain tells them apart.
        let name = try checkpointFiles(first)[0]
        let bytes = try DurableFile.read(Checkpoint.directory(in: first.path) + "/" + name)
        #expect(try Checkpoint.load(path: Checkpoint.directory(in: first.path) + "/" + name).position == live.position)
        try DurableFile.write(bytes, to: Checkpoint.directory(in: second.path) + "/" + name)

        let reopened = try await open(second, policy: CheckpointPolicy(onClose: false))
        #expect(reopened.openReport.checkpoint == nil)
        #expect(reopened.openReport.rejected.first?.contains("different log") == true)
        #expect(reopened.snapshot.state == live.state)
        await reopened.close()
    }

    @Test func checkpointsAreTakenEveryNEventsAndOnlyTheNewestKept() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory, policy: CheckpointPolicy(everyEvents: 20, onClose: false))
        await work(engine, 90)
        _ = try await engine.writeCheckpoint()
        let live = engine.snapshot
        await engine.close()
        let files = try checkpointFiles(directory)
        #expect(files.count == 2)
        let newest = try Checkpoint.load(path: Checkpoint.directory(in: directory.path) + "/" + files[1])
        #expect(newest.position == live.position)
        #expect(newest.sections.map(\.key) == ["ledger@1", DepositTotals.key])
    }

    @Test func aNewVersionIsRebuiltBesideTheOldWhileCommandsKeepComing() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory)
        await work(engine, 200)
        await engine.close()

        // v2 is new: the checkpoint has only v1, so v1 is served at once and v2 rebuilds in the background.
        let reopened = try await open(directory, [DepositTotals.self, MovementTotals.self])
        #expect(reopened.openReport.loaded == [DepositTotals.key])
        #expect(reopened.openReport.rebuilding == [MovementTotals.key])
        #expect(reopened.snapshot.projections[DepositTotals.self] != nil)
        await work(reopened, 60, seed: 9)
        await reopened.waitForRebuilds()
        let live = reopened.snapshot
        let status = reopened.projectionStatus
        let v2 = try #require(live.projections[MovementTotals.self], "\(status)")
        #expect(status.map(\.phase) == [.ready, .ready])
        #expect(status[1].source == "rebuild" && status[1].lastRebuild != nil)
        await reopened.close()

        let replayed = try fullReplay(directory, [DepositTotals.self, MovementTotals.self])
        #expect(replayed.projections[MovementTotals.self] == v2)
        #expect(replayed.projections[DepositTotals.self] == live.projections[DepositTotals.self])
        // Where the versions overlap they agree.
        #expect(v2.deposited == live.projections[DepositTotals.self]?.deposited)
        #expect(!v2.withdrawn.isEmpty)
    }

    @Test func rebuildingALiveProjectionSwapsInAnEqualCopy() async throws {
        let directory = TemporaryDirectory()
        let engine = try await open(directory, [DepositTotals.self, MovementTotals.self])
        await work(engine, 80)
        async let rebuilt = engine.rebuild("movements")
        await work(engine, 40, seed: 11)
        let reports = try await rebuilt
        #expect(reports.map(\.key) == [DepositTotals.key, MovementTotals.key])
        #expect(reports.allSatisfy { $0.matchesReplaced == true })
        #expect(reports.allSatisfy { $0.events > 0 })
        let live = engine.snapshot
        await engine.close()
        let replayed = try fullReplay(directory, [MovementTotals.self])
        #expect(replayed.projections[MovementTotals.self] == live.projections[MovementTotals.self])

        let unknown = await #expect(throws: EngineError.self) { try await engine.rebuild("nothing") }
        #expect(unknown?.code == .unknownProjection)
    }

    @Test func replayUntilUsesAnEarlierCheckpointOnly() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await Engine<Ledger>.open(
            dataDirectory: directory.path,
            options: testOptions(),
            clock: clock,
            projections: [DepositTotals.self],
            checkpoints: CheckpointPolicy(everyEvents: 0, onClose: true)
        )
        await work(engine, 30)
        let middle = engine.snapshot
        _ = try await engine.writeCheckpoint()
        clock.advance(byMicroseconds: hour)
        await work(engine, 30, seed: 3)
        await engine.close()

        let (early, earlyReport) = try Engine<Ledger>.replay(
            dataDirectory: directory.path,
            until: middle.timestamp,
            projections: [DepositTotals.self]
        )
        #expect(earlyReport.checkpointPosition == middle.position)
        #expect(early.state == middle.state)
        #expect(early.projections[DepositTotals.self] == middle.projections[DepositTotals.self])
        let (before, beforeReport) = try Engine<Ledger>.replay(
            dataDirectory: directory.path,
            until: middle.timestamp - 1,
            projections: [DepositTotals.self]
        )
        #expect(beforeReport.checkpoint == nil)
        #expect(before.position < middle.position)
    }
}

@Suite struct OfflineRebuildTests {
    @Test func rebuildWritesACheckpointTheNextOpenLoads() async throws {
        let directory = TemporaryDirectory()
        let checkpoints = CheckpointTests()
        let engine = try await checkpoints.open(directory, [DepositTotals.self])
        await checkpoints.work(engine, 100)
        await engine.close()

        let report = try Engine<Ledger>.rebuildOffline(
            dataDirectory: directory.path,
            projections: [DepositTotals.self, MovementTotals.self],
            name: "movements@2"
        )
        #expect(report.rebuilt.map(\.key) == [MovementTotals.key])
        #expect(report.rebuilt[0].events > 100 && report.rebuilt[0].eventsPerSecond > 0)
        #expect(report.others == "checkpoint")
        let path = try #require(report.checkpoint)

        let reopened = try await checkpoints.open(directory, [DepositTotals.self, MovementTotals.self])
        #expect(reopened.openReport.checkpoint == path)
        #expect(reopened.openReport.loaded == [DepositTotals.key, MovementTotals.key])
        #expect(reopened.openReport.rebuilding.isEmpty)
        #expect(reopened.snapshot.projections[MovementTotals.self]?.stateHash() == report.rebuilt[0].stateHash)
        await reopened.close()

        let unknown = #expect(throws: EngineError.self) {
            try Engine<Ledger>.rebuildOffline(dataDirectory: directory.path, projections: [], name: "movements")
        }
        #expect(unknown?.code == .unknownProjection)
    }
}

/// Notes per text (`.noted` events): the writer's observer tells it of a note that a refusal then voids.
struct NoteTally: Projection, Equatable {
    typealias Machine = Ledger
    static let name = "notes"
    static let version = 1
    var notes: [String: Int64] = [:]

    init() {}

    mutating func apply(_ event: Ledger.Event, at timestamp: Int64, state: Ledger.State) {
        if case .noted(let text) = event { notes[text, default: 0] += 1 }
    }

    func snapshotEncode(to writer: inout BinaryWriter) { notes.snapshotEncode(to: &writer) }

    init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        notes = try [String: Int64](snapshotFrom: &reader)
    }
}

/// The writer folds projections as the machine applies each event of a command, not from copies of the state.
@Suite struct LiveProjectionTests {
    @Test func batchedCommandsFoldProjectionsAsAReplayDoes() async throws {
        let directory = TemporaryDirectory()
        let engine = try await CheckpointTests().open(directory, [MovementTotals.self, NoteTally.self])
        for name in CheckpointTests.names { _ = await engine.submit(.open(name)) }
        // Concurrent submissions form batches; transfers write two events (the projection reads the balance after
        // each), and every fifth command notes a memo and is then refused.
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let name = CheckpointTests.names[index % 3]
                    switch index % 5 {
                    case 0: _ = await engine.submit(.deposit(name, Int64(index % 7) + 5))
                    case 1:
                        _ = await engine.submit(.transfer(from: name, to: CheckpointTests.names[(index + 1) % 3], 2))
                    case 2: _ = await engine.submit(.memoThenRefuse("void \(index)"))
                    case 3: _ = await engine.submit(.memo("kept \(index % 4)"))
                    default: _ = await engine.submit(.withdraw(name, 1))
                    }
                }
            }
        }
        let live = engine.snapshot
        await engine.close()
        let replayed = try CheckpointTests().fullReplay(directory, [MovementTotals.self, NoteTally.self])
        #expect(replayed.state == live.state)
        let liveMovements = try #require(live.projections[MovementTotals.self])
        #expect(liveMovements == replayed.projections[MovementTotals.self])
        #expect(!liveMovements.withdrawn.isEmpty)
        let liveNotes = try #require(live.projections[NoteTally.self])
        #expect(liveNotes == replayed.projections[NoteTally.self])
        #expect(liveNotes.notes.keys.allSatisfy { $0.hasPrefix("kept") })
        #expect(liveNotes.notes.values.reduce(0, +) == 40)
    }
}

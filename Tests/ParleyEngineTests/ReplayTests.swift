import EventLog
import Foundation
import ParleyDomain
import Synchronization
import Testing

@testable import ParleyEngine

@Suite struct ReplayTests {
    @Test func replayReproducesTheLiveState() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock, seed: 3)
        var random = SplitMix64(seed: 99)
        let names = ["a", "b", "c", "d"]
        for name in names { _ = await engine.submit(.open(name)) }
        for step in 0..<400 {
            let name = names[Int(random.next() % 4)]
            let other = names[Int(random.next() % 4)]
            let amount = Int64(random.next() % 50) + 1
            let command: Ledger.Command =
                switch random.next() % 5 {
                case 0: .deposit(name, amount)
                case 1: .withdraw(name, amount)
                case 2: .transfer(from: name, to: other, amount)
                case 3: .hold(name, amount, forMicroseconds: Int64(random.next() % 10) * minute)
                default: .deposit(name, amount * 3)
                }
            _ = await engine.submit(command)
            if step % 7 == 0 {
                clock.advance(byMicroseconds: Int64(random.next() % 3) * minute)
                await engine.fireDueTimers()
            }
        }
        let live = engine.snapshot
        await engine.close()
        #expect(live.position == engine.logStatistics.records.asUInt64)
        #expect(!live.state.released.isEmpty && !live.state.holds.isEmpty)

        let reopened = try await openLedger(directory, clock: clock, seed: 1234)
        #expect(reopened.snapshot == live)
        #expect(reopened.snapshot.state.hashValue == live.state.hashValue)
        await reopened.close()
        #expect(try Engine<Ledger>.replay(dataDirectory: directory.path) == live)
    }

    @Test func replayUntilStopsAtTheInstant() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()  // t
        clock.set(startOfTest + 10)
        _ = try await engine.submit(.open("b")).get()  // t + 10
        clock.set(startOfTest + 1_000)
        _ = try await engine.submit(.deposit("a", 50)).get()  // t + 1000
        clock.set(startOfTest + 2_000)
        _ = try await engine.submit(.transfer(from: "a", to: "b", 20)).get()  // t + 2000, t + 2001
        await engine.close()

        func balances(until: Int64?) throws -> (UInt64, Int64?, Int64?) {
            let snapshot = try Engine<Ledger>.replay(dataDirectory: directory.path, until: until)
            return (snapshot.position, snapshot.state.accounts["a"]?.balance, snapshot.state.accounts["b"]?.balance)
        }
        #expect(try balances(until: startOfTest - 1) == (0, nil, nil))
        #expect(try balances(until: startOfTest) == (1, 0, nil))
        #expect(try balances(until: startOfTest + 999) == (2, 0, 0))
        #expect(try balances(until: startOfTest + 1_000) == (3, 50, 0))
        // An instant can fall between the events of one command: they carry consecutive microseconds.
        #expect(try balances(until: startOfTest + 2_000) == (4, 30, 0))
        #expect(try balances(until: startOfTest + 2_001) == (5, 30, 20))
        #expect(try balances(until: nil) == (5, 30, 20))
        let early = try Engine<Ledger>.replay(dataDirectory: directory.path, until: startOfTest + 999)
        #expect(early.timestamp == startOfTest + 10)
    }

    @Test func decodeErrorsNameTheSequenceAndForeignRecordsAreSkipped() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path, options: testOptions())
        let opened = Ledger.encode(.opened(id: Identifier(high: 1, low: 2), account: "a"))
        let deposit = Ledger.encode(.deposited(account: "a", amount: 7))
        _ = try await log.append([LogRecord(timestamp: startOfTest, type: opened.tag, payload: opened.payload)])
        _ = try await log.append([LogRecord(timestamp: startOfTest + 1, type: 999, payload: [1, 2, 3])])
        _ = try await log.append([LogRecord(timestamp: startOfTest + 2, type: deposit.tag, payload: deposit.payload)])
        // Sequence 4 claims to be a deposit but its amount is cut off.
        _ = try await log.append([LogRecord(timestamp: startOfTest + 3, type: deposit.tag, payload: [1, 1, 97])])
        await log.close()

        do {
            _ = try await openLedger(directory)
            Issue.record("opening a log with an undecodable record succeeded")
        } catch {
            #expect(error.code == .decode)
            #expect(error.sequence == 4)
            #expect(error.decodeError?.code == .truncated)
            #expect(error.description.hasSuffix("(sequence 4)"))
        }
        #expect(throws: EngineError.self) { try Engine<Ledger>.replay(dataDirectory: directory.path) }
        do {
            _ = try Engine<Ledger>.replay(dataDirectory: directory.path)
        } catch {
            #expect(error.code == .decode && error.sequence == 4)
        }

        // Up to the bad record, replay works; the foreign record (type 999) is skipped but counted in the position.
        let before = try Engine<Ledger>.replay(dataDirectory: directory.path, until: startOfTest + 2)
        #expect(before.position == 3)
        #expect(before.state.accounts["a"]?.balance == 7)
        #expect(before.state.events == 2)

        // The failed open released the log: a writer can open it again.
        let again = try EventLog.open(dataDirectory: directory.path, options: testOptions())
        await again.close()
    }

    @Test func decodingOnASecondThreadReplaysEveryBatchLikeOneThread() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        _ = await engine.submit(.open("a"))
        _ = await engine.submit(.open("b"))
        // Over four batches of decoded records, so that batches are retired and reused while the replay runs.
        for round in 0..<20 {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<250 {
                    let command: Ledger.Command =
                        index % 5 == 0 ? .transfer(from: "a", to: "b", 1) : .deposit(index % 2 == 0 ? "a" : "b", 3)
                    group.addTask { _ = await engine.submit(command) }
                }
            }
            _ = await engine.submit(.memo("round \(round)"))
        }
        let live = engine.snapshot
        await engine.close()
        #expect(live.position > 4 * UInt64(DecodedBatches<Ledger.Event>.batchSize))

        let one = try Engine<Ledger>.replay(dataDirectory: directory.path, threads: .one)
        let two = try Engine<Ledger>.replay(dataDirectory: directory.path, threads: .two)
        #expect(one == live)
        #expect(two == live)
    }

    @Test func aRetiredBatchIsReleasedWhereTheNextOneIsFilled() {
        let released = ReleaseCounter()
        let batches = DecodedBatches<Tracked>(capacity: 2)
        var filling = batches.emptyBatch()
        #expect(filling.records.capacity >= DecodedBatches<Tracked>.batchSize)
        for sequence in 1...3 {
            filling.records.append(.init(event: Tracked(released), sequence: UInt64(sequence), timestamp: 0))
        }
        batches.put(consume filling)

        let applied = batches.take()
        #expect(applied.records.map(\.sequence) == [1, 2, 3])
        batches.retire(consume applied)
        // Handed back, not released: the applying side drops nothing.
        #expect(released.count == 0)

        // The side that fills batches releases the retired one's events and reuses its storage.
        let next = batches.emptyBatch()
        #expect(released.count == 3)
        #expect(next.records.isEmpty)
        #expect(next.records.capacity >= DecodedBatches<Tracked>.batchSize)
        #expect(!next.finished && next.failure == nil)
    }

    @Test func replayOfAMissingLogIsALogError() throws {
        let directory = TemporaryDirectory()
        do {
            _ = try Engine<Ledger>.replay(dataDirectory: directory.path + "/nothing-here")
            Issue.record("replay of a missing log succeeded")
        } catch {
            #expect(error.code == .log)
            #expect(error.logError?.code == .notFound)
        }
    }
}

extension Int {
    fileprivate var asUInt64: UInt64 { UInt64(self) }
}

/// Counts the `Tracked` values released.
private final class ReleaseCounter: Sendable {
    private let released = Mutex(0)

    /// How many were released.
    var count: Int { released.withLock { $0 } }

    /// Notes one release.
    func note() { released.withLock { $0 += 1 } }
}

/// A decoded "event" that notes its release.
private final class Tracked: Sendable {
    let counter: ReleaseCounter

    init(_ counter: ReleaseCounter) { self.counter = counter }

    deinit { counter.note() }
}

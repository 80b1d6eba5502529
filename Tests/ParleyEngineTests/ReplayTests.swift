import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

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

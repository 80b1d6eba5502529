import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

@Suite struct EngineTests {
    @Test func concurrentSubmitsAreGroupCommittedAndCommandsStayWhole() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory, options: testOptions(durability: .always))
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.open("b")).get()
        _ = try await engine.submit(.deposit("a", 1_000_000)).get()
        let setupFrames = 3

        // Even commands deposit 2 into b (one event); odd ones move 1 from a to b (two events).
        let commands = 200
        let results = await withTaskGroup(of: Result<Ledger.Reply, Ledger.Failure>.self) { group in
            for index in 0..<commands {
                group.addTask {
                    await engine.submit(index % 2 == 0 ? .deposit("b", 2) : .transfer(from: "a", to: "b", 1))
                }
            }
            var results: [Result<Ledger.Reply, Ledger.Failure>] = []
            for await result in group { results.append(result) }
            return results
        }
        let live = engine.snapshot
        await engine.close()

        #expect(results.count == commands)
        #expect(results.allSatisfy { $0.failure == nil })
        #expect(live.state.accounts["a"]?.balance == Int64(1_000_000 - 100))
        #expect(live.state.accounts["b"]?.balance == Int64(100 * 2 + 100 * 1))

        let records = try storedRecords(directory)
        let frames = try storedFrames(directory)
        let expectedRecords = 3 + 100 + 2 * 100
        #expect(records.count == expectedRecords)
        #expect(live.position == UInt64(records.count))
        // One frame per batch: far fewer frames than commands.
        #expect(frames.count - setupFrames < commands)
        // A transfer's two events are never split between frames: no frame starts with a transfer's deposit
        // (deposits of their own put in 2, transfers 1) or ends with a transfer's withdrawal.
        let events = try records.map { try ledgerEvent($0) }
        for frame in frames {
            let first = events[Int(frame.firstSequence) - 1]
            let last = events[Int(frame.lastSequence) - 1]
            #expect(first != .deposited(account: "b", amount: 1))
            #expect(last != .withdrew(account: "a", amount: 1))
        }
    }

    @Test func commandsOfOneBatchAreDecidedOneAfterAnother() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory, options: testOptions(durability: .always))
        _ = try await engine.submit(.open("c")).get()
        _ = try await engine.submit(.deposit("c", 100)).get()
        let results = await withTaskGroup(of: Result<Ledger.Reply, Ledger.Failure>.self) { group in
            for _ in 0..<50 { group.addTask { await engine.submit(.withdraw("c", 3)) } }
            var results: [Result<Ledger.Reply, Ledger.Failure>] = []
            for await result in group { results.append(result) }
            return results
        }
        let framesWritten = engine.logStatistics.frames
        await engine.close()
        // Each withdrawal saw the ones before it, in its batch too: 33 fit into 100, 17 are refused.
        #expect(results.count { $0.failure == nil } == 33)
        #expect(results.compactMap(\.failure).allSatisfy { $0.code == .insufficientFunds })
        #expect(engine.snapshot.state.accounts["c"]?.balance == 1)
        #expect(try storedRecords(directory).count == 2 + 33)
        #expect(framesWritten < 2 + 33)
    }

    @Test func rejectedCommandsWriteNothing() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        let before = engine.snapshot
        let recordsBefore = engine.logStatistics.records

        #expect(await engine.submit(.deposit("nobody", 5)).failure?.code == .unknownAccount)
        #expect(await engine.submit(.deposit("a", -5)).failure?.code == .invalidAmount)
        #expect(await engine.submit(.withdraw("a", 11)).failure?.code == .insufficientFunds)
        #expect(await engine.submit(.transfer(from: "a", to: "nobody", 1)).failure?.code == .unknownAccount)
        #expect(engine.snapshot == before)
        #expect(engine.logStatistics.records == recordsBefore)

        // Mixed into one batch, the rejected ones do not disturb the others.
        let results = await withTaskGroup(of: (Int, Result<Ledger.Reply, Ledger.Failure>).self) { group in
            for index in 0..<40 {
                group.addTask {
                    (index, await engine.submit(index % 4 == 0 ? .withdraw("a", 1_000) : .deposit("a", 1)))
                }
            }
            var results: [Int: Result<Ledger.Reply, Ledger.Failure>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        await engine.close()
        for (index, result) in results {
            #expect((result.failure == nil) == (index % 4 != 0))
        }
        #expect(engine.snapshot.state.accounts["a"]?.balance == Int64(10 + 30))
        #expect(try storedRecords(directory).count == 2 + 30)
    }

    @Test func idempotentCommandIsAnsweredWithoutWriting() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        #expect(engine.snapshotPosition == 0)
        let first = try await engine.submit(.open("a")).get()
        let position = engine.snapshot.position
        #expect(position == 1)
        #expect(engine.snapshotPosition == position)
        let again = try await engine.submit(.open("a")).get()
        #expect(again == first)
        #expect(engine.snapshot.position == position)
        #expect(engine.snapshotPosition == position)
        #expect(engine.logStatistics.records == 1)
        await engine.close()
    }

    @Test func oversizeEventsAreRefusedAloneNotWithTheirBatch() async throws {
        let directory = TemporaryDirectory()
        var options = testOptions(durability: .always)
        options.maxRecordBytes = 256
        let engine = try await openLedger(directory, options: options)
        _ = try await engine.submit(.open("a")).get()
        let results = await withTaskGroup(of: (Int, Result<Ledger.Reply, Ledger.Failure>).self) { group in
            for index in 0..<30 {
                group.addTask {
                    let command: Ledger.Command =
                        index == 15 ? .memo(String(repeating: "x", count: 1_000)) : .deposit("a", 1)
                    return (index, await engine.submit(command))
                }
            }
            var results: [Int: Result<Ledger.Reply, Ledger.Failure>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        await engine.close()
        let refused = try #require(results[15]?.failure)
        #expect(refused.code == .storage)
        #expect(refused.message.hasPrefix("eventTooLarge: "))
        #expect(results.filter { $0.key != 15 }.allSatisfy { $0.value.failure == nil })
        #expect(engine.snapshot.state.accounts["a"]?.balance == 29)
        #expect(engine.snapshot.state.memos.isEmpty)
    }

    @Test func closeDecidesWhatWasQueuedAndRefusesWhatComesAfter() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        _ = try await engine.submit(.open("a")).get()
        // Deposits race the close: each is either decided and durable, or refused as closed; none is lost.
        let deposits = (0..<60).map { _ in Task { await engine.submit(.deposit("a", 1)) } }
        await engine.close()
        var accepted = 0
        for deposit in deposits {
            switch await deposit.value {
            case .success: accepted += 1
            case .failure(let failure):
                #expect(failure.code == .storage)
                #expect(failure.message.hasPrefix("closed: "))
            }
        }
        let late = await engine.submit(.deposit("a", 1))
        #expect(late.failure?.message.hasPrefix("closed: ") == true)
        #expect(engine.snapshot.state.accounts["a"]?.balance == Int64(accepted))
        let replayed = try Engine<Ledger>.replay(dataDirectory: directory.path)
        #expect(replayed.state.accounts["a"]?.balance == Int64(accepted))
    }

    @Test func aCommandRefusedAfterChangingTheWorkingStateLeavesNoTrace() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        _ = try await engine.submit(.open("a")).get()
        let framesBefore = engine.logStatistics.frames
        let results = await withTaskGroup(of: (Int, Result<Ledger.Reply, Ledger.Failure>).self) { group in
            for index in 0..<30 {
                group.addTask {
                    let command: Ledger.Command = index % 10 == 5 ? .memoThenRefuse("no \(index)") : .deposit("a", 1)
                    return (index, await engine.submit(command))
                }
            }
            var results: [Int: Result<Ledger.Reply, Ledger.Failure>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        let live = engine.snapshot
        let frames = engine.logStatistics.frames - framesBefore
        await engine.close()
        for index in [5, 15, 25] { #expect(results[index]?.failure?.code == .refused) }
        #expect(results.filter { $0.key % 10 != 5 }.allSatisfy { $0.value.failure == nil })
        #expect(live.state.accounts["a"]?.balance == 27)
        #expect(live.state.memos.isEmpty)
        // Batches formed: a refusal can follow accepted commands of its batch, whose events the rebuild re-applies.
        #expect(frames < 27)
        let replayed = try Engine<Ledger>.replay(dataDirectory: directory.path)
        #expect(replayed.state == live.state)
    }

    @Test func timestampsStrictlyIncreaseWhenTheClockStandsStillOrGoesBack() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()  // t
        _ = try await engine.submit(.open("b")).get()  // t + 1: the clock stood still
        _ = try await engine.submit(.deposit("a", 10)).get()  // t + 2
        _ = try await engine.submit(.transfer(from: "a", to: "b", 4)).get()  // t + 3, t + 4: event k is now + k
        clock.set(startOfTest - hour)
        _ = try await engine.submit(.deposit("a", 1)).get()  // t + 5: the clock went back an hour
        clock.set(startOfTest + 100)
        _ = try await engine.submit(.deposit("a", 1)).get()  // t + 100: the clock is ahead again
        #expect(engine.snapshot.timestamp == startOfTest + 100)
        await engine.close()

        let stamps = try storedRecords(directory).map(\.timestamp)
        #expect(stamps == [0, 1, 2, 3, 4, 5, 100].map { startOfTest + $0 })

        // The last timestamp survives replay: after reopening with a clock far behind, stamps go on from it.
        clock.set(startOfTest - 24 * hour)
        let reopened = try await openLedger(directory, clock: clock)
        #expect(reopened.snapshot.timestamp == startOfTest + 100)
        _ = try await reopened.submit(.deposit("b", 1)).get()
        #expect(reopened.snapshot.timestamp == startOfTest + 101)
        await reopened.close()
        #expect(reopened.snapshot.state.nonIncreasingTimestamps == 0)
        #expect(try storedRecords(directory).last?.timestamp == startOfTest + 101)
    }

    @Test func identifiersComeFromTheGeneratorAndAreNeverRegenerated() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory, seed: 42)
        var ids: [Identifier] = []
        for name in ["a", "b", "c"] {
            guard case .opened(let id) = try await engine.submit(.open(name)).get() else {
                Issue.record("open did not answer with an identifier")
                return
            }
            ids.append(id)
        }
        await engine.close()
        // The engine kept using the generator each decision handed back: the ids are the generator's sequence.
        var expected = SplitMix64(seed: 42)
        #expect(ids == (0..<3).map { _ in Identifier.random(using: &expected) })

        // Replay (with another generator) takes the ids from the log.
        let reopened = try await openLedger(directory, seed: 7)
        #expect(["a", "b", "c"].map { reopened.snapshot.state.accounts[$0]?.id } == ids)
        #expect(try Engine<Ledger>.replay(dataDirectory: directory.path).state.accounts["b"]?.id == ids[1])
        guard case .opened(let fresh) = try await reopened.submit(.open("d")).get() else {
            Issue.record("open did not answer with an identifier")
            return
        }
        var other = SplitMix64(seed: 7)
        #expect(fresh == Identifier.random(using: &other))
        await reopened.close()
    }

    @Test func closedEngineRefusesCommands() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        _ = try await engine.submit(.open("a")).get()
        await engine.close()
        await engine.close()  // a second close is harmless
        let refused = try #require(await engine.submit(.deposit("a", 1)).failure)
        #expect(refused.code == .storage)
        #expect(refused.message.hasPrefix("closed: "))
        #expect(await engine.fireDueTimers() == 0)
        #expect(await engine.waitForSnapshot(atLeast: 99).position == 1)
        #expect(try storedRecords(directory).count == 1)
    }

    @Test func snapshotWaitsForAPosition() async throws {
        let directory = TemporaryDirectory()
        let engine = try await openLedger(directory)
        async let waited = engine.waitForSnapshot(atLeast: 2)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.open("b")).get()
        let snapshot = await waited
        #expect(snapshot.position >= 2)
        #expect(snapshot.state.accounts.count == 2)
        await engine.close()
    }

    @Test func failedAppendFailsTheBatchAndKeepsTheState() async throws {
        // Tiny segments: every frame needs a new segment file. A directory where the next segment file must go makes
        // creating it fail (EEXIST, even as root), an honest I/O failure of the append.
        let directory = TemporaryDirectory()
        var options = testOptions()
        options.segmentSize = 184
        let engine = try await openLedger(directory, options: options)
        _ = try await engine.submit(.open("a")).get()
        let before = engine.snapshot
        let obstacle = directory.logPath + "/" + SegmentFile.name(base: before.position + 1)
        try FileManager.default.createDirectory(atPath: obstacle, withIntermediateDirectories: false)

        let results = await withTaskGroup(of: Result<Ledger.Reply, Ledger.Failure>.self) { group in
            for amount in 1...10 { group.addTask { await engine.submit(.deposit("a", Int64(amount))) } }
            var results: [Result<Ledger.Reply, Ledger.Failure>] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 10)
        for result in results {
            let failure = try #require(result.failure)
            #expect(failure.code == .storage)
            #expect(failure.message.hasPrefix("log: "))
        }
        #expect(engine.snapshot == before)
        await engine.close()

        try FileManager.default.removeItem(atPath: obstacle)
        let reopened = try await openLedger(directory, options: options)
        #expect(reopened.snapshot == before)
        #expect(try await reopened.submit(.deposit("a", 5)).get() == .balance(5))
        await reopened.close()
    }

    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualClock(1_000)
        #expect(clock.now() == 1_000)
        clock.advance(byMicroseconds: 5)
        clock.advance(byMilliseconds: 2)
        #expect(clock.now() == 3_005)
        clock.set(10)
        #expect(clock.now() == 10)
        let wall = SystemClock().now()
        #expect(wall > startOfTest)
    }
}

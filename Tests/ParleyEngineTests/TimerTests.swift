import EventLog
import Foundation
import ParleyDomain
import Testing

@testable import ParleyEngine

@Suite struct TimerTests {
    @Test func holdsAreReleasedWhenTheirDeadlinePassesOver25Hours() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 1_000)).get()
        var created = 0
        var fired = 0
        // Minute by minute through 26.5 hours; a 90-minute hold is placed at every hour of the first 25.
        for step in 0...(26 * 60 + 30) {
            if step % 60 == 0 && created < 25 {
                _ = try await engine.submit(.hold("a", 1, forMicroseconds: 90 * minute)).get()
                created += 1
            }
            fired += await engine.fireDueTimers()
            // After a round nothing is overdue.
            let now = clock.now()
            #expect(engine.snapshot.state.holds.values.allSatisfy { $0.until > now })
            clock.advance(byMilliseconds: 60_000)
        }
        let state = engine.snapshot.state
        await engine.close()
        #expect(fired == 25)
        #expect(state.holds.isEmpty)
        #expect(state.accounts["a"]?.held == 0)
        #expect(state.released.count == 25)
        // Each release records its deadline and fired within the minute after it.
        for release in state.released.values {
            #expect(release.at >= release.deadline)
            #expect(release.at - release.deadline < minute + 10)
        }
    }

    /// Clock faults: the wall clock jumping back or forward by hours neither fires a deadline before its time
    /// (in log time), nor fires it twice, nor reorders what the log records.
    @Test func clockJumpsNeitherFireEarlyNorTwice() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        _ = try await engine.submit(.hold("a", 1, forMicroseconds: 30 * minute)).get()
        // Back three hours: log time stands still, the 30-minute hold is not due.
        clock.set(startOfTest - 3 * hour)
        #expect(await engine.fireDueTimers() == 0)
        _ = try await engine.submit(.deposit("a", 1)).get()
        #expect(engine.snapshot.state.holds.count == 1)
        // Forward to 29 minutes after the hold was placed: still not due.
        clock.set(startOfTest + 29 * minute)
        #expect(await engine.fireDueTimers() == 0)
        // Forward five hours: it fires once, recording its deadline.
        clock.set(startOfTest + 5 * hour)
        #expect(await engine.fireDueTimers() == 1)
        #expect(engine.snapshot.state.holds.isEmpty)
        // Back again, and forward again: nothing fires a second time.
        clock.set(startOfTest - 5 * hour)
        #expect(await engine.fireDueTimers() == 0)
        clock.set(startOfTest + 6 * hour)
        #expect(await engine.fireDueTimers() == 0)
        let state = engine.snapshot.state
        await engine.close()
        #expect(state.released.count == 1)
        for release in state.released.values { #expect(release.at >= release.deadline) }
        let stamps = try storedRecords(directory).map(\.timestamp)
        #expect(stamps == stamps.sorted() && Set(stamps).count == stamps.count, "log time never goes back")
    }

    @Test func oneTimerCommandReleasesEveryDueHold() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        _ = try await engine.submit(.hold("a", 1, forMicroseconds: 5 * minute)).get()
        _ = try await engine.submit(.hold("a", 2, forMicroseconds: 5 * minute)).get()
        _ = try await engine.submit(.hold("a", 3, forMicroseconds: 10 * minute)).get()
        #expect(await engine.fireDueTimers() == 0)
        clock.advance(byMicroseconds: 5 * minute - 10)
        #expect(await engine.fireDueTimers() == 0)
        clock.advance(byMicroseconds: 20)
        let position = engine.snapshot.position
        #expect(await engine.fireDueTimers() == 1)
        #expect(engine.snapshot.position == position + 2)
        #expect(engine.snapshot.state.holds.count == 1)
        #expect(engine.snapshot.state.accounts["a"]?.held == 3)
        await engine.close()
    }

    @Test func overdueDeadlinesWaitForFireDueTimersAfterOpen() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        _ = try await engine.submit(.hold("a", 4, forMicroseconds: hour)).get()
        await engine.close()

        clock.advance(byMicroseconds: 3 * hour)
        let reopened = try await openLedger(directory, clock: clock)
        #expect(reopened.snapshot.state.holds.count == 1)  // open fires nothing
        #expect(await reopened.fireDueTimers() == 1)
        let release = try #require(reopened.snapshot.state.released.values.first)
        #expect(release.deadline == startOfTest + 2 + hour)
        #expect(release.at == startOfTest + 3 * hour)
        await reopened.close()
    }

    @Test func timerRoundsEndWithoutProgressOrAtTheLimit() async throws {
        let directory = TemporaryDirectory()
        let engine = try await Engine<Restless>.open(
            dataDirectory: directory.path,
            options: testOptions(),
            clock: ManualClock(startOfTest),
            generator: SplitMix64(seed: 1)
        )
        // Always due and always writing: only the limit ends the round.
        #expect(await engine.fireDueTimers(limit: 5) == 5)
        #expect(engine.snapshot.state.ticks == 5)
        // Due but writing nothing, or refused: the round ends at once.
        _ = await engine.submit(.setMode(.silent))
        #expect(await engine.fireDueTimers() == 0)
        _ = await engine.submit(.setMode(.refusing))
        #expect(await engine.fireDueTimers() == 0)
        #expect(engine.snapshot.state.ticks == 5)
        #expect(engine.snapshot.position == 7)
        await engine.close()
    }

    @Test(.timeLimit(.minutes(5)))
    func schedulerFiresDueDeadlines() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        _ = try await engine.submit(.hold("a", 1, forMicroseconds: minute)).get()
        let first = engine.snapshot.position
        clock.advance(byMicroseconds: 2 * minute)
        await engine.startScheduler()
        await engine.startScheduler()  // starting twice runs one scheduler
        let fired = await engine.waitForSnapshot(atLeast: first + 1)
        #expect(fired.state.holds.isEmpty)
        #expect(fired.state.released.count == 1)

        // A deadline that comes due later: the scheduler looks again after the next committed batch.
        _ = try await engine.submit(.hold("a", 2, forMicroseconds: minute)).get()
        let second = engine.snapshot.position
        clock.advance(byMicroseconds: 2 * minute)
        _ = try await engine.submit(.deposit("a", 1)).get()
        let later = await engine.waitForSnapshot(atLeast: second + 2)
        #expect(later.state.released.count == 2 || engine.snapshot.state.released.count == 2)
        await engine.close()
        #expect(engine.snapshot.state.holds.isEmpty)
        #expect(engine.snapshot.state.released.count == 2)
    }

    @Test(.timeLimit(.minutes(5)))
    func aCommitWakesTheSchedulerOnlyForADeadlineBeforeItsWaitEnds() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(startOfTest)
        let engine = try await openLedger(directory, clock: clock)
        _ = try await engine.submit(.open("a")).get()
        _ = try await engine.submit(.deposit("a", 10)).get()
        // Every wait below lasts an hour or more of real time, so no wait ends by itself while the test runs: only
        // commits wake the scheduler, and each count below is exact however slow the machine.
        let period = 10 * 60 * minute
        await engine.startScheduler(period: period)
        // With no deadline the scheduler waits one period; the manual clock does not move, so every later wait
        // ends a period (or less, for a sooner deadline) after the same instant.
        func waiting() async {
            while !(await engine.schedulerIsWaiting) { await Task.yield() }
        }
        await waiting()
        _ = try await engine.submit(.deposit("a", 1)).get()
        #expect(await engine.schedulerWakesByCommits == 0)
        // A deadline after the wait ends: the scheduler sees it when it looks again.
        _ = try await engine.submit(.hold("a", 1, forMicroseconds: 2 * period)).get()
        #expect(await engine.schedulerWakesByCommits == 0)
        // A deadline before the wait ends wakes it.
        await waiting()
        _ = try await engine.submit(.hold("a", 1, forMicroseconds: period / 10)).get()
        #expect(await engine.schedulerWakesByCommits == 1)
        // A deadline that is due by the clock wakes it too, though it was known before.
        await waiting()
        clock.advance(byMicroseconds: 3 * period)
        let before = engine.snapshot.position
        _ = try await engine.submit(.deposit("a", 1)).get()
        #expect(await engine.schedulerWakesByCommits == 2)
        // The scheduler releases both holds, one commit after another.
        var next = before + 2
        while engine.snapshot.state.released.count < 2 {
            next = max(next, engine.snapshot.position + 1)
            _ = await engine.waitForSnapshot(atLeast: next)
        }
        #expect(engine.snapshot.state.holds.isEmpty)
        await engine.close()
    }
}

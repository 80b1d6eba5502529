import ParleyDomain

extension Engine {
    /// The longest the scheduler waits, by default, before looking at the next deadline again (µs).
    public static var defaultSchedulerPeriod: Int64 { 1_000_000 }

    /// Fires every deadline that is due by the clock now, through the normal command path; returns how many timer
    /// commands committed events.
    ///
    /// Asks `Machine.timerCommand(in:now:)` and submits its command, again and again while one is returned and the
    /// previous one wrote events. A timer command that is rejected or writes nothing ends the round, and at most
    /// `limit` commands run, so a machine whose timers never settle cannot keep the engine busy forever.
    @discardableResult
    public func fireDueTimers(limit: Int = 1_000) async -> Int {
        var fired = 0
        while fired < limit, !closed, let command = Machine.timerCommand(in: state, now: clock.now()) {
            let outcome = await process(command)
            guard case .success = outcome.result, outcome.events > 0 else { break }
            fired += 1
        }
        return fired
    }

    /// Starts a task that fires deadlines as they come due; `close()` stops it.
    ///
    /// It looks at `Machine.nextDeadline(in:)` at least every `period` µs, and after a committed batch whose next
    /// deadline is due or comes before the end of its current wait; it waits in real time (`Task.sleep`) for the
    /// difference the engine's clock reports. With a `ManualClock`, call `fireDueTimers()` instead.
    public func startScheduler(period: Int64 = defaultSchedulerPeriod) {
        guard scheduler == nil, !closed else { return }
        let period = max(1, period)
        scheduler = Task { await self.runScheduler(period: period) }
    }

    private func runScheduler(period: Int64) async {
        while !Task.isCancelled && !closed {
            var wait = period
            let now = clock.now()
            if let deadline = Machine.nextDeadline(in: state) {
                if deadline <= now {
                    if await fireDueTimers() > 0 { continue }
                    // Due, yet nothing fired (the timer command was rejected or changed nothing): wait a period
                    // instead of spinning.
                } else {
                    wait = min(wait, deadline - now)
                }
            }
            schedulerWakeAt = now + wait
            await waitForSchedulerWake(microseconds: wait)
        }
    }

    /// Suspends the scheduler until a batch commits, `microseconds` pass, or the engine closes.
    private func waitForSchedulerWake(microseconds: Int64) async {
        guard !closed, !Task.isCancelled else { return }
        schedulerWait &+= 1
        let wait = schedulerWait
        await withCheckedContinuation { continuation in
            schedulerWake = continuation
            schedulerSleeper = Task {
                guard (try? await Task.sleep(for: .microseconds(microseconds))) != nil else { return }
                self.wakeScheduler(wait: wait)
            }
        }
    }

    /// After a committed batch: ends the scheduler's wait if the next deadline is due or comes before the wait ends.
    ///
    /// A batch that leaves the next deadline where it was, or moves it later, does not wake the scheduler: waking it
    /// costs a task and a timer, once per batch, and it would only find nothing due and wait again.
    func wakeSchedulerForEarlierDeadline() {
        guard schedulerWake != nil, let deadline = Machine.nextDeadline(in: state) else { return }
        guard deadline < schedulerWakeAt || deadline <= clock.now() else { return }
        schedulerWakesByCommits += 1
        wakeScheduler()
    }

    /// Whether the scheduler is waiting for its timeout or a commit (for tests).
    var schedulerIsWaiting: Bool { schedulerWake != nil }

    /// Ends the scheduler's current wait, if it is waiting (and, given `wait`, if it is still that wait).
    func wakeScheduler(wait: UInt64? = nil) {
        if let wait, wait != schedulerWait { return }
        guard let wake = schedulerWake else { return }
        schedulerWake = nil
        schedulerSleeper?.cancel()
        schedulerSleeper = nil
        wake.resume()
    }
}

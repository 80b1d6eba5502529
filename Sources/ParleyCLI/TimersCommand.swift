import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley timers DIR [--fire] [--at T]`: list open deadlines, and fire the overdue ones.
struct TimersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "List the open deadlines of a data directory; with --fire, fire every overdue one.",
        discussion: """
            Deadlines (chat duration ceilings, connect windows, idle and auto-disconnect timers) are derived from \
            the log. A deadline that passed while no server ran is overdue: --fire opens the log for writing (it \
            must not be open elsewhere), fires each one through the engine exactly as a running server would — the \
            recorded firing carries the deadline and the firing time, and the chat ends as of the deadline — and \
            prints how many timer commands committed.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Flag(help: "Fire every deadline at or before now (or --at).")
    var fire = false

    @Option(help: "Take this instant (ISO 8601) as now instead of the wall clock.")
    var at: String?

    func run() async throws {
        var clock: any EngineClock = SystemClock()
        if let at {
            guard let instant = ISOTime.parse(at) ?? LogTime.parse(at) else {
                throw ValidationError("--at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
            }
            clock = ManualClock(instant)
        }
        let now = clock.now()
        if fire {
            let engine = try await Engine<ChatMachine>.open(dataDirectory: directory, clock: clock)
            let fired = await engine.fireDueTimers()
            let position = engine.snapshot.position
            await engine.close()
            print("fired \(fired) timer command(s); log head \(position)")
            return
        }
        let snapshot = try Engine<ChatMachine>.replay(dataDirectory: directory)
        let open = snapshot.state.timers.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        for (key, deadline) in open {
            print("\(ISOTime.format(deadline))  \(deadline <= now ? "OVERDUE" : "pending")  \(key)")
        }
        print("\(open.count) open deadline(s)")
    }
}

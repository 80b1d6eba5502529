import ArgumentParser
import Foundation
import Synchronization

/// `parley-load`: starts `parley serve` on a fresh data directory and drives simulated customers and agents over
/// its real HTTP API, websockets and agent event streams; prints (and writes) throughput, latency percentiles,
/// memory per chat and every error, and exits non-zero if a message was lost, the plateau did not hold, or errors
/// exceeded the budget. See docs/reliability.md.
@main
struct ParleyLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley-load",
        abstract: "Load generator: simulated customers and agents over the real API (see docs/reliability.md)."
    )

    @Option(help: "The parley executable to start.")
    var parley: String

    @Option(help: "A data directory for the server (created; must not hold another server's log).")
    var data: String

    @Option(help: "Concurrent chats to reach and hold.")
    var chats = 100

    @Option(name: .customLong("arrival-rate"), help: "Customers arriving per second (Poisson) during the ramp.")
    var arrivalRate = 50.0

    @Option(name: .customLong("message-interval"), help: "Mean seconds between a customer's messages.")
    var messageInterval = 30.0

    @Option(help: "Relative spread of every think time (a wait is mean × (1 ± jitter)).")
    var jitter = 0.5

    @Option(name: .customLong("think-time"), help: "Mean seconds an agent thinks before answering.")
    var thinkTime = 3.0

    @Option(name: .customLong("typing-fraction"), help: "Share of messages preceded by a typing event.")
    var typingFraction = 0.5

    @Option(name: .customLong("leave-fraction"), help: "Share of customers who close their websocket once and return.")
    var leaveFraction = 0.1

    @Option(help: "Mean seconds a leaving customer stays away.")
    var away = 10.0

    @Option(name: .customLong("switch-fraction"), help: "Share of customers who switch device once.")
    var switchFraction = 0.05

    @Option(
        name: .customLong("agent-websocket-fraction"),
        help: "Share of chats whose agent also listens on a websocket (the others write on a timer)."
    )
    var agentWebsocketFraction = 1.0

    @Option(help: "Agents (default: enough for --chats at --concurrency, plus 5 %).")
    var agents: Int?

    @Option(help: "Chats per agent: the routing profile's chat concurrency (1–10).")
    var concurrency = 10

    @Option(
        name: .customLong("agents-per-instance"),
        help: "The most agents per instance (≤ 500, the users quota); more agents spread over more instances."
    )
    var agentsPerInstance = 500

    @Option(help: "Seconds to hold the plateau.")
    var hold = 60.0

    @Option(name: .customLong("message-bytes"), help: "Bytes of each message's content.")
    var messageBytes = 64

    @Option(help: "Seconds between aws/heartbeat frames on every websocket (0: none).")
    var heartbeat = 0.0

    @Option(help: "Seconds to wait for every acknowledged message to arrive once sending stops.")
    var drain = 30.0

    @Option(help: "Seconds over which the customers leave at the end (default: --chats / --arrival-rate).")
    var departure: Double?

    @Option(name: .customLong("max-error-rate"), help: "The largest share of failed operations tolerated.")
    var maxErrorRate = 0.001

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 1

    @Option(help: "The server's durability: always, none or interval:MS.")
    var durability = "always"

    @Option(help: "Pooled HTTP connections for requests.")
    var connections = 256

    @Option(help: "Also write the report as JSON to this file.")
    var report: String?

    func run() async throws {
        let scenario = LoadScenario(
            chats: chats,
            arrivalRate: arrivalRate,
            messageInterval: messageInterval,
            jitter: jitter,
            agentThinkTime: thinkTime,
            typingFraction: typingFraction,
            leaveFraction: leaveFraction,
            awaySeconds: away,
            switchFraction: switchFraction,
            agentWebsocketFraction: agentWebsocketFraction,
            agents: agents,
            concurrency: concurrency,
            agentsPerInstance: agentsPerInstance,
            holdSeconds: hold,
            messageBytes: messageBytes,
            heartbeatSeconds: heartbeat,
            drainSeconds: drain,
            departureSeconds: departure ?? Double(chats) / arrivalRate,
            maxErrorRate: maxErrorRate,
            seed: seed
        )
        do {
            try scenario.validate()
        } catch {
            throw ValidationError(error.message)
        }
        let interrupts = Self.stopServerOnInterrupt()
        defer { for source in interrupts { source.cancel() } }
        let started = Date()
        let run = LoadRun(
            scenario: scenario,
            parley: parley,
            data: data,
            durability: durability,
            connections: connections
        ) { line in
            let elapsed = String(format: "[%7.1f s] ", Date().timeIntervalSince(started))
            FileHandle.standardError.write(Data((elapsed + line + "\n").utf8))
        }
        let result = try await run.run()
        print(result.text)
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: report))
        }
        if !result.passed { throw ExitCode(1) }
    }

    /// On SIGINT or SIGTERM: SIGTERM to the server this run started, then exit (130).
    private static func stopServerOnInterrupt() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if let pid = ServerProcess.running.withLock({ $0 }) { kill(pid, SIGTERM) }
                FileHandle.standardError.write(Data("interrupted: the server was sent SIGTERM\n".utf8))
                Glibc.exit(130)
            }
            source.resume()
            return source
        }
    }
}

import ArgumentParser
import Foundation

/// `log-bench`: every figure of docs/performance.md, Parley's log next to SQLite, from one run.
@main
struct LogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-bench",
        abstract: """
            Append, replay, size, recovery and verify figures of Parley's event log next to SQLite (and PostgreSQL \
            for append and replay), and the chat \
            domain's command, replay and decode figures, in one run.
            """
    )

    @Flag(help: "Small sizes and short runs: a smoke test whose figures mean little.")
    var quick = false

    @Option(help: "Seconds each append configuration runs (default 3; quick 0.5).")
    var seconds: Double?

    @Option(help: "Concurrent writers of the durable append runs, comma-separated.")
    var writers = "1,16,256"

    @Option(help: "Events in the replay log and the SQLite replay table (default 2000000; quick 200000).")
    var replayEvents: Int?

    @Option(help: "Size of the recovery and verify log in MiB (default 1024; quick 130).")
    var recoveryMib: Int?

    @Option(
        help: """
            Repetitions of replay, recovery, verify, each engine-commands configuration and the chat replay and \
            decode; medians are reported (default 5; quick 3).
            """
    )
    var runs: Int?

    @Option(help: "Seconds each engine-commands configuration runs (default 2; quick 0.5).")
    var commandSeconds: Double?

    @Option(help: "Concurrent chat clients of the engine-commands runs, comma-separated.")
    var clients = "1,16,256"

    @Option(help: "Events in the chat-domain log for domain-replay and domain-decode (default 1000000; quick 100000).")
    var domainEvents: Int?

    @Option(
        help: """
            Keep the chat-domain log of domain-replay and domain-decode in this directory and reuse it when it already \
            holds one (repeated runs then skip the build).
            """
    )
    var domainLog: String?

    @Option(help: "Whole chats in the smaller startup log; the larger holds 4 times as many (default 2500; quick 500).")
    var startupChats: Int?

    @Option(help: "startup-large: MiB of stored frames the large startup log holds at least (default 1024; quick 32).")
    var startupLogMib: Int?

    @Option(help: "api: chats with a connected customer started before the SendMessage runs (default 1000; quick 256).")
    var apiChats: Int?

    @Option(help: "api: concurrent HTTP clients of the SendMessage, echo and hello-world runs, comma-separated.")
    var apiClients = "64,256"

    @Option(help: "api: seconds of each SendMessage, echo and hello-world run (default 3; quick 1).")
    var apiSeconds: Double?

    @Option(help: .hidden)
    var apiServer: String?

    @Option(
        help: """
            Run only these phases, comma-separated: append, replay, recovery, engine-commands, domain-replay, \
            domain-decode, startup, api.
            """
    )
    var only = RunPlan.allPhases.joined(separator: ",")

    @Option(
        help: """
            Database peers of the append and replay phases, comma-separated: sqlite, postgres (a PostgreSQL server \
            the benchmark starts on loopback and stops).
            """
    )
    var peers = RunPlan.allPeers.joined(separator: ",")

    @Option(help: "Directory for the benchmark's files (default: a new directory in the temporary directory).")
    var scratch: String?

    @Flag(help: "Print the table as Markdown.")
    var markdown = false

    @Flag(help: "Leave the files in the scratch directory (the last of each workload) instead of deleting them.")
    var keep = false

    mutating func run() async throws {
        // The api phase's server: this executable started again in a process of its own.
        if let apiServer { return try await APIServerProcess.serve(configurationFile: apiServer) }
        let writerCounts = writers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !writerCounts.isEmpty, writerCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--writers takes positive counts separated by commas, e.g. 1,16,256")
        }
        let clientCounts = clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !clientCounts.isEmpty, clientCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--clients takes positive counts separated by commas, e.g. 1,16,256")
        }
        let apiClientCounts = apiClients.split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard !apiClientCounts.isEmpty, apiClientCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--api-clients takes positive counts separated by commas, e.g. 64,256")
        }
        let phases = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard !phases.isEmpty, phases.isSubset(of: RunPlan.allPhases) else {
            throw ValidationError("--only takes \(RunPlan.allPhases.joined(separator: ", ")), separated by commas")
        }
        let peerNames = Set(peers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard peerNames.isSubset(of: RunPlan.allPeers) else {
            throw ValidationError("--peers takes \(RunPlan.allPeers.joined(separator: ", ")), separated by commas")
        }
        var plan = RunPlan(
            phases: phases,
            appendSeconds: seconds ?? (quick ? 0.5 : 3),
            writers: writerCounts,
            replayEvents: replayEvents ?? (quick ? 200_000 : 2_000_000),
            recoveryBytes: Int64(recoveryMib ?? (quick ? 130 : 1024)) << 20,
            runs: max(1, runs ?? (quick ? 3 : 5)),
            poolEvents: quick ? 65_536 : 262_144,
            probeSeconds: quick ? 0.3 : 1,
            commandSeconds: commandSeconds ?? (quick ? 0.5 : 2),
            clients: clientCounts,
            domainEvents: max(1, domainEvents ?? (quick ? 100_000 : 1_000_000)),
            startupChats: max(1, startupChats ?? (quick ? 500 : 2_500)),
            domainLog: domainLog
        )
        plan.peers = peerNames
        plan.startupLogMiB = max(1, startupLogMib ?? (quick ? 32 : 1024))
        plan.apiChats = max(1, apiChats ?? (quick ? 256 : 1_000))
        plan.apiClients = apiClientCounts
        plan.apiSeconds = apiSeconds ?? (quick ? 1 : 3)
        if quick {
            plan.apiRuns = 1
            plan.apiMemoryChats = 200
            plan.fanoutMessages = 100
        }
        let root = scratch ?? FileManager.default.temporaryDirectory.path + "/parley-log-bench-\(getpid())"
        let directory = try Scratch(root: root, keep: keep)
        defer { directory.remove(root) }
        var benchmark = BenchmarkRun(plan: plan, scratch: directory)
        let report = try await benchmark.run()
        print(report.render(markdown: markdown))
    }
}

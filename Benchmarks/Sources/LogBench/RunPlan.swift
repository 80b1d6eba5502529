/// The sizes and repetitions of one run.
struct RunPlan: Sendable {
    /// Every phase, in the order they run.
    static let allPhases = [
        "append", "replay", "recovery", "engine-commands", "domain-replay", "domain-decode", "startup", "startup-large",
        "api",
    ]

    /// Every database peer of the append and replay phases.
    static let allPeers = ["sqlite", "postgres"]

    /// The phases to run: `append`, `replay` (with sizes), `recovery` (with verify), and the chat domain's
    /// `engine-commands`, `domain-replay` (decode + apply) and `domain-decode` (decode only, and JSON lines), and
    /// `startup` (opening from checkpoints against a full replay).
    var phases: Set<String>
    /// The database peers the append and replay phases measure the log against: `sqlite`, `postgres`.
    var peers: Set<String> = Set(allPeers)
    /// Seconds each append configuration runs.
    var appendSeconds: Double
    /// Concurrent writers of the durable append runs.
    var writers: [Int]
    /// Concurrent writers of the `none` (no fsync) runs.
    var relaxedWriters: [Int] { [1, writers.max() ?? 1].uniqued() }
    /// Events in the replay log and in the SQLite replay table.
    var replayEvents: Int
    /// Size of the recovery and verify log.
    var recoveryBytes: Int64
    /// Repetitions of replay, recovery and verify.
    var runs: Int
    /// Distinct generated events.
    var poolEvents: Int
    /// Seconds of each fdatasync probe.
    var probeSeconds: Double
    /// Seconds each engine-commands configuration runs.
    var commandSeconds: Double
    /// Concurrent chat clients of the engine-commands runs.
    var clients: [Int]
    /// Events in the chat-domain log that is replayed and decoded.
    var domainEvents: Int
    /// Chats in the smaller startup log (S; the larger holds 4·S).
    var startupChats: Int
    /// Where the chat-domain log is kept and reused, if anywhere (else a scratch directory, removed afterwards).
    var domainLog: String?
    /// Events appended after the checkpoint for the open from a checkpoint plus a tail.
    var startupTail = 1_000
    /// Size the `startup-large` log is built to, at least (MiB of stored frames).
    var startupLogMiB = 1024
    /// api: chats started (each with a connected customer) before the SendMessage runs.
    var apiChats = 1_000
    /// api: concurrent HTTP clients of the SendMessage, echo and hello-world runs.
    var apiClients = [64, 256]
    /// api: seconds of each SendMessage, echo or hello-world run.
    var apiSeconds = 3.0
    /// api: repetitions of each run (the order of SendMessage, echo and hello-world rotates).
    var apiRuns = 3
    /// api: chats started (and then ended) for the memory readings, twice.
    var apiMemoryChats = 2_000
    /// api: messages timed one at a time for the idle fan-out figure.
    var fanoutMessages = 1_000
}

extension Array where Element: Hashable {
    /// The elements in order, without repeats.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

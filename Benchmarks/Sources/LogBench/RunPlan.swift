/// The sizes and repetitions of one run.
struct RunPlan: Sendable {
    /// The phases to run: `append`, `replay` (with sizes), `recovery` (with verify).
    var phases: Set<String>
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
}

extension Array where Element: Hashable {
    /// The elements in order, without repeats.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

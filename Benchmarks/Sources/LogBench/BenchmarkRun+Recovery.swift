import BenchChat
import EventLog

extension BenchmarkRun {
    /// Builds a big log (`recoveryBytes`, 64 MiB segments), then times reopening it (recovery) warm, cold and
    /// with a torn last frame, verifying it warm and cold, and one replay of it; deletes it at the end.
    mutating func recoveryAndVerify() async throws {
        Self.progress("building a \(Numbers.bytes(Double(plan.recoveryBytes))) log (durability none)")
        let directory = try scratch.freshDirectory("big-parley")
        defer { scratch.remove(directory) }
        let load = try await parley.load(directory: directory, bytes: plan.recoveryBytes)
        let gigabytes = Double(load.segmentBytes) / 1e9
        let size = Numbers.bytes(Double(load.segmentBytes))

        Self.progress("reopening it \(plan.runs) times warm, cold and with a torn tail")
        var warm: [Double] = []
        var cold: [Double] = []
        var torn: [Double] = []
        for _ in 0..<plan.runs {
            warm.append(try await parley.reopen(directory: directory, cold: false).seconds)
        }
        for _ in 0..<plan.runs {
            cold.append(try await parley.reopen(directory: directory, cold: true).seconds)
        }
        for _ in 0..<plan.runs {
            try parley.tearTail(directory: directory)
            let (seconds, recovery) = try await parley.reopen(directory: directory, cold: false)
            guard recovery != nil else { throw BenchError("reopening after a torn write reported no torn tail") }
            torn.append(seconds)
        }
        let limit = Target.atMost(0.1)
        for (name, samples) in [("", warm), (", page cache cold", cold), (", torn last frame", torn)] {
            let median = Sample(samples).median
            report.rows.append(
                ReportRow(
                    figure: "recovery (open + close) of a \(size) log" + name,
                    target: "≤ 100 ms",
                    parley: Numbers.seconds(median),
                    verdict: limit.verdict(median)
                )
            )
        }
        if let small = smallLogRecovery {
            report.details.append(
                "recovery: replay log (\(Numbers.bytes(Double(small.bytes)))) \(Numbers.seconds(small.seconds)), "
                    + "\(size) log \(Numbers.seconds(Sample(warm).median)) (medians, page cache warm); all runs warm "
                    + warm.map(Numbers.seconds).joined(separator: ", ") + "; cold "
                    + cold.map(Numbers.seconds).joined(separator: ", ") + "; torn "
                    + torn.map(Numbers.seconds).joined(separator: ", ")
            )
        }

        Self.progress("verifying it \(plan.runs) times warm and \(min(plan.runs, 3)) times cold")
        var verifyWarm: [Double] = []
        var verifyCold: [Double] = []
        for _ in 0..<plan.runs { verifyWarm.append(try parley.verify(directory: directory, cold: false) / gigabytes) }
        for _ in 0..<min(plan.runs, 3) {
            verifyCold.append(try parley.verify(directory: directory, cold: true) / gigabytes)
        }
        let verifyLimit = Target.atMost(1)
        for (name, samples) in [("page cache warm", verifyWarm), ("page cache cold", verifyCold)] {
            let median = Sample(samples).median
            report.rows.append(
                ReportRow(
                    figure: "verify, \(name) (s/GB)",
                    target: "≤ 1 s/GB",
                    parley: Numbers.fixed(median, 2) + " s/GB",
                    verdict: verifyLimit.verdict(median)
                )
            )
        }

        Self.progress("replaying it once")
        let (tally, replaySeconds) = try timed { try parley.replay(directory: directory) }
        guard tally.events == load.events else { throw BenchError("big log replay read \(tally.events) events") }
        report.details.append(
            "big log: \(load.events) events in \(size) of segments (built in \(Numbers.seconds(load.seconds))); "
                + "verify s/GB warm " + verifyWarm.map { Numbers.fixed($0, 2) }.joined(separator: ", ")
                + ", cold " + verifyCold.map { Numbers.fixed($0, 2) }.joined(separator: ", ")
                + "; one replay of it \(Numbers.rate(Double(tally.events) / replaySeconds))"
        )
    }
}

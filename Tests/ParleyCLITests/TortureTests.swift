import Foundation
import Testing

/// The kill -9 torture harness (`Tools/torture.py`, what it checks is listed there) against the built `parley`:
/// 20 cycles of load, SIGKILL, restart and checks. `make test` installs python3 and boto3 first; without them this
/// test fails and says so. `make torture` runs 1000 cycles.
@Suite struct TortureTests {
    @Test(.timeLimit(.minutes(5)))
    func everyAcknowledgedWriteSurvivesTwentyKillNineCycles() async throws {
        let scratch = try ToolHarness.ScratchDirectory("torture")
        let probe = try await ToolHarness.pythonWithBoto3(in: scratch)
        #expect(probe.ready, "python3 with boto3 is needed (make test installs it): \(probe.output)")
        guard probe.ready else { return }

        let result = try await ToolHarness.run(
            "python3",
            [
                ToolHarness.repository.appendingPathComponent("Tools/torture.py").path,
                "--parley", ToolHarness.parley.path,
                "--data", scratch.path + "/data",
                "--cycles", "20",
                "--seed", "7",
            ],
            output: scratch.path + "/torture.txt"
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("every acknowledged"), "\(result.output)")
        #expect(result.output.contains("cycle 20/20:"), "\(result.output)")
    }
}

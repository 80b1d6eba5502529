import Foundation
import Testing

/// Disk faults against the built `parley serve` (`Tools/faults.py`; what each scenario checks is listed there): a
/// full disk (a size-limited tmpfs where this machine lets the test mount one, and always a file-size limit), a
/// failing `fdatasync` (an LD_PRELOAD library), and unreadable, missing and damaged segments. Real files, real AWS
/// clients; nothing acknowledged may be lost.
@Suite struct DiskFaultTests {
    private static func faults(_ scenario: String, _ expected: [String]) async throws {
        let scratch = try ToolHarness.ScratchDirectory("faults")
        let probe = try await ToolHarness.pythonWithBoto3(in: scratch)
        #expect(probe.ready, "python3 with boto3 is needed (make test installs it): \(probe.output)")
        guard probe.ready else { return }
        let result = try await ToolHarness.run(
            "python3",
            [
                ToolHarness.repository.appendingPathComponent("Tools/faults.py").path,
                "--parley", ToolHarness.parley.path,
                "--work", scratch.path + "/work",
                "--scenario", scenario,
            ],
            output: scratch.path + "/faults.txt"
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("every disk fault held"), "\(result.output)")
        for line in expected {
            #expect(result.output.contains(line), "expected \(line): \(result.output)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aFullDiskRefusesWritesLosesNothingAndRecoversWithoutARestart() async throws {
        try await Self.faults(
            "disk-full",
            [
                "fsize: space freed: the same process acknowledges writes again (no restart)",
                "fsize: after a restart all 6 contacts",
            ]
        )
    }

    @Test(.timeLimit(.minutes(3)))
    func aFailedSyncStopsTheWriterForGood() async throws {
        try await Self.faults(
            "sync-failure",
            [
                "later writes are refused although fdatasync works again; /ping answers 503 failed",
                "the server stopped with exit 1",
                "after a restart all 12 acknowledged messages are there once",
            ]
        )
    }

    @Test(.timeLimit(.minutes(3)))
    func unreadableMissingAndDamagedSegmentsAreNamedAndLeftAlone() async throws {
        try await Self.faults(
            "segments",
            [
                "an unreadable segment (open fails with EIO): serve exits 1 and verify 1, naming it",
                "a missing segment: serve exits 1 and verify 1, naming it",
                "a damaged byte in a sealed segment",
                "with the segment back the server starts",
            ]
        )
    }
}

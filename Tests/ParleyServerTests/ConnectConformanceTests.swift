import Foundation
import ParleyServer
import Testing

/// boto3's own `connect` and `connectparticipant` clients drive a complete chat against a real server:
/// `Tests/Conformance/connect_conformance.py` (what it checks is listed there). `make test` installs boto3 first;
/// without python3 and boto3 this test fails and says so.
@Suite struct ConnectConformanceTests {
    /// The script, found from this file's place in the repository.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance/connect_conformance.py").path

    @Test func boto3sConnectClientDrivesAWholeChat() async throws {
        let probe = try await ParticipantConformanceTests.python(["-c", "import boto3, botocore"])
        #expect(probe.status == 0, "python3 with boto3 is needed (make test installs it): \(probe.output)")
        guard probe.status == 0 else { return }
        let directory = TemporaryDirectory()
        let running = try await RunningServer.start(in: directory)
        let result = try await ParticipantConformanceTests.python([
            Self.script, running.addresses.http, testSigner.accessKeyId, testSigner.secretAccessKey,
            running.addresses.socket,
        ])
        try await running.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("every check passed"), "\(result.output)")
    }
}

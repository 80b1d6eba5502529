import Foundation
import ParleyServer
import Testing

/// boto3's own `connectparticipant` client against a real server: `Tests/Conformance/participant_conformance.py`
/// (what it checks is listed there). `make test` installs boto3 first; without python3 and boto3 this test fails
/// and says so.
@Suite struct ParticipantConformanceTests {
    /// The script, found from this file's place in the repository.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance/participant_conformance.py").path

    /// Runs `python3 arguments…`; its exit status and everything it printed.
    static func python(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, output)
    }

    @Test func boto3sParticipantClientWorksAgainstTheServer() async throws {
        let probe = try await Self.python(["-c", "import boto3, botocore; print(botocore.__version__)"])
        #expect(probe.status == 0, "python3 with boto3 is needed (make test installs it): \(probe.output)")
        guard probe.status == 0 else { return }
        let directory = TemporaryDirectory()
        let (contactId, participantToken) = try await ParticipantAPITests.startChat(directory)
        let running = try await RunningServer.start(in: directory)
        let result = try await Self.python([Self.script, running.addresses.http, participantToken, contactId])
        try await running.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("every check passed"), "\(result.output)")
    }
}

import Foundation
import Testing

/// The kill -9 torture harness (`Tools/torture.py`, what it checks is listed there) against the built `parley`:
/// 20 cycles of load, SIGKILL, restart and checks. `make test` installs python3 and boto3 first; without them this
/// test fails and says so. `make torture` runs 1000 cycles.
@Suite struct TortureTests {
    /// The repository, found from this file's place in it.
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built `parley` executable next to the test bundle (or in `.build/debug`).
    private static let executable: URL = {
        let arguments0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            arguments0.deletingLastPathComponent(),
            arguments0.deletingLastPathComponent().deletingLastPathComponent(),
            repository.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("parley")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("parley executable not found near \(CommandLine.arguments[0])")
    }()

    /// A short scratch directory (the query socket's path must fit in 107 bytes), removed afterwards.
    private final class ScratchDirectory: Sendable {
        let path = "/tmp/parley-torture-" + UUID().uuidString.prefix(8).lowercased()
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `python3 ARGUMENTS` to completion; its exit status and everything it printed (through a file, so a long
    /// output never fills a pipe while nobody reads it).
    private static func python(_ arguments: [String], output: String) async throws -> (status: Int32, output: String) {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = repository
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, try String(contentsOfFile: output, encoding: .utf8))
    }

    @Test(.timeLimit(.minutes(5)))
    func everyAcknowledgedWriteSurvivesTwentyKillNineCycles() async throws {
        let scratch = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.path, withIntermediateDirectories: true)
        let probe = try await Self.python(
            ["-c", "import boto3, botocore; print(botocore.__version__)"],
            output: scratch.path + "/probe.txt"
        )
        #expect(probe.status == 0, "python3 with boto3 is needed (make test installs it): \(probe.output)")
        guard probe.status == 0 else { return }

        let result = try await Self.python(
            [
                Self.repository.appendingPathComponent("Tools/torture.py").path,
                "--parley", Self.executable.path,
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

import Foundation

/// Running the repository's tools (`Tools/*.py`) against the built `parley`, for the tests that drive a real server
/// process: where the repository and the executable are, scratch directories, and a child process run to completion.
enum ToolHarness {
    /// The repository, found from this file's place in it.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built `parley` executable next to the test bundle (or in `.build/debug`).
    static let parley: URL = executable("parley")

    /// The built executable `name` next to the test bundle (or in `.build/debug`).
    static func executable(_ name: String) -> URL {
        let arguments0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            arguments0.deletingLastPathComponent(),
            arguments0.deletingLastPathComponent().deletingLastPathComponent(),
            repository.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("\(name) executable not found near \(CommandLine.arguments[0])")
    }

    /// A short scratch directory (the query socket's path must fit in 107 bytes), removed afterwards.
    final class ScratchDirectory: Sendable {
        let path: String

        init(_ label: String) throws {
            path = "/tmp/parley-\(label)-" + UUID().uuidString.prefix(8).lowercased()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `executable ARGUMENTS` in the repository to completion; its exit status and everything it printed
    /// (through a file, so a long output never fills a pipe while nobody reads it).
    static func run(
        _ executable: String,
        _ arguments: [String],
        output: String
    ) async throws -> (status: Int32, output: String) {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
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

    /// Whether python3 with boto3 runs here (`make test` installs it); the output says why not.
    static func pythonWithBoto3(in scratch: ScratchDirectory) async throws -> (ready: Bool, output: String) {
        let probe = try await run(
            "python3",
            ["-c", "import boto3, botocore; print(botocore.__version__)"],
            output: scratch.path + "/probe.txt"
        )
        return (probe.status == 0, probe.output)
    }
}

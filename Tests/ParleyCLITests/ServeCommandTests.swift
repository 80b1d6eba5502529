import Foundation
import Testing

/// `parley serve` and `parley query` as a user runs them: the built binary, real sockets, a real SIGTERM.
@Suite struct ServeCommandTests {
    /// The built `parley` executable next to the test bundle (or in `.build/debug`).
    private static let executable: URL = {
        let arguments0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            arguments0.deletingLastPathComponent(),
            arguments0.deletingLastPathComponent().deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("parley")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("parley executable not found near \(CommandLine.arguments[0])")
    }()

    /// A short data directory path (the socket path must fit in 107 bytes), removed afterwards.
    private final class DataDirectory: Sendable {
        let path = "/tmp/parley-cli-" + UUID().uuidString.prefix(13).lowercased()
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `parley ARGUMENTS` to completion.
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)
        )
    }

    /// Reads standard output until the first line is complete.
    private func firstLine(of handle: FileHandle) -> String {
        var printed = Data()
        while !printed.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        return String(decoding: printed, as: UTF8.self).components(separatedBy: "\n")[0]
    }

    @Test func serveAnnouncesAnswersQueriesAndStopsCleanlyOnSIGTERM() throws {
        let data = DataDirectory()
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = [
            "serve", "--data", data.path, "--port", "0", "--durability", "none", "--log-level", "error",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let line = firstLine(of: output.fileHandleForReading)
        let announced = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            "\(line)"
        )
        #expect(announced["event"] as? String == "listening")
        let socket = try #require(announced["socket"] as? String)
        #expect(socket == data.path + "/parley.sock")
        let port = try #require(announced["port"] as? Int)
        #expect(port > 0)
        #expect(announced["http"] as? String == "http://127.0.0.1:\(port)")
        #expect(announced["position"] as? Int == 0)
        #expect(announced.keys.contains("instance"))

        let status = try run(["query", "/v1/status", "--data", data.path])
        #expect(status.status == 0, "\(status.stderr)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(body["position"] as? Int == 0)

        let missing = try run(["query", "v1/contacts/nobody", "--socket", socket])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("does not exist"))

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))

        // The log was closed cleanly: it verifies and a query to the stopped server fails.
        let verify = try run(["log", "verify", data.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let stopped = try run(["query", "/v1/status", "--data", data.path])
        #expect(stopped.status != 0)
    }

    @Test func aBadConfigurationIsRefusedNamingTheField() throws {
        let data = DataDirectory()
        try FileManager.default.createDirectory(atPath: data.path, withIntermediateDirectories: true)
        let config = data.path + "/parley.json"
        try Data(#"{"dataDirectory": "\#(data.path)", "port": "eighty"}"#.utf8).write(to: URL(fileURLWithPath: config))
        let result = try run(["serve", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("port must be an integer"), "\(result.stderr)")

        let noData = try run(["serve", "--port", "0"])
        #expect(noData.status != 0)
        #expect(noData.stderr.contains("dataDirectory is required"), "\(noData.stderr)")

        let both = try run(["query", "/v1/status"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--data DIR or --socket PATH"), "\(both.stderr)")
    }
}

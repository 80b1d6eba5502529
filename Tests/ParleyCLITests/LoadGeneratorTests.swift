import Foundation
import Testing

/// The load generator (`Tools/LoadGen`, `parley-load`) against the built `parley`: a small run with every behaviour
/// switched on must lose no message, hold its chats, and produce latency percentiles. `make load` runs the
/// 10,000-chat scenario (docs/reliability.md).
@Suite struct LoadGeneratorTests {
    /// The directory holding the built executables (next to the test bundle, or `.build/debug`).
    private static let products: URL = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let arguments0 = URL(fileURLWithPath: CommandLine.arguments[0])
        let candidates = [
            arguments0.deletingLastPathComponent(),
            arguments0.deletingLastPathComponent().deletingLastPathComponent(),
            repository.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("parley-load").path)
            && FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("parley").path)
        {
            return directory
        }
        fatalError("parley and parley-load not found near \(CommandLine.arguments[0])")
    }()

    /// A short scratch directory (the server's query socket must fit in 107 bytes), removed afterwards.
    private final class ScratchDirectory: Sendable {
        let path = "/tmp/parley-load-" + UUID().uuidString.prefix(8).lowercased()
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `parley-load ARGUMENTS` to completion; its exit status and what it printed (through a file, so a long
    /// output never fills a pipe while nobody reads it).
    private static func load(_ arguments: [String], output: String) async throws -> (status: Int32, output: String) {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = products.appendingPathComponent("parley-load")
        process.arguments = arguments
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

    @Test(.timeLimit(.minutes(3)))
    func twentyChatsLoseNoMessageAndReportPercentiles() async throws {
        let scratch = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.path, withIntermediateDirectories: true)
        let reportPath = scratch.path + "/report.json"
        let result = try await Self.load(
            [
                "--parley", Self.products.appendingPathComponent("parley").path,
                "--data", scratch.path + "/data",
                "--chats", "20",
                "--arrival-rate", "20",
                "--message-interval", "1",
                "--think-time", "0.2",
                "--hold", "6",
                "--leave-fraction", "0.25",
                "--away", "1",
                "--switch-fraction", "0.25",
                "--agent-websocket-fraction", "0.5",
                "--concurrency", "5",
                "--agents", "6",
                "--agents-per-instance", "3",
                "--heartbeat", "1",
                "--departure", "1",
                "--seed", "3",
                "--report", reportPath,
            ],
            output: scratch.path + "/load.txt"
        )
        #expect(result.status == 0, "\(result.output)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath)))
        let fields = try #require(report as? [String: Any], "\(result.output)")
        #expect(fields["lost"] as? Int == 0, "\(result.output)")
        #expect(fields["passed"] as? Bool == true, "\(result.output)")
        #expect(fields["chatsMinimumInHold"] as? Int == 20, "\(result.output)")
        #expect(fields["instances"] as? Int == 2, "\(result.output)")
        let figures = try #require(fields["figures"] as? [String: Any])
        let hold = try #require((figures["latencies"] as? [String: Any])?["hold"] as? [String: Any])
        for metric in ["SendMessage", "agent → customer websocket", "customer → agent websocket"] {
            let summary = try #require(hold[metric] as? [String: Any], "no \(metric) in \(result.output)")
            #expect((summary["count"] as? Int ?? 0) > 0, "\(metric): \(summary)")
            let p50 = summary["p50"] as? Double ?? 0
            let p99 = summary["p99"] as? Double ?? 0
            let p999 = summary["p999"] as? Double ?? 0
            #expect(p50 > 0 && p50 <= p99 && p99 <= p999, "\(metric): \(summary)")
        }
        let counts = try #require((figures["counts"] as? [String: Any])?["hold"] as? [String: Int])
        #expect((counts["customer returned"] ?? 0) > 0, "\(result.output)")
        #expect((counts["device switches"] ?? 0) > 0, "\(result.output)")
        #expect(result.output.contains("PASSED"), "\(result.output)")
    }
}

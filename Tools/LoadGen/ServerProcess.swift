import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `parley serve` the load starts itself (on a configuration that lifts the chat quota and the throttles), and
/// readings of its memory and CPU from `/proc`.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: `process` is fully set up before the value is shared; afterwards it is only read and signalled.
    private let process: Process
    /// What the server printed once it listened.
    let listening: Listening
    /// The server's standard error (its log).
    let logPath: String

    /// The fields of the listening line the load uses.
    struct Listening: Decodable, Sendable {
        struct Demo: Decodable, Sendable {
            var instanceId: String
            var inboundFlowId: String
            var queueId: String
            var accessKeyId: String?
            var secretAccessKey: String?
        }
        var http: String
        var demo: Demo?
    }

    /// The configuration file the load writes for the server.
    struct Configuration: Encodable {
        var concurrentActiveChats: Int
        var throttling: Bool
        var logLevel: String
        var durability: String
    }

    private init(process: Process, listening: Listening, logPath: String) {
        self.process = process
        self.listening = listening
        self.logPath = logPath
    }

    /// The server's process id.
    var pid: Int32 { process.processIdentifier }

    /// The process id of the server running now, for a signal handler to stop it.
    static let running = Mutex<Int32?>(nil)

    /// Starts `parley serve --config FILE --data DATA --port 0 --demo` and waits for its listening line.
    static func start(
        parley: String,
        data: String,
        configuration: Configuration
    ) async throws(LoadError)
        -> ServerProcess
    {
        let configPath = data + "/load-config.json"
        let logPath = data + "/serve.log"
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: configPath))
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        } catch {
            throw LoadError(.server, "cannot prepare \(data): \(error)")
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw LoadError(.server, "cannot open \(logPath)")
        }
        defer { try? log.close() }
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: parley)
        process.arguments = ["serve", "--config", configPath, "--data", data, "--port", "0", "--demo"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw LoadError(.server, "cannot start \(parley): \(error)")
        }
        let reader = output.fileHandleForReading
        let line: String? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    bytes.append(contentsOf: chunk)
                    if let newline = bytes.firstIndex(of: 10) {
                        continuation.resume(returning: String(decoding: bytes[..<newline], as: UTF8.self))
                        return
                    }
                }
                continuation.resume(returning: nil)
            }
        }
        guard let line, let listening = try? JSONDecoder().decode(Listening.self, from: Data(line.utf8)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw LoadError(.server, "the server did not announce where it listens; see \(logPath)")
        }
        running.withLock { $0 = process.processIdentifier }
        return ServerProcess(process: process, listening: listening, logPath: logPath)
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds; its exit status (nil if it had to be
    /// killed).
    func stop(grace: Double = 120) async -> Int32? {
        defer { Self.running.withLock { $0 = nil } }
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Clock.now() + UInt64(grace * 1e9)
        while process.isRunning, Clock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    /// The resident set size, in bytes (`VmRSS` of `/proc/PID/status`).
    func residentBytes() -> Int? { ProcessReadings.residentBytes(pid: pid) }

    /// User plus system CPU seconds used so far (`/proc/PID/stat`).
    func cpuSeconds() -> Double? { ProcessReadings.cpuSeconds(pid: pid) }
}

/// Readings of a process from `/proc`, and the open-files limit.
enum ProcessReadings {
    /// `VmRSS` of `/proc/PID/status` in bytes.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// utime + stime of `/proc/PID/stat`, in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After the command's closing parenthesis: state (field 3), …, utime (14), stime (15).
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Open file descriptors of a process (the entries of `/proc/PID/fd`).
    static func openFiles(pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}

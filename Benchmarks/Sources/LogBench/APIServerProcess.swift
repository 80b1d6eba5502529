import BenchChat
import Foundation
import Logging
import ParleyServer

#if canImport(Glibc)
import Glibc
#endif

/// The server of the api phase: this executable started again as `log-bench --api-server CONFIG`, which runs
/// `ParleyServer` exactly as `parley serve` does (same library, release build, demo instance), in a process of its
/// own pinned to one CPU, while the benchmark (the load's client) is pinned to the other.
final class APIServerProcess: @unchecked Sendable {
    // @unchecked: `process` is fully set up before the value is shared; afterwards it is only read and signalled.
    private let process: Process
    /// What the server printed once it listened.
    let listening: Listening
    /// The server's data directory.
    let data: String

    /// The fields of the listening line the phase uses.
    struct Listening: Decodable, Sendable {
        struct Demo: Decodable, Sendable {
            var instanceId: String
            var inboundFlowId: String
            var agentUsername: String
            var agentPassword: String
            var accessKeyId: String?
            var secretAccessKey: String?
        }
        var http: String
        var port: Int
        var demo: Demo?
    }

    private init(process: Process, listening: Listening, data: String) {
        self.process = process
        self.listening = listening
        self.data = data
    }

    /// The server's process id.
    var pid: Int32 { process.processIdentifier }

    /// Starts the server on `data` with `configuration` (written to `data/bench-config.json`), pinned to `cpu` when
    /// given, and waits for its listening line.
    static func start(data: String, configuration: ServerConfiguration, cpu: Int?) async throws -> APIServerProcess {
        let configPath = data + "/bench-config.json"
        let logPath = data + "/serve.log"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: configPath))
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw APIBenchError("cannot open \(logPath)") }
        defer { try? log.close() }
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let output = Pipe()
        let process = Process()
        if let cpu {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", String(cpu), executable, "--api-server", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--api-server", configPath]
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = log
        try process.run()
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
            throw APIBenchError("the server did not announce where it listens; see \(logPath)")
        }
        return APIServerProcess(process: process, listening: listening, data: data)
    }

    /// SIGTERM (the server commits, writes its checkpoint and closes the log), then SIGKILL after `grace` seconds;
    /// whether it exited by itself with status 0.
    func stop(grace: Double = 120) async -> Bool {
        guard process.isRunning else { return process.terminationStatus == 0 }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(grace)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard process.isRunning else { return process.terminationStatus == 0 }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        return false
    }

    /// The resident set size in bytes (`VmRSS` of `/proc/PID/status`).
    func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// User plus system CPU seconds the server has used (`/proc/PID/stat`).
    func cpuSeconds() -> Double { Self.cpuSeconds(pid: pid) }

    /// User plus system CPU seconds of a process (utime + stime of `/proc/PID/stat`); 0 if unreadable.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Pins every thread of this process to `cpus` (a `taskset` list such as `0` or `0-1`); whether it worked.
    static func pinSelf(to cpus: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-a", "-p", "-c", cpus, String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// The child's side: runs the server of `configurationFile` as `parley serve` does, printing the listening line
    /// on standard output, until SIGTERM.
    static func serve(configurationFile: String) async throws {
        let configuration = try JSONDecoder().decode(
            ServerConfiguration.self,
            from: Data(contentsOf: URL(fileURLWithPath: configurationFile))
        )
        signal(SIGXFSZ, SIG_IGN)
        let level = configuration.loggerLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "parley")
        _ = ProcessLimits.raiseOpenFiles()
        let server = ParleyServer(
            configuration: configuration,
            logger: logger,
            onListening: { addresses in
                FileHandle.standardOutput.write(Data((addresses.jsonLine + "\n").utf8))
            }
        )
        try await server.runUntilSignalled()
    }
}

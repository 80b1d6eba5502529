import ArgumentParser
import Foundation
import Logging
import ParleyServer

/// `parley serve --data DIR [--host H] [--port P] [--socket PATH] [--config FILE]`: run the server until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server: the HTTP API on TCP and the query API on a Unix socket, until SIGTERM or SIGINT.",
        discussion: """
            Opens the log in the data directory (replaying it), fires the deadlines that passed while no server ran, \
            then listens. Once both listeners are bound it prints one JSON line to standard output: \
            {"event":"listening","http":"http://127.0.0.1:PORT","instance":…,"port":PORT,"position":N,"socket":PATH}. \
            Logs go to standard error. SIGTERM or SIGINT stops accepting, finishes the requests in flight, closes \
            the log and exits 0. Settings come from --config (a JSON object with dataDirectory, host, port, \
            socketPath, durability, logLevel, maxBodyBytes, maxReadWaitMilliseconds, checkpointEveryEvents, \
            concurrentActiveChats, accessKeys, demo); flags override the file. With --demo the first start \
            creates a demo instance (sample flows, a queue, a demo agent) and prints how to chat with it. \
            See docs/server.md.
            """
    )

    @Option(name: .customLong("data"), help: "The data directory (the log is in its log/ subdirectory).")
    var data: String?

    @Option(help: "The address the HTTP API listens on (default 127.0.0.1).")
    var host: String?

    @Option(help: "The HTTP API's TCP port (default 8321; 0 picks a free one).")
    var port: Int?

    @Option(help: "The query socket (default DATA/parley.sock).")
    var socket: String?

    @Option(help: "A JSON configuration file; flags override its values.")
    var config: String?

    @Option(help: "When the log syncs: always, none or interval:MS (default always).")
    var durability: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(help: "Create (on first start) and announce a demo instance with sample flows, a queue and a demo agent.")
    var demo = false

    func run() async throws {
        let overrides = ServerConfiguration.Overrides(
            dataDirectory: data,
            host: host,
            port: port,
            socketPath: socket,
            durability: durability,
            logLevel: logLevel,
            demo: demo ? true : nil
        )
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(file: config, overrides: overrides)
        } catch {
            throw ValidationError(error.message)
        }
        // A file-size limit (`ulimit -f`) would otherwise kill the process with SIGXFSZ mid-write; ignored, the write
        // fails with EFBIG and the log answers it like a full disk: the command fails and the server goes on.
        signal(SIGXFSZ, SIG_IGN)
        let level = configuration.loggerLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "parley")
        // Every websocket and keep-alive connection holds a descriptor; the usual soft limit (1024) is far below the
        // hard one, so it is raised to the hard limit, and a low hard limit is reported rather than hit unexplained.
        if let files = ProcessLimits.raiseOpenFiles() {
            let level: Logger.Level = files.now < 16_384 ? .warning : .info
            logger.log(
                level: level,
                "open files limit",
                metadata: [
                    "limit.before": "\(files.before)", "limit.now": "\(files.now)", "limit.hard": "\(files.hard)",
                ]
            )
        }
        let server = ParleyServer(
            configuration: configuration,
            logger: logger,
            onListening: { addresses in
                // Unbuffered: scripts and tests wait for this line while the process keeps running.
                FileHandle.standardOutput.write(Data((addresses.jsonLine + "\n").utf8))
                if let demo = addresses.demo {
                    FileHandle.standardError.write(Data((demo.instructions(http: addresses.http) + "\n").utf8))
                }
            }
        )
        try await server.runUntilSignalled()
    }
}

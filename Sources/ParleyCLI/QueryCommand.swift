import ArgumentParser
import Foundation
import ParleyServer

/// `parley query PATH [--data DIR | --socket PATH]`: GET one path of a running server's query socket.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "GET a path of a running server's query API over its Unix socket and print the JSON answer.",
        discussion: """
            PATH is e.g. /v1/status, /v1/queues, /v1/agents, /v1/contacts?state=CONNECTED, /v1/contacts/ID or \
            /v1/timers; add atLeast=N to wait until the server has reached log position N. The answer is printed \
            as it came; an error answer (HTTP status 400 or more) also exits 1. See docs/server.md.
            """
    )

    @Argument(help: "The path to GET, e.g. /v1/status.")
    var path: String

    @Option(name: .customLong("data"), help: "The server's data directory (its socket is DATA/parley.sock).")
    var data: String?

    @Option(help: "The server's query socket.")
    var socket: String?

    func validate() throws {
        if data != nil && socket != nil { throw ValidationError("give --data or --socket, not both") }
        if data == nil && socket == nil { throw ValidationError("give the server's --data DIR or --socket PATH") }
    }

    func run() async throws {
        let socketPath = socket ?? ServerConfiguration(dataDirectory: data ?? ".").resolvedSocketPath
        let target = path.hasPrefix("/") ? path : "/" + path
        let response = try await LocalHTTPClient.send("GET", target, socketPath: socketPath)
        print(response.text)
        if response.status >= 400 { throw ExitCode.failure }
    }
}

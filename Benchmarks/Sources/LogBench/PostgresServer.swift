import BenchChat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server the benchmark runs for itself: `initdb` into a scratch directory, `pg_ctl start` on
/// 127.0.0.1 and a free port (no Unix socket), `fsync=on` and `synchronous_commit=on` with the default
/// `wal_sync_method`; `stop()` shuts it down. As root, the server runs as `nobody` (PostgreSQL refuses root).
final class PostgresServer {
    /// The directory holding the cluster (`data/`) and the logs; owned by the server's user.
    let directory: String
    /// The TCP port on 127.0.0.1.
    let port: Int
    private let binaries: String
    private let user: (uid: uid_t, gid: gid_t)?
    private var running = false

    /// Creates a cluster in `directory` (which must be empty) and starts the server.
    init(directory: String) throws {
        guard let binaries = Self.findBinaries() else {
            throw BenchError("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
        }
        self.directory = directory
        self.binaries = binaries
        if getuid() == 0 {
            guard let entry = getpwnam("nobody") else {
                throw BenchError("running as root and there is no user nobody")
            }
            user = (entry.pointee.pw_uid, entry.pointee.pw_gid)
            guard chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw BenchError("cannot hand \(directory) to nobody: \(String(cString: strerror(errno)))")
            }
        } else {
            user = nil
        }
        port = try Self.freePort()
        try run(
            "initdb",
            "-D",
            dataDirectory,
            "-U",
            "parley",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions"
        )
        let settings = """

            # Set by log-bench.
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''
            fsync = on
            synchronous_commit = on

            """
        try FileTree.append(Array(settings.utf8), to: dataDirectory + "/postgresql.conf")
        try start()
    }

    deinit { stop() }

    /// `directory/data`.
    var dataDirectory: String { directory + "/data" }

    /// The libpq connection string of the `postgres` database.
    var conninfo: String { "host=127.0.0.1 port=\(port) dbname=postgres user=parley connect_timeout=10" }

    /// Starts the server (again) and waits until it accepts connections.
    func start() throws {
        try run("pg_ctl", "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "start")
        running = true
    }

    /// Shuts the server down (fast: open sessions are ended) and waits for it; harmless when not running.
    func stop() {
        guard running else { return }
        running = false
        if (try? run("pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop")) == nil {
            // Immediate shutdown of the postmaster whose pid heads postmaster.pid.
            if let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
                let pid = text.split(separator: "\n").first.flatMap({ Int32($0) })
            {
                kill(pid, SIGQUIT)
            }
        }
    }

    /// The last lines of the server's log, for an error message.
    var logTail: String {
        let text = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(5).joined(separator: " / ")
    }

    /// Runs one of the server binaries as the server's user; throws with its output if it fails.
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`, which on Linux waits for every holder of a
    /// descriptor it hands the child to exit, and the server `pg_ctl start` leaves behind holds it.
    private func run(_ program: String, _ arguments: String...) throws {
        let outputPath = directory + "/\(program).out"
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw BenchError("cannot write \(outputPath): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        if let user { _ = fchown(output, user.uid, user.gid) }
        let command =
            user.map {
                ["/usr/bin/setpriv", "--reuid=\($0.uid)", "--regid=\($0.gid)", "--clear-groups", "--"]
            } ?? []
        // `env -C`: the server's user may not be able to enter the benchmark's working directory.
        let argv = ["/usr/bin/env", "-C", directory] + command + [binaries + "/" + program] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["HOME"] = directory
        let envp = environment.map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { argv in
            withCStrings(envp) { envp in posix_spawn(&pid, argv[0]!, &actions, nil, argv, envp) }
        }
        guard spawned == 0 else {
            throw BenchError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7F == 0
        let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").suffix(4).joined(separator: " / ")
            throw BenchError("\(program) exited with \(code): \(lines) \(logTail)")
        }
    }

    /// The directory of `initdb`, `pg_ctl` and `postgres`: the newest `/usr/lib/postgresql/N/bin`, else
    /// `/usr/local/bin`.
    private static func findBinaries() -> String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        let candidates = versions.map { "/usr/lib/postgresql/\($0)/bin" } + ["/usr/local/bin", "/usr/bin"]
        return candidates.first { directory in
            ["initdb", "pg_ctl", "postgres"].allSatisfy { access(directory + "/" + $0, X_OK) == 0 }
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
    private static func freePort() throws -> Int {
        let socketHandle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketHandle >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socketHandle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketHandle, generic, length) == 0 && getsockname(socketHandle, generic, &length) == 0
            }
        }
        guard bound else { throw BenchError("cannot find a free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}

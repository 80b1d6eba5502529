import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ParleyDomain
import ParleyEffects
import ParleyEngine
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A running Parley instance: the engine, the effect runners, the HTTP API on TCP and the query API on a Unix domain
/// socket, as one `Service`.
///
/// `run()` opens the engine (replaying the log), fires the deadlines that passed while nothing ran, starts the
/// scheduler and the Lambda runner, then serves both listeners until graceful shutdown (SIGTERM/SIGINT under
/// `runUntilSignalled()`, or `shutdown()`): the listeners stop accepting and finish the requests in flight, the
/// socket file is removed, and the engine commits what was submitted and closes the log.
///
/// ```swift
/// let server = ParleyServer(configuration: ServerConfiguration(dataDirectory: "/var/lib/parley"), logger: logger)
/// try await server.runUntilSignalled()
/// ```
public final class ParleyServer: Service, Sendable {
    /// The configuration it runs with.
    public let configuration: ServerConfiguration
    private let logger: Logger
    private let clock: any EngineClock
    private let lambdaTransport: LambdaRunner.Transport
    private let onListening: @Sendable (ListeningAddresses) -> Void
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle {
        var started = false
        var tcpPort: Int?
        var socket: QuerySocketFile.Identity?
        var addresses: ListeningAddresses?
        var failure: ServerError?
        var finished = false
        var waiters: [CheckedContinuation<Result<ListeningAddresses, ServerError>, Never>] = []
        var listeners: ServiceGroup?
        var shutdownRequested = false
        var demo: DemoInstance?
    }

    /// Creates a server; nothing happens until `run()`.
    /// - Parameters:
    ///   - configuration: Where the data is and where to listen.
    ///   - logger: The logger of the server and its listeners.
    ///   - clock: The engine's clock (tests pass a `ManualClock`).
    ///   - lambdaTransport: How Lambda calls are made (tests pass a stub).
    ///   - onListening: Called once, when both listeners are bound (`serve` prints the JSON line).
    public init(
        configuration: ServerConfiguration,
        logger: Logger = Logger(label: "parley.server"),
        clock: any EngineClock = SystemClock(),
        lambdaTransport: @escaping LambdaRunner.Transport = LambdaRunner.httpPost,
        onListening: @escaping @Sendable (ListeningAddresses) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.lambdaTransport = lambdaTransport
        self.onListening = onListening
    }

    /// Runs under a `ServiceGroup` that shuts the server down gracefully on `signals`.
    /// - Parameter signals: The signals that start a graceful shutdown.
    public func runUntilSignalled(_ signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [self], gracefulShutdownSignals: signals, logger: logger)
        )
        try await group.run()
    }

    /// Waits until both listeners are bound and returns their addresses; throws the server's error if it failed, or
    /// `.notRunning` once it has stopped.
    public func listening() async throws(ServerError) -> ListeningAddresses {
        let result = await withCheckedContinuation { continuation in
            let immediate = lifecycle.withLock { state -> Result<ListeningAddresses, ServerError>? in
                if let addresses = state.addresses { return .success(addresses) }
                if let failure = state.failure { return .failure(failure) }
                if state.finished { return .failure(ServerError(.notRunning, "the server has stopped")) }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        return try result.get()
    }

    /// Starts a graceful shutdown: as if SIGTERM arrived. `run()` returns once the engine is closed.
    public func shutdown() async {
        let listeners = lifecycle.withLock { state -> ServiceGroup? in
            state.shutdownRequested = true
            return state.listeners
        }
        await listeners?.triggerGracefulShutdown()
    }

    /// Opens the engine, serves until graceful shutdown or cancellation, then closes the engine.
    public func run() async throws {
        let first = lifecycle.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard first else { throw ServerError(.notRunning, "a server runs only once; create a new one") }
        do throws(ServerError) {
            try await serve()
            finish(nil)
        } catch {
            logger.error("server stopped", metadata: ["error": "\(error)"])
            finish(error)
            throw error
        }
    }

    private func serve() async throws(ServerError) {
        try configuration.validate()
        let opener = InstanceOpener(
            configuration: configuration,
            clock: clock,
            logger: logger,
            lambdaTransport: lambdaTransport
        )
        let instances = try await InstanceRegistry.open(opener)
        if configuration.effectiveAccessKeys.isEmpty {
            logger.warning(
                "no accessKeys configured: the Connect control plane refuses every call (see docs/server.md)"
            )
        }
        if configuration.demo {
            do throws(ServerError) {
                let demo = try await DemoInstance.ensure(instances, accessKeys: configuration.effectiveAccessKeys)
                lifecycle.withLock { $0.demo = demo }
            } catch {
                await instances.close()
                throw error
            }
        }
        var failure: ServerError?
        do throws(ServerError) {
            try await serveListeners(instances)
        } catch {
            failure = error
        }
        if let socket = lifecycle.withLock({ $0.socket }) {
            QuerySocketFile.remove(configuration.resolvedSocketPath, identity: socket)
        }
        await instances.close()
        logger.info("engines closed", metadata: ["log.position": "\(instances.home.snapshot.position)"])
        if let failure { throw failure }
        // A writer that stopped (a failed fdatasync) is a failed run: the exit status says so, and a supervisor that
        // restarts the server gets the recovery that reopening the log performs.
        for state in instances.engines {
            guard let stopped = state.engine.writerFailure else { continue }
            throw ServerError(
                .engine,
                "the log writer of instance \(state.snapshot.state.instance?.instanceId ?? "home") stopped while the "
                    + "server ran: \(stopped); restart the server to recover the log"
            )
        }
    }

    private func serveListeners(_ instances: InstanceRegistry) async throws(ServerError) {
        let socketPath = configuration.resolvedSocketPath
        let state = instances.home
        try QuerySocketFile.prepare(socketPath)
        let http = Application(
            router: Routes.http(instances),
            server: .http1WebSocketUpgrade { request, _, _ in
                await ParticipantWebSocket.shouldUpgrade(request, instances: instances)
            },
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                self.bound(tcpPort: channel.localAddress?.port, state: state)
            },
            logger: logger
        )
        let socket = Application(
            router: Routes.querySocket(instances),
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socketPath)),
            onServerRunning: { _ in
                do throws(ServerError) {
                    let identity = try QuerySocketFile.restrict(socketPath)
                    self.bound(tcpPort: nil, socket: identity, state: state)
                } catch {
                    self.failBeforeListening(error)
                    await self.shutdown()
                }
            },
            logger: logger
        )
        let listeners = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [http, socket], logger: logger)
        )
        let stopAtOnce = lifecycle.withLock { lifecycle in
            lifecycle.listeners = listeners
            return lifecycle.shutdownRequested
        }
        if stopAtOnce { await listeners.triggerGracefulShutdown() }
        do {
            try await listeners.run()
        } catch {
            throw ServerError(.listener, "a listener failed: \(error)", underlying: error)
        }
        logger.info("listeners stopped")
        if let failure = lifecycle.withLock({ $0.failure }) { throw failure }
    }

    /// Notes a bound listener; once both are, announces the addresses.
    private func bound(tcpPort: Int?, socket: QuerySocketFile.Identity? = nil, state: ServerState) {
        let announce = lifecycle.withLock { lifecycle -> ListeningAddresses? in
            if let tcpPort { lifecycle.tcpPort = tcpPort }
            if let socket { lifecycle.socket = socket }
            guard lifecycle.addresses == nil, let port = lifecycle.tcpPort, lifecycle.socket != nil else { return nil }
            let snapshot = state.snapshot
            let addresses = ListeningAddresses(
                host: configuration.host,
                port: port,
                socket: configuration.resolvedSocketPath,
                instance: snapshot.state.instance?.instanceId,
                position: snapshot.position,
                demo: lifecycle.demo
            )
            lifecycle.addresses = addresses
            return addresses
        }
        guard let announce else { return }
        logger.info(
            "listening",
            metadata: ["http.url": "\(announce.http)", "socket.path": "\(announce.socket)"]
        )
        onListening(announce)
        resumeWaiters(with: .success(announce))
    }

    private func failBeforeListening(_ error: ServerError) {
        lifecycle.withLock { if $0.failure == nil { $0.failure = error } }
    }

    private func finish(_ error: ServerError?) {
        lifecycle.withLock {
            $0.finished = true
            $0.addresses = nil
            if $0.failure == nil { $0.failure = error }
        }
        resumeWaiters(with: .failure(error ?? ServerError(.notRunning, "the server stopped before it listened")))
    }

    private func resumeWaiters(with result: Result<ListeningAddresses, ServerError>) {
        let waiters = lifecycle.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }
}

/// Where a running server listens: what `parley serve` prints as one JSON line once both listeners are bound.
public struct ListeningAddresses: Sendable, Equatable, Encodable {
    /// Always `listening`.
    public var event = "listening"
    /// The HTTP API's base URL, e.g. `http://127.0.0.1:8321`.
    public var http: String
    /// The bound TCP port (the real one when 0 was configured).
    public var port: Int
    /// The query socket's path.
    public var socket: String
    /// The instance id, once the log has one.
    public var instance: String?
    /// The log position when the listeners came up.
    public var position: UInt64
    /// The demo instance, when the server runs with `--demo`.
    public var demo: DemoInstance?

    /// Describes a server listening on `host:port` and `socket`.
    public init(
        host: String,
        port: Int,
        socket: String,
        instance: String?,
        position: UInt64,
        demo: DemoInstance? = nil
    ) {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        http = "http://\(bracketed):\(port)"
        self.port = port
        self.socket = socket
        self.instance = instance
        self.position = position
        self.demo = demo
    }

    enum CodingKeys: String, CodingKey {
        case event, http, port, socket, instance, position, demo
    }

    /// Encodes every field, `instance` as null when there is none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event, forKey: .event)
        try container.encode(http, forKey: .http)
        try container.encode(port, forKey: .port)
        try container.encode(socket, forKey: .socket)
        try container.encode(instance, forKey: .instance)
        try container.encode(position, forKey: .position)
        try container.encodeIfPresent(demo, forKey: .demo)
    }

    /// The one-line JSON announcement (sorted keys, no trailing newline).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension ServerConfiguration {
    /// The engine's checkpoint policy: every `checkpointEveryEvents` events and at shutdown; loaded at start.
    var checkpoints: CheckpointPolicy { CheckpointPolicy(everyEvents: checkpointEveryEvents) }
}

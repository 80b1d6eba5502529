import Foundation
import Hummingbird
import Logging
import ParleyDomain
import ParleyEffects
import ParleyEngine
import Synchronization

/// The Amazon Connect instances one server runs. An instance is the unit of isolation: each has its own engine
/// (single writer), log, checkpoints, queues, flows, agents and contacts.
///
/// The data directory's own log (`DIR/log`) is the home instance: a fresh directory's first CreateInstance configures
/// it, and the agent API and the query socket answer for it unless told otherwise. Instances created after it live in
/// `DIR/instances/<InstanceId>/`, each a complete data directory that every `parley` command accepts.
public final class InstanceRegistry: Sendable {
    /// The data directory's own instance (it may not be configured yet).
    public let home: ServerState
    /// The Prometheus metrics of the server, shared by every instance.
    var metrics: ServerMetrics { opener.metrics }
    private let opener: InstanceOpener
    private let hosted: Mutex<Hosted>

    private struct Hosted {
        /// Instances other than home, by id, in the order they were opened or created.
        var others: [(id: String, state: ServerState)] = []
        /// The Lambda runners of every open instance.
        var runners: [Task<Void, Never>] = []
        /// Aliases and the home slot taken by CreateInstance calls in flight.
        var reservedAliases: Set<String> = []
        var homeReserved = false
        var closed = false
    }

    /// The directory that holds instances other than home.
    static let instancesFolder = "instances"
    /// Instances one server runs at most (CreateInstance answers ServiceQuotaExceededException beyond).
    public static let maxInstances = 100

    private init(home: ServerState, runner: Task<Void, Never>, opener: InstanceOpener) {
        self.home = home
        self.opener = opener
        hosted = Mutex(Hosted(runners: [runner]))
    }

    /// Opens the home instance and every instance under `DIR/instances/`: replays each log, fires the deadlines that
    /// passed while nothing ran and starts its scheduler and Lambda runner.
    static func open(_ opener: InstanceOpener) async throws(ServerError) -> InstanceRegistry {
        let (home, runner) = try await opener.open(directory: opener.configuration.dataDirectory)
        let registry = InstanceRegistry(home: home, runner: runner, opener: opener)
        let folder = opener.configuration.dataDirectory + "/" + instancesFolder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory),
                isDirectory.boolValue
            else { continue }
            let opened: (ServerState, Task<Void, Never>)
            do {
                opened = try await opener.open(directory: folder + "/" + name)
            } catch {
                await registry.close()
                throw error
            }
            let (state, task) = opened
            guard let instance = state.snapshot.state.instance, instance.instanceId == name else {
                opener.logger.warning(
                    "instance directory passed over: its log does not belong to instance \(name)",
                    metadata: ["instance.directory": "\(folder)/\(name)"]
                )
                await InstanceOpener.close(state, runner: task)
                continue
            }
            registry.hosted.withLock {
                $0.others.append((name, state))
                $0.runners.append(task)
            }
        }
        return registry
    }

    /// Every configured instance, home first.
    public var all: [ServerState] {
        let others = hosted.withLock { $0.others.map(\.state) }
        return (home.snapshot.state.instance == nil ? [] : [home]) + others
    }

    /// Every open engine (home even when it is not configured yet), for metrics and shutdown.
    var engines: [ServerState] { [home] + hosted.withLock { $0.others.map(\.state) } }

    /// The instance named by `identifier` (its id or its ARN), or ResourceNotFoundException.
    public func state(for identifier: String) throws(APIError) -> ServerState {
        let id = Self.instanceId(from: identifier)
        if home.snapshot.state.instance?.instanceId == id { return home }
        if let found = hosted.withLock({ $0.others.first(where: { $0.id == id })?.state }) { return found }
        throw APIError(
            .resourceNotFound,
            "Instance not found: \(identifier.prefix(200))",
            resourceId: String(identifier.prefix(200)),
            resourceType: "INSTANCE"
        )
    }

    /// The instance id in an instance ARN (`arn:aws:connect:REGION:ACCOUNT:instance/ID`), or `identifier` itself.
    static func instanceId(from identifier: String) -> String {
        guard identifier.hasPrefix("arn:"), let range = identifier.range(of: ":instance/") else { return identifier }
        return String(identifier[range.upperBound...].prefix { $0 != "/" })
    }

    /// The instance whose participants hold `token` (a participant, connection or websocket token), or home.
    func owner(ofToken token: String) -> ServerState {
        // With home alone there is nothing to choose: home answers, and refuses a token it does not know.
        guard let others = hosted.withLock({ $0.others.isEmpty ? nil : $0.others.map(\.state) }) else { return home }
        for state in [home] + others {
            // Read through the snapshot, not out of it: binding its state would copy every reference it holds.
            let snapshot = state.snapshot
            if snapshot.state.holdsToken(token) {
                return state
            }
        }
        return home
    }

    /// The instance a query-socket request asks about: `?instance=<id or ARN>`, or home.
    func forQuery(_ request: Request) throws(APIError) -> ServerState {
        guard let identifier = request.query("instance") else { return home }
        return try state(for: identifier)
    }

    /// The instance whose agent desk holds the session `token`, or home.
    func owner(ofSession token: String?) -> ServerState {
        guard let token, !token.isEmpty else { return home }
        for state in engines where ChatQueries.agentUser(sessionToken: token, in: state.snapshot.state) != nil {
            return state
        }
        return home
    }

    /// CreateInstance: configures the home instance if it is still fresh, otherwise creates, opens and configures a
    /// new instance in `DIR/instances/<id>/`. `id` is the new instance's id (a fresh UUID from the caller).
    public func create(_ settings: InstanceSettings) async throws(APIError) -> ServerState {
        do {
            try settings.check()
        } catch {
            throw APIError(error)
        }
        let target = try reserve(settings)
        defer {
            hosted.withLock { hosted in
                if let alias = settings.alias { hosted.reservedAliases.remove(alias.lowercased()) }
                if target == nil { hosted.homeReserved = false }
            }
        }
        if target == nil {
            try await configure(home, settings)
            return home
        }
        let directory = opener.configuration.dataDirectory + "/" + Self.instancesFolder + "/" + settings.instanceId
        let opened: (ServerState, Task<Void, Never>)
        do {
            opened = try await opener.open(directory: directory)
        } catch {
            throw APIError(.internalService, "cannot open a log for the new instance: \(error)")
        }
        let (state, runner) = opened
        do {
            try await configure(state, settings)
        } catch {
            await InstanceOpener.close(state, runner: runner)
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let closed = hosted.withLock { hosted in
            if !hosted.closed {
                hosted.others.append((settings.instanceId, state))
                hosted.runners.append(runner)
            }
            return hosted.closed
        }
        if closed {
            await InstanceOpener.close(state, runner: runner)
            throw APIError(.serviceUnavailable, "the server is shutting down")
        }
        return state
    }

    /// Takes the alias and the slot (nil: home; otherwise a new directory), or refuses a duplicate or one too many.
    private func reserve(_ settings: InstanceSettings) throws(APIError) -> String? {
        let taken = Set(all.compactMap { $0.snapshot.state.instance?.alias?.lowercased() })
        return try hosted.withLock { hosted throws(APIError) -> String? in
            guard !hosted.closed else { throw APIError(.serviceUnavailable, "the server is shutting down") }
            if let alias = settings.alias?.lowercased() {
                guard !taken.contains(alias), !hosted.reservedAliases.contains(alias) else {
                    throw APIError(
                        APIError.Code(name: "InvalidRequestException", httpStatus: 400),
                        "an instance with the alias \(settings.alias ?? alias) exists already"
                    )
                }
                hosted.reservedAliases.insert(alias)
            }
            if home.snapshot.state.instance == nil, !hosted.homeReserved {
                hosted.homeReserved = true
                return nil
            }
            guard hosted.others.count + 1 < Self.maxInstances else {
                if let alias = settings.alias?.lowercased() { hosted.reservedAliases.remove(alias) }
                throw APIError(
                    APIError.Code(name: "ServiceQuotaExceededException", httpStatus: 402),
                    "a server runs at most \(Self.maxInstances) instances"
                )
            }
            return settings.instanceId
        }
    }

    private func configure(_ state: ServerState, _ settings: InstanceSettings) async throws(APIError) {
        switch await state.engine.submit(.createInstance(settings)) {
        case .success: return
        case .failure(let error): throw APIError(error)
        }
    }

    /// Closes every engine: commits what was submitted, closes the logs and stops the Lambda runners.
    func close() async {
        let (others, runners) = hosted.withLock { hosted in
            hosted.closed = true
            return (hosted.others.map(\.state), hosted.runners)
        }
        // Close before stopping the runners: a Lambda call cut short by the shutdown must not record a failure;
        // once the engine is closed its answer is refused and the call is made again after a restart.
        for state in [home] + others {
            await state.engine.close()
            if let problem = state.engine.checkpointFailure {
                opener.logger.warning(
                    "no checkpoint written at shutdown: the log holds every change, the next start replays more of it",
                    metadata: ["instance": "\(state.snapshot.state.instance?.instanceId ?? "")", "error": "\(problem)"]
                )
            }
        }
        for runner in runners { runner.cancel() }
        for runner in runners { await runner.value }
    }
}

/// Opens one instance's engine the way the server runs it.
struct InstanceOpener: Sendable {
    let configuration: ServerConfiguration
    let clock: any EngineClock
    let logger: Logger
    let lambdaTransport: LambdaRunner.Transport
    let metrics = ServerMetrics()
    let throttles: Throttles
    let logins: LoginGuard

    init(
        configuration: ServerConfiguration,
        clock: any EngineClock,
        logger: Logger,
        lambdaTransport: @escaping LambdaRunner.Transport
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.lambdaTransport = lambdaTransport
        throttles = Throttles(enabled: configuration.throttling, overrides: configuration.throttles)
        logins = LoginGuard(allowed: configuration.maxFailedLogins)
    }

    /// Opens the log in `directory` (replaying it), fires overdue deadlines, starts the scheduler and the Lambda
    /// runner; the state's configuration names `directory` as its data directory.
    func open(directory: String) async throws(ServerError) -> (ServerState, Task<Void, Never>) {
        let engine: Engine<ChatMachine>
        do {
            engine = try await Engine<ChatMachine>.open(
                dataDirectory: directory,
                options: configuration.logOptions,
                clock: clock,
                projections: ChatMachine.projections,
                checkpoints: configuration.checkpoints
            )
        } catch {
            throw ServerError(.engine, "cannot open the log in \(directory): \(error)", engineError: error)
        }
        var metadata: Logger.Metadata = [
            "data.directory": "\(directory)", "log.position": "\(engine.snapshot.position)",
        ]
        if let instance = engine.snapshot.state.instance { metadata["instance.id"] = "\(instance.instanceId)" }
        if let recovery = engine.recovery { metadata["log.recovered"] = "\(recovery)" }
        let opened = engine.openReport
        metadata["open.seconds"] = "\(opened.seconds)"
        metadata["open.replayed"] = "\(opened.replayedRecords)"
        if let checkpoint = opened.checkpoint { metadata["open.checkpoint"] = "\(checkpoint)" }
        if !opened.rebuilding.isEmpty { metadata["projections.rebuilding"] = "\(opened.rebuilding)" }
        logger.info("engine open", metadata: metadata)
        for rejected in opened.rejected {
            logger.warning("checkpoint passed over", metadata: ["checkpoint": "\(rejected)"])
        }
        var fired = 0
        while true {
            let round = await engine.fireDueTimers()
            if round == 0 { break }
            fired += round
        }
        if fired > 0 {
            logger.info(
                "fired overdue deadlines",
                metadata: ["timer.commands": "\(fired)", "data.directory": "\(directory)"]
            )
        }
        await engine.startScheduler()
        let runner = LambdaRunner(engine: engine, transport: lambdaTransport).start()
        var own = configuration
        own.dataDirectory = directory
        let state = ServerState(
            engine: engine,
            configuration: own,
            clock: clock,
            logger: logger,
            metrics: metrics,
            throttles: throttles,
            logins: logins
        )
        return (state, runner)
    }

    /// Closes one instance opened by `open`.
    static func close(_ state: ServerState, runner: Task<Void, Never>) async {
        await state.engine.close()
        runner.cancel()
        await runner.value
    }
}

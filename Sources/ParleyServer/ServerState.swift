import Hummingbird
import Logging
import ParleyDomain
import ParleyEngine
import Synchronization

/// What every route handler shares: the engine, the configuration, the clock and the logger.
///
/// Handlers read `snapshot` (or `snapshot(for:)`, which honours `?atLeast=`) and answer from the domain's queries;
/// they change state only through `submit`, which goes through the engine's single writer.
public final class ServerState: Sendable {
    /// The single writer of this instance.
    public let engine: Engine<ChatMachine>
    /// The configuration the server runs with.
    public let configuration: ServerConfiguration
    /// The engine's clock (µs since the Unix epoch); queries that depend on "now" read it.
    public let clock: any EngineClock
    /// The server's logger; handlers should prefer `context.logger`, which carries the request id.
    public let logger: Logger
    /// When the server started (µs).
    public let startedAt: Int64
    /// The server's Prometheus metrics (`GET /metrics`), shared by its instances.
    public let metrics: ServerMetrics
    /// The request rates of the chat operations, shared by the instances (each has its own buckets).
    public let throttles: Throttles
    /// Failed agent logins, shared by the instances (each user name counted per instance).
    public let logins: LoginGuard
    /// Wakes websockets and agent event streams when their chat or feed changes.
    let changes = ChangeWatch()

    /// Creates the shared state of a running server.
    public init(
        engine: Engine<ChatMachine>,
        configuration: ServerConfiguration,
        clock: any EngineClock,
        logger: Logger,
        metrics: ServerMetrics = ServerMetrics(),
        throttles: Throttles = Throttles(enabled: false),
        logins: LoginGuard = LoginGuard(allowed: 0)
    ) {
        self.engine = engine
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.throttles = throttles
        self.logins = logins
        startedAt = clock.now()
        engine.observeCommits { [changes] snapshot, events in changes.committed(snapshot, events) }
    }

    /// The latest committed state and its log position; never waits.
    public var snapshot: Snapshot<ChatState> { engine.snapshot }

    /// The snapshot a query answers from: the latest, or — with `?atLeast=N` — the first at position N or later,
    /// waiting at most `maxReadWaitMilliseconds`.
    /// - Parameter request: The request whose `atLeast` query parameter is honoured.
    public func snapshot(for request: Request) async throws(APIError) -> Snapshot<ChatState> {
        guard let text = request.query("atLeast") else { return snapshot }
        guard let position = UInt64(text) else {
            throw APIError(.invalidParameter, "atLeast must be a log position (a non-negative integer), not \(text)")
        }
        return try await snapshot(atLeast: position)
    }

    /// The first snapshot at `position` or later, waiting at most `maxReadWaitMilliseconds`; after that (or when the
    /// engine closes first) `APIError.Code.positionNotReached`.
    /// - Parameter position: The log position the answer must include.
    public func snapshot(atLeast position: UInt64) async throws(APIError) -> Snapshot<ChatState> {
        let current = snapshot
        if current.position >= position { return current }
        let limit = Swift.Duration.milliseconds(configuration.maxReadWaitMilliseconds)
        let reached = await Self.waitForSnapshot(of: engine, atLeast: position, timeout: limit)
        guard let reached, reached.position >= position else {
            let head = reached?.position ?? snapshot.position
            throw APIError(
                .positionNotReached,
                "the log did not reach position \(position) within \(configuration.maxReadWaitMilliseconds) ms "
                    + "(it is at \(head))"
            )
        }
        return reached
    }

    /// The configured instance id ("" before the instance is configured).
    public var instanceId: String { snapshot.state.instance?.instanceId ?? "" }

    /// Takes a token of `operation`'s per-instance rate, or refuses with ThrottlingException (429).
    public func admit(_ operation: String) throws(APIError) {
        try throttles.admit(operation, instance: instanceId)
    }

    /// Submits `command` and answers with an empty JSON object, or the Amazon error response of its refusal.
    ///
    /// Every answer carries `x-parley-position`: after a success it includes the command's own events, so a query
    /// with `?atLeast=` that position reads the write.
    /// - Parameter command: The command.
    public func submit(_ command: ChatCommand) async -> Response {
        await submit(command) { _ in EmptyBody() }
    }

    /// Submits `command`; on success answers with `respond(reply)` as JSON, otherwise the Amazon error response.
    /// - Parameters:
    ///   - command: The command.
    ///   - respond: Turns the engine's reply into the operation's response body; may refuse with an `APIError`.
    public func submit<Body: Encodable>(
        _ command: ChatCommand,
        respond: (ChatReply) throws(APIError) -> Body
    ) async -> Response {
        var response: Response
        switch await engine.submit(command) {
        case .success(let reply):
            do {
                response = JSONResponse.make(try respond(reply))
            } catch {
                response = error.response
            }
        case .failure(let error):
            if error.code.httpStatus >= 500 {
                // The log could not record it (a full disk, a failed sync): the operator must hear of it.
                logger.error(
                    "command failed",
                    metadata: [
                        "command": "\(String(describing: command).prefix { $0 != "(" })",
                        "error.type": "\(error.code.name)", "error": "\(error.message)",
                    ]
                )
            }
            response = APIError(error).response
        }
        response.headers[.parleyPosition] = String(engine.snapshotPosition)
        return response
    }

    private struct EmptyBody: Encodable {}

    /// Waits for `engine` to publish `position`, at most `timeout`; nil if the time ran out first.
    ///
    /// `Engine.waitForSnapshot(atLeast:)` does not end on cancellation, so it runs in a task of its own that the
    /// timeout races: a wait that loses ends when the position arrives or the engine closes.
    static func waitForSnapshot(
        of engine: Engine<ChatMachine>,
        atLeast position: UInt64,
        timeout: Swift.Duration
    ) async -> Snapshot<ChatState>? {
        await race(timeout) { await engine.waitForSnapshot(atLeast: position) }
    }

    /// Whether `work` finished within `timeout` (it keeps running if not).
    static func firstOf(_ timeout: Swift.Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        await race(timeout) {
            await work()
            return true
        } ?? false
    }

    /// The answer of `work`, or nil if `timeout` passes first; `work` runs in a task of its own that is not
    /// cancelled (engine waits do not end on cancellation).
    private static func race<Value: Sendable>(
        _ timeout: Swift.Duration,
        _ work: @escaping @Sendable () async -> Value
    ) async -> Value? {
        let race = FirstAnswer<Value?>()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            race.wait(continuation)
            let sleeper = Task {
                try? await Task.sleep(for: timeout)
                race.answer(nil)
            }
            Task {
                let value = await work()
                race.answer(value)
                sleeper.cancel()
            }
        }
    }
}

/// Resumes one continuation with the first of several answers; later answers are dropped.
final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    /// Registers the continuation to resume.
    func wait(_ waiting: CheckedContinuation<Value, Never>) {
        continuation.withLock { $0 = waiting }
    }

    /// Resumes the continuation with `value` unless an answer came first.
    func answer(_ value: Value) {
        let waiting = continuation.withLock { stored -> CheckedContinuation<Value, Never>? in
            defer { stored = nil }
            return stored
        }
        waiting?.resume(returning: value)
    }
}

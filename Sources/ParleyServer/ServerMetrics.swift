import EventLog
import HTTPTypes
import Hummingbird
import ParleyDomain
import ParleyEngine
import Prometheus
import Synchronization

/// The Prometheus metrics of one server: request counts and durations, recorded as requests are answered, and
/// gauges read from each instance's latest snapshot when `/metrics` is scraped.
///
/// It owns its own `PrometheusCollectorRegistry` (nothing is bootstrapped process-wide), so several servers in one
/// process keep apart. Durations are measured on `ContinuousClock`: they are measurements, not domain time.
public final class ServerMetrics: Sendable {
    /// The content type of the text exposition format the scrape answers with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The upper bounds of the request duration histogram's buckets.
    public static let durationBuckets: [Swift.Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]

    /// The route label of a request no route matched.
    public static let unmatchedRoute = "unmatched"

    /// The registry of the request metrics.
    public let registry: PrometheusCollectorRegistry
    /// The version `parley_build_info` reports.
    public let version: String
    private let started: ContinuousClock.Instant
    /// The counter and histogram of each (method, route, status) seen: looked up in the registry once, not per
    /// request (the registry's lookup builds the metric's name and label key every time). Routes are patterns and
    /// methods and statuses few, so it stays small.
    private let series = Mutex<[SeriesKey: (counter: Counter, histogram: DurationHistogram)]>([:])

    private struct SeriesKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// Creates the metrics of one server, with an empty registry.
    /// - Parameter version: The version `parley_build_info` reports.
    public init(version: String = "unknown") {
        registry = PrometheusCollectorRegistry()
        self.version = version
        started = ContinuousClock.now
    }

    /// Counts one answered request and records how long it took.
    /// - Parameters:
    ///   - method: The request method (methods outside the standard ones are counted as `OTHER`).
    ///   - endpoint: The matched route pattern (`context.endpointPath`); nil or Hummingbird's `NotFound` is
    ///     counted as `unmatched`.
    ///   - status: The response status.
    ///   - duration: From the request's arrival at the middleware until its response head was ready.
    public func recordRequest(
        method: HTTPRequest.Method,
        endpoint: String?,
        status: HTTPResponse.Status,
        duration: Swift.Duration
    ) {
        let key = SeriesKey(method: Self.methodLabel(method), route: Self.routeLabel(endpoint), status: status.code)
        let (counter, histogram) = series.withLock { known in
            if let found = known[key] { return found }
            let made = makeSeries(key)
            known[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// Finds or makes, in the registry, the request counter and duration histogram of `key`.
    private func makeSeries(_ key: SeriesKey) -> (counter: Counter, histogram: DurationHistogram) {
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "parley",
                subsystem: "http",
                metricName: "requests",
                unitName: "total",
                helpText: "HTTP requests answered, by method, matched route pattern and status."
            ),
            labels: [("method", key.method), ("route", key.route), ("status", String(key.status))]
        )
        let histogram = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "parley",
                subsystem: "http",
                metricName: "request_duration",
                unitName: "seconds",
                helpText: "Time from a request's arrival until its response head was ready, by method and route."
            ),
            labels: [("method", key.method), ("route", key.route)],
            buckets: Self.durationBuckets
        )
        return (counter, histogram)
    }

    /// The text exposition format (version 0.0.4): the request metrics, then the process and instance gauges.
    /// - Parameter instances: The instances to report; each one's series carry `instance="<instance id>"` (empty
    ///   before the log is configured).
    public func render(instances: [ServerState]) -> String {
        var text = registry.emitToString()
        var writer = ExpositionWriter()
        let uptime = started.duration(to: .now)
        writer.family(
            "parley_uptime_seconds",
            type: "gauge",
            help: "Seconds since this server started serving (monotonic)."
        ) { $0.sample(value: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18) }
        writer.family(
            "parley_build_info",
            type: "gauge",
            help: "Always 1; the version label says which build runs."
        ) { $0.sample(["version": version], value: 1) }
        let readings = instances.map(InstanceReading.init)
        for family in InstanceReading.families {
            writer.family(family.name, type: family.type, help: family.help) { samples in
                for reading in readings { family.samples(reading, &samples) }
            }
        }
        text += writer.text
        return text
    }

    /// `GET`, `POST`, … as they are; any other method as `OTHER` (the label's values stay few).
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options, .connect, .trace: method.rawValue
        default: "OTHER"
        }
    }

    /// The route pattern, or `unmatched` when no route matched: never the raw path.
    static func routeLabel(_ endpoint: String?) -> String {
        guard let endpoint, endpoint != "NotFound" else { return unmatchedRoute }
        return endpoint
    }
}

/// Counts every request a router answers in `ServerMetrics`: `parley_http_requests_total{method,route,status}` and
/// `parley_http_request_duration_seconds{method,route}`.
///
/// Add it to a router first, before `APIErrorMiddleware` (a router applies middleware to the routes added after it;
/// the first added runs outermost), so it counts the status the client receives. An error that still reaches it is
/// counted with its `HTTPResponseError` status, or 500.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where requests are counted.
    public let metrics: ServerMetrics

    /// Creates the middleware.
    /// - Parameter metrics: Where requests are counted.
    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    /// Runs the rest of the chain, timing it, and counts its answer or error.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.recordRequest(
                method: request.method,
                endpoint: context.endpointPath,
                status: response.status,
                duration: start.duration(to: .now)
            )
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.recordRequest(
                method: request.method,
                endpoint: context.endpointPath,
                status: status,
                duration: start.duration(to: .now)
            )
            throw error
        }
    }
}

/// What one instance reports at a scrape, read once from its latest snapshot and the engine's counters.
private struct InstanceReading {
    var instance: String
    var snapshot: Snapshot<ChatState>
    var writer: WriterStatistics
    var opened: OpenReport
    var writerFailed: Bool
    var checkpointFailed: Bool

    init(_ server: ServerState) {
        snapshot = server.snapshot
        instance = snapshot.state.instance?.instanceId ?? ""
        writer = server.engine.logStatistics
        opened = server.engine.openReport
        writerFailed = server.engine.writerFailure != nil
        checkpointFailed = server.engine.checkpointFailure != nil
    }

    /// One metric family computed from readings.
    struct Family: Sendable {
        var name: String
        var type: String
        var help: String
        var samples: @Sendable (InstanceReading, inout ExpositionWriter.Samples) -> Void
    }

    /// Every family with one number per instance.
    static let families: [Family] = [
        gauge("parley_log_position", "Sequence of the last log record the instance's published snapshot reflects.") {
            Double($0.snapshot.position)
        },
        counter("parley_events_applied_total", "Events applied to the instance's state (replayed and committed).") {
            Double($0.snapshot.state.eventCount)
        },
        gauge(
            "parley_last_event_timestamp_seconds",
            "Timestamp of the last event applied, in seconds since the Unix epoch (0 before any)."
        ) { Double($0.snapshot.state.lastTimestamp) / 1e6 },
        gauge("parley_chats_active", "Chats started and not yet ended.") { Double($0.snapshot.state.activeChats) },
        Family(
            name: "parley_contacts_waiting",
            type: "gauge",
            help: "Contacts waiting in a queue to be routed, by queue id (agent queues as agent/<user id>)."
        ) { reading, samples in
            var byQueue: [String: Int] = [:]
            for queueId in reading.snapshot.state.queues.keys { byQueue[queueId] = 0 }
            for position in reading.snapshot.state.waiting.values { byQueue[position.queueId, default: 0] += 1 }
            for (queueId, count) in byQueue.sorted(by: { $0.key < $1.key }) {
                samples.sample(["instance": reading.instance, "queue": queueId], value: Double(count))
            }
        },
        Family(
            name: "parley_agents",
            type: "gauge",
            help: "Agents with a routing session, by the type of the status they set (routable, custom, offline)."
        ) { reading, samples in
            var byType: [AgentStatusType: Int] = [:]
            for session in reading.snapshot.state.agents.values { byType[session.statusType, default: 0] += 1 }
            for type in AgentStatusType.allCases {
                samples.sample(
                    ["instance": reading.instance, "state": type.description.lowercased()],
                    value: Double(byType[type] ?? 0)
                )
            }
        },
        gauge("parley_timers_pending", "Open deadlines (chat ceilings, connect windows, idle and flow timers).") {
            Double($0.snapshot.state.timers.count)
        },
        counter("parley_timers_fired_total", "Deadlines that fired.") { Double($0.snapshot.state.timersFired) },
        gauge("parley_lambda_invocations_pending", "Lambda calls requested by flows and not answered yet.") {
            Double($0.snapshot.state.pendingInvocations.count)
        },
        counter("parley_billable_messages_total", "Billable chat messages.") {
            Double($0.snapshot.state.billing.totalMessages)
        },
        counter("parley_log_records_written_total", "Log records this server's writer appended since it started.") {
            Double($0.writer.records)
        },
        counter("parley_log_batches_total", "Group-commit batches this server's writer wrote since it started.") {
            Double($0.writer.batches)
        },
        counter("parley_log_syncs_total", "fdatasync calls on log segments since this server started.") {
            Double($0.writer.syncs)
        },
        gauge(
            "parley_log_writer_failed",
            "1 once the instance's log writer stopped (a failed fdatasync): it takes no writes until a restart."
        ) { $0.writerFailed ? 1 : 0 },
        gauge("parley_checkpoint_failed", "1 while the instance's last checkpoint could not be written (disk full).") {
            $0.checkpointFailed ? 1 : 0
        },
        gauge("parley_engine_open_duration_seconds", "Seconds the engine took to open the log at start.") {
            $0.opened.seconds
        },
        gauge("parley_engine_open_replayed_records", "Log records replayed at start (after the checkpoint, if any).") {
            Double($0.opened.replayedRecords)
        },
    ]

    private static func gauge(
        _ name: String,
        _ help: String,
        _ value: @escaping @Sendable (InstanceReading) -> Double
    ) -> Family {
        Family(name: name, type: "gauge", help: help) { $1.sample(["instance": $0.instance], value: value($0)) }
    }

    private static func counter(
        _ name: String,
        _ help: String,
        _ value: @escaping @Sendable (InstanceReading) -> Double
    ) -> Family {
        Family(name: name, type: "counter", help: help) { $1.sample(["instance": $0.instance], value: value($0)) }
    }
}

/// Writes metric families in the text exposition format, version 0.0.4.
private struct ExpositionWriter {
    private(set) var text = ""

    /// The samples of one family.
    struct Samples {
        let name: String
        var text = ""

        /// One sample: `name{label="value",…} value`, labels in the order given (sorted by name).
        mutating func sample(_ labels: KeyValuePairs<String, String> = [:], value: Double) {
            text += name
            if !labels.isEmpty {
                text += "{"
                text += labels.map { "\($0.key)=\"\(ExpositionWriter.escapeLabelValue($0.value))\"" }
                    .joined(separator: ",")
                text += "}"
            }
            text += " \(ExpositionWriter.format(value))\n"
        }
    }

    /// `# HELP`, `# TYPE` and the samples `body` adds.
    mutating func family(_ name: String, type: String, help: String, _ body: (inout Samples) -> Void) {
        var samples = Samples(name: name)
        body(&samples)
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
        text += samples.text
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escapeLabelValue(_ value: String) -> String { escape(value, quotes: true) }

    /// Help text with `\` and newlines escaped.
    static func escapeHelp(_ help: String) -> String { escape(help, quotes: false) }

    private static func escape(_ value: String, quotes: Bool) -> String {
        var escaped = ""
        // By scalar, not by character: "\r\n" is one character, and its "\n" must be escaped too.
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quotes: escaped += "\\\""
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A whole number without a fraction, `+Inf`, `-Inf` and `NaN` as Prometheus spells them, else Swift's
    /// shortest round-tripping form.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

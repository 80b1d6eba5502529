import EventLog
import Foundation
import Hummingbird
import ParleyDomain
import ParleyEngine
import ParleyServer
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /metrics`: the request counters and durations of a real server, the gauges read from its snapshot, and the
/// text exposition format itself (parsed here, every family with HELP and TYPE before its samples).
@Suite struct PrometheusTests {
    @Test func aRealServerCountsRequestsByRouteAndReportsItsSnapshot() async throws {
        let directory = TemporaryDirectory()
        let (_, participantToken) = try await ParticipantAPITests.startChat(directory)
        // A clock that does not move: no deadline fires, so the log stays where the requests leave it.
        let running = try await Self.start(in: directory, clock: ManualClock(SystemClock().now()))
        let base = running.addresses.http

        #expect(try await Self.send(base, "GET", "/ping").status == 200)
        #expect(try await Self.send(base, "GET", "/ping").status == 200)
        #expect(try await Self.send(base, "GET", "/no/such/route").status == 404)
        let connected = try await Self.send(
            base,
            "POST",
            "/participant/connection",
            bearer: participantToken,
            body: #"{"Type":["CONNECTION_CREDENTIALS"],"ConnectParticipant":true}"#
        )
        #expect(connected.status == 200)
        let credentials = try #require(try object(connected.body)["ConnectionCredentials"] as? [String: Any])
        let connectionToken = try #require(credentials["ConnectionToken"] as? String)
        let message = #"{"ContentType":"text/plain","Content":"Where is my order?"}"#
        let sent = try await Self.send(base, "POST", "/participant/message", bearer: connectionToken, body: message)
        #expect(sent.status == 200)
        let refused = try await Self.send(base, "POST", "/participant/message", bearer: "not-a-token", body: message)
        #expect(refused.status == 403)

        // What the query socket reports from the same snapshot (socket requests are not counted: another router).
        let status = try object(try await running.query("/v1/status").body)
        let position = try #require(status["position"] as? Int)
        let state = try #require(status["state"] as? [String: Any])
        let agents = try #require(try object(try await running.query("/v1/agents").body)["agents"] as? [[String: Any]])

        let scrape = try await Self.send(base, "GET", "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let first = try Exposition(String(decoding: scrape.body, as: UTF8.self))

        let requests = "parley_http_requests_total"
        #expect(first.value(requests, ["method": "GET", "route": "/ping", "status": "200"]) == 2)
        #expect(first.value(requests, ["method": "GET", "route": "unmatched", "status": "404"]) == 1)
        #expect(first.value(requests, ["method": "POST", "route": "/participant/connection", "status": "200"]) == 1)
        #expect(first.value(requests, ["method": "POST", "route": "/participant/message", "status": "200"]) == 1)
        #expect(first.value(requests, ["method": "POST", "route": "/participant/message", "status": "403"]) == 1)
        #expect(first.series(requests).count == 5)
        // The raw path of the unknown route never becomes a label; the scrape is counted once it is answered.
        #expect(!first.text.contains("/no/such/route"))
        #expect(first.series(requests).allSatisfy { $0.labels["route"] != "/metrics" })

        let duration = "parley_http_request_duration_seconds"
        #expect(first.value(duration + "_count", ["method": "GET", "route": "/ping"]) == 2)
        #expect(first.value(duration + "_bucket", ["method": "GET", "route": "/ping", "le": "+Inf"]) == 2)
        #expect(first.value(duration + "_count", ["method": "POST", "route": "/participant/message"]) == 2)
        #expect(first.value(duration + "_count", ["method": "GET", "route": "unmatched"]) == 1)
        #expect((first.value(duration + "_sum", ["method": "GET", "route": "/ping"]) ?? -1) >= 0)
        let buckets = first.series(duration + "_bucket").filter { $0.labels["route"] == "/ping" }
        #expect(buckets.count == ServerMetrics.durationBuckets.count + 1)
        #expect(buckets.allSatisfy { $0.value <= 2 })

        let instance = ["instance": "test-instance"]
        #expect(first.value("parley_log_position", instance) == Double(position))
        #expect(position > Int(running.addresses.position))
        #expect(first.value("parley_events_applied_total", instance) == (state["events"] as? Int).map(Double.init))
        #expect(first.value("parley_chats_active", instance) == 1)
        #expect(
            first.value("parley_contacts_waiting", ["instance": "test-instance", "queue": SampleFlows.queueId]) == 1
        )
        #expect(first.value("parley_timers_pending", instance) == (state["openTimers"] as? Int).map(Double.init))
        #expect(first.value("parley_timers_fired_total", instance) == (state["timersFired"] as? Int).map(Double.init))
        #expect(first.value("parley_billable_messages_total", instance).map { $0 >= 2 } == true)
        #expect((first.value("parley_log_records_written_total", instance) ?? 0) > 0)
        let sessions = agents.compactMap { ($0["session"] as? [String: Any])?["statusType"] as? String }
        for type in ["ROUTABLE", "CUSTOM", "OFFLINE"] {
            let labels = ["instance": "test-instance", "state": type.lowercased()]
            #expect(first.value("parley_agents", labels) == Double(sessions.filter { $0 == type }.count))
        }
        #expect((first.value("parley_uptime_seconds") ?? -1) >= 0)
        #expect(first.value("parley_build_info", ["version": "unknown"]) == 1)

        let second = try Exposition(String(decoding: try await Self.send(base, "GET", "/metrics").body, as: UTF8.self))
        #expect(second.value(requests, ["method": "GET", "route": "/metrics", "status": "200"]) == 1)
        #expect(second.value(requests, ["method": "GET", "route": "/ping", "status": "200"]) == 2)
        #expect(second.value("parley_log_position", instance) == Double(position))
        try await running.stop()
    }

    @Test func theMiddlewareCountsRoutePatternsAndThrownErrors() async throws {
        let metrics = ServerMetrics(version: "1.2.3")
        let router = Router(context: ParleyRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.get("/items/:id") { _, _ in "item" }
        router.get("/missing") { _, _ -> String in throw APIError(.resourceNotFound, "no such thing") }
        router.get("/broken") { _, _ -> String in throw TestFailure("not an HTTP error") }
        try await Self.serve(router) { (base: String) async throws in
            #expect(try await Self.send(base, "GET", "/items/1").status == 200)
            #expect(try await Self.send(base, "GET", "/items/2").status == 200)
            #expect(try await Self.send(base, "GET", "/missing").status == 404)
            #expect(try await Self.send(base, "GET", "/broken").status == 500)
            #expect(try await Self.send(base, "DELETE", "/nowhere").status == 404)
        }
        let scrape = try Exposition(metrics.render(instances: []))
        let requests = "parley_http_requests_total"
        #expect(scrape.value(requests, ["method": "GET", "route": "/items/{id}", "status": "200"]) == 2)
        #expect(scrape.value(requests, ["method": "GET", "route": "/missing", "status": "404"]) == 1)
        #expect(scrape.value(requests, ["method": "GET", "route": "/broken", "status": "500"]) == 1)
        #expect(scrape.value(requests, ["method": "DELETE", "route": "unmatched", "status": "404"]) == 1)
        #expect(scrape.series(requests).count == 4)
        #expect(
            scrape.value("parley_http_request_duration_seconds_count", ["method": "GET", "route": "/items/{id}"]) == 2
        )
        #expect(scrape.value("parley_build_info", ["version": "1.2.3"]) == 1)
        // No instances: their families are declared, with no samples.
        #expect(scrape.types["parley_log_position"] == "gauge")
        #expect(scrape.series("parley_log_position").isEmpty)
    }

    @Test func everyInstanceIsReportedFromItsLatestSnapshot() async throws {
        let configured = TemporaryDirectory()
        let empty = TemporaryDirectory()
        let instance = "metrics-test"
        let engine = try await Engine<ChatMachine>.open(dataDirectory: configured.path)
        let blank = try await Engine<ChatMachine>.open(dataDirectory: empty.path)
        var failure: (any Error)?
        do {
            let setUp: [ChatCommand] =
                [.configureInstance(instanceId: instance, concurrentActiveChats: 10)]
                + SampleFlows.setup(instanceId: instance) + [
                    .createRoutingProfile(
                        instanceId: instance,
                        routingProfileId: "support",
                        name: "Support",
                        chatConcurrency: 2,
                        routeAnyChannel: false,
                        queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                        defaultOutboundQueueId: SampleFlows.queueId
                    ),
                    .createUser(
                        instanceId: instance,
                        userId: "sam",
                        username: "Sam",
                        routingProfileId: "support",
                        autoAccept: false,
                        afterContactWorkSeconds: 0
                    ),
                    .createAgentStatus(
                        instanceId: instance,
                        statusId: "break",
                        name: "Break",
                        type: "CUSTOM",
                        enabled: true
                    ),
                    .setAgentStatus(instanceId: instance, userId: "sam", statusId: "break"),
                ]
            for command in setUp { _ = try await engine.submit(command).get() }
            for index in 0..<2 {
                let start = StartChatContactRequest(
                    instanceId: instance,
                    contactFlowId: SampleFlows.inboundId,
                    displayName: "Customer \(index)",
                    attributes: [:],
                    initialMessage: nil
                )
                _ = try await engine.submit(.startChatContact(start)).get()
            }
            let metrics = ServerMetrics()
            let states = [engine, blank].map { engine in
                ServerState(
                    engine: engine,
                    configuration: ServerConfiguration(dataDirectory: engine.dataDirectory),
                    clock: SystemClock(),
                    logger: testLogger,
                    metrics: metrics
                )
            }
            let scrape = try Exposition(metrics.render(instances: states))
            let snapshot = engine.snapshot
            let named = ["instance": instance]
            let unnamed = ["instance": ""]
            #expect(scrape.value("parley_log_position", named) == Double(snapshot.position))
            #expect(scrape.value("parley_log_position", unnamed) == 0)
            #expect(scrape.value("parley_events_applied_total", named) == Double(snapshot.state.eventCount))
            #expect(scrape.value("parley_events_applied_total", unnamed) == 0)
            #expect(scrape.value("parley_chats_active", named) == 2)
            #expect(scrape.value("parley_chats_active", unnamed) == 0)
            #expect(scrape.value("parley_contacts_waiting", ["instance": instance, "queue": SampleFlows.queueId]) == 2)
            #expect(scrape.series("parley_contacts_waiting").filter { $0.labels["instance"] == "" }.isEmpty)
            #expect(scrape.value("parley_agents", ["instance": instance, "state": "custom"]) == 1)
            #expect(scrape.value("parley_agents", ["instance": instance, "state": "routable"]) == 0)
            #expect(scrape.value("parley_agents", ["instance": instance, "state": "offline"]) == 0)
            #expect(scrape.value("parley_timers_pending", named) == Double(snapshot.state.timers.count))
            #expect(snapshot.state.timers.count > 0)
            #expect(scrape.value("parley_log_batches_total", named) == Double(engine.logStatistics.batches))
            #expect(scrape.series("parley_log_batches_total").count == 2)
            // Nothing was requested: no request series, and no family appears twice.
            #expect(scrape.series("parley_http_requests_total").isEmpty)
        } catch {
            failure = error
        }
        await engine.close()
        await blank.close()
        if let failure { throw failure }
    }

    @Test func theParserRefusesWhatPrometheusWouldRefuse() throws {
        #expect(throws: TestFailure.self) { try Exposition("parley_x 1\n") }
        #expect(throws: TestFailure.self) { try Exposition("# TYPE parley_x gauge\nparley_x 1\n") }
        #expect(throws: TestFailure.self) {
            try Exposition("# HELP parley_x x\n# TYPE parley_x gauge\nparley_x{a=\"1} 1\n")
        }
        #expect(throws: TestFailure.self) {
            try Exposition("# HELP parley_x x\n# TYPE parley_x gauge\nparley_x 1\nparley_x 2\n")
        }
        let parsed = try Exposition(
            "# HELP parley_x x\n# TYPE parley_x gauge\nparley_x{a=\"q\\\"u\\\\o\\nte\",b=\"\"} 1.5\n"
        )
        #expect(parsed.value("parley_x", ["a": "q\"u\\o\nte", "b": ""]) == 1.5)
    }

    // MARK: - Support

    /// Starts a server like `RunningServer.start`, on the given engine clock.
    static func start(in directory: TemporaryDirectory, clock: ManualClock) async throws -> RunningServer {
        let server = ParleyServer(
            configuration: ServerConfiguration(dataDirectory: directory.path, port: 0, durability: "none"),
            logger: testLogger,
            clock: clock,
            lambdaTransport: { _ in .failure("no Lambda in tests") }
        )
        let task = Task { try await server.run() }
        do {
            return RunningServer(server: server, task: task, addresses: try await server.listening())
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
    }

    /// Serves `router` on 127.0.0.1 (port 0) while `body` runs with its base URL.
    static func serve(
        _ router: Router<ParleyRequestContext>,
        _ body: (_ base: String) async throws -> Void
    ) async throws {
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in readyContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: testLogger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: testLogger))
        let task = Task { try await group.run() }
        var port = 0
        for await bound in ready {
            port = bound
            break
        }
        var failure: (any Error)?
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        try await task.value
        if let failure { throw failure }
    }

    /// One request with URLSession: the status, the headers (lower-cased names) and the body.
    static func send(
        _ base: String,
        _ method: String,
        _ path: String,
        bearer: String? = nil,
        body: String? = nil
    ) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let bearer { request.setValue(bearer, forHTTPHeaderField: "X-Amz-Bearer") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.lowercasedHeaders, data)
    }
}

/// A scrape in the text exposition format, parsed strictly: every sample belongs to a family whose `# HELP` and
/// `# TYPE` came before it, no family is declared twice, and no series appears twice.
struct Exposition {
    /// One sample.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    private(set) var samples: [Sample] = []
    /// TYPE by family name.
    private(set) var types: [String: String] = [:]
    private var byKey: [String: Double] = [:]

    init(_ text: String) throws {
        self.text = text
        var helps: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard parts.count == 2, helps.insert(String(parts[0])).inserted else {
                    throw TestFailure("bad or repeated HELP: \(line)")
                }
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                let known = ["counter", "gauge", "histogram", "summary", "untyped"]
                guard parts.count == 2, known.contains(String(parts[1])), types[String(parts[0])] == nil else {
                    throw TestFailure("bad or repeated TYPE: \(line)")
                }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                let sample = try Self.parse(Substring(line))
                let family = family(of: sample.name)
                guard types[family] != nil, helps.contains(family) else {
                    throw TestFailure("\(sample.name) has no TYPE and HELP before it")
                }
                let key = Self.key(sample.name, sample.labels)
                guard byKey[key] == nil else { throw TestFailure("repeated series: \(key)") }
                byKey[key] = sample.value
                samples.append(sample)
            }
        }
    }

    /// The value of one series; nil when it is not there.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        byKey[Self.key(name, labels)]
    }

    /// Every sample named `name`.
    func series(_ name: String) -> [Sample] {
        samples.filter { $0.name == name }
    }

    /// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to the histogram.
    private func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    private static func key(_ name: String, _ labels: [String: String]) -> String {
        name + "{"
            + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }
            .joined(separator: ",") + "}"
    }

    /// `name{label="value",…} value` (labels optional; no timestamps).
    private static func parse(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil else {
            throw TestFailure("bad metric name: \(line)")
        }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw TestFailure("bad labels: \(line)") }
                let label = String(rest[..<equals])
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw TestFailure("unquoted label value: \(line)") }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" {
                        closed = true
                        break
                    }
                    if character == "\\" {
                        guard let escaped = rest.first else { break }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value += "\n"
                        case "\\", "\"": value.append(escaped)
                        default: throw TestFailure("bad escape: \(line)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard closed, labels.updateValue(value, forKey: label) == nil else {
                    throw TestFailure("unterminated or repeated label: \(line)")
                }
                if rest.first == "," { rest = rest.dropFirst() }
                guard rest.first != nil else { throw TestFailure("unterminated labels: \(line)") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw TestFailure("no value: \(line)") }
        let text = rest.dropFirst()
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else { throw TestFailure("bad value: \(line)") }
        return Sample(name: name, labels: labels, value: value)
    }
}

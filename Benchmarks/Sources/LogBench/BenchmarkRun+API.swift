import BenchChat
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyServer

extension BenchmarkRun {
    /// The api phase: the server in a child process (durability `always`, throttling off, a raised chat quota, the
    /// hello-world endpoint on), memory per active and per ended chat from its RSS, then closed loops of SendMessage,
    /// of `GET /bench/hello` and of `POST /bench/echo` (SendMessage's request without the engine) from the same clients
    /// over the same listener, then websocket fan-out latency, idle and under SendMessage load.
    mutating func api() async throws {
        let cores = MachineInfo.current(scratch: scratch.root).cores
        let pinned = cores >= 2
        let directory = try scratch.freshDirectory("api")
        defer { scratch.remove(directory) }
        var configuration = ServerConfiguration(dataDirectory: directory, port: 0, durability: "always")
        configuration.logLevel = "warning"
        configuration.throttling = false
        configuration.concurrentActiveChats = 10_000_000
        // Only at shutdown: a checkpoint in the middle of a memory reading or a timed run would distort it.
        configuration.checkpointEveryEvents = 0
        configuration.demo = true
        configuration.benchHello = true
        Self.progress("api: starting the server" + (pinned ? " on CPU 1 (the client runs on CPU 0)" : ""))
        let server = try await APIServerProcess.start(
            data: directory,
            configuration: configuration,
            cpu: pinned ? 1 : nil
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            if pinned, !APIServerProcess.pinSelf(to: "0") {
                report.details.append("api: could not pin the client to CPU 0 (taskset failed); it floats")
            }
            try await apiPhase(server: server, group: group, pinned: pinned)
        } catch {
            _ = await server.stop(grace: 10)
            try? await group.shutdownGracefully()
            if pinned { _ = APIServerProcess.pinSelf(to: "0-\(cores - 1)") }
            throw error
        }
        let clean = await server.stop()
        try? await group.shutdownGracefully()
        if pinned { _ = APIServerProcess.pinSelf(to: "0-\(cores - 1)") }
        let checkpoints = FileTree.files(in: directory).filter { $0.hasSuffix(".ckpt") }
        if let largest = checkpoints.map(FileTree.size).max() {
            report.details.append(
                "api: the server's checkpoint at shutdown is \(Numbers.bytes(Double(largest))) (every chat of the "
                    + "phase, active and ended, with the messages sent); it "
                    + (clean ? "exited cleanly" : "had to be killed")
            )
        }
    }

    private mutating func apiPhase(
        server: APIServerProcess,
        group: MultiThreadedEventLoopGroup,
        pinned: Bool
    ) async throws {
        guard let demo = server.listening.demo, let key = demo.accessKeyId, let secret = demo.secretAccessKey else {
            throw APIBenchError("the server announced no demo instance with an access key")
        }
        let authority = "127.0.0.1:\(server.listening.port)"
        let workloads = APIWorkloads(
            requests: APIRequests(authority: authority, signer: SigV4Signer(accessKeyId: key, secretAccessKey: secret)),
            host: "127.0.0.1",
            port: server.listening.port,
            instanceId: demo.instanceId,
            flowId: demo.inboundFlowId,
            group: group
        )
        let setup = try await workloads.connections(16)
        let warmupSeconds = plan.apiSeconds >= 2 ? 0.5 : 0.2

        // Memory: RSS with M chats active against before them; then ended; then M more started and ended.
        Self.progress("api: memory per chat (\(plan.apiMemoryChats) chats, twice)")
        let warm = try await workloads.startChats(200, over: setup)
        try await workloads.endChats(warm, over: setup)
        _ = try await workloads.closedLoop(
            [workloads.requests.hello],
            over: setup,
            warmup: 0,
            seconds: warmupSeconds,
            serverPid: server.pid
        )
        let memory = try await measureMemory(server: server, workloads: workloads, over: setup)

        // The fan-out chat first, while it is the only one waiting, so that the demo agent is offered it.
        Self.progress("api: setting up the fan-out chat (customer on two devices, agent)")
        let fanout = try await FanoutChat.open(workloads: workloads, over: setup[0], demo: demo)

        let maxClients = plan.apiClients.max() ?? 1
        let chats = max(plan.apiChats, maxClients)
        Self.progress("api: starting \(chats) chats with connected customers")
        let customers = try await workloads.startChats(chats, over: setup)
        for connection in setup { await connection.close() }
        let clients = try await workloads.connections(maxClients)
        let sends = customers.prefix(maxClients).map {
            workloads.sendMessage($0, content: "Hello, I have a question about my order 4711 from last Tuesday.")
        }

        // The same body to the echo route: SendMessage without the engine.
        let echoes = sends.map { request in
            var echo = request
            echo.head.uri = "/bench/echo"
            return echo
        }
        var send: [Int: [APIWorkloads.LoopFigures]] = [:]
        var hello: [Int: [APIWorkloads.LoopFigures]] = [:]
        var echo: [Int: [APIWorkloads.LoopFigures]] = [:]
        for run in 0..<plan.apiRuns {
            for count in plan.apiClients {
                let lanes = Array(clients.prefix(count))
                // Rotate the order so that a drift in the machine's load does not favour one of the three.
                let kinds: [APILoop] = [.hello, .echo, .send]
                for index in 0..<kinds.count {
                    let kind = kinds[(index + run) % kinds.count]
                    Self.progress("api: run \(run + 1)/\(plan.apiRuns), \(count) clients, \(kind.rawValue)")
                    let figures = try await workloads.closedLoop(
                        kind == .hello ? [workloads.requests.hello] : kind == .echo ? echoes : sends,
                        over: lanes,
                        warmup: warmupSeconds,
                        seconds: plan.apiSeconds,
                        serverPid: server.pid
                    )
                    switch kind {
                    case .hello: hello[count, default: []].append(figures)
                    case .echo: echo[count, default: []].append(figures)
                    case .send: send[count, default: []].append(figures)
                    }
                }
            }
        }

        Self.progress("api: websocket fan-out, idle (\(plan.fanoutMessages) messages)")
        let idle = try await fanout.run(messages: plan.fanoutMessages, until: nil)
        let backgroundClients = plan.apiClients.min() ?? 1
        Self.progress("api: websocket fan-out under SendMessage load from \(backgroundClients) clients")
        let loadSeconds = max(plan.apiSeconds, 1)
        async let background = workloads.closedLoop(
            sends,
            over: Array(clients.prefix(backgroundClients)),
            warmup: warmupSeconds,
            seconds: loadSeconds,
            serverPid: server.pid
        )
        try await Task.sleep(for: .seconds(warmupSeconds))
        let loaded = try await fanout.run(messages: Int.max, until: ContinuousClock.now + .seconds(loadSeconds))
        let backgroundFigures = try await background
        await fanout.close()
        for connection in clients { await connection.close() }

        reportAPI(send: send, hello: hello, echo: echo, chats: chats)
        reportFanout(idle: idle, loaded: loaded, background: backgroundFigures, subscribers: fanout.subscriberNames)
        reportMemory(memory)
        report.details.append(
            "api: server = this executable run again as `log-bench --api-server` (ParleyServer, as `parley serve` runs "
                + "it, release build), durability always, throttling off, on 127.0.0.1; "
                + (pinned
                    ? "server pinned to CPU 1, client (this process, one NIO event loop) to CPU 0 (taskset)"
                    : "one core: server and client share it")
                + "; \(chats) chats started before the runs, client k sends on chat k; each run \(Numbers.seconds(plan.apiSeconds)) "
                + "after \(Numbers.seconds(warmupSeconds)) warm-up, \(plan.apiRuns) runs alternating the order; medians"
        )
    }

    private struct MemoryFigures {
        var chats: Int
        var before: Int
        var active: Int
        var ended: Int
        var secondBatchEnded: Int
    }

    /// RSS before, with `plan.apiMemoryChats` chats active, after they ended, and after as many more started and
    /// ended (their memory is what an ended chat keeps: what the first batch freed is reused by the second).
    private func measureMemory(
        server: APIServerProcess,
        workloads: APIWorkloads,
        over connections: [APIConnection]
    )
        async throws -> MemoryFigures
    {
        func settledRSS() async throws -> Int {
            try await Task.sleep(for: .milliseconds(500))
            guard let bytes = server.residentBytes() else { throw APIBenchError("cannot read the server's VmRSS") }
            return bytes
        }
        let count = plan.apiMemoryChats
        let before = try await settledRSS()
        let first = try await workloads.startChats(count, over: connections)
        let active = try await settledRSS()
        try await workloads.endChats(first, over: connections)
        let ended = try await settledRSS()
        let second = try await workloads.startChats(count, over: connections)
        try await workloads.endChats(second, over: connections)
        let secondEnded = try await settledRSS()
        return MemoryFigures(chats: count, before: before, active: active, ended: ended, secondBatchEnded: secondEnded)
    }

    /// The request loops of the api phase.
    private enum APILoop: String {
        case hello = "GET /bench/hello"
        case echo = "POST /bench/echo"
        case send = "SendMessage"
    }

    private mutating func reportAPI(
        send: [Int: [APIWorkloads.LoopFigures]],
        hello: [Int: [APIWorkloads.LoopFigures]],
        echo: [Int: [APIWorkloads.LoopFigures]],
        chats: Int
    ) {
        for count in plan.apiClients {
            let sendRuns = send[count] ?? []
            let helloRuns = hello[count] ?? []
            let sendRate = Sample(sendRuns.map(\.rate)).median
            let helloRate = Sample(helloRuns.map(\.rate)).median
            let ratios = zip(sendRuns, helloRuns).map { $0.rate / $1.rate }
            let ratio = Sample(ratios).median
            let sendP99 = Sample(sendRuns.map { $0.latency.percentile(0.99) }).median
            let helloP99 = Sample(helloRuns.map { $0.latency.percentile(0.99) }).median
            let sendP50 = Sample(sendRuns.map { $0.latency.median }).median
            let helloP50 = Sample(helloRuns.map { $0.latency.median }).median
            report.rows.append(
                ReportRow(
                    figure: "SendMessage over HTTP, \(count) clients (durable `always`)",
                    target: "≥ 0.50× hello-world",
                    parley: Numbers.rate(sendRate),
                    sqlite: "\(Numbers.rate(helloRate)) (GET /bench/hello, same server)",
                    ratio: Numbers.ratio(ratio),
                    verdict: Target.atLeast(0.5).verdict(ratio)
                )
            )
            report.rows.append(
                ReportRow(
                    figure: "SendMessage latency p99 (p50), \(count) clients",
                    parley: "\(Numbers.seconds(sendP99)) (\(Numbers.seconds(sendP50)))",
                    sqlite: "\(Numbers.seconds(helloP99)) (\(Numbers.seconds(helloP50))) (hello)",
                    ratio: Numbers.ratio(helloP99 / sendP99)
                )
            )
            // The same comparison in server CPU per request: hello's cost over SendMessage's, run by run.
            let costRatios = zip(sendRuns, helloRuns).map { $1.serverCPUPerRequest / $0.serverCPUPerRequest }
            report.rows.append(
                ReportRow(
                    figure: "SendMessage server CPU per request vs hello-world's, \(count) clients",
                    parley: Numbers.seconds(Sample(sendRuns.map(\.serverCPUPerRequest)).median),
                    sqlite: "\(Numbers.seconds(Sample(helloRuns.map(\.serverCPUPerRequest)).median)) (hello)",
                    ratio: Numbers.ratio(Sample(costRatios).median)
                )
            )
            // SendMessage's parts: HTTP with its body and JSON (echo against hello), then the engine (send against echo).
            let echoRuns = echo[count] ?? []
            let echoRatios = zip(echoRuns, helloRuns).map { $0.rate / $1.rate }
            let sendToEcho = zip(sendRuns, echoRuns).map { $0.rate / $1.rate }
            report.rows.append(
                ReportRow(
                    figure: "POST /bench/echo (SendMessage's body, checks and answer; no engine), \(count) clients",
                    parley: Numbers.rate(Sample(echoRuns.map(\.rate)).median),
                    sqlite:
                        "\(Numbers.rate(helloRate)) (hello); SendMessage \(Numbers.ratio(Sample(sendToEcho).median)) of echo",
                    ratio: Numbers.ratio(Sample(echoRatios).median)
                )
            )
            func cpu(_ runs: [APIWorkloads.LoopFigures]) -> String {
                "server CPU \(Numbers.fixed(100 * Sample(runs.map(\.serverCPU)).median, 0))%, client CPU "
                    + "\(Numbers.fixed(100 * Sample(runs.map(\.clientCPU)).median, 0))%"
            }
            let failures = (sendRuns + helloRuns + echoRuns).map(\.failures).reduce(0, +)
            let failure = (sendRuns + helloRuns + echoRuns).compactMap(\.firstFailure).first
            report.details.append(
                "api, \(count) clients: SendMessage runs \(sendRuns.map { Numbers.rate($0.rate) }.joined(separator: ", ")) "
                    + "(\(cpu(sendRuns)), p99.9 \(Numbers.seconds(Sample(sendRuns.map { $0.latency.percentile(0.999) }).median))); "
                    + "hello runs \(helloRuns.map { Numbers.rate($0.rate) }.joined(separator: ", ")) (\(cpu(helloRuns))); "
                    + "echo runs \(echoRuns.map { Numbers.rate($0.rate) }.joined(separator: ", ")) (\(cpu(echoRuns))); "
                    + "ratios \(ratios.map(Numbers.ratio).joined(separator: ", ")); CPU-per-request ratios "
                    + "\(costRatios.map(Numbers.ratio).joined(separator: ", ")); SendMessage ÷ echo "
                    + "\(sendToEcho.map(Numbers.ratio).joined(separator: ", ")); non-2xx answers \(failures)"
                    + (failure.map { " (first: \($0))" } ?? "")
            )
        }
    }

    private mutating func reportFanout(
        idle: [[Double]],
        loaded: [[Double]],
        background: APIWorkloads.LoopFigures,
        subscribers: [String]
    ) {
        for (name, latencies) in [("idle", idle), ("under \(Numbers.rate(background.rate)) SendMessage", loaded)] {
            let all = Sample(latencies.flatMap { $0 })
            report.rows.append(
                ReportRow(
                    figure: "websocket fan-out p99 (p50, p99.9), \(subscribers.count) subscribers, \(name)",
                    parley: "\(Numbers.seconds(all.percentile(0.99))) (\(Numbers.seconds(all.median)), "
                        + "\(Numbers.seconds(all.percentile(0.999))))"
                )
            )
            let each = zip(subscribers, latencies).map { name, values in
                let sample = Sample(values)
                return "\(name) p50 \(Numbers.seconds(sample.median)) p99 \(Numbers.seconds(sample.percentile(0.99)))"
            }
            report.details.append(
                "api: fan-out \(name): \(latencies.first?.count ?? 0) messages, one at a time, from just before the "
                    + "customer's SendMessage is written until the frame is read; " + each.joined(separator: "; ")
            )
        }
    }

    private mutating func reportMemory(_ memory: MemoryFigures) {
        let chats = Double(memory.chats)
        let active = Double(memory.active - memory.before) / chats
        let ended = Double(memory.secondBatchEnded - memory.ended) / chats
        report.rows.append(
            ReportRow(
                figure: "server memory per active chat (RSS, \(memory.chats) chats, customer connected)",
                parley: Numbers.bytes(active)
            )
        )
        report.rows.append(
            ReportRow(
                figure: "server memory per ended chat kept in state and projections (RSS)",
                parley: Numbers.bytes(ended)
            )
        )
        report.details.append(
            "api: server VmRSS \(Numbers.bytes(Double(memory.before))) before, \(Numbers.bytes(Double(memory.active))) "
                + "with \(memory.chats) chats active, \(Numbers.bytes(Double(memory.ended))) once they ended, "
                + "\(Numbers.bytes(Double(memory.secondBatchEnded))) after \(memory.chats) more started and ended "
                + "(per ended chat = that last growth ÷ \(memory.chats): the freed memory of the first batch is reused)"
        )
    }
}

/// One chat with three websocket subscribers: the customer's device, a second device of the customer, and the agent.
struct FanoutChat: Sendable {
    let workloads: APIWorkloads
    let connection: APIConnection
    let customer: APIWorkloads.Customer
    let sockets: [FanoutSocket]
    let clock: FanoutClock
    let subscriberNames = ["customer", "customer's 2nd device", "agent"]

    /// Starts the chat, has the demo agent accept it, and subscribes the three sockets.
    static func open(
        workloads: APIWorkloads,
        over setup: APIConnection,
        demo: APIServerProcess.Listening.Demo
    )
        async throws -> FanoutChat
    {
        let requests = workloads.requests
        let login = try await setup.send(
            requests.agent(
                .POST,
                "login",
                session: nil,
                LoginBody(Username: demo.agentUsername, Password: demo.agentPassword, InstanceId: demo.instanceId)
            )
        ).decode(LoginAnswer.self, "agent login")
        let session = login.SessionToken
        let statuses = try await setup.send(requests.agent(.GET, "statuses", session: session, Empty()))
            .decode(StatusesAnswer.self, "agent statuses")
        guard let available = statuses.AgentStatuses.first(where: { $0.Type == "ROUTABLE" }) else {
            throw APIBenchError("the demo instance has no ROUTABLE agent status")
        }
        func setStatus(_ id: String) async throws {
            let answer = try await setup.send(
                requests.agent(.PUT, "status", session: session, StatusBody(AgentStatusId: id))
            )
            guard answer.succeeded else { throw APIBenchError("agent status answered \(answer.status)") }
        }
        try await setStatus(available.AgentStatusId)
        let customer = try await workloads.startChat(on: setup, websocket: true)
        var accepted: AcceptAnswer?
        for _ in 0..<200 where accepted == nil {
            let answer = try await setup.send(
                requests.agent(.POST, "contacts/\(customer.contactId)/accept", session: session, Empty())
            )
            if answer.succeeded {
                accepted = try answer.decode(AcceptAnswer.self, "agent accept")
            } else {
                try await Task.sleep(for: .milliseconds(25))
            }
        }
        guard let accepted else { throw APIBenchError("the demo agent was not offered the fan-out chat within 5 s") }
        // Offline afterwards, so that none of the load's chats is routed to the agent.
        if let offline = statuses.AgentStatuses.first(where: { $0.Type == "OFFLINE" }) {
            try await setStatus(offline.AgentStatusId)
        }
        let agent = try await workloads.connect(accepted.ParticipantToken, on: setup, websocket: true, first: true)
        let second = try await workloads.connect(customer.participantToken, on: setup, websocket: true, first: false)
        let clock = FanoutClock(subscribers: 3)
        var sockets: [FanoutSocket] = []
        for (index, url) in [customer.websocketURL, second.url, agent.url].enumerated() {
            guard let url else { throw APIBenchError("a fan-out connection has no websocket URL") }
            sockets.append(
                try await FanoutSocket.open(url: url) { content, arrived in
                    clock.arrived(content, subscriber: index, at: arrived)
                }
            )
        }
        let connection = try await workloads.connections(1)[0]
        return FanoutChat(
            workloads: workloads,
            connection: connection,
            customer: customer,
            sockets: sockets,
            clock: clock
        )
    }

    /// Sends `messages` messages one at a time (or until `deadline`) and returns every subscriber's latencies of
    /// this call, in seconds.
    func run(messages: Int, until deadline: ContinuousClock.Instant?) async throws -> [[Double]] {
        let before = clock.latencies.map(\.count)
        var sent = 0
        while sent < messages {
            if let deadline, ContinuousClock.now >= deadline { break }
            let key = "fan-out \(UUID().uuidString)"
            let request = workloads.sendMessage(customer, content: key)
            let connection = self.connection
            let arrived = try await clock.time(key) {
                let answer = try await connection.send(request)
                guard answer.succeeded else { throw APIBenchError("fan-out SendMessage answered \(answer.status)") }
            }
            guard arrived else { throw APIBenchError("a fan-out message did not reach every subscriber within 10 s") }
            sent += 1
        }
        return zip(clock.latencies, before).map { Array($0.dropFirst($1)) }
    }

    /// Closes the sockets and the connection.
    func close() async {
        for socket in sockets { await socket.close() }
        await connection.close()
    }
}

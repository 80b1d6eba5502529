import Foundation
import ParleyServer
import Synchronization

/// One load run against a server the run starts: setup (routing profile, agents), the ramp (Poisson arrivals up to
/// the target), the hold, and the wind-down (sending stops, deliveries drain, customers leave, agents log out).
struct LoadRun {
    let scenario: LoadScenario
    /// The `parley` executable.
    let parley: String
    /// The server's data directory (created; left for inspection).
    let data: String
    /// `always`, `none` or `interval:MS`.
    let durability: String
    /// Pooled HTTP connections for requests.
    let connections: Int
    /// Where progress lines go.
    let progress: @Sendable (String) -> Void

    /// Runs the scenario; the report (also when the run failed part-way, with what it measured).
    func run() async throws(LoadError) -> LoadReport {
        let openFiles = ProcessLimits.raiseOpenFiles()?.now ?? 0
        progress("open-files limit \(openFiles) (the server inherits it)")
        let server = try await ServerProcess.start(
            parley: parley,
            data: data,
            configuration: .init(
                concurrentActiveChats: max(scenario.chats * 2, 1_000),
                throttling: false,
                logLevel: "warning",
                durability: durability
            )
        )
        progress("server pid \(server.pid) listening on \(server.listening.http)")
        do {
            let report = try await drive(server)
            let status = await server.stop()
            return report.stopped(status)
        } catch {
            _ = await server.stop(grace: 10)
            throw error
        }
    }

    private func drive(_ server: ServerProcess) async throws(LoadError) -> LoadReport {
        guard let demo = server.listening.demo, let keyId = demo.accessKeyId, let secret = demo.secretAccessKey else {
            throw LoadError(.server, "the server announced no demo instance with an access key")
        }
        let api = ParleyAPI(
            base: server.listening.http,
            signer: SigV4Signer(accessKeyId: keyId, secretAccessKey: secret),
            connections: connections,
            streams: scenario.agentCount + 8
        )
        let targets: [Target]
        do {
            targets = try await setUpInstances(api, demo: demo)
        } catch {
            await api.shutdown()
            throw error
        }
        let context = LoadContext(api: api, scenario: scenario, targets: targets)
        let report: LoadReport
        do {
            report = try await drive(server, context)
        } catch {
            await api.shutdown()
            throw error
        }
        await api.shutdown()
        return report
    }

    private func drive(_ server: ServerProcess, _ context: LoadContext) async throws(LoadError) -> LoadReport {
        var report = LoadReport(scenario: scenario, durability: durability)
        let setupStarted = Clock.now()
        let agents = try await setUpAgents(context)
        report.setupSeconds = Clock.seconds(since: setupStarted)
        progress(
            String(format: "setup: %d agents logged in and Available in %.1f s", agents.count, report.setupSeconds)
        )
        let logOut = Gate()
        let sampler = Sampler(server: server)
        await withTaskGroup(of: Void.self) { group in
            for (agent, session) in agents {
                group.addTask {
                    var agent = agent
                    await agent.serve(session, logOut: logOut)
                }
            }
            // The streams are open once the first keep-alive or entry could come; the idle reading follows them.
            try? await Task.sleep(for: .seconds(2))
            report.serverIdleBytes = server.residentBytes()
            report.serverOpenFilesIdle = ProcessReadings.openFiles(pid: server.pid)
            await runCustomers(context, server: server, sampler: sampler, report: &report)
            logOut.open()
            await group.waitForAll()
        }
        report.finish(context)
        return report
    }

    /// The instances: the demo instance, and as many more as the agents need (each with hours of operation, a
    /// queue and an inbound flow like the demo's); in each a routing profile of chat concurrency `concurrency`.
    private func setUpInstances(
        _ api: ParleyAPI,
        demo: ServerProcess.Listening.Demo
    ) async throws(LoadError)
        -> [Target]
    {
        var targets: [Target] = []
        for number in 0..<scenario.instanceCount {
            var instanceId = demo.instanceId
            var flowId = demo.inboundFlowId
            var queueId = demo.queueId
            if number > 0 {
                instanceId = try await api.control(
                    "CreateInstance",
                    .PUT,
                    "/instance",
                    CreateInstanceBody(
                        IdentityManagementType: "CONNECT_MANAGED",
                        InstanceAlias: "parley-load-\(number)",
                        InboundCallsEnabled: true,
                        OutboundCallsEnabled: false
                    ),
                    answer: CreateInstanceAnswer.self
                ).Id
                let days = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
                let hours = try await api.control(
                    "CreateHoursOfOperation",
                    .PUT,
                    "/hours-of-operations/\(instanceId)",
                    HoursBody(
                        Name: "Always",
                        TimeZone: "UTC",
                        Config: days.map {
                            .init(
                                Day: $0,
                                StartTime: .init(Hours: 0, Minutes: 0),
                                EndTime: .init(Hours: 23, Minutes: 59)
                            )
                        }
                    ),
                    answer: HoursAnswer.self
                )
                queueId = try await api.control(
                    "CreateQueue",
                    .PUT,
                    "/queues/\(instanceId)",
                    QueueBody(Name: "Support", HoursOfOperationId: hours.HoursOfOperationId),
                    answer: QueueAnswer.self
                ).QueueId
                flowId = try await api.control(
                    "CreateContactFlow",
                    .PUT,
                    "/contact-flows/\(instanceId)",
                    FlowBody(Name: "Load inbound", Type: "CONTACT_FLOW", Content: Self.inboundFlow(queueId: queueId)),
                    answer: FlowAnswer.self
                ).ContactFlowId
            }
            let profile = try await api.control(
                "CreateRoutingProfile",
                .PUT,
                "/routing-profiles/\(instanceId)",
                RoutingProfileBody(
                    Name: "load",
                    Description: "parley-load agents",
                    DefaultOutboundQueueId: queueId,
                    QueueConfigs: [
                        .init(QueueReference: .init(QueueId: queueId, Channel: "CHAT"), Priority: 1, Delay: 0)
                    ],
                    MediaConcurrencies: [.init(Channel: "CHAT", Concurrency: scenario.concurrency)]
                ),
                answer: RoutingProfileAnswer.self
            )
            targets.append(
                Target(
                    instanceId: instanceId,
                    flowId: flowId,
                    queueId: queueId,
                    routingProfileId: profile.RoutingProfileId
                )
            )
        }
        return targets
    }

    /// The inbound flow of the extra instances: the demo flow's greeting, then the queue.
    static func inboundFlow(queueId: String) -> String {
        """
        {"Version": "2019-10-30", "StartAction": "greet", "Metadata": {"name": "parley-load inbound"},
         "Actions": [
          {"Identifier": "greet", "Type": "MessageParticipant",
           "Parameters": {"Text": "Thanks for contacting us. An agent will be with you shortly."},
           "Transitions": {"NextAction": "set-queue",
                           "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "set-queue"}]}},
          {"Identifier": "set-queue", "Type": "UpdateContactTargetQueue", "Parameters": {"QueueId": "\(queueId)"},
           "Transitions": {"NextAction": "to-queue",
                           "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "to-queue", "Type": "TransferContactToQueue", "Parameters": {},
           "Transitions": {"NextAction": "end",
                           "Errors": [{"ErrorType": "QueueAtCapacity", "NextAction": "end"},
                                      {"ErrorType": "NoMatchingError", "NextAction": "end"}]}},
          {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
         ]}
        """
    }

    /// The agents (agent `i` in instance `i % instances`) and their logins.
    private func setUpAgents(_ context: LoadContext) async throws(LoadError) -> [(Agent, Agent.Session)] {
        let api = context.api
        var seeds = SplitMix64(seed: scenario.seed ^ 0xA6E7)
        let agents = (0..<scenario.agentCount).map { index in
            Agent(
                context: context,
                index: index,
                username: Agent.username(index),
                password: Agent.password,
                rng: SplitMix64(seed: seeds.next())
            )
        }
        // Both steps derive or check a PBKDF2 digest (600,000 rounds): a few at a time keep both cores busy.
        let width = max(2, ProcessInfo.processInfo.activeProcessorCount * 2)
        try await forEach(agents, width: width) { agent throws(LoadError) in
            let start = Clock.now()
            let target = context.target(agent.index)
            _ = try await api.control(
                "CreateUser",
                .PUT,
                "/users/\(target.instanceId)",
                CreateUserBody(
                    Username: agent.username,
                    Password: agent.password,
                    SecurityProfileIds: ["load"],
                    RoutingProfileId: target.routingProfileId,
                    PhoneConfig: .init(PhoneType: "SOFT_PHONE", AutoAccept: false, AfterContactWorkTimeLimit: 0)
                ),
                answer: CreateUserAnswer.self
            )
            context.stats.record(.createUser, since: start)
        }
        progress("setup: \(agents.count) agents created; logging in")
        let sessions = Sessions()
        try await forEach(agents, width: width) { agent throws(LoadError) in
            sessions.set(agent.index, try await agent.logIn())
        }
        let all = sessions.all
        return agents.compactMap { agent in all[agent.index].map { (agent, $0) } }
    }

    /// Runs `body` for every element, at most `width` at once; the first failure ends it.
    private func forEach<Element: Sendable>(
        _ elements: [Element],
        width: Int,
        _ body: @escaping @Sendable (Element) async throws(LoadError) -> Void
    ) async throws(LoadError) {
        let failure = await withTaskGroup(of: LoadError?.self) { group -> LoadError? in
            var next = 0
            var failure: LoadError?
            func add() {
                guard next < elements.count else { return }
                let element = elements[next]
                next += 1
                group.addTask {
                    do throws(LoadError) {
                        try await body(element)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            for _ in 0..<width { add() }
            while let result = await group.next() {
                if let result { failure = failure ?? result }
                if failure == nil { add() }
            }
            return failure
        }
        if let failure { throw failure }
    }

    /// The ramp, the hold and the wind-down of the customers.
    private func runCustomers(
        _ context: LoadContext,
        server: ServerProcess,
        sampler: Sampler,
        report: inout LoadReport
    ) async {
        let stats = context.stats
        await withTaskGroup(of: Void.self) { group in
            // Ramp: Poisson arrivals until every customer has started.
            stats.enter(.ramp)
            let rampStarted = Clock.now()
            var arrivals = SplitMix64(seed: scenario.seed)
            var due = 0.0
            var lastProgress = Clock.now()
            for index in 0..<scenario.chats {
                due += arrivals.exponential(rate: scenario.arrivalRate)
                let wait = due - Clock.seconds(since: rampStarted)
                if wait > 0 { try? await Task.sleep(for: .nanoseconds(Int64(wait * 1e9))) }
                let customer = Customer(context: context, index: index, rng: SplitMix64(seed: arrivals.next()))
                group.addTask {
                    var customer = customer
                    await customer.run()
                }
                if Clock.seconds(since: lastProgress) >= 10 {
                    lastProgress = Clock.now()
                    progress(status(context, server, "ramp", started: index + 1))
                }
            }
            // Then until every chat is established (or it is clear they will not be).
            let deadline = Clock.now() + UInt64(max(120, Double(scenario.chats) / scenario.arrivalRate) * 1e9)
            while context.establishedChats < scenario.chats, Clock.now() < deadline {
                try? await Task.sleep(for: .milliseconds(200))
                if Clock.seconds(since: lastProgress) >= 10 {
                    lastProgress = Clock.now()
                    progress(status(context, server, "ramp", started: scenario.chats))
                }
            }
            report.rampSeconds = Clock.seconds(since: rampStarted)
            progress(status(context, server, "hold begins", started: scenario.chats))

            // Hold.
            report.chatsAtHoldStart = context.establishedChats
            context.startHold()
            let before = sampler.reading()
            let holdStarted = Clock.now()
            var minimum = context.establishedChats
            var lastSample = Clock.now()
            while Clock.seconds(since: holdStarted) < scenario.holdSeconds {
                try? await Task.sleep(for: .milliseconds(200))
                minimum = min(minimum, context.establishedChats)
                sampler.sample()
                if Clock.seconds(since: lastSample) >= 10 {
                    lastSample = Clock.now()
                    progress(status(context, server, "hold", started: scenario.chats))
                }
            }
            let after = sampler.reading()
            report.hold(
                seconds: Clock.seconds(since: holdStarted),
                before: before,
                after: after,
                established: context.establishedChats,
                minimum: minimum,
                peakServerBytes: sampler.peakBytes
            )
            report.serverOpenFilesPlateau = ProcessReadings.openFiles(pid: server.pid)
            report.clientOpenFilesPlateau = ProcessReadings.openFiles(pid: getpid())

            // Wind-down: stop sending, let the acknowledged messages arrive, then everyone leaves.
            stats.enter(.windDown)
            context.stopSending.open()
            let drainStarted = Clock.now()
            let drainDeadline = drainStarted + UInt64(scenario.drainSeconds * 1e9)
            while context.sendsInFlight > 0 || context.outstanding.count > 0, Clock.now() < drainDeadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            report.drainSeconds = Clock.seconds(since: drainStarted)
            report.undeliveredAfterDrain = context.outstanding.count
            progress(
                String(
                    format: "wind-down: deliveries drained in %.2f s (%d still awaited); customers leave",
                    report.drainSeconds,
                    report.undeliveredAfterDrain
                )
            )
            context.leave.open()
            await group.waitForAll()
        }
    }

    private func status(_ context: LoadContext, _ server: ServerProcess, _ phase: String, started: Int) -> String {
        let figures = context.stats.figures()
        let errors = figures.errors.values.reduce(0, +)
        let top = figures.errors.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) \($0.value)" }
        let rss = server.residentBytes().map { String(format: "%.0f MiB", Double($0) / 1_048_576) } ?? "?"
        return
            "\(phase): started \(started), established \(context.establishedChats), in flight "
            + "\(context.sendsInFlight), awaited \(context.outstanding.count), server RSS \(rss), errors \(errors)"
            + (top.isEmpty ? "" : " (\(top.joined(separator: ", ")))")
    }
}

/// The agents' sessions as their logins finish.
final class Sessions: Sendable {
    private let sessions = Mutex<[Int: Agent.Session]>([:])

    func set(_ index: Int, _ session: Agent.Session) { sessions.withLock { $0[index] = session } }

    var all: [Int: Agent.Session] { sessions.withLock { $0 } }
}

/// Readings of the server's memory and CPU (and the load's own CPU) during the hold.
final class Sampler: Sendable {
    let server: ServerProcess
    private let peak = Atomic<Int>(0)

    init(server: ServerProcess) { self.server = server }

    /// A reading now.
    struct Reading: Sendable {
        var at: UInt64
        var serverBytes: Int?
        var serverCPU: Double?
        var clientCPU: Double?
    }

    func reading() -> Reading {
        sample()
        return Reading(
            at: Clock.now(),
            serverBytes: server.residentBytes(),
            serverCPU: server.cpuSeconds(),
            clientCPU: ProcessReadings.cpuSeconds(pid: getpid())
        )
    }

    /// Notes the server's RSS for the peak.
    func sample() {
        if let bytes = server.residentBytes() { _ = peak.max(bytes, ordering: .relaxed) }
    }

    var peakBytes: Int { peak.load(ordering: .relaxed) }
}

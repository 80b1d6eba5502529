import Foundation

/// What a run measured, as JSON (`--report FILE`) and as text, and whether it passed.
struct LoadReport: Codable, Sendable {
    var scenario: LoadScenario
    var durability: String
    var agents = 0
    var instances = 0
    var setupSeconds = 0.0
    var rampSeconds = 0.0
    var holdSeconds = 0.0
    var drainSeconds = 0.0
    /// Chats established when the hold began and ended, the fewest during it, and the most at once.
    var chatsAtHoldStart = 0
    var chatsAtHoldEnd = 0
    var chatsMinimumInHold = 0
    var chatsPeak = 0
    /// The server's RSS with the agents logged in and no chat, at the end of the hold, and its peak.
    var serverIdleBytes: Int?
    var serverPlateauBytes: Int?
    var serverPeakBytes: Int?
    /// (plateau − idle) / chats held.
    var serverBytesPerChat: Double?
    /// CPU during the hold, in cores (1.0 = one core busy): the server's and the load generator's own.
    var serverCores: Double?
    var clientCores: Double?
    var serverOpenFilesIdle: Int?
    var serverOpenFilesPlateau: Int?
    var clientOpenFilesPlateau: Int?
    /// Per second during the hold.
    var messagesPerSecond = 0.0
    var eventsPerSecond = 0.0
    var deliveriesPerSecond = 0.0
    var requestsPerSecond = 0.0
    /// Acknowledged messages still awaited when the drain ended, and those never seen at all.
    var undeliveredAfterDrain = 0
    var lost = 0
    var lostSamples: [String] = []
    var operations = 0
    var errorCount = 0
    var figures: Stats.Figures?
    /// The server's exit status after SIGTERM (nil: it had to be killed).
    var serverExit: Int32?
    var passed = false
    var failures: [String] = []

    init(scenario: LoadScenario, durability: String) {
        self.scenario = scenario
        self.durability = durability
        agents = scenario.agentCount
        instances = scenario.instanceCount
    }

    /// Notes the hold's readings.
    mutating func hold(
        seconds: Double,
        before: Sampler.Reading,
        after: Sampler.Reading,
        established: Int,
        minimum: Int,
        peakServerBytes: Int
    ) {
        holdSeconds = seconds
        chatsAtHoldEnd = established
        chatsMinimumInHold = minimum
        serverPlateauBytes = after.serverBytes
        serverPeakBytes = peakServerBytes
        if let plateau = after.serverBytes, let idle = serverIdleBytes, established > 0 {
            serverBytesPerChat = Double(plateau - idle) / Double(established)
        }
        let elapsed = Double(after.at &- before.at) / 1e9
        if elapsed > 0 {
            if let start = before.serverCPU, let end = after.serverCPU { serverCores = (end - start) / elapsed }
            if let start = before.clientCPU, let end = after.clientCPU { clientCores = (end - start) / elapsed }
        }
    }

    /// Collects the figures, the losses and the verdict.
    mutating func finish(_ context: LoadContext) {
        let figures = context.stats.figures()
        self.figures = figures
        chatsPeak = context.peakChats
        let hold = figures.counts[Phase.hold.description] ?? [:]
        if holdSeconds > 0 {
            messagesPerSecond = Double(hold[Metric.sendMessage.rawValue] ?? 0) / holdSeconds
            eventsPerSecond = Double(hold[Metric.sendEvent.rawValue] ?? 0) / holdSeconds
            deliveriesPerSecond =
                Double((hold["delivered to customer (websocket)"] ?? 0) + (hold["delivered to agent (websocket)"] ?? 0))
                / holdSeconds
            let requests = Metric.allCases.filter { $0 != .offer && $0 != .toAgent && $0 != .toCustomer }
                .filter { $0 != .deviceSwitch && $0 != .websocket }
                .map { (hold[$0.rawValue] ?? 0) + (hold[$0.rawValue + " failed"] ?? 0) }.reduce(0, +)
            requestsPerSecond = Double(requests) / holdSeconds
        }
        var lostKeys: [String] = []
        for record in context.directory.all {
            for key in record.lost() { lostKeys.append("chat \(record.index) (\(record.contactId)) \(key)") }
        }
        lost = lostKeys.count
        lostSamples = Array(lostKeys.sorted().prefix(20))
        operations = figures.counts.values.map { counts in
            Metric.allCases.map { (counts[$0.rawValue] ?? 0) + (counts[$0.rawValue + " failed"] ?? 0) }.reduce(0, +)
        }.reduce(0, +)
        errorCount = figures.errors.values.reduce(0, +)
        judge()
    }

    /// The server's exit status after the run.
    func stopped(_ status: Int32?) -> LoadReport {
        var report = self
        report.serverExit = status
        if status != 0 {
            report.failures.append("the server did not exit 0 after SIGTERM (\(status.map(String.init) ?? "killed"))")
        }
        report.passed = report.failures.isEmpty
        return report
    }

    private mutating func judge() {
        failures = []
        if lost > 0 { failures.append("\(lost) acknowledged messages never reached the other side") }
        if chatsAtHoldStart < scenario.chats || chatsMinimumInHold < scenario.chats {
            failures.append(
                "the plateau did not hold \(scenario.chats) chats (at its start \(chatsAtHoldStart), lowest "
                    + "\(chatsMinimumInHold))"
            )
        }
        let rate = operations > 0 ? Double(errorCount) / Double(operations) : 0
        if rate > scenario.maxErrorRate {
            failures.append(
                String(
                    format: "%d errors in %d operations (%.4f%%) exceed the budget of %.4f%%",
                    errorCount,
                    operations,
                    rate * 100,
                    scenario.maxErrorRate * 100
                )
            )
        }
        passed = failures.isEmpty
    }

    /// The report as text.
    var text: String {
        var lines: [String] = []
        let s = scenario
        lines.append("== parley-load")
        lines.append(
            String(
                format: "scenario: %d chats, arrivals %.1f/s, a customer message every %.1f s (±%.0f%%), agent think "
                    + "time %.1f s, typing before %.0f%% of messages, %.0f%% leave and return (away %.0f s), %.0f%% "
                    + "switch device, agent websocket in %.0f%% of chats, %d agents × %d chats in %d instance(s), "
                    + "%d-byte messages, "
                    + "heartbeat %@, departures over %.0f s, durability %@",
                s.chats,
                s.arrivalRate,
                s.messageInterval,
                s.jitter * 100,
                s.agentThinkTime,
                s.typingFraction * 100,
                s.leaveFraction * 100,
                s.awaySeconds,
                s.switchFraction * 100,
                s.agentWebsocketFraction * 100,
                agents,
                s.concurrency,
                instances,
                s.messageBytes,
                s.heartbeatSeconds > 0 ? String(format: "%.0f s", s.heartbeatSeconds) : "off",
                s.departureSeconds,
                durability
            )
        )
        lines.append(
            String(
                format: "offered message rate: %.2f messages/s per chat, %.0f/s in all",
                s.messagesPerChatPerSecond,
                s.messagesPerSecond
            )
        )
        lines.append(
            String(
                format: "setup %.1f s, ramp %.1f s, hold %.1f s, drain %.2f s",
                setupSeconds,
                rampSeconds,
                holdSeconds,
                drainSeconds
            )
        )
        lines.append(
            "chats: \(chatsAtHoldStart) at the start of the hold, \(chatsAtHoldEnd) at its end, lowest "
                + "\(chatsMinimumInHold), peak \(chatsPeak)"
        )
        lines.append(
            String(
                format: "hold throughput: %.1f messages/s, %.1f typing events/s, %.1f websocket deliveries/s, %.1f "
                    + "HTTP requests/s",
                messagesPerSecond,
                eventsPerSecond,
                deliveriesPerSecond,
                requestsPerSecond
            )
        )
        func mib(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }
        lines.append(
            "server memory: idle \(mib(serverIdleBytes)), plateau \(mib(serverPlateauBytes)), peak "
                + "\(mib(serverPeakBytes)), per chat "
                + (serverBytesPerChat.map { String(format: "%.1f KiB", $0 / 1024) } ?? "?")
        )
        lines.append(
            "CPU during the hold: server "
                + (serverCores.map { String(format: "%.2f cores", $0) } ?? "?") + ", load generator "
                + (clientCores.map { String(format: "%.2f cores", $0) } ?? "?") + " (of "
                + "\(ProcessInfo.processInfo.activeProcessorCount))"
        )
        lines.append(
            "open files at the plateau: server \(serverOpenFilesPlateau.map(String.init) ?? "?") (idle "
                + "\(serverOpenFilesIdle.map(String.init) ?? "?")), load generator "
                + "\(clientOpenFilesPlateau.map(String.init) ?? "?")"
        )
        if let figures {
            for phase in Phase.allCases {
                guard let metrics = figures.latencies[phase.description], !metrics.isEmpty else { continue }
                lines.append("latency (ms), \(phase):")
                lines.append(
                    "  " + "operation".padding(toLength: 34, withPad: " ", startingAt: 0)
                        + "     count      p50      p99    p99.9      max"
                )
                for metric in Metric.allCases {
                    guard let summary = metrics[metric.rawValue] else { continue }
                    lines.append(
                        "  " + metric.rawValue.padding(toLength: 34, withPad: " ", startingAt: 0)
                            + String(
                                format: "%10llu %8.1f %8.1f %8.1f %8.1f",
                                summary.count,
                                summary.p50,
                                summary.p99,
                                summary.p999,
                                summary.max
                            )
                    )
                }
            }
            lines.append("counts:")
            for phase in Phase.allCases {
                guard let counts = figures.counts[phase.description], !counts.isEmpty else { continue }
                let listed = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                lines.append("  \(phase): \(listed)")
            }
            let errors = figures.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append(
                "errors: \(errorCount) in \(operations) operations" + (errors.isEmpty ? "" : ": ")
                    + errors.joined(separator: ", ")
            )
            for sample in figures.errorSamples.prefix(5) { lines.append("  e.g. \(sample)") }
        }
        lines.append(
            "messages lost: \(lost)"
                + (lostSamples.isEmpty ? "" : " (e.g. \(lostSamples.prefix(5).joined(separator: "; ")))")
        )
        lines.append("server exit after SIGTERM: \(serverExit.map(String.init) ?? "killed")")
        lines.append(passed ? "PASSED" : "FAILED: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}

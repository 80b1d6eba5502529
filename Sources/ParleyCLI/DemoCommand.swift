import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley demo [DIR] [--data DIR] [--scenario NAME]`: the seed scenario through the real engine on a simulated clock.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the seed scenario (agent leaves, the disconnect flow waits) through the engine, into a real log.",
        discussion: """
            Configures the instance and installs Parley's sample inbound and disconnect flows on first use. Each \
            variant of the seed scenario is its own chat: the customer starts it through the sample inbound flow, \
            which sets the disconnect flow and queues it; agent-sam accepts and chats; the customer goes quiet; the \
            agent asks "Are you there?" and leaves; the disconnect flow prompts and waits 15 minutes. Then: \
            returns (the customer writes "Hey, I'm back" and goes back to agent-sam), returns-to-queue (the same \
            with the contact attribute returnTo=queue: back to the previous queue), times-out (the Wait times out \
            and the flow disconnects) or expires (a 60-minute chat whose Wait would outlive it ends EXPIRED at its \
            ceiling). All runs every variant, one after another, in the same log. The clock is simulated (a \
            ManualClock starting at --at, or 2026-01-05T09:00:00Z, or just after the log's last event); every \
            step is a command decided by the engine and made durable in DIR/log. For each variant the transcript \
            (read with GetTranscript as the customer) and the contact segments are printed.

            Without a directory the log goes to a temporary directory that is removed at the end. --scenario chat \
            runs the earlier single scripted chat (messages, a read receipt, typing, the customer ends it) on the \
            wall clock unless --at is given.
            """
    )

    @Argument(help: "The data directory (the same as --data).")
    var directory: String?

    @Option(name: .customLong("data"), help: "The data directory; without one, a temporary directory is used.")
    var data: String?

    @Option(help: "Which variant to run: returns, returns-to-queue, times-out, expires, all, or chat.")
    var scenario: DemoScenarioName = .all

    @Option(help: "The instance id recorded in a new log.")
    var instance = "parley-demo"

    @Option(help: "Start the clock at this instant (ISO 8601) instead of 2026-01-05T09:00:00Z (chat: the wall clock).")
    var at: String?

    @Option(help: "ChatDurationInMinutes of the single chat of --scenario chat or --leave-open (60–10080).")
    var duration: Int?

    @Flag(
        help: """
            Start one chat through the sample inbound flow and connect the customer, print its contact id, then \
            keep the log open until standard input closes (tests kill the process here to simulate a crash).
            """
    )
    var leaveOpen = false

    /// Where the seed scenario's clock starts when neither --at nor the log says otherwise.
    static let defaultStart = "2026-01-05T09:00:00Z"

    func validate() throws {
        if let directory, let data, directory != data {
            throw ValidationError("give the data directory once: DIR and --data \(data) differ")
        }
        if leaveOpen && directory == nil && data == nil {
            throw ValidationError("--leave-open needs a data directory (DIR or --data)")
        }
        if duration != nil && !leaveOpen && scenario != .chat {
            throw ValidationError(
                "--duration applies to --scenario chat and --leave-open; the seed scenario sets its own"
            )
        }
        if let at, ISOTime.parse(at) ?? LogTime.parse(at) == nil {
            throw ValidationError("--at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
        }
    }

    func run() async throws {
        guard let given = directory ?? data else {
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
                "parley-demo-\(UUID().uuidString)"
            ).path
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            try await run(in: temporary, temporary: true)
            return
        }
        try await run(in: given, temporary: false)
    }

    private func run(in path: String, temporary: Bool) async throws {
        let start = at.flatMap { ISOTime.parse($0) ?? LogTime.parse($0) }
        let single = leaveOpen || scenario == .chat
        let manual = ManualClock(start ?? ISOTime.parse(Self.defaultStart) ?? 0)
        let clock: any EngineClock = single && start == nil ? SystemClock() : manual
        let engine = try await Engine<ChatMachine>.open(dataDirectory: path, clock: clock)
        do {
            if !single {
                // The simulated clock never runs behind the log: a second run continues after the first.
                let resume = engine.snapshot.timestamp + 1
                if resume > manual.now() {
                    manual.set((resume + SeedScenario.minute - 1) / SeedScenario.minute * SeedScenario.minute)
                }
            }
            // Like a server at start: deadlines that passed while nothing ran fire first.
            await engine.fireDueTimers()
            let instanceId = try await setUp(engine)
            if single {
                try await script(engine, instanceId: instanceId)
            } else {
                try await seed(engine, clock: manual, instanceId: instanceId, path: path, temporary: temporary)
            }
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    /// Configures the instance and installs the sample queue and flows, unless the log already has them.
    private func setUp(_ engine: Engine<ChatMachine>) async throws -> String {
        let configured = engine.snapshot.state.instance?.instanceId
        if configured == nil {
            _ = try await engine.submit(.configureInstance(instanceId: instance, concurrentActiveChats: 500)).get()
        }
        let instanceId = configured ?? instance
        if engine.snapshot.state.flows[SampleFlows.inboundId] == nil {
            for command in SampleFlows.setup(instanceId: instanceId) { _ = try await engine.submit(command).get() }
        }
        return instanceId
    }

    /// Runs the chosen seed-scenario variants one after another and ends with the log's position.
    private func seed(
        _ engine: Engine<ChatMachine>,
        clock: ManualClock,
        instanceId: String,
        path: String,
        temporary: Bool
    ) async throws {
        let variants = scenario.variants
        print(
            "parley demo: the seed scenario (\(variants.map(\.rawValue).joined(separator: ", "))) through the engine, "
                + "simulated clock from \(ISOTime.format(clock.now()))"
        )
        let runner = SeedScenario(engine: engine, clock: clock, instanceId: instanceId)
        for variant in variants { try await runner.run(variant) }
        print("")
        let log = URL(fileURLWithPath: path).appendingPathComponent("log").path
        if temporary {
            print("log: \(log), head sequence \(engine.snapshot.position) (temporary: removed on exit; use --data DIR)")
        } else {
            print("log: \(log), head sequence \(engine.snapshot.position)")
            print("replay it: parley replay \(path)   (and parley log dump \(path) for every event)")
        }
    }

    /// The single scripted chat of `--scenario chat`, and the crash-test chat of `--leave-open`.
    private func script(_ engine: Engine<ChatMachine>, instanceId: String) async throws {
        let start = StartChatContactRequest(
            instanceId: instanceId,
            contactFlowId: SampleFlows.inboundId,
            displayName: "Ana",
            attributes: ["language": "en", "tier": "gold"],
            initialMessage: .init(contentType: ContentTypes.plainText, content: "Hi, my order has not arrived."),
            chatDurationInMinutes: duration
        )
        guard case .chatStarted(let chat) = try await engine.submit(.startChatContact(start)).get() else { return }
        let customer = try await connection(engine, chat.participantToken)
        if leaveOpen {
            let line = "contact \(chat.contactId) active at sequence \(engine.snapshot.position)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
            while readLine() != nil {}
            return
        }
        guard
            case .participantJoined(_, let agentToken) = try await engine.submit(
                .joinAgent(contactId: chat.contactId.description, displayName: "Sam", agentId: "agent-sam")
            ).get()
        else { return }
        let agent = try await connection(engine, agentToken)
        guard
            case .sent(let question, _) = try await engine.submit(
                .sendMessage(
                    connectionToken: agent,
                    contentType: ContentTypes.plainText,
                    content: "Sorry to hear that. What is the order number?",
                    clientToken: nil
                )
            ).get()
        else { return }
        _ = try await engine.submit(
            .sendEvent(
                connectionToken: customer,
                contentType: ContentTypes.read,
                content: "{\"messageId\":\"\(question)\"}",
                clientToken: nil
            )
        ).get()
        _ = try await engine.submit(
            .sendEvent(connectionToken: customer, contentType: ContentTypes.typing, content: nil, clientToken: nil)
        ).get()
        _ = try await engine.submit(
            .sendMessage(
                connectionToken: customer,
                contentType: ContentTypes.plainText,
                content: "It is 4711.",
                clientToken: nil
            )
        ).get()
        _ = try await engine.submit(.disconnectParticipant(connectionToken: customer, clientToken: nil)).get()
        print("demo chat \(chat.contactId) recorded up to sequence \(engine.snapshot.position)")
    }

    private func connection(_ engine: Engine<ChatMachine>, _ participantToken: String) async throws -> String {
        let reply = try await engine.submit(
            .createParticipantConnection(
                participantToken: participantToken,
                types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                connectParticipant: true
            )
        ).get()
        guard case .connection(let connection) = reply, let token = connection.connectionToken else {
            throw ValidationError("the engine did not return connection credentials")
        }
        return token
    }
}

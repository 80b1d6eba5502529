import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley demo DIR`: one scripted chat through the real engine, so a fresh data directory has real events.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run one scripted chat (customer, agent, messages, receipts, end) through the engine into DIR.",
        discussion: """
            Configures the instance on first use, starts a chat with attributes and an initial message, connects \
            the customer and an agent, exchanges messages, a typing event and a read receipt, and ends the chat \
            from the customer's side. Every step is a command decided by the engine and made durable in DIR/log.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "The instance id recorded in a new log.")
    var instance = "parley-demo"

    @Option(help: "Stamp events at this instant (ISO 8601) instead of the wall clock.")
    var at: String?

    @Option(help: "ChatDurationInMinutes of the demo chat (60–10080).")
    var duration: Int?

    @Flag(
        help: """
            Leave the chat active after the customer connects: print its contact id, then keep the log open \
            until standard input closes (tests kill the process here to simulate a crash).
            """
    )
    var leaveOpen = false

    func run() async throws {
        var clock: any EngineClock = SystemClock()
        if let at {
            guard let instant = ISOTime.parse(at) ?? LogTime.parse(at) else {
                throw ValidationError("--at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
            }
            clock = ManualClock(instant)
        }
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory, clock: clock)
        // Like a server at start: deadlines that passed while nothing ran fire first.
        await engine.fireDueTimers()
        do {
            try await script(engine)
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    private func script(_ engine: Engine<ChatMachine>) async throws {
        let configured = engine.snapshot.state.instance?.instanceId
        if configured == nil {
            _ = try await engine.submit(.configureInstance(instanceId: instance, concurrentActiveChats: 500)).get()
        }
        let instanceId = configured ?? instance
        if engine.snapshot.state.flows[SampleFlows.inboundId] == nil {
            for command in SampleFlows.setup(instanceId: instanceId) { _ = try await engine.submit(command).get() }
        }
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

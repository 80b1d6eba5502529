import Dispatch
import EventLog
import Foundation
import ParleyDomain
import Synchronization

/// Seed inputs made from the current code (so they follow format changes): real segments written by `EventLog`,
/// the records of a chat run through `ChatMachine`, Parley's sample flows. The HTTP target's seeds are text files
/// in `Tools/Fuzz/seeds/http-request`; the real flow exports in `../shared/corpus/flows` seed the flow target too.
public enum FuzzSeeds {
    /// The generated seeds of `target`, by file name.
    public static func generate(_ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        switch target {
        case .frameDecoder: frameSeeds()
        case .eventCodec: eventSeeds()
        case .flowLoader:
            [
                ("sample-inbound.json", Array(SampleFlows.inbound.utf8)),
                ("sample-disconnect.json", Array(SampleFlows.disconnect.utf8)),
            ]
        case .httpRequest: []
        }
    }

    /// Writes the seeds of `target` into `directory` (created if needed); returns how many.
    @discardableResult
    public static func write(_ target: FuzzTarget, to directory: String) -> Int {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var count = 0
        for (name, bytes) in generate(target)
        where FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes)) {
            count += 1
        }
        return count
    }

    // MARK: Frames

    /// Segments of a real log: small raw frames, compressible (LZ4) frames, and a log with two segments' worth.
    static func frameSeeds() -> [(name: String, bytes: [UInt8])] {
        let text = Array("Hello, I would like to know where my order is. ".utf8)
        let shapes: [(name: String, batches: [[[UInt8]]])] = [
            ("raw", [[Array("a".utf8)], [Array("bc".utf8), Array("def".utf8)]]),
            ("lz4", [[Array(repeating: text, count: 8).flatMap { $0 }], [text, text, text]]),
            ("mixed", (0..<6).map { index in (0...index).map { Array(text.prefix(8 * ($0 + 1))) } }),
        ]
        var seeds: [(name: String, bytes: [UInt8])] = []
        for shape in shapes {
            guard let frames = writtenFrames(shape.batches) else { continue }
            for (flags, suffix) in [
                (FrameDecoderTarget.Flags(), "plain"),
                ([.fixChecksums, .fixChain, .writeIndex], "fixed-indexed"),
                ([.fixChecksums, .fixChain, .twoSegments], "fixed-two-segments"),
            ] as [(FrameDecoderTarget.Flags, String)] {
                seeds.append(
                    (
                        "\(shape.name)-\(suffix)",
                        FrameDecoderTarget.input(flags: flags, intervalSelector: 2, frames: frames)
                    )
                )
            }
        }
        return seeds
    }

    /// The frames (segment without its header) of a log with one frame per batch.
    static func writtenFrames(_ batches: [[[UInt8]]]) -> [UInt8]? {
        guard let data = ScratchDirectory.make("seeds") else { return nil }
        defer { ScratchDirectory.remove(data) }
        var options = EventLogOptions()
        options.durability = .none
        var clock: Int64 = 1_763_700_000_000_000
        do {
            let log = try EventLog.open(dataDirectory: data, options: options)
            for batch in batches {
                let done = DispatchSemaphore(value: 0)
                let records = batch.enumerated().map { index, payload in
                    LogRecord(timestamp: clock + Int64(index), type: 0x0107, payload: payload)
                }
                clock += 1_000
                log.enqueue(records) { _ in done.signal() }
                done.wait()
            }
            log.closeSynchronously()
            let segment = try Data(
                contentsOf: URL(fileURLWithPath: EventLog.logDirectory(in: data) + "/" + SegmentFile.name(base: 1))
            )
            return Array(segment.dropFirst(SegmentFile.headerSize))
        } catch {
            return nil
        }
    }

    // MARK: Events

    /// One record of each event type a chat with an agent records, from a run through `ChatMachine`.
    static func eventSeeds() -> [(name: String, bytes: [UInt8])] {
        var chat = InMemoryChat()
        let instance = InMemoryChat.instanceId
        let salt = Array(repeating: UInt8(3), count: 16)
        var commands: [ChatCommand] = [.configureInstance(instanceId: instance, concurrentActiveChats: 10)]
        commands += SampleFlows.setup(instanceId: instance)
        commands += [
            .createRoutingProfile(
                instanceId: instance,
                routingProfileId: "profile",
                name: "Profile",
                chatConcurrency: 2,
                routeAnyChannel: false,
                queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                defaultOutboundQueueId: SampleFlows.queueId
            ),
            .createUser(
                instanceId: instance,
                userId: "agent",
                username: "agent",
                routingProfileId: "profile",
                autoAccept: false,
                afterContactWorkSeconds: 30
            ),
            .createAgentStatus(instanceId: instance, statusId: "break", name: "Break", type: "CUSTOM", enabled: true),
            .createHoursOfOperation(
                instanceId: instance,
                hoursId: "hours",
                name: "Always",
                timeZone: "UTC",
                config: []
            ),
        ]
        for command in commands { _ = try? chat.run(command) }
        if let credential = try? PasswordCredential.derive(password: "Seed-Agent-1", salt: salt, rounds: 1) {
            _ = try? chat.run(.setUserCredential(instanceId: instance, userId: "agent", credential: credential))
            _ = try? chat.run(.agentLogin(instanceId: instance, userId: "agent", verified: credential))
        }
        if let available = ChatQueries.listAgentStatuses(in: chat.state).first(where: { $0.type == .routable }) {
            _ = try? chat.run(.setAgentStatus(instanceId: instance, userId: "agent", statusId: available.statusId))
        }
        let start = StartChatContactRequest(
            instanceId: instance,
            contactFlowId: SampleFlows.inboundId,
            displayName: "Customer",
            attributes: ["customerType": "vip"],
            initialMessage: .init(contentType: "text/plain", content: "Hello")
        )
        if case .success(.chatStarted(let started))? = try? chat.run(.startChatContact(start)) {
            let contact = started.contactId.description
            let connected = try? chat.run(
                .createParticipantConnection(
                    participantToken: started.participantToken,
                    types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                    connectParticipant: true
                )
            )
            if case .success(.connection(let connection))? = connected, let token = connection.connectionToken {
                _ = try? chat.run(
                    .sendMessage(connectionToken: token, contentType: "text/plain", content: "Hi", clientToken: "c1")
                )
                _ = try? chat.run(
                    .sendEvent(
                        connectionToken: token,
                        contentType: "application/vnd.amazonaws.connect.event.typing",
                        content: nil,
                        clientToken: nil
                    )
                )
                _ = try? chat.run(.acceptContact(userId: "agent", contactId: contact))
                _ = try? chat.run(
                    .updateContactAttributes(instanceId: instance, initialContactId: contact, attributes: ["a": "b"])
                )
                _ = try? chat.run(.agentDisconnect(userId: "agent", contactId: contact))
                chat.advance(by: 60_000_000)
                _ = try? chat.run(.fireDueTimers)
                _ = try? chat.run(.disconnectParticipant(connectionToken: token, clientToken: nil))
            }
        }
        _ = try? chat.run(.deleteUser(instanceId: instance, userId: "agent"))
        chat.advance(by: 86_400_000_000)
        _ = try? chat.run(.fireDueTimers)
        var seen: Set<UInt16> = []
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (_, event) in chat.events {
            let (tag, payload) = event.encoded()
            guard seen.insert(tag).inserted else { continue }
            seeds.append((event.name, EventCodecTarget.input(tag: tag, payload: payload)))
        }
        return seeds
    }
}

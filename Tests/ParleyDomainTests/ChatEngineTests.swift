import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import Testing

/// The chat machine run by the real engine over a real log: what the engine publishes live must be exactly what a
/// replay of the log — or a restart — rebuilds.
@Suite struct ChatEngineTests {
    final class TemporaryDirectory: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-chat-\(UUID().uuidString)")
            .path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func liveStateEqualsReplayAndRestart(seed: UInt64) async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(1_767_261_600_000_000)
        var options = EventLogOptions()
        options.durability = .none
        options.segmentSize = 64 << 10  // several segments
        let engine = try await Engine<ChatMachine>.open(
            dataDirectory: directory.path,
            options: options,
            clock: clock,
            generator: SeededGenerator(seed: seed)
        )
        _ = await engine.submit(.configureInstance(instanceId: ChatHarness.instanceId, concurrentActiveChats: 500))
        _ = await engine.submit(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: ChatHarness.queueId, name: "Q", maxContacts: 0)
        )
        _ = await engine.submit(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: ChatHarness.flowId,
                name: "Inbound",
                type: "CONTACT_FLOW",
                description: "",
                content: ChatHarness.queueingFlow
            )
        )
        var fuzzer = ChatPropertyTests.Fuzzer(random: SeededGenerator(seed: seed &* 31))
        for _ in 0..<80 {
            if fuzzer.chance(40) {
                clock.advance(
                    byMicroseconds: fuzzer.pick([1_000, 90_000_000, 301_000_000, 3_600_000_000, 90_000_000_000])!
                )
                await engine.fireDueTimers()
            }
            // Several commands in flight at once: they are decided one by one and committed as one frame.
            let commands = (0..<Int(1 + fuzzer.random.next() % 6)).map { _ in fuzzer.command() }
            let replies = await withTaskGroup(of: (Int, Result<ChatReply, ChatError>).self) { group in
                for (index, command) in commands.enumerated() {
                    group.addTask { (index, await engine.submit(command)) }
                }
                var replies: [(Int, Result<ChatReply, ChatError>)] = []
                for await reply in group { replies.append(reply) }
                return replies
            }
            for (index, result) in replies {
                if case .success(let reply) = result { fuzzer.learn(reply, command: commands[index]) }
            }
        }
        let live = engine.snapshot
        let frames = engine.logStatistics.frames
        await engine.close()
        #expect(live.position > 100, "the run should record a real history")
        #expect(frames < Int(live.position), "concurrent commands should share frames")

        let replayed = try Engine<ChatMachine>.replay(dataDirectory: directory.path)
        #expect(replayed.position == live.position)
        #expect(replayed.state == live.state)
        #expect(replayed.state.stateHash() == live.state.stateHash())

        // Decoding on a second thread applies the same events in the same order: the same state and projections.
        var projectionHashes: [[String]] = []
        for threads in [ReplayThreads.one, .two] {
            let (snapshot, _) = try Engine<ChatMachine>.replay(
                dataDirectory: directory.path,
                projections: ChatMachine.projections,
                useCheckpoints: false,
                threads: threads
            )
            #expect(snapshot.position == live.position)
            #expect(snapshot.state.stateHash() == live.state.stateHash())
            projectionHashes.append(snapshot.projections.members.map { $0.stateHash() })
        }
        #expect(projectionHashes[0] == projectionHashes[1])

        let reopened = try await Engine<ChatMachine>.open(dataDirectory: directory.path, options: options, clock: clock)
        #expect(reopened.snapshot.state.stateHash() == live.state.stateHash())
        await reopened.close()
    }

    @Test func timestampsStayMonotonicWhenTheClockStandsStill() async throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(1_767_261_600_000_000)
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path, clock: clock)
        _ = await engine.submit(.configureInstance(instanceId: ChatHarness.instanceId, concurrentActiveChats: 500))
        _ = await engine.submit(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: ChatHarness.queueId, name: "Q", maxContacts: 0)
        )
        _ = await engine.submit(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: ChatHarness.flowId,
                name: "Inbound",
                type: "CONTACT_FLOW",
                description: "",
                content: ChatHarness.queueingFlow
            )
        )
        for _ in 0..<5 {
            _ = try await engine.submit(
                .startChatContact(
                    StartChatContactRequest(
                        instanceId: ChatHarness.instanceId,
                        contactFlowId: ChatHarness.flowId,
                        displayName: "Ana"
                    )
                )
            ).get()
        }
        await engine.close()
        var last: Int64 = .min
        let reader = try LogReader.open(dataDirectory: directory.path)
        try reader.forEach(fromSequence: 1) { record in
            #expect(record.timestamp > last, "sequence \(record.sequence) is not later than the one before")
            last = record.timestamp
            return true
        }
        // 3 setup events, then per chat: started, joined, ceiling, window, and the flow's
        // FlowStarted, TargetQueueSet, FlowStepped, ContactQueued, FlowStepped.
        #expect(reader.extent.headSequence == 3 + 5 * 9)
    }
}

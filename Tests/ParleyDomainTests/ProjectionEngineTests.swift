import EventLog
import Foundation
import Testing

@testable import ParleyDomain
@testable import ParleyEngine

/// The chat projections (contact trace records, metrics v1 and v2) maintained live by the real engine must equal
/// the same projections rebuilt from the log — and a restart from a checkpoint — for every version (ARCHITECTURE.md
/// §6, invariant 5), and the two metrics versions must agree on every metric they share.
@Suite struct ProjectionEngineTests {
    final class TemporaryDirectory: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-proj-\(UUID().uuidString)")
            .path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Random routing traffic with conversations: chats, offers, accepts, rejects, misses, transfers, messages
    /// from both sides with typing and read receipts, customer leaves, ACW, status changes and time passing.
    static func traffic(seed: UInt64) throws -> ChatHarness {
        var harness = try RoutingTests.setUp(concurrency: Int64(1 + seed % 2))
        var random = SeededGenerator(seed: seed &* 7_919)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        var customers: [String] = []
        for user in ["sam", "bea"] { try RoutingTests.available(user, &harness) }
        for _ in 0..<160 {
            switch random.next() % 12 {
            case 0, 1:
                if let chat = try? harness.startConnectedChat() { customers.append(chat.token) }
            case 2:
                let user = pick(["sam", "bea"])
                _ = harness.run(
                    .setAgentStatus(
                        instanceId: RoutingTests.instance,
                        userId: user,
                        statusId: pick(["available", "break"])
                    )
                )
            case 3, 4:
                if let contact = harness.state.contacts.values.first(where: { $0.offeredTo != nil }) {
                    _ = harness.run(
                        .acceptContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
                    )
                }
            case 5:
                if let contact = harness.state.contacts.values.first(where: { $0.offeredTo != nil }) {
                    _ = harness.run(
                        .rejectContact(userId: contact.offeredTo!, contactId: contact.contactId.description)
                    )
                }
            case 6:
                if !customers.isEmpty {
                    _ = harness.run(.disconnectParticipant(connectionToken: pick(customers), clientToken: nil))
                }
            case 7:
                for (userId, session) in harness.state.agents {
                    for (contactId, slot) in session.slots where slot.state == .afterContactWork {
                        _ = harness.run(.clearAfterContactWork(userId: userId, contactId: contactId.description))
                    }
                }
            case 8, 9:
                if !customers.isEmpty {
                    // A question, then typing and a read receipt: events no projection folds unless a segment is parked.
                    let customer = pick(customers)
                    if let question = try? harness.send(customer, "a question \(random.next() % 1000)") {
                        _ = try? harness.sendEvent(customer, ContentTypes.typing)
                        _ = try? harness.sendEvent(customer, ContentTypes.read, "{\"messageId\":\"\(question.id)\"}")
                    }
                }
                // Agents answer through their participant connections.
                for contact in harness.state.contacts.values where contact.agentParticipantId != nil {
                    guard let chat = harness.state.chats[contact.chatId], chat.status == .active,
                        let agent = contact.agentParticipantId, let participant = chat.participants[agent],
                        participant.isPresent, random.next() % 2 == 0,
                        let connection = try? harness.connect(participant.participantToken)
                    else { continue }
                    _ = try? harness.send(connection.connectionToken!, "an answer")
                }
            case 10:
                let connected = harness.state.agents.values.flatMap { session in
                    session.slots.filter { $0.value.state == .connected }.map { (session.userId, $0.key) }
                }
                if let (userId, contactId) = connected.first {
                    _ = harness.run(
                        .agentTransfer(
                            userId: userId,
                            contactId: contactId.description,
                            queueId: pick([ChatHarness.queueId, "slow"]),
                            agentId: nil,
                            flowId: nil
                        )
                    )
                }
            default:
                harness.advance(pick([1, 5, 21, 61, 600, 1_800]) * Duration.second)
                harness.fireTimers()
            }
        }
        harness.advance(Duration.hour)
        harness.fireTimers()
        return harness
    }

    static let sharedQueueMetrics = [
        "CONTACTS_CREATED", "CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT",
        "CONTACTS_ABANDONED", "ABANDONMENT_RATE", "AGENT_NON_RESPONSE", "AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS",
        "AVG_QUEUE_ANSWER_TIME", "AVG_ABANDON_TIME", "AVG_HANDLE_TIME", "AVG_INTERACTION_TIME",
        "AVG_AFTER_CONTACT_WORK_TIME", "AVG_CONTACT_DURATION", "MAX_QUEUED_TIME", "CONTACTS_TRANSFERRED_OUT",
        "SUM_CONTACTS_DISCONNECTED",
    ]

    static func request(
        _ metrics: [String],
        filter: String,
        values: [String],
        grouping: String,
        end: Int64
    ) throws
        -> GetMetricDataV2Request
    {
        let body: [String: Any] = [
            "ResourceArn": ConnectARN.instance(ChatHarness.instanceId),
            "StartTime": end - 2 * 86_400,
            "EndTime": end,
            "Interval": ["IntervalPeriod": "HOUR"],
            "Filters": [["FilterKey": filter, "FilterValues": values]],
            "Groupings": [grouping],
            "Metrics": metrics.map { name -> [String: Any] in
                name == "SERVICE_LEVEL"
                    ? ["Name": name, "Threshold": [["Comparison": "LT", "ThresholdValue": 60]]] : ["Name": name]
            },
        ]
        return try JSONDecoder().decode(GetMetricDataV2Request.self, from: JSONSerialization.data(withJSONObject: body))
    }

    /// Opens the engine on `directory` at the harness clock, loading checkpoints and writing one at close.
    static func openEngine(
        _ directory: TemporaryDirectory,
        _ clock: ManualClock,
        seed: UInt64 = 1,
        projections: [any Projection<ChatMachine>.Type] = ChatMachine.projections,
        checkpoints: CheckpointPolicy = CheckpointPolicy(everyEvents: 0, onClose: true)
    ) async throws -> Engine<ChatMachine> {
        var options = EventLogOptions()
        options.durability = .none
        return try await Engine<ChatMachine>.open(
            dataDirectory: directory.path,
            options: options,
            clock: clock,
            generator: SeededGenerator(seed: seed),
            projections: projections,
            checkpoints: checkpoints
        )
    }

    /// Runs `commands` through `engine` at their times.
    static func run(
        _ commands: ArraySlice<(now: Int64, command: ChatCommand)>,
        _ engine: Engine<ChatMachine>,
        _ clock: ManualClock
    ) async {
        for (now, command) in commands {
            clock.set(now)
            _ = await engine.submit(command)
        }
    }

    /// Ended chats, contacts and completed records go to the checkpoint's cold tier; an engine restarted from it
    /// decides exactly what one restarted by replaying the whole log (everything in memory) decides, also for
    /// commands that reach into the cold tier (attributes of ended contacts), and a second checkpoint that carries
    /// the first one's cold entries over loads to the same state, which a full replay also reaches.
    @Test(arguments: [5, 23] as [UInt64])
    func aRestartFromTheColdTierDecidesAsAFullReplayDoes(seed: UInt64) async throws {
        var harness = try Self.traffic(seed: seed)
        let split = harness.commands.count * 2 / 3
        // Late attribute updates to contacts whose chats ended early: these are cold after the restart.
        let endedEarly = harness.state.chats.values.filter { $0.status == .ended }.sorted {
            $0.startedAt < $1.startedAt
        }
        for chat in endedEarly.prefix(4) {
            _ = harness.run(
                .updateContactAttributes(
                    instanceId: RoutingTests.instance,
                    initialContactId: chat.chatId.description,
                    attributes: ["audit": "late-\(seed)"]
                )
            )
        }
        let commands = harness.commands
        // The reference: the same restart without checkpoints (a full replay, every entry in memory). A restarted
        // engine draws ids from a fresh generator, so both restarts use seed 2.
        let reference = TemporaryDirectory()
        let referenceClock = ManualClock(commands.first?.now ?? 0)
        let before = try await Self.openEngine(reference, referenceClock, checkpoints: .disabled)
        await Self.run(commands[..<split], before, referenceClock)
        await before.close()
        let after = try await Self.openEngine(reference, referenceClock, seed: 2, checkpoints: .disabled)
        await Self.run(commands[split...], after, referenceClock)
        let expected = after.snapshot
        await after.close()

        let directory = TemporaryDirectory()
        let clock = ManualClock(commands.first?.now ?? 0)
        let first = try await Self.openEngine(directory, clock)
        await Self.run(commands[..<split], first, clock)
        await first.close()

        let second = try await Self.openEngine(directory, clock, seed: 2)
        #expect(second.openReport.replayedRecords == 0)
        let loaded = second.snapshot
        #expect(loaded.state.chats.coldCount > 0)
        #expect(loaded.state.contacts.coldCount > 0)
        #expect(loaded.state.chats.hotValues.allSatisfy { $0.status == .active })
        #expect(try #require(loaded.projections[ContactRecordsProjection.self]).records.coldCount > 0)
        await Self.run(commands[split...], second, clock)
        let live = second.snapshot
        await second.close()
        #expect(live.position == expected.position)
        #expect(live.state.stateHash() == expected.state.stateHash())
        for type in ChatMachine.projections {
            let expectedHash = expected.projections.member(forKey: type.key)?.stateHash()
            #expect(live.projections.member(forKey: type.key)?.stateHash() == expectedHash, "\(type.key)")
        }
        let updated = endedEarly.prefix(4).compactMap { live.state.contacts[$0.chatId]?.attributes["audit"] }
        #expect(updated == Array(repeating: "late-\(seed)", count: min(4, endedEarly.count)))

        let third = try await Self.openEngine(directory, clock)
        #expect(third.openReport.replayedRecords == 0)
        #expect(third.snapshot.state.stateHash() == live.state.stateHash())
        #expect(third.snapshot.state == live.state)
        let replayed = try Engine<ChatMachine>.replay(
            dataDirectory: directory.path,
            projections: ChatMachine.projections,
            useCheckpoints: false
        ).snapshot
        #expect(replayed.state.stateHash() == live.state.stateHash())
        for type in ChatMachine.projections {
            let liveHash = live.projections.member(forKey: type.key)?.stateHash()
            #expect(third.snapshot.projections.member(forKey: type.key)?.stateHash() == liveHash, "\(type.key)")
            #expect(replayed.projections.member(forKey: type.key)?.stateHash() == liveHash, "\(type.key)")
        }
        await third.close()
    }

    /// contact-records@2 as checkpoints stored it before the builder was split: one builder keeping every record (its
    /// flag set), with the records, the chains and the progress. It folds as contact-records@3 does.
    struct ContactRecordsVersion2: Projection, Equatable {
        typealias Machine = ChatMachine
        static let name = ContactRecordsProjection.name
        static let version = 2
        var records = ContactRecordsProjection()

        init() {}

        mutating func apply(_ event: ChatEvent, at timestamp: Int64, state: ChatState) {
            records.apply(event, at: timestamp, state: state)
        }

        func snapshotEncode(to writer: inout BinaryWriter) {
            writer.write(bool: true)
            records.records.snapshotEncode(to: &writer)
            records.completed.chains.snapshotEncode(to: &writer)
            ContactRecordLayoutTests.progress(of: records.builder).snapshotEncode(to: &writer)
        }

        init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
            throw DecodeError(.invalidValue, "contact-records@2 is not read here", offset: reader.offset)
        }
    }

    /// A checkpoint written before contact-records@3 holds contact-records@2: the metrics load from it, contact-records
    /// is rebuilt from the log in the background (a version it lacks), then takes the records fold the metrics provide,
    /// and stays equal to a full replay through the commands and late updates that follow.
    @Test func aCheckpointWithContactRecordsVersion2RebuildsThem() async throws {
        let (harness, updated) = try Self.trafficWithLateUpdates(seed: 7)
        let commands = harness.commands
        let split = commands.count / 2
        let directory = TemporaryDirectory()
        let clock = ManualClock(commands.first?.now ?? 0)
        let old = try await Self.openEngine(
            directory,
            clock,
            projections: [ContactRecordsVersion2.self, HistoricalMetricsV1.self, HistoricalMetricsV2.self]
        )
        await Self.run(commands[..<split], old, clock)
        let before = try #require(old.snapshot.projections[ContactRecordsVersion2.self])
        #expect(!before.records.completed.records.isEmpty)
        await old.close()
        #expect(throws: DecodeError.self) { try ContactRecordsProjection(snapshotBytes: before.snapshotBytes()) }

        let engine = try await Self.openEngine(directory, clock, seed: 2)
        #expect(engine.openReport.replayedRecords == 0)
        #expect(engine.openReport.loaded == [HistoricalMetricsV1.key, HistoricalMetricsV2.key])
        #expect(engine.openReport.rebuilding == [ContactRecordsProjection.key])
        await engine.waitForRebuilds()
        let rebuilt = try #require(engine.snapshot.projections[ContactRecordsProjection.self])
        #expect(rebuilt.records == before.records.records)
        let records = ContactRecordsProjection.key
        #expect(
            await engine.projections.sharedFolds
                == [HistoricalMetricsV2.key: HistoricalMetricsV1.key, records: HistoricalMetricsV1.key]
        )
        await Self.run(commands[split...], engine, clock)
        let live = engine.snapshot
        await engine.close()
        let late = try #require(live.projections[ContactRecordsProjection.self])
        #expect(updated.contains { late.record($0)?.attributes["audit"] == "late-7" })
        let replayed = try Engine<ChatMachine>.replay(
            dataDirectory: directory.path,
            projections: ChatMachine.projections,
            useCheckpoints: false
        ).snapshot
        #expect(replayed.position == live.position)
        for type in ChatMachine.projections {
            let liveHash = live.projections.member(forKey: type.key)?.stateHash()
            #expect(liveHash != nil)
            #expect(replayed.projections.member(forKey: type.key)?.stateHash() == liveHash, "\(type.key)")
        }
    }

    /// contact-records, metrics@1 and metrics@2 keep equal builders of open contact records, so a set folds the
    /// builder once for all three; a member whose builder differs folds its own, and a member installed later is
    /// planned again.
    /// Folds `event` into `projection` and tells whether the projection said it ignores the event, and whether the
    /// fold changed it.
    static func fold<P: Projection & Equatable>(
        _ projection: inout P,
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState
    ) -> (ignored: Bool, changed: Bool) where P.Machine == ChatMachine {
        let before = projection
        let ignored = projection.ignores(event)
        projection.apply(event, at: timestamp, state: state)
        return (ignored, projection != before)
    }

    /// A projection that says it ignores an event is left exactly as it was by folding it; the kinds ignored include
    /// typing events, read receipts and timers, and the ones folded all the others that change records or metrics.
    @Test(arguments: [3, 11] as [UInt64])
    func anEventAProjectionIgnoresLeavesItAsItIs(seed: UInt64) throws {
        let (harness, _) = try Self.trafficWithLateUpdates(seed: seed)
        var state = ChatState()
        var records = ContactRecordsProjection()
        var v1 = HistoricalMetricsV1()
        var v2 = HistoricalMetricsV2()
        var ignoredKinds: Set<String> = []
        var foldedKinds: Set<String> = []
        for (timestamp, event) in harness.log {
            ChatMachine.apply(event, at: timestamp, to: &state)
            let kind = type(of: event.payload).name
            for (ignored, changed) in [
                Self.fold(&records, event, at: timestamp, state: state),
                Self.fold(&v1, event, at: timestamp, state: state),
                Self.fold(&v2, event, at: timestamp, state: state),
            ] {
                #expect(!(ignored && changed), "\(kind) said ignored, but changed a projection")
                if ignored { ignoredKinds.insert(kind) } else { foldedKinds.insert(kind) }
            }
            #expect(records.ignores(event) == !ContactRecordBuilder.folds(event))
        }
        #expect(ignoredKinds.isSuperset(of: [EventSent.name, TimerArmed.name, TimerCancelled.name]))
        #expect(foldedKinds.isSuperset(of: [MessageSent.name, ContactStarted.name, ChatEnded.name, OfferEnded.name]))
    }

    /// While a segment ended by a transfer is parked, the metrics ignore no event: any event may resolve it once its
    /// grace has passed, a typing event too.
    @Test func theMetricsIgnoreNoEventWhileASegmentIsParked() throws {
        let harness = try Self.traffic(seed: 5)
        let typing = try #require(
            harness.log.first { if case .eventSent = $0.event { true } else { false } }?.event
        )
        var state = ChatState()
        var records = ContactRecordsProjection()
        var metrics = HistoricalMetricsV2()
        for (timestamp, event) in harness.log {
            ChatMachine.apply(event, at: timestamp, to: &state)
            records.apply(event, at: timestamp, state: state)
            metrics.apply(event, at: timestamp, state: state)
        }
        #expect(metrics.aggregate.pending.isEmpty)
        #expect(metrics.ignores(typing))

        // A segment parked as a transfer leaves it (reason OTHER, no next segment known).
        let record = try #require(records.completed.records.values.first)
        metrics.aggregate.pending[record.contactId] = SegmentFacts(record, next: nil)
        let ignoredWhileParked = metrics.ignores(typing)
        #expect(!ignoredWhileParked)
        let before = metrics
        let late = (harness.log.last?.timestamp ?? 0) + MetricsLimits.transferGrace + Duration.second
        metrics.apply(typing, at: late, state: state)
        #expect(metrics.aggregate.pending.isEmpty)
        let changed = metrics != before
        #expect(changed)
    }

    @Test func theRecordsAndMetricsShareOneContactRecordFold() throws {
        let all = ProjectionSet<ChatMachine>(empty: ChatMachine.projections)
        let records = ContactRecordsProjection.key
        #expect(all.sharedFolds == [HistoricalMetricsV1.key: records, HistoricalMetricsV2.key: records])
        #expect(ProjectionSet<ChatMachine>(empty: [ContactRecordsProjection.self]).sharedFolds.isEmpty)
        let metricsFirst = ProjectionSet<ChatMachine>(empty: [HistoricalMetricsV2.self, ContactRecordsProjection.self])
        #expect(metricsFirst.sharedFolds == [records: HistoricalMetricsV2.key])

        // A v2 and a contact-records whose builders have folded a chat the v1 has not seen share with v1 nothing.
        let harness = try Self.traffic(seed: 3)
        var v2 = HistoricalMetricsV2()
        var folded = ContactRecordsProjection()
        var state = ChatState()
        for event in harness.log.prefix(200) {
            ChatMachine.apply(event.event, at: event.timestamp, to: &state)
            v2.apply(event.event, at: event.timestamp, state: state)
            folded.apply(event.event, at: event.timestamp, state: state)
        }
        #expect(v2.sharedFold != HistoricalMetricsV1().sharedFold)
        var set = ProjectionSet<ChatMachine>([HistoricalMetricsV1(), v2])
        #expect(set.sharedFolds.isEmpty)
        #expect(set.members.map { $0.stateHash() } == [HistoricalMetricsV1().stateHash(), v2.stateHash()])
        set.install(folded)
        #expect(set.sharedFolds == [records: HistoricalMetricsV2.key])
        set.install(HistoricalMetricsV2())
        #expect(set.sharedFolds == [HistoricalMetricsV2.key: HistoricalMetricsV1.key])
        set.install(ContactRecordsProjection())
        #expect(
            set.sharedFolds == [HistoricalMetricsV2.key: HistoricalMetricsV1.key, records: HistoricalMetricsV1.key]
        )
    }

    /// Two members that provide a shared fold each (fresh metrics@1 for a fresh contact-records, metrics@2 for a
    /// contact-records whose builder folded the same events): each taker folds its own provider's output, so every
    /// member ends equal to the same projection folded alone.
    @Test func eachTakerFoldsItsOwnProvidersOutput() throws {
        let harness = try Self.traffic(seed: 7)
        let events = harness.log
        let start = min(200, events.count / 3)
        var v2 = HistoricalMetricsV2()
        var folded = ContactRecordsProjection()
        var state = ChatState()
        for (timestamp, event) in events[..<start] {
            ChatMachine.apply(event, at: timestamp, to: &state)
            v2.apply(event, at: timestamp, state: state)
            folded.apply(event, at: timestamp, state: state)
        }
        var alone: [any Projection<ChatMachine>] = [HistoricalMetricsV1(), v2, ContactRecordsProjection(), folded]
        var set = ProjectionSet<ChatMachine>(alone)
        // Both records members take a fold (the second one's entry, keyed like the first, is the one kept).
        #expect(set.sharedFolds == [ContactRecordsProjection.key: HistoricalMetricsV2.key])
        for (timestamp, event) in events[start...] {
            ChatMachine.apply(event, at: timestamp, to: &state)
            set.apply(event, at: timestamp, state: state)
            for index in alone.indices { alone[index].apply(event, at: timestamp, state: state) }
        }
        #expect(set.members.map { $0.stateHash() } == alone.map { $0.stateHash() })
        #expect(alone[2].stateHash() != alone[3].stateHash(), "the two records members fold different histories")
    }

    /// A set is a value: folding into a copy (the engine's working batch, a snapshot it published) leaves the
    /// original's members as they were, whether they share a fold or not, and the original folds on alone.
    @Test func aCopyOfASetFoldsWithoutChangingTheOriginal() throws {
        let harness = try Self.traffic(seed: 5)
        let events = harness.log
        let half = events.count / 2
        for types in [ChatMachine.projections, [ContactRecordsProjection.self]] {
            var original = ProjectionSet<ChatMachine>(empty: types)
            var state = ChatState()
            for (timestamp, event) in events[..<half] {
                ChatMachine.apply(event, at: timestamp, to: &state)
                original.apply(event, at: timestamp, state: state)
            }
            let hashes = original.members.map { $0.stateHash() }
            var copy = original
            var copyState = state
            for (timestamp, event) in events[half...] {
                ChatMachine.apply(event, at: timestamp, to: &copyState)
                copy.apply(event, at: timestamp, state: copyState)
            }
            #expect(copy.members.map { $0.stateHash() } != hashes)
            #expect(original.members.map { $0.stateHash() } == hashes)
            // The original, folded on alone, ends where the copy did.
            for (timestamp, event) in events[half...] {
                ChatMachine.apply(event, at: timestamp, to: &state)
                original.apply(event, at: timestamp, state: state)
            }
            #expect(original.members.map { $0.stateHash() } == copy.members.map { $0.stateHash() })
        }
    }

    /// `traffic(seed:)`, then attribute updates of the first chats that ended (their records completed long before:
    /// each update re-emits one), some more traffic, and the chat ids updated.
    static func trafficWithLateUpdates(seed: UInt64) throws -> (harness: ChatHarness, updated: [Identifier]) {
        var harness = try Self.traffic(seed: seed)
        let ended = harness.state.chats.values.filter { $0.status == .ended }.sorted { $0.startedAt < $1.startedAt }
        let updated = ended.prefix(6).map(\.chatId)
        for chatId in updated {
            harness.advance(Duration.second)
            _ = harness.run(
                .updateContactAttributes(
                    instanceId: RoutingTests.instance,
                    initialContactId: chatId.description,
                    attributes: ["audit": "late-\(seed)"]
                )
            )
            _ = try? harness.startConnectedChat()
        }
        harness.advance(Duration.hour)
        harness.fireTimers()
        return (harness, updated)
    }

    /// Whichever member of a set provides the shared fold (contact-records or a metrics version) and whichever take
    /// it, every member equals the projection folded alone — late updates of completed records included — and the
    /// records' change stream reports each record completed once, then re-emits each later change of it.
    @Test(arguments: [5, 11] as [UInt64])
    func contactRecordsShareTheFoldInAnyOrder(seed: UInt64) throws {
        let (harness, updated) = try Self.trafficWithLateUpdates(seed: seed)
        let records = ContactRecordsProjection.self
        let orders: [[any Projection<ChatMachine>.Type]] = [
            ChatMachine.projections, [HistoricalMetricsV1.self, HistoricalMetricsV2.self, records],
            [HistoricalMetricsV2.self, records], [records, HistoricalMetricsV1.self], [records],
            [HistoricalMetricsV2.self],
        ]
        var sets = orders.map { ProjectionSet<ChatMachine>(empty: $0) }
        var alone: [any Projection<ChatMachine>] = ChatMachine.projections.map { $0.init() }
        var reporting = ContactRecordsProjection()
        var changes: [ContactRecordChange] = []
        var builder = ContactRecordBuilder()
        var builderChanges: [ContactRecordChange] = []
        var state = ChatState()
        for (timestamp, event) in harness.log {
            ChatMachine.apply(event, at: timestamp, to: &state)
            for index in sets.indices { sets[index].apply(event, at: timestamp, state: state) }
            for index in alone.indices { alone[index].apply(event, at: timestamp, state: state) }
            changes += reporting.applyReportingChanges(event, at: timestamp, state: state)
            builderChanges += builder.apply(event, at: timestamp, state: state)
        }
        for (order, set) in zip(orders, sets) {
            let provider = order[0].key
            let keys = order.map { $0.key }.joined(separator: ", ")
            #expect(set.sharedFolds == Dictionary(uniqueKeysWithValues: order.dropFirst().map { ($0.key, provider) }))
            for member in set.members {
                let key = type(of: member).key
                let expected = alone.first { type(of: $0).key == key }?.stateHash()
                #expect(member.stateHash() == expected, "\(key) in \(keys)")
            }
        }
        let folded = try #require(alone.first as? ContactRecordsProjection)
        #expect(reporting == folded)

        // The stream: each record completed once, as the builder alone reports it; a re-emitted record completed
        // before; the last change of each completed record is the record kept.
        #expect(changes.filter(\.isCompletion) == builderChanges)
        var last: [Identifier: ContactTraceRecord] = [:]
        var reEmitted: [Identifier] = []
        for change in changes {
            let record = change.record
            switch change.kind {
            case .completed:
                #expect(last[record.contactId] == nil, "completed twice")
                last[record.contactId] = record
            case .updated:
                #expect(last[record.contactId] != nil, "re-emitted before it completed")
                #expect(record.lastUpdateTimestamp >= last[record.contactId]?.lastUpdateTimestamp ?? .max)
                last[record.contactId] = record
                reEmitted.append(record.contactId)
            }
        }
        #expect(last == Dictionary(uniqueKeysWithValues: folded.completed.records.entries.map { ($0.key, $0.value) }))
        #expect(!reEmitted.isEmpty)
        #expect(Set(reEmitted).isSubset(of: updated))
        for chatId in updated {
            #expect(folded.record(chatId)?.attributes["audit"] == "late-\(seed)")
        }
    }

    @Test(arguments: [3, 17, 42] as [UInt64])
    func liveProjectionsEqualRebuiltOnesAndTheMetricVersionsAgree(seed: UInt64) async throws {
        let harness = try Self.traffic(seed: seed)
        let directory = TemporaryDirectory()
        let clock = ManualClock(harness.commands.first?.now ?? 0)
        let engine = try await Self.openEngine(directory, clock)
        await Self.run(harness.commands[...], engine, clock)
        let live = engine.snapshot
        await engine.close()
        // The engine ran the very history the harness decided.
        #expect(live.state.stateHash() == harness.state.stateHash())

        let records = try #require(live.projections[ContactRecordsProjection.self])
        #expect(records.records.values.filter(\.completed).count > 10)
        #expect(
            records.records.values.contains {
                $0.initiationMethod == .transfer || $0.initiationMethod == .queueTransfer
            }
        )
        #expect(records.records.values.contains { $0.agent != nil && $0.chatMetrics.agentMetrics != nil })

        let rebuilt = try Engine<ChatMachine>.replay(
            dataDirectory: directory.path,
            projections: ChatMachine.projections,
            useCheckpoints: false
        ).snapshot
        #expect(rebuilt.state.stateHash() == live.state.stateHash())
        for type in ChatMachine.projections {
            let liveHash = live.projections.member(forKey: type.key)?.stateHash()
            #expect(liveHash != nil)
            #expect(rebuilt.projections.member(forKey: type.key)?.stateHash() == liveHash, "\(type.key) differs")
            // Folded alone, a projection folds its own contact records: the shared fold of the set changes nothing.
            let alone = try Engine<ChatMachine>.replay(
                dataDirectory: directory.path,
                projections: [type],
                useCheckpoints: false
            ).snapshot
            #expect(alone.projections.member(forKey: type.key)?.stateHash() == liveHash, "\(type.key) alone differs")
        }

        // A restart loads the checkpoint written at close and publishes the same projections.
        let reopened = try await Self.openEngine(
            directory,
            clock,
            checkpoints: CheckpointPolicy(everyEvents: 0, onClose: false)
        )
        #expect(reopened.openReport.replayedRecords == 0)
        #expect(reopened.openReport.loaded == ChatMachine.projections.map { $0.key })
        for type in ChatMachine.projections {
            #expect(
                reopened.snapshot.projections.member(forKey: type.key)?.stateHash()
                    == live.projections.member(forKey: type.key)?.stateHash(),
                "\(type.key) differs after loading the checkpoint"
            )
        }
        await reopened.close()

        // v1 and v2 answer every shared metric alike, per queue and per agent, hour by hour.
        let v1 = try #require(live.projections[HistoricalMetricsV1.self])
        let v2 = try #require(live.projections[HistoricalMetricsV2.self])
        let end = harness.now / Duration.second
        let now = harness.now
        let queues = try Self.request(
            Self.sharedQueueMetrics + ["SERVICE_LEVEL"],
            filter: "QUEUE",
            values: [ChatHarness.queueId, "slow"],
            grouping: "QUEUE",
            end: end
        )
        let byQueue = try v1.getMetricDataV2(queues, in: live.state, now: now)
        #expect(byQueue == (try v2.getMetricDataV2(queues, in: live.state, now: now)))
        #expect(!byQueue.metricResults.isEmpty)
        let agents = try Self.request(
            ["SUM_ONLINE_TIME_AGENT", "SUM_IDLE_TIME_AGENT", "SUM_NON_PRODUCTIVE_TIME_AGENT", "AGENT_OCCUPANCY"],
            filter: "AGENT",
            values: ["sam", "bea"],
            grouping: "AGENT",
            end: end
        )
        let byAgent = try v1.getMetricDataV2(agents, in: live.state, now: now)
        #expect(byAgent == (try v2.getMetricDataV2(agents, in: live.state, now: now)))
        #expect(!byAgent.metricResults.isEmpty)
        // v2 knows the chat metrics; v1 refuses them.
        let chat = try Self.request(
            ["AVG_MESSAGES", "AVG_RESPONSE_TIME_AGENT"],
            filter: "QUEUE",
            values: [ChatHarness.queueId],
            grouping: "QUEUE",
            end: end
        )
        #expect(!(try v2.getMetricDataV2(chat, in: live.state, now: now)).metricResults.isEmpty)
        #expect(throws: ChatError.self) { try v1.getMetricDataV2(chat, in: live.state, now: now) }
    }
}

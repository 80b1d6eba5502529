import ParleyDomain
import Testing

/// Random command sequences: whatever the commands do (most are valid, many are not), replaying the recorded
/// events through the binary codec must rebuild exactly the live state.
@Suite struct ChatPropertyTests {
    /// Picks commands at random from what the harness knows (tokens, contacts, messages) plus garbage.
    struct Fuzzer {
        var random: SeededGenerator
        var participantTokens: [String] = []
        var connectionTokens: [String] = []
        var websocketTokens: [String] = []
        var contacts: [Identifier] = []
        var messages: [Identifier] = []
        var sockets: [(String, Identifier)] = []

        mutating func pick<T>(_ values: [T]) -> T? {
            values.isEmpty ? nil : values[Int(random.next() % UInt64(values.count))]
        }

        mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

        mutating func text(maxBytes: Int) -> String {
            let length = Int(random.next() % UInt64(maxBytes + 1))
            return String(repeating: chance(10) ? "é" : "a", count: length)
        }

        mutating func contactText() -> String {
            if chance(5) { return "not-a-contact" }
            return pick(contacts)?.description ?? "00000000-0000-4000-8000-000000000000"
        }

        mutating func command() -> ChatCommand {
            let instance = chance(97) ? ChatHarness.instanceId : "other-instance"
            switch random.next() % 100 {
            case 0..<12:
                var request = StartChatContactRequest(
                    instanceId: instance,
                    contactFlowId: chance(98) ? ChatHarness.flowId : "",
                    displayName: chance(97) ? "Customer" : ""
                )
                if chance(30) { request.attributes = ["tier": "gold", chance(95) ? "lang" : "bad key!": "en"] }
                if chance(40) { request.initialMessage = .init(contentType: "text/plain", content: text(maxBytes: 40)) }
                if chance(30) { request.clientToken = "token-\(random.next() % 5)" }
                if chance(30) {
                    request.chatDurationInMinutes = [59, 60, 61, 120, 1500, 10_080, 10_081][Int(random.next() % 7)]
                }
                if chance(15) {
                    request.supportedMessagingContentTypes =
                        chance(80) ? ["text/plain", "text/markdown"] : ["text/markdown"]
                }
                if chance(10), let past = pick(contacts) {
                    request.persistentChat = .init(
                        rehydrationType: chance(50) ? "ENTIRE_PAST_SESSION" : "FROM_SEGMENT",
                        sourceContactId: past.description
                    )
                }
                if chance(10), let related = pick(contacts) { request.relatedContactId = related.description }
                return .startChatContact(request)
            case 12..<22:
                return .createParticipantConnection(
                    participantToken: pick(participantTokens) ?? "nope",
                    types: chance(90) ? ["WEBSOCKET", "CONNECTION_CREDENTIALS"] : ["CARRIER_PIGEON"],
                    connectParticipant: chance(50)
                )
            case 22..<26:
                var socket = Identifier(high: random.next(), low: random.next())
                if chance(20), let existing = pick(sockets) { socket = existing.1 }
                return .openWebsocket(websocketToken: pick(websocketTokens) ?? "nope", socketId: socket)
            case 26..<29:
                guard let (token, socket) = pick(sockets) else { return .fireDueTimers }
                return .closeWebsocket(websocketToken: token, socketId: socket)
            case 29..<45:
                return .sendMessage(
                    connectionToken: pick(connectionTokens) ?? "nope",
                    contentType: chance(90) ? "text/plain" : (chance(50) ? "text/markdown" : "image/gif"),
                    content: chance(2) ? String(repeating: "x", count: 16_385) : text(maxBytes: 30),
                    clientToken: chance(20) ? "m\(random.next() % 4)" : nil
                )
            case 45..<53:
                let types = [
                    ContentTypes.typing, ContentTypes.read, ContentTypes.delivered, "application/vnd.bogus",
                ]
                let type = pick(types)!
                let content = pick(messages).map { "{\"messageId\":\"\($0)\"}" }
                return .sendEvent(
                    connectionToken: pick(connectionTokens) ?? "nope",
                    contentType: type,
                    content: type == ContentTypes.typing ? nil : content,
                    clientToken: nil
                )
            case 53..<58:
                return .disconnectParticipant(connectionToken: pick(connectionTokens) ?? "nope", clientToken: nil)
            case 58..<61:
                return .stopContact(instanceId: instance, contactId: contactText())
            case 61..<66:
                return .updateContactAttributes(
                    instanceId: instance,
                    initialContactId: contactText(),
                    attributes: chance(95)
                        ? ["step": "\(random.next() % 10)"] : ["x": String(repeating: "y", count: 40_000)]
                )
            case 66..<71:
                let roles = ["CUSTOMER", "AGENT", "SYSTEM"]
                let types = ["IDLE", "DISCONNECT_NONCUSTOMER"]
                var settings: [RoleTimerRequest] = []
                for _ in 0..<Int(1 + random.next() % 3) {
                    settings.append(
                        RoleTimerRequest(
                            role: pick(roles)!,
                            timerType: pick(types)!,
                            minutes: chance(90) ? Int(1 + random.next() % 10) : nil,
                            unset: chance(10)
                        )
                    )
                }
                return .updateParticipantRoleConfig(instanceId: instance, contactId: contactText(), settings: settings)
            case 71..<78:
                return .joinAgent(contactId: contactText(), displayName: "Agent")
            case 78..<81:
                return .createParticipant(
                    instanceId: instance,
                    contactId: contactText(),
                    role: chance(90) ? "CUSTOM_BOT" : "AGENT",
                    displayName: "Bot"
                )
            case 81..<85:
                return .sendSystemMessage(
                    contactId: contactText(),
                    displayName: "SYSTEM_MESSAGE",
                    contentType: "text/plain",
                    content: "Please hold."
                )
            case 85..<88:
                return .setDisconnectFlow(contactId: contactText(), flowId: chance(80) ? "survey-flow" : nil)
            default:
                return .fireDueTimers
            }
        }

        /// Learns tokens, contacts and messages from a successful reply.
        mutating func learn(_ reply: ChatReply, command: ChatCommand) {
            switch reply {
            case .chatStarted(let response):
                contacts.append(response.contactId)
                participantTokens.append(response.participantToken)
            case .connection(let connection):
                if let token = connection.connectionToken { connectionTokens.append(token) }
                if let token = connection.websocketToken { websocketTokens.append(token) }
            case .participantJoined(_, let token):
                participantTokens.append(token)
            case .sent(let id, _):
                if case .sendMessage = command { messages.append(id) }
            default:
                break
            }
            if case .openWebsocket(let token, let socket) = command { sockets.append((token, socket)) }
        }
    }

    @Test func replayReproducesLiveStateForThousandsOfRandomSequences() throws {
        var rejected = 0
        var accepted = 0
        var events = 0
        for seed in 1...2_000 as ClosedRange<UInt64> {
            var harness = ChatHarness(seed: seed)
            var fuzzer = Fuzzer(random: SeededGenerator(seed: seed &* 7919))
            var checkpoints: [(Int64, StateHash)] = []
            for step in 0..<30 {
                // Time moves in leaps from a millisecond to two days, so every timer kind falls due somewhere.
                let leaps: [Int64] = [
                    1_000, 1_000_000, 90_000_000, 301_000_000, 3_600_000_000, 90_000_000_000, 172_800_000_000,
                ]
                if fuzzer.chance(35) { harness.advance(fuzzer.pick(leaps)!) }
                let command = fuzzer.command()
                let before = harness.log.count
                switch harness.run(command) {
                case .success(let reply):
                    accepted += 1
                    fuzzer.learn(reply, command: command)
                case .failure:
                    rejected += 1
                    #expect(harness.log.count == before, "a rejected command wrote events (seed \(seed))")
                }
                #expect(
                    Array(harness.state.deadlines)
                        == harness.state.timers.map { DeadlineIndex.Entry($0.value, $0.key) }.sorted()
                        && harness.state.earliestDeadline == harness.state.timers.values.min(),
                    "seed \(seed): the deadline index drifted from the timers"
                )
                if step == 14 { checkpoints.append((harness.state.lastTimestamp, harness.state.stateHash())) }
            }
            events += harness.log.count
            let replayed = try harness.replayed()
            #expect(replayed == harness.state, "seed \(seed): replayed state differs")
            #expect(replayed.stateHash() == harness.state.stateHash(), "seed \(seed): state hash differs")
            for (instant, hash) in checkpoints {
                #expect(try harness.replayed(until: instant).stateHash() == hash, "seed \(seed): as-of replay differs")
            }
        }
        // The generator must exercise both paths heavily, or the property says little.
        #expect(accepted > 17_000)
        #expect(rejected > 5_000)
        #expect(events > 40_000)
    }
}

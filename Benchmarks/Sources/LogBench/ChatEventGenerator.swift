import BenchChat
import ParleyDomain

/// Simulates a busy contact center: many chats in progress at once, each going through start, bot attributes, an
/// agent joining, turns of typing, messages and receipts, sometimes a transfer, then the end; their events
/// interleave the way they would reach the log.
struct ChatEventGenerator {
    private var random: SplitMix64
    private var contacts: [ContactScript] = []
    private var time: Int64

    /// A generator of the same events for the same `seed`, with `concurrentChats` chats in progress at any time.
    init(seed: UInt64 = 0x5EED_C4A7, concurrentChats: Int = 512, startTime: Int64 = 1_795_000_000_000_000) {
        random = SplitMix64(seed: seed)
        time = startTime
        for _ in 0..<concurrentChats { contacts.append(ContactScript(using: &random)) }
    }

    /// The next event; time advances by 0–600 µs per event (about 3,300 events/s).
    mutating func next() -> ChatEvent {
        time += Int64.random(in: 0...600, using: &random)
        let slot = Int.random(in: 0..<contacts.count, using: &random)
        if let event = contacts[slot].next(at: time, using: &random) { return event }
        contacts[slot] = ContactScript(using: &random)
        return contacts[slot].next(at: time, using: &random)!
    }
}

/// One chat in progress: who is in it and what happens next.
private struct ContactScript {
    private enum Step {
        case start
        case join(ParticipantRole)
        case message(ParticipantRole)
        case signal(ParticipantRole, ChatSignal)
        case attributes
        case transfer
        case handover
        case leave(ParticipantRole)
        case end
    }

    private let contact: ID128
    private let customer: ID128
    private let customerName: String
    private let system: ID128
    private var agent: ID128
    private var agentName: String
    private var lastMessage: ID128
    private var turnsLeft: Int
    private var speaker = ParticipantRole.customer
    private var pending: [Step] = [
        .start, .join(.customer), .message(.customer), .message(.system), .attributes, .join(.agent),
    ]
    private var position = 0
    private var startTime: Int64 = 0

    init(using random: inout SplitMix64) {
        contact = ID128(using: &random)
        customer = ID128(using: &random)
        customerName = ChatText.customerNames.randomElement(using: &random)!
        system = ID128(using: &random)
        agent = ID128(using: &random)
        agentName = ChatText.agentNames.randomElement(using: &random)!
        lastMessage = ID128(using: &random)
        turnsLeft = Int.random(in: 4...16, using: &random)
    }

    /// The chat's next event, or nil once it has ended.
    mutating func next(at time: Int64, using random: inout SplitMix64) -> ChatEvent? {
        if position == pending.count && !plan(using: &random) { return nil }
        let step = pending[position]
        position += 1
        return ChatEvent(time: time, contact: contact, body: body(of: step, at: time, using: &random))
    }

    /// Queues the steps of the next turn, or of the ending; false once the chat has ended.
    private mutating func plan(using random: inout SplitMix64) -> Bool {
        pending.removeAll(keepingCapacity: true)
        position = 0
        if turnsLeft < 0 { return false }
        if turnsLeft == 0 {
            pending = [.leave(.customer), .leave(.agent), .end]
            turnsLeft = -1
            return true
        }
        turnsLeft -= 1
        if Double.random(in: 0..<1, using: &random) < 0.7 { speaker = speaker == .agent ? .customer : .agent }
        let listener: ParticipantRole = speaker == .agent ? .customer : .agent
        if Double.random(in: 0..<1, using: &random) < 0.35 { pending.append(.signal(speaker, .typing)) }
        pending.append(.message(speaker))
        if Double.random(in: 0..<1, using: &random) < 0.15 { pending.append(.signal(listener, .delivered)) }
        if Double.random(in: 0..<1, using: &random) < 0.6 { pending.append(.signal(listener, .read)) }
        let extra = Double.random(in: 0..<1, using: &random)
        if extra < 0.1 {
            pending.append(.attributes)
        } else if extra < 0.12 {
            pending += [.transfer, .leave(.agent), .handover]
        }
        return true
    }

    private func participant(_ role: ParticipantRole) -> Participant {
        switch role {
        case .customer: Participant(id: customer, role: .customer, displayName: customerName)
        case .agent: Participant(id: agent, role: .agent, displayName: agentName)
        default: Participant(id: system, role: role, displayName: "SYSTEM_MESSAGE")
        }
    }

    /// An idempotency token as SDKs make them: a random UUID in text form.
    private static func clientToken(using random: inout SplitMix64) -> String {
        var text: [UInt8] = []
        ID128(using: &random).appendUUID(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    private mutating func body(of step: Step, at time: Int64, using random: inout SplitMix64) -> ChatEvent.Body {
        switch step {
        case .start:
            startTime = time
            return .contactStarted(
                customerName: customerName,
                queue: ChatText.queues.randomElement(using: &random)!,
                attributes: ChatText.startAttributes(using: &random)
            )
        case .join(let role):
            return .participantJoined(item: ID128(using: &random), participant: participant(role))
        case .message(let role):
            lastMessage = ID128(using: &random)
            let fragments =
                switch role {
                case .customer: ChatText.customerFragments
                case .agent: ChatText.agentFragments
                default: ChatText.systemFragments
                }
            return .messageSent(
                participant: participant(role),
                message: lastMessage,
                content: ChatText.message(fragments, agentName: agentName, using: &random),
                clientToken: Self.clientToken(using: &random)
            )
        case .signal(let role, let signal):
            return .eventSent(
                item: ID128(using: &random),
                participant: participant(role),
                signal: signal,
                message: signal == .typing ? nil : lastMessage,
                clientToken: Self.clientToken(using: &random)
            )
        case .attributes:
            return .attributesUpdated(attributes: ChatText.updateAttributes(using: &random))
        case .transfer:
            return .contactTransferred(queue: ChatText.queues.randomElement(using: &random)!, agent: agent)
        case .handover:
            agent = ID128(using: &random)
            agentName = ChatText.agentNames.randomElement(using: &random)!
            return .participantJoined(item: ID128(using: &random), participant: participant(.agent))
        case .leave(let role):
            return .participantLeft(item: ID128(using: &random), participant: participant(role))
        case .end:
            return .chatEnded(
                item: ID128(using: &random),
                reason: ChatText.endReasons.randomElement(using: &random)!,
                durationSeconds: Int((time - startTime) / 1_000_000)
            )
        }
    }
}

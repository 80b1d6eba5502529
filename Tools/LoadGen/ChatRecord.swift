import Foundation
import Synchronization

/// Who wrote a message.
enum Role: Sendable {
    case customer, agent

    /// The first character of the message keys of this role (`c12`, `a3`).
    var prefix: Character { self == .customer ? "c" : "a" }
}

/// One chat as the load sees it: every message either side sent (keyed by the first word of its content, `c7` or
/// `a7`), which the other side has seen, and the deliveries still awaited. Shared by the chat's customer and agent.
final class ChatRecord: Sendable {
    /// The chat's number in this run.
    let index: Int
    /// The contact id.
    let contactId: String
    /// When the customer asked for the chat (StartChatContact sent, monotonic ns).
    let requestedAt: UInt64
    /// Opens once the agent is connected (its websocket subscribed, if it has one): the customer starts writing.
    let agentReady = Gate()
    private let outstanding: Outstanding

    private struct Sent {
        var started: UInt64
        var acknowledged = false
        /// Whether the acknowledgement found it not yet seen by the side that must see it (counted outstanding).
        var awaited = false
    }

    private struct State {
        var sent: [String: Sent] = [:]
        var seenByCustomer: Set<String> = []
        var seenByAgent: Set<String> = []
        var agentHasSocket = false
        var customerListens = false
        var counters: [Role: Int] = [:]
    }

    private let state = Mutex(State())

    init(index: Int, contactId: String, requestedAt: UInt64, outstanding: Outstanding) {
        self.index = index
        self.contactId = contactId
        self.requestedAt = requestedAt
        self.outstanding = outstanding
    }

    /// Notes that the agent hears this chat on a websocket of its own (so it must see every customer message).
    func agentListens() { state.withLock { $0.agentHasSocket = true } }

    /// Notes that the customer's first websocket subscribed (from then on it must see every agent message; a
    /// customer who never got one counts as a failed connection, not as lost messages).
    func customerListens() { state.withLock { $0.customerListens = true } }

    /// A fresh key for `role`'s next message, registered as being sent now.
    func beginSend(_ role: Role) -> String {
        state.withLock { state in
            state.counters[role, default: 0] += 1
            let key = "\(role.prefix)\(state.counters[role, default: 0])"
            state.sent[key] = Sent(started: Clock.now())
            return key
        }
    }

    /// Whether the side other than the writer of `key` must see it.
    private static func mustBeSeen(_ key: String, _ state: State) -> Bool {
        key.first == Role.agent.prefix ? state.customerListens : state.agentHasSocket
    }

    private static func seen(_ key: String, _ state: State) -> Bool {
        key.first == Role.agent.prefix ? state.seenByCustomer.contains(key) : state.seenByAgent.contains(key)
    }

    /// SendMessage answered with success: the other side must now see `key`.
    func acknowledged(_ key: String) {
        let awaited = state.withLock { state -> Bool in
            guard var sent = state.sent[key], !sent.acknowledged else { return false }
            sent.acknowledged = true
            sent.awaited = Self.mustBeSeen(key, state) && !Self.seen(key, state)
            state.sent[key] = sent
            return sent.awaited
        }
        if awaited { outstanding.add(1) }
    }

    /// SendMessage failed: nobody must see `key` (it may still arrive).
    func failed(_ key: String) {
        state.withLock { $0.sent[key]?.acknowledged = false }
    }

    /// What noting a message as seen found.
    enum Sighting {
        /// Seen before, or not a message of the other side.
        case again
        /// Seen for the first time; `sentAt` is when it was sent (monotonic ns), if this run sent it.
        case first(sentAt: UInt64?)
    }

    /// `role`'s side saw the message whose content begins with `key`.
    func saw(_ key: Substring, by role: Role) -> Sighting {
        guard let first = key.first, first != role.prefix, first == "a" || first == "c" else { return .again }
        let key = String(key)
        let (sighting, settled) = state.withLock { state -> (Sighting, Bool) in
            let inserted =
                role == .customer ? state.seenByCustomer.insert(key).inserted : state.seenByAgent.insert(key).inserted
            guard inserted else { return (.again, false) }
            guard let sent = state.sent[key] else { return (.first(sentAt: nil), false) }
            if sent.awaited { state.sent[key]?.awaited = false }
            return (.first(sentAt: sent.started), sent.awaited)
        }
        if settled { outstanding.add(-1) }
        return sighting
    }

    /// Whether the customer side has seen `key` (the device-switch probe).
    func customerHasSeen(_ key: String) -> Bool { state.withLock { $0.seenByCustomer.contains(key) } }

    /// Messages acknowledged but never seen by the side that must see them.
    func lost() -> [String] {
        state.withLock { state in
            state.sent.filter { key, sent in
                sent.acknowledged && Self.mustBeSeen(key, state) && !Self.seen(key, state)
            }.keys.sorted()
        }
    }
}

/// The number of acknowledged messages not yet seen by the side that must see them, across all chats.
final class Outstanding: Sendable {
    private let value = Atomic<Int>(0)

    func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }

    var count: Int { value.load(ordering: .relaxed) }
}

/// Every chat of the run by contact id; agents look up the chat an offer is for (it may arrive before the
/// customer's StartChatContact answer does).
final class ChatDirectory: Sendable {
    private struct State {
        var records: [String: ChatRecord] = [:]
        var waiting: [String: [CheckedContinuation<ChatRecord?, Never>]] = [:]
    }

    private let state = Mutex(State())

    /// Adds a chat and hands it to whoever waits for it.
    func add(_ record: ChatRecord) {
        let waiters = state.withLock { state in
            state.records[record.contactId] = record
            return state.waiting.removeValue(forKey: record.contactId) ?? []
        }
        for waiter in waiters { waiter.resume(returning: record) }
    }

    /// Every chat.
    var all: [ChatRecord] { state.withLock { Array($0.records.values) } }

    /// The chat of `contactId`, waiting at most `seconds` for it to be added.
    func record(_ contactId: String, within seconds: Double) async -> ChatRecord? {
        if let record = state.withLock({ $0.records[contactId] }) { return record }
        let timer = Task {
            try? await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
            let expired = state.withLock { $0.waiting.removeValue(forKey: contactId) } ?? []
            for waiter in expired { waiter.resume(returning: nil) }
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let found = state.withLock { state -> ChatRecord?? in
                if let record = state.records[contactId] { return .some(record) }
                state.waiting[contactId, default: []].append(continuation)
                return .none
            }
            if case .some(let record) = found { continuation.resume(returning: record) }
        }
    }
}

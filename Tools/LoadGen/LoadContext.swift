import Foundation
import Synchronization

/// An instance the load runs against: its inbound flow, the queue it routes to, and the load agents' routing
/// profile.
struct Target: Sendable {
    var instanceId: String
    var flowId: String
    var queueId: String
    var routingProfileId: String
}

/// What every simulated customer and agent shares: the API, the scenario, the figures, the chats, and the signals
/// that move the run from one phase to the next.
final class LoadContext: Sendable {
    let api: ParleyAPI
    let scenario: LoadScenario
    /// The instances; chat `i` and agent `i` belong to `targets[i % targets.count]`.
    let targets: [Target]
    let stats = Stats()
    let directory = ChatDirectory()
    let outstanding = Outstanding()
    /// Opens when the plateau begins (leave-and-return and device switches happen after it).
    let holdStarted = Gate()
    /// Opens when sending stops (wind-down).
    let stopSending = Gate()
    /// Opens when the customers may leave (after the deliveries drained).
    let leave = Gate()
    /// Chats whose customer is subscribed and whose agent is connected, and not yet over.
    private let established = Atomic<Int>(0)
    /// The most chats established at once.
    private let peak = Atomic<Int>(0)
    /// Sends (SendMessage, SendEvent) not yet answered.
    private let inFlight = Atomic<Int>(0)
    private let holdStart = Mutex<UInt64?>(nil)

    init(api: ParleyAPI, scenario: LoadScenario, targets: [Target]) {
        self.api = api
        self.scenario = scenario
        self.targets = targets
    }

    /// The instance of chat or agent `index`.
    func target(_ index: Int) -> Target { targets[index % targets.count] }

    var establishedChats: Int { established.load(ordering: .relaxed) }
    var peakChats: Int { peak.load(ordering: .relaxed) }
    var sendsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// A chat became established (+1) or ended (-1).
    func chatEstablished(_ delta: Int) {
        let now = established.add(delta, ordering: .relaxed).newValue
        if delta > 0 { _ = peak.max(now, ordering: .relaxed) }
    }

    /// Marks the start of the plateau.
    func startHold() {
        holdStart.withLock { $0 = Clock.now() }
        stats.enter(.hold)
        holdStarted.open()
    }

    /// When the plateau began (monotonic ns), once it has.
    var holdStartedAt: UInt64? { holdStart.withLock { $0 } }

    /// Runs one send, counting it as in flight meanwhile and its outcome in the figures.
    func sending<Value: Sendable>(
        _ metric: Metric,
        _ work: () async throws(LoadError) -> Value
    ) async -> Value? {
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        return await timed(metric, work)
    }

    /// Runs one operation, recording its latency on success and its failure otherwise.
    func timed<Value: Sendable>(_ metric: Metric, _ work: () async throws(LoadError) -> Value) async -> Value? {
        let start = Clock.now()
        do {
            let value = try await work()
            stats.record(metric, since: start)
            stats.count(metric.rawValue)
            return value
        } catch {
            stats.count(metric.rawValue + " failed")
            stats.error(error)
            return nil
        }
    }

    /// A message's content: its key, the chat's number, then padding to the scenario's size.
    func content(_ key: String, chat: Int) -> String {
        let head = "\(key) \(chat) "
        let padding = max(0, scenario.messageBytes - head.utf8.count)
        return head + String(repeating: "x", count: padding)
    }
}

/// The participant calls customers and agents both make, timed and counted.
extension LoadContext {
    /// CreateParticipantConnection for `participantToken`: a websocket URL too when `websocket`.
    func connection(_ participantToken: String, websocket: Bool, connect: Bool) async -> ConnectionAnswer? {
        await timed(
            .connection,
            { () async throws(LoadError) in
                try await api.participant(
                    "CreateParticipantConnection",
                    "connection",
                    bearer: participantToken,
                    ConnectionBody(
                        Type: websocket ? ["WEBSOCKET", "CONNECTION_CREDENTIALS"] : ["CONNECTION_CREDENTIALS"],
                        ConnectParticipant: connect
                    ),
                    answer: ConnectionAnswer.self
                )
            }
        )
    }

    /// A typing event on the connection `token`.
    func sendTyping(_ token: String) async {
        _ = await sending(
            .sendEvent,
            { () async throws(LoadError) in
                try await api.participant(
                    "SendEvent",
                    "event",
                    bearer: token,
                    SendBody(ContentType: ContentType.typing, Content: nil),
                    answer: SentAnswer.self
                )
            }
        )
    }

    /// The message `key` of `record`'s chat on the connection `token`; its outcome is marked on the record.
    func sendMessage(_ key: String, _ token: String, _ record: ChatRecord) async {
        let content = content(key, chat: record.index)
        let sent = await sending(
            .sendMessage,
            { () async throws(LoadError) in
                try await api.participant(
                    "SendMessage",
                    "message",
                    bearer: token,
                    SendBody(ContentType: ContentType.text, Content: content),
                    answer: SentAnswer.self
                )
            }
        )
        if sent != nil { record.acknowledged(key) } else { record.failed(key) }
    }
}

import Foundation
import Synchronization

/// What one of a customer's websockets has seen: the last item (where a later transcript read resumes) and
/// whether the device-switch probe arrived.
final class SocketWatch: Sendable {
    private struct State {
        var lastItemId: String?
        var probe: String?
        var ended = false
    }

    private let state = Mutex(State())
    /// Opens when the probe message arrives on this socket.
    let probeSeen = Gate()

    /// The last item seen.
    var lastItemId: String? { state.withLock { $0.lastItemId } }
    /// Whether `chat.ended` arrived.
    var chatEnded: Bool { state.withLock { $0.ended } }

    /// Watches for the message whose key is `key`.
    func expect(probe key: String) { state.withLock { $0.probe = key } }

    /// Notes `item`; true if it is the probe.
    fileprivate func note(_ item: ChatItem, key: Substring?) {
        let isProbe = state.withLock { state -> Bool in
            state.lastItemId = item.Id
            if item.ContentType == ContentType.chatEnded { state.ended = true }
            return key != nil && state.probe.map { $0 == key! } == true
        }
        if isProbe { probeSeen.open() }
    }
}

/// Content types the load looks at.
enum ContentType {
    static let text = "text/plain"
    static let typing = "application/vnd.amazonaws.connect.event.typing"
    static let chatEnded = "application/vnd.amazonaws.connect.event.chat.ended"
}

/// The first word of a message's content: its key (`c3`, `a3`).
func messageKey(_ item: ChatItem) -> Substring? {
    guard item.Type == "MESSAGE", let content = item.Content else { return nil }
    return content.split(separator: " ", maxSplits: 1).first
}

/// A simulated customer: starts a chat, connects over a websocket, waits for the agent, writes at the scenario's
/// rate (with typing events), maybe leaves and returns or switches device during the hold, and leaves at the end.
struct Customer {
    let context: LoadContext
    let index: Int
    var rng: SplitMix64

    private var scenario: LoadScenario { context.scenario }
    private var api: ParleyAPI { context.api }
    private var stats: Stats { context.stats }

    /// A connection of this customer: its websocket, what the socket saw, and the connection token.
    struct Connection {
        var socket: ChatSocket
        var watch: SocketWatch
        var token: String
    }

    /// Runs the customer to the end of the run.
    mutating func run() async {
        let requested = Clock.now()
        let target = context.target(index)
        let index = self.index
        guard
            let started = await context.timed(
                .startChat,
                { () async throws(LoadError) in
                    try await api.control(
                        "StartChatContact",
                        .PUT,
                        "/contact/chat",
                        StartChatBody(
                            InstanceId: target.instanceId,
                            ContactFlowId: target.flowId,
                            ParticipantDetails: .init(DisplayName: "customer-\(index)")
                        ),
                        answer: StartChatAnswer.self
                    )
                }
            )
        else { return }
        let record = ChatRecord(
            index: index,
            contactId: started.ContactId,
            requestedAt: requested,
            outstanding: context.outstanding
        )
        context.directory.add(record)
        guard var connection = await connect(started.ParticipantToken, record, first: true) else {
            await context.leave.wait()
            await abandon(started.ParticipantToken)
            return
        }
        if await record.agentReady.wait(atMost: 300) {
            context.chatEstablished(1)
            await converse(&connection, participantToken: started.ParticipantToken, record)
            context.chatEstablished(-1)
        } else {
            stats.error(LoadError(.timeout, "chat \(index): no agent connected within 300 s", kind: "no agent"))
        }
        await context.leave.wait()
        // Departures spread over the wind-down rather than all at once.
        _ = await Gate().sleep(Double.random(in: 0...scenario.departureSeconds, using: &rng))
        await leave(connection)
    }

    /// Ends a chat whose websocket never opened: a connection for its token, then DisconnectParticipant.
    private func abandon(_ participantToken: String) async {
        guard
            let answer = await context.connection(participantToken, websocket: false, connect: true),
            let token = answer.ConnectionCredentials?.ConnectionToken
        else { return }
        _ = await context.timed(
            .disconnect,
            { () async throws(LoadError) in
                try await api.participant(
                    "DisconnectParticipant",
                    "disconnect",
                    bearer: token,
                    Empty(),
                    answer: Empty.self
                )
            }
        )
    }

    /// CreateParticipantConnection and a subscribed websocket; after a return, the transcript since the last item
    /// seen fills the gap.
    private func connect(
        _ participantToken: String,
        _ record: ChatRecord,
        first: Bool,
        since lastItemId: String? = nil
    ) async -> Connection? {
        guard
            let answer = await context.connection(participantToken, websocket: true, connect: first)
        else { return nil }
        guard let url = answer.Websocket?.Url, let token = answer.ConnectionCredentials?.ConnectionToken else {
            stats.error(LoadError(.protocolViolation, "CreateParticipantConnection without a websocket or a token"))
            return nil
        }
        let watch = SocketWatch()
        let stats = self.stats
        let opened = Clock.now()
        let socket: ChatSocket
        do {
            socket = try await ChatSocket.open(url: url, heartbeat: scenario.heartbeatSeconds) { item in
                let key = messageKey(item)
                watch.note(item, key: key)
                guard let key else { return }
                if case .first(let sentAt) = record.saw(key, by: .customer) {
                    if let sentAt { stats.record(.toCustomer, since: sentAt) }
                    stats.count("delivered to customer (websocket)")
                }
            }
        } catch {
            stats.count(Metric.websocket.rawValue + " failed")
            stats.error(error, operation: "customer websocket")
            return nil
        }
        stats.record(.websocket, since: opened)
        stats.count(Metric.websocket.rawValue)
        record.customerListens()
        if !first { await fillGap(token, record, since: lastItemId) }
        return Connection(socket: socket, watch: watch, token: token)
    }

    /// Reads the transcript after `lastItemId` (all of it without one), noting every message in it as seen.
    private func fillGap(_ token: String, _ record: ChatRecord, since lastItemId: String?) async {
        var nextToken: String?
        repeat {
            // Forward from the last item seen; without one, the default (backward from the newest) pages through
            // everything. (Parley answers FORWARD without a StartPosition with nothing.)
            let start = nextToken == nil ? lastItemId.map { TranscriptBody.Start(Id: $0) } : nil
            let body = TranscriptBody(
                MaxResults: 100,
                SortOrder: "ASCENDING",
                ScanDirection: lastItemId == nil ? nil : "FORWARD",
                StartPosition: start,
                NextToken: nextToken
            )
            guard
                let page = await context.timed(
                    .transcript,
                    { () async throws(LoadError) in
                        try await api.participant(
                            "GetTranscript",
                            "transcript",
                            bearer: token,
                            body,
                            answer: TranscriptAnswer.self
                        )
                    }
                )
            else { return }
            for item in page.Transcript {
                guard let key = messageKey(item) else { continue }
                if case .first = record.saw(key, by: .customer) { stats.count("gap-filled for customer (transcript)") }
            }
            nextToken = page.NextToken
        } while nextToken != nil
    }

    /// Writes until sending stops; leaves and returns, or switches device, once if chosen to.
    private mutating func converse(
        _ connection: inout Connection,
        participantToken: String,
        _ record: ChatRecord
    )
        async
    {
        var leaveAt = rng.chance(scenario.leaveFraction) ? Double.random(in: 0.05...0.6, using: &rng) : nil
        var switchAt = rng.chance(scenario.switchFraction) ? Double.random(in: 0.05...0.6, using: &rng) : nil
        while await context.stopSending.sleep(rng.around(scenario.messageInterval, jitter: scenario.jitter)) {
            if connection.socket.closed.isOpen {
                if connection.watch.chatEnded { return }
                stats.error(LoadError(.transport, "a customer websocket closed unexpectedly", kind: "socket lost"))
                guard let again = await reconnect(connection, participantToken, record) else { return }
                connection = again
            }
            let progress = holdProgress()
            if let at = leaveAt, let progress, progress >= at {
                leaveAt = nil
                await connection.socket.close()
                stats.count("customer left")
                _ = await context.stopSending.sleep(rng.around(scenario.awaySeconds, jitter: scenario.jitter))
                guard let again = await reconnect(connection, participantToken, record) else { return }
                connection = again
                stats.count("customer returned")
                continue
            }
            if let at = switchAt, let progress, progress >= at {
                switchAt = nil
                if let switched = await switchDevice(connection, participantToken, record) { connection = switched }
                continue
            }
            await send(connection.token, record)
        }
    }

    /// How far the hold is (0 at its start, 1 at its planned end), or nil before it.
    private func holdProgress() -> Double? {
        guard let start = context.holdStartedAt else { return nil }
        return Clock.seconds(since: start) / max(scenario.holdSeconds, 1)
    }

    private func reconnect(_ old: Connection, _ participantToken: String, _ record: ChatRecord) async -> Connection? {
        await connect(participantToken, record, first: false, since: old.watch.lastItemId)
    }

    /// A typing event (sometimes), then a message.
    private mutating func send(_ token: String, _ record: ChatRecord) async {
        if rng.chance(scenario.typingFraction) { await context.sendTyping(token) }
        await context.sendMessage(record.beginSend(.customer), token, record)
    }

    /// A second device connects; a message it sends must reach both sockets; then the first device closes.
    private func switchDevice(
        _ old: Connection,
        _ participantToken: String,
        _ record: ChatRecord
    ) async
        -> Connection?
    {
        guard let new = await connect(participantToken, record, first: false, since: old.watch.lastItemId) else {
            return nil
        }
        let probe = record.beginSend(.customer)
        old.watch.expect(probe: probe)
        new.watch.expect(probe: probe)
        let started = Clock.now()
        await context.sendMessage(probe, new.token, record)
        let onOld = await old.watch.probeSeen.wait(atMost: 30)
        let onNew = await new.watch.probeSeen.wait(atMost: 30)
        let both = onOld && onNew
        if both {
            stats.record(.deviceSwitch, since: started)
            stats.count("device switches")
        } else {
            stats.error(
                LoadError(
                    .timeout,
                    "chat \(index): the device-switch message did not reach both websockets within 30 s",
                    kind: "device switch probe missing"
                )
            )
        }
        await old.socket.close()
        return new
    }

    /// DisconnectParticipant, then the server closes the socket once the chat ended.
    private func leave(_ connection: Connection) async {
        let token = connection.token
        let left = await context.timed(
            .disconnect,
            { () async throws(LoadError) in
                try await api.participant(
                    "DisconnectParticipant",
                    "disconnect",
                    bearer: token,
                    Empty(),
                    answer: Empty.self
                )
            }
        )
        if left != nil, !(await connection.socket.closed.wait(atMost: 30)) {
            stats.error(
                LoadError(
                    .timeout,
                    "chat \(index): the server did not close the customer's websocket within 30 s of the disconnect",
                    kind: "socket not closed after disconnect"
                )
            )
        }
        await connection.socket.close()
    }
}

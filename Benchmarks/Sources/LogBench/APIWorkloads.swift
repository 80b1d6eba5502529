import BenchChat
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The api phase's workloads against a running server: chats started and ended over the real API, closed loops of
/// SendMessage and of the hello-world endpoint, and websocket fan-out.
struct APIWorkloads: Sendable {
    /// Builds the requests (control plane signed).
    let requests: APIRequests
    /// Where the server listens.
    let host: String
    let port: Int
    /// The demo instance and its inbound flow.
    let instanceId: String
    let flowId: String
    /// The client's event loops.
    let group: any EventLoopGroup

    /// A customer in a started chat, connected.
    struct Customer: Sendable {
        var contactId: String
        var participantToken: String
        var connectionToken: String
        var websocketURL: String?
    }

    /// Requests/s and latencies of one closed-loop run.
    struct LoopFigures: Sendable {
        /// Answered requests per second (2xx, inside the window).
        var rate: Double
        /// Latencies in seconds.
        var latency: Sample
        /// Non-2xx answers inside the window.
        var failures: Int
        /// The first non-2xx answer.
        var firstFailure: String?
        /// Server CPU seconds per wall second over the window.
        var serverCPU: Double
        /// This process's CPU seconds per wall second over the window.
        var clientCPU: Double

        /// Server CPU seconds per answered request: steadier than the rate on a shared machine, since time the
        /// server waits for a CPU is not in it.
        var serverCPUPerRequest: Double { rate > 0 ? serverCPU / rate : .infinity }
    }

    /// `count` new connections.
    func connections(_ count: Int) async throws -> [APIConnection] {
        var opened: [APIConnection] = []
        for _ in 0..<count { opened.append(try await APIConnection.connect(host: host, port: port, group: group)) }
        return opened
    }

    /// Starts `count` chats over `connections` (StartChatContact, then CreateParticipantConnection with
    /// `ConnectParticipant`), each connection taking its share in turn; with `websocket` the connection also asks for
    /// a websocket URL.
    func startChats(
        _ count: Int,
        over connections: [APIConnection],
        websocket: Bool = false
    ) async throws
        -> [Customer]
    {
        try await withThrowingTaskGroup(of: [Customer].self, returning: [Customer].self) { group in
            for (lane, connection) in connections.enumerated() {
                let share = count > lane ? (count - lane - 1) / connections.count + 1 : 0
                group.addTask {
                    var started: [Customer] = []
                    for _ in 0..<share {
                        let customer = try await self.startChat(on: connection, websocket: websocket)
                        started.append(customer)
                    }
                    return started
                }
            }
            var all: [Customer] = []
            for try await started in group { all += started }
            return all
        }
    }

    /// Starts one chat on `connection` with a connected customer.
    func startChat(on connection: APIConnection, websocket: Bool = false) async throws -> Customer {
        let start = try await connection.send(
            requests.control(
                .PUT,
                "/contact/chat",
                StartChatBody(
                    InstanceId: instanceId,
                    ContactFlowId: flowId,
                    ParticipantDetails: .init(DisplayName: "Bench customer")
                )
            )
        ).decode(StartChatAnswer.self, "StartChatContact")
        let connected = try await connect(start.ParticipantToken, on: connection, websocket: websocket, first: true)
        return Customer(
            contactId: start.ContactId,
            participantToken: start.ParticipantToken,
            connectionToken: connected.token,
            websocketURL: connected.url
        )
    }

    /// CreateParticipantConnection for `participantToken`: the connection token and, when asked for, the websocket URL.
    func connect(
        _ participantToken: String,
        on connection: APIConnection,
        websocket: Bool,
        first: Bool
    ) async throws -> (token: String, url: String?) {
        let answer = try await connection.send(
            requests.participant(
                "connection",
                bearer: participantToken,
                ConnectionBody(
                    Type: websocket ? ["WEBSOCKET", "CONNECTION_CREDENTIALS"] : ["CONNECTION_CREDENTIALS"],
                    ConnectParticipant: first
                )
            )
        ).decode(ConnectionAnswer.self, "CreateParticipantConnection")
        guard let token = answer.ConnectionCredentials?.ConnectionToken else {
            throw APIBenchError("CreateParticipantConnection answered without a connection token")
        }
        if websocket, answer.Websocket?.Url == nil {
            throw APIBenchError("CreateParticipantConnection answered without a websocket URL")
        }
        return (token, answer.Websocket?.Url)
    }

    /// Ends each customer's chat: the customer's DisconnectParticipant (a chat without an agent ends with it).
    func endChats(_ customers: [Customer], over connections: [APIConnection]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (lane, connection) in connections.enumerated() {
                let mine = stride(from: lane, to: customers.count, by: connections.count).map { customers[$0] }
                group.addTask {
                    for customer in mine {
                        let answer = try await connection.send(
                            requests.participant("disconnect", bearer: customer.connectionToken, Empty())
                        )
                        guard answer.succeeded else {
                            throw APIBenchError("DisconnectParticipant answered \(answer.status)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The customer's SendMessage, built once, with a ClientToken as the AWS SDKs send (a UUID; a closed loop
    /// gives each request a fresh one, see `PreparedRequest.tokenOffset`).
    func sendMessage(_ customer: Customer, content: String) -> PreparedRequest {
        // A random UUID whose first two groups the loop rewrites.
        let token = "00000000-0000-" + UUID().uuidString.lowercased().dropFirst(14)
        var request = requests.participant(
            "message",
            bearer: customer.connectionToken,
            SendBody(ContentType: "text/plain", Content: content, ClientToken: String(token))
        )
        let body = Array(request.body.readableBytesView)
        let needle = Array(token.utf8)
        if let start = body.indices.first(where: { body[$0...].starts(with: needle) }) {
            request.tokenOffset = request.body.readerIndex + start
        }
        return request
    }

    /// Each connection sends its request again and again for `warmup` + `seconds`; the figures cover the last
    /// `seconds`. `serverPid` is the process whose CPU time is reported.
    func closedLoop(
        _ prepared: [PreparedRequest],
        over connections: [APIConnection],
        warmup: Double,
        seconds: Double,
        serverPid: Int32
    ) async throws -> LoopFigures {
        let now = DispatchTime.now().uptimeNanoseconds
        let from = now + UInt64(warmup * 1e9)
        let end = from + UInt64(seconds * 1e9)
        let marker = Task { () async -> (server: Double, client: Double) in
            try? await Task.sleep(for: .seconds(warmup))
            return (APIServerProcess.cpuSeconds(pid: serverPid), APIServerProcess.cpuSeconds(pid: getpid()))
        }
        let results = try await withThrowingTaskGroup(of: LoopResult.self) { group in
            for (index, connection) in connections.enumerated() {
                let request = prepared[index % prepared.count]
                group.addTask { try await connection.loop(request, from: from, until: end) }
            }
            var all: [LoopResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let before = await marker.value
        let serverAfter = APIServerProcess.cpuSeconds(pid: serverPid)
        let clientAfter = APIServerProcess.cpuSeconds(pid: getpid())
        // The loops finish once the last answer after `end` arrived; CPU is divided by the wall time it covers.
        let covered = Double(DispatchTime.now().uptimeNanoseconds - from) / 1e9
        var latencies: [Double] = []
        var failures = 0
        var firstFailure: String?
        for result in results {
            latencies += result.latencies.map { Double($0) / 1e9 }
            failures += result.failures
            firstFailure = firstFailure ?? result.firstFailure
        }
        return LoopFigures(
            rate: Double(latencies.count) / seconds,
            latency: Sample(latencies),
            failures: failures,
            firstFailure: firstFailure,
            serverCPU: (serverAfter - before.server) / covered,
            clientCPU: (clientAfter - before.client) / covered
        )
    }
}

/// Times messages from just before SendMessage is sent until each subscribed websocket pushed it.
final class FanoutClock: Sendable {
    private struct State {
        var key = ""
        var sentAt: UInt64 = 0
        var arrived: [Bool]
        var latencies: [[Double]]
        var waiting: CheckedContinuation<Bool, Never>?
    }

    private let state: Mutex<State>
    /// How many sockets each message must reach.
    let subscribers: Int

    /// A clock for `subscribers` sockets.
    init(subscribers: Int) {
        self.subscribers = subscribers
        state = Mutex(
            State(
                arrived: Array(repeating: false, count: subscribers),
                latencies: Array(repeating: [], count: subscribers)
            )
        )
    }

    /// The latencies so far, in seconds, per subscriber.
    var latencies: [[Double]] { state.withLock { $0.latencies } }

    /// Notes that socket `subscriber` pushed a message with `content` at `arrived` (uptime nanoseconds).
    func arrived(_ content: String, subscriber: Int, at arrived: UInt64) {
        let done = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard content == state.key, !state.arrived[subscriber] else { return nil }
            state.arrived[subscriber] = true
            state.latencies[subscriber].append(Double(arrived &- state.sentAt) / 1e9)
            guard state.arrived.allSatisfy({ $0 }) else { return nil }
            defer { state.waiting = nil }
            return state.waiting
        }
        done?.resume(returning: true)
    }

    /// Sends message `key` with `send` and waits until every socket pushed it; false if that took over 10 s.
    func time(_ key: String, send: @Sendable () async throws -> Void) async throws -> Bool {
        state.withLock { state in
            state.key = key
            state.arrived = Array(repeating: false, count: subscribers)
            state.sentAt = DispatchTime.now().uptimeNanoseconds
        }
        try await send()
        let timeout = Task {
            try await Task.sleep(for: .seconds(10))
            let late = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                defer { state.waiting = nil }
                return state.waiting
            }
            late?.resume(returning: false)
        }
        defer { timeout.cancel() }
        return await withCheckedContinuation { continuation in
            let already = state.withLock { state -> Bool in
                if state.arrived.allSatisfy({ $0 }) { return true }
                state.waiting = continuation
                return false
            }
            if already { continuation.resume(returning: true) }
        }
    }
}

// MARK: - Bodies and answers

/// `{}`.
struct Empty: Codable, Sendable {}

struct StartChatBody: Encodable {
    struct Details: Encodable { var DisplayName: String }
    var InstanceId: String
    var ContactFlowId: String
    var ParticipantDetails: Details
}

struct StartChatAnswer: Decodable {
    var ContactId: String
    var ParticipantId: String
    var ParticipantToken: String
}

struct ConnectionBody: Encodable {
    var `Type`: [String]
    var ConnectParticipant: Bool?
}

struct ConnectionAnswer: Decodable {
    struct Websocket: Decodable { var Url: String }
    struct Credentials: Decodable { var ConnectionToken: String }
    var Websocket: Websocket?
    var ConnectionCredentials: Credentials?
}

struct SendBody: Encodable {
    var ContentType: String
    var Content: String?
    var ClientToken: String? = nil
}

struct LoginBody: Encodable {
    var Username: String
    var Password: String
    var InstanceId: String
}

struct LoginAnswer: Decodable {
    var SessionToken: String
}

struct StatusesAnswer: Decodable {
    struct Status: Decodable {
        var AgentStatusId: String
        var `Type`: String
    }
    var AgentStatuses: [Status]
}

struct StatusBody: Encodable {
    var AgentStatusId: String
}

struct AcceptAnswer: Decodable {
    var ParticipantToken: String
}

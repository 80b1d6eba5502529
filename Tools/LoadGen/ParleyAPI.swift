import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ParleyServer

/// The HTTP methods the load uses.
enum Method: String, Sendable {
    case GET, PUT, POST

    var nio: HTTPMethod {
        switch self {
        case .GET: .GET
        case .PUT: .PUT
        case .POST: .POST
        }
    }
}

/// The server's HTTP API as the load's customers and agents call it: the Connect control plane (SigV4-signed), the
/// participant service (`X-Amz-Bearer`) and the agent desk (`Authorization: Bearer`).
///
/// Requests go through one pooled client; agents' event streams through another, so that a stream held open for
/// the whole run never takes a connection the requests need.
final class ParleyAPI: Sendable {
    /// `http://HOST:PORT`.
    let base: String
    /// `HOST:PORT`, as signed.
    let authority: String
    let signer: SigV4Signer
    let requests: HTTPClient
    let streams: HTTPClient
    /// Seconds a request may take before it counts as failed.
    let timeout: Int64

    init(base: String, signer: SigV4Signer, connections: Int, streams streamConnections: Int, timeout: Int64 = 60) {
        self.base = base
        authority = String(base.drop { $0 != "/" }.dropFirst(2))
        self.signer = signer
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(600),
            concurrentHTTP1ConnectionsPerHostSoftLimit: connections
        )
        configuration.decompression = .disabled
        requests = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var streaming = configuration
        streaming.connectionPool = .init(
            idleTimeout: .seconds(600),
            concurrentHTTP1ConnectionsPerHostSoftLimit: streamConnections
        )
        streams = HTTPClient(eventLoopGroupProvider: .singleton, configuration: streaming)
    }

    /// Closes both clients.
    func shutdown() async {
        try? await requests.shutdown()
        try? await streams.shutdown()
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    /// Amazon's error shape (`__type` or `x-amzn-ErrorType`, and a message).
    private struct ErrorBody: Decodable {
        var message: String?
        var Message: String?
    }

    /// Sends one request; the body of a 2xx answer, or a `LoadError` naming the operation, status and error type.
    private func send(
        _ operation: String,
        _ method: Method,
        _ path: String,
        headers: [(String, String)],
        body: [UInt8]
    ) async throws(LoadError) -> ByteBuffer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method.nio
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method != .GET {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let collected: ByteBuffer
        do {
            response = try await requests.execute(request, timeout: .seconds(timeout))
            collected = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw LoadError(.transport, "\(operation): \(error)", kind: "\(operation) transport")
        }
        guard (200..<300).contains(response.status.code) else {
            let type = response.headers.first(name: "x-amzn-ErrorType") ?? "?"
            let detail = try? Self.decoder.decode(ErrorBody.self, from: Data(collected.readableBytesView))
            throw LoadError(
                .http,
                "\(operation) answered \(response.status.code) \(type): "
                    + (detail?.message ?? detail?.Message ?? String(buffer: collected).prefix(200).description),
                kind: "\(operation) \(response.status.code) \(type)"
            )
        }
        return collected
    }

    private func decode<Answer: Decodable>(
        _ type: Answer.Type,
        _ buffer: ByteBuffer,
        _ operation: String
    )
        throws(LoadError) -> Answer
    {
        do {
            return try Self.decoder.decode(Answer.self, from: Data(buffer.readableBytesView))
        } catch {
            throw LoadError(
                .protocolViolation,
                "\(operation) answered what does not decode: \(error)",
                kind: "\(operation) bad answer"
            )
        }
    }

    private static func encode(_ body: some Encodable) -> [UInt8] {
        (try? encoder.encode(body)).map(Array.init) ?? Array("{}".utf8)
    }

    // MARK: Control plane

    /// A SigV4-signed control-plane call.
    func control<Answer: Decodable>(
        _ operation: String,
        _ method: Method,
        _ path: String,
        _ body: some Encodable,
        answer: Answer.Type
    ) async throws(LoadError) -> Answer {
        let bytes = Self.encode(body)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let signed = signer.headers(
            method: method.rawValue,
            rawPath: path,
            rawQuery: nil,
            host: authority,
            contentType: "application/json",
            body: bytes,
            now: now
        )
        let headers = [("Host", authority)] + signed.map { ($0.name, $0.value) }
        return try decode(answer, try await send(operation, method, path, headers: headers, body: bytes), operation)
    }

    // MARK: Participant service

    /// A participant-service call (`POST /participant/<path>`) with `X-Amz-Bearer: bearer`.
    func participant<Answer: Decodable>(
        _ operation: String,
        _ path: String,
        bearer: String,
        _ body: some Encodable,
        answer: Answer.Type
    ) async throws(LoadError) -> Answer {
        let buffer = try await send(
            operation,
            .POST,
            "/participant/" + path,
            headers: [("X-Amz-Bearer", bearer)],
            body: Self.encode(body)
        )
        return try decode(answer, buffer, operation)
    }

    // MARK: Agent desk

    /// An agent-desk call (`/agent/v1/<path>`), with the session token once logged in.
    func agent<Answer: Decodable>(
        _ operation: String,
        _ method: Method,
        _ path: String,
        session: String?,
        _ body: some Encodable,
        answer: Answer.Type
    ) async throws(LoadError) -> Answer {
        var headers: [(String, String)] = []
        if let session { headers.append(("Authorization", "Bearer " + session)) }
        let bytes = method == .GET ? [] : Self.encode(body)
        let buffer = try await send(operation, method, "/agent/v1/" + path, headers: headers, body: bytes)
        return try decode(answer, buffer, operation)
    }

    /// Reads the agent's event stream (server-sent events) after `after`, calling `onEntry` for each entry, until
    /// the server ends it or the task is cancelled.
    func agentEvents(
        session: String,
        after: Int64,
        onEntry: (AgentEntry) async -> Void
    ) async throws(LoadError) {
        var request = HTTPClientRequest(url: base + "/agent/v1/events/stream?after=\(after)")
        request.headers.add(name: "Authorization", value: "Bearer " + session)
        request.headers.add(name: "Accept", value: "text/event-stream")
        do {
            let response = try await streams.execute(request, deadline: .now() + .hours(48))
            guard response.status == .ok else {
                throw LoadError(
                    .http,
                    "the agent event stream answered \(response.status.code)",
                    kind: "agent stream \(response.status.code)"
                )
            }
            var parser = EventStreamParser()
            for try await chunk in response.body {
                for data in parser.feed(chunk) {
                    guard let entry = try? Self.decoder.decode(AgentEntry.self, from: data) else { continue }
                    await onEntry(entry)
                }
            }
        } catch let error as LoadError {
            throw error
        } catch {
            if Task.isCancelled { return }
            throw LoadError(.transport, "agent event stream: \(error)", kind: "agent stream transport")
        }
    }
}

/// One entry of an agent's feed as the desk streams it.
struct AgentEntry: Decodable, Sendable {
    var Sequence: Int64
    var Kind: String
    var State: String
    var ContactId: String?
}

/// Splits a server-sent-event stream into the `data` of each event.
struct EventStreamParser {
    private var pending: [UInt8] = []

    /// The `data` payloads of the events completed by `chunk`.
    mutating func feed(_ chunk: ByteBuffer) -> [Data] {
        pending.append(contentsOf: chunk.readableBytesView)
        var events: [Data] = []
        while let end = Self.blankLine(in: pending) {
            let block = pending[..<end.start]
            pending.removeSubrange(..<end.after)
            var data: [UInt8] = []
            for line in block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            where line.starts(with: Array("data:".utf8)) {
                var payload = line.dropFirst(5)
                if payload.first == UInt8(ascii: " ") { payload = payload.dropFirst() }
                if !data.isEmpty { data.append(UInt8(ascii: "\n")) }
                data.append(contentsOf: payload)
            }
            if !data.isEmpty { events.append(Data(data)) }
        }
        return events
    }

    private static func blankLine(in bytes: [UInt8]) -> (start: Int, after: Int)? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 10 && bytes[index + 1] == 10 {
            return (index, index + 2)
        }
        return nil
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
}

struct SentAnswer: Decodable {
    var Id: String
}

struct TranscriptBody: Encodable {
    struct Start: Encodable { var Id: String }
    var MaxResults: Int
    var SortOrder: String
    var ScanDirection: String?
    var StartPosition: Start?
    var NextToken: String?
}

struct TranscriptAnswer: Decodable {
    var Transcript: [ChatItem]
    var NextToken: String?
}

/// A transcript item, from GetTranscript or an `aws/chat` frame.
struct ChatItem: Decodable, Sendable {
    var Id: String
    var `Type`: String
    var ContentType: String?
    var Content: String?
    var ParticipantRole: String?
}

struct RoutingProfileBody: Encodable {
    struct Reference: Encodable {
        var QueueId: String
        var Channel: String
    }
    struct QueueConfig: Encodable {
        var QueueReference: Reference
        var Priority: Int
        var Delay: Int
    }
    struct Concurrency: Encodable {
        var Channel: String
        var Concurrency: Int
    }
    var Name: String
    var Description: String
    var DefaultOutboundQueueId: String
    var QueueConfigs: [QueueConfig]
    var MediaConcurrencies: [Concurrency]
}

struct RoutingProfileAnswer: Decodable {
    var RoutingProfileId: String
}

struct CreateUserBody: Encodable {
    struct Phone: Encodable {
        var PhoneType: String
        var AutoAccept: Bool
        var AfterContactWorkTimeLimit: Int
    }
    var Username: String
    var Password: String
    var SecurityProfileIds: [String]
    var RoutingProfileId: String
    var PhoneConfig: Phone
}

struct CreateUserAnswer: Decodable {
    var UserId: String
}

struct LoginBody: Encodable {
    var Username: String
    var Password: String
    var InstanceId: String
}

struct LoginAnswer: Decodable {
    var UserId: String
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

struct MeAnswer: Decodable {
    var LastEvent: Int64
}

struct AcceptAnswer: Decodable {
    var ParticipantId: String
    var ParticipantToken: String
}

struct CreateInstanceBody: Encodable {
    var IdentityManagementType: String
    var InstanceAlias: String
    var InboundCallsEnabled: Bool
    var OutboundCallsEnabled: Bool
}

struct CreateInstanceAnswer: Decodable {
    var Id: String
}

struct HoursBody: Encodable {
    struct Time: Encodable {
        var Hours: Int
        var Minutes: Int
    }
    struct Config: Encodable {
        var Day: String
        var StartTime: Time
        var EndTime: Time
    }
    var Name: String
    var TimeZone: String
    var Config: [Config]
}

struct HoursAnswer: Decodable {
    var HoursOfOperationId: String
}

struct QueueBody: Encodable {
    var Name: String
    var HoursOfOperationId: String
}

struct QueueAnswer: Decodable {
    var QueueId: String
}

struct FlowBody: Encodable {
    var Name: String
    var `Type`: String
    var Content: String
}

struct FlowAnswer: Decodable {
    var ContactFlowId: String
}

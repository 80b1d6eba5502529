import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import ParleyDomain
import ParleyEngine
import ParleyServer

/// The HTTP target: the input is an HTTP/1.1 request in text form, answered in this process by the server's real
/// routers, middleware and engines (`InProcessServer`) over a data directory made once per process.
///
/// The input is `METHOD TARGET [VERSION]`, header lines, an empty line and the body, as on the wire. Before parsing,
/// placeholders are replaced by the values of the instance the target sets up: `{instance}`, `{flow}`,
/// `{disconnect-flow}`, `{queue}`, `{routing-profile}`, `{user}`, `{contact}`, `{participant-token}`,
/// `{connection-token}` and `{session}`. A header `Authorization: {sign}` is replaced by a valid SigV4 signature
/// of the request (with `X-Amz-Date`), so the control plane is reached past its signature check.
///
/// Targets starting with `/v1/` go to the query socket's router, everything else to the TCP listener's. The
/// harness frames the request as the HTTP/1 parser would: `Host` becomes the authority, `Content-Length` is the
/// body's length, bytes outside visible ASCII in the target are percent-encoded, and header lines that are not
/// `name: value` with a valid name are dropped. A long-poll with a positive `waitSeconds` is not sent (it only
/// waits), and a Server-Sent Events body is not read (it streams until the session ends).
///
/// Findings: the responder throwing (the error middleware must catch everything); a 5xx other than 503
/// `PositionNotReachedException` or `ServiceUnavailableException` (the intended "not now" answers); an error answer
/// without `x-amzn-ErrorType` or a JSON body with a `message`; a JSON answer that is not JSON.
public actor HTTPRequestTarget {
    /// The process's target.
    public static let shared = HTTPRequestTarget()

    /// Requests a server answers before the target starts over on a fresh data directory, so state (contacts,
    /// users, log) stays bounded and a finding depends on few earlier inputs.
    static let requestsPerServer = 1000

    private var harness: Harness?
    private var answered = 0

    func run(_ input: [UInt8]) async throws(FuzzFinding) {
        if answered >= Self.requestsPerServer, let old = harness {
            harness = nil
            await old.close()
        }
        let current: Harness
        if let harness {
            current = harness
        } else {
            do {
                current = try await Harness.open()
            } catch {
                throw FuzzFinding(.httpRequest, .harness, "cannot set up the server: \(error)")
            }
            harness = current
            answered = 0
        }
        answered += 1
        guard let request = current.request(from: input) else { return }
        try await current.answer(request)
    }

    /// Closes the server and removes its data directory (the tests call it at the end).
    public func shutdown() async {
        if let harness { await harness.close() }
        harness = nil
    }
}

/// One server with its instance, agent, chat and tokens.
private final class Harness: Sendable {
    static let accessKeyId = "AKIDPARLEYFUZZ00001"
    static let secretAccessKey = "parley-fuzz-secret-0001"
    static let instanceId = "5e1d4c3b-2a19-4f08-9e7d-6c5b4a392817"
    static let agent = "fuzz-agent"
    static let routingProfile = "fuzz-profile"
    static let host = "localhost:8321"

    let directory: String
    let server: InProcessServer
    let clock: ManualClock
    let logger: Logger
    let channel = NIOAsyncTestingChannel()
    /// Placeholder → value.
    let values: [(String, String)]

    private init(
        directory: String,
        server: InProcessServer,
        clock: ManualClock,
        logger: Logger,
        values: [(String, String)]
    ) {
        self.directory = directory
        self.server = server
        self.clock = clock
        self.logger = logger
        self.values = values
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static func open() async throws -> Harness {
        guard let directory = ScratchDirectory.make("http") else {
            throw SetupError(description: "cannot create a scratch directory in \(ScratchDirectory.root)")
        }
        let configuration = ServerConfiguration(
            dataDirectory: directory,
            port: 0,
            durability: "none",
            logLevel: "critical",
            maxBodyBytes: 64 * 1024,
            maxReadWaitMilliseconds: 0,
            checkpointEveryEvents: 0,
            accessKeys: [accessKeyId: secretAccessKey],
            throttling: false
        )
        let logger = Logger(label: "parley.fuzz") { _ in SwiftLogNoOpLogHandler() }
        let clock = ManualClock(1_763_700_000_000_000)
        let server: InProcessServer
        do {
            server = try await InProcessServer.open(
                configuration: configuration,
                clock: clock,
                logger: logger,
                lambdaTransport: { _ in .failure("no Lambda while fuzzing") }
            )
        } catch {
            ScratchDirectory.remove(directory)
            throw error
        }
        do {
            let values = try await setUp(server)
            return Harness(directory: directory, server: server, clock: clock, logger: logger, values: values)
        } catch {
            await server.close()
            ScratchDirectory.remove(directory)
            throw error
        }
    }

    /// The instance with the sample flows, a routing profile, an agent (with a cheap password), an agent session,
    /// and a chat with its customer connected.
    private static func setUp(_ server: InProcessServer) async throws -> [(String, String)] {
        let state = try await server.instances.create(
            InstanceSettings(instanceId: instanceId, concurrentActiveChats: 100)
        )
        let engine = state.engine
        let credential = try PasswordCredential.derive(
            password: "Fuzz-Agent-1",
            salt: Array(repeating: 7, count: 16),
            rounds: 1
        )
        let commands: [ChatCommand] =
            SampleFlows.setup(instanceId: instanceId) + [
                .createRoutingProfile(
                    instanceId: instanceId,
                    routingProfileId: routingProfile,
                    name: "Fuzz",
                    chatConcurrency: 3,
                    routeAnyChannel: false,
                    queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                    defaultOutboundQueueId: SampleFlows.queueId
                ),
                .createUser(
                    instanceId: instanceId,
                    userId: agent,
                    username: agent,
                    routingProfileId: routingProfile,
                    autoAccept: false,
                    afterContactWorkSeconds: 0
                ),
                .setUserCredential(instanceId: instanceId, userId: agent, credential: credential),
            ]
        for command in commands { _ = try await engine.submit(command).get() }
        guard
            case .agentSession(_, let session) = try await engine.submit(
                .agentLogin(instanceId: instanceId, userId: agent, verified: credential)
            ).get()
        else { throw SetupError(description: "the agent login answered no session") }
        let start = StartChatContactRequest(
            instanceId: instanceId,
            contactFlowId: SampleFlows.inboundId,
            displayName: "Customer",
            attributes: ["customerType": "vip"],
            initialMessage: .init(contentType: "text/plain", content: "Hello")
        )
        guard case .chatStarted(let chat) = try await engine.submit(.startChatContact(start)).get() else {
            throw SetupError(description: "StartChatContact answered no chat")
        }
        guard
            case .connection(let connection) = try await engine.submit(
                .createParticipantConnection(
                    participantToken: chat.participantToken,
                    types: ["WEBSOCKET", "CONNECTION_CREDENTIALS"],
                    connectParticipant: true
                )
            ).get(), let connectionToken = connection.connectionToken
        else { throw SetupError(description: "CreateParticipantConnection answered no connection token") }
        return [
            ("{instance}", instanceId),
            ("{flow}", SampleFlows.inboundId),
            ("{disconnect-flow}", SampleFlows.disconnectId),
            ("{queue}", SampleFlows.queueId),
            ("{routing-profile}", routingProfile),
            ("{user}", agent),
            ("{contact}", chat.contactId.description),
            ("{participant-token}", chat.participantToken),
            ("{connection-token}", connectionToken),
            ("{session}", session),
        ]
    }

    func close() async {
        await server.close()
        ScratchDirectory.remove(directory)
    }

    // MARK: Requests

    /// A request parsed from `input` as described on `HTTPRequestTarget`; nil when no HTTP/1 parser would pass it on.
    func request(from input: [UInt8]) -> FuzzRequest? {
        var text = String(decoding: input, as: UTF8.self)
        for (placeholder, value) in values where text.contains(placeholder) {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        var request = FuzzRequest.parse(Array(text.utf8))
        if request?.sign == true { request?.signature(with: signer, now: clock.now(), defaultHost: Self.host) }
        return request
    }

    private var signer: SigV4Signer {
        SigV4Signer(accessKeyId: Self.accessKeyId, secretAccessKey: Self.secretAccessKey)
    }

    /// Sends `request` to its router and checks the answer.
    func answer(_ fuzzRequest: FuzzRequest) async throws(FuzzFinding) {
        let request = fuzzRequest.hummingbirdRequest()
        if let wait = request.uri.queryParameters["waitSeconds"].flatMap({ Int($0) }), wait > 0 { return }
        let responder = fuzzRequest.target.hasPrefix("/v1/") ? server.querySocket : server.http
        let context = ParleyRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            throw finding(.serverError, "the responder threw \(String(reflecting: error))", fuzzRequest)
        }
        let contentType = response.headers[.contentType] ?? ""
        Verbose.say(
            "\(fuzzRequest.method.rawValue) \(fuzzRequest.target.prefix(200)) → \(response.status.code) "
                + (response.headers[HTTPField.Name("x-amzn-ErrorType")!] ?? "")
        )
        var body: [UInt8] = []
        if !contentType.hasPrefix("text/event-stream") {
            let collector = BodyCollector()
            do {
                try await response.body.write(collector)
            } catch {
                throw finding(.serverError, "writing the response body threw \(error)", fuzzRequest)
            }
            body = collector.bytes
        }
        try check(response, body: body, contentType: contentType, fuzzRequest)
    }

    private func check(
        _ response: Response,
        body: [UInt8],
        contentType: String,
        _ request: FuzzRequest
    ) throws(FuzzFinding) {
        let status = response.status.code
        let errorType = response.headers[HTTPField.Name("x-amzn-ErrorType")!]
        let text = String(decoding: body.prefix(600), as: UTF8.self)
        if status >= 500 {
            let intended = ["PositionNotReachedException", "ServiceUnavailableException"]
            guard status == 503, let errorType, intended.contains(errorType) else {
                throw finding(.serverError, "answered \(status) \(errorType ?? "-"): \(text)", request)
            }
        }
        let json = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        if status >= 400 {
            guard errorType != nil, let object = json as? [String: Any], object["message"] is String else {
                throw finding(.malformedAnswer, "error answer \(status) without Amazon's shape: \(text)", request)
            }
        } else if contentType.hasPrefix("application/json") && json == nil {
            throw finding(.malformedAnswer, "a JSON answer (\(status)) that is not JSON: \(text)", request)
        }
    }

    private func finding(_ code: FuzzFinding.Code, _ message: String, _ request: FuzzRequest) -> FuzzFinding {
        FuzzFinding(.httpRequest, code, "\(request.method.rawValue) \(request.target.prefix(300)): \(message)")
    }
}

/// Collects a response body (at most 16 MiB).
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws {
        guard bytes.count + buffer.readableBytes <= 16 << 20 else { return }
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// A request as an HTTP/1.1 parser would hand it on.
struct FuzzRequest {
    var method: HTTPRequest.Method
    var target: String
    var authority: String?
    var fields: HTTPFields
    var body: [UInt8]
    /// `Authorization: {sign}` was given: sign the request.
    var sign: Bool

    /// Parses `METHOD TARGET [VERSION]`, header lines, an empty line and the body; nil without a request line.
    static func parse(_ input: [UInt8]) -> FuzzRequest? {
        let (head, body) = split(input)
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard requestLine.count >= 2,
            let method = HTTPRequest.Method(String(decoding: requestLine[0], as: UTF8.self))
        else { return nil }
        var target = ""
        for byte in requestLine[1] {
            if (0x21...0x7E).contains(byte) {
                target.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                target +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        var fields = HTTPFields()
        var authority: String?
        var sign = false
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let nameText = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            guard let name = HTTPField.Name(nameText) else { continue }
            let valueBytes = line[(colon + 1)...].filter { $0 == 0x09 || (0x20...0x7E).contains($0) || $0 >= 0x80 }
            let value = String(decoding: valueBytes, as: UTF8.self).trimmingCharacters(
                in: CharacterSet(charactersIn: " \t")
            )
            switch name {
            case .contentLength, .transferEncoding: continue
            case _ where name.canonicalName == "host": authority = value
            case .authorization where value == "{sign}": sign = true
            default: fields.append(HTTPField(name: name, value: value))
            }
        }
        if !body.isEmpty || method == .post || method == .put { fields[.contentLength] = String(body.count) }
        return FuzzRequest(method: method, target: target, authority: authority, fields: fields, body: body, sign: sign)
    }

    /// The head and the body, split at the first empty line.
    private static func split(_ input: [UInt8]) -> (ArraySlice<UInt8>, [UInt8]) {
        var index = input.startIndex
        while index < input.endIndex {
            if input[index] == UInt8(ascii: "\n") {
                let next = input.index(after: index)
                if next < input.endIndex && input[next] == UInt8(ascii: "\n") {
                    return (input[..<index], Array(input[(next + 1)...]))
                }
                if next + 1 < input.endIndex && input[next] == UInt8(ascii: "\r")
                    && input[next + 1] == UInt8(ascii: "\n")
                {
                    return (input[..<index], Array(input[(next + 2)...]))
                }
            }
            index += 1
        }
        return (input[...], [])
    }

    /// Adds a valid SigV4 signature (`X-Amz-Date` and `Authorization`) for the request as the server will see it.
    mutating func signature(with signer: SigV4Signer, now: Int64, defaultHost: String) {
        if authority == nil { authority = defaultHost }
        fields[.init("X-Amz-Date")!] = nil
        fields[.authorization] = nil
        let uri = hummingbirdRequest().uri
        let query = uri.query
        let headers = signer.headers(
            method: method.rawValue,
            rawPath: uri.path,
            rawQuery: query,
            host: authority ?? defaultHost,
            contentType: fields[.contentType],
            body: body,
            now: now
        )
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
    }

    /// The Hummingbird request.
    func hummingbirdRequest() -> Request {
        Request(
            head: HTTPRequest(method: method, scheme: "http", authority: authority, path: target, headerFields: fields),
            body: RequestBody(buffer: ByteBuffer(bytes: body))
        )
    }
}

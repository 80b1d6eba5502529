// The participant service (Amazon's `connectparticipant`, connect-chat.md §2) over HTTP: the routes the chat
// JavaScript library and the SDKs call from the customer's (or agent's) side. They authenticate with the
// `X-Amz-Bearer` header — the ParticipantToken for CreateParticipantConnection, the ConnectionToken for the rest —
// never with SigV4. Bodies and answers use Amazon's field names; times are ISO-8601 with milliseconds.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParleyDomain
import ParleyEngine

/// Adds `POST /participant/connection|message|event|transcript|disconnect`.
/// Each call goes to the instance whose participant holds the `X-Amz-Bearer` token.
func addParticipantRoutes(to router: Router<some RequestContext>, instances: InstanceRegistry) {
    let api: @Sendable (Request) throws(ChatError) -> ParticipantAPI = { request throws(ChatError) in
        ParticipantAPI(server: instances.owner(ofToken: try ParticipantAPI.bearer(request)))
    }
    // Each operation is throttled per instance at Amazon's rates before it does anything.
    let admitted: @Sendable (Request, String) throws(APIError) -> ParticipantAPI = {
        request,
        operation throws(APIError) in
        let participant: ParticipantAPI
        do throws(ChatError) {
            participant = try api(request)
        } catch {
            throw APIError(error)
        }
        try participant.server.admit(operation)
        return participant
    }
    router.post("/participant/connection") { request, _ in
        try await admitted(request, "CreateParticipantConnection").connection(request)
    }
    router.post("/participant/message") { request, _ in try await admitted(request, "SendMessage").message(request) }
    router.post("/participant/event") { request, _ in try await admitted(request, "SendEvent").event(request) }
    router.post("/participant/transcript") { request, _ in
        try await admitted(request, "GetTranscript").transcript(request)
    }
    router.post("/participant/disconnect") { request, _ in
        try await admitted(request, "DisconnectParticipant").disconnect(request)
    }
    // A websocket URL the upgrade refused (or a plain GET of it) ends here.
    router.get(RouterPath(stringLiteral: ParticipantWebSocket.path)) { _, _ -> Response in
        throw ChatError(
            .accessDenied,
            "the websocket URL is not valid or expired, or the participant has 5 open websockets; "
                + "call CreateParticipantConnection again"
        )
    }
}

extension HTTPField.Name {
    /// `X-Amz-Bearer`: the participant or connection token of a participant-service call.
    static let amazonBearer = Self("X-Amz-Bearer")!
}

/// The handlers of the participant routes.
struct ParticipantAPI: Sendable {
    let server: ServerState

    /// The `X-Amz-Bearer` token (1–1000 characters).
    static func bearer(_ request: Request) throws(ChatError) -> String {
        guard let token = request.headers.value(of: .amazonBearer), !token.isEmpty else {
            throw ChatError(.accessDenied, "X-Amz-Bearer is required")
        }
        // UTF-8 bytes bound the characters from above, and a native string knows their number without a walk.
        guard token.utf8.count <= 1000 || token.count <= 1000 else {
            throw ChatError(.validation, "X-Amz-Bearer must be at most 1000 characters")
        }
        return token
    }

    /// A JSON body of type `Body`; an empty body reads as `{}`.
    func body<Body: Decodable>(_ request: Request, _ type: Body.Type) async throws -> Body {
        try await request.decodeJSON(Body.self, maxBytes: server.configuration.maxBodyBytes)
    }

    // MARK: CreateParticipantConnection

    struct ConnectionBody: Decodable {
        var types: [String]
        var connectParticipant: Bool?

        enum CodingKeys: String, CodingKey {
            case types = "Type"
            case connectParticipant = "ConnectParticipant"
        }
    }

    struct ConnectionAnswer: Encodable {
        struct Websocket: Encodable {
            var url: String
            var connectionExpiry: String

            enum CodingKeys: String, CodingKey {
                case url = "Url"
                case connectionExpiry = "ConnectionExpiry"
            }
        }

        struct Credentials: Encodable {
            var connectionToken: String
            var expiry: String

            enum CodingKeys: String, CodingKey {
                case connectionToken = "ConnectionToken"
                case expiry = "Expiry"
            }
        }

        var websocket: Websocket?
        var connectionCredentials: Credentials?

        enum CodingKeys: String, CodingKey {
            case websocket = "Websocket"
            case connectionCredentials = "ConnectionCredentials"
        }
    }

    func connection(_ request: Request) async throws -> Response {
        let token = try Self.bearer(request)
        let body = try await body(request, ConnectionBody.self)
        // The websocket URL names this server as the client reached it.
        let host = request.head.authority ?? "\(server.configuration.host):\(server.configuration.port)"
        return await server.submit(
            .createParticipantConnection(
                participantToken: token,
                types: body.types,
                connectParticipant: body.connectParticipant ?? false
            )
        ) { reply throws(APIError) in
            guard case .connection(let connection) = reply else {
                throw APIError(.internalService, "the engine answered CreateParticipantConnection with \(reply)")
            }
            return ConnectionAnswer(
                websocket: connection.websocketToken.map { websocketToken in
                    ConnectionAnswer.Websocket(
                        url: "ws://\(host)/participant/websocket?token=\(websocketToken)",
                        connectionExpiry: ISOTime.format(connection.websocketExpiry ?? connection.connectionExpiry)
                    )
                },
                connectionCredentials: connection.connectionToken.map {
                    ConnectionAnswer.Credentials(
                        connectionToken: $0,
                        expiry: ISOTime.format(connection.connectionExpiry)
                    )
                }
            )
        }
    }

    // MARK: SendMessage and SendEvent

    struct SendBody: FlatJSONDecodable {
        var contentType: String
        var content: String?
        var clientToken: String?

        enum CodingKeys: String, CodingKey {
            case contentType = "ContentType"
            case content = "Content"
            case clientToken = "ClientToken"
        }

        init?(flat object: FlatJSONObject) {
            // ContentType is required and may not be null; the others may be absent or null.
            guard case .some(.some(let contentType)) = object[CodingKeys.contentType.rawValue] else { return nil }
            self.contentType = contentType
            content = object[CodingKeys.content.rawValue] ?? nil
            clientToken = object[CodingKeys.clientToken.rawValue] ?? nil
        }
    }

    struct SentAnswer: FlatJSONEncodable {
        var id: String
        var absoluteTime: String

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case absoluteTime = "AbsoluteTime"
        }

        func flatJSON() -> ByteBuffer {
            var writer = FlatJSONWriter(capacity: 48 + id.utf8.count + absoluteTime.utf8.count)
            writer.member("AbsoluteTime", absoluteTime)
            writer.member("Id", id)
            return writer.finish()
        }
    }

    static func sent(_ reply: ChatReply) throws(APIError) -> SentAnswer {
        guard case .sent(let id, let absoluteTime) = reply else {
            throw APIError(.internalService, "the engine answered a send with \(reply)")
        }
        return SentAnswer(id: id.description, absoluteTime: ISOTime.format(absoluteTime))
    }

    /// What a SendMessage request carries, checked: the bearer token, the body and its `Content`.
    static func readMessage(
        _ request: Request,
        maxBodyBytes: Int
    ) async throws -> (token: String, body: SendBody, content: String) {
        let token = try bearer(request)
        let body = try await request.decodeFlatJSON(SendBody.self, maxBytes: maxBodyBytes)
        guard let content = body.content else { throw ChatError(.validation, "Content is required") }
        return (token, body, content)
    }

    func message(_ request: Request) async throws -> Response {
        let (token, body, content) = try await Self.readMessage(
            request,
            maxBodyBytes: server.configuration.maxBodyBytes
        )
        return await server.submit(
            .sendMessage(
                connectionToken: token,
                contentType: body.contentType,
                content: content,
                clientToken: body.clientToken
            ),
            respond: Self.sent
        )
    }

    func event(_ request: Request) async throws -> Response {
        let token = try Self.bearer(request)
        let body = try await request.decodeFlatJSON(SendBody.self, maxBytes: server.configuration.maxBodyBytes)
        return await server.submit(
            .sendEvent(
                connectionToken: token,
                contentType: body.contentType,
                content: body.content,
                clientToken: body.clientToken
            ),
            respond: Self.sent
        )
    }

    // MARK: GetTranscript

    struct TranscriptBody: Decodable {
        struct Start: Decodable {
            var id: String?
            var absoluteTime: String?
            var mostRecent: Int?

            enum CodingKeys: String, CodingKey {
                case id = "Id"
                case absoluteTime = "AbsoluteTime"
                case mostRecent = "MostRecent"
            }
        }

        var contactId: String?
        var maxResults: Int?
        var nextToken: String?
        var scanDirection: String?
        var sortOrder: String?
        var startPosition: Start?

        enum CodingKeys: String, CodingKey {
            case contactId = "ContactId"
            case maxResults = "MaxResults"
            case nextToken = "NextToken"
            case scanDirection = "ScanDirection"
            case sortOrder = "SortOrder"
            case startPosition = "StartPosition"
        }
    }

    struct TranscriptAnswer: Encodable {
        var initialContactId: String
        var transcript: [TranscriptItemView]
        var nextToken: String?

        enum CodingKeys: String, CodingKey {
            case initialContactId = "InitialContactId"
            case transcript = "Transcript"
            case nextToken = "NextToken"
        }
    }

    func transcript(_ request: Request) async throws -> Response {
        let token = try Self.bearer(request)
        let body = try await body(request, TranscriptBody.self)
        let query = TranscriptRequest(
            contactId: body.contactId,
            maxResults: body.maxResults,
            nextToken: body.nextToken,
            scanDirection: body.scanDirection,
            sortOrder: body.sortOrder,
            startPosition: body.startPosition.map {
                TranscriptRequest.StartPosition(id: $0.id, absoluteTime: $0.absoluteTime, mostRecent: $0.mostRecent)
            }
        )
        let page = try ChatQueries.transcript(
            connectionToken: token,
            request: query,
            in: server.snapshot.state,
            now: server.clock.now()
        )
        return JSONResponse.make(
            TranscriptAnswer(initialContactId: page.initialContactId, transcript: page.items, nextToken: page.nextToken)
        )
    }

    // MARK: DisconnectParticipant

    struct DisconnectBody: Decodable {
        var clientToken: String?

        enum CodingKeys: String, CodingKey {
            case clientToken = "ClientToken"
        }
    }

    func disconnect(_ request: Request) async throws -> Response {
        let token = try Self.bearer(request)
        let body = try await body(request, DisconnectBody.self)
        return await server.submit(.disconnectParticipant(connectionToken: token, clientToken: body.clientToken))
    }
}

import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ParleyDomain

/// The request context of every Parley route: Hummingbird's core storage, and room for what later API areas need
/// per request (the authenticated caller, for instance).
public struct ParleyRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, path parameters, endpoint).
    public var coreContext: CoreRequestContextStorage

    /// Creates the context of one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

/// An error answered in Amazon's rest-json shape: the status, `x-amzn-ErrorType: <Name>` and `{"message": "…"}`.
///
/// Handlers throw it (or a `ChatError`, which `APIErrorMiddleware` converts); it renders itself.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    /// The error type and its HTTP status; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The error type name sent in `x-amzn-ErrorType`, e.g. `SerializationException`.
        public let name: String
        /// The HTTP status it is answered with.
        public let httpStatus: Int

        /// A code with any name and status (the domain's `ChatError` codes come through here).
        public init(name: String, httpStatus: Int) {
            self.name = name
            self.httpStatus = httpStatus
        }

        /// The request body is not JSON, or a field is missing or has the wrong type.
        public static let serialization = Code(name: "SerializationException", httpStatus: 400)
        /// The request body is larger than the server accepts.
        public static let bodyTooLarge = Code(name: "RequestEntityTooLargeException", httpStatus: 400)
        /// A query parameter or path parameter is not valid.
        public static let invalidParameter = Code(name: "InvalidParameterException", httpStatus: 400)
        /// No route matches the method and path.
        public static let unknownOperation = Code(name: "UnknownOperationException", httpStatus: 404)
        /// The named resource does not exist.
        public static let resourceNotFound = Code(name: "ResourceNotFoundException", httpStatus: 404)
        /// The engine did not reach the requested `atLeast` position in time (or is shutting down).
        public static let positionNotReached = Code(name: "PositionNotReachedException", httpStatus: 503)
        /// Something failed inside Parley.
        public static let internalService = Code(name: "InternalServiceException", httpStatus: 500)
        /// What is asked for is not available right now (a projection being rebuilt); retry later.
        public static let serviceUnavailable = Code(name: "ServiceUnavailableException", httpStatus: 503)
        /// The request conflicts with work in progress (a rebuild already running).
        public static let resourceConflict = Code(name: "ResourceConflictException", httpStatus: 409)

        /// The error type name.
        public var description: String { name }
    }

    /// The error type.
    public var code: Code
    /// The `message` of the body.
    public var message: String
    /// For ResourceNotFoundException: the id that was not found (`ResourceId` in the body).
    public var resourceId: String?
    /// For ResourceNotFoundException: the kind of resource (`ResourceType` in the body).
    public var resourceType: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, resourceId: String? = nil, resourceType: String? = nil) {
        self.code = code
        self.message = message
        self.resourceId = resourceId
        self.resourceType = resourceType
    }

    /// The Amazon error a domain refusal maps to: same type name, status and message.
    public init(_ error: ChatError) {
        self.init(
            Code(name: error.code.name, httpStatus: error.code.httpStatus),
            error.message,
            resourceId: error.resourceId,
            resourceType: error.resourceType
        )
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code.httpStatus) }

    /// "Name (status): message".
    public var description: String { "\(code.name) (\(code.httpStatus)): \(message)" }

    private struct Body: Encodable {
        var message: String
        var resourceId: String?
        var resourceType: String?

        enum CodingKeys: String, CodingKey {
            case message
            case resourceId = "ResourceId"
            case resourceType = "ResourceType"
        }
    }

    /// The response: status, `x-amzn-ErrorType` and the JSON body.
    public var response: Response {
        var response = JSONResponse.make(
            Body(message: message, resourceId: resourceId, resourceType: resourceType),
            status: status
        )
        response.headers[HTTPField.Name.amazonErrorType] = code.name
        return response
    }

    /// Renders the error (Hummingbird calls this for thrown `HTTPResponseError`s).
    public func response(from request: Request, context: some RequestContext) throws -> Response { response }
}

extension HTTPFields {
    /// The value of the fields named `name`, as `self[name]` gives it (joined if several), or nil if none.
    ///
    /// `self[name]` joins the values through a lazy sequence of generic code even when one field has the name, which
    /// is most of the cost of reading a header. One field is read directly; several go to `self[name]`.
    func value(of name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}

extension HTTPField.Name {
    /// `x-amzn-ErrorType`: the error type of an Amazon rest-json error response.
    public static let amazonErrorType = HTTPField.Name("x-amzn-ErrorType")!
    /// `x-parley-position`: the log position the answer reflects (or, after a write, that includes the write).
    public static let parleyPosition = HTTPField.Name("x-parley-position")!
}

/// JSON bodies: encoding responses and decoding requests, with every failure a typed `APIError`.
public enum JSONResponse {
    /// Encodes `value` as a JSON response (sorted keys, so answers are stable byte for byte).
    /// - Parameters:
    ///   - value: The body.
    ///   - status: The HTTP status, 200 by default.
    public static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        // A flat answer is written directly, byte for byte what the encoder below would write.
        if let flat = value as? any FlatJSONEncodable {
            return Response(
                status: status,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: flat.flatJSON())
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            // Only a non-finite float or a throwing custom encoding gets here; neither is a client's fault.
            let fallback = #"{"message":"the response could not be encoded"}"#
            var response = Response(
                status: .internalServerError,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: fallback))
            )
            response.headers[HTTPField.Name.amazonErrorType] = APIError.Code.internalService.name
            return response
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension Request {
    /// Reads the whole body (at most `maxBytes`) and decodes it as JSON; an empty body decodes as `{}`.
    ///
    /// Malformed JSON, a missing field or a wrong type is `APIError.Code.serialization` naming the field; a body over
    /// the limit is `.bodyTooLarge`. Never traps.
    /// - Parameters:
    ///   - type: What to decode.
    ///   - maxBytes: The body limit (the server's `maxBodyBytes`).
    public func decodeJSON<Value: Decodable>(_ type: Value.Type, maxBytes: Int) async throws(APIError) -> Value {
        try JSONRequest.decode(type, from: Self.jsonData(try await collectBuffer(maxBytes: maxBytes)))
    }

    /// `decodeJSON` for a body that is usually a flat object of strings: such a body is read without `JSONDecoder`
    /// (see `FlatJSONObject`); any other, valid or not, goes to `JSONDecoder` and gives its value or its error.
    func decodeFlatJSON<Value: FlatJSONDecodable>(_ type: Value.Type, maxBytes: Int) async throws(APIError) -> Value {
        let buffer = try await collectBuffer(maxBytes: maxBytes)
        if let object = buffer.withUnsafeReadableBytes(FlatJSONObject.parse), let value = Value(flat: object) {
            return value
        }
        return try JSONRequest.decode(type, from: Self.jsonData(buffer))
    }

    /// Reads the whole body (at most `maxBytes`, else `.bodyTooLarge`); an empty or blank body reads as `{}`.
    public func collectBody(maxBytes: Int) async throws(APIError) -> Data {
        Self.jsonData(try await collectBuffer(maxBytes: maxBytes))
    }

    /// The whole body, at most `maxBytes` (else `.bodyTooLarge`).
    private func collectBuffer(maxBytes: Int) async throws(APIError) -> ByteBuffer {
        do {
            return try await body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.bodyTooLarge, "the request body is larger than \(maxBytes) bytes")
        } catch {
            throw APIError(.serialization, "the request body could not be read: \(error)")
        }
    }

    /// The body's bytes as JSON text: an empty or blank body reads as `{}`.
    private static func jsonData(_ buffer: ByteBuffer) -> Data {
        let data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return Data("{}".utf8) }
        return data
    }
}

/// Decoding request bodies into typed errors.
public enum JSONRequest {
    /// Decodes `data` as JSON into `type`; every failure is an `APIError` with code `.serialization`.
    /// - Parameters:
    ///   - type: What to decode.
    ///   - data: The body.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(APIError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw APIError(.serialization, describe(error))
        } catch {
            throw APIError(.serialization, "the request body is not valid: \(error)")
        }
    }

    /// A message naming the field a decoding error is about.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, appending key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : text
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the request body is not valid JSON" }
            return "\(path(context)) is not valid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context, appending: key)) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context)) must be \(jsonTypeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)) must be \(jsonTypeName(type)), not null"
        @unknown default:
            return "the request body is not valid"
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }
}

/// Answers every error a route throws in the Amazon shape: `APIError` and `ChatError` as they are, Hummingbird's
/// own errors (no route → 404 UnknownOperationException, body too large) mapped, anything else a logged 500.
///
/// Add it to a router before its routes (a router applies middleware to the routes added after it).
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Runs the rest of the chain and converts what it throws.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.reported(error, request: request, context: context)
        } catch let error as ChatError {
            return Self.reported(APIError(error), request: request, context: context)
        } catch let error as HTTPError {
            return Self.map(error, request: request).response
        } catch is NIOTooManyBytesError {
            return APIError(.bodyTooLarge, "the request body is too large").response
        } catch let error as any HTTPResponseError {
            return APIError(
                APIError.Code(name: "HTTPError", httpStatus: error.status.code),
                error.status.reasonPhrase
            ).response
        } catch {
            context.logger.error(
                "request failed",
                metadata: ["http.path": "\(request.uri.path)", "error": "\(String(reflecting: error))"]
            )
            return APIError(.internalService, "the request failed inside the server").response
        }
    }

    /// The error's response; a server-side failure (5xx: the log cannot be written, say) is logged as well, so that
    /// an operator sees the reason without asking a client.
    private static func reported(_ error: APIError, request: Request, context: Context) -> Response {
        if error.code.httpStatus >= 500, error.code != .positionNotReached {
            context.logger.error(
                "request failed",
                metadata: [
                    "http.path": "\(request.uri.path)", "error.type": "\(error.code.name)",
                    "error": "\(error.message)",
                ]
            )
        }
        return error.response
    }

    private static func map(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            return APIError(.unknownOperation, error.body ?? "no operation at \(request.method) \(request.uri.path)")
        case .contentTooLarge:
            return APIError(.bodyTooLarge, error.body ?? "the request body is too large")
        case .badRequest:
            return APIError(.serialization, error.body ?? "the request is not valid")
        default:
            let name = error.status.code >= 500 ? APIError.Code.internalService.name : "HTTPError"
            return APIError(
                APIError.Code(name: name, httpStatus: error.status.code),
                error.body ?? error.status.reasonPhrase
            )
        }
    }
}

extension Request {
    /// The query parameter `name`, nil when absent.
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// The instant in the query parameter `name` (ISO 8601, e.g. `2026-11-21T10:00:00Z`), nil when absent.
    func instant(_ name: String) throws(APIError) -> Int64? {
        guard let text = query(name) else { return nil }
        guard let instant = ISOTime.parse(text) ?? LogTime.parse(text) else {
            throw APIError(.invalidParameter, "\(name) must be an ISO 8601 instant such as 2026-11-21T10:00:00Z")
        }
        return instant
    }

    /// The integer query parameter `name` within `range`, nil when absent; anything else is `.invalidParameter`.
    func query(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(.invalidParameter, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }
}

/// Why a chat command or query was refused: the Amazon error type it maps to, its HTTP status and a message.
///
/// Nothing is written for a refused command.
public struct ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Amazon error type (sent in `x-amzn-errortype`); compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The error type name, e.g. `ValidationException`.
        public let name: String
        /// The HTTP status it is returned with.
        public let httpStatus: Int

        private init(_ name: String, _ httpStatus: Int) {
            self.name = name
            self.httpStatus = httpStatus
        }

        // Participant service.
        /// A request field is missing, malformed or out of range (participant service).
        public static let validation = Code("ValidationException", 400)
        /// The token is unknown, expired, or no longer allows the call.
        public static let accessDenied = Code("AccessDeniedException", 403)
        /// The request conflicts with the chat's state (e.g. a receipt with more than two participants).
        public static let conflict = Code("ConflictException", 409)
        /// A per-chat quota (websockets, participants, attachments) is used up.
        public static let serviceQuotaExceeded = Code("ServiceQuotaExceededException", 402)
        /// The named resource does not exist.
        public static let resourceNotFound = Code("ResourceNotFoundException", 404)
        /// Something failed inside Parley (e.g. the log could not be written).
        public static let internalServer = Code("InternalServerException", 500)

        // Control plane.
        /// The request is not valid in the current state (control plane).
        public static let invalidRequest = Code("InvalidRequestException", 400)
        /// A request parameter is invalid (control plane).
        public static let invalidParameter = Code("InvalidParameterException", 400)
        /// The contact does not exist or is no longer active.
        public static let contactNotFound = Code("ContactNotFoundException", 410)
        /// The instance's concurrent active chat quota is used up.
        public static let limitExceeded = Code("LimitExceededException", 429)
        /// A ClientToken was reused with different parameters.
        public static let idempotency = Code("IdempotencyException", 409)
        /// A flow's content failed validation (CreateContactFlow, UpdateContactFlowContent).
        public static let invalidContactFlow = Code("InvalidContactFlowException", 400)
        /// A resource with that id or name exists already.
        public static let duplicateResource = Code("DuplicateResourceException", 409)
        /// Something failed inside Parley (control plane).
        public static let internalService = Code("InternalServiceException", 500)
        /// The resource is still used by another one (a queue by a routing profile, a profile by a user).
        public static let resourceInUse = Code("ResourceInUseException", 409)
        /// Wrong credentials (the agent desktop's login).
        public static let unauthorized = Code("UnauthorizedException", 401)

        /// The error type name.
        public var description: String { name }
    }

    /// The error type.
    public var code: Code
    /// A human explanation (the `Message` of the error body).
    public var message: String
    /// For ResourceNotFoundException: the id that was not found.
    public var resourceId: String?
    /// For ResourceNotFoundException: what kind of resource it is (`CONTACT`, `PARTICIPANT`, …).
    public var resourceType: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, resourceId: String? = nil, resourceType: String? = nil) {
        self.code = code
        self.message = message
        self.resourceId = resourceId
        self.resourceType = resourceType
    }

    /// The HTTP status.
    public var httpStatus: Int { code.httpStatus }

    /// "Name (status): message".
    public var description: String { "\(code.name) (\(code.httpStatus)): \(message)" }
}

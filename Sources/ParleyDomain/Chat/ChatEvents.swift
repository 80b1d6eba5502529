// The event catalogue. Tags are never reused; a field change adds a schema version and a decoding branch.
// See docs/events.md for the table of tags, versions and fields.

/// The instance this log belongs to was configured (the first event of a log).
public struct InstanceConfigured: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0100
    public static let name = "InstanceConfigured"
    /// Version 2 adds the CreateInstance settings (alias, identity management, call flags).
    public static let currentVersion: UInt8 = 2
    /// The instance id (the last part of the instance ARN).
    public var instanceId: String
    /// Concurrent active chats allowed.
    public var concurrentActiveChats: Int64
    /// `InstanceAlias` of CreateInstance, if one was given.
    public var alias: String?
    /// `IdentityManagementType`: SAML, CONNECT_MANAGED or EXISTING_DIRECTORY (version 1: CONNECT_MANAGED).
    public var identityManagementType: String
    /// `InboundCallsEnabled` (version 1: true).
    public var inboundCallsEnabled: Bool
    /// `OutboundCallsEnabled` (version 1: false).
    public var outboundCallsEnabled: Bool

    /// Creates the event.
    public init(
        instanceId: String,
        concurrentActiveChats: Int64,
        alias: String? = nil,
        identityManagementType: String = "CONNECT_MANAGED",
        inboundCallsEnabled: Bool = true,
        outboundCallsEnabled: Bool = false
    ) {
        self.instanceId = instanceId
        self.concurrentActiveChats = concurrentActiveChats
        self.alias = alias
        self.identityManagementType = identityManagementType
        self.inboundCallsEnabled = inboundCallsEnabled
        self.outboundCallsEnabled = outboundCallsEnabled
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: instanceId)
        writer.write(int: concurrentActiveChats)
        writer.write(optionalString: alias)
        writer.write(string: identityManagementType)
        writer.write(bool: inboundCallsEnabled)
        writer.write(bool: outboundCallsEnabled)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        var event = Self(instanceId: try reader.readString(), concurrentActiveChats: try reader.readInt())
        guard version >= 2 else { return event }
        event.alias = try reader.readOptionalString()
        event.identityManagementType = try reader.readString()
        event.inboundCallsEnabled = try reader.readBool()
        event.outboundCallsEnabled = try reader.readBool()
        return event
    }
}

/// Persistent-chat details of a chat that continues an ended one.
public struct Rehydration: Sendable, Equatable, Encodable {
    /// Which part of the past session was loaded.
    public var type: RehydrationType
    /// The contact named in the request.
    public var sourceContactId: Identifier
    /// The contact the new chat continues from (`ContinuedFromContactId`).
    public var continuedFromContactId: Identifier
    /// The past contacts whose items are loaded, oldest first (at most 100).
    public var pastContactIds: [Identifier]

    /// Creates the details.
    public init(
        type: RehydrationType,
        sourceContactId: Identifier,
        continuedFromContactId: Identifier,
        pastContactIds: [Identifier]
    ) {
        self.type = type
        self.sourceContactId = sourceContactId
        self.continuedFromContactId = continuedFromContactId
        self.pastContactIds = pastContactIds
    }
}

/// What a chat-opening ContactStarted carries beyond the contact itself.
public struct ChatOpening: Sendable, Equatable, Encodable {
    /// `ChatDurationInMinutes`.
    public var durationMinutes: Int64
    /// `SupportedMessagingContentTypes` (always includes text/plain).
    public var supportedContentTypes: [String]
    /// `ParticipantConfiguration.ResponseMode`.
    public var responseMode: ResponseMode?
    /// `DisconnectOnCustomerExit` roles.
    public var disconnectOnCustomerExit: [ParticipantRole]
    /// The request's `ClientToken`.
    public var clientToken: String?
    /// A digest of every other request field, to recognise a retry with different parameters.
    public var requestDigest: [UInt8]
    /// Set for a persistent chat.
    public var rehydration: Rehydration?

    /// Creates the details.
    public init(
        durationMinutes: Int64,
        supportedContentTypes: [String],
        responseMode: ResponseMode?,
        disconnectOnCustomerExit: [ParticipantRole],
        clientToken: String?,
        requestDigest: [UInt8],
        rehydration: Rehydration?
    ) {
        self.durationMinutes = durationMinutes
        self.supportedContentTypes = supportedContentTypes
        self.responseMode = responseMode
        self.disconnectOnCustomerExit = disconnectOnCustomerExit
        self.clientToken = clientToken
        self.requestDigest = requestDigest
        self.rehydration = rehydration
    }
}

/// A contact (segment) started: a new chat (`API`, with `chat` set) or a later segment of one (`DISCONNECT`, …).
public struct ContactStarted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0101
    public static let name = "ContactStarted"
    public static let currentVersion: UInt8 = 1
    /// The new contact.
    public var contactId: Identifier
    /// The chat's initial contact.
    public var chatId: Identifier
    /// The instance.
    public var instanceId: String
    /// The flow that runs first.
    public var flowId: String
    /// How the segment began.
    public var initiationMethod: InitiationMethod
    /// The segment before this one.
    public var previousContactId: Identifier?
    /// `RelatedContactId`.
    public var relatedContactId: Identifier?
    /// Contact attributes at the start.
    public var attributes: [String: String]
    /// `CustomerId`.
    public var customerId: String?
    /// Set when this contact opens a new chat.
    public var chat: ChatOpening?

    /// Creates the event.
    public init(
        contactId: Identifier,
        chatId: Identifier,
        instanceId: String,
        flowId: String,
        initiationMethod: InitiationMethod,
        previousContactId: Identifier? = nil,
        relatedContactId: Identifier? = nil,
        attributes: [String: String] = [:],
        customerId: String? = nil,
        chat: ChatOpening? = nil
    ) {
        self.contactId = contactId
        self.chatId = chatId
        self.instanceId = instanceId
        self.flowId = flowId
        self.initiationMethod = initiationMethod
        self.previousContactId = previousContactId
        self.relatedContactId = relatedContactId
        self.attributes = attributes
        self.customerId = customerId
        self.chat = chat
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(identifier: chatId)
        writer.write(string: instanceId)
        writer.write(string: flowId)
        writer.write(enumeration: initiationMethod)
        writer.write(optionalIdentifier: previousContactId)
        writer.write(optionalIdentifier: relatedContactId)
        writer.write(stringMap: attributes)
        writer.write(optionalString: customerId)
        writer.write(optional: chat) { writer, chat in
            writer.write(int: chat.durationMinutes)
            writer.write(strings: chat.supportedContentTypes)
            writer.write(optionalEnumeration: chat.responseMode)
            writer.write(array: chat.disconnectOnCustomerExit) { $0.write(enumeration: $1) }
            writer.write(optionalString: chat.clientToken)
            writer.write(bytes: chat.requestDigest)
            writer.write(optional: chat.rehydration) { writer, rehydration in
                writer.write(enumeration: rehydration.type)
                writer.write(identifier: rehydration.sourceContactId)
                writer.write(identifier: rehydration.continuedFromContactId)
                writer.write(array: rehydration.pastContactIds) { $0.write(identifier: $1) }
            }
        }
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            chatId: try reader.readIdentifier(),
            instanceId: try reader.readString(),
            flowId: try reader.readString(),
            initiationMethod: try reader.readEnumeration(InitiationMethod.self),
            previousContactId: try reader.readOptionalIdentifier(),
            relatedContactId: try reader.readOptionalIdentifier(),
            attributes: try reader.readStringMap(),
            customerId: try reader.readOptionalString(),
            chat: try reader.readOptional { (reader: inout BinaryReader) throws(DecodeError) in
                ChatOpening(
                    durationMinutes: try reader.readInt(),
                    supportedContentTypes: try reader.readStrings(),
                    responseMode: try reader.readOptionalEnumeration(ResponseMode.self),
                    disconnectOnCustomerExit: try reader.readArray {
                        (reader: inout BinaryReader) throws(DecodeError) in
                        try reader.readEnumeration(ParticipantRole.self)
                    },
                    clientToken: try reader.readOptionalString(),
                    requestDigest: try reader.readBytes(),
                    rehydration: try reader.readOptional { (reader: inout BinaryReader) throws(DecodeError) in
                        Rehydration(
                            type: try reader.readEnumeration(RehydrationType.self),
                            sourceContactId: try reader.readIdentifier(),
                            continuedFromContactId: try reader.readIdentifier(),
                            pastContactIds: try reader.readArray {
                                (reader: inout BinaryReader) throws(DecodeError) in try reader.readIdentifier()
                            }
                        )
                    }
                )
            }
        )
    }
}

/// A participant joined the chat.
public struct ParticipantJoined: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0102
    public static let name = "ParticipantJoined"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The contact segment it joined in.
    public var contactId: Identifier
    /// The new participant.
    public var participantId: Identifier
    /// Its role.
    public var role: ParticipantRole
    /// Its display name.
    public var displayName: String
    /// The token it creates connections with (valid while it is in the chat).
    public var participantToken: String
    /// The transcript item announcing the join.
    public var itemId: Identifier

    /// Creates the event.
    public init(
        chatId: Identifier,
        contactId: Identifier,
        participantId: Identifier,
        role: ParticipantRole,
        displayName: String,
        participantToken: String,
        itemId: Identifier
    ) {
        self.chatId = chatId
        self.contactId = contactId
        self.participantId = participantId
        self.role = role
        self.displayName = displayName
        self.participantToken = participantToken
        self.itemId = itemId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(identifier: participantId)
        writer.write(enumeration: role)
        writer.write(string: displayName)
        writer.write(string: participantToken)
        writer.write(identifier: itemId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            role: try reader.readEnumeration(ParticipantRole.self),
            displayName: try reader.readString(),
            participantToken: try reader.readString(),
            itemId: try reader.readIdentifier()
        )
    }
}

/// A participant left the chat.
///
/// Version 2 added `effectiveAt`; version-1 records decode with it nil (the record's own time).
public struct ParticipantLeft: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0103
    public static let name = "ParticipantLeft"
    public static let currentVersion: UInt8 = 2
    /// The chat.
    public var chatId: Identifier
    /// The contact segment it left from.
    public var contactId: Identifier
    /// Who left.
    public var participantId: Identifier
    /// Why.
    public var reason: DisconnectReason
    /// The transcript item announcing it.
    public var itemId: Identifier
    /// When it took effect (µs) when that is earlier than the record (a timer fired late); nil = the record's time.
    public var effectiveAt: Int64?

    /// Creates the event.
    public init(
        chatId: Identifier,
        contactId: Identifier,
        participantId: Identifier,
        reason: DisconnectReason,
        itemId: Identifier,
        effectiveAt: Int64? = nil
    ) {
        self.chatId = chatId
        self.contactId = contactId
        self.participantId = participantId
        self.reason = reason
        self.itemId = itemId
        self.effectiveAt = effectiveAt
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(identifier: participantId)
        writer.write(enumeration: reason)
        writer.write(identifier: itemId)
        writer.write(optionalInt: effectiveAt)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        var event = Self(
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            reason: try reader.readEnumeration(DisconnectReason.self),
            itemId: try reader.readIdentifier()
        )
        if version >= 2 { event.effectiveAt = try reader.readOptionalInt() }
        return event
    }
}

/// A participant connection was created (CreateParticipantConnection).
public struct ConnectionCreated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0104
    public static let name = "ConnectionCreated"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The participant.
    public var participantId: Identifier
    /// The new connection.
    public var connectionId: Identifier
    /// The types requested.
    public var types: [ConnectionType]
    /// The connection token (valid 1 day), when CONNECTION_CREDENTIALS was requested.
    public var connectionToken: String
    /// When the connection token expires (µs).
    public var connectionExpiry: Int64
    /// The token in the websocket URL (must be opened within 100 s), when WEBSOCKET was requested.
    public var websocketToken: String?
    /// When the websocket URL stops working (µs).
    public var websocketExpiry: Int64?
    /// `ConnectParticipant`.
    public var connectParticipant: Bool

    /// Creates the event.
    public init(
        chatId: Identifier,
        participantId: Identifier,
        connectionId: Identifier,
        types: [ConnectionType],
        connectionToken: String,
        connectionExpiry: Int64,
        websocketToken: String?,
        websocketExpiry: Int64?,
        connectParticipant: Bool
    ) {
        self.chatId = chatId
        self.participantId = participantId
        self.connectionId = connectionId
        self.types = types
        self.connectionToken = connectionToken
        self.connectionExpiry = connectionExpiry
        self.websocketToken = websocketToken
        self.websocketExpiry = websocketExpiry
        self.connectParticipant = connectParticipant
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: participantId)
        writer.write(identifier: connectionId)
        writer.write(array: types) { $0.write(enumeration: $1) }
        writer.write(string: connectionToken)
        writer.write(int: connectionExpiry)
        writer.write(optionalString: websocketToken)
        writer.write(optionalInt: websocketExpiry)
        writer.write(bool: connectParticipant)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            connectionId: try reader.readIdentifier(),
            types: try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in
                try reader.readEnumeration(ConnectionType.self)
            },
            connectionToken: try reader.readString(),
            connectionExpiry: try reader.readInt(),
            websocketToken: try reader.readOptionalString(),
            websocketExpiry: try reader.readOptionalInt(),
            connectParticipant: try reader.readBool()
        )
    }
}

/// A websocket was opened on a connection's URL.
public struct WebsocketOpened: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0105
    public static let name = "WebsocketOpened"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The participant.
    public var participantId: Identifier
    /// The connection whose URL was used.
    public var connectionId: Identifier
    /// The socket.
    public var socketId: Identifier

    /// Creates the event.
    public init(chatId: Identifier, participantId: Identifier, connectionId: Identifier, socketId: Identifier) {
        self.chatId = chatId
        self.participantId = participantId
        self.connectionId = connectionId
        self.socketId = socketId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: participantId)
        writer.write(identifier: connectionId)
        writer.write(identifier: socketId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            connectionId: try reader.readIdentifier(),
            socketId: try reader.readIdentifier()
        )
    }
}

/// A websocket closed.
public struct WebsocketClosed: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0106
    public static let name = "WebsocketClosed"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The participant.
    public var participantId: Identifier
    /// The socket.
    public var socketId: Identifier

    /// Creates the event.
    public init(chatId: Identifier, participantId: Identifier, socketId: Identifier) {
        self.chatId = chatId
        self.participantId = participantId
        self.socketId = socketId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: participantId)
        writer.write(identifier: socketId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            socketId: try reader.readIdentifier()
        )
    }
}

/// A message was sent: by a participant, or (participantId nil) by the system or a flow.
public struct MessageSent: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0107
    public static let name = "MessageSent"
    /// Version 2 writes the ClientToken in its form (`write(optionalClientToken:)`): a UUID as 16 bytes.
    public static let currentVersion: UInt8 = 2
    /// The chat.
    public var chatId: Identifier
    /// The contact segment current when it was sent.
    public var contactId: Identifier
    /// The sender; nil for system (flow) messages.
    public var participantId: Identifier?
    /// The display name of a system sender (`SYSTEM_MESSAGE`, `BOT`).
    public var systemDisplayName: String?
    /// The message (and transcript item) id.
    public var messageId: Identifier
    /// Its content type.
    public var contentType: String
    /// Its content.
    public var content: String
    /// The sender's `ClientToken`.
    public var token: ClientToken?

    /// The sender's `ClientToken` as text.
    public var clientToken: String? {
        get { token?.text }
        set { token = newValue.map(ClientToken.init) }
    }

    /// The JSON keys: the token under `clientToken`, as its text.
    private enum CodingKeys: String, CodingKey {
        case chatId, contactId, participantId, systemDisplayName, messageId, contentType, content
        case token = "clientToken"
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(optionalIdentifier: participantId)
        writer.write(optionalString: systemDisplayName)
        writer.write(identifier: messageId)
        writer.write(string: contentType)
        writer.write(string: content)
        writer.write(optionalClientToken: token)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            participantId: try reader.readOptionalIdentifier(),
            systemDisplayName: try reader.readOptionalString(),
            messageId: try reader.readIdentifier(),
            contentType: try reader.readString(interning: ContentTypes.table),
            content: try reader.readString(),
            token: try reader.readClientToken(version: version)
        )
    }
}

extension MessageSent {
    // The initializer with the token's text lives here, so the struct keeps its memberwise initializer (with
    // `token:`): Swift 6.3's explicit initializers copy the whole event once, retains and releases included.
    /// Creates the event.
    public init(
        chatId: Identifier,
        contactId: Identifier,
        participantId: Identifier?,
        systemDisplayName: String? = nil,
        messageId: Identifier,
        contentType: String,
        content: String,
        clientToken: String?
    ) {
        self.init(
            chatId: chatId,
            contactId: contactId,
            participantId: participantId,
            systemDisplayName: systemDisplayName,
            messageId: messageId,
            contentType: contentType,
            content: content,
            token: clientToken.map(ClientToken.init)
        )
    }
}

/// A participant sent an event: typing, a delivered or read receipt, or the retired connection acknowledgement.
public struct EventSent: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0108
    public static let name = "EventSent"
    /// Version 2 writes the ClientToken in its form (`write(optionalClientToken:)`): a UUID as 16 bytes.
    public static let currentVersion: UInt8 = 2
    /// The chat.
    public var chatId: Identifier
    /// The contact segment current when it was sent.
    public var contactId: Identifier
    /// The sender.
    public var participantId: Identifier
    /// The event's id.
    public var eventId: Identifier
    /// Its content type.
    public var contentType: String
    /// Its content, if any.
    public var content: String?
    /// For receipts: the message acknowledged.
    public var receiptMessageId: Identifier?
    /// The sender's `ClientToken`.
    public var token: ClientToken?

    /// The sender's `ClientToken` as text.
    public var clientToken: String? {
        get { token?.text }
        set { token = newValue.map(ClientToken.init) }
    }

    /// The JSON keys: the token under `clientToken`, as its text.
    private enum CodingKeys: String, CodingKey {
        case chatId, contactId, participantId, eventId, contentType, content, receiptMessageId
        case token = "clientToken"
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(identifier: participantId)
        writer.write(identifier: eventId)
        writer.write(string: contentType)
        writer.write(optionalString: content)
        writer.write(optionalIdentifier: receiptMessageId)
        writer.write(optionalClientToken: token)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            eventId: try reader.readIdentifier(),
            contentType: try reader.readString(interning: ContentTypes.table),
            content: try reader.readOptionalString(),
            receiptMessageId: try reader.readOptionalIdentifier(),
            token: try reader.readClientToken(version: version)
        )
    }
}

extension EventSent {
    // The initializer with the token's text lives here, so the struct keeps its memberwise initializer (with
    // `token:`): Swift 6.3's explicit initializers copy the whole event once, retains and releases included.
    /// Creates the event.
    public init(
        chatId: Identifier,
        contactId: Identifier,
        participantId: Identifier,
        eventId: Identifier,
        contentType: String,
        content: String?,
        receiptMessageId: Identifier?,
        clientToken: String?
    ) {
        self.init(
            chatId: chatId,
            contactId: contactId,
            participantId: participantId,
            eventId: eventId,
            contentType: contentType,
            content: content,
            receiptMessageId: receiptMessageId,
            token: clientToken.map(ClientToken.init)
        )
    }
}

/// Contact attributes were set (merged into the existing ones).
public struct AttributesUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0109
    public static let name = "AttributesUpdated"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The keys set and their new values.
    public var attributes: [String: String]

    /// Creates the event.
    public init(contactId: Identifier, attributes: [String: String]) {
        self.contactId = contactId
        self.attributes = attributes
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(stringMap: attributes)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(contactId: try reader.readIdentifier(), attributes: try reader.readStringMap())
    }
}

/// A contact segment ended (the chat may go on in a next segment).
public struct ContactDisconnected: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010A
    public static let name = "ContactDisconnected"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// Why.
    public var reason: DisconnectReason
    /// When it took effect (µs); a timer's deadline for timer-caused ends.
    public var effectiveAt: Int64

    /// Creates the event.
    public init(contactId: Identifier, reason: DisconnectReason, effectiveAt: Int64) {
        self.contactId = contactId
        self.reason = reason
        self.effectiveAt = effectiveAt
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(enumeration: reason)
        writer.write(int: effectiveAt)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            reason: try reader.readEnumeration(DisconnectReason.self),
            effectiveAt: try reader.readInt()
        )
    }
}

/// The chat ended (`chat.ended`); every timer of the chat is gone with it.
public struct ChatEnded: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010B
    public static let name = "ChatEnded"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// Its last contact segment.
    public var contactId: Identifier
    /// Why.
    public var reason: DisconnectReason
    /// When it took effect (µs); a timer's deadline for timer-caused ends.
    public var effectiveAt: Int64
    /// The `chat.ended` transcript item.
    public var itemId: Identifier

    /// Creates the event.
    public init(
        chatId: Identifier,
        contactId: Identifier,
        reason: DisconnectReason,
        effectiveAt: Int64,
        itemId: Identifier
    ) {
        self.chatId = chatId
        self.contactId = contactId
        self.reason = reason
        self.effectiveAt = effectiveAt
        self.itemId = itemId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(enumeration: reason)
        writer.write(int: effectiveAt)
        writer.write(identifier: itemId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            reason: try reader.readEnumeration(DisconnectReason.self),
            effectiveAt: try reader.readInt(),
            itemId: try reader.readIdentifier()
        )
    }
}

/// One idle / auto-disconnect timer setting; `minutes` nil means "Unset".
public struct ParticipantTimerSetting: Sendable, Equatable, Hashable, Encodable {
    /// `CUSTOMER` or `AGENT`.
    public var role: ParticipantRole
    /// `IDLE` or `DISCONNECT_NONCUSTOMER`.
    public var type: ParticipantTimerType
    /// 2–480, or nil to remove the timer.
    public var minutes: Int64?

    /// Creates a setting.
    public init(role: ParticipantRole, type: ParticipantTimerType, minutes: Int64?) {
        self.role = role
        self.type = type
        self.minutes = minutes
    }
}

/// UpdateParticipantRoleConfig stored new timer settings (they apply from the next agent or bot that joins).
public struct RoleConfigUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010C
    public static let name = "RoleConfigUpdated"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The settings, in request order.
    public var settings: [ParticipantTimerSetting]

    /// Creates the event.
    public init(chatId: Identifier, settings: [ParticipantTimerSetting]) {
        self.chatId = chatId
        self.settings = settings
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(array: settings) { writer, setting in
            writer.write(enumeration: setting.role)
            writer.write(enumeration: setting.type)
            writer.write(optionalInt: setting.minutes)
        }
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            settings: try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in
                ParticipantTimerSetting(
                    role: try reader.readEnumeration(ParticipantRole.self),
                    type: try reader.readEnumeration(ParticipantTimerType.self),
                    minutes: try reader.readOptionalInt()
                )
            }
        )
    }
}

/// The chat's disconnect flow (`CustomerRemaining` event hook) was set or cleared.
public struct EventHooksUpdated: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010D
    public static let name = "EventHooksUpdated"
    public static let currentVersion: UInt8 = 1
    /// The chat.
    public var chatId: Identifier
    /// The flow to run when the agent leaves and the customer remains; nil clears it.
    public var customerRemainingFlowId: String?

    /// Creates the event.
    public init(chatId: Identifier, customerRemainingFlowId: String?) {
        self.chatId = chatId
        self.customerRemainingFlowId = customerRemainingFlowId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(optionalString: customerRemainingFlowId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(chatId: try reader.readIdentifier(), customerRemainingFlowId: try reader.readOptionalString())
    }
}

/// A deadline was set (or moved).
public struct TimerArmed: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010E
    public static let name = "TimerArmed"
    public static let currentVersion: UInt8 = 1
    /// Which deadline.
    public var key: TimerKey
    /// When it falls due (µs).
    public var deadline: Int64

    /// Creates the event.
    public init(key: TimerKey, deadline: Int64) {
        self.key = key
        self.deadline = deadline
    }

    public func encode(into writer: inout BinaryWriter) {
        key.encode(into: &writer)
        writer.write(int: deadline)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(key: try TimerKey.decode(from: &reader), deadline: try reader.readInt())
    }
}

/// A deadline was withdrawn before it fell due.
public struct TimerCancelled: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x010F
    public static let name = "TimerCancelled"
    public static let currentVersion: UInt8 = 1
    /// Which deadline.
    public var key: TimerKey

    /// Creates the event.
    public init(key: TimerKey) { self.key = key }

    public func encode(into writer: inout BinaryWriter) { key.encode(into: &writer) }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(key: try TimerKey.decode(from: &reader))
    }
}

/// A deadline fell due and the scheduler fired it: its consequences follow in the same command.
public struct TimerFired: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0110
    public static let name = "TimerFired"
    public static let currentVersion: UInt8 = 1
    /// Which deadline.
    public var key: TimerKey
    /// When it was due (µs); consequences take effect at this instant.
    public var deadline: Int64
    /// When the scheduler fired it (µs); later than the deadline after a restart.
    public var firedAt: Int64

    /// Creates the event.
    public init(key: TimerKey, deadline: Int64, firedAt: Int64) {
        self.key = key
        self.deadline = deadline
        self.firedAt = firedAt
    }

    public func encode(into writer: inout BinaryWriter) {
        key.encode(into: &writer)
        writer.write(int: deadline)
        writer.write(int: firedAt)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(key: try TimerKey.decode(from: &reader), deadline: try reader.readInt(), firedAt: try reader.readInt())
    }
}

/// A participant's idle state changed, or the auto-disconnect timer removed the non-customer participants.
///
/// These are broadcast to websockets but not persisted to transcripts and not billed.
public struct ParticipantActivityChanged: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0111
    public static let name = "ParticipantActivityChanged"
    public static let currentVersion: UInt8 = 1

    /// What happened.
    public enum Change: UInt8, Sendable, Encodable, CaseIterable, CustomStringConvertible {
        /// Encodes as its name.
        public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
        /// `participant.idle`.
        case idle = 1
        /// `participant.returned`.
        case returned = 2
        /// `participant.autodisconnection`.
        case autoDisconnection = 3

        /// The event content type.
        public var description: String {
            switch self {
            case .idle: ContentTypes.participantIdle
            case .returned: ContentTypes.participantReturned
            case .autoDisconnection: ContentTypes.participantAutoDisconnection
            }
        }
    }

    /// The chat.
    public var chatId: Identifier
    /// The participant whose timer it was.
    public var participantId: Identifier
    /// What happened.
    public var change: Change
    /// The event's id (as sent over websockets).
    public var eventId: Identifier

    /// Creates the event.
    public init(chatId: Identifier, participantId: Identifier, change: Change, eventId: Identifier) {
        self.chatId = chatId
        self.participantId = participantId
        self.change = change
        self.eventId = eventId
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: chatId)
        writer.write(identifier: participantId)
        writer.write(enumeration: change)
        writer.write(identifier: eventId)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            chatId: try reader.readIdentifier(),
            participantId: try reader.readIdentifier(),
            change: try reader.readEnumeration(Change.self),
            eventId: try reader.readIdentifier()
        )
    }
}

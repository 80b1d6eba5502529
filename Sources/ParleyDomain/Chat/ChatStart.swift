import Crypto
import HashTreeCollections

extension Transaction {
    /// StartChatContact: validates every field, answers a retry with the same ClientToken from the log's record,
    /// and otherwise opens the chat with its customer, initial message, duration ceiling and connect window.
    mutating func startChatContact(_ request: StartChatContactRequest) throws(ChatError) -> ChatReply {
        guard (1...100).contains(request.instanceId.count) else {
            throw ChatError(.invalidParameter, "InstanceId must be 1–100 characters")
        }
        try checkInstance(request.instanceId)
        let digest = Self.digest(of: request)
        if let clientToken = request.clientToken {
            guard clientToken.count <= 500 else {
                throw ChatError(.invalidParameter, "ClientToken must be at most 500 characters")
            }
            if let contactId = state.startTokens[clientToken], let chat = state.chats[contactId] {
                guard chat.startRequestDigest == digest else {
                    throw ChatError(
                        .idempotency,
                        "ClientToken \(clientToken) was already used with different parameters"
                    )
                }
                let customer = chat.participants[chat.customerParticipantId]
                return .chatStarted(
                    StartChatContactResponse(
                        contactId: contactId,
                        participantId: chat.customerParticipantId,
                        participantToken: customer?.participantToken ?? "",
                        continuedFromContactId: chat.rehydration?.continuedFromContactId
                    )
                )
            }
        }
        guard (1...500).contains(request.contactFlowId.count) else {
            throw ChatError(.invalidParameter, "ContactFlowId must be 1–500 characters")
        }
        guard let flow = resolveFlow(request.contactFlowId) else {
            throw ChatError(
                .resourceNotFound,
                "contact flow \(request.contactFlowId) does not exist",
                resourceId: request.contactFlowId,
                resourceType: "CONTACT_FLOW"
            )
        }
        guard (1...256).contains(request.displayName.count) else {
            throw ChatError(.invalidParameter, "ParticipantDetails.DisplayName must be 1–256 characters")
        }
        var responseMode: ResponseMode?
        if let mode = request.responseMode {
            guard let parsed = ResponseMode(apiName: mode) else {
                throw ChatError(.invalidParameter, "ResponseMode must be INCREMENTAL or COMPLETE, not \(mode)")
            }
            responseMode = parsed
        }
        let supported = try Self.supportedTypes(request.supportedMessagingContentTypes)
        if let message = request.initialMessage {
            guard (1...100).contains(message.contentType.count), ContentTypes.sendable.contains(message.contentType)
            else {
                throw ChatError(
                    .invalidParameter,
                    "InitialMessage.ContentType \(message.contentType) is not an allowed message type"
                )
            }
            guard supported.contains(message.contentType) else {
                throw ChatError(
                    .invalidParameter,
                    "InitialMessage.ContentType \(message.contentType) is not in SupportedMessagingContentTypes"
                )
            }
            guard (1...ContentTypes.maxContentBytes).contains(message.content.utf8.count) else {
                throw ChatError(.invalidParameter, "InitialMessage.Content must be 1–16384 bytes")
            }
        }
        let duration = request.chatDurationInMinutes ?? ChatLimits.defaultChatDurationMinutes
        guard ChatLimits.chatDurationMinutes.contains(duration) else {
            throw ChatError(.invalidParameter, "ChatDurationInMinutes must be 60–10080, not \(duration)")
        }
        if let customerId = request.customerId, !(1...128).contains(customerId.count) {
            throw ChatError(.invalidParameter, "CustomerId must be 1–128 characters")
        }
        var exitRoles: [ParticipantRole] = []
        if let roles = request.disconnectOnCustomerExit {
            guard roles == ["AGENT"] else {
                throw ChatError(.invalidParameter, "DisconnectOnCustomerExit must be exactly [\"AGENT\"]")
            }
            exitRoles = [.agent]
        }
        if request.persistentChat != nil, request.relatedContactId != nil {
            throw ChatError(.invalidRequest, "PersistentChat and RelatedContactId cannot be used together")
        }
        var attributes = request.attributes
        var relatedContactId: Identifier?
        if let related = request.relatedContactId {
            guard (1...256).contains(related.count) else {
                throw ChatError(.invalidParameter, "RelatedContactId must be 1–256 characters")
            }
            let relatedContact = try contact(related)
            relatedContactId = relatedContact.contactId
            attributes = relatedContact.attributes.merging(attributes) { _, new in new }
        }
        try AttributeRules.check(attributes, mergedInto: [:])
        var rehydration: Rehydration?
        if let persistent = request.persistentChat {
            rehydration = try self.rehydration(persistent)
            relatedContactId = rehydration?.continuedFromContactId
        }
        if let instance = state.instance, state.activeChats >= instance.concurrentActiveChats {
            // Chats whose ceiling or connect window is due are over, even before the scheduler records it.
            let active = state.activeChatCount(at: now)
            guard active < instance.concurrentActiveChats else {
                throw ChatError(
                    .limitExceeded,
                    "the instance already has \(active) active chats (quota \(instance.concurrentActiveChats))"
                )
            }
        }

        let contactId = newId()
        let participantId = newId()
        let participantToken = newToken(ofChat: contactId)
        emit(
            .contactStarted(
                ContactStarted(
                    contactId: contactId,
                    chatId: contactId,
                    instanceId: request.instanceId,
                    flowId: request.contactFlowId,
                    initiationMethod: .api,
                    relatedContactId: relatedContactId,
                    attributes: attributes,
                    customerId: request.customerId,
                    chat: ChatOpening(
                        durationMinutes: Int64(duration),
                        supportedContentTypes: supported,
                        responseMode: responseMode,
                        disconnectOnCustomerExit: exitRoles,
                        clientToken: request.clientToken,
                        requestDigest: digest,
                        rehydration: rehydration
                    )
                )
            )
        )
        emit(
            .participantJoined(
                ParticipantJoined(
                    chatId: contactId,
                    contactId: contactId,
                    participantId: participantId,
                    role: .customer,
                    displayName: request.displayName,
                    participantToken: participantToken,
                    itemId: newId()
                )
            )
        )
        if let message = request.initialMessage {
            emit(
                .messageSent(
                    MessageSent(
                        chatId: contactId,
                        contactId: contactId,
                        participantId: participantId,
                        messageId: newId(),
                        contentType: message.contentType,
                        content: message.content,
                        clientToken: nil
                    )
                )
            )
        }
        emit(
            .timerArmed(
                TimerArmed(
                    key: TimerKey(.chatCeiling, chat: contactId),
                    deadline: now + Int64(duration) * Duration.minute
                )
            )
        )
        emit(
            .timerArmed(
                TimerArmed(key: TimerKey(.connectWindow, chat: contactId), deadline: now + ChatLimits.connectWindow)
            )
        )
        runFlow(flow.flowId, version: flow.latestVersion, contactId: contactId)
        return .chatStarted(
            StartChatContactResponse(
                contactId: contactId,
                participantId: participantId,
                participantToken: participantToken,
                continuedFromContactId: rehydration?.continuedFromContactId
            )
        )
    }

    static func supportedTypes(_ requested: [String]?) throws(ChatError) -> [String] {
        guard let requested else { return [ContentTypes.plainText] }
        var types: [String] = []
        for type in requested {
            guard (1...100).contains(type.count), ContentTypes.supportable.contains(type) else {
                throw ChatError(
                    .invalidParameter,
                    "SupportedMessagingContentTypes: \(type.prefix(100)) is not a supported content type"
                )
            }
            if !types.contains(type) { types.append(type) }
        }
        guard types.contains(ContentTypes.plainText) else {
            throw ChatError(.invalidParameter, "SupportedMessagingContentTypes must include text/plain")
        }
        return types
    }

    /// Works out which past contacts a persistent chat loads (§4.6).
    func rehydration(_ persistent: StartChatContactRequest.PersistentChat) throws(ChatError) -> Rehydration {
        guard let typeName = persistent.rehydrationType else {
            throw ChatError(.invalidParameter, "PersistentChat.RehydrationType is required")
        }
        guard let type = RehydrationType(apiName: typeName) else {
            throw ChatError(
                .invalidParameter,
                "RehydrationType must be ENTIRE_PAST_SESSION or FROM_SEGMENT, not \(typeName)"
            )
        }
        guard (1...256).contains(persistent.sourceContactId.count) else {
            throw ChatError(.invalidParameter, "PersistentChat.SourceContactId must be 1–256 characters")
        }
        let source = try contact(persistent.sourceContactId)
        guard let past = state.chats[source.chatId], past.status == .ended else {
            throw ChatError(.invalidRequest, "only ended chats can be rehydrated; \(source.contactId) is still active")
        }
        var segments: [Identifier]
        switch type {
        case .entirePastSession:
            guard source.contactId == past.chatId else {
                throw ChatError(
                    .invalidRequest,
                    "ENTIRE_PAST_SESSION needs the initial contact of the past chat (\(past.chatId))"
                )
            }
            segments = past.contactIds
        case .fromSegment:
            let position = past.contactIds.firstIndex(of: source.contactId) ?? past.contactIds.count - 1
            segments = Array(past.contactIds[...position])
        }
        // Linkage is cumulative: a rehydrated chat brings its own past along, up to 100 contacts and 5 MB.
        var chain = (past.rehydration?.pastContactIds ?? []) + segments
        if chain.count > ChatLimits.persistentChatContacts {
            chain.removeFirst(chain.count - ChatLimits.persistentChatContacts)
        }
        var bytes = 0
        var kept: [Identifier] = []
        for contactId in chain.reversed() {
            let size = ChatQueries.items(ofContact: contactId, in: state).reduce(0) {
                $0 + ($1.content?.utf8.count ?? 0)
            }
            if bytes + size > ChatLimits.persistentChatTranscriptBytes { break }
            bytes += size
            kept.append(contactId)
        }
        return Rehydration(
            type: type,
            sourceContactId: source.contactId,
            continuedFromContactId: segments.last ?? source.contactId,
            pastContactIds: kept.reversed()
        )
    }

    /// A digest of every request field but the ClientToken, to tell a retry from a different request.
    static func digest(of request: StartChatContactRequest) -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(string: request.instanceId)
        writer.write(string: request.contactFlowId)
        writer.write(stringMap: request.attributes)
        writer.write(string: request.displayName)
        writer.write(optionalString: request.responseMode)
        writer.write(optionalString: request.initialMessage?.contentType)
        writer.write(optionalString: request.initialMessage?.content)
        writer.write(optionalInt: request.chatDurationInMinutes.map(Int64.init))
        writer.write(optional: request.supportedMessagingContentTypes) { $0.write(strings: $1) }
        writer.write(optionalString: request.persistentChat?.rehydrationType)
        writer.write(optionalString: request.persistentChat?.sourceContactId)
        writer.write(optionalString: request.relatedContactId)
        writer.write(optionalString: request.customerId)
        writer.write(optional: request.disconnectOnCustomerExit) { $0.write(strings: $1) }
        return Array(SHA256.hash(data: writer.bytes).prefix(16))
    }
}

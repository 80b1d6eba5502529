import HashTreeCollections

/// Folding events into `ChatState`. This is the only code that changes the state, live and on replay alike.
extension ChatMachine {
    /// Folds one event stamped `timestamp` into `state`.
    public static func apply(_ event: ChatEvent, at timestamp: Int64, to state: inout ChatState) {
        state.lastTimestamp = timestamp
        state.eventCount += 1
        switch event {
        case .instanceConfigured(let event):
            state.instance = InstanceSettings(
                instanceId: event.instanceId,
                concurrentActiveChats: event.concurrentActiveChats,
                alias: event.alias,
                identityManagementType: event.identityManagementType,
                inboundCallsEnabled: event.inboundCallsEnabled,
                outboundCallsEnabled: event.outboundCallsEnabled,
                createdAt: state.instance?.createdAt ?? timestamp
            )
        case .contactStarted(let event):
            applyContactStarted(event, at: timestamp, to: &state)
        case .participantJoined(let event):
            // A token of the issued form is found through its chat (`ChatToken`); only other forms need the map.
            if !ChatToken.isFoundThroughChat(event.participantToken, event.chatId) {
                state.participantTokens[event.participantToken] = TokenTarget(
                    chatId: event.chatId,
                    participantId: event.participantId
                )
            }
            updateChat(event.chatId, in: &state) { chat in
                chat.participants[event.participantId] = Participant(
                    participantId: event.participantId,
                    role: event.role,
                    displayName: event.displayName,
                    participantToken: event.participantToken,
                    joinedAt: timestamp,
                    openSockets: [],
                    idle: false,
                    connected: false
                )
                if event.role == .customer { chat.customerParticipantId = event.participantId }
                if event.role == .agent || event.role == .customBot { chat.activeRoleTimers = chat.roleTimers }
                appendItem(
                    eventItem(
                        event.itemId,
                        ContentTypes.participantJoined,
                        chat,
                        event.participantId,
                        event.contactId,
                        timestamp
                    ),
                    to: &chat
                )
            }
        case .participantLeft(let event):
            let effective = event.effectiveAt ?? timestamp
            var token: String?
            updateChat(event.chatId, in: &state) { chat in
                chat.updateParticipant(event.participantId) { participant in
                    token = participant.participantToken
                    participant.leftAt = effective
                    participant.leftReason = event.reason
                    participant.openSockets = []
                    participant.idle = false
                }
                appendItem(
                    eventItem(
                        event.itemId,
                        ContentTypes.participantLeft,
                        chat,
                        event.participantId,
                        event.contactId,
                        effective
                    ),
                    to: &chat
                )
            }
            if let token, !ChatToken.isFoundThroughChat(token, event.chatId) { state.participantTokens[token] = nil }
        case .connectionCreated(let event):
            let target = TokenTarget(
                chatId: event.chatId,
                participantId: event.participantId,
                connectionId: event.connectionId
            )
            if !ChatToken.isFoundThroughChat(event.connectionToken, event.chatId) {
                state.connectionTokens[event.connectionToken] = target
            }
            if let websocketToken = event.websocketToken, !ChatToken.isFoundThroughChat(websocketToken, event.chatId) {
                state.websocketTokens[websocketToken] = target
            }
            var connectedContactId: Identifier?
            updateChat(event.chatId, in: &state) { chat in
                chat.connections[event.connectionId] = Connection(
                    connectionId: event.connectionId,
                    participantId: event.participantId,
                    connectionToken: event.connectionToken,
                    expiry: event.connectionExpiry,
                    websocketToken: event.websocketToken,
                    websocketExpiry: event.websocketExpiry
                )
                if event.connectParticipant {
                    chat.updateParticipant(event.participantId) { $0.connected = true }
                }
                if event.participantId == chat.customerParticipantId {
                    chat.customerConnected = true
                    connectedContactId = chat.currentContactId
                }
            }
            if let contactId = connectedContactId, state.contacts[contactId]?.status == .initiated {
                state.contacts.update(contactId) { $0.status = .connected }
            }
        case .websocketOpened(let event):
            updateChat(event.chatId, in: &state) { chat in
                chat.updateParticipant(event.participantId) { participant in
                    participant.openSockets.append(event.socketId)
                    participant.openSockets.sort()
                }
            }
        case .websocketClosed(let event):
            updateChat(event.chatId, in: &state) { chat in
                chat.updateParticipant(event.participantId) { $0.openSockets.removeAll { $0 == event.socketId } }
            }
        case .messageSent(let event):
            applyMessageSent(event, at: timestamp, to: &state)
        case .eventSent(let event):
            applyEventSent(event, at: timestamp, to: &state)
        case .attributesUpdated(let event):
            state.contacts.update(event.contactId) { $0.attributes.merge(event.attributes) { _, new in new } }
        case .contactDisconnected(let event):
            state.contacts.update(event.contactId) { contact in
                contact.status = .ended
                contact.disconnectedAt = event.effectiveAt
                contact.disconnectReason = event.reason
            }
        case .chatEnded(let event):
            applyChatEnded(event, at: timestamp, to: &state)
        case .roleConfigUpdated(let event):
            updateChat(event.chatId, in: &state) { chat in
                for setting in event.settings {
                    chat.roleTimers[ChatSession.timerSettingKey(setting.role, setting.type)] = setting.minutes
                }
            }
        case .eventHooksUpdated(let event):
            state.chats[event.chatId]?.disconnectFlowId = event.customerRemainingFlowId
        case .timerArmed(let event):
            state.setTimer(event.key, deadline: event.deadline)
        case .timerCancelled(let event):
            state.removeTimer(event.key)
        case .timerFired(let event):
            state.removeTimer(event.key)
            state.timersFired += 1
        case .participantActivityChanged(let event):
            switch event.change {
            case .idle:
                updateChat(event.chatId, in: &state) { $0.updateParticipant(event.participantId) { $0.idle = true } }
            case .returned:
                updateChat(event.chatId, in: &state) { $0.updateParticipant(event.participantId) { $0.idle = false } }
            case .autoDisconnection: break
            }
        case .flowPublished(let event):
            applyFlowPublished(event, at: timestamp, to: &state)
        case .queueCreated(let event):
            state.queues[event.queueId] = QueueResource(
                queueId: event.queueId,
                name: event.queueName,
                maxContacts: event.maxContacts
            )
        case .flowStarted(let event):
            let start = state.flows[event.flowId]?.document(version: Int(event.version))?.startAction
            // TransferToFlow keeps the flow attributes and the Lambda results of the flow before.
            state.contacts.update(event.contactId) { contact in
                let previous = contact.flowRun.take()
                contact.flowRun = FlowRun(
                    flowId: event.flowId,
                    version: Int(event.version),
                    current: start,
                    status: start == nil ? .ended : .running,
                    waitEvents: [],
                    flowAttributes: previous?.flowAttributes ?? [:],
                    external: previous?.external ?? [:],
                    loopCounters: [:],
                    steps: 0
                )
            }
        case .flowStepped(let event):
            if let invocation = event.recorded["lambda.invocation"].flatMap(Identifier.init) {
                state.pendingInvocations[invocation] = nil
            }
            state.contacts.update(event.contactId) { applyFlowStepped(event, at: timestamp, to: &$0) }
        case .flowWaitStarted(let event):
            state.contacts.update(event.contactId) { contact in
                contact.flowRun?.status = .waiting
                contact.flowRun?.current = event.action
                contact.flowRun?.waitEvents = event.events
            }
        case .targetQueueSet(let event):
            state.contacts.update(event.contactId) { $0.targetQueue = event.queueId }
        case .contactQueued(let event):
            let position = QueuePosition(queueId: event.queueId, since: timestamp)
            state.contacts.update(event.contactId) { $0.queued = position }
            state.waiting[event.contactId] = position
        case .lambdaFunctionRegistered(let event):
            state.lambdaFunctions[event.function] = event.url
        case .lambdaInvocationRequested(let event):
            state.pendingInvocations[event.invocationId] = PendingInvocation(request: event)
        case .agentStatusChanged, .contactOffered, .offerEnded, .afterContactWorkChanged, .queueUpdated,
            .resourceDeleted, .agentStatusUpdated, .hoursOfOperationUpdated, .userCredentialSet, .agentLoggedIn,
            .agentLoggedOut, .resourceDescriptionSet:
            applyRouting(event, at: timestamp, to: &state)
        case .userUpdated(let event):
            state.users[event.user.userId] = event.user
        case .userDeleted(let event):
            state.users[event.userId] = nil
            state.agents[event.userId] = nil
            state.agentDesk.forget(event.userId)
        case .routingProfileUpdated(let event):
            state.routingProfiles[event.profile.routingProfileId] = event.profile
        case .routingProfileCreated(let event):
            state.routingProfiles[event.profile.routingProfileId] = event.profile
        case .userCreated(let event):
            state.users[event.user.userId] = event.user
        case .agentStatusCreated(let event):
            state.agentStatuses[event.status.statusId] = event.status
        case .queueStatusUpdated(let event):
            state.queues[event.queueId]?.enabled = event.enabled
        case .chatTransferred(let event):
            updateChat(event.chatId, in: &state) { chat in
                let type = event.succeeded ? ContentTypes.transferSucceeded : ContentTypes.transferFailed
                var item = eventItem(event.itemId, type, chat, nil, event.fromContactId, timestamp)
                item.role = .system
                item.content = event.succeeded ? nil : event.reason
                appendItem(item, to: &chat)
            }
        case .customerQueueFlowSet(let event):
            state.contacts.update(event.contactId) { $0.customerQueueFlowId = event.flowId }
        case .contactAssigned(let event):
            state.contacts.update(event.contactId) { contact in
                contact.agentId = event.agentId
                contact.agentParticipantId = event.participantId
                contact.queued = nil
            }
            state.waiting[event.contactId] = nil
            appendAgentFeed(
                event.agentId,
                AgentFeedEntry(
                    contactId: event.contactId,
                    state: "CONNECTED",
                    participantToken: state.chat(ofContact: event.contactId)?.participants[event.participantId]?
                        .participantToken
                ),
                at: timestamp,
                to: &state
            )
        case .botPublished(let event):
            applyBotPublished(event, at: timestamp, to: &state)
        case .botSessionStarted(let event):
            applyBotSessionStarted(event, to: &state)
        case .hoursOfOperationCreated(let event):
            state.hoursOfOperations[event.hoursId] = HoursOfOperation(
                hoursId: event.hoursId,
                name: event.name,
                timeZone: event.timeZone,
                config: event.config
            )
        case .queueHoursOfOperationUpdated(let event):
            state.queues[event.queueId]?.hoursOfOperationId = event.hoursId
        }
    }

    private static func applyFlowPublished(_ event: FlowPublished, at timestamp: Int64, to state: inout ChatState) {
        // Decide validated the content; a document that no longer parses under newer rules is kept empty (its runs
        // take the error path) so that replay never fails.
        let document =
            (try? FlowDocument.parseCached(event.content))
            ?? FlowDocument(version: "", startAction: "", actions: [:], actionOrder: [], settings: nil)
        var flow =
            state.flows[event.flowId]
            ?? FlowResource(
                flowId: event.flowId,
                name: event.flowName,
                type: event.type,
                description: event.description,
                contents: [],
                documents: [],
                publishedAt: []
            )
        flow.name = event.flowName
        flow.type = event.type
        flow.description = event.description
        flow.contents.append(event.content)
        flow.documents.append(document)
        flow.publishedAt.append(timestamp)
        state.flows[event.flowId] = flow
    }

    private static func applyContactStarted(_ event: ContactStarted, at timestamp: Int64, to state: inout ChatState) {
        var status = ContactStatus.initiated
        if let opening = event.chat {
            if let token = opening.clientToken { state.startTokens[token] = event.contactId }
            state.activeChats += 1
            state.chats.insertNew(
                event.chatId,
                ChatSession(
                    chatId: event.chatId,
                    instanceId: event.instanceId,
                    currentContactId: event.contactId,
                    contactIds: [event.contactId],
                    status: .active,
                    startedAt: timestamp,
                    expiresAt: timestamp + opening.durationMinutes * Duration.minute,
                    durationMinutes: opening.durationMinutes,
                    supportedContentTypes: opening.supportedContentTypes,
                    responseMode: opening.responseMode,
                    disconnectOnCustomerExit: opening.disconnectOnCustomerExit,
                    customerParticipantId: Identifier(high: 0, low: 0),
                    participants: [:],
                    connections: [:],
                    items: [],
                    itemIndex: [:],
                    rehydration: opening.rehydration,
                    roleTimers: [:],
                    activeRoleTimers: [:],
                    customerConnected: false,
                    sentByClientToken: [:],
                    startClientToken: opening.clientToken,
                    startRequestDigest: opening.requestDigest,
                    contactBillableMessages: [0]
                )
            )
        } else {
            updateChat(event.chatId, in: &state) { chat in
                chat.currentContactId = event.contactId
                chat.contactIds.append(event.contactId)
                chat.contactBillableMessages.append(0)
                if chat.customerConnected { status = .connected }
            }
        }
        if let previous = event.previousContactId {
            state.contacts.update(previous) { $0.nextContactId = event.contactId }
        }
        // Moved into its slot (`insertNew`), not copied there and released, as the subscript's setter would.
        state.contacts.insertNew(
            event.contactId,
            ContactRecord(
                contactId: event.contactId,
                chatId: event.chatId,
                instanceId: event.instanceId,
                flowId: event.flowId,
                initiationMethod: event.initiationMethod,
                previousContactId: event.previousContactId,
                relatedContactId: event.relatedContactId,
                customerId: event.customerId,
                initiatedAt: timestamp,
                attributes: event.attributes,
                status: status
            )
        )
    }

    /// A flow step on its contact's flow run (and flow log). The run is taken out while it changes, so that its
    /// dictionaries are not shared with the contact's copy and change in place.
    private static func applyFlowStepped(_ event: FlowStepped, at timestamp: Int64, to contact: inout ContactRecord) {
        guard var run = contact.flowRun.take() else { return }
        let loggedFlow = (run.flowId, run.version)
        if let module = event.recorded["call.flow"] {
            // InvokeFlowModule: the caller waits on the stack; the module runs from its start (`next`).
            run.callStack.append(
                FlowFrame(flowId: run.flowId, version: run.version, returnTo: event.recorded["call.return"])
            )
            run.flowId = module
            run.version = Int(event.recorded["call.version"] ?? "") ?? 1
            run.loopCounters = [:]
        } else if event.recorded["return"] != nil, let frame = run.callStack.popLast() {
            // EndFlowModuleExecution: back to the caller, at `next`.
            run.flowId = frame.flowId
            run.version = frame.version
        }
        run.current = event.next
        run.status = event.next == nil ? .ended : .running
        run.waitEvents = []
        run.steps += 1
        if let priority = event.recorded["routing.QueuePriority"].flatMap({ Int64($0) }) {
            contact.queuePriority = priority
        }
        if let adjustment = event.recorded["routing.QueueTimeAdjustmentSeconds"].flatMap({ Int64($0) }) {
            contact.queueTimeAdjustmentSeconds = adjustment
        }
        for (key, value) in event.recorded {
            if key.hasPrefix("flow.") {
                run.flowAttributes[String(key.dropFirst(5))] = value
            } else if key.hasPrefix("external.") {
                run.external[String(key.dropFirst(9))] = value
            } else if key == "loop" {
                run.loopCounters[event.action] = Int64(value) ?? 0
            } else if key == "loopReset" {
                run.loopCounters[event.action] = nil
            }
        }
        run.recordBotResult(event.recorded)
        contact.flowRun = run
        if run.flowAttributes["$logging"] == "Enabled" {
            let entry = FlowLogEntry(
                timestamp: timestamp,
                flowId: loggedFlow.0,
                version: loggedFlow.1,
                action: event.action,
                actionType: event.actionType,
                branch: event.branch,
                result: event.result,
                next: event.next,
                details: event.recorded
            )
            contact.flowLog.append(entry)
            if contact.flowLog.count > FlowLogEntry.limit { contact.flowLog.removeFirst() }
        }
    }

    // The closures below capture the fields they read, never the event: capturing the event copied it first (its
    // strings retained, then released), about 300 instructions a message or event on every replay.

    @inline(__always)
    private static func applyMessageSent(_ event: MessageSent, at timestamp: Int64, to state: inout ChatState) {
        state.billing.countMessage(at: timestamp)
        let contactId = event.contactId
        let messageId = event.messageId
        let participantId = event.participantId
        let (contentType, content, systemDisplayName) = (event.contentType, event.content, event.systemDisplayName)
        var token: ClientTokenKey?
        if let participantId, let sent = event.token { token = ClientTokenKey(participantId, .message, sent) }
        updateChat(event.chatId, in: &state) { chat in
            // Its segment is nearly always the chat's last.
            if let segment = chat.contactIds.lastIndex(of: contactId) {
                chat.contactBillableMessages[segment] += 1
            }
            var displayName = systemDisplayName
            var role: ParticipantRole? = participantId == nil ? .system : nil
            if let participantId, let sender = chat.participants[participantId] {
                displayName = sender.displayName
                role = sender.role
                if let token { chat.sentByClientToken[token] = SentRecord(id: messageId, time: timestamp) }
            }
            // Made here and handed on, not captured: a captured item is copied when it is appended.
            appendItem(
                TranscriptItem(
                    id: messageId,
                    timestamp: timestamp,
                    type: "MESSAGE",
                    contentType: contentType,
                    content: content,
                    participantId: participantId,
                    displayName: displayName,
                    role: role,
                    contactId: contactId,
                    receipts: [:]
                ),
                to: &chat
            )
        }
    }

    @inline(__always)
    private static func applyEventSent(_ event: EventSent, at timestamp: Int64, to state: inout ChatState) {
        let participantId = event.participantId
        let eventId = event.eventId
        let token = event.token.map { ClientTokenKey(participantId, .event, $0) }
        // Only receipts name a message (SendEvent records one for them alone), so a typing event costs one comparison
        // of its content type, not three.
        var receipt: (messageId: Identifier, read: Bool)?
        var acknowledges = false
        if let messageId = event.receiptMessageId {
            let read = event.contentType == ContentTypes.read
            if read || event.contentType == ContentTypes.delivered { receipt = (messageId, read) }
        } else {
            acknowledges = event.contentType == ContentTypes.connectionAcknowledged
        }
        updateChat(event.chatId, in: &state) { chat in
            if let token { chat.sentByClientToken[token] = SentRecord(id: eventId, time: timestamp) }
            if let receipt {
                guard let index = chat.itemIndex[receipt.messageId] else { return }
                var stamps = chat.items[index].receipts[participantId] ?? Receipt()
                if receipt.read {
                    stamps.readAt = stamps.readAt ?? timestamp
                } else {
                    stamps.deliveredAt = stamps.deliveredAt ?? timestamp
                }
                chat.items[index].receipts[participantId] = stamps
            } else if acknowledges {
                chat.updateParticipant(participantId) { $0.connected = true }
            }
        }
    }

    private static func applyChatEnded(_ event: ChatEnded, at timestamp: Int64, to state: inout ChatState) {
        // What is read from the chat is read first, and the copy goes before the chat changes: a copy still alive
        // then would make the change copy the chat's participants, transcript chunk and index, and free the old ones.
        let timersToRemove: [TimerKey]
        do {
            guard let ended = state.chats[event.chatId] else { return }
            for contactId in ended.contactIds { state.waiting[contactId] = nil }
            // Tokens found through the chat stop working with its status; only other forms are in the maps.
            for participant in ended.participants.values
            where participant.isPresent && !ChatToken.isFoundThroughChat(participant.participantToken, event.chatId) {
                state.participantTokens[participant.participantToken] = nil
            }
            for connection in ended.connections.values {
                if let token = connection.websocketToken, !ChatToken.isFoundThroughChat(token, event.chatId) {
                    state.websocketTokens[token] = nil
                }
            }
            // After-contact work outlives the chat; every other deadline of the chat goes with it. With many timers
            // the keys are built from the chat's participants and contacts (a scan of every timer made each chat's
            // end cost O(active chats)); with few, the scan is cheaper. The keys are collected before any is
            // removed: removing while iterating the map would copy its nodes. Debug builds check none was missed.
            if state.timers.count <= timerKeyCount(of: ended) {
                timersToRemove = state.timers.keys.filter { $0.chatId == event.chatId && $0.kind != .afterContactWork }
            } else {
                timersToRemove = timerKeys(of: ended)
            }
        }
        updateChat(event.chatId, in: &state) { chat in
            chat.status = .ended
            chat.endedAt = event.effectiveAt
            chat.endReason = event.reason
            // Through indices: iterating `participants.keys` while writing would copy the dictionary.
            var index = chat.participants.startIndex
            while index != chat.participants.endIndex {
                if !chat.participants.values[index].openSockets.isEmpty {
                    chat.participants.values[index].openSockets = []
                }
                chat.participants.formIndex(after: &index)
            }
            // The item shows when the chat ended: the deadline for a late timer (items stay in time order, below).
            var item = eventItem(event.itemId, ContentTypes.chatEnded, chat, nil, event.contactId, event.effectiveAt)
            item.role = .system
            appendItem(item, to: &chat)
        }
        state.activeChats -= 1
        for key in timersToRemove { state.removeTimer(key) }
        assert(
            !state.timers.keys.contains { $0.chatId == event.chatId && $0.kind != .afterContactWork },
            "a timer of an ended chat was left behind"
        )
        let invocations = state.pendingInvocations.compactMap { $0.value.request.chatId == event.chatId ? $0.key : nil }
        for id in invocations { state.pendingInvocations[id] = nil }
    }

    /// Every key a deadline of `chat` other than after-contact work can have, by what its kind names in the
    /// participant slot (`TimerKind.slot`): the chat's own deadlines, each participant's role timers, and each contact's
    /// flow Wait, offer and queue delay timers. Keys of other shapes are not decoded.
    private static func timerKeys(of chat: ChatSession) -> [TimerKey] {
        var keys: [TimerKey] = []
        keys.reserveCapacity(timerKeyCount(of: chat))
        for kind in TimerKind.allCases where kind != .afterContactWork {
            switch kind.slot {
            case .none:
                keys.append(TimerKey(kind, chat: chat.chatId))
            case .participant:
                for participantId in chat.participants.keys {
                    keys.append(TimerKey(kind, chat: chat.chatId, participant: participantId))
                }
            case .contact:
                for contactId in chat.contactIds {
                    keys.append(TimerKey(kind, chat: chat.chatId, participant: contactId))
                }
            }
        }
        return keys
    }

    /// How many keys `timerKeys(of:)` builds.
    private static func timerKeyCount(of chat: ChatSession) -> Int {
        var count = 0
        for kind in TimerKind.allCases where kind != .afterContactWork {
            switch kind.slot {
            case .none: count += 1
            case .participant: count += chat.participants.count
            case .contact: count += chat.contactIds.count
            }
        }
        return count
    }

    private static func updateChat(
        _ chatId: Identifier,
        in state: inout ChatState,
        _ body: (inout ChatSession) -> Void
    ) {
        // In place: the chat (and its transcript buffer) is not copied when the tree node is not shared, and one
        // lookup both finds and updates it.
        state.chats.update(chatId, body)
    }

    private static func eventItem(
        _ id: Identifier,
        _ contentType: String,
        _ chat: ChatSession,
        _ participantId: Identifier?,
        _ contactId: Identifier,
        _ timestamp: Int64
    ) -> TranscriptItem {
        let participant = participantId.flatMap { chat.participants[$0] }
        return TranscriptItem(
            id: id,
            timestamp: timestamp,
            type: "EVENT",
            contentType: contentType,
            content: nil,
            participantId: participantId,
            displayName: participant?.displayName,
            role: participant?.role,
            contactId: contactId,
            receipts: [:]
        )
    }

    /// Appends a transcript item, never earlier than the item before it.
    /// The item is taken, not copied, and the previous item's time is read in place (`items.last` copies the item).
    private static func appendItem(_ item: consuming TranscriptItem, to chat: inout ChatSession) {
        let count = chat.items.count
        if count > 0 {
            let previous = chat.items[count - 1].timestamp
            if item.timestamp < previous { item.timestamp = previous }
        }
        if ChatSession.indexes(item) { chat.itemIndex[item.id] = count }
        chat.items.append(item)
    }
}

/// Calendar arithmetic on µs timestamps (UTC, proleptic Gregorian), without Foundation.
public enum CivilTime {
    /// "YYYY-MM" of `timestamp`.
    public static func month(of timestamp: Int64) -> String {
        let (year, month, _) = civil(fromDays: floorDivide(timestamp, Duration.day))
        return monthName(year, month)
    }

    /// "YYYY-MM" of `month` (1–12) of `year`.
    private static func monthName(_ year: Int64, _ month: Int64) -> String {
        guard (1000...9999).contains(year) else {
            let monthText = month < 10 ? "0\(month)" : "\(month)"
            return "\(year)-\(monthText)"
        }
        // Seven ASCII bytes: a small string, no interpolation.
        return String(unsafeUninitializedCapacity: 7) { out in
            func digit(_ value: Int64) -> UInt8 { UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10) }
            out[0] = digit(year / 1000)
            out[1] = digit(year / 100)
            out[2] = digit(year / 10)
            out[3] = digit(year)
            out[4] = UInt8(ascii: "-")
            out[5] = digit(month / 10)
            out[6] = digit(month)
            return 7
        }
    }

    /// "YYYY-MM" of `timestamp`, with the first µs of that month and of the next.
    public static func monthBounds(of timestamp: Int64) -> (key: String, start: Int64, end: Int64) {
        let (year, month, _) = civil(fromDays: floorDivide(timestamp, Duration.day))
        let start = ISOTime.days(fromCivil: year, month, 1) * Duration.day
        let end =
            (month == 12 ? ISOTime.days(fromCivil: year + 1, 1, 1) : ISOTime.days(fromCivil: year, month + 1, 1))
            * Duration.day
        return (monthName(year, month), start, end)
    }

    /// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : (value - divisor + 1) / divisor
    }
}

extension ChatEvent {
    /// The chat whose session `ChatMachine.apply` changes with this event (its transcript, participants, connections,
    /// sockets or status), or nil when the event changes no chat. The server wakes a chat's websockets only for
    /// these; keep the list in step with `apply`, the only code that writes `state.chats`.
    public var changedChatId: Identifier? {
        switch self {
        case .contactStarted(let event): event.chatId
        case .participantJoined(let event): event.chatId
        case .participantLeft(let event): event.chatId
        case .connectionCreated(let event): event.chatId
        case .websocketOpened(let event): event.chatId
        case .websocketClosed(let event): event.chatId
        case .messageSent(let event): event.chatId
        case .eventSent(let event): event.chatId
        case .chatEnded(let event): event.chatId
        case .roleConfigUpdated(let event): event.chatId
        case .eventHooksUpdated(let event): event.chatId
        case .participantActivityChanged(let event): event.chatId
        case .chatTransferred(let event): event.chatId
        case .instanceConfigured, .attributesUpdated, .contactDisconnected, .timerArmed, .timerCancelled, .timerFired,
            .flowPublished, .queueCreated, .flowStarted, .flowStepped, .flowWaitStarted, .targetQueueSet,
            .contactQueued, .contactAssigned, .botPublished, .botSessionStarted, .hoursOfOperationCreated,
            .queueHoursOfOperationUpdated, .lambdaFunctionRegistered, .lambdaInvocationRequested,
            .customerQueueFlowSet, .queueStatusUpdated, .routingProfileCreated, .userCreated, .agentStatusCreated,
            .agentStatusChanged, .contactOffered, .offerEnded, .afterContactWorkChanged, .userUpdated, .userDeleted,
            .routingProfileUpdated, .queueUpdated, .resourceDeleted, .agentStatusUpdated, .hoursOfOperationUpdated,
            .userCredentialSet, .agentLoggedIn, .agentLoggedOut, .resourceDescriptionSet:
            nil
        }
    }
}

import Foundation

/// Every domain event of the chat contact center.
///
/// Indirect: an event is one reference to its payload's box. Inline it was 249 bytes (`ContactStarted`'s size), and
/// every `switch` over a borrowed event, even one that binds nothing, first copied all of it to the stack: about 18
/// copies per event through the machine, the projection set and each projection (Swift 6.3). A box costs one
/// allocation per decoded or emitted event; a replay's fold costs 4.3 % fewer instructions. docs/performance.md,
/// "2026-11-24 (fifth session)".
public indirect enum ChatEvent: Sendable, Equatable {
    case instanceConfigured(InstanceConfigured)
    case contactStarted(ContactStarted)
    case participantJoined(ParticipantJoined)
    case participantLeft(ParticipantLeft)
    case connectionCreated(ConnectionCreated)
    case websocketOpened(WebsocketOpened)
    case websocketClosed(WebsocketClosed)
    case messageSent(MessageSent)
    case eventSent(EventSent)
    case attributesUpdated(AttributesUpdated)
    case contactDisconnected(ContactDisconnected)
    case chatEnded(ChatEnded)
    case roleConfigUpdated(RoleConfigUpdated)
    case eventHooksUpdated(EventHooksUpdated)
    case timerArmed(TimerArmed)
    case timerCancelled(TimerCancelled)
    case timerFired(TimerFired)
    case participantActivityChanged(ParticipantActivityChanged)
    case flowPublished(FlowPublished)
    case queueCreated(QueueCreated)
    case flowStarted(FlowStarted)
    case flowStepped(FlowStepped)
    case flowWaitStarted(FlowWaitStarted)
    case targetQueueSet(TargetQueueSet)
    case contactQueued(ContactQueued)
    case contactAssigned(ContactAssigned)
    case botPublished(BotPublished)
    case botSessionStarted(BotSessionStarted)
    case hoursOfOperationCreated(HoursOfOperationCreated)
    case queueHoursOfOperationUpdated(QueueHoursOfOperationUpdated)
    case lambdaFunctionRegistered(LambdaFunctionRegistered)
    case lambdaInvocationRequested(LambdaInvocationRequested)
    case customerQueueFlowSet(CustomerQueueFlowSet)
    case chatTransferred(ChatTransferred)
    case queueStatusUpdated(QueueStatusUpdated)
    case routingProfileCreated(RoutingProfileCreated)
    case userCreated(UserCreated)
    case agentStatusCreated(AgentStatusCreated)
    case agentStatusChanged(AgentStatusChanged)
    case contactOffered(ContactOffered)
    case offerEnded(OfferEnded)
    case afterContactWorkChanged(AfterContactWorkChanged)
    case userUpdated(UserUpdated)
    case userDeleted(UserDeleted)
    case routingProfileUpdated(RoutingProfileUpdated)
    case queueUpdated(QueueUpdated)
    case resourceDeleted(ResourceDeleted)
    case agentStatusUpdated(AgentStatusUpdated)
    case hoursOfOperationUpdated(HoursOfOperationUpdated)
    case userCredentialSet(UserCredentialSet)
    case agentLoggedIn(AgentLoggedIn)
    case agentLoggedOut(AgentLoggedOut)
    case resourceDescriptionSet(ResourceDescriptionSet)

    /// The payload as its concrete event type.
    public var payload: any VersionedEvent & Encodable {
        switch self {
        case .instanceConfigured(let event): event
        case .contactStarted(let event): event
        case .participantJoined(let event): event
        case .participantLeft(let event): event
        case .connectionCreated(let event): event
        case .websocketOpened(let event): event
        case .websocketClosed(let event): event
        case .messageSent(let event): event
        case .eventSent(let event): event
        case .attributesUpdated(let event): event
        case .contactDisconnected(let event): event
        case .chatEnded(let event): event
        case .roleConfigUpdated(let event): event
        case .eventHooksUpdated(let event): event
        case .timerArmed(let event): event
        case .timerCancelled(let event): event
        case .timerFired(let event): event
        case .participantActivityChanged(let event): event
        case .flowPublished(let event): event
        case .queueCreated(let event): event
        case .flowStarted(let event): event
        case .flowStepped(let event): event
        case .flowWaitStarted(let event): event
        case .targetQueueSet(let event): event
        case .contactQueued(let event): event
        case .contactAssigned(let event): event
        case .botPublished(let event): event
        case .botSessionStarted(let event): event
        case .hoursOfOperationCreated(let event): event
        case .queueHoursOfOperationUpdated(let event): event
        case .lambdaFunctionRegistered(let event): event
        case .lambdaInvocationRequested(let event): event
        case .customerQueueFlowSet(let event): event
        case .chatTransferred(let event): event
        case .queueStatusUpdated(let event): event
        case .routingProfileCreated(let event): event
        case .userCreated(let event): event
        case .agentStatusCreated(let event): event
        case .agentStatusChanged(let event): event
        case .contactOffered(let event): event
        case .offerEnded(let event): event
        case .afterContactWorkChanged(let event): event
        case .userUpdated(let event): event
        case .userDeleted(let event): event
        case .routingProfileUpdated(let event): event
        case .queueUpdated(let event): event
        case .resourceDeleted(let event): event
        case .agentStatusUpdated(let event): event
        case .hoursOfOperationUpdated(let event): event
        case .userCredentialSet(let event): event
        case .agentLoggedIn(let event): event
        case .agentLoggedOut(let event): event
        case .resourceDescriptionSet(let event): event
        }
    }

    /// The event type's name, e.g. "MessageSent".
    public var name: String { type(of: payload).name }

    /// The record tag and payload (version byte + fields).
    ///
    /// Each case encodes its own type: through `payload` the event would be copied into an existential's box, and
    /// encoded by unspecialized code, on every event the engine writes.
    public func encoded() -> (tag: UInt16, payload: [UInt8]) {
        switch self {
        case .instanceConfigured(let event): EventCodec.encode(event)
        case .contactStarted(let event): EventCodec.encode(event)
        case .participantJoined(let event): EventCodec.encode(event)
        case .participantLeft(let event): EventCodec.encode(event)
        case .connectionCreated(let event): EventCodec.encode(event)
        case .websocketOpened(let event): EventCodec.encode(event)
        case .websocketClosed(let event): EventCodec.encode(event)
        case .messageSent(let event): EventCodec.encode(event)
        case .eventSent(let event): EventCodec.encode(event)
        case .attributesUpdated(let event): EventCodec.encode(event)
        case .contactDisconnected(let event): EventCodec.encode(event)
        case .chatEnded(let event): EventCodec.encode(event)
        case .roleConfigUpdated(let event): EventCodec.encode(event)
        case .eventHooksUpdated(let event): EventCodec.encode(event)
        case .timerArmed(let event): EventCodec.encode(event)
        case .timerCancelled(let event): EventCodec.encode(event)
        case .timerFired(let event): EventCodec.encode(event)
        case .participantActivityChanged(let event): EventCodec.encode(event)
        case .flowPublished(let event): EventCodec.encode(event)
        case .queueCreated(let event): EventCodec.encode(event)
        case .flowStarted(let event): EventCodec.encode(event)
        case .flowStepped(let event): EventCodec.encode(event)
        case .flowWaitStarted(let event): EventCodec.encode(event)
        case .targetQueueSet(let event): EventCodec.encode(event)
        case .contactQueued(let event): EventCodec.encode(event)
        case .contactAssigned(let event): EventCodec.encode(event)
        case .botPublished(let event): EventCodec.encode(event)
        case .botSessionStarted(let event): EventCodec.encode(event)
        case .hoursOfOperationCreated(let event): EventCodec.encode(event)
        case .queueHoursOfOperationUpdated(let event): EventCodec.encode(event)
        case .lambdaFunctionRegistered(let event): EventCodec.encode(event)
        case .lambdaInvocationRequested(let event): EventCodec.encode(event)
        case .customerQueueFlowSet(let event): EventCodec.encode(event)
        case .chatTransferred(let event): EventCodec.encode(event)
        case .queueStatusUpdated(let event): EventCodec.encode(event)
        case .routingProfileCreated(let event): EventCodec.encode(event)
        case .userCreated(let event): EventCodec.encode(event)
        case .agentStatusCreated(let event): EventCodec.encode(event)
        case .agentStatusChanged(let event): EventCodec.encode(event)
        case .contactOffered(let event): EventCodec.encode(event)
        case .offerEnded(let event): EventCodec.encode(event)
        case .afterContactWorkChanged(let event): EventCodec.encode(event)
        case .userUpdated(let event): EventCodec.encode(event)
        case .userDeleted(let event): EventCodec.encode(event)
        case .routingProfileUpdated(let event): EventCodec.encode(event)
        case .queueUpdated(let event): EventCodec.encode(event)
        case .resourceDeleted(let event): EventCodec.encode(event)
        case .agentStatusUpdated(let event): EventCodec.encode(event)
        case .hoursOfOperationUpdated(let event): EventCodec.encode(event)
        case .userCredentialSet(let event): EventCodec.encode(event)
        case .agentLoggedIn(let event): EventCodec.encode(event)
        case .agentLoggedOut(let event): EventCodec.encode(event)
        case .resourceDescriptionSet(let event): EventCodec.encode(event)
        }
    }
}

/// The registry of event types: tag → decoder and name.
public enum ChatEventCatalogue {
    /// Every event type, in tag order.
    public static let types: [any (VersionedEvent & Encodable).Type] = [
        InstanceConfigured.self, ContactStarted.self, ParticipantJoined.self, ParticipantLeft.self,
        ConnectionCreated.self, WebsocketOpened.self, WebsocketClosed.self, MessageSent.self, EventSent.self,
        AttributesUpdated.self, ContactDisconnected.self, ChatEnded.self, RoleConfigUpdated.self,
        EventHooksUpdated.self, TimerArmed.self, TimerCancelled.self, TimerFired.self,
        ParticipantActivityChanged.self, FlowPublished.self, QueueCreated.self, FlowStarted.self, FlowStepped.self,
        FlowWaitStarted.self, TargetQueueSet.self, ContactQueued.self, ContactAssigned.self,
        LambdaFunctionRegistered.self, LambdaInvocationRequested.self, CustomerQueueFlowSet.self, ChatTransferred.self,
        QueueStatusUpdated.self,
        BotPublished.self, BotSessionStarted.self,
        HoursOfOperationCreated.self, QueueHoursOfOperationUpdated.self,
        RoutingProfileCreated.self, UserCreated.self, AgentStatusCreated.self, AgentStatusChanged.self,
        ContactOffered.self, OfferEnded.self, AfterContactWorkChanged.self, UserUpdated.self, UserDeleted.self,
        RoutingProfileUpdated.self, QueueUpdated.self, ResourceDeleted.self, AgentStatusUpdated.self,
        HoursOfOperationUpdated.self, UserCredentialSet.self, AgentLoggedIn.self, AgentLoggedOut.self,
        ResourceDescriptionSet.self,
    ]

    /// The lowest tag of a domain event; records below it (e.g. type 0 text written by `parley log append`) are
    /// not domain events.
    public static let firstTag: UInt16 = 0x0100

    /// The name of the event type with `tag`, if any.
    public static func name(ofTag tag: UInt16) -> String? {
        types.first { $0.tag == tag }?.name
    }

    /// Decodes one record; nil when `tag` is not a domain event tag (below `firstTag`).
    public static func decode(tag: UInt16, payload: UnsafeRawBufferPointer) throws(DecodeError) -> ChatEvent? {
        switch tag {
        case InstanceConfigured.tag:
            .instanceConfigured(try EventCodec.decode(InstanceConfigured.self, payload: payload))
        case ContactStarted.tag: .contactStarted(try EventCodec.decode(ContactStarted.self, payload: payload))
        case ParticipantJoined.tag: .participantJoined(try EventCodec.decode(ParticipantJoined.self, payload: payload))
        case ParticipantLeft.tag: .participantLeft(try EventCodec.decode(ParticipantLeft.self, payload: payload))
        case ConnectionCreated.tag: .connectionCreated(try EventCodec.decode(ConnectionCreated.self, payload: payload))
        case WebsocketOpened.tag: .websocketOpened(try EventCodec.decode(WebsocketOpened.self, payload: payload))
        case WebsocketClosed.tag: .websocketClosed(try EventCodec.decode(WebsocketClosed.self, payload: payload))
        case MessageSent.tag: .messageSent(try EventCodec.decode(MessageSent.self, payload: payload))
        case EventSent.tag: .eventSent(try EventCodec.decode(EventSent.self, payload: payload))
        case AttributesUpdated.tag: .attributesUpdated(try EventCodec.decode(AttributesUpdated.self, payload: payload))
        case ContactDisconnected.tag:
            .contactDisconnected(try EventCodec.decode(ContactDisconnected.self, payload: payload))
        case ChatEnded.tag: .chatEnded(try EventCodec.decode(ChatEnded.self, payload: payload))
        case RoleConfigUpdated.tag: .roleConfigUpdated(try EventCodec.decode(RoleConfigUpdated.self, payload: payload))
        case EventHooksUpdated.tag: .eventHooksUpdated(try EventCodec.decode(EventHooksUpdated.self, payload: payload))
        case TimerArmed.tag: .timerArmed(try EventCodec.decode(TimerArmed.self, payload: payload))
        case TimerCancelled.tag: .timerCancelled(try EventCodec.decode(TimerCancelled.self, payload: payload))
        case TimerFired.tag: .timerFired(try EventCodec.decode(TimerFired.self, payload: payload))
        case ParticipantActivityChanged.tag:
            .participantActivityChanged(try EventCodec.decode(ParticipantActivityChanged.self, payload: payload))
        case FlowPublished.tag: .flowPublished(try EventCodec.decode(FlowPublished.self, payload: payload))
        case QueueCreated.tag: .queueCreated(try EventCodec.decode(QueueCreated.self, payload: payload))
        case FlowStarted.tag: .flowStarted(try EventCodec.decode(FlowStarted.self, payload: payload))
        case FlowStepped.tag: .flowStepped(try EventCodec.decode(FlowStepped.self, payload: payload))
        case FlowWaitStarted.tag: .flowWaitStarted(try EventCodec.decode(FlowWaitStarted.self, payload: payload))
        case TargetQueueSet.tag: .targetQueueSet(try EventCodec.decode(TargetQueueSet.self, payload: payload))
        case ContactQueued.tag: .contactQueued(try EventCodec.decode(ContactQueued.self, payload: payload))
        case ContactAssigned.tag: .contactAssigned(try EventCodec.decode(ContactAssigned.self, payload: payload))
        case BotPublished.tag: .botPublished(try EventCodec.decode(BotPublished.self, payload: payload))
        case BotSessionStarted.tag: .botSessionStarted(try EventCodec.decode(BotSessionStarted.self, payload: payload))
        case HoursOfOperationCreated.tag:
            .hoursOfOperationCreated(try EventCodec.decode(HoursOfOperationCreated.self, payload: payload))
        case QueueHoursOfOperationUpdated.tag:
            .queueHoursOfOperationUpdated(try EventCodec.decode(QueueHoursOfOperationUpdated.self, payload: payload))
        case LambdaFunctionRegistered.tag:
            .lambdaFunctionRegistered(try EventCodec.decode(LambdaFunctionRegistered.self, payload: payload))
        case LambdaInvocationRequested.tag:
            .lambdaInvocationRequested(try EventCodec.decode(LambdaInvocationRequested.self, payload: payload))
        case CustomerQueueFlowSet.tag:
            .customerQueueFlowSet(try EventCodec.decode(CustomerQueueFlowSet.self, payload: payload))
        case ChatTransferred.tag: .chatTransferred(try EventCodec.decode(ChatTransferred.self, payload: payload))
        case RoutingProfileCreated.tag:
            .routingProfileCreated(try EventCodec.decode(RoutingProfileCreated.self, payload: payload))
        case UserCreated.tag: .userCreated(try EventCodec.decode(UserCreated.self, payload: payload))
        case AgentStatusCreated.tag:
            .agentStatusCreated(try EventCodec.decode(AgentStatusCreated.self, payload: payload))
        case AgentStatusChanged.tag:
            .agentStatusChanged(try EventCodec.decode(AgentStatusChanged.self, payload: payload))
        case ContactOffered.tag: .contactOffered(try EventCodec.decode(ContactOffered.self, payload: payload))
        case OfferEnded.tag: .offerEnded(try EventCodec.decode(OfferEnded.self, payload: payload))
        case AfterContactWorkChanged.tag:
            .afterContactWorkChanged(try EventCodec.decode(AfterContactWorkChanged.self, payload: payload))
        case QueueStatusUpdated.tag:
            .queueStatusUpdated(try EventCodec.decode(QueueStatusUpdated.self, payload: payload))
        case UserUpdated.tag: .userUpdated(try EventCodec.decode(UserUpdated.self, payload: payload))
        case UserDeleted.tag: .userDeleted(try EventCodec.decode(UserDeleted.self, payload: payload))
        case RoutingProfileUpdated.tag:
            .routingProfileUpdated(try EventCodec.decode(RoutingProfileUpdated.self, payload: payload))
        case QueueUpdated.tag: .queueUpdated(try EventCodec.decode(QueueUpdated.self, payload: payload))
        case ResourceDeleted.tag: .resourceDeleted(try EventCodec.decode(ResourceDeleted.self, payload: payload))
        case AgentStatusUpdated.tag:
            .agentStatusUpdated(try EventCodec.decode(AgentStatusUpdated.self, payload: payload))
        case HoursOfOperationUpdated.tag:
            .hoursOfOperationUpdated(try EventCodec.decode(HoursOfOperationUpdated.self, payload: payload))
        case UserCredentialSet.tag: .userCredentialSet(try EventCodec.decode(UserCredentialSet.self, payload: payload))
        case AgentLoggedIn.tag: .agentLoggedIn(try EventCodec.decode(AgentLoggedIn.self, payload: payload))
        case AgentLoggedOut.tag: .agentLoggedOut(try EventCodec.decode(AgentLoggedOut.self, payload: payload))
        case ResourceDescriptionSet.tag:
            .resourceDescriptionSet(try EventCodec.decode(ResourceDescriptionSet.self, payload: payload))
        case ..<firstTag: nil
        default: throw DecodeError(.unknownTag, "event tag 0x\(String(tag, radix: 16)) is unknown", offset: 0)
        }
    }

    /// Decodes a record held in an array.
    public static func decode(tag: UInt16, payload: [UInt8]) throws(DecodeError) -> ChatEvent? {
        let result: Result<ChatEvent?, DecodeError> = payload.withUnsafeBytes { bytes in
            do throws(DecodeError) {
                return .success(try decode(tag: tag, payload: bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The event's fields as one line of JSON (keys sorted), for `parley log dump`.
    public static func json(_ event: ChatEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(AnyEncodable(event.payload)) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Type erasure for encoding an existential.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

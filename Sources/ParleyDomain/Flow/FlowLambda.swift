import Foundation

// InvokeLambdaFunction: the flow parks while the engine's effect runner calls the configured HTTP endpoint; the
// response comes back as a command and is recorded, so replay never calls out.

/// A Lambda function name or ARN mapped to the HTTP endpoint Parley calls for it.
public struct LambdaFunctionRegistered: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0128
    public static let name = "LambdaFunctionRegistered"
    public static let currentVersion: UInt8 = 1
    /// The function ARN or name flows use in `LambdaFunctionARN`.
    public var function: String
    /// The `http://` or `https://` URL that receives Amazon's `ContactFlowEvent` as a POST.
    public var url: String

    /// Creates the event.
    public init(function: String, url: String) {
        self.function = function
        self.url = url
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: function)
        writer.write(string: url)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(function: try reader.readString(), url: try reader.readString())
    }
}

/// A flow asked for a Lambda call; the effect runner performs it and answers with `completeLambdaInvocation`.
public struct LambdaInvocationRequested: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0129
    public static let name = "LambdaInvocationRequested"
    public static let currentVersion: UInt8 = 1
    /// The invocation.
    public var invocationId: Identifier
    /// The chat.
    public var chatId: Identifier
    /// The contact whose flow waits.
    public var contactId: Identifier
    /// The InvokeLambdaFunction action.
    public var action: String
    /// The endpoint.
    public var url: String
    /// The request body (Amazon's `ContactFlowEvent`, JSON).
    public var payload: String
    /// `InvocationTimeLimitSeconds` in ms.
    public var timeoutMilliseconds: Int64
    /// `ResponseValidation.ResponseType`: `STRING_MAP` or `JSON`.
    public var responseType: String

    /// Creates the event.
    public init(
        invocationId: Identifier,
        chatId: Identifier,
        contactId: Identifier,
        action: String,
        url: String,
        payload: String,
        timeoutMilliseconds: Int64,
        responseType: String
    ) {
        self.invocationId = invocationId
        self.chatId = chatId
        self.contactId = contactId
        self.action = action
        self.url = url
        self.payload = payload
        self.timeoutMilliseconds = timeoutMilliseconds
        self.responseType = responseType
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: invocationId)
        writer.write(identifier: chatId)
        writer.write(identifier: contactId)
        writer.write(string: action)
        writer.write(string: url)
        writer.write(string: payload)
        writer.write(int: timeoutMilliseconds)
        writer.write(string: responseType)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            invocationId: try reader.readIdentifier(),
            chatId: try reader.readIdentifier(),
            contactId: try reader.readIdentifier(),
            action: try reader.readString(),
            url: try reader.readString(),
            payload: try reader.readString(),
            timeoutMilliseconds: try reader.readInt(),
            responseType: try reader.readString()
        )
    }
}

/// What the effect runner reports for an invocation.
public enum LambdaOutcome: Sendable, Equatable {
    /// The endpoint answered 2xx with this body.
    case response(String)
    /// The call failed (connection, status, timeout), with a reason.
    case failure(String)
}

extension Transaction {
    /// A function by exact name/ARN, or by the function name inside an ARN (`…:function:<name>[:alias]`).
    func resolveLambda(_ reference: String) -> String? {
        if let url = state.lambdaFunctions[reference] { return url }
        let parts = reference.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if let index = parts.firstIndex(of: "function"), index + 1 < parts.count {
            return state.lambdaFunctions[parts[index + 1]]
        }
        return nil
    }

    mutating func registerLambdaFunction(
        _ instanceId: String,
        _ function: String,
        _ url: String
    ) throws(ChatError)
        -> ChatReply
    {
        try checkInstance(instanceId)
        guard (1...256).contains(function.count) else {
            throw ChatError(.invalidParameter, "the function name or ARN must be 1–256 characters")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count <= 2000, !url.contains(" ") else {
            throw ChatError(.invalidParameter, "the endpoint must be an http:// or https:// URL")
        }
        guard state.lambdaFunctions[function] != url else { return .done }
        emit(.lambdaFunctionRegistered(LambdaFunctionRegistered(function: function, url: url)))
        return .done
    }

    /// InvokeLambdaFunction: records the request and parks the flow until the response or the time limit.
    mutating func invokeLambda(_ action: FlowAction, contactId: Identifier) {
        guard let contact = state.contacts[contactId] else { return }
        let reference = action.parameters["LambdaFunctionARN"].map { template($0, contactId) } ?? ""
        guard let url = resolveLambda(reference) else {
            fail(contactId, action, "NoMatchingError", reason: "Lambda function \(reference) is not configured")
            return
        }
        let seconds = action.parameters["InvocationTimeLimitSeconds"]?.integer ?? 8
        let limit = min(max(seconds, 1), 8)
        var parameters: [String: JSONValue] = [:]
        for (key, value) in action.parameters["LambdaInvocationAttributes"]?.object ?? [:] {
            parameters[key] = .string(template(value, contactId))
        }
        let payload = lambdaEvent(contact, parameters: parameters)
        let invocationId = newId()
        emit(
            .lambdaInvocationRequested(
                LambdaInvocationRequested(
                    invocationId: invocationId,
                    chatId: contact.chatId,
                    contactId: contactId,
                    action: action.identifier,
                    url: url,
                    payload: JSONText.serialize(payload),
                    timeoutMilliseconds: limit * 1000,
                    responseType: action.parameters["ResponseValidation"]?["ResponseType"]?.string ?? "STRING_MAP"
                )
            )
        )
        park(action, contactId: contactId, chatId: contact.chatId, events: ["LambdaResponse"], seconds: limit)
    }

    /// Amazon's `ContactFlowEvent` for the contact.
    func lambdaEvent(_ contact: ContactRecord, parameters: [String: JSONValue]) -> JSONValue {
        var data: [String: JSONValue] = [
            "Attributes": .object(contact.attributes.mapValues { .string($0) }),
            "Channel": .string("CHAT"),
            "ContactId": .string(contact.contactId.description),
            "InitialContactId": .string(contact.chatId.description),
            "InitiationMethod": .string(contact.initiationMethod.description),
            "InstanceARN": .string(ConnectARN.instance(contact.instanceId)),
            "PreviousContactId": .string((contact.previousContactId ?? contact.contactId).description),
            "Queue": .null,
            "SystemEndpoint": .null,
            "MediaStreams": .object([:]),
        ]
        if let queue = contact.targetQueue, let resource = state.queues[queue] {
            data["Queue"] = .object([
                "ARN": .string(ConnectARN.queue(contact.instanceId, queue)),
                "Name": .string(resource.name),
            ])
        }
        if let customerId = contact.customerId {
            data["CustomerEndpoint"] = .object(["Address": .string(customerId), "Type": .string("OTHER")])
        } else {
            data["CustomerEndpoint"] = .null
        }
        return .object([
            "Details": .object(["ContactData": .object(data), "Parameters": .object(parameters)]),
            "Name": .string("ContactFlowEvent"),
        ])
    }

    /// The runner's answer: record the response as `$.External` (or take the Error branch) and go on.
    mutating func completeLambdaInvocation(_ invocationId: Identifier, _ outcome: LambdaOutcome) -> ChatReply {
        // A late answer (the time limit fired, or the chat ended) changes nothing.
        guard let pending = state.pendingInvocations[invocationId], let contact = state.contacts[pending.contactId],
            let run = contact.flowRun, run.status == .waiting, run.current == pending.action,
            let action = document(of: run)?.actions[pending.action]
        else { return .done }
        cancelTimer(TimerKey(.flowWait, chat: contact.chatId, participant: pending.contactId))
        var recorded = ["lambda.invocation": invocationId.description]
        switch outcome {
        case .failure(let reason):
            recorded["reason"] = String(reason.prefix(500))
            let target = action.errorTarget("NoMatchingError")
            step(pending.contactId, action, branch: "Error:NoMatchingError", next: target, recorded: recorded)
        case .response(let body):
            switch LambdaResponse.external(body, type: pending.responseType) {
            case .success(let values):
                for (key, value) in values { recorded["external.\(key)"] = value }
                step(pending.contactId, action, branch: "Next", next: action.next, recorded: recorded)
            case .failure(let reason):
                recorded["reason"] = reason.description
                let target = action.errorTarget("NoMatchingError")
                step(pending.contactId, action, branch: "Error:NoMatchingError", next: target, recorded: recorded)
            }
        }
        continueFlow(pending.contactId)
        return .done
    }
}

/// Turning a Lambda response body into `$.External` values.
public enum LambdaResponse {
    /// STRING_MAP: a flat object whose values are strings (numbers and booleans are accepted as text); JSON: any
    /// object, nested keys joined with dots (`$.External.a.b`). Anything else is an error with a reason.
    public static func external(_ body: String, type: String) -> Result<[String: String], ResponseError> {
        guard let data = body.data(using: .utf8), let value = try? JSONDecoder().decode(JSONValue.self, from: data),
            let object = value.object
        else { return .failure(ResponseError("the response is not a JSON object")) }
        var values: [String: String] = [:]
        if type == "JSON" {
            flatten(.object(object), prefix: "", into: &values)
        } else {
            for (key, member) in object {
                switch member {
                case .string, .int, .double, .bool: values[key] = member.text
                default: return .failure(ResponseError("STRING_MAP responses may not nest (\(key))"))
                }
            }
        }
        let bytes = values.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard bytes <= 32_768 else { return .failure(ResponseError("the response is larger than 32 KB")) }
        return .success(values)
    }

    private static func flatten(_ value: JSONValue, prefix: String, into values: inout [String: String]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                flatten(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &values)
            }
        default:
            if !prefix.isEmpty { values[prefix] = value.text }
        }
    }

    /// Why a response was not accepted.
    public struct ResponseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The reason.
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// An invocation the effect runner still has to perform (or whose answer is still out).
public struct PendingInvocation: Sendable, Equatable, Encodable {
    /// The request, as recorded.
    public var request: LambdaInvocationRequested
    /// The waiting contact.
    public var contactId: Identifier { request.contactId }
    /// The action.
    public var action: String { request.action }
    /// STRING_MAP or JSON.
    public var responseType: String { request.responseType }
}

import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The participant service over real TCP, called the way the chat JavaScript library calls it: `X-Amz-Bearer`
/// tokens, Amazon's field names, ISO-8601 times, and Amazon's errors.
@Suite struct ParticipantAPITests {
    /// Starts one chat through the sample inbound flow (with an initial message); returns its contact id and the
    /// customer's participant token.
    static func startChat(_ directory: TemporaryDirectory) async throws -> (contactId: String, token: String) {
        try await seed(directory, chats: 0)
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        let start = StartChatContactRequest(
            instanceId: "test-instance",
            contactFlowId: SampleFlows.inboundId,
            displayName: "Ana",
            attributes: [:],
            initialMessage: .init(contentType: ContentTypes.plainText, content: "Hello")
        )
        let reply: ChatReply
        do {
            reply = try await engine.submit(.startChatContact(start)).get()
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
        guard case .chatStarted(let started) = reply else { throw TestFailure("no chat") }
        return (started.contactId.description, started.participantToken)
    }

    /// One POST with URLSession; the answer's status, JSON object and headers (lower-cased names).
    static func post(
        _ base: String,
        _ path: String,
        bearer: String?,
        _ body: String
    ) async throws -> (status: Int, json: [String: Any], headers: [String: String]) {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let bearer { request.setValue(bearer, forHTTPHeaderField: "X-Amz-Bearer") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let headers = http.lowercasedHeaders
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, json, headers)
    }

    /// One GET with URLSession; the answer's status and headers (lower-cased names).
    static func get(_ base: String, _ path: String) async throws -> (status: Int, headers: [String: String]) {
        let (_, response) = try await URLSession.shared.data(from: try #require(URL(string: base + path)))
        let http = try #require(response as? HTTPURLResponse)
        let headers = http.lowercasedHeaders
        return (http.statusCode, headers)
    }

    static func isoMillis(_ value: Any?) -> Bool {
        guard let text = value as? String else { return false }
        return text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
    }

    @Test func aCustomerConnectsChatsReadsTheTranscriptAndLeaves() async throws {
        let directory = TemporaryDirectory()
        let (contactId, participantToken) = try await Self.startChat(directory)
        let running = try await RunningServer.start(in: directory)
        let base = running.addresses.http

        let connected = try await Self.post(
            base,
            "/participant/connection",
            bearer: participantToken,
            #"{"Type":["WEBSOCKET","CONNECTION_CREDENTIALS"],"ConnectParticipant":true}"#
        )
        #expect(connected.status == 200, "\(connected.json)")
        let websocket = try #require(connected.json["Websocket"] as? [String: Any])
        let url = try #require(websocket["Url"] as? String)
        #expect(url.hasPrefix("ws://127.0.0.1:") && url.contains("/participant/websocket?token="))
        #expect(Self.isoMillis(websocket["ConnectionExpiry"]))
        let credentials = try #require(connected.json["ConnectionCredentials"] as? [String: Any])
        let connectionToken = try #require(credentials["ConnectionToken"] as? String)
        #expect(Self.isoMillis(credentials["Expiry"]))

        let message = #"{"ContentType":"text/plain","Content":"Where is my order?","ClientToken":"retry-1"}"#
        let sent = try await Self.post(base, "/participant/message", bearer: connectionToken, message)
        #expect(sent.status == 200, "\(sent.json)")
        let messageId = try #require(sent.json["Id"] as? String)
        #expect(Self.isoMillis(sent.json["AbsoluteTime"]))
        // A retry with the same ClientToken is answered with the same message, not a second one.
        let retried = try await Self.post(base, "/participant/message", bearer: connectionToken, message)
        #expect(retried.json["Id"] as? String == messageId)
        let typing = try await Self.post(
            base,
            "/participant/event",
            bearer: connectionToken,
            #"{"ContentType":"application/vnd.amazonaws.connect.event.typing"}"#
        )
        #expect(typing.status == 200, "\(typing.json)")

        let page = try await Self.post(
            base,
            "/participant/transcript",
            bearer: connectionToken,
            #"{"MaxResults":100,"ScanDirection":"BACKWARD","SortOrder":"ASCENDING"}"#
        )
        #expect(page.status == 200, "\(page.json)")
        #expect(page.json["InitialContactId"] as? String == contactId)
        let items = try #require(page.json["Transcript"] as? [[String: Any]])
        let messages = items.filter { $0["Type"] as? String == "MESSAGE" }
        #expect(messages.compactMap { $0["Content"] as? String }.contains("Hello"))
        let mine = try #require(messages.first { $0["Id"] as? String == messageId })
        #expect(mine["Content"] as? String == "Where is my order?")
        #expect(mine["ParticipantRole"] as? String == "CUSTOMER")
        #expect(mine["DisplayName"] as? String == "Ana")
        #expect(Self.isoMillis(mine["AbsoluteTime"]))
        #expect(messages.filter { $0["Id"] as? String == messageId }.count == 1)

        let left = try await Self.post(base, "/participant/disconnect", bearer: connectionToken, #"{}"#)
        #expect(left.status == 200, "\(left.json)")
        // The transcript stays readable with the connection token after the chat ended; sending does not.
        let after = try await Self.post(base, "/participant/transcript", bearer: connectionToken, "")
        #expect(after.status == 200, "\(after.json)")
        let ended = try #require(after.json["Transcript"] as? [[String: Any]])
        #expect(
            ended.contains {
                $0["ContentType"] as? String == "application/vnd.amazonaws.connect.event.chat.ended"
            }
        )
        let late = try await Self.post(
            base,
            "/participant/message",
            bearer: connectionToken,
            #"{"ContentType":"text/plain","Content":"anyone?"}"#
        )
        #expect((400..<500).contains(late.status))
        #expect(late.headers["x-amzn-errortype"] != nil)
        try await running.stop()
    }

    @Test func badCallsGetAmazonsErrors() async throws {
        let directory = TemporaryDirectory()
        let (_, participantToken) = try await Self.startChat(directory)
        let running = try await RunningServer.start(in: directory)
        let base = running.addresses.http
        let connection = try await Self.post(
            base,
            "/participant/connection",
            bearer: participantToken,
            #"{"Type":["CONNECTION_CREDENTIALS"]}"#
        )
        let credentials = try #require(connection.json["ConnectionCredentials"] as? [String: Any])
        #expect(connection.json["Websocket"] == nil)
        let token = try #require(credentials["ConnectionToken"] as? String)

        let cases: [(path: String, bearer: String?, body: String, status: Int, type: String)] = [
            (
                "/participant/message", nil, #"{"ContentType":"text/plain","Content":"hi"}"#, 403,
                "AccessDeniedException"
            ),
            (
                "/participant/message", "not-a-token", #"{"ContentType":"text/plain","Content":"hi"}"#, 403,
                "AccessDeniedException"
            ),
            (
                "/participant/message", token, #"{"ContentType":"image/png","Content":"hi"}"#, 400,
                "ValidationException"
            ),
            ("/participant/message", token, #"{"ContentType":"text/plain"}"#, 400, "ValidationException"),
            ("/participant/message", token, #"{"ContentType":"#, 400, "SerializationException"),
            (
                "/participant/connection", participantToken, #"{"ConnectParticipant":true}"#, 400,
                "SerializationException"
            ),
            ("/participant/connection", "not-a-token", #"{"Type":["WEBSOCKET"]}"#, 403, "AccessDeniedException"),
            ("/participant/transcript", token, #"{"MaxResults":1000}"#, 400, "ValidationException"),
        ]
        for call in cases {
            let answer = try await Self.post(base, call.path, bearer: call.bearer, call.body)
            #expect(answer.status == call.status, "\(call.path) \(call.body): \(answer.json)")
            #expect(answer.headers["x-amzn-errortype"] == call.type, "\(call.path) \(call.body)")
            #expect(answer.json["message"] is String, "\(call.path) \(call.body)")
        }
        try await running.stop()
    }
}

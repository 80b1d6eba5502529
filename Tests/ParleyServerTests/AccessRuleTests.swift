import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

/// The access rules of the participant service, each tried against a real server: tokens are long random values,
/// scoped to their own contact, and an ended chat refuses writes.
@Suite struct AccessRuleTests {
    /// Two chats in one instance; their participant tokens.
    static func twoChats(_ directory: TemporaryDirectory) async throws -> [(contactId: String, token: String)] {
        try await seed(directory, chats: 0)
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        var chats: [(String, String)] = []
        for name in ["Ana", "Bo"] {
            let start = StartChatContactRequest(
                instanceId: "test-instance",
                contactFlowId: SampleFlows.inboundId,
                displayName: name,
                initialMessage: .init(contentType: ContentTypes.plainText, content: "I am \(name)")
            )
            guard case .chatStarted(let started) = try await engine.submit(.startChatContact(start)).get() else {
                await engine.close()
                throw TestFailure("no chat")
            }
            chats.append((started.contactId.description, started.participantToken))
        }
        await engine.close()
        return chats
    }

    @Test func tokensAreLongRandomAndScopedToTheirOwnContact() async throws {
        let directory = TemporaryDirectory()
        let chats = try await Self.twoChats(directory)
        let server = try await RunningServer.start(in: directory)
        let base = server.addresses.http
        var connections: [String] = []
        for chat in chats {
            // 64 hex digits from the system CSPRNG (two random UUIDs: 244 random bits).
            #expect(chat.token.count == 64 && chat.token.allSatisfy(\.isHexDigit))
            let answer = try await ParticipantAPITests.post(
                base,
                "/participant/connection",
                bearer: chat.token,
                #"{"Type":["CONNECTION_CREDENTIALS"]}"#
            )
            let token = try #require(
                (answer.json["ConnectionCredentials"] as? [String: Any])?["ConnectionToken"] as? String
            )
            #expect(token.count == 64 && token != chat.token)
            connections.append(token)
        }
        #expect(Set(chats.map(\.token) + connections).count == 4)
        // Each connection token reads and writes its own chat only.
        for (index, token) in connections.enumerated() {
            let sent = try await ParticipantAPITests.post(
                base,
                "/participant/message",
                bearer: token,
                #"{"ContentType":"text/plain","Content":"secret \#(index)"}"#
            )
            #expect(sent.status == 200)
        }
        for (index, token) in connections.enumerated() {
            let transcript = try await ParticipantAPITests.post(base, "/participant/transcript", bearer: token, "{}")
            #expect(transcript.json["InitialContactId"] as? String == chats[index].contactId)
            let contents = ((transcript.json["Transcript"] as? [[String: Any]]) ?? []).compactMap {
                $0["Content"] as? String
            }
            #expect(contents.contains("secret \(index)"))
            #expect(!contents.contains("secret \(1 - index)"), "chat \(index) sees the other chat's message")
            #expect(!contents.contains(index == 0 ? "I am Bo" : "I am Ana"))
        }
        // A token altered in one digit, a participant token where a connection token belongs, and no token at all.
        let altered = String(connections[0].dropLast()) + (connections[0].hasSuffix("0") ? "1" : "0")
        for bearer in [altered, chats[0].token] {
            let refused = try await ParticipantAPITests.post(base, "/participant/transcript", bearer: bearer, "{}")
            #expect(refused.status == 403)
            #expect(refused.headers["x-amzn-errortype"] == "AccessDeniedException")
        }
        #expect(try await ParticipantAPITests.post(base, "/participant/message", bearer: nil, "{}").status == 403)

        // Ended: the customer leaves, and writes are refused while the transcript stays readable.
        #expect(
            try await ParticipantAPITests.post(base, "/participant/disconnect", bearer: connections[0], "{}").status
                == 200
        )
        let late = try await ParticipantAPITests.post(
            base,
            "/participant/message",
            bearer: connections[0],
            #"{"ContentType":"text/plain","Content":"too late"}"#
        )
        #expect(late.status == 403)
        let afterwards = try await ParticipantAPITests.post(
            base,
            "/participant/transcript",
            bearer: connections[0],
            "{}"
        )
        #expect(afterwards.status == 200)
        try await server.stop()
    }
}

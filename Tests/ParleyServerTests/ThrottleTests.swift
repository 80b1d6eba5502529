import Foundation
import ParleyDomain
import ParleyServer
import Testing

/// Per-instance rates of the chat and control-plane operations: over the rate a call is refused with
/// ThrottlingException (429) and changes nothing; SendMessage and SendEvent share a bucket; other operations keep
/// theirs.
@Suite struct ThrottleTests {
    @Test func callsOverTheRateAreThrottledAndChangeNothing() async throws {
        let directory = TemporaryDirectory()
        let (contactId, participantToken) = try await ParticipantAPITests.startChat(directory)
        // A rate so slow that no token comes back during the test: exactly the burst is admitted.
        let server = try await RunningServer.start(in: directory) {
            $0.throttling = true
            $0.throttles = [
                "SendMessage": Throttles.Rate(rate: 0.0001, burst: 3),
                "StartChatContact": Throttles.Rate(rate: 0.0001, burst: 1),
            ]
        }
        let base = server.addresses.http
        let connection = try await ParticipantAPITests.post(
            base,
            "/participant/connection",
            bearer: participantToken,
            #"{"Type":["CONNECTION_CREDENTIALS"]}"#
        )
        let token = try #require(
            (connection.json["ConnectionCredentials"] as? [String: Any])?["ConnectionToken"] as? String
        )
        func send(_ text: String) async throws -> (status: Int, json: [String: Any], headers: [String: String]) {
            try await ParticipantAPITests.post(
                base,
                "/participant/message",
                bearer: token,
                #"{"ContentType":"text/plain","Content":"\#(text)"}"#
            )
        }
        for index in 1...2 { #expect(try await send("message \(index)").status == 200) }
        let typing = try await ParticipantAPITests.post(
            base,
            "/participant/event",
            bearer: token,
            #"{"ContentType":"application/vnd.amazonaws.connect.event.typing"}"#
        )
        #expect(typing.status == 200)
        // The bucket (shared by SendMessage and SendEvent) is empty now.
        let refused = try await send("one too many")
        #expect(refused.status == 429)
        #expect(refused.headers["x-amzn-errortype"] == "ThrottlingException")
        let refusedEvent = try await ParticipantAPITests.post(
            base,
            "/participant/event",
            bearer: token,
            #"{"ContentType":"application/vnd.amazonaws.connect.event.typing"}"#
        )
        #expect(refusedEvent.status == 429)
        // Other operations have buckets of their own; the refused message was never written.
        let transcript = try await ParticipantAPITests.post(
            base,
            "/participant/transcript",
            bearer: token,
            #"{"MaxResults":100}"#
        )
        #expect(transcript.status == 200)
        let contents = ((transcript.json["Transcript"] as? [[String: Any]]) ?? []).compactMap {
            $0["Content"] as? String
        }
        #expect(contents.contains("message 2"))
        #expect(!contents.contains("one too many"))
        #expect(transcript.json["InitialContactId"] as? String == contactId)

        // StartChatContact on the control plane: one admitted, the next refused.
        let start: [String: Any] = [
            "InstanceId": "test-instance", "ContactFlowId": SampleFlows.inboundId,
            "ParticipantDetails": ["DisplayName": "Ana"],
        ]
        #expect(try await server.connect("PUT", "/contact/chat", start).status == 200)
        let throttled = try await server.connect("PUT", "/contact/chat", start)
        #expect(throttled.status == 429)
        #expect(throttled.errorType == "ThrottlingException")
        try await server.stop()
    }

    @Test func everyControlPlaneOperationIsThrottledPerInstance() async throws {
        let directory = TemporaryDirectory()
        _ = try await ParticipantAPITests.startChat(directory)
        let slow = Throttles.Rate(rate: 0.0001, burst: 1)
        let server = try await RunningServer.start(in: directory) {
            $0.throttling = true
            $0.throttles = Dictionary(uniqueKeysWithValues: ControlPlaneOperations.names.map { ($0, slow) })
        }
        #expect(ControlPlaneOperations.names.count == ControlPlaneOperations.byRoute.count)
        let arn = "arn:aws:connect:local:000000000000:instance/test-instance"
        for (route, operation) in ControlPlaneOperations.byRoute.sorted(by: { $0.key < $1.key }) {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            let method = parts[0]
            func path(instance: String) -> String {
                parts[1].replacingOccurrences(of: "{InstanceId}", with: instance)
                    .replacing(/\{[A-Za-z]+\}/, with: "not-there")
            }
            let body: [String: Any]? =
                method == "GET" || method == "DELETE"
                ? nil : ["InstanceId": "test-instance", "ResourceArn": arn]
            // The first call takes the only token (whatever it answers); the second is refused before it runs.
            let first = try await server.connect(method, path(instance: "test-instance"), body)
            #expect(first.status != 429, "\(route): \(first.status)")
            let second = try await server.connect(method, path(instance: "test-instance"), body)
            #expect(second.status == 429, "\(route) is not throttled: \(second.status)")
            #expect(second.errorType == "ThrottlingException", "\(route)")
            #expect((second.json["message"] as? String)?.contains(operation) == true, "\(route): \(second.json)")
        }
        // Buckets are per instance: another instance's calls are not refused by the test instance's empty bucket.
        let other = try await server.connect("GET", "/queues-summary/another-instance")
        #expect(other.status == 404 && other.errorType == "ResourceNotFoundException", "\(other.status)")
        try await server.stop()
    }

    @Test func unknownOrInvalidRatesAreRefusedAtStart() {
        var configuration = ServerConfiguration(dataDirectory: "/tmp/x")
        configuration.throttles = ["DescribeQueues": Throttles.Rate(rate: 1, burst: 1)]
        #expect(throws: ServerError.self) { try configuration.validate() }
        configuration.throttles = ["DescribeQueue": Throttles.Rate(rate: 1, burst: 1)]
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.throttles = ["SendMessage": Throttles.Rate(rate: 0, burst: 1)]
        #expect(throws: ServerError.self) { try configuration.validate() }
        configuration.throttles = ["SendMessage": Throttles.Rate(rate: 50, burst: 100)]
        #expect(throws: Never.self) { try configuration.validate() }
    }
}

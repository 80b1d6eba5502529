import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Connect control plane over real TCP: instances (each its own engine and log), and the contact, metrics and
/// search operations in Amazon's shapes.
@Suite struct ConnectAPITests {
    static let instance = "test-instance"

    /// StartChatContact's body for the sample inbound flow.
    static func startBody(_ instanceId: String, name: String = "Ana", token: String? = nil) -> [String: Any] {
        var body: [String: Any] = [
            "InstanceId": instanceId, "ContactFlowId": SampleFlows.inboundId,
            "ParticipantDetails": ["DisplayName": name], "Attributes": ["tier": "gold"],
            "InitialMessage": ["ContentType": "text/plain", "Content": "Hello"],
        ]
        if let token { body["ClientToken"] = token }
        return body
    }

    @Test func aFreshServerConfiguresItsHomeLogFirstThenCreatesInstancesBesideIt() async throws {
        let directory = TemporaryDirectory()
        var server = try await RunningServer.start(in: directory)
        let empty = try await server.connect("GET", "/instance")
        #expect(empty.status == 200)
        #expect((empty.json["InstanceSummaryList"] as? [Any])?.isEmpty == true)

        let first = try await server.createInstance(alias: "first-center")
        let second = try await server.createInstance(alias: "second")
        #expect(first != second)
        #expect(UUID(uuidString: first) != nil)
        // The home log holds the first instance; the second has a directory (and a log) of its own.
        #expect(FileManager.default.fileExists(atPath: "\(directory.path)/instances/\(second)/log"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory.path)/instances/\(first)"))

        let duplicate = try await server.connect(
            "PUT",
            "/instance",
            [
                "IdentityManagementType": "CONNECT_MANAGED", "InstanceAlias": "SECOND", "InboundCallsEnabled": true,
                "OutboundCallsEnabled": true,
            ]
        )
        #expect(duplicate.status == 400)
        #expect(duplicate.errorType == "InvalidRequestException")
        let badAlias = try await server.connect(
            "PUT",
            "/instance",
            [
                "IdentityManagementType": "SAML", "InstanceAlias": "d-bad", "InboundCallsEnabled": true,
                "OutboundCallsEnabled": true,
            ]
        )
        #expect(badAlias.errorType == "InvalidRequestException")
        let badType = try await server.connect(
            "PUT",
            "/instance",
            ["IdentityManagementType": "LDAP", "InboundCallsEnabled": true, "OutboundCallsEnabled": true]
        )
        #expect(badType.errorType == "InvalidRequestException")
        let missing = try await server.connect("PUT", "/instance", ["IdentityManagementType": "SAML"])
        #expect(missing.status == 400)
        #expect(missing.errorType == "SerializationException")

        let described = try await server.connect("GET", "/instance/\(second)")
        let view = try #require(described.json["Instance"] as? [String: Any])
        #expect(view["Id"] as? String == second)
        #expect(view["Arn"] as? String == ConnectARN.instance(second))
        #expect(view["InstanceAlias"] as? String == "second")
        #expect(view["InstanceStatus"] as? String == "ACTIVE")
        #expect(view["IdentityManagementType"] as? String == "CONNECT_MANAGED")
        #expect(view["InboundCallsEnabled"] as? Bool == true)
        #expect(view["OutboundCallsEnabled"] as? Bool == false)
        #expect(view["CreatedTime"] is Double)
        let byArn = try await server.connect("GET", "/instance/" + Self.escape(ConnectARN.instance(second)))
        #expect((byArn.json["Instance"] as? [String: Any])?["Id"] as? String == second)
        // A new instance comes with Amazon's defaults: statuses, Basic Hours, BasicQueue, Basic Routing Profile.
        let statuses = try await server.connect("GET", "/agent-status/\(second)")
        let statusList = (statuses.json["AgentStatusSummaryList"] as? [[String: Any]]) ?? []
        #expect(Set(statusList.compactMap { $0["Type"] as? String }) == ["ROUTABLE", "OFFLINE"])
        let queues = try await server.connect("GET", "/queues-summary/\(second)")
        let basicQueue = try #require((queues.json["QueueSummaryList"] as? [[String: Any]])?.first)
        #expect(basicQueue["Name"] as? String == "BasicQueue")
        let queue = try await server.connect("GET", "/queues/\(second)/\(try #require(basicQueue["Id"] as? String))")
        let hoursId = try #require((queue.json["Queue"] as? [String: Any])?["HoursOfOperationId"] as? String)
        let hours = try await server.connect("GET", "/hours-of-operations/\(second)/\(hoursId)")
        #expect((hours.json["HoursOfOperation"] as? [String: Any])?["Name"] as? String == "Basic Hours")
        let profiles = try await server.connect("GET", "/routing-profiles-summary/\(second)")
        #expect(
            (profiles.json["RoutingProfileSummaryList"] as? [[String: Any]])?.first?["Name"] as? String
                == "Basic Routing Profile"
        )
        let unknown = try await server.connect("GET", "/instance/no-such-instance")
        #expect(unknown.status == 404)
        #expect(unknown.errorType == "ResourceNotFoundException")

        // Paging: one per page, in creation order, across a restart (each instance replays its own log).
        try await server.stop()
        server = try await RunningServer.start(in: directory)
        let page1 = try await server.connect("GET", "/instance?maxResults=1")
        let token = try #require(page1.json["NextToken"] as? String)
        let page2 = try await server.connect("GET", "/instance?maxResults=1&nextToken=" + Self.escape(token))
        let ids = [page1, page2].flatMap { ($0.json["InstanceSummaryList"] as? [[String: Any]]) ?? [] }
            .compactMap { $0["Id"] as? String }
        #expect(ids == [first, second])
        #expect(page2.json["NextToken"] == nil)
        let badPage = try await server.connect("GET", "/instance?maxResults=11")
        #expect(badPage.errorType == "InvalidParameterException")
        let badToken = try await server.connect("GET", "/instance?nextToken=xyz")
        #expect(badToken.errorType == "InvalidParameterException")
        try await server.stop()
    }

    @Test func instancesAreIsolated() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 0)
        let server = try await RunningServer.start(in: directory)
        let other = try await server.createInstance(alias: "other")
        let started = try await server.connect("PUT", "/contact/chat", Self.startBody(Self.instance))
        #expect(started.status == 200)
        let contactId = try #require(started.json["ContactId"] as? String)
        // The other instance has neither the flow nor the contact.
        let elsewhere = try await server.connect("PUT", "/contact/chat", Self.startBody(other))
        #expect(elsewhere.status == 404)
        #expect(elsewhere.errorType == "ResourceNotFoundException")
        let described = try await server.connect("GET", "/contacts/\(other)/\(contactId)")
        #expect(described.status == 404)
        let home = try await server.connect("GET", "/contacts/\(Self.instance)/\(contactId)")
        #expect(home.status == 200)
        // The participant service finds the contact's instance by its token.
        let token = try #require(started.json["ParticipantToken"] as? String)
        let connection = try await ParticipantAPITests.post(
            server.addresses.http,
            "/participant/connection",
            bearer: token,
            #"{"Type": ["CONNECTION_CREDENTIALS"]}"#
        )
        #expect(connection.status == 200)
        // The query socket answers for the home instance, or the one `?instance=` names.
        let homeStatus = try object(try await server.query("/v1/status").body)
        #expect(homeStatus["instance"] as? String == Self.instance)
        let otherStatus = try object(try await server.query("/v1/status?instance=\(other)").body)
        #expect(otherStatus["instance"] as? String == other)
        #expect((otherStatus["state"] as? [String: Any])?["contacts"] as? Int == 0)
        #expect(try await server.query("/v1/status?instance=nowhere").status == 404)
        try await server.stop()
    }

    @Test func aChatThroughTheControlPlane() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 0)
        let server = try await RunningServer.start(in: directory)
        let started = try await server.connect("PUT", "/contact/chat", Self.startBody(Self.instance, token: "t-1"))
        #expect(started.status == 200)
        let contactId = try #require(started.json["ContactId"] as? String)
        #expect(Identifier(contactId) != nil)
        #expect(started.json["ParticipantId"] is String)
        #expect((started.json["ParticipantToken"] as? String)?.isEmpty == false)
        // The ClientToken makes a retry answer the same contact.
        let retried = try await server.connect("PUT", "/contact/chat", Self.startBody(Self.instance, token: "t-1"))
        #expect(retried.json["ContactId"] as? String == contactId)

        let attributes = try await server.connect("GET", "/contact/attributes/\(Self.instance)/\(contactId)")
        #expect(attributes.json["Attributes"] as? [String: String] == ["tier": "gold"])
        let update = try await server.connect(
            "POST",
            "/contact/attributes",
            ["InstanceId": Self.instance, "InitialContactId": contactId, "Attributes": ["tier": "platinum", "x": "1"]]
        )
        #expect(update.status == 200)
        let position = try #require(update.headers["x-parley-position"])
        #expect(UInt64(position) != nil)
        let updated = try await server.connect("GET", "/contact/attributes/\(Self.instance)/\(contactId)")
        #expect(updated.json["Attributes"] as? [String: String] == ["tier": "platinum", "x": "1"])

        let roles = try await server.connect(
            "PUT",
            "/contact/participant-role-config/\(Self.instance)/\(contactId)",
            [
                "ChannelConfiguration": [
                    "Chat": [
                        "ParticipantTimerConfigList": [
                            [
                                "ParticipantRole": "CUSTOMER", "TimerType": "IDLE",
                                "TimerValue": ["ParticipantTimerDurationInMinutes": 5],
                            ]
                        ]
                    ]
                ]
            ]
        )
        #expect(roles.status == 200)
        let badRoles = try await server.connect(
            "PUT",
            "/contact/participant-role-config/\(Self.instance)/\(contactId)",
            [
                "ChannelConfiguration": [
                    "Chat": [
                        "ParticipantTimerConfigList": [
                            ["ParticipantRole": "CUSTOMER", "TimerType": "IDLE", "TimerValue": [:] as [String: Any]]
                        ]
                    ]
                ]
            ]
        )
        #expect(badRoles.errorType == "InvalidParameterException")

        let described = try await server.connect("GET", "/contacts/\(Self.instance)/\(contactId)")
        let contact = try #require(described.json["Contact"] as? [String: Any])
        #expect(contact["Id"] as? String == contactId)
        #expect(contact["InitialContactId"] as? String == contactId)
        #expect(contact["Channel"] as? String == "CHAT")
        #expect(contact["InitiationMethod"] as? String == "API")
        #expect(contact["Arn"] as? String == "\(ConnectARN.instance(Self.instance))/contact/\(contactId)")
        #expect(contact["DisconnectTimestamp"] == nil)
        #expect(contact["Attributes"] as? [String: String] == ["tier": "platinum", "x": "1"])
        let queue = try #require(contact["QueueInfo"] as? [String: Any])
        #expect(queue["Id"] as? String == SampleFlows.queueId)

        let search = try await server.connect(
            "POST",
            "/search-contacts",
            [
                "InstanceId": Self.instance,
                "TimeRange": ["Type": "INITIATION_TIMESTAMP", "StartTime": 0, "EndTime": 4_000_000_000],
                "SearchCriteria": [
                    "Channels": ["CHAT"], "QueueIds": [SampleFlows.queueId],
                    "SearchableContactAttributes": ["Criteria": [["Key": "tier", "Values": ["platinum"]]]],
                ],
            ]
        )
        #expect(search.status == 200)
        #expect(search.json["TotalCount"] as? Int == 1)
        #expect((search.json["Contacts"] as? [[String: Any]])?.first?["Id"] as? String == contactId)
        let miss = try await server.connect(
            "POST",
            "/search-contacts",
            [
                "InstanceId": Self.instance,
                "TimeRange": ["Type": "INITIATION_TIMESTAMP", "StartTime": 0, "EndTime": 4_000_000_000],
                "SearchCriteria": ["SearchableContactAttributes": ["Criteria": [["Key": "tier", "Values": ["gold"]]]]],
            ]
        )
        #expect(miss.json["TotalCount"] as? Int == 0)
        let unsupported = try await server.connect(
            "POST",
            "/search-contacts",
            [
                "InstanceId": Self.instance,
                "TimeRange": ["Type": "INITIATION_TIMESTAMP", "StartTime": 0, "EndTime": 1],
                "SearchCriteria": ["ContactTags": [:] as [String: Any]],
            ]
        )
        #expect(unsupported.errorType == "InvalidParameterException")

        let current = try await server.connect(
            "POST",
            "/metrics/current/\(Self.instance)",
            [
                "Filters": ["Queues": [SampleFlows.queueId], "Channels": ["CHAT"]],
                "CurrentMetrics": [["Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"]],
            ]
        )
        #expect(current.status == 200)
        let results = try #require(current.json["MetricResults"] as? [[String: Any]])
        let collections = try #require(results.first?["Collections"] as? [[String: Any]])
        #expect(collections.first?["Value"] as? Double == 1)

        let stopped = try await server.connect(
            "POST",
            "/contact/stop",
            ["InstanceId": Self.instance, "ContactId": contactId]
        )
        #expect(stopped.status == 200)
        let again = try await server.connect(
            "POST",
            "/contact/stop",
            ["InstanceId": Self.instance, "ContactId": contactId]
        )
        #expect(again.status == 410)
        #expect(again.errorType == "ContactNotFoundException")
        let ended = try await server.connect("GET", "/contacts/\(Self.instance)/\(contactId)")
        #expect((ended.json["Contact"] as? [String: Any])?["DisconnectTimestamp"] is Double)

        // Fractional seconds: an end truncated to the second would leave out a contact started in that second
        // when the second opens a 15-minute bucket.
        let now = Date().timeIntervalSince1970
        let v2 = try await server.connect(
            "POST",
            "/metrics/data",
            [
                "ResourceArn": ConnectARN.instance(Self.instance), "StartTime": now - 3_600, "EndTime": now,
                "Filters": [["FilterKey": "QUEUE", "FilterValues": [SampleFlows.queueId]]],
                "Metrics": [["Name": "CONTACTS_CREATED"]],
            ]
        )
        #expect(v2.status == 200, "\(v2.json)")
        let v2Results = try #require(v2.json["MetricResults"] as? [[String: Any]])
        let v2Collections = try #require(v2Results.first?["Collections"] as? [[String: Any]])
        #expect(v2Collections.first?["Value"] as? Double == 1, "\(v2.json)")
        try await server.stop()
    }

    @Test func unknownContactsAndMalformedBodiesGetAmazonErrors() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 0)
        let server = try await RunningServer.start(in: directory)
        let missing = try await server.connect("GET", "/contacts/\(Self.instance)/\(UUID().uuidString.lowercased())")
        #expect(missing.status == 404)
        #expect(missing.errorType == "ResourceNotFoundException")
        let badFlow = try await server.connect(
            "PUT",
            "/contact/chat",
            ["InstanceId": Self.instance, "ContactFlowId": "nope", "ParticipantDetails": ["DisplayName": "A"]]
        )
        #expect(badFlow.status == 404)
        let wrongType = try await server.connect(
            "PUT",
            "/contact/chat",
            ["InstanceId": Self.instance, "ContactFlowId": 7, "ParticipantDetails": ["DisplayName": "A"]]
        )
        #expect(wrongType.status == 400)
        #expect(wrongType.errorType == "SerializationException")
        let malformed = try await server.connect("PUT", "/contact/chat", raw: #"{"InstanceId": "test-instance","#)
        #expect(malformed.status == 400)
        #expect(malformed.errorType == "SerializationException")
        let oversize = try await server.connect(
            "POST",
            "/contact/attributes",
            raw: #"{"InstanceId":"test-instance","Attributes":{"a":""# + String(repeating: "x", count: 2 << 20)
                + #""}}"#
        )
        #expect(oversize.status == 400)
        #expect(oversize.errorType == "RequestEntityTooLargeException")
        let unknownRoute = try await server.connect("GET", "/no-such-operation")
        #expect(unknownRoute.status == 404)
        #expect(unknownRoute.errorType == "UnknownOperationException")
        let noInstance = try await server.connect(
            "POST",
            "/contact/stop",
            ["InstanceId": "elsewhere", "ContactId": UUID().uuidString]
        )
        #expect(noInstance.status == 404)
        #expect(noInstance.errorType == "ResourceNotFoundException")
        try await server.stop()
    }

    @Test func demoModeCreatesTheDemoInstanceOnceWithAnAgentWhoCanLogIn() async throws {
        let directory = TemporaryDirectory()
        // Without configured access keys, demo mode accepts the demo key (and only that one).
        let configure: (inout ServerConfiguration) -> Void = {
            $0.demo = true
            $0.accessKeys = [:]
        }
        var server = try await RunningServer.start(in: directory, configure: configure)
        let demo = try #require(server.addresses.demo)
        let signer = SigV4Signer(
            accessKeyId: try #require(demo.accessKeyId),
            secretAccessKey: try #require(demo.secretAccessKey)
        )
        #expect(try await server.connect("GET", "/instance").errorType == "UnrecognizedClientException")
        #expect(demo.instanceArn == ConnectARN.instance(demo.instanceId))
        #expect(demo.accessKeyId == DemoInstance.demoAccessKeyId)
        #expect(server.addresses.instance == demo.instanceId)
        let described = try await server.connect("GET", "/instance/\(demo.instanceId)", signer: signer)
        #expect((described.json["Instance"] as? [String: Any])?["InstanceAlias"] as? String == DemoInstance.alias)
        let started = try await server.connect("PUT", "/contact/chat", Self.startBody(demo.instanceId), signer: signer)
        #expect(started.status == 200, "\(started.json)")
        var request = URLRequest(url: try #require(URL(string: server.addresses.http + "/agent/v1/login")))
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"Username":"\#(demo.agentUsername)","Password":"\#(demo.agentPassword)"}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(try object(data)["SessionToken"] is String)
        #expect(demo.instructions(http: server.addresses.http).contains(demo.instanceId))
        // A restart finds the same instance instead of creating another.
        try await server.stop()
        server = try await RunningServer.start(in: directory, configure: configure)
        #expect(server.addresses.demo?.instanceId == demo.instanceId)
        let listed = try await server.connect("GET", "/instance", signer: signer)
        #expect((listed.json["InstanceSummaryList"] as? [Any])?.count == 1)
        try await server.stop()
    }

    @Test func anAgentOfASecondInstanceLogsInThereAndWorksThere() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 0)
        let server = try await RunningServer.start(in: directory)
        let other = try await server.createInstance(alias: "second-site")
        let profiles = try await server.connect("GET", "/routing-profiles-summary/\(other)")
        let profile = try #require((profiles.json["RoutingProfileSummaryList"] as? [[String: Any]])?.first?["Id"])
        let user = try await server.connect(
            "PUT",
            "/users/\(other)",
            [
                "Username": "zoe", "Password": "Second-Site-1", "SecurityProfileIds": ["agent"],
                "RoutingProfileId": profile, "PhoneConfig": ["PhoneType": "SOFT_PHONE"],
            ]
        )
        let userId = try #require(user.json["UserId"] as? String, "\(user.json)")
        func call(
            _ method: String,
            _ path: String,
            token: String? = nil,
            body: String? = nil
        ) async throws -> (
            Int, [String: Any]
        ) {
            var request = URLRequest(url: try #require(URL(string: server.addresses.http + path)))
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            request.httpBody = body.map { Data($0.utf8) }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? object(data)) ?? [:])
        }
        // The user name exists in one instance only, so a login needs no InstanceId; with it, it names the instance.
        let (status, login) = try await call(
            "POST",
            "/agent/v1/login",
            body: #"{"Username":"zoe","Password":"Second-Site-1"}"#
        )
        #expect(status == 200, "\(login)")
        let token = try #require(login["SessionToken"] as? String)
        let (wrongStatus, _) = try await call(
            "POST",
            "/agent/v1/login",
            body: #"{"Username":"zoe","Password":"Second-Site-1","InstanceId":"\#(Self.instance)"}"#
        )
        #expect(wrongStatus == 401)
        let (meStatus, me) = try await call("GET", "/agent/v1/me", token: token)
        #expect(meStatus == 200, "\(me)")
        #expect(me["UserId"] as? String == userId)
        // PutUserStatus on the control plane and the desk's own status call reach the same instance.
        let statuses = try await server.connect("GET", "/agent-status/\(other)?AgentStatusTypes=ROUTABLE")
        let available = try #require(
            (statuses.json["AgentStatusSummaryList"] as? [[String: Any]])?.first {
                $0["Type"] as? String == "ROUTABLE"
            }?[
                "Id"
            ] as? String
        )
        let put = try await server.connect("PUT", "/users/\(other)/\(userId)/status", ["AgentStatusId": available])
        #expect(put.status == 200, "\(put.json)")
        let (_, after) = try await call("GET", "/agent/v1/me", token: token)
        #expect(after["AgentStatusId"] as? String == available, "\(after)")
        try await server.stop()
    }

    @Test func theControlPlaneRefusesUnsignedAndBadlySignedCalls() async throws {
        let directory = TemporaryDirectory()
        let server = try await RunningServer.start(in: directory)
        let unsigned = try await server.connect("GET", "/instance", signer: nil)
        #expect(unsigned.status == 403)
        #expect(unsigned.errorType == "MissingAuthenticationTokenException")
        let wrongSecret = SigV4Signer(accessKeyId: testSigner.accessKeyId, secretAccessKey: "not-the-secret-at-all")
        let wrong = try await server.connect(
            "PUT",
            "/instance",
            ["IdentityManagementType": "SAML"],
            signer: wrongSecret
        )
        #expect(wrong.errorType == "InvalidSignatureException")
        // Nothing was created by the refused call.
        let listed = try await server.connect("GET", "/instance")
        #expect((listed.json["InstanceSummaryList"] as? [Any])?.isEmpty == true)
        // The participant service and health routes are not signed.
        #expect(try await server.http("/ping").status == 200)
        try await server.stop()
    }

    /// Percent-encodes a path segment the way the SDKs do (everything but unreserved characters).
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}

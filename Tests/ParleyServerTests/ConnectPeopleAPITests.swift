import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The control plane's routing profiles, users, agent statuses and PutUserStatus over real TCP, every call through
/// `RunningServer.connect`.
@Suite struct ConnectPeopleAPITests {
    /// The home instance the tests seed: the sample flows and their Support queue, a Billing queue, and the ROUTABLE
    /// and OFFLINE statuses (CreateAgentStatus only makes CUSTOM ones, so they are written to the engine directly).
    static let home = "people-home"
    static let support = SampleFlows.queueId
    static let billing = "billing-queue"
    static let instanceARN = "arn:aws:connect:local:000000000000:instance/people-home"

    static func seedHome(_ directory: TemporaryDirectory) async throws {
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        let commands: [ChatCommand] =
            [.configureInstance(instanceId: home, concurrentActiveChats: 100)] + SampleFlows.setup(instanceId: home) + [
                .createQueue(instanceId: home, queueId: billing, name: "Billing", maxContacts: 0),
                .createAgentStatus(
                    instanceId: home,
                    statusId: "available",
                    name: "Available",
                    type: "ROUTABLE",
                    enabled: true
                ),
                .createAgentStatus(
                    instanceId: home,
                    statusId: "offline",
                    name: "Offline",
                    type: "OFFLINE",
                    enabled: true
                ),
            ]
        do {
            for command in commands { _ = try await engine.submit(command).get() }
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    /// Runs `body` against a server on a freshly seeded home instance, then stops it.
    static func withServer(_ body: (RunningServer) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        try await seedHome(directory)
        let running = try await RunningServer.start(in: directory)
        do {
            try await body(running)
        } catch {
            try? await running.stop()
            throw error
        }
        try await running.stop()
    }

    /// Whether a JSON value equals `expected`: both written as JSON with sorted keys.
    static func same(_ value: Any?, _ expected: [String: Any]) -> Bool { canonical(value) == canonical(expected) }

    static func canonical(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "not a JSON object: \(String(describing: value))" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The values of `key` in the objects of `list`.
    static func column(_ list: Any?, _ key: String) -> [String] {
        ((list as? [[String: Any]]) ?? []).compactMap { $0[key] as? String }
    }

    /// A routing profile body with CHAT concurrency 2 on the Support queue.
    static func profileBody(_ name: String, queues: [[String: Any]]? = nil) -> [String: Any] {
        [
            "Name": name,
            "Description": "\(name) profile",
            "DefaultOutboundQueueId": support,
            "QueueConfigs": queues ?? [
                ["QueueReference": ["QueueId": support, "Channel": "CHAT"], "Priority": 1, "Delay": 0]
            ],
            "MediaConcurrencies": [["Channel": "CHAT", "Concurrency": 2]],
        ]
    }

    /// Creates a routing profile and returns its id.
    static func createProfile(
        _ running: RunningServer,
        _ name: String,
        in instance: String = home
    ) async throws
        -> String
    {
        let answer = try await running.connect("PUT", "/routing-profiles/\(instance)", profileBody(name))
        #expect(answer.status == 200, "\(answer.json)")
        return try #require(answer.json["RoutingProfileId"] as? String)
    }

    /// A CreateUser body.
    static func userBody(_ username: String, profile: String, password: String? = "Sup3r-Secret") -> [String: Any] {
        var body: [String: Any] = [
            "Username": username,
            "SecurityProfileIds": ["agent"],
            "RoutingProfileId": profile,
            "PhoneConfig": ["PhoneType": "SOFT_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 0],
        ]
        if let password { body["Password"] = password }
        return body
    }

    /// Creates a user and returns its id.
    static func createUser(_ running: RunningServer, _ username: String, profile: String) async throws -> String {
        let answer = try await running.connect("PUT", "/users/\(home)", userBody(username, profile: profile))
        #expect(answer.status == 200, "\(answer.json)")
        return try #require(answer.json["UserId"] as? String)
    }

    /// One call to the agent desktop API (not the control plane) with URLSession.
    static func agent(
        _ running: RunningServer,
        _ method: String,
        _ path: String,
        token: String? = nil,
        body: [String: Any]? = nil
    ) async throws -> (status: Int, json: [String: Any]) {
        var request = URLRequest(url: try #require(URL(string: running.addresses.http + path)))
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data.isEmpty ? [:] : try object(data))
    }

    /// Expects `answer` to be the error `type` with `status`.
    static func expectError(
        _ answer: ConnectAnswer,
        _ status: Int,
        _ type: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(answer.status == status, "\(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.errorType == type, "\(answer.json)", sourceLocation: sourceLocation)
    }

    // MARK: Routing profiles

    @Test func routingProfilesAreCreatedDescribedListedAndDeleted() async throws {
        try await Self.withServer { running in
            let created = try await running.connect(
                "PUT",
                "/routing-profiles/\(Self.home)",
                [
                    "Name": "Support agents",
                    "Description": "First line",
                    "DefaultOutboundQueueId": Self.support,
                    "QueueConfigs": [
                        ["QueueReference": ["QueueId": Self.support, "Channel": "CHAT"], "Priority": 2, "Delay": 30],
                        // Accepted, but only CHAT routes: not associated.
                        ["QueueReference": ["QueueId": Self.billing, "Channel": "VOICE"], "Priority": 1, "Delay": 0],
                    ],
                    "MediaConcurrencies": [
                        ["Channel": "VOICE", "Concurrency": 1],
                        [
                            "Channel": "CHAT", "Concurrency": 3,
                            "CrossChannelBehavior": ["BehaviorType": "ROUTE_ANY_CHANNEL"],
                        ],
                    ],
                    "Tags": ["team": "support"],
                ]
            )
            #expect(created.status == 200, "\(created.json)")
            let id = try #require(created.json["RoutingProfileId"] as? String)
            #expect(created.json["RoutingProfileArn"] as? String == "\(Self.instanceARN)/routing-profile/\(id)")
            #expect(created.headers["x-parley-position"] != nil)

            let described = try await running.connect("GET", "/routing-profiles/\(Self.home)/\(id)")
            #expect(described.status == 200, "\(described.json)")
            #expect(
                Self.same(
                    described.json["RoutingProfile"],
                    [
                        "InstanceId": Self.home,
                        "Name": "Support agents",
                        "Description": "First line",
                        "RoutingProfileArn": "\(Self.instanceARN)/routing-profile/\(id)",
                        "RoutingProfileId": id,
                        "MediaConcurrencies": [
                            [
                                "Channel": "CHAT", "Concurrency": 3,
                                "CrossChannelBehavior": ["BehaviorType": "ROUTE_ANY_CHANNEL"],
                            ]
                        ],
                        "DefaultOutboundQueueId": Self.support,
                        "NumberOfAssociatedQueues": 1,
                        "NumberOfAssociatedUsers": 0,
                        "AssociatedQueueIds": [Self.support],
                        "IsDefault": false,
                        "Tags": [String: String](),
                    ]
                ),
                "\(described.json)"
            )

            // A queue ARN names its queue; the cross-channel behaviour defaults to the current channel only.
            let billingProfile = try await running.connect(
                "PUT",
                "/routing-profiles/\(Self.home)",
                Self.profileBody(
                    "Billing agents",
                    queues: [
                        [
                            "QueueReference": [
                                "QueueId": "\(Self.instanceARN)/queue/\(Self.billing)", "Channel": "CHAT",
                            ],
                            "Priority": 1, "Delay": 0,
                        ]
                    ]
                )
            )
            #expect(billingProfile.status == 200, "\(billingProfile.json)")
            let billingId = try #require(billingProfile.json["RoutingProfileId"] as? String)
            let billingView = try await running.connect("GET", "/routing-profiles/\(Self.home)/\(billingId)")
            let view = billingView.json["RoutingProfile"] as? [String: Any]
            #expect(view?["AssociatedQueueIds"] as? [String] == [Self.billing])
            #expect(
                Self.column(view?["MediaConcurrencies"], "Channel") == ["CHAT"]
                    && ((view?["MediaConcurrencies"] as? [[String: Any]])?.first?["CrossChannelBehavior"]
                        as? [String: Any])?[
                            "BehaviorType"
                        ] as? String == "ROUTE_CURRENT_CHANNEL_ONLY"
            )
            let alpha = try await Self.createProfile(running, "Alpha")

            // Listed by name, in pages.
            let all = try await running.connect("GET", "/routing-profiles-summary/\(Self.home)")
            #expect(all.status == 200)
            let summaries = try #require(all.json["RoutingProfileSummaryList"] as? [[String: Any]])
            #expect(Self.column(summaries, "Name") == ["Alpha", "Billing agents", "Support agents"])
            #expect(Self.column(summaries, "Id") == [alpha, billingId, id])
            #expect(
                Self.same(
                    summaries.first,
                    ["Id": alpha, "Arn": "\(Self.instanceARN)/routing-profile/\(alpha)", "Name": "Alpha"]
                )
            )
            #expect(all.json["NextToken"] == nil)
            let first = try await running.connect("GET", "/routing-profiles-summary/\(Self.home)?maxResults=2")
            #expect(Self.column(first.json["RoutingProfileSummaryList"], "Name") == ["Alpha", "Billing agents"])
            let token = try #require(first.json["NextToken"] as? String)
            let encoded = try #require(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let second = try await running.connect(
                "GET",
                "/routing-profiles-summary/\(Self.home)?maxResults=2&nextToken=\(encoded)"
            )
            #expect(Self.column(second.json["RoutingProfileSummaryList"], "Name") == ["Support agents"])
            #expect(second.json["NextToken"] == nil)
            Self.expectError(
                try await running.connect("GET", "/routing-profiles-summary/\(Self.home)?maxResults=0"),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("GET", "/routing-profiles-summary/\(Self.home)?nextToken=forged"),
                400,
                "InvalidParameterException"
            )

            // Deleted: gone from describe and list.
            let deleted = try await running.connect("DELETE", "/routing-profiles/\(Self.home)/\(alpha)")
            #expect(deleted.status == 200, "\(deleted.json)")
            let missing = try await running.connect("GET", "/routing-profiles/\(Self.home)/\(alpha)")
            Self.expectError(missing, 404, "ResourceNotFoundException")
            #expect(missing.json["ResourceType"] as? String == "ROUTING_PROFILE")
            #expect(missing.json["ResourceId"] as? String == alpha)
            Self.expectError(
                try await running.connect("DELETE", "/routing-profiles/\(Self.home)/\(alpha)"),
                404,
                "ResourceNotFoundException"
            )
            let after = try await running.connect("GET", "/routing-profiles-summary/\(Self.home)")
            #expect(
                Self.column(after.json["RoutingProfileSummaryList"], "Name") == ["Billing agents", "Support agents"]
            )
        }
    }

    @Test func routingProfileCreationIsChecked() async throws {
        try await Self.withServer { running in
            _ = try await Self.createProfile(running, "Support agents")
            let path = "/routing-profiles/\(Self.home)"
            Self.expectError(
                try await running.connect("PUT", path, Self.profileBody("Support agents")),
                409,
                "DuplicateResourceException"
            )
            var voiceOnly = Self.profileBody("Voice")
            voiceOnly["MediaConcurrencies"] = [["Channel": "VOICE", "Concurrency": 1]]
            Self.expectError(try await running.connect("PUT", path, voiceOnly), 400, "InvalidParameterException")
            var tooMany = Self.profileBody("Many")
            tooMany["MediaConcurrencies"] = [["Channel": "CHAT", "Concurrency": 11]]
            Self.expectError(try await running.connect("PUT", path, tooMany), 400, "InvalidParameterException")
            var fax = Self.profileBody("Fax")
            fax["QueueConfigs"] = [
                ["QueueReference": ["QueueId": Self.support, "Channel": "FAX"], "Priority": 1, "Delay": 0]
            ]
            Self.expectError(try await running.connect("PUT", path, fax), 400, "InvalidParameterException")
            var slow = Self.profileBody("Slow")
            slow["QueueConfigs"] = [
                ["QueueReference": ["QueueId": Self.support, "Channel": "CHAT"], "Priority": 1, "Delay": 10_000]
            ]
            Self.expectError(try await running.connect("PUT", path, slow), 400, "InvalidParameterException")
            var nowhere = Self.profileBody("Nowhere")
            nowhere["QueueConfigs"] = [
                ["QueueReference": ["QueueId": "no-such-queue", "Channel": "CHAT"], "Priority": 1, "Delay": 0]
            ]
            Self.expectError(try await running.connect("PUT", path, nowhere), 404, "ResourceNotFoundException")
            var noOutbound = Self.profileBody("No outbound")
            noOutbound["DefaultOutboundQueueId"] = "no-such-queue"
            Self.expectError(try await running.connect("PUT", path, noOutbound), 404, "ResourceNotFoundException")
            var undescribed = Self.profileBody("Undescribed")
            undescribed["Description"] = nil
            Self.expectError(try await running.connect("PUT", path, undescribed), 400, "SerializationException")
            var emptyDescription = Self.profileBody("Empty description")
            emptyDescription["Description"] = ""
            Self.expectError(try await running.connect("PUT", path, emptyDescription), 400, "InvalidParameterException")
            var wrongType = Self.profileBody("Wrong type")
            wrongType["QueueConfigs"] = [
                ["QueueReference": ["QueueId": Self.support, "Channel": "CHAT"], "Priority": "high", "Delay": 0]
            ]
            let serialization = try await running.connect("PUT", path, wrongType)
            Self.expectError(serialization, 400, "SerializationException")
            #expect((serialization.json["message"] as? String)?.contains("Priority") == true, "\(serialization.json)")
            // Nothing of the refused ones was created.
            let listed = try await running.connect("GET", "/routing-profiles-summary/\(Self.home)")
            #expect(Self.column(listed.json["RoutingProfileSummaryList"], "Name") == ["Support agents"])
        }
    }

    @Test func routingProfileQueuesAndConcurrencyChange() async throws {
        try await Self.withServer { running in
            let id = try await Self.createProfile(running, "Support agents")
            let base = "/routing-profiles/\(Self.home)/\(id)"
            let listed = try await running.connect("GET", "\(base)/queues")
            #expect(listed.status == 200, "\(listed.json)")
            let only = try #require(listed.json["RoutingProfileQueueConfigSummaryList"] as? [[String: Any]])
            #expect(only.count == 1)
            #expect(
                Self.same(
                    only.first,
                    [
                        "QueueId": Self.support, "QueueArn": "\(Self.instanceARN)/queue/\(Self.support)",
                        "QueueName": "Support", "Priority": 1, "Delay": 0, "Channel": "CHAT",
                    ]
                ),
                "\(only)"
            )

            let associated = try await running.connect(
                "POST",
                "\(base)/associate-queues",
                [
                    "QueueConfigs": [
                        ["QueueReference": ["QueueId": Self.billing, "Channel": "CHAT"], "Priority": 5, "Delay": 10],
                        ["QueueReference": ["QueueId": Self.billing, "Channel": "TASK"], "Priority": 1, "Delay": 0],
                    ]
                ]
            )
            #expect(associated.status == 200, "\(associated.json)")
            let two = try await running.connect("GET", "\(base)/queues")
            let both = try #require(two.json["RoutingProfileQueueConfigSummaryList"] as? [[String: Any]])
            #expect(Self.column(both, "QueueName") == ["Billing", "Support"])
            #expect(both.first?["Priority"] as? Int == 5 && both.first?["Delay"] as? Int == 10)
            let paged = try await running.connect("GET", "\(base)/queues?maxResults=1")
            #expect(Self.column(paged.json["RoutingProfileQueueConfigSummaryList"], "QueueName") == ["Billing"])
            #expect(paged.json["NextToken"] is String)
            Self.expectError(
                try await running.connect("GET", "\(base)/queues?maxResults=101"),
                400,
                "InvalidParameterException"
            )
            // A queue the profile has already.
            Self.expectError(
                try await running.connect(
                    "POST",
                    "\(base)/associate-queues",
                    [
                        "QueueConfigs": [
                            [
                                "QueueReference": ["QueueId": Self.billing, "Channel": "CHAT"], "Priority": 1,
                                "Delay": 0,
                            ]
                        ]
                    ]
                ),
                400,
                "InvalidParameterException"
            )

            let updated = try await running.connect(
                "POST",
                "\(base)/queues",
                [
                    "QueueConfigs": [
                        ["QueueReference": ["QueueId": Self.support, "Channel": "CHAT"], "Priority": 3, "Delay": 60]
                    ]
                ]
            )
            #expect(updated.status == 200, "\(updated.json)")
            let afterUpdate = try await running.connect("GET", "\(base)/queues")
            let support = (afterUpdate.json["RoutingProfileQueueConfigSummaryList"] as? [[String: Any]])?.last
            #expect(support?["QueueId"] as? String == Self.support)
            #expect(support?["Priority"] as? Int == 3 && support?["Delay"] as? Int == 60)

            let disassociated = try await running.connect(
                "POST",
                "\(base)/disassociate-queues",
                ["QueueReferences": [["QueueId": Self.billing, "Channel": "CHAT"]]]
            )
            #expect(disassociated.status == 200, "\(disassociated.json)")
            let afterRemoval = try await running.connect("GET", "\(base)/queues")
            #expect(Self.column(afterRemoval.json["RoutingProfileQueueConfigSummaryList"], "QueueId") == [Self.support])
            let described = try await running.connect("GET", base)
            #expect((described.json["RoutingProfile"] as? [String: Any])?["NumberOfAssociatedQueues"] as? Int == 1)
            // Updating a queue the profile does not have, or one that does not exist.
            Self.expectError(
                try await running.connect(
                    "POST",
                    "\(base)/queues",
                    [
                        "QueueConfigs": [
                            [
                                "QueueReference": ["QueueId": Self.billing, "Channel": "CHAT"], "Priority": 1,
                                "Delay": 0,
                            ]
                        ]
                    ]
                ),
                400,
                "InvalidRequestException"
            )
            Self.expectError(
                try await running.connect(
                    "POST",
                    "\(base)/queues",
                    [
                        "QueueConfigs": [
                            [
                                "QueueReference": ["QueueId": "no-such-queue", "Channel": "CHAT"], "Priority": 1,
                                "Delay": 0,
                            ]
                        ]
                    ]
                ),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("POST", "\(base)/queues", ["QueueConfigs": [[String: Any]]()]),
                400,
                "InvalidParameterException"
            )

            let concurrency = try await running.connect(
                "POST",
                "\(base)/concurrency",
                [
                    "MediaConcurrencies": [
                        ["Channel": "CHAT", "Concurrency": 5], ["Channel": "VOICE", "Concurrency": 1],
                    ]
                ]
            )
            #expect(concurrency.status == 200, "\(concurrency.json)")
            let afterConcurrency = try await running.connect("GET", base)
            let media = (afterConcurrency.json["RoutingProfile"] as? [String: Any])?["MediaConcurrencies"]
            #expect((media as? [[String: Any]])?.first?["Concurrency"] as? Int == 5, "\(afterConcurrency.json)")
            Self.expectError(
                try await running.connect(
                    "POST",
                    "\(base)/concurrency",
                    ["MediaConcurrencies": [["Channel": "CHAT", "Concurrency": 0]]]
                ),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", "\(base)/concurrency", [:]),
                400,
                "SerializationException"
            )

            // Every operation on an unknown profile.
            let unknown = "/routing-profiles/\(Self.home)/no-such-profile"
            let queueConfig: [String: Any] = [
                "QueueConfigs": [
                    ["QueueReference": ["QueueId": Self.support, "Channel": "CHAT"], "Priority": 1, "Delay": 0]
                ]
            ]
            for (method, path, body) in [
                ("GET", unknown, nil),
                ("GET", "\(unknown)/queues", nil),
                ("POST", "\(unknown)/queues", queueConfig),
                ("POST", "\(unknown)/associate-queues", queueConfig),
                (
                    "POST", "\(unknown)/disassociate-queues",
                    ["QueueReferences": [["QueueId": Self.support, "Channel": "CHAT"]]]
                ),
                ("POST", "\(unknown)/concurrency", ["MediaConcurrencies": [["Channel": "CHAT", "Concurrency": 1]]]),
                ("DELETE", unknown, nil),
            ] as [(String, String, [String: Any]?)] {
                Self.expectError(try await running.connect(method, path, body), 404, "ResourceNotFoundException")
            }
        }
    }

    // MARK: Users

    @Test func usersAreCreatedDescribedListedUpdatedAndDeleted() async throws {
        try await Self.withServer { running in
            let profile = try await Self.createProfile(running, "Support agents")
            let other = try await Self.createProfile(running, "Billing agents")
            let created = try await running.connect(
                "PUT",
                "/users/\(Self.home)",
                [
                    "Username": "zoe",
                    "Password": "Sup3r-Secret",
                    "IdentityInfo": ["FirstName": "Zoe", "LastName": "Lind", "Email": "zoe@example.com"],
                    "PhoneConfig": ["PhoneType": "SOFT_PHONE", "AutoAccept": true, "AfterContactWorkTimeLimit": 30],
                    "SecurityProfileIds": ["agent-profile"],
                    "RoutingProfileId": profile,
                    "HierarchyGroupId": "floor-1",
                    "Tags": ["team": "support"],
                ]
            )
            #expect(created.status == 200, "\(created.json)")
            let zoe = try #require(created.json["UserId"] as? String)
            #expect(created.json["UserArn"] as? String == "\(Self.instanceARN)/agent/\(zoe)")

            let described = try await running.connect("GET", "/users/\(Self.home)/\(zoe)")
            #expect(described.status == 200, "\(described.json)")
            #expect(
                Self.same(
                    described.json["User"],
                    [
                        "Id": zoe,
                        "Arn": "\(Self.instanceARN)/agent/\(zoe)",
                        "Username": "zoe",
                        "IdentityInfo": [String: String](),
                        "PhoneConfig": [
                            "PhoneType": "SOFT_PHONE", "AutoAccept": true, "AfterContactWorkTimeLimit": 30,
                        ],
                        "SecurityProfileIds": [String](),
                        "RoutingProfileId": profile,
                        "Tags": [String: String](),
                        "AutoAcceptConfigs": [["Channel": "CHAT", "AutoAccept": true]],
                        "AfterContactWorkConfigs": [
                            ["Channel": "CHAT", "AfterContactWorkConfig": ["AfterContactWorkTimeLimit": 30]]
                        ],
                    ]
                ),
                "\(described.json)"
            )

            // The per-channel settings win over PhoneConfig for CHAT.
            var body = Self.userBody("adam", profile: profile)
            body["PhoneConfig"] = ["AutoAccept": true, "AfterContactWorkTimeLimit": 10]
            body["AutoAcceptConfigs"] = [
                ["Channel": "VOICE", "AutoAccept": true], ["Channel": "CHAT", "AutoAccept": false],
            ]
            body["AfterContactWorkConfigs"] = [
                ["Channel": "CHAT", "AfterContactWorkConfig": ["AfterContactWorkTimeLimit": 45]]
            ]
            let adamAnswer = try await running.connect("PUT", "/users/\(Self.home)", body)
            #expect(adamAnswer.status == 200, "\(adamAnswer.json)")
            let adam = try #require(adamAnswer.json["UserId"] as? String)
            let adamView = try await running.connect("GET", "/users/\(Self.home)/\(adam)")
            #expect(
                Self.same(
                    (adamView.json["User"] as? [String: Any])?["PhoneConfig"],
                    ["PhoneType": "SOFT_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 45]
                ),
                "\(adamView.json)"
            )

            // Listed by username, in pages.
            let listed = try await running.connect("GET", "/users-summary/\(Self.home)")
            #expect(listed.status == 200, "\(listed.json)")
            let summaries = try #require(listed.json["UserSummaryList"] as? [[String: Any]])
            #expect(Self.column(summaries, "Username") == ["adam", "zoe"])
            #expect(
                Self.same(summaries.last, ["Id": zoe, "Arn": "\(Self.instanceARN)/agent/\(zoe)", "Username": "zoe"])
            )
            let page = try await running.connect("GET", "/users-summary/\(Self.home)?maxResults=1")
            #expect(Self.column(page.json["UserSummaryList"], "Username") == ["adam"])
            let token = try #require(
                (page.json["NextToken"] as? String)?.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
            )
            let next = try await running.connect("GET", "/users-summary/\(Self.home)?maxResults=1&nextToken=\(token)")
            #expect(Self.column(next.json["UserSummaryList"], "Username") == ["zoe"])
            #expect(next.json["NextToken"] == nil)
            Self.expectError(
                try await running.connect("GET", "/users-summary/\(Self.home)?maxResults=1001"),
                400,
                "InvalidParameterException"
            )

            // The routing profile and the phone config change.
            let moved = try await running.connect(
                "POST",
                "/users/\(Self.home)/\(zoe)/routing-profile",
                ["RoutingProfileId": other]
            )
            #expect(moved.status == 200, "\(moved.json)")
            let phone = try await running.connect(
                "POST",
                "/users/\(Self.home)/\(zoe)/phone-config",
                ["PhoneConfig": ["PhoneType": "DESK_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 120]]
            )
            #expect(phone.status == 200, "\(phone.json)")
            let changed = try await running.connect("GET", "/users/\(Self.home)/\(zoe)")
            let changedUser = changed.json["User"] as? [String: Any]
            #expect(changedUser?["RoutingProfileId"] as? String == other)
            #expect(
                Self.same(
                    changedUser?["PhoneConfig"],
                    ["PhoneType": "SOFT_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 120]
                ),
                "\(changed.json)"
            )
            // Leaving a setting out keeps it.
            let partial = try await running.connect(
                "POST",
                "/users/\(Self.home)/\(zoe)/phone-config",
                ["PhoneConfig": ["AutoAccept": true]]
            )
            #expect(partial.status == 200, "\(partial.json)")
            let kept = try await running.connect("GET", "/users/\(Self.home)/\(zoe)")
            #expect(
                Self.same(
                    (kept.json["User"] as? [String: Any])?["PhoneConfig"],
                    ["PhoneType": "SOFT_PHONE", "AutoAccept": true, "AfterContactWorkTimeLimit": 120]
                ),
                "\(kept.json)"
            )
            Self.expectError(
                try await running.connect(
                    "POST",
                    "/users/\(Self.home)/\(zoe)/phone-config",
                    ["PhoneConfig": ["PhoneType": "FAX"]]
                ),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect(
                    "POST",
                    "/users/\(Self.home)/\(zoe)/phone-config",
                    ["PhoneConfig": ["AfterContactWorkTimeLimit": -1]]
                ),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", "/users/\(Self.home)/\(zoe)/phone-config", [:]),
                400,
                "SerializationException"
            )
            Self.expectError(
                try await running.connect(
                    "POST",
                    "/users/\(Self.home)/\(zoe)/routing-profile",
                    ["RoutingProfileId": "no-such-profile"]
                ),
                404,
                "ResourceNotFoundException"
            )

            // A profile a user has cannot be deleted.
            Self.expectError(
                try await running.connect("DELETE", "/routing-profiles/\(Self.home)/\(other)"),
                409,
                "ResourceInUseException"
            )
            let profileView = try await running.connect("GET", "/routing-profiles/\(Self.home)/\(other)")
            #expect((profileView.json["RoutingProfile"] as? [String: Any])?["NumberOfAssociatedUsers"] as? Int == 1)

            let deleted = try await running.connect("DELETE", "/users/\(Self.home)/\(zoe)")
            #expect(deleted.status == 200, "\(deleted.json)")
            let gone = try await running.connect("GET", "/users/\(Self.home)/\(zoe)")
            Self.expectError(gone, 404, "ResourceNotFoundException")
            #expect(gone.json["ResourceType"] as? String == "USER")
            let remaining = try await running.connect("GET", "/users-summary/\(Self.home)")
            #expect(Self.column(remaining.json["UserSummaryList"], "Username") == ["adam"])
            let freed = try await running.connect("DELETE", "/routing-profiles/\(Self.home)/\(other)")
            #expect(freed.status == 200, "\(freed.json)")

            // Every operation on an unknown user.
            let unknown = "/users/\(Self.home)/no-such-user"
            for (method, path, body) in [
                ("GET", unknown, nil),
                ("POST", "\(unknown)/routing-profile", ["RoutingProfileId": profile]),
                ("POST", "\(unknown)/phone-config", ["PhoneConfig": ["AutoAccept": true]]),
                ("PUT", "\(unknown)/status", ["AgentStatusId": "available"]),
                ("DELETE", unknown, nil),
            ] as [(String, String, [String: Any]?)] {
                Self.expectError(try await running.connect(method, path, body), 404, "ResourceNotFoundException")
            }
        }
    }

    @Test func userCreationIsChecked() async throws {
        try await Self.withServer { running in
            let profile = try await Self.createProfile(running, "Support agents")
            _ = try await Self.createUser(running, "zoe", profile: profile)
            let path = "/users/\(Self.home)"
            // Weak passwords: too short, too long, no upper case, no lower case, no digit, white space.
            for weak in [
                "Sh0rt", String(repeating: "Aa1", count: 22), "lower-case-1", "UPPER-CASE-1", "No-Digits-Here",
                "Has Space 1a",
            ] {
                let answer = try await running.connect(
                    "PUT",
                    path,
                    Self.userBody("weak", profile: profile, password: weak)
                )
                Self.expectError(answer, 400, "InvalidParameterException")
                #expect((answer.json["message"] as? String)?.contains(weak) == false, "the password is not echoed")
            }
            Self.expectError(
                try await running.connect("PUT", path, Self.userBody("nopassword", profile: profile, password: nil)),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("PUT", path, Self.userBody("zoe", profile: profile)),
                409,
                "DuplicateResourceException"
            )
            Self.expectError(
                try await running.connect("PUT", path, Self.userBody("lost", profile: "no-such-profile")),
                404,
                "ResourceNotFoundException"
            )
            var noProfiles = Self.userBody("noprofiles", profile: profile)
            noProfiles["SecurityProfileIds"] = nil
            Self.expectError(try await running.connect("PUT", path, noProfiles), 400, "SerializationException")
            noProfiles["SecurityProfileIds"] = [String]()
            Self.expectError(try await running.connect("PUT", path, noProfiles), 400, "InvalidParameterException")
            var badPhone = Self.userBody("badphone", profile: profile)
            badPhone["PhoneConfig"] = ["PhoneType": "CELL_PHONE"]
            Self.expectError(try await running.connect("PUT", path, badPhone), 400, "InvalidParameterException")
            var wrongType = Self.userBody("wrongtype", profile: profile)
            wrongType["PhoneConfig"] = ["AutoAccept": "yes"]
            Self.expectError(try await running.connect("PUT", path, wrongType), 400, "SerializationException")
            var tooLong = Self.userBody(String(repeating: "u", count: 101), profile: profile)
            tooLong["Password"] = "Sup3r-Secret"
            Self.expectError(try await running.connect("PUT", path, tooLong), 400, "InvalidParameterException")
            // None of them was created.
            let listed = try await running.connect("GET", "/users-summary/\(Self.home)")
            #expect(Self.column(listed.json["UserSummaryList"], "Username") == ["zoe"])
        }
    }

    @Test func aCreatedUserLogsInAndPutUserStatusSetsItsStatus() async throws {
        try await Self.withServer { running in
            let profile = try await Self.createProfile(running, "Support agents")
            let userId = try await Self.createUser(running, "zoe", profile: profile)

            let refused = try await Self.agent(
                running,
                "POST",
                "/agent/v1/login",
                body: ["Username": "zoe", "Password": "Wrong-Secret1"]
            )
            #expect(refused.status == 401, "\(refused.json)")
            let login = try await Self.agent(
                running,
                "POST",
                "/agent/v1/login",
                body: ["Username": "zoe", "Password": "Sup3r-Secret"]
            )
            #expect(login.status == 200, "\(login.json)")
            #expect(login.json["UserId"] as? String == userId)
            let session = try #require(login.json["SessionToken"] as? String)
            let before = try await Self.agent(running, "GET", "/agent/v1/me", token: session)
            #expect(before.json["AgentStatusId"] == nil, "\(before.json)")
            #expect(before.json["AgentStatusType"] as? String == "OFFLINE")

            let available = try await running.connect(
                "PUT",
                "/users/\(Self.home)/\(userId)/status",
                ["AgentStatusId": "available"]
            )
            #expect(available.status == 200, "\(available.json)")
            #expect(available.json.isEmpty)
            let routable = try await Self.agent(running, "GET", "/agent/v1/me", token: session)
            #expect(routable.json["AgentStatusId"] as? String == "available", "\(routable.json)")
            #expect(routable.json["AgentStatusType"] as? String == "ROUTABLE")
            #expect(routable.json["Concurrency"] as? Int == 2)

            let lunch = try await running.connect(
                "PUT",
                "/agent-status/\(Self.home)",
                ["Name": "Lunch", "State": "ENABLED"]
            )
            let lunchId = try #require(lunch.json["AgentStatusId"] as? String)
            let custom = try await running.connect(
                "PUT",
                "/users/\(Self.home)/\(userId)/status",
                ["AgentStatusId": lunchId]
            )
            #expect(custom.status == 200, "\(custom.json)")
            let onLunch = try await Self.agent(running, "GET", "/agent/v1/me", token: session)
            #expect(onLunch.json["AgentStatusId"] as? String == lunchId, "\(onLunch.json)")
            #expect(onLunch.json["AgentStatusType"] as? String == "CUSTOM")

            let disabled = try await running.connect(
                "POST",
                "/agent-status/\(Self.home)/\(lunchId)",
                ["State": "DISABLED"]
            )
            #expect(disabled.status == 200, "\(disabled.json)")
            let status = "/users/\(Self.home)/\(userId)/status"
            Self.expectError(
                try await running.connect("PUT", status, ["AgentStatusId": lunchId]),
                400,
                "InvalidRequestException"
            )
            Self.expectError(
                try await running.connect("PUT", status, ["AgentStatusId": "no-such-status"]),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(try await running.connect("PUT", status, [:]), 400, "SerializationException")
            let unchanged = try await Self.agent(running, "GET", "/agent/v1/me", token: session)
            #expect(unchanged.json["AgentStatusId"] as? String == lunchId)

            // An unknown username is refused like a wrong password.
            let other = try await Self.agent(
                running,
                "POST",
                "/agent/v1/login",
                body: ["Username": "nobody", "Password": "Sup3r-Secret"]
            )
            #expect(other.status == 401)
        }
    }

    // MARK: Agent statuses

    @Test func agentStatusesAreCreatedDescribedListedAndUpdated() async throws {
        try await Self.withServer { running in
            let path = "/agent-status/\(Self.home)"
            let created = try await running.connect(
                "PUT",
                path,
                [
                    "Name": "Break", "Description": "A short break", "State": "ENABLED", "DisplayOrder": 3,
                    "Tags": ["a": "b"],
                ]
            )
            #expect(created.status == 200, "\(created.json)")
            let breakId = try #require(created.json["AgentStatusId"] as? String)
            #expect(created.json["AgentStatusARN"] as? String == "\(Self.instanceARN)/agent-state/\(breakId)")
            let training = try await running.connect("PUT", path, ["Name": "Training", "State": "DISABLED"])
            #expect(training.status == 200, "\(training.json)")
            let trainingId = try #require(training.json["AgentStatusId"] as? String)

            let described = try await running.connect("GET", "\(path)/\(breakId)")
            #expect(described.status == 200, "\(described.json)")
            #expect(
                Self.same(
                    described.json["AgentStatus"],
                    [
                        "AgentStatusARN": "\(Self.instanceARN)/agent-state/\(breakId)",
                        "AgentStatusId": breakId,
                        "Name": "Break",
                        "Description": "A short break",
                        "Type": "CUSTOM",
                        "State": "ENABLED",
                        "Tags": [String: String](),
                    ]
                ),
                "\(described.json)"
            )
            let seeded = try await running.connect("GET", "\(path)/available")
            #expect((seeded.json["AgentStatus"] as? [String: Any])?["Type"] as? String == "ROUTABLE")

            // Listed by name, filtered by type, in pages.
            let all = try await running.connect("GET", path)
            #expect(all.status == 200, "\(all.json)")
            let summaries = try #require(all.json["AgentStatusSummaryList"] as? [[String: Any]])
            #expect(Self.column(summaries, "Name") == ["Available", "Break", "Offline", "Training"])
            #expect(Self.column(summaries, "Type") == ["ROUTABLE", "CUSTOM", "OFFLINE", "CUSTOM"])
            #expect(
                Self.same(
                    summaries[1],
                    [
                        "Id": breakId, "Arn": "\(Self.instanceARN)/agent-state/\(breakId)", "Name": "Break",
                        "Type": "CUSTOM",
                    ]
                )
            )
            let customs = try await running.connect("GET", "\(path)?AgentStatusTypes=CUSTOM")
            #expect(Self.column(customs.json["AgentStatusSummaryList"], "Id") == [breakId, trainingId])
            let builtIn = try await running.connect("GET", "\(path)?AgentStatusTypes=ROUTABLE&AgentStatusTypes=OFFLINE")
            #expect(Self.column(builtIn.json["AgentStatusSummaryList"], "Name") == ["Available", "Offline"])
            let page = try await running.connect("GET", "\(path)?maxResults=3")
            #expect(Self.column(page.json["AgentStatusSummaryList"], "Name") == ["Available", "Break", "Offline"])
            let token = try #require(
                (page.json["NextToken"] as? String)?.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
            )
            let rest = try await running.connect("GET", "\(path)?maxResults=3&nextToken=\(token)")
            #expect(Self.column(rest.json["AgentStatusSummaryList"], "Name") == ["Training"])
            Self.expectError(
                try await running.connect("GET", "\(path)?AgentStatusTypes=BUSY"),
                400,
                "InvalidParameterException"
            )

            // Refused creations.
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Break", "State": "ENABLED"]),
                409,
                "DuplicateResourceException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Maybe", "State": "MAYBE"]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Last", "State": "ENABLED", "DisplayOrder": 51]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "", "State": "ENABLED"]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Stateless"]),
                400,
                "SerializationException"
            )

            // Updates: name and state; the ROUTABLE status cannot be disabled; names stay unique.
            let renamed = try await running.connect(
                "POST",
                "\(path)/\(breakId)",
                ["Name": "Coffee break", "State": "DISABLED", "Description": "", "DisplayOrder": 1]
            )
            #expect(renamed.status == 200, "\(renamed.json)")
            let after = try await running.connect("GET", "\(path)/\(breakId)")
            let view = after.json["AgentStatus"] as? [String: Any]
            #expect(
                view?["Name"] as? String == "Coffee break" && view?["State"] as? String == "DISABLED",
                "\(after.json)"
            )
            Self.expectError(
                try await running.connect("POST", "\(path)/available", ["State": "DISABLED"]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", "\(path)/\(trainingId)", ["Name": "Coffee break"]),
                409,
                "DuplicateResourceException"
            )
            Self.expectError(
                try await running.connect("POST", "\(path)/\(trainingId)", ["State": "OFF"]),
                400,
                "InvalidParameterException"
            )
            let missing = try await running.connect("GET", "\(path)/no-such-status")
            Self.expectError(missing, 404, "ResourceNotFoundException")
            #expect(missing.json["ResourceType"] as? String == "AGENT_STATUS")
            Self.expectError(
                try await running.connect("POST", "\(path)/no-such-status", ["Name": "Ghost"]),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    // MARK: Instances

    @Test func anUnknownInstanceIsNotFoundAndAnARNNamesAnInstance() async throws {
        try await Self.withServer { running in
            let profile = try await Self.createProfile(running, "Support agents")
            let user = try await Self.createUser(running, "zoe", profile: profile)
            let unknown = "no-such-instance"
            for (method, path, body) in [
                ("PUT", "/routing-profiles/\(unknown)", Self.profileBody("Elsewhere")),
                ("GET", "/routing-profiles/\(unknown)/\(profile)", nil),
                ("GET", "/routing-profiles-summary/\(unknown)", nil),
                ("GET", "/routing-profiles/\(unknown)/\(profile)/queues", nil),
                ("DELETE", "/routing-profiles/\(unknown)/\(profile)", nil),
                ("PUT", "/users/\(unknown)", Self.userBody("elsewhere", profile: profile)),
                ("GET", "/users/\(unknown)/\(user)", nil),
                ("GET", "/users-summary/\(unknown)", nil),
                ("PUT", "/users/\(unknown)/\(user)/status", ["AgentStatusId": "available"]),
                ("DELETE", "/users/\(unknown)/\(user)", nil),
                ("PUT", "/agent-status/\(unknown)", ["Name": "Break", "State": "ENABLED"]),
                ("GET", "/agent-status/\(unknown)", nil),
                ("GET", "/agent-status/\(unknown)/available", nil),
            ] as [(String, String, [String: Any]?)] {
                let answer = try await running.connect(method, path, body)
                Self.expectError(answer, 404, "ResourceNotFoundException")
                #expect(answer.json["ResourceType"] as? String == "INSTANCE", "\(method) \(path): \(answer.json)")
            }

            // The instance ARN, percent-encoded as the SDKs send it, names the same instance.
            let arn = try #require(Self.instanceARN.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            #expect(arn.contains("%2F") && arn.contains("%3A"))
            let users = try await running.connect("GET", "/users-summary/\(arn)")
            #expect(users.status == 200, "\(users.json)")
            #expect(Self.column(users.json["UserSummaryList"], "Id") == [user])
            let byARN = try await running.connect("PUT", "/routing-profiles/\(arn)", Self.profileBody("By ARN"))
            #expect(byARN.status == 200, "\(byARN.json)")
            let byARNId = try #require(byARN.json["RoutingProfileId"] as? String)
            #expect(byARN.json["RoutingProfileArn"] as? String == "\(Self.instanceARN)/routing-profile/\(byARNId)")
            let status = try await running.connect(
                "PUT",
                "/users/\(arn)/\(user)/status",
                ["AgentStatusId": "available"]
            )
            #expect(status.status == 200, "\(status.json)")
            let described = try await running.connect("GET", "/agent-status/\(arn)/available")
            #expect((described.json["AgentStatus"] as? [String: Any])?["Name"] as? String == "Available")

            // A created instance has its own resources: only the default statuses (Available, Offline), none of
            // home's, and names free to reuse.
            let second = try await running.createInstance(alias: "people-two")
            let secondStatuses = try await running.connect("GET", "/agent-status/\(second)")
            #expect(secondStatuses.status == 200, "\(secondStatuses.json)")
            let defaults = (secondStatuses.json["AgentStatusSummaryList"] as? [[String: Any]]) ?? []
            #expect(defaults.compactMap { $0["Name"] as? String }.sorted() == ["Available", "Offline"])
            #expect(!defaults.contains { $0["Id"] as? String == "available" })
            let secondBreak = try await running.connect(
                "PUT",
                "/agent-status/\(second)",
                ["Name": "Break", "State": "ENABLED"]
            )
            #expect(secondBreak.status == 200, "\(secondBreak.json)")
            let secondId = try #require(secondBreak.json["AgentStatusId"] as? String)
            #expect(
                secondBreak.json["AgentStatusARN"] as? String
                    == "arn:aws:connect:local:000000000000:instance/\(second)/agent-state/\(secondId)"
            )
            Self.expectError(
                try await running.connect("GET", "/agent-status/\(Self.home)/\(secondId)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("GET", "/routing-profiles/\(second)/\(profile)"),
                404,
                "ResourceNotFoundException"
            )
            // Its queues are its own too: home's Support queue is not there.
            let noQueue = try await running.connect(
                "PUT",
                "/routing-profiles/\(second)",
                Self.profileBody("Support agents")
            )
            Self.expectError(noQueue, 404, "ResourceNotFoundException")
            #expect(noQueue.json["ResourceType"] as? String == "QUEUE")
            let secondUsers = try await running.connect("GET", "/users-summary/\(second)")
            #expect((secondUsers.json["UserSummaryList"] as? [Any])?.isEmpty == true)
        }
    }
}

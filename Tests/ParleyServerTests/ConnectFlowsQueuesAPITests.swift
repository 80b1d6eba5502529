import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

/// Contact flows, flow modules, queues and hours of operation over the Connect control plane of a real server,
/// every call through `RunningServer.connect`, the way the AWS SDKs make them.
@Suite struct ConnectFlowsQueuesAPITests {
    /// Runs `body` against a new server (on `directory`, or a new empty one) and stops the server afterwards.
    static func withServer(
        _ directory: TemporaryDirectory = TemporaryDirectory(),
        _ body: (RunningServer) async throws -> Void
    ) async throws {
        let running = try await RunningServer.start(in: directory)
        do {
            try await body(running)
        } catch {
            try? await running.stop()
            throw error
        }
        try await running.stop()
        withExtendedLifetime(directory) {}
    }

    /// Checks that `answer` is the Amazon error `type` with `status`.
    static func expectError(
        _ answer: ConnectAnswer,
        _ status: Int,
        _ type: String,
        for request: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(answer.status == status, "\(request) → \(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.errorType == type, "\(request) → \(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.json["message"] is String, sourceLocation: sourceLocation)
    }

    static func instanceARN(_ id: String) -> String { "arn:aws:connect:local:000000000000:instance/\(id)" }

    /// `text` percent-encoded as one path segment (`/` and `:` included).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func sha256(_ text: String) -> String { StateDigest.hex(StateDigest.sha256(Array(text.utf8))) }

    /// The `key` list of an answer, or a failure.
    /// The summaries of a list answer, without the resources every new instance comes with (BasicQueue, Basic
    /// Hours): what the test itself created.
    static func list(_ answer: ConnectAnswer, _ key: String) throws -> [[String: Any]] {
        try #require(answer.json[key] as? [[String: Any]], "\(answer.status): \(answer.json)").filter {
            !instanceDefaults.contains($0["Name"] as? String ?? "")
        }
    }

    /// The names of the resources CreateInstance adds.
    static let instanceDefaults: Set<String> = ["BasicQueue", "Basic Hours", "Basic Routing Profile"]

    static var weekdays: [[String: Any]] {
        [
            ["Day": "MONDAY", "StartTime": ["Hours": 9, "Minutes": 0], "EndTime": ["Hours": 17, "Minutes": 30]],
            ["Day": "TUESDAY", "StartTime": ["Hours": 8, "Minutes": 15], "EndTime": ["Hours": 0, "Minutes": 0]],
        ]
    }

    /// Creates hours of operation and returns their id.
    static func createHours(_ running: RunningServer, _ instance: String, name: String) async throws -> String {
        let answer = try await running.connect(
            "PUT",
            "/hours-of-operations/\(instance)",
            ["Name": name, "TimeZone": "Europe/Madrid", "Config": weekdays]
        )
        #expect(answer.status == 200, "\(answer.json)")
        return try #require(answer.json["HoursOfOperationId"] as? String)
    }

    /// Creates a queue and returns its id.
    static func createQueue(
        _ running: RunningServer,
        _ instance: String,
        name: String,
        hours: String,
        maxContacts: Int? = nil
    ) async throws -> String {
        var body: [String: Any] = ["Name": name, "HoursOfOperationId": hours]
        if let maxContacts { body["MaxContacts"] = maxContacts }
        let answer = try await running.connect("PUT", "/queues/\(instance)", body)
        #expect(answer.status == 200, "\(answer.json)")
        return try #require(answer.json["QueueId"] as? String)
    }

    // MARK: - Contact flows

    @Test func contactFlowsAreCreatedDescribedListedAndUpdated() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance(alias: "flows")
            let created = try await running.connect(
                "PUT",
                "/contact-flows/\(instance)",
                [
                    "Name": "Inbound", "Type": "CONTACT_FLOW", "Description": "Greets and queues",
                    "Content": SampleFlows.disconnect, "Tags": ["team": "support"],
                ]
            )
            #expect(created.status == 200, "\(created.json)")
            #expect(created.headers["x-parley-position"] != nil)
            let flowId = try #require(created.json["ContactFlowId"] as? String)
            let arn = "\(Self.instanceARN(instance))/contact-flow/\(flowId)"
            #expect(created.json["ContactFlowArn"] as? String == arn)
            #expect(created.json["FlowContentSha256"] as? String == Self.sha256(SampleFlows.disconnect))
            #expect(Set(created.json.keys) == ["ContactFlowId", "ContactFlowArn", "FlowContentSha256"])

            let described = try await running.connect("GET", "/contact-flows/\(instance)/\(flowId)")
            #expect(described.status == 200, "\(described.json)")
            let flow = try #require(described.json["ContactFlow"] as? [String: Any])
            #expect(flow["Arn"] as? String == arn)
            #expect(flow["Id"] as? String == flowId)
            #expect(flow["Name"] as? String == "Inbound")
            #expect(flow["Type"] as? String == "CONTACT_FLOW")
            #expect(flow["State"] as? String == "ACTIVE")
            #expect(flow["Status"] as? String == "PUBLISHED")
            #expect(flow["Description"] as? String == "Greets and queues")
            #expect(flow["Content"] as? String == SampleFlows.disconnect)
            #expect((flow["Tags"] as? [String: String]) == [:])
            #expect(flow["FlowContentSha256"] as? String == Self.sha256(SampleFlows.disconnect))
            let firstTime = try #require(flow["LastModifiedTime"] as? Double)
            #expect(abs(firstTime - Date().timeIntervalSince1970) < 600)

            // By ARN (percent-encoded) as well as by id.
            let byARN = try await running.connect("GET", "/contact-flows/\(instance)/\(Self.segment(arn))")
            #expect((byARN.json["ContactFlow"] as? [String: Any])?["Id"] as? String == flowId)

            let updated = try await running.connect(
                "POST",
                "/contact-flows/\(instance)/\(flowId)/content",
                ["Content": SampleFlows.inbound]
            )
            #expect(updated.status == 200, "\(updated.json)")
            #expect(updated.json.isEmpty)
            let after = try await running.connect("GET", "/contact-flows/\(instance)/\(flowId)")
            let newer = try #require(after.json["ContactFlow"] as? [String: Any])
            #expect(newer["Content"] as? String == SampleFlows.inbound)
            #expect(newer["FlowContentSha256"] as? String == Self.sha256(SampleFlows.inbound))
            #expect(newer["Name"] as? String == "Inbound")
            #expect(try #require(newer["LastModifiedTime"] as? Double) >= firstTime)

            let invalid = try await running.connect(
                "POST",
                "/contact-flows/\(instance)/\(flowId)/content",
                ["Content": #"{"Version": "2019-10-30", "Actions": []}"#]
            )
            Self.expectError(invalid, 400, "InvalidContactFlowException")
            let unchanged = try await running.connect("GET", "/contact-flows/\(instance)/\(flowId)")
            #expect((unchanged.json["ContactFlow"] as? [String: Any])?["Content"] as? String == SampleFlows.inbound)

            Self.expectError(
                try await running.connect("POST", "/contact-flows/\(instance)/nope/content", ["Content": "{}"]),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("POST", "/contact-flows/\(instance)/\(flowId)/content", [:]),
                400,
                "SerializationException"
            )
        }
    }

    @Test func contactFlowsAreListedByNameWithTypeFiltersAndPaging() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            var ids: [String: String] = [:]
            for (name, type) in [("Charlie", "CONTACT_FLOW"), ("Alpha", "CUSTOMER_QUEUE"), ("Bravo", "CONTACT_FLOW")] {
                let answer = try await running.connect(
                    "PUT",
                    "/contact-flows/\(instance)",
                    ["Name": name, "Type": type, "Content": SampleFlows.disconnect]
                )
                ids[name] = try #require(answer.json["ContactFlowId"] as? String, "\(answer.json)")
            }
            let all = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/\(instance)"),
                "ContactFlowSummaryList"
            )
            #expect(all.compactMap { $0["Name"] as? String } == ["Alpha", "Bravo", "Charlie"])
            let alpha = try #require(all.first)
            #expect(alpha["Id"] as? String == ids["Alpha"])
            #expect(alpha["Arn"] as? String == "\(Self.instanceARN(instance))/contact-flow/\(ids["Alpha"] ?? "")")
            #expect(alpha["ContactFlowType"] as? String == "CUSTOMER_QUEUE")
            #expect(alpha["ContactFlowState"] as? String == "ACTIVE")
            #expect(alpha["ContactFlowStatus"] as? String == "PUBLISHED")

            let flows = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/\(instance)?contactFlowTypes=CONTACT_FLOW"),
                "ContactFlowSummaryList"
            )
            #expect(flows.compactMap { $0["Name"] as? String } == ["Bravo", "Charlie"])
            let both = try Self.list(
                try await running.connect(
                    "GET",
                    "/contact-flows-summary/\(instance)?contactFlowTypes=CUSTOMER_QUEUE&contactFlowTypes=CONTACT_FLOW"
                ),
                "ContactFlowSummaryList"
            )
            #expect(both.count == 3)
            let none = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/\(instance)?contactFlowTypes=AGENT_HOLD"),
                "ContactFlowSummaryList"
            )
            #expect(none.isEmpty)
            Self.expectError(
                try await running.connect("GET", "/contact-flows-summary/\(instance)?contactFlowTypes=MODULE"),
                400,
                "InvalidParameterException"
            )

            // Pages of two: the token leads to the rest, the last page has none.
            let first = try await running.connect("GET", "/contact-flows-summary/\(instance)?maxResults=2")
            #expect(
                try Self.list(first, "ContactFlowSummaryList").compactMap { $0["Name"] as? String } == [
                    "Alpha", "Bravo",
                ]
            )
            let token = try #require(first.json["NextToken"] as? String)
            let encoded = try #require(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let second = try await running.connect(
                "GET",
                "/contact-flows-summary/\(instance)?maxResults=2&nextToken=\(encoded)"
            )
            #expect(try Self.list(second, "ContactFlowSummaryList").compactMap { $0["Name"] as? String } == ["Charlie"])
            #expect(second.json["NextToken"] == nil)
            for bad in ["maxResults=0", "maxResults=1001", "maxResults=ten", "nextToken=bogus"] {
                Self.expectError(
                    try await running.connect("GET", "/contact-flows-summary/\(instance)?\(bad)"),
                    400,
                    "InvalidParameterException"
                )
            }
        }
    }

    @Test func contactFlowRefusals() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let path = "/contact-flows/\(instance)"
            let valid: [String: Any] = ["Name": "Main", "Type": "CONTACT_FLOW", "Content": SampleFlows.disconnect]
            #expect(try await running.connect("PUT", path, valid).status == 200)

            Self.expectError(try await running.connect("PUT", path, valid), 409, "DuplicateResourceException")
            var invalidContent = valid
            invalidContent["Name"] = "Broken"
            invalidContent["Content"] = "this is not a flow"
            Self.expectError(
                try await running.connect("PUT", path, invalidContent),
                400,
                "InvalidContactFlowException"
            )
            var badType = valid
            badType["Name"] = "Typed"
            badType["Type"] = "NOT_A_TYPE"
            Self.expectError(try await running.connect("PUT", path, badType), 400, "InvalidParameterException")
            var empty = valid
            empty["Name"] = ""
            Self.expectError(try await running.connect("PUT", path, empty), 400, "InvalidParameterException")
            var saved = valid
            saved["Name"] = "Saved"
            saved["Status"] = "SAVED"
            Self.expectError(try await running.connect("PUT", path, saved), 400, "InvalidParameterException")
            var published = saved
            published["Status"] = "PUBLISHED"
            #expect(try await running.connect("PUT", path, published).status == 200)

            let missing = try await running.connect("PUT", path, ["Name": "No content", "Type": "CONTACT_FLOW"])
            Self.expectError(missing, 400, "SerializationException")
            #expect((missing.json["message"] as? String)?.contains("Content") == true)
            var wrongType = valid
            wrongType["Name"] = 42
            Self.expectError(try await running.connect("PUT", path, wrongType), 400, "SerializationException")
            var badTags = valid
            badTags["Name"] = "Tagged"
            badTags["Tags"] = ["team": 7]
            Self.expectError(try await running.connect("PUT", path, badTags), 400, "SerializationException")

            Self.expectError(
                try await running.connect("PUT", "/contact-flows/no-such-instance", valid),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("GET", "/contact-flows/\(instance)/no-such-flow"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("GET", "/contact-flows-summary/no-such-instance"),
                404,
                "ResourceNotFoundException"
            )
            // Nothing refused was created.
            let names = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/\(instance)"),
                "ContactFlowSummaryList"
            )
            #expect(names.compactMap { $0["Name"] as? String } == ["Main", "Saved"])
        }
    }

    // MARK: - Flow modules

    @Test func flowModulesAreSeparateFromFlows() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let created = try await running.connect(
                "PUT",
                "/contact-flow-modules/\(instance)",
                ["Name": "Greeting", "Content": SampleFlows.disconnect, "Tags": ["a": "b"], "ClientToken": "t-1"]
            )
            #expect(created.status == 200, "\(created.json)")
            let moduleId = try #require(created.json["Id"] as? String)
            let arn = "\(Self.instanceARN(instance))/flow-module/\(moduleId)"
            #expect(created.json["Arn"] as? String == arn)

            let described = try await running.connect("GET", "/contact-flow-modules/\(instance)/\(moduleId)")
            let module = try #require(described.json["ContactFlowModule"] as? [String: Any], "\(described.json)")
            #expect(module["Arn"] as? String == arn)
            #expect(module["Id"] as? String == moduleId)
            #expect(module["Name"] as? String == "Greeting")
            #expect(module["Content"] as? String == SampleFlows.disconnect)
            #expect(module["State"] as? String == "ACTIVE")
            #expect(module["Status"] as? String == "PUBLISHED")
            #expect((module["Tags"] as? [String: String]) == [:])
            #expect(module["FlowModuleContentSha256"] as? String == Self.sha256(SampleFlows.disconnect))
            #expect(module["Description"] == nil)
            let byARN = try await running.connect("GET", "/contact-flow-modules/\(instance)/\(Self.segment(arn))")
            #expect((byARN.json["ContactFlowModule"] as? [String: Any])?["Id"] as? String == moduleId)

            let flow = try await running.connect(
                "PUT",
                "/contact-flows/\(instance)",
                ["Name": "Main", "Type": "CONTACT_FLOW", "Content": SampleFlows.disconnect]
            )
            let flowId = try #require(flow.json["ContactFlowId"] as? String)

            let modules = try Self.list(
                try await running.connect("GET", "/contact-flow-modules-summary/\(instance)"),
                "ContactFlowModulesSummaryList"
            )
            #expect(modules.count == 1)
            #expect(modules.first?["Id"] as? String == moduleId)
            #expect(modules.first?["Arn"] as? String == arn)
            #expect(modules.first?["Name"] as? String == "Greeting")
            #expect(modules.first?["State"] as? String == "ACTIVE")
            let archived = try Self.list(
                try await running.connect("GET", "/contact-flow-modules-summary/\(instance)?state=ARCHIVED"),
                "ContactFlowModulesSummaryList"
            )
            #expect(archived.isEmpty)
            Self.expectError(
                try await running.connect("GET", "/contact-flow-modules-summary/\(instance)?state=GONE"),
                400,
                "InvalidParameterException"
            )
            let flows = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/\(instance)"),
                "ContactFlowSummaryList"
            )
            #expect(flows.compactMap { $0["Id"] as? String } == [flowId])

            // A module is not a flow and a flow is not a module.
            Self.expectError(
                try await running.connect("GET", "/contact-flows/\(instance)/\(moduleId)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect(
                    "POST",
                    "/contact-flows/\(instance)/\(moduleId)/content",
                    ["Content": SampleFlows.inbound]
                ),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("GET", "/contact-flow-modules/\(instance)/\(flowId)"),
                404,
                "ResourceNotFoundException"
            )

            let path = "/contact-flow-modules/\(instance)"
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Bad", "Content": "nope"]),
                400,
                "InvalidContactFlowModuleException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "Main", "Content": SampleFlows.disconnect]),
                409,
                "DuplicateResourceException"
            )
            Self.expectError(
                try await running.connect(
                    "PUT",
                    path,
                    ["Name": "Described", "Description": "kept nowhere", "Content": SampleFlows.disconnect]
                ),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("PUT", path, ["Name": "No content"]),
                400,
                "SerializationException"
            )
            Self.expectError(
                try await running.connect("GET", "/contact-flow-modules/\(instance)/nope"),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    // MARK: - Hours of operation

    @Test func hoursOfOperationLifecycle() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let created = try await running.connect(
                "PUT",
                "/hours-of-operations/\(instance)",
                ["Name": "Office", "TimeZone": "America/New_York", "Config": Self.weekdays, "Tags": ["k": "v"]]
            )
            #expect(created.status == 200, "\(created.json)")
            let hoursId = try #require(created.json["HoursOfOperationId"] as? String)
            let arn = "\(Self.instanceARN(instance))/operating-hours/\(hoursId)"
            #expect(created.json["HoursOfOperationArn"] as? String == arn)

            let described = try await running.connect("GET", "/hours-of-operations/\(instance)/\(hoursId)")
            let hours = try #require(described.json["HoursOfOperation"] as? [String: Any], "\(described.json)")
            #expect(hours["HoursOfOperationId"] as? String == hoursId)
            #expect(hours["HoursOfOperationArn"] as? String == arn)
            #expect(hours["Name"] as? String == "Office")
            #expect(hours["TimeZone"] as? String == "America/New_York")
            #expect((hours["Tags"] as? [String: String]) == [:])
            #expect(hours["Description"] == nil)
            let config = try #require(hours["Config"] as? [[String: Any]])
            #expect(config.count == 2)
            #expect(config.first?["Day"] as? String == "MONDAY")
            #expect((config.first?["StartTime"] as? [String: Int]) == ["Hours": 9, "Minutes": 0])
            #expect((config.first?["EndTime"] as? [String: Int]) == ["Hours": 17, "Minutes": 30])
            #expect(config.last?["Day"] as? String == "TUESDAY")
            #expect((config.last?["StartTime"] as? [String: Int]) == ["Hours": 8, "Minutes": 15])
            #expect((config.last?["EndTime"] as? [String: Int]) == ["Hours": 0, "Minutes": 0])
            let byARN = try await running.connect("GET", "/hours-of-operations/\(instance)/\(Self.segment(arn))")
            #expect((byARN.json["HoursOfOperation"] as? [String: Any])?["Name"] as? String == "Office")

            let update = try await running.connect(
                "POST",
                "/hours-of-operations/\(instance)/\(hoursId)",
                [
                    "Name": "Front desk", "TimeZone": "Europe/Lisbon", "Description": "",
                    "Config": [
                        [
                            "Day": "SUNDAY", "StartTime": ["Hours": 10, "Minutes": 0],
                            "EndTime": ["Hours": 12, "Minutes": 0],
                        ]
                    ],
                ]
            )
            #expect(update.status == 200, "\(update.json)")
            let changed = try #require(
                try await running.connect("GET", "/hours-of-operations/\(instance)/\(hoursId)")
                    .json["HoursOfOperation"] as? [String: Any]
            )
            #expect(changed["Name"] as? String == "Front desk")
            #expect(changed["TimeZone"] as? String == "Europe/Lisbon")
            let sunday = try #require(changed["Config"] as? [[String: Any]])
            #expect(sunday.count == 1)
            #expect(sunday.first?["Day"] as? String == "SUNDAY")
            #expect((sunday.first?["EndTime"] as? [String: Int]) == ["Hours": 12, "Minutes": 0])

            // Only the name: the rest stays.
            let renamed = try await running.connect(
                "POST",
                "/hours-of-operations/\(instance)/\(hoursId)",
                ["Name": "Desk"]
            )
            #expect(renamed.status == 200)
            let kept = try #require(
                try await running.connect("GET", "/hours-of-operations/\(instance)/\(hoursId)")
                    .json["HoursOfOperation"] as? [String: Any]
            )
            #expect(kept["Name"] as? String == "Desk")
            #expect(kept["TimeZone"] as? String == "Europe/Lisbon")
            #expect((kept["Config"] as? [[String: Any]])?.count == 1)

            let deleted = try await running.connect("DELETE", "/hours-of-operations/\(instance)/\(hoursId)")
            #expect(deleted.status == 200, "\(deleted.json)")
            Self.expectError(
                try await running.connect("GET", "/hours-of-operations/\(instance)/\(hoursId)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("DELETE", "/hours-of-operations/\(instance)/\(hoursId)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("POST", "/hours-of-operations/\(instance)/\(hoursId)", ["Name": "X"]),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    @Test func hoursOfOperationListingAndRefusals() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let office = try await Self.createHours(running, instance, name: "Office")
            let always = try await Self.createHours(running, instance, name: "Always")
            let path = "/hours-of-operations/\(instance)"

            let listed = try await running.connect("GET", "/hours-of-operations-summary/\(instance)")
            let summaries = try Self.list(listed, "HoursOfOperationSummaryList")
            #expect(summaries.compactMap { $0["Id"] as? String } == [always, office])
            #expect(summaries.compactMap { $0["Name"] as? String } == ["Always", "Office"])
            #expect(summaries.first?["Arn"] as? String == "\(Self.instanceARN(instance))/operating-hours/\(always)")
            #expect(listed.json["NextToken"] == nil)
            let page = try await running.connect("GET", "/hours-of-operations-summary/\(instance)?maxResults=1")
            #expect(try Self.list(page, "HoursOfOperationSummaryList").count == 1)
            #expect(page.json["NextToken"] is String)

            func range(_ day: String, _ start: Int, _ end: Int, minutes: Int = 0) -> [[String: Any]] {
                [
                    [
                        "Day": day, "StartTime": ["Hours": start, "Minutes": minutes],
                        "EndTime": ["Hours": end, "Minutes": 0],
                    ]
                ]
            }
            let refusals: [(body: [String: Any], type: String)] = [
                (["Name": "Office", "TimeZone": "UTC", "Config": []], "DuplicateResourceException"),
                (["Name": "Zone", "TimeZone": "Mars/Olympus", "Config": []], "InvalidParameterException"),
                (["Name": "Day", "TimeZone": "UTC", "Config": range("FUNDAY", 9, 17)], "InvalidParameterException"),
                (["Name": "Hour", "TimeZone": "UTC", "Config": range("MONDAY", 24, 17)], "InvalidParameterException"),
                (
                    ["Name": "Min", "TimeZone": "UTC", "Config": range("MONDAY", 9, 17, minutes: 60)],
                    "InvalidParameterException"
                ),
                (["Name": "Back", "TimeZone": "UTC", "Config": range("MONDAY", 17, 9)], "InvalidParameterException"),
                (["Name": "", "TimeZone": "UTC", "Config": []], "InvalidParameterException"),
                (
                    [
                        "Name": "Text", "TimeZone": "UTC", "Config": [],
                        "Description": String(repeating: "x", count: 251),
                    ],
                    "InvalidParameterException"
                ),
                (
                    ["Name": "Parent", "TimeZone": "UTC", "Config": [], "ParentHoursOfOperationConfigs": []],
                    "InvalidParameterException"
                ),
                (["Name": "No zone", "Config": []], "SerializationException"),
                (["Name": "No config", "TimeZone": "UTC"], "SerializationException"),
                (["Name": "Half", "TimeZone": "UTC", "Config": [["Day": "MONDAY"]]], "SerializationException"),
            ]
            for refusal in refusals {
                let answer = try await running.connect("PUT", path, refusal.body)
                let status = refusal.type == "DuplicateResourceException" ? 409 : 400
                Self.expectError(answer, status, refusal.type, for: "\(refusal.body)")
            }
            // An hours of operation without ranges (always closed) is valid.
            #expect(
                try await running.connect("PUT", path, ["Name": "Closed", "TimeZone": "UTC", "Config": []]).status
                    == 200
            )

            let update = "/hours-of-operations/\(instance)/\(office)"
            Self.expectError(
                try await running.connect("POST", update, ["Name": "Always"]),
                409,
                "DuplicateResourceException"
            )
            // The description is kept, changed and cleared (an empty one).
            let described = "/hours-of-operations/\(instance)/\(office)"
            func officeDescription() async throws -> String? {
                let answer = try await running.connect("GET", described)
                return (answer.json["HoursOfOperation"] as? [String: Any])?["Description"] as? String
            }
            #expect(try await running.connect("POST", update, ["Description": "Front desk"]).status == 200)
            #expect(try await officeDescription() == "Front desk")
            #expect(try await running.connect("POST", update, ["Description": ""]).status == 200)
            #expect(try await officeDescription() == nil)
            Self.expectError(
                try await running.connect("POST", update, ["Description": String(repeating: "d", count: 251)]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", update, ["TimeZone": "Nowhere"]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", update, ["Config": range("MONDAY", 9, 30)]),
                400,
                "InvalidParameterException"
            )
            let names = try Self.list(
                try await running.connect("GET", "/hours-of-operations-summary/\(instance)"),
                "HoursOfOperationSummaryList"
            )
            #expect(names.compactMap { $0["Name"] as? String } == ["Always", "Closed", "Office"])
            Self.expectError(
                try await running.connect("GET", "/hours-of-operations-summary/unknown"),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    // MARK: - Queues

    @Test func queueLifecycle() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let office = try await Self.createHours(running, instance, name: "Office")
            let weekend = try await Self.createHours(running, instance, name: "Weekend")

            let created = try await running.connect(
                "PUT",
                "/queues/\(instance)",
                ["Name": "Support", "HoursOfOperationId": office, "MaxContacts": 5, "Tags": ["tier": "1"]]
            )
            #expect(created.status == 200, "\(created.json)")
            let queueId = try #require(created.json["QueueId"] as? String)
            let arn = "\(Self.instanceARN(instance))/queue/\(queueId)"
            #expect(created.json["QueueArn"] as? String == arn)
            #expect(created.headers["x-parley-position"] != nil)

            func describe() async throws -> [String: Any] {
                let answer = try await running.connect("GET", "/queues/\(instance)/\(queueId)")
                return try #require(answer.json["Queue"] as? [String: Any], "\(answer.status): \(answer.json)")
            }
            let queue = try await describe()
            #expect(queue["Name"] as? String == "Support")
            #expect(queue["QueueArn"] as? String == arn)
            #expect(queue["QueueId"] as? String == queueId)
            #expect(queue["HoursOfOperationId"] as? String == office)
            #expect(queue["MaxContacts"] as? Int == 5)
            #expect(queue["Status"] as? String == "ENABLED")
            #expect((queue["Tags"] as? [String: String]) == [:])
            #expect(queue["Description"] == nil)
            #expect(queue["OutboundCallerConfig"] == nil)
            let byARN = try await running.connect("GET", "/queues/\(instance)/\(Self.segment(arn))")
            #expect((byARN.json["Queue"] as? [String: Any])?["QueueId"] as? String == queueId)

            let base = "/queues/\(instance)/\(queueId)"
            #expect(try await running.connect("POST", "\(base)/status", ["Status": "DISABLED"]).status == 200)
            #expect(try await describe()["Status"] as? String == "DISABLED")
            #expect(try await running.connect("POST", "\(base)/status", ["Status": "ENABLED"]).status == 200)
            #expect(try await describe()["Status"] as? String == "ENABLED")
            Self.expectError(
                try await running.connect("POST", "\(base)/status", ["Status": "PAUSED"]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(try await running.connect("POST", "\(base)/status", [:]), 400, "SerializationException")

            #expect(try await running.connect("POST", "\(base)/max-contacts", ["MaxContacts": 12]).status == 200)
            #expect(try await describe()["MaxContacts"] as? Int == 12)
            #expect(try await running.connect("POST", "\(base)/max-contacts", [:]).status == 200)
            #expect(try await describe()["MaxContacts"] == nil)
            Self.expectError(
                try await running.connect("POST", "\(base)/max-contacts", ["MaxContacts": -1]),
                400,
                "InvalidParameterException"
            )
            Self.expectError(
                try await running.connect("POST", "\(base)/max-contacts", ["MaxContacts": "many"]),
                400,
                "SerializationException"
            )

            #expect(try await running.connect("POST", "\(base)/name", ["Name": "Help desk"]).status == 200)
            #expect(try await describe()["Name"] as? String == "Help desk")
            #expect(
                try await running.connect("POST", "\(base)/name", ["Name": "Help desk 2", "Description": "d"]).status
                    == 200
            )
            #expect(try await describe()["Name"] as? String == "Help desk 2")
            #expect(try await describe()["Description"] as? String == "d")
            #expect(try await running.connect("POST", "\(base)/name", ["Description": ""]).status == 200)
            #expect(try await describe()["Description"] == nil)
            #expect(try await running.connect("POST", "\(base)/name", ["Name": "Help desk"]).status == 200)
            #expect(try await describe()["Name"] as? String == "Help desk")

            #expect(
                try await running.connect("POST", "\(base)/hours-of-operation", ["HoursOfOperationId": weekend])
                    .status == 200
            )
            #expect(try await describe()["HoursOfOperationId"] as? String == weekend)
            let officeARN = "\(Self.instanceARN(instance))/operating-hours/\(office)"
            #expect(
                try await running.connect("POST", "\(base)/hours-of-operation", ["HoursOfOperationId": officeARN])
                    .status == 200
            )
            #expect(try await describe()["HoursOfOperationId"] as? String == office)
            Self.expectError(
                try await running.connect("POST", "\(base)/hours-of-operation", ["HoursOfOperationId": "nope"]),
                404,
                "ResourceNotFoundException"
            )

            // Hours a queue uses cannot be deleted; once the queue is gone they can.
            Self.expectError(
                try await running.connect("DELETE", "/hours-of-operations/\(instance)/\(office)"),
                409,
                "ResourceInUseException"
            )
            let deleted = try await running.connect("DELETE", base)
            #expect(deleted.status == 200, "\(deleted.json)")
            Self.expectError(try await running.connect("GET", base), 404, "ResourceNotFoundException")
            Self.expectError(try await running.connect("DELETE", base), 404, "ResourceNotFoundException")
            for (suffix, body) in [
                ("status", ["Status": "ENABLED"]), ("max-contacts", ["MaxContacts": 1]), ("name", ["Name": "N"]),
                ("hours-of-operation", ["HoursOfOperationId": weekend]),
            ] as [(String, [String: Any])] {
                Self.expectError(
                    try await running.connect("POST", "\(base)/\(suffix)", body),
                    404,
                    "ResourceNotFoundException"
                )
            }
            #expect(try await running.connect("DELETE", "/hours-of-operations/\(instance)/\(office)").status == 200)
        }
    }

    @Test func queueRefusalsCreateNothing() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let hours = try await Self.createHours(running, instance, name: "Office")
            let support = try await Self.createQueue(running, instance, name: "Support", hours: hours)
            let path = "/queues/\(instance)"
            let refusals: [(body: [String: Any], status: Int, type: String)] = [
                (["Name": "Support", "HoursOfOperationId": hours], 409, "DuplicateResourceException"),
                (["Name": "Sales", "HoursOfOperationId": "no-such-hours"], 404, "ResourceNotFoundException"),
                (
                    ["Name": "Sales", "HoursOfOperationId": "\(Self.instanceARN("other"))/operating-hours/\(hours)"],
                    404, "ResourceNotFoundException"
                ),
                (["Name": "Sales"], 400, "SerializationException"),
                (["HoursOfOperationId": hours], 400, "SerializationException"),
                (["Name": "Sales", "HoursOfOperationId": hours, "MaxContacts": 1.5], 400, "SerializationException"),
                (["Name": "", "HoursOfOperationId": hours], 400, "InvalidParameterException"),
                (["Name": "Sales", "HoursOfOperationId": hours, "MaxContacts": -3], 400, "InvalidParameterException"),
                (
                    ["Name": "Sales", "HoursOfOperationId": hours, "Description": String(repeating: "d", count: 251)],
                    400, "InvalidParameterException"
                ),
                (
                    ["Name": "Sales", "HoursOfOperationId": hours, "QuickConnectIds": ["q"]], 400,
                    "InvalidParameterException"
                ),
                (
                    ["Name": "Sales", "HoursOfOperationId": hours, "OutboundCallerConfig": ["OutboundFlowId": "f"]],
                    400, "InvalidParameterException"
                ),
            ]
            for refusal in refusals {
                let answer = try await running.connect("PUT", path, refusal.body)
                Self.expectError(answer, refusal.status, refusal.type, for: "\(refusal.body)")
            }
            let queues = try Self.list(
                try await running.connect("GET", "/queues-summary/\(instance)"),
                "QueueSummaryList"
            )
            #expect(queues.compactMap { $0["Id"] as? String } == [support])

            let other = try await Self.createQueue(running, instance, name: "Sales", hours: hours)
            Self.expectError(
                try await running.connect("POST", "/queues/\(instance)/\(other)/name", ["Name": "Support"]),
                409,
                "DuplicateResourceException"
            )
            Self.expectError(
                try await running.connect("GET", "/queues/\(instance)/no-such-queue"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect(
                    "PUT",
                    "/queues/no-such-instance",
                    ["Name": "X", "HoursOfOperationId": hours]
                ),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    @Test func queuesAreListedByNameWithTypeFiltersAndPaging() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let hours = try await Self.createHours(running, instance, name: "Office")
            var ids: [String] = []
            for name in ["Delta", "alpha", "Bravo"] {
                ids.append(try await Self.createQueue(running, instance, name: name, hours: hours, maxContacts: 3))
            }
            let listed = try await running.connect("GET", "/queues-summary/\(instance)")
            let all = try Self.list(listed, "QueueSummaryList")
            #expect(all.compactMap { $0["Name"] as? String } == ["Bravo", "Delta", "alpha"])
            #expect(all.compactMap { $0["Id"] as? String } == [ids[2], ids[0], ids[1]])
            #expect(all.allSatisfy { $0["QueueType"] as? String == "STANDARD" })
            #expect(all.first?["Arn"] as? String == "\(Self.instanceARN(instance))/queue/\(ids[2])")
            #expect(listed.json["NextToken"] == nil)

            let standard = try Self.list(
                try await running.connect("GET", "/queues-summary/\(instance)?queueTypes=STANDARD"),
                "QueueSummaryList"
            )
            #expect(standard.count == 3)
            let agents = try Self.list(
                try await running.connect("GET", "/queues-summary/\(instance)?queueTypes=AGENT"),
                "QueueSummaryList"
            )
            #expect(agents.isEmpty)
            Self.expectError(
                try await running.connect("GET", "/queues-summary/\(instance)?queueTypes=VIP"),
                400,
                "InvalidParameterException"
            )

            var seen: [String] = []
            var query = "maxResults=2"
            for _ in 0..<3 {
                let page = try await running.connect("GET", "/queues-summary/\(instance)?\(query)")
                let items = try Self.list(page, "QueueSummaryList")
                #expect(items.count <= 2)
                seen += items.compactMap { $0["Name"] as? String }
                guard let token = page.json["NextToken"] as? String else { break }
                query =
                    "maxResults=2&nextToken=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }
            #expect(seen == ["Bravo", "Delta", "alpha"])
        }
    }

    // MARK: - Instances

    @Test func anInstanceARNWorksInPlaceOfItsId() async throws {
        try await Self.withServer { running in
            let instance = try await running.createInstance()
            let arn = Self.segment(Self.instanceARN(instance))
            let hours = try await running.connect(
                "PUT",
                "/hours-of-operations/\(arn)",
                ["Name": "Office", "TimeZone": "UTC", "Config": Self.weekdays]
            )
            let hoursId = try #require(hours.json["HoursOfOperationId"] as? String, "\(hours.status): \(hours.json)")
            let queue = try await running.connect(
                "PUT",
                "/queues/\(arn)",
                ["Name": "Q", "HoursOfOperationId": hoursId]
            )
            let queueId = try #require(queue.json["QueueId"] as? String, "\(queue.json)")
            #expect(queue.json["QueueArn"] as? String == "\(Self.instanceARN(instance))/queue/\(queueId)")
            let flow = try await running.connect(
                "PUT",
                "/contact-flows/\(arn)",
                ["Name": "F", "Type": "CONTACT_FLOW", "Content": SampleFlows.disconnect]
            )
            let flowId = try #require(flow.json["ContactFlowId"] as? String, "\(flow.json)")

            // Read back by id and by ARN alike.
            for name in [instance, arn] {
                let queues = try Self.list(
                    try await running.connect("GET", "/queues-summary/\(name)"),
                    "QueueSummaryList"
                )
                #expect(queues.compactMap { $0["Id"] as? String } == [queueId])
                let described = try await running.connect("GET", "/contact-flows/\(name)/\(flowId)")
                #expect((described.json["ContactFlow"] as? [String: Any])?["Name"] as? String == "F")
                let hoursList = try Self.list(
                    try await running.connect("GET", "/hours-of-operations-summary/\(name)"),
                    "HoursOfOperationSummaryList"
                )
                #expect(hoursList.compactMap { $0["Id"] as? String } == [hoursId])
            }
            let unknown = Self.segment(Self.instanceARN("00000000-0000-0000-0000-000000000000"))
            Self.expectError(
                try await running.connect("GET", "/queues-summary/\(unknown)"),
                404,
                "ResourceNotFoundException"
            )
        }
    }

    @Test func resourcesOfOneInstanceAreInvisibleToAnother() async throws {
        try await Self.withServer { running in
            let first = try await running.createInstance(alias: "first")
            let second = try await running.createInstance(alias: "second")
            let hours = try await Self.createHours(running, first, name: "Office")
            let queue = try await Self.createQueue(running, first, name: "Support", hours: hours)
            let flow = try await running.connect(
                "PUT",
                "/contact-flows/\(first)",
                ["Name": "Main", "Type": "CONTACT_FLOW", "Content": SampleFlows.disconnect]
            )
            let flowId = try #require(flow.json["ContactFlowId"] as? String)

            #expect(
                try Self.list(try await running.connect("GET", "/queues-summary/\(second)"), "QueueSummaryList")
                    .isEmpty
            )
            #expect(
                try Self.list(
                    try await running.connect("GET", "/contact-flows-summary/\(second)"),
                    "ContactFlowSummaryList"
                ).isEmpty
            )
            #expect(
                try Self.list(
                    try await running.connect("GET", "/hours-of-operations-summary/\(second)"),
                    "HoursOfOperationSummaryList"
                ).isEmpty
            )
            Self.expectError(
                try await running.connect("GET", "/queues/\(second)/\(queue)"),
                404,
                "ResourceNotFoundException"
            )
            let firstQueueARN = Self.segment("\(Self.instanceARN(first))/queue/\(queue)")
            Self.expectError(
                try await running.connect("GET", "/queues/\(second)/\(firstQueueARN)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("GET", "/contact-flows/\(second)/\(flowId)"),
                404,
                "ResourceNotFoundException"
            )
            Self.expectError(
                try await running.connect("DELETE", "/queues/\(second)/\(queue)"),
                404,
                "ResourceNotFoundException"
            )
            // The first instance's hours cannot be used by the second one's queues.
            Self.expectError(
                try await running.connect(
                    "PUT",
                    "/queues/\(second)",
                    ["Name": "Support", "HoursOfOperationId": hours]
                ),
                404,
                "ResourceNotFoundException"
            )
            // Names are per instance.
            let secondHours = try await Self.createHours(running, second, name: "Office")
            let secondQueue = try await Self.createQueue(running, second, name: "Support", hours: secondHours)
            #expect(secondQueue != queue)
            let firstQueues = try Self.list(
                try await running.connect("GET", "/queues-summary/\(first)"),
                "QueueSummaryList"
            )
            #expect(firstQueues.compactMap { $0["Id"] as? String } == [queue])
        }
    }

    @Test func theSeededInstanceListsItsSampleFlowsAndAgentQueues() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 0)
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
        do {
            _ = try await engine.submit(
                .createRoutingProfile(
                    instanceId: "test-instance",
                    routingProfileId: "basic",
                    name: "Basic",
                    chatConcurrency: 2,
                    routeAnyChannel: false,
                    queueConfigs: [RoutingQueueConfig(queueId: SampleFlows.queueId, priority: 1, delaySeconds: 0)],
                    defaultOutboundQueueId: SampleFlows.queueId
                )
            )
            .get()
            for user in ["zoe", "ana"] {
                _ = try await engine.submit(
                    .createUser(
                        instanceId: "test-instance",
                        userId: "user-\(user)",
                        username: user,
                        routingProfileId: "basic",
                        autoAccept: false,
                        afterContactWorkSeconds: 0
                    )
                )
                .get()
            }
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()

        try await Self.withServer(directory) { running in
            let queues = try Self.list(
                try await running.connect("GET", "/queues-summary/test-instance"),
                "QueueSummaryList"
            )
            #expect(
                queues.compactMap { $0["Id"] as? String } == [SampleFlows.queueId, "agent/user-ana", "agent/user-zoe"]
            )
            #expect(queues.compactMap { $0["QueueType"] as? String } == ["STANDARD", "AGENT", "AGENT"])
            #expect(queues.compactMap { $0["Name"] as? String } == ["Support"])
            #expect(queues.last?["Arn"] as? String == "\(Self.instanceARN("test-instance"))/queue/agent/user-zoe")
            let agents = try Self.list(
                try await running.connect("GET", "/queues-summary/test-instance?queueTypes=AGENT&maxResults=1"),
                "QueueSummaryList"
            )
            #expect(agents.compactMap { $0["Id"] as? String } == ["agent/user-ana"])
            let standard = try Self.list(
                try await running.connect("GET", "/queues-summary/test-instance?queueTypes=STANDARD"),
                "QueueSummaryList"
            )
            #expect(standard.compactMap { $0["Id"] as? String } == [SampleFlows.queueId])

            // The sample queue has no hours and no limit until they are set.
            let support = try #require(
                try await running.connect("GET", "/queues/test-instance/\(SampleFlows.queueId)").json["Queue"]
                    as? [String: Any]
            )
            #expect(support["HoursOfOperationId"] == nil)
            #expect(support["MaxContacts"] == nil)
            #expect(support["Name"] as? String == "Support")
            // A queue a routing profile takes cannot be deleted.
            Self.expectError(
                try await running.connect("DELETE", "/queues/test-instance/\(SampleFlows.queueId)"),
                409,
                "ResourceInUseException"
            )

            let flows = try Self.list(
                try await running.connect("GET", "/contact-flows-summary/test-instance"),
                "ContactFlowSummaryList"
            )
            #expect(
                flows.compactMap { $0["Id"] as? String } == [SampleFlows.disconnectId, SampleFlows.inboundId]
            )
            let inbound = try #require(
                try await running.connect("GET", "/contact-flows/test-instance/\(SampleFlows.inboundId)")
                    .json["ContactFlow"] as? [String: Any]
            )
            #expect(inbound["Content"] as? String == SampleFlows.inbound)
            #expect(inbound["Description"] as? String == "Greets, sets the disconnect flow and queues the chat")
        }
    }
}

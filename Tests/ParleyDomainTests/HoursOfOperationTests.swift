import ParleyDomain
import Testing

/// Hours-of-operation resources (time zones, weekly ranges) and the CheckHoursOfOperation block.
@Suite struct HoursOfOperationTests {
    /// A CheckHoursOfOperation block `a` (with `parameters`) whose True, False and Error branches say so and end.
    static func checkFlow(_ parameters: String = "{}", before: String? = nil) -> String {
        let check =
            "{\"Identifier\":\"a\",\"Type\":\"CheckHoursOfOperation\",\"Parameters\":\(parameters),"
            + "\"Transitions\":{\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"error\"}],"
            + "\"Conditions\":["
            + "{\"NextAction\":\"open\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"True\"]}},"
            + "{\"NextAction\":\"closed\",\"Condition\":{\"Operator\":\"Equals\",\"Operands\":[\"False\"]}}]}}"
        let actions = [
            before, check, FlowActionTests.message("open", "In hours", next: "end"),
            FlowActionTests.message("closed", "Out of hours", next: "end"),
            FlowActionTests.message("error", "Hours error", next: "end"), FlowActionTests.end,
        ]
        return FlowActionTests.flow(actions.compactMap(\.self).joined(separator: ","), start: before == nil ? "a" : "q")
    }

    /// An UpdateContactTargetQueue block `q` that sets `parameter` (`QueueId` / `AgentId`) and goes on to `a`.
    static func setQueue(_ parameter: String, _ value: String) -> String {
        "{\"Identifier\":\"q\",\"Type\":\"UpdateContactTargetQueue\",\"Parameters\":{\"\(parameter)\":\"\(value)\"},"
            + "\"Transitions\":{\"NextAction\":\"a\",\"Errors\":[{\"ErrorType\":\"NoMatchingError\",\"NextAction\":\"end\"}]}}"
    }

    /// Publishes `content` as flow `flowId`.
    static func publish(_ content: String, as flowId: String, _ harness: inout ChatHarness) throws {
        _ = try harness.must(
            .createContactFlow(
                instanceId: ChatHarness.instanceId,
                flowId: flowId,
                name: "Hours \(flowId)",
                type: "CONTACT_FLOW",
                description: "",
                content: content
            )
        )
    }

    /// Creates hours of operation that must be accepted.
    static func create(
        _ hoursId: String,
        _ timeZone: String,
        _ config: [HoursRange],
        _ harness: inout ChatHarness
    ) throws {
        let reply = try harness.must(
            .createHoursOfOperation(
                instanceId: ChatHarness.instanceId,
                hoursId: hoursId,
                name: "Hours \(hoursId)",
                timeZone: timeZone,
                config: config
            )
        )
        #expect(reply == .hoursOfOperationCreated(hoursId: hoursId))
    }

    /// Starts a chat through `flowId` at `time` and returns the CheckHoursOfOperation step and the flow's message.
    static func check(
        at time: String,
        flow flowId: String,
        attributes: [String: String] = [:],
        _ harness: inout ChatHarness
    ) throws -> (step: FlowStepped, message: String?) {
        harness.now = instant(time)
        let contactId = try harness.startChat(
            ChatHarness.request {
                $0.contactFlowId = flowId
                $0.attributes = attributes
            }
        ).contactId
        let steps = harness.log.compactMap { entry -> FlowStepped? in
            guard case .flowStepped(let step) = entry.event, step.contactId == contactId, step.action == "a" else {
                return nil
            }
            return step
        }
        let step = try #require(steps.first)
        #expect(steps.count == 1)
        let messages = try FlowActionTests.systemMessages(harness, contactId)
        return (step, messages.last)
    }

    /// Every day of the week from 00:00 to midnight.
    static let allWeek = HoursOfOperation.days.map { HoursRange($0, 0, 0, 0, 0) }

    @Test(arguments: [
        // Monday 2026-03-02: 09:00–17:00, start inclusive, end exclusive.
        ("2026-03-02T08:59:59Z", "False"),
        ("2026-03-02T09:00:00Z", "True"),
        ("2026-03-02T12:30:00Z", "True"),
        ("2026-03-02T16:59:59Z", "True"),
        ("2026-03-02T17:00:00Z", "False"),
        // Wednesday has two overlapping ranges.
        ("2026-03-04T12:45:00Z", "True"),
        ("2026-03-04T19:59:00Z", "True"),
        ("2026-03-04T20:00:00Z", "False"),
        // Saturday 10:00–14:00.
        ("2026-03-07T09:59:00Z", "False"),
        ("2026-03-07T10:00:00Z", "True"),
        ("2026-03-07T14:00:00Z", "False"),
        // No Sunday ranges.
        ("2026-03-08T12:00:00Z", "False"),
    ])
    func aWeeklyScheduleInUTC(time: String, expected: String) throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        var config = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"].map { HoursRange($0, 9, 0, 17, 0) }
        config.append(HoursRange("WEDNESDAY", 12, 0, 20, 0))
        config.append(HoursRange("SATURDAY", 10, 0, 14, 0))
        try Self.create("office", "UTC", config, &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"office"}"#), as: "check", &harness)
        let (step, message) = try Self.check(at: time, flow: "check", &harness)
        #expect(step.result == expected)
        #expect(step.branch == "Condition")
        #expect(step.next == (expected == "True" ? "open" : "closed"))
        #expect(step.recorded["hours.result"] == expected)
        #expect(step.recorded["hours.id"] == "office")
        #expect(message == (expected == "True" ? "In hours" : "Out of hours"))
        let hours = try #require(harness.state.hoursOfOperations["office"])
        #expect(hours.isOpen(at: instant(time)) == (expected == "True"))
        #expect(try harness.replayMatches())
    }

    @Test func newYorkHoursFollowDaylightSavingTime() throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        var config = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"].map {
            HoursRange($0, 9, 0, 17, 0)
        }
        config.append(HoursRange("SUNDAY", 1, 0, 4, 0))
        config.append(HoursRange("SUNDAY", 20, 0, 0, 0))
        try Self.create("ny", "America/New_York", config, &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"ny"}"#), as: "check", &harness)

        // (UTC instant, result, local time recorded on the step), in time order.
        let cases: [(String, String, String)] = [
            // Saturday before the switch: EST, UTC−5.
            ("2026-03-07T13:59:00Z", "False", "2026-03-07T08:59:00-05:00 SATURDAY"),
            ("2026-03-07T14:00:00Z", "True", "2026-03-07T09:00:00-05:00 SATURDAY"),
            // Sunday 2026-03-08: 02:00 EST becomes 03:00 EDT.
            ("2026-03-08T06:30:00Z", "True", "2026-03-08T01:30:00-05:00 SUNDAY"),
            ("2026-03-08T07:30:00Z", "True", "2026-03-08T03:30:00-04:00 SUNDAY"),
            ("2026-03-08T08:00:00Z", "False", "2026-03-08T04:00:00-04:00 SUNDAY"),
            // 12:59 UTC would be 07:59 in EST; in EDT it is 08:59, and 13:00 UTC is 09:00.
            ("2026-03-08T12:59:00Z", "False", "2026-03-08T08:59:00-04:00 SUNDAY"),
            ("2026-03-08T13:00:00Z", "True", "2026-03-08T09:00:00-04:00 SUNDAY"),
            ("2026-03-08T21:00:00Z", "False", "2026-03-08T17:00:00-04:00 SUNDAY"),
            // Monday 02:00 UTC is still Sunday 22:00 in New York: the range to midnight holds.
            ("2026-03-09T02:00:00Z", "True", "2026-03-08T22:00:00-04:00 SUNDAY"),
            ("2026-03-09T04:00:00Z", "False", "2026-03-09T00:00:00-04:00 MONDAY"),
            // Sunday 2026-11-01: back to EST.
            ("2026-11-01T13:30:00Z", "False", "2026-11-01T08:30:00-05:00 SUNDAY"),
            ("2026-11-01T14:00:00Z", "True", "2026-11-01T09:00:00-05:00 SUNDAY"),
        ]
        for (time, expected, local) in cases {
            let (step, _) = try Self.check(at: time, flow: "check", &harness)
            #expect(step.result == expected, "\(time)")
            #expect(step.recorded["hours.localTime"] == local, "\(time)")
            #expect(step.recorded["hours.timeZone"] == "America/New_York")
        }
        #expect(try harness.replayMatches())
    }

    @Test func rangesEndingAtMidnight() throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        let config = [
            HoursRange("THURSDAY", 18, 0, 0, 0),
            HoursRange("FRIDAY", 18, 0, 0, 0),
            HoursRange("SATURDAY", 0, 0, 0, 0),
            HoursRange("SUNDAY", 0, 0, 6, 0),
        ]
        try Self.create("nights", "Europe/Berlin", config, &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"nights"}"#), as: "check", &harness)
        // Berlin is UTC+1 in early March.
        let cases: [(String, String)] = [
            ("2026-03-05T16:59:00Z", "False"),  // Thursday 17:59
            ("2026-03-05T17:00:00Z", "True"),  // Thursday 18:00
            ("2026-03-05T22:59:59Z", "True"),  // Thursday 23:59:59
            ("2026-03-05T23:00:00Z", "False"),  // Friday 00:00: Thursday's range ended at midnight
            ("2026-03-06T16:59:00Z", "False"),  // Friday 17:59
            ("2026-03-06T22:59:59Z", "True"),  // Friday 23:59:59
            ("2026-03-06T23:00:00Z", "True"),  // Saturday 00:00 (all day)
            ("2026-03-07T22:59:00Z", "True"),  // Saturday 23:59
            ("2026-03-07T23:00:00Z", "True"),  // Sunday 00:00
            ("2026-03-08T04:59:00Z", "True"),  // Sunday 05:59
            ("2026-03-08T05:00:00Z", "False"),  // Sunday 06:00
        ]
        for (time, expected) in cases {
            let (step, _) = try Self.check(at: time, flow: "check", &harness)
            #expect(step.result == expected, "\(time): \(step.recorded["hours.localTime"] ?? "")")
        }
        #expect(try harness.replayMatches())
    }

    @Test func queueHoursExplicitIdARNSuffixAndJSONPath() throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        try Self.create("open-hours", "Asia/Tokyo", Self.allWeek, &harness)
        try Self.create("closed-hours", "Asia/Tokyo", [], &harness)
        _ = try harness.must(
            .updateQueueHoursOfOperation(
                instanceId: ChatHarness.instanceId,
                queueId: ChatHarness.queueId,
                hoursId: "closed-hours"
            )
        )
        #expect(harness.state.queues[ChatHarness.queueId]?.hoursOfOperationId == "closed-hours")
        let arn = "arn:aws:connect:us-east-1:123456789012:instance/abc/operating-hours/open-hours"
        try Self.publish(Self.checkFlow(before: Self.setQueue("QueueId", ChatHarness.queueId)), as: "queue", &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"open-hours"}"#), as: "id", &harness)
        try Self.publish(Self.checkFlow("{\"HoursOfOperationId\":\"\(arn)\"}"), as: "arn", &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"$.Attributes.hours"}"#), as: "path", &harness)

        let byQueue = try Self.check(at: "2026-03-02T10:00:00Z", flow: "queue", &harness)
        #expect(byQueue.step.result == "False")
        #expect(byQueue.step.recorded["hours.id"] == "closed-hours")
        #expect(byQueue.message == "Out of hours")
        let byId = try Self.check(at: "2026-03-02T10:01:00Z", flow: "id", &harness)
        #expect(byId.step.result == "True")
        #expect(byId.step.recorded["hours.id"] == "open-hours")
        #expect(byId.step.recorded["hours.localTime"] == "2026-03-02T19:01:00+09:00 MONDAY")
        let byARN = try Self.check(at: "2026-03-02T10:02:00Z", flow: "arn", &harness)
        #expect(byARN.step.result == "True")
        #expect(byARN.step.recorded["hours.id"] == "open-hours")
        let byPath = try Self.check(
            at: "2026-03-02T10:03:00Z",
            flow: "path",
            attributes: ["hours": "closed-hours"],
            &harness
        )
        #expect(byPath.step.result == "False")

        // The queue now uses the open hours; setting them again writes nothing.
        let command = ChatCommand.updateQueueHoursOfOperation(
            instanceId: ChatHarness.instanceId,
            queueId: "arn:aws:connect:us-east-1:123456789012:instance/abc/queue/\(ChatHarness.queueId)",
            hoursId: arn
        )
        _ = try harness.must(command)
        #expect(try harness.mustWriteNothing(command) == .done)
        let reopened = try Self.check(at: "2026-03-02T10:04:00Z", flow: "queue", &harness)
        #expect(reopened.step.result == "True")
        #expect(reopened.message == "In hours")
        #expect(try harness.replayMatches())
    }

    @Test func missingHoursTakeTheErrorBranchWithAReason() throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        try Self.create("open-hours", "UTC", Self.allWeek, &harness)
        _ = try harness.must(
            .createQueue(instanceId: ChatHarness.instanceId, queueId: "no-hours", name: "No hours", maxContacts: 0)
        )
        try Self.publish(Self.checkFlow(before: Self.setQueue("AgentId", "agent-sam")), as: "agent", &harness)
        try Self.publish(Self.checkFlow(before: Self.setQueue("QueueId", "no-hours")), as: "bare", &harness)
        try Self.publish(Self.checkFlow(), as: "none", &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"nope"}"#), as: "unknown", &harness)
        try Self.publish(Self.checkFlow(#"{"HoursOfOperationId":"$.Attributes.missing"}"#), as: "empty", &harness)

        let cases: [(String, String)] = [
            ("agent", "agent queue"),
            ("bare", "has no hours of operation"),
            ("none", "no working queue"),
            ("unknown", "hours of operation nope do not exist"),
            ("empty", "has no value"),
        ]
        for (index, (flow, reason)) in cases.enumerated() {
            let (step, message) = try Self.check(at: "2026-03-02T10:0\(index):00Z", flow: flow, &harness)
            #expect(step.branch == "Error:NoMatchingError", "\(flow)")
            #expect(step.next == "error", "\(flow)")
            #expect(step.result == nil, "\(flow)")
            #expect(step.recorded["reason"]?.contains(reason) == true, "\(flow): \(step.recorded)")
            #expect(message == "Hours error", "\(flow)")
        }
        #expect(try harness.replayMatches())
    }

    @Test func invalidHoursAreRejectedAndWriteNothing() throws {
        var harness = ChatHarness(start: instant("2026-03-01T00:00:00Z"))
        func create(
            _ timeZone: String = "UTC",
            _ config: [HoursRange] = [HoursRange("MONDAY", 9, 0, 17, 0)],
            name: String = "Office",
            id: String? = nil,
            instance: String = ChatHarness.instanceId
        ) -> ChatCommand {
            .createHoursOfOperation(instanceId: instance, hoursId: id, name: name, timeZone: timeZone, config: config)
        }
        for zone in ["Mars/Olympus_Mons", "", "GMT+5", "america/new_york", "Not a zone"] {
            let error = harness.expectRejected(create(zone), "InvalidParameterException", 400)
            #expect(error?.message.contains("TimeZone") == true, "\(zone)")
        }
        let badRanges: [(HoursRange, String)] = [
            (HoursRange("MONDAY", 24, 0, 0, 0), "StartTime.Hours must be 0–23"),
            (HoursRange("MONDAY", 9, 0, 17, 60), "EndTime.Minutes must be 0–59"),
            (HoursRange("MONDAY", -1, 0, 17, 0), "StartTime.Hours"),
            (HoursRange("MONDAY", 9, -5, 17, 0), "StartTime.Minutes"),
            (HoursRange("MONDAY", 17, 0, 9, 0), "must be after StartTime"),
            (HoursRange("MONDAY", 9, 0, 9, 0), "must be after StartTime"),
            (HoursRange("FUNDAY", 9, 0, 17, 0), "Day must be one of SUNDAY"),
            (HoursRange("monday", 9, 0, 17, 0), "Day must be one of"),
        ]
        for (range, message) in badRanges {
            let error = harness.expectRejected(
                create("UTC", [HoursRange("TUESDAY", 9, 0, 17, 0), range]),
                "InvalidParameterException",
                400
            )
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("Config[1]") == true)
        }
        harness.expectRejected(create(name: ""), "InvalidParameterException", 400)
        harness.expectRejected(create(id: "a/b"), "InvalidParameterException", 400)
        harness.expectRejected(
            create("UTC", Array(repeating: HoursRange("MONDAY", 9, 0, 17, 0), count: 101)),
            "InvalidParameterException",
            400
        )
        harness.expectRejected(create(instance: "elsewhere"), "ResourceNotFoundException", 404)
        #expect(harness.state.hoursOfOperations.isEmpty)

        // Overlaps, whole days and an empty schedule are fine; names and ids are unique.
        let overlapping = [HoursRange("MONDAY", 9, 0, 17, 0), HoursRange("MONDAY", 12, 0, 0, 0), Self.allWeek[1]]
        _ = try harness.must(create("America/New_York", overlapping, id: "office"))
        _ = try harness.must(create("Etc/UTC", [], name: "Never", id: "never"))
        harness.expectRejected(create(name: "Office"), "DuplicateResourceException", 409)
        harness.expectRejected(create(name: "Other", id: "office"), "DuplicateResourceException", 409)

        // Attaching hours needs the queue and the hours to exist.
        let missingQueue = harness.expectRejected(
            .updateQueueHoursOfOperation(instanceId: ChatHarness.instanceId, queueId: "nowhere", hoursId: "office"),
            "ResourceNotFoundException",
            404
        )
        #expect(missingQueue?.resourceType == "QUEUE")
        let missingHours = harness.expectRejected(
            .updateQueueHoursOfOperation(
                instanceId: ChatHarness.instanceId,
                queueId: ChatHarness.queueId,
                hoursId: "nope"
            ),
            "ResourceNotFoundException",
            404
        )
        #expect(missingHours?.resourceType == "HOURS_OF_OPERATION")
        #expect(harness.state.queues[ChatHarness.queueId]?.hoursOfOperationId == nil)
        #expect(ChatEventCatalogue.name(ofTag: 0x0138) == "HoursOfOperationCreated")
        #expect(ChatEventCatalogue.name(ofTag: 0x0139) == "QueueHoursOfOperationUpdated")
        let described = try ChatQueries.describeHoursOfOperation(
            instanceId: ChatHarness.instanceId,
            hoursId: "arn:aws:connect:us-east-1:1:instance/abc/operating-hours/office",
            in: harness.state
        )
        #expect(described.timeZone == "America/New_York")
        #expect(described.config == overlapping)
        #expect(try harness.replayMatches())
    }
}

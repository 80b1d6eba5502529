import EventLog
import Foundation
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

/// Contact trace records, metrics and projection administration over the query socket of a real server.
@Suite struct RecordsAPITests {
    /// The ready phases and sources of the projections, after waiting for rebuilds.
    func projections(_ running: RunningServer) async throws -> [[String: Any]] {
        let response = try await running.query("/v1/projections?wait=true")
        #expect(response.status == 200)
        return try #require(try object(response.body)["projections"] as? [[String: Any]])
    }

    func lines(_ body: [UInt8]) throws -> [[String: Any]] {
        try String(decoding: body, as: UTF8.self).split(separator: "\n").map { try object(Array($0.utf8)) }
    }

    @Test func projectionsMissingFromTheCheckpointAreRebuiltAtStartAndServed() async throws {
        let directory = TemporaryDirectory()
        // `seed` opens an engine without projections: its checkpoint holds only the chat state.
        let contacts = try await seed(directory, chats: 2)
        let running = try await RunningServer.start(in: directory)
        let status = try await projections(running)
        #expect(status.map { $0["key"] as? String } == ["contact-records@3", "metrics@1", "metrics@2"])
        #expect(status.allSatisfy { $0["phase"] as? String == "ready" && $0["source"] as? String == "rebuild" })

        // Both chats wait in the queue: their records are open, none completed.
        let open = try await running.query("/v1/ctrs?includeOpen=true")
        #expect(open.status == 200)
        #expect(open.header("content-type") == "application/x-ndjson")
        let records = try lines(open.body)
        #expect(Set(records.compactMap { $0["ContactId"] as? String }) == Set(contacts.map(\.description)))
        #expect(records.allSatisfy { $0["InitiationMethod"] as? String == "API" && $0["Channel"] as? String == "CHAT" })
        #expect(try lines(try await running.query("/v1/ctrs").body).isEmpty)

        let one = try await running.query("/v1/ctrs/\(contacts[0])")
        #expect(one.status == 200)
        #expect(try object(one.body)["ContactId"] as? String == contacts[0].description)
        let missing = try await running.query("/v1/ctrs/\(Identifier(high: 1, low: 2))")
        #expect(missing.status == 404)
        #expect(missing.header("x-amzn-errortype") == "ResourceNotFoundException")
        #expect(try await running.query("/v1/ctrs?from=yesterday").status == 400)

        let current = try await running.query(
            "/v1/metrics/current",
            method: "POST",
            body: """
                {"Filters": {"Queues": ["\(SampleFlows.queueId)"], "Channels": ["CHAT"]},
                 "CurrentMetrics": [{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}]}
                """
        )
        #expect(current.status == 200, "\(String(decoding: current.body, as: UTF8.self))")
        let results = try #require(try object(current.body)["MetricResults"] as? [[String: Any]])
        let collections = try #require(results.first?["Collections"] as? [[String: Any]])
        #expect(collections.first?["Value"] as? Double == 2)

        let now = Int(Date().timeIntervalSince1970)
        let data = try await running.query(
            "/v1/metrics/data",
            method: "POST",
            body: """
                {"ResourceArn": "\(ConnectARN.instance("test-instance"))", "StartTime": \(now - 3600),
                 "EndTime": \(now), "Filters": [{"FilterKey": "QUEUE", "FilterValues": ["\(SampleFlows.queueId)"]}],
                 "Metrics": [{"Name": "CONTACTS_CREATED"}, {"Name": "AVG_MESSAGES"}]}
                """
        )
        #expect(data.status == 200, "\(String(decoding: data.body, as: UTF8.self))")
        #expect(try object(data.body)["MetricResults"] is [Any])
        let v1Only = try await running.query(
            "/v1/metrics/data?version=1",
            method: "POST",
            body: """
                {"ResourceArn": "\(ConnectARN.instance("test-instance"))", "StartTime": \(now - 3600),
                 "EndTime": \(now), "Filters": [{"FilterKey": "QUEUE", "FilterValues": ["\(SampleFlows.queueId)"]}],
                 "Metrics": [{"Name": "AVG_MESSAGES"}]}
                """
        )
        #expect(v1Only.status == 400, "a chat metric is not in metrics@1")
        let malformed = try await running.query("/v1/metrics/data", method: "POST", body: "{\"Metrics\": 7}")
        #expect(malformed.status == 400)
        try await running.stop()
    }

    @Test func rebuildOverTheSocketSwapsInEqualCopiesAndCheckpointsAreLoadedAtRestart() async throws {
        let directory = TemporaryDirectory()
        try await seed(directory, chats: 3)
        let first = try await RunningServer.start(in: directory)
        _ = try await projections(first)
        let rebuild = try await first.query("/v1/projections/metrics/rebuild", method: "POST")
        #expect(rebuild.status == 200, "\(String(decoding: rebuild.body, as: UTF8.self))")
        let reports = try #require(try object(rebuild.body)["rebuilt"] as? [[String: Any]])
        #expect(reports.map { $0["key"] as? String } == ["metrics@1", "metrics@2"])
        #expect(reports.allSatisfy { $0["matchesReplaced"] as? Bool == true })
        let unknown = try await first.query("/v1/projections/nothing/rebuild", method: "POST")
        #expect(unknown.status == 404)

        let checkpoint = try await first.query("/v1/checkpoint", method: "POST")
        #expect(checkpoint.status == 200)
        let path = try #require(try object(checkpoint.body)["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: path))
        let before = try await first.query("/v1/ctrs?includeOpen=true")
        try await first.stop()

        let second = try await RunningServer.start(in: directory)
        let status = try await projections(second)
        #expect(status.allSatisfy { $0["source"] as? String == "checkpoint" })
        let open = try object(try await second.query("/v1/projections").body)["open"] as? [String: Any]
        #expect(open?["replayedRecords"] as? Int == 0)
        #expect(try await second.query("/v1/ctrs?includeOpen=true").body == before.body)
        try await second.stop()
    }
}

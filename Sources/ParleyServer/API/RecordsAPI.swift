import EventLog
import Foundation
import Hummingbird
import Logging
import ParleyDomain
import ParleyEngine

/// Contact trace records, metrics and projection administration on the local query socket.
///
/// - `GET /v1/ctrs?from=&to=&by=disconnect|lastUpdate&includeOpen=&contactId=`: records as JSON lines
///   (`application/x-ndjson`), one per contact segment, ordered by the chosen timestamp; `contactId` gives the
///   chain of that contact's chat instead.
/// - `GET /v1/ctrs/{contactId}`: one record in Amazon's CTR shape.
/// - `POST /v1/metrics/current`: GetCurrentMetricData (body as Amazon's, instance from the state).
/// - `POST /v1/metrics/data?version=`: GetMetricDataV2 from the newest ready `metrics` projection (or `version`).
/// - `POST /v1/metrics/historical`: GetMetricData (v1).
/// - `GET /v1/projections?wait=true`: every projection's phase, how it was obtained at open, and its last rebuild;
///   `wait=true` first waits (bounded like `atLeast`) until no rebuild is running.
/// - `POST /v1/projections/{name}/rebuild`: rebuilds it from the log beside the serving copy and swaps it in.
/// - `POST /v1/checkpoint`: writes a checkpoint now.
func addRecordsRoutes(to router: Router<some RequestContext>, instances: InstanceRegistry) {
    router.get("/v1/ctrs") { request, _ in
        let server = try instances.forQuery(request)
        let snapshot = try await server.snapshot(for: request)
        let records = try contactRecords(snapshot).select(try ContactRecordSelection(request))
        var body = ByteBuffer()
        for record in records {
            body.writeString(record.jsonLine())
            body.writeString("\n")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .init("x-parley-position")!: String(snapshot.position)],
            body: ResponseBody(byteBuffer: body)
        )
    }
    router.get("/v1/ctrs/:contactId") { request, context in
        let server = try instances.forQuery(request)
        let text = context.parameters.get("contactId") ?? ""
        let snapshot = try await server.snapshot(for: request)
        guard let contactId = Identifier(text), let record = try contactRecords(snapshot).record(contactId) else {
            throw APIError(
                .resourceNotFound,
                "no contact trace record for \(text.prefix(100))",
                resourceId: String(text.prefix(100)),
                resourceType: "CONTACT"
            )
        }
        return rawJSON(record.jsonLine(), position: snapshot.position)
    }
    router.post("/v1/metrics/current") { request, _ in
        let server = try instances.forQuery(request)
        let body = try await request.decodeJSON(
            GetCurrentMetricDataRequest.self,
            maxBytes: server.configuration.maxBodyBytes
        )
        let snapshot = try await server.snapshot(for: request)
        let instanceId = try instance(of: snapshot)
        let response = try ChatQueries.getCurrentMetricData(
            body,
            instanceId: instanceId,
            in: snapshot.state,
            now: server.clock.now()
        )
        return JSONResponse.make(response)
    }
    router.post("/v1/metrics/data") { request, _ in
        let server = try instances.forQuery(request)
        let body = try await request.decodeJSON(
            GetMetricDataV2Request.self,
            maxBytes: server.configuration.maxBodyBytes
        )
        let snapshot = try await server.snapshot(for: request)
        let metrics = try historicalMetrics(snapshot, version: try request.query("version", in: 1...2))
        return JSONResponse.make(try metrics.getMetricDataV2(body, in: snapshot.state, now: server.clock.now()))
    }
    router.post("/v1/metrics/historical") { request, _ in
        let server = try instances.forQuery(request)
        let body = try await request.decodeJSON(GetMetricDataRequest.self, maxBytes: server.configuration.maxBodyBytes)
        let snapshot = try await server.snapshot(for: request)
        let metrics = try historicalMetrics(snapshot, version: nil)
        let instanceId = try instance(of: snapshot)
        return JSONResponse.make(
            try metrics.getMetricData(body, instanceId: instanceId, in: snapshot.state, now: server.clock.now())
        )
    }
    router.get("/v1/projections") { request, _ in
        let server = try instances.forQuery(request)
        if request.query("wait") == "true" {
            let limit = Swift.Duration.milliseconds(server.configuration.maxReadWaitMilliseconds)
            let engine = server.engine
            let done = await ServerState.firstOf(limit) { await engine.waitForRebuilds() }
            guard done else {
                throw APIError(.serviceUnavailable, "projections are still being rebuilt; try again shortly")
            }
        }
        let snapshot = server.snapshot
        return JSONResponse.make(
            ProjectionsView(
                position: snapshot.position,
                projections: server.engine.projectionStatus,
                open: server.engine.openReport
            )
        )
    }
    router.post("/v1/projections/:name/rebuild") { request, context in
        let server = try instances.forQuery(request)
        let name = context.parameters.get("name") ?? ""
        do throws(EngineError) {
            let reports = try await server.engine.rebuild(name)
            server.logger.info("rebuilt \(name)", metadata: ["projections": "\(reports.map(\.key))"])
            return JSONResponse.make(RebuildView(rebuilt: reports))
        } catch {
            switch error.code {
            case .unknownProjection: throw APIError(.resourceNotFound, error.message, resourceType: "PROJECTION")
            case .rebuildInProgress: throw APIError(.resourceConflict, error.message)
            default: throw APIError(.internalService, error.description)
            }
        }
    }
    router.post("/v1/checkpoint") { request, _ in
        let server = try instances.forQuery(request)
        do throws(EngineError) {
            let path = try await server.engine.writeCheckpoint()
            return JSONResponse.make(CheckpointView(path: path, position: server.snapshot.position))
        } catch {
            throw APIError(.internalService, error.description)
        }
    }
}

/// The contact-records projection of `snapshot`, or 503 while it is being rebuilt.
func contactRecords(_ snapshot: Snapshot<ChatState>) throws(APIError) -> ContactRecordsProjection {
    guard let records = snapshot.projections[ContactRecordsProjection.self] else {
        throw APIError(.serviceUnavailable, "the contact-records projection is being rebuilt; try again shortly")
    }
    return records
}

/// The newest ready `metrics` projection (or the given version), or 503 while none is ready.
func historicalMetrics(
    _ snapshot: Snapshot<ChatState>,
    version: Int? = nil
) throws(APIError) -> any HistoricalMetricsProjection {
    let v2 = snapshot.projections[HistoricalMetricsV2.self]
    let v1 = snapshot.projections[HistoricalMetricsV1.self]
    let chosen: (any HistoricalMetricsProjection)? =
        switch version {
        case 1: v1
        case 2: v2
        default: v2 ?? v1
        }
    guard let chosen else {
        throw APIError(.serviceUnavailable, "the metrics projection is being rebuilt; try again shortly")
    }
    return chosen
}

private func instance(of snapshot: Snapshot<ChatState>) throws(APIError) -> String {
    guard let instance = snapshot.state.instance else {
        throw APIError(.resourceNotFound, "no instance is configured yet", resourceType: "INSTANCE")
    }
    return instance.instanceId
}

private func rawJSON(_ text: String, position: UInt64) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "application/json", .init("x-parley-position")!: String(position)],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text))
    )
}

extension ContactRecordSelection {
    /// The selection of `GET /v1/ctrs`' query: from, to, by, includeOpen, contactId.
    init(_ request: Request) throws(APIError) {
        self.init(from: try request.instant("from") ?? .min, to: try request.instant("to") ?? .max)
        guard from < to else { throw APIError(.invalidParameter, "from must be before to") }
        switch request.query("by") ?? "disconnect" {
        case "disconnect": by = .disconnect
        case "lastUpdate": by = .lastUpdate
        default: throw APIError(.invalidParameter, "by must be disconnect or lastUpdate")
        }
        includeOpen = request.query("includeOpen") == "true"
        if let text = request.query("contactId") {
            guard let id = Identifier(text) else {
                throw APIError(.invalidParameter, "contactId \(text.prefix(100)) is not a contact id")
            }
            contactId = id
        }
    }
}

private struct ProjectionsView: Encodable {
    var position: UInt64
    var projections: [ProjectionStatus]
    var open: OpenReport
}

private struct RebuildView: Encodable {
    var rebuilt: [RebuildReport]
}

private struct CheckpointView: Encodable {
    var path: String?
    var position: UInt64
}

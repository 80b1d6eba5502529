import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

/// `parley replay DIR [--until T]`: rebuild the state, the contact trace records and the metrics from the log and
/// summarise them.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from the log and print a JSON summary of the state, CTRs and metrics.",
        discussion: """
            Reads DIR/log without changing it (a running server may have it open). With --until, only events \
            stamped at or before that instant are applied, and deadlines at or before it that had not fired are \
            listed as overdue: a chat past its duration ceiling is counted as ended, never as active. The summary \
            includes the contact trace records as of the instant (counts; every record with --records) and the \
            historical metrics per queue over the whole log up to it (GetMetricDataV2, interval TOTAL). A \
            checkpoint taken at or before the instant shortens the replay; --no-checkpoints replays everything.
            """
    )

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "Replay the state as of this instant (ISO 8601, e.g. 2026-11-21T10:00:00.000Z).")
    var until: String?

    @Flag(help: "List every contact trace record (Amazon's shape) in the summary.")
    var records = false

    @Flag(inversion: .prefixedNo, help: "Start from the newest checkpoint at or before the instant.")
    var checkpoints = true

    func run() throws {
        let instant = try until.map { try ParleyCLI.instant($0, option: "--until") }
        let (snapshot, report) = try Engine<ChatMachine>.replay(
            dataDirectory: directory,
            until: instant,
            projections: ChatMachine.projections,
            useCheckpoints: checkpoints
        )
        let summary = AuditSummary(
            summary: ReplaySummary(state: snapshot.state, position: snapshot.position, asOf: instant),
            snapshot: snapshot,
            asOf: instant ?? snapshot.timestamp,
            listRecords: records,
            checkpoint: report.checkpoint
        )
        print(try prettyJSON(summary))
    }
}

/// The replay summary with the contact trace records and metrics as of the instant.
struct AuditSummary: Encodable {
    var summary: ReplaySummary
    var contactRecords: RecordsPart
    var metrics: MetricsPart
    var checkpoint: String?

    enum CodingKeys: String, CodingKey {
        case contactRecords, metrics, checkpoint
    }

    /// The state summary's fields, then `contactRecords`, `metrics` and `checkpoint` beside them.
    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(contactRecords, forKey: .contactRecords)
        try container.encode(metrics, forKey: .metrics)
        try container.encodeIfPresent(checkpoint, forKey: .checkpoint)
    }

    struct RecordsPart: Encodable {
        var completed: Int
        var open: Int
        var records: [JSONValue]?
    }

    struct MetricsPart: Encodable {
        var projection: String?
        var result: GetMetricDataV2Response?
        var message: String?
    }

    init(
        summary: ReplaySummary,
        snapshot: Snapshot<ChatState>,
        asOf: Int64,
        listRecords: Bool,
        checkpoint: String?
    ) {
        self.summary = summary
        self.checkpoint = checkpoint
        let all = snapshot.projections[ContactRecordsProjection.self]?.records.values.map { $0 } ?? []
        let completed = all.filter(\.completed).count
        let sorted = all.sorted { ($0.initiationTimestamp, $0.contactId) < ($1.initiationTimestamp, $1.contactId) }
        contactRecords = RecordsPart(
            completed: completed,
            open: all.count - completed,
            records: listRecords ? sorted.map { $0.jsonValue() } : nil
        )
        metrics = Self.metrics(snapshot, asOf: asOf)
    }

    /// Every queue's totals from the newest metrics projection, from 90 days before the instant up to it.
    static func metrics(_ snapshot: Snapshot<ChatState>, asOf: Int64) -> MetricsPart {
        let projection: (any HistoricalMetricsProjection)? =
            snapshot.projections[HistoricalMetricsV2.self] ?? snapshot.projections[HistoricalMetricsV1.self]
        guard let projection, let instance = snapshot.state.instance else {
            return MetricsPart(message: "no instance or metrics projection in the log")
        }
        let queues = snapshot.state.queues.keys.sorted()
        guard !queues.isEmpty else { return MetricsPart(projection: type(of: projection).key, message: "no queues") }
        var names = [
            "CONTACTS_CREATED", "CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED", "AGENT_NON_RESPONSE",
            "AVG_QUEUE_ANSWER_TIME", "AVG_HANDLE_TIME", "AVG_AFTER_CONTACT_WORK_TIME", "MAX_QUEUED_TIME",
        ]
        if type(of: projection).version >= 2 {
            names += ["AVG_FIRST_RESPONSE_TIME_AGENT", "AVG_MESSAGES", "CONVERSATIONS_ABANDONED"]
        }
        let end = (asOf / Duration.second) + 1
        let request: [String: Any] = [
            "ResourceArn": ConnectARN.instance(instance.instanceId),
            "StartTime": end - 90 * 86_400 + 60,
            "EndTime": end,
            "Interval": ["IntervalPeriod": "TOTAL"],
            "Filters": [["FilterKey": "QUEUE", "FilterValues": Array(queues.prefix(100))]],
            "Groupings": ["QUEUE"],
            "Metrics": names.map { ["Name": $0] },
        ]
        do {
            let body = try JSONSerialization.data(withJSONObject: request)
            let decoded = try JSONDecoder().decode(GetMetricDataV2Request.self, from: body)
            let result = try projection.getMetricDataV2(decoded, in: snapshot.state, now: end * Duration.second)
            return MetricsPart(projection: type(of: projection).key, result: result)
        } catch {
            return MetricsPart(projection: type(of: projection).key, message: "\(error)")
        }
    }
}

// The contact trace records as a projection of the chat log: every record, open or completed, with the lookups the
// CLI (`parley ctr`) and the query socket need.

/// Which timestamp a time-range query of contact trace records reads.
public enum ContactRecordTime: UInt8, Sendable, CaseIterable {
    /// `DisconnectTimestamp`: when the segment ended (records still going have none and never match).
    case disconnect = 1
    /// `LastUpdateTimestamp`: when the record last changed (what a consumer of re-emitted records follows).
    case lastUpdate = 2
}

/// Every contact trace record of the log, with queries: the open ones in a `ContactRecordBuilder`, the completed ones
/// in `CompletedContactRecords`.
///
/// The builder is the part the metrics projections keep identically, so in one `ProjectionSet` the three share its
/// fold (`FoldSharing`): it runs once per event for all of them.
public struct ContactRecordsProjection: FoldSharing, Equatable {
    /// The chat machine.
    public typealias Machine = ChatMachine

    /// "contact-records".
    public static let name = "contact-records"
    /// 3 (1 stored the records in one map; 2 kept completed ones in a checkpoint's cold tier; 3 keeps the open
    /// records in a builder like the metrics projections' and the completed ones beside it).
    public static let version = 3

    /// The builder of the open records (the part shared with the metrics projections).
    public private(set) var builder: ContactRecordBuilder
    /// The completed records and every chat's chain.
    public private(set) var completed: CompletedContactRecords

    /// No records.
    public init() {
        builder = ContactRecordBuilder()
        completed = CompletedContactRecords()
    }

    /// Whether the event leaves every record as it is: the builder does not fold its kind, and so neither do the
    /// completed records.
    public func ignores(_ event: ChatEvent) -> Bool { !ContactRecordBuilder.folds(event) }

    /// Folds one event and returns the records it completed or re-emitted (what a record stream delivers).
    public mutating func applyReportingChanges(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState
    ) -> [ContactRecordChange] {
        let open = builder.fold(event, at: timestamp, state: state)
        let updated = completed.apply(event, at: timestamp, state: state, after: open)
        return open.changes + updated
    }

    /// The builder of the open records.
    public var sharedFold: ContactRecordBuilder {
        get { builder }
        set { builder = newValue }
    }

    /// Folds one event into the builder.
    public mutating func foldShared(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState
    ) -> ContactRecordFoldOutput {
        builder.fold(event, at: timestamp, state: state)
    }

    /// Folds one event into the completed records, given the builder's output.
    public mutating func applyRest(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState,
        output: ContactRecordFoldOutput
    ) {
        _ = completed.apply(event, at: timestamp, state: state, after: output)
    }

    /// Every record, open or completed, by contact id (a copy of the completed records with the open ones added).
    public var records: TieredMap<Identifier, ContactTraceRecord> {
        var all = completed.records
        for record in builder.records { all[record.contactId] = record }
        return all
    }

    /// The record of one contact segment.
    public func record(_ contactId: Identifier) -> ContactTraceRecord? {
        builder.record(contactId) ?? completed.records[contactId]
    }

    /// The records of a chat (its initial contact id), oldest segment first.
    public func chain(ofChat chatId: Identifier) -> [ContactTraceRecord] {
        (completed.chains[chatId] ?? []).compactMap { record($0) }
    }

    /// The records of the chat that `contactId` (any of its segments) belongs to, oldest segment first.
    public func chain(containing contactId: Identifier) -> [ContactTraceRecord] {
        guard let record = record(contactId) else { return [] }
        return chain(ofChat: record.initialContactId)
    }

    /// Records whose `field` timestamp lies in `from..<to` (µs), ordered by that timestamp, then contact id;
    /// `completedOnly` (the default) leaves out records whose segment or after-contact work is still going.
    public func records(
        from: Int64,
        to: Int64,
        by field: ContactRecordTime = .disconnect,
        completedOnly: Bool = true
    ) -> [ContactTraceRecord] {
        var found: [(time: Int64, record: ContactTraceRecord)] = []
        func consider(_ records: some Sequence<ContactTraceRecord>) {
            for record in records {
                let time = field == .disconnect ? record.disconnectTimestamp : record.lastUpdateTimestamp
                guard let time, time >= from, time < to else { continue }
                found.append((time, record))
            }
        }
        consider(completed.records.values)
        if !completedOnly { consider(builder.records) }
        found.sort { ($0.time, $0.record.contactId) < ($1.time, $1.record.contactId) }
        return found.map(\.record)
    }
}

extension ContactRecordsProjection: SnapshotCodable {
    /// Writes the builder, the completed records and the chains.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        var inline = ColdSplit.inline
        snapshotEncode(to: &writer, cold: &inline)
    }

    /// Writes the builder (as the metrics projections store it), then the completed records and the chains; a split
    /// encoding moves every completed record, and the chains whose records all completed, into cold tables.
    public func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit) {
        builder.snapshotEncode(to: &writer, cold: &cold)
        completed.records.snapshotEncode(to: &writer, cold: &cold) { _, _ in true }
        completed.chains.snapshotEncode(to: &writer, cold: &cold) { _, chain in
            chain.allSatisfy { !builder.isOpen($0) }
        }
    }

    /// Reads a projection written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        try self.init(snapshotFrom: &reader, cold: .none)
    }

    /// Reads a projection written by either encoding, its cold tiers from `cold`.
    public init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError) {
        builder = try ContactRecordBuilder(snapshotFrom: &reader, cold: cold)
        completed = CompletedContactRecords(
            records: try TieredMap(snapshotFrom: &reader, cold: cold),
            chains: try TieredMap(snapshotFrom: &reader, cold: cold)
        )
    }
}

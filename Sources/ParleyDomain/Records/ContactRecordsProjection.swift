// The contact trace records as a projection of the chat log: every record, open or completed, with the lookups the
// CLI (`parley ctr`) and the query socket need.

/// Which timestamp a time-range query of contact trace records reads.
public enum ContactRecordTime: UInt8, Sendable, CaseIterable {
    /// `DisconnectTimestamp`: when the segment ended (records still going have none and never match).
    case disconnect = 1
    /// `LastUpdateTimestamp`: when the record last changed (what a consumer of re-emitted records follows).
    case lastUpdate = 2
}

/// Every contact trace record of the log (`ContactRecordBuilder` with `keepCompleted`), with queries.
public struct ContactRecordsProjection: Projection, Equatable {
    /// The chat machine.
    public typealias Machine = ChatMachine

    /// "contact-records".
    public static let name = "contact-records"
    /// 2 (1 stored the records in one map; 2 keeps completed ones in a checkpoint's cold tier).
    public static let version = 2

    /// The builder that folds the events; it keeps completed records.
    public private(set) var builder: ContactRecordBuilder

    /// No records.
    public init() { builder = ContactRecordBuilder(keepCompleted: true) }

    /// Folds one event.
    public mutating func apply(_ event: ChatEvent, at timestamp: Int64, state: ChatState) {
        _ = builder.apply(event, at: timestamp, state: state)
    }

    /// Folds one event and returns the records it completed or re-emitted (what a record stream delivers).
    public mutating func applyReportingChanges(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState
    ) -> [ContactRecordChange] {
        builder.apply(event, at: timestamp, state: state)
    }

    /// Every record, open or completed, by contact id.
    public var records: TieredMap<Identifier, ContactTraceRecord> { builder.records }

    /// The record of one contact segment.
    public func record(_ contactId: Identifier) -> ContactTraceRecord? { builder.records[contactId] }

    /// The records of a chat (its initial contact id), oldest segment first.
    public func chain(ofChat chatId: Identifier) -> [ContactTraceRecord] { builder.chain(ofChat: chatId) }

    /// The records of the chat that `contactId` (any of its segments) belongs to, oldest segment first.
    public func chain(containing contactId: Identifier) -> [ContactTraceRecord] {
        builder.chain(containing: contactId)
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
        for record in builder.records.values where !completedOnly || record.completed {
            let time = field == .disconnect ? record.disconnectTimestamp : record.lastUpdateTimestamp
            guard let time, time >= from, time < to else { continue }
            found.append((time, record))
        }
        found.sort { ($0.time, $0.record.contactId) < ($1.time, $1.record.contactId) }
        return found.map(\.record)
    }
}

extension ContactRecordsProjection: SnapshotCodable {
    /// Writes the builder.
    public func snapshotEncode(to writer: inout BinaryWriter) { builder.snapshotEncode(to: &writer) }

    /// Writes the builder, completed records into cold tables when splitting.
    public func snapshotEncode(to writer: inout BinaryWriter, cold: inout ColdSplit) {
        builder.snapshotEncode(to: &writer, cold: &cold)
    }

    /// Reads a projection written by `snapshotEncode`.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        builder = try ContactRecordBuilder(snapshotFrom: &reader)
    }

    /// Reads a projection written by either encoding.
    public init(snapshotFrom reader: inout BinaryReader, cold: ColdTables) throws(DecodeError) {
        builder = try ContactRecordBuilder(snapshotFrom: &reader, cold: cold)
    }
}

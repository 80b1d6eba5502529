// The part of the contact-records projection the metrics projections do not keep: the records the builder completed
// and dropped, and every chat's chain of segments.

/// The completed contact trace records the builder has dropped, with the chain of every chat; a late event that
/// changes a completed record (such as `UpdateContactAttributes`) re-emits it as `.updated`.
///
/// `ContactRecordsProjection` folds each event into its builder first (or takes that fold from a member sharing it)
/// and then into these records, handing over the builder's output: its `.completed` records, and the records it does
/// not hold open. Together they hold what one builder keeping every record would.
public struct CompletedContactRecords: Sendable, Equatable {
    /// The completed records by contact id.
    public private(set) var records = TieredMap<Identifier, ContactTraceRecord>()
    /// Every segment id of each chat (keyed by its initial contact id), open or completed, oldest first.
    public private(set) var chains = TieredMap<Identifier, [Identifier]>()

    /// No records.
    public init() {}

    init(records: TieredMap<Identifier, ContactTraceRecord>, chains: TieredMap<Identifier, [Identifier]>) {
        self.records = records
        self.chains = chains
    }

    /// Folds one event the builder has folded (`state` is the chat state after it; `open` is the builder's output):
    /// re-emits the completed records it changes, then keeps the records the builder completed. Returns the
    /// `.updated` records.
    public mutating func apply(
        _ event: ChatEvent,
        at timestamp: Int64,
        state: ChatState,
        after open: ContactRecordFoldOutput
    ) -> [ContactRecordChange] {
        var output = ContactRecordFoldOutput()
        // Only a record the builder does not hold open can be here; and a new segment joins its chat's chain.
        let starts = if case .contactStarted = event { true } else { false }
        if starts || !open.notOpen.isEmpty { dispatch(event, at: timestamp, state: state, &output) }
        // By index, each record read where it lies and copied once, into its slot (`insertNew`): iterating the changes
        // copies each, and the subscript's setter copies the record again.
        for index in open.changes.indices where open.changes[index].isCompletion {
            records.insertNew(open.changes[index].record.contactId, open.changes[index].record)
        }
        return output.changes
    }
}

extension CompletedContactRecords: ContactRecordFolding {
    /// Adds the segment to its chat's chain (the builder opens its record).
    mutating func start(_ started: ContactStarted, at timestamp: Int64, state: ChatState) -> Bool {
        guard chains[started.chatId]?.contains(started.contactId) != true else { return false }
        chains.update(started.chatId, default: []) { $0.append(started.contactId) }
        return true
    }

    /// None: every record here is completed.
    func openSegments(ofChat chatId: Identifier) -> [Identifier] { [] }

    /// Runs `body` on a completed record with an empty progress (a completed record has none left; what `body` does
    /// to it is dropped); when it changed the record, stamps `LastUpdateTimestamp` and re-emits the record. A record
    /// in the cold tier (a checkpoint's) is copied up only when it changed.
    mutating func update(
        _ contactId: Identifier,
        at timestamp: Int64,
        _ state: ChatState,
        _ output: inout ContactRecordFoldOutput,
        _ body: RecordChange
    ) {
        guard var record = records[contactId] else { return }
        var progress = SegmentProgress()
        guard body(&record, &progress, state) else { return }
        record.lastUpdateTimestamp = max(record.lastUpdateTimestamp, timestamp)
        records[contactId] = record
        output.changes.append(.updated(record))
    }
}

/// Which contact trace records an export asks for (`parley ctr`, `GET /v1/ctrs`).
public struct ContactRecordSelection: Sendable, Equatable {
    /// The first instant included (µs).
    public var from: Int64
    /// The instant the range ends before (µs).
    public var to: Int64
    /// The timestamp the range reads.
    public var by: ContactRecordTime
    /// Whether records still going (no disconnect, or ACW not cleared) are included; those without a
    /// `DisconnectTimestamp` are matched by `LastUpdateTimestamp`.
    public var includeOpen: Bool
    /// When set: the whole chain of the chat this contact belongs to, instead of a range.
    public var contactId: Identifier?

    /// A selection; the defaults take every completed record.
    public init(
        from: Int64 = .min,
        to: Int64 = .max,
        by: ContactRecordTime = .disconnect,
        includeOpen: Bool = false,
        contactId: Identifier? = nil
    ) {
        self.from = from
        self.to = to
        self.by = by
        self.includeOpen = includeOpen
        self.contactId = contactId
    }
}

extension ContactRecordsProjection {
    /// The records `selection` asks for, in the order of the timestamp it reads (then contact id).
    public func select(_ selection: ContactRecordSelection) -> [ContactTraceRecord] {
        if let contactId = selection.contactId { return chain(containing: contactId) }
        var found = records(
            from: selection.from,
            to: selection.to,
            by: selection.by,
            completedOnly: !selection.includeOpen
        )
        guard selection.includeOpen, selection.by == .disconnect else { return found }
        let going = records(from: selection.from, to: selection.to, by: .lastUpdate, completedOnly: false)
            .filter { $0.disconnectTimestamp == nil }
        found.append(contentsOf: going)
        func time(_ record: ContactTraceRecord) -> Int64 { record.disconnectTimestamp ?? record.lastUpdateTimestamp }
        return found.sorted { (time($0), $0.contactId) < (time($1), $1.contactId) }
    }
}

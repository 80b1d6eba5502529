extension ChatMachine {
    /// The chat state in checkpoints: "chat", at `ChatState.snapshotSchema`.
    public static var stateSnapshot: StateSnapshotCodec<ChatState>? {
        .canonical(name: "chat", version: Int(ChatState.snapshotSchema))
    }

    /// Every projection a Parley server keeps beside the chat state: the contact trace records and both versions
    /// of the historical metrics (the newest ready one answers queries; the older one serves while it rebuilds).
    public static let projections: [any Projection<ChatMachine>.Type] = [
        ContactRecordsProjection.self, HistoricalMetricsV1.self, HistoricalMetricsV2.self,
    ]
}

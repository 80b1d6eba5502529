/// An immutable state published by the engine, and the log position it reflects.
public struct Snapshot<State: Sendable>: Sendable {
    /// The state after every event up to `position`.
    public var state: State
    /// Sequence of the last record the state reflects (applied, or skipped as not this machine's); 0 for none.
    public var position: UInt64
    /// Timestamp (µs) of that record; for a log without records, 0.
    public var timestamp: Int64

    /// Creates a snapshot.
    public init(state: State, position: UInt64, timestamp: Int64) {
        self.state = state
        self.position = position
        self.timestamp = timestamp
    }
}

extension Snapshot: Equatable where State: Equatable {}

extension Snapshot: Hashable where State: Hashable {}

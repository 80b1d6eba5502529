import ParleyDomain

/// An immutable state published by the engine, and the log position it reflects.
public struct Snapshot<State: Sendable>: Sendable {
    /// The state after every event up to `position`.
    public var state: State
    /// Sequence of the last record the state reflects (applied, or skipped as not this machine's); 0 for none.
    public var position: UInt64
    /// Timestamp (µs) of that record; for a log without records, 0.
    public var timestamp: Int64
    /// The projections that are ready, at the same position.
    public var projections: PublishedProjections

    /// Creates a snapshot.
    public init(state: State, position: UInt64, timestamp: Int64, projections: PublishedProjections = .init()) {
        self.state = state
        self.position = position
        self.timestamp = timestamp
        self.projections = projections
    }
}

extension Snapshot: Equatable where State: Equatable {}

extension Snapshot: Hashable where State: Hashable {}

/// The projections published with a snapshot, looked up by type or key.
public struct PublishedProjections: Sendable, Hashable {
    /// The projections, in registration order.
    public let members: [any Projection & Sendable]

    /// A published set.
    public init(_ members: [any Projection & Sendable] = []) { self.members = members }

    /// The projection of type `type`, if it is ready.
    public subscript<P: Projection>(_ type: P.Type) -> P? {
        for member in members {
            if let found = member as? P { return found }
        }
        return nil
    }

    /// The keys ("name@version") of the ready projections.
    public var keys: [String] { members.map { type(of: $0).key } }

    /// The ready projection with `key`, if any.
    public func member(forKey key: String) -> (any Projection)? { members.first { type(of: $0).key == key } }

    /// Equal when the same keys hold equal states (compared by state hash: meant for tests).
    public static func == (lhs: PublishedProjections, rhs: PublishedProjections) -> Bool {
        lhs.keys == rhs.keys && zip(lhs.members, rhs.members).allSatisfy { $0.stateHash() == $1.stateHash() }
    }

    /// Hashes the keys.
    public func hash(into hasher: inout Hasher) { hasher.combine(keys) }
}

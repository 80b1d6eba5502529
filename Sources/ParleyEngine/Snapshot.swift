import ParleyDomain

/// An immutable state published by the engine, and the log position it reflects.
///
/// The fields sit behind one reference: copying a snapshot (every read of the published one, on every request) is one
/// retain, not one for each of the many references a state holds, and a chain like `snapshot.state.chats[id]` borrows
/// the state instead of copying it. Changing a field copies the fields first if another snapshot shares them.
public struct Snapshot<State: Sendable>: Sendable {
    /// The fields, changed only after `unique()` (so a shared box is never written and the unchecked Sendable holds).
    private final class Fields: @unchecked Sendable {
        @exclusivity(unchecked) var state: State
        @exclusivity(unchecked) var position: UInt64
        @exclusivity(unchecked) var timestamp: Int64
        @exclusivity(unchecked) var projections: PublishedProjections

        init(state: State, position: UInt64, timestamp: Int64, projections: PublishedProjections) {
            self.state = state
            self.position = position
            self.timestamp = timestamp
            self.projections = projections
        }
    }

    private var fields: Fields

    /// Creates a snapshot.
    public init(state: State, position: UInt64, timestamp: Int64, projections: PublishedProjections = .init()) {
        fields = Fields(state: state, position: position, timestamp: timestamp, projections: projections)
    }

    /// The state after every event up to `position`.
    public var state: State {
        _read { yield fields.state }
        _modify {
            unique()
            yield &fields.state
        }
    }

    /// Sequence of the last record the state reflects (applied, or skipped as not this machine's); 0 for none.
    public var position: UInt64 {
        get { fields.position }
        set {
            unique()
            fields.position = newValue
        }
    }

    /// Timestamp (µs) of that record; for a log without records, 0.
    public var timestamp: Int64 {
        get { fields.timestamp }
        set {
            unique()
            fields.timestamp = newValue
        }
    }

    /// The projections that are ready, at the same position.
    public var projections: PublishedProjections {
        _read { yield fields.projections }
        _modify {
            unique()
            yield &fields.projections
        }
    }

    /// Runs `body` with the state, position and timestamp changed in place: one check that the fields are this
    /// snapshot's own for many changes (a fold applies every record through it; an accessor per record cost more).
    mutating func withFields<Result>(
        _ body: (inout State, inout UInt64, inout Int64) throws -> Result
    ) rethrows -> Result {
        unique()
        return try body(&fields.state, &fields.position, &fields.timestamp)
    }

    /// Gives this snapshot fields of its own before a change.
    private mutating func unique() {
        if !isKnownUniquelyReferenced(&fields) {
            fields = Fields(state: state, position: position, timestamp: timestamp, projections: projections)
        }
    }
}

extension Snapshot: Equatable where State: Equatable {
    /// Equal when every field is.
    public static func == (lhs: Snapshot, rhs: Snapshot) -> Bool {
        lhs.fields === rhs.fields
            || (lhs.position == rhs.position && lhs.timestamp == rhs.timestamp && lhs.state == rhs.state
                && lhs.projections == rhs.projections)
    }
}

extension Snapshot: Hashable where State: Hashable {
    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(state)
        hasher.combine(position)
        hasher.combine(timestamp)
        hasher.combine(projections)
    }
}

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

import ParleyDomain

/// The projections an engine keeps beside its machine state, folded from the same events.
public struct ProjectionSet<Machine: EventSourcedMachine>: Sendable {
    /// The projections, in registration order.
    public private(set) var members: [any Projection<Machine>]

    /// A set of the given projections.
    public init(_ members: [any Projection<Machine>] = []) {
        self.members = members
    }

    /// Fresh (empty-log) instances of `types`.
    public init(empty types: [any Projection<Machine>.Type]) {
        self.members = types.map { $0.init() }
    }

    /// Folds one event into every projection (`state` is the machine state after it).
    mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) {
        for index in members.indices {
            members[index].apply(event, at: timestamp, state: state)
        }
    }

    /// The projection of type `type`, if the set holds it.
    public subscript<P: Projection>(_ type: P.Type) -> P? where P.Machine == Machine {
        for member in members {
            if let found = member as? P { return found }
        }
        return nil
    }

    /// The projection stored under `key` ("name@version"), if any.
    public func member(forKey key: String) -> (any Projection<Machine>)? {
        members.first { type(of: $0).key == key }
    }

    /// The keys ("name@version") of the members.
    public var keys: [String] { members.map { type(of: $0).key } }

    /// Adds `projection`, replacing a member with the same key.
    mutating func install(_ projection: any Projection<Machine>) {
        let key = type(of: projection).key
        if let index = members.firstIndex(where: { type(of: $0).key == key }) {
            members[index] = projection
        } else {
            members.append(projection)
        }
    }

    /// Removes the member stored under `key`.
    mutating func remove(key: String) {
        members.removeAll { type(of: $0).key == key }
    }
}

import ParleyDomain

/// The projections an engine keeps beside its machine state, folded from the same events.
///
/// Members that keep an identical shared part (`FoldSharing`: contact-records, metrics@1 and metrics@2 each keep the
/// same builder of open contact records) fold it once per event: the first folds it, the others take its output and
/// leave their own part stale, and `members` hands them the provider's part. Which members share is decided whenever
/// the membership changes, by comparing their parts.
public struct ProjectionSet<Machine: EventSourcedMachine>: Sendable {
    /// The projections as folded: a member that takes a shared fold holds a stale shared part.
    private var folded: [any Projection<Machine>]
    /// What each member does with a shared fold.
    private var roles: [FoldShare.Role] = []
    /// For a member that takes a shared fold, the member that provides it.
    private var providers: [Int?] = []
    /// The output each provider left for the current event (or the one before, until it folds this one).
    private var outputs: [(any AnyObject & Sendable)?] = []
    /// Whether any member shares a fold.
    private var shares = false

    /// The projections, in registration order, each with its shared part up to date.
    public var members: [any Projection<Machine>] {
        guard shares else { return folded }
        var current = folded
        for (index, provider) in providers.enumerated() {
            guard let provider, let fold = folded[provider].shareableFold else { continue }
            current[index].adoptFold(fold)
        }
        return current
    }

    /// A set of the given projections.
    public init(_ members: [any Projection<Machine>] = []) {
        folded = members
        planSharing()
    }

    /// Fresh (empty-log) instances of `types`.
    public init(empty types: [any Projection<Machine>.Type]) {
        self.init(types.map { $0.init() })
    }

    /// Folds one event into every projection (`state` is the machine state after it) that does not ignore it
    /// (`Projection.ignores(_:)`: a typing event or a timer leaves the contact records and the metrics as they are).
    mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) {
        guard shares else {
            var share = FoldShare(role: .none)
            for index in folded.indices {
                folded[index].applyUnlessIgnoring(event, at: timestamp, state: state, share: &share)
            }
            return
        }
        // A provider comes before its takers and leaves its output of this event before they read it; the output it
        // left for the event before is overwritten then (not cleared after each event: most are `FoldShare.nothing`).
        for index in folded.indices {
            let role = roles[index]
            var share = FoldShare(role: role, output: role == .take ? providers[index].flatMap { outputs[$0] } : nil)
            folded[index].applyUnlessIgnoring(event, at: timestamp, state: state, share: &share)
            if role == .provide { outputs[index] = share.output }
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

    /// The members that take a shared fold instead of folding their own, by key, each with its provider's key.
    public var sharedFolds: [String: String] {
        var found: [String: String] = [:]
        for (index, provider) in providers.enumerated() {
            if let provider { found[type(of: folded[index]).key] = type(of: folded[provider]).key }
        }
        return found
    }

    /// The keys ("name@version") of the members.
    public var keys: [String] { folded.map { type(of: $0).key } }

    /// Adds `projection`, replacing a member with the same key.
    mutating func install(_ projection: any Projection<Machine>) {
        var current = members
        let key = type(of: projection).key
        if let index = current.firstIndex(where: { type(of: $0).key == key }) {
            current[index] = projection
        } else {
            current.append(projection)
        }
        folded = current
        planSharing()
    }

    /// Removes the member stored under `key`.
    mutating func remove(key: String) {
        var current = members
        current.removeAll { type(of: $0).key == key }
        folded = current
        planSharing()
    }

    /// Decides which members share a fold: a member takes the fold of the first earlier member (that does not take
    /// one itself) whose shared part equals its own. `folded` must be up to date (no member taking) when it runs.
    private mutating func planSharing() {
        roles = Array(repeating: .none, count: folded.count)
        providers = Array(repeating: nil, count: folded.count)
        outputs = Array(repeating: nil, count: folded.count)
        for index in folded.indices {
            guard folded[index].shareableFold != nil else { continue }
            for earlier in 0..<index where roles[earlier] != .take {
                guard let fold = folded[earlier].shareableFold, folded[index].sharesFold(with: fold) else { continue }
                roles[earlier] = .provide
                roles[index] = .take
                providers[index] = earlier
                // The taker's own part now shares the provider's storage instead of keeping a copy alive.
                folded[index].adoptFold(fold)
                break
            }
        }
        shares = roles.contains { $0 != .none }
    }
}

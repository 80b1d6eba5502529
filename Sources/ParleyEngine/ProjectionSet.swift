import ParleyDomain

/// The projections an engine keeps beside its machine state, folded from the same events.
///
/// Members that keep an identical shared part (`FoldSharing`: contact-records, metrics@1 and metrics@2 each keep the
/// same builder of open contact records) fold it once per event: the first folds it, the others take its output and
/// leave their own part stale, and `members` hands them the provider's part. Which members share is decided whenever
/// the membership changes, by comparing their parts.
public struct ProjectionSet<Machine: EventSourcedMachine>: Sendable {
    /// The projections as folded, each in a holder of its own: a member that takes a shared fold holds a stale shared
    /// part. A fold reaches a member through its holder's method, where changing it inside an existential's box
    /// checked and projected the box through the runtime (about 150 instructions per member and event).
    private var folded: [ProjectionHolder<Machine>]
    /// How many members provide a shared fold.
    private var providerCount = 0
    /// For a member that takes a shared fold, the member that provides it.
    private var providers: [Int?] = []
    /// The output each provider left for the current event (or the one before, until it folds this one).
    private var outputs: [(any AnyObject & Sendable)?] = []

    /// The projections, in registration order, each with its shared part up to date.
    public var members: [any Projection<Machine>] {
        var current = folded.map { $0.member }
        guard providerCount > 0 else { return current }
        for (index, provider) in providers.enumerated() {
            guard let provider, let fold = folded[provider].member.shareableFold else { continue }
            current[index].adoptFold(fold)
        }
        return current
    }

    /// A set of the given projections.
    public init(_ members: [any Projection<Machine>] = []) {
        folded = members.map { Self.holder($0) }
        planSharing()
    }

    /// Fresh (empty-log) instances of `types`.
    public init(empty types: [any Projection<Machine>.Type]) {
        self.init(types.map { $0.init() })
    }

    /// Folds one event into every projection (`state` is the machine state after it) that does not ignore it
    /// (`Projection.ignores(_:)`: a typing event or a timer leaves the contact records and the metrics as they are).
    mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) {
        guard providerCount <= 1 else { return applyWithOutputs(event, at: timestamp, state: state) }
        // No member shares, or one provides for the others and comes before them: one share carries its output of
        // this event to them, with no array of outputs to copy it into and out of (a retain and release per member).
        var share = FoldShare(role: .none)
        folded.withUnsafeMutableBufferPointer { holders in
            for index in holders.indices {
                Self.fold(&holders[index], event, at: timestamp, state: state, share: &share)
            }
        }
    }

    /// `apply` when several members provide shared folds: each taker reads its own provider's output.
    private mutating func applyWithOutputs(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) {
        // A provider comes before its takers and leaves its output of this event before they read it; the output it
        // left for the event before is overwritten then (not cleared after each event: most are `FoldShare.nothing`).
        for index in folded.indices {
            let role = folded[index].role
            var share = FoldShare(role: role, output: role == .take ? providers[index].flatMap { outputs[$0] } : nil)
            Self.fold(&folded[index], event, at: timestamp, state: state, share: &share)
            if role == .provide { outputs[index] = share.output }
        }
    }

    /// Folds one event into the member `holder` holds, as its role says, copying the holder first when a copy of the
    /// set shares it (copy on write).
    private static func fold(
        _ holder: inout ProjectionHolder<Machine>,
        _ event: Machine.Event,
        at timestamp: Int64,
        state: Machine.State,
        share: inout FoldShare
    ) {
        if !isKnownUniquelyReferenced(&holder) { holder = Self.holder(holder.member, role: holder.role) }
        share.role = holder.role
        // The set keeps the holder alive through the call: no retain for it.
        Unmanaged.passUnretained(holder)._withUnsafeGuaranteedRef {
            $0.apply(event, at: timestamp, state: state, share: &share)
        }
    }

    /// A holder of `projection` (called with an existential, which it opens).
    private static func holder<P: Projection>(
        _ projection: P,
        role: FoldShare.Role = .none
    ) -> ProjectionHolder<Machine>
    where P.Machine == Machine {
        let holder = TypedProjectionHolder(projection)
        holder.role = role
        return holder
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
            if let provider { found[type(of: folded[index].member).key] = type(of: folded[provider].member).key }
        }
        return found
    }

    /// The keys ("name@version") of the members.
    public var keys: [String] { folded.map { type(of: $0.member).key } }

    /// Adds `projection`, replacing a member with the same key.
    mutating func install(_ projection: any Projection<Machine>) {
        var current = members
        let key = type(of: projection).key
        if let index = current.firstIndex(where: { type(of: $0).key == key }) {
            current[index] = projection
        } else {
            current.append(projection)
        }
        folded = current.map { Self.holder($0) }
        planSharing()
    }

    /// Removes the member stored under `key`.
    mutating func remove(key: String) {
        var current = members
        current.removeAll { type(of: $0).key == key }
        folded = current.map { Self.holder($0) }
        planSharing()
    }

    /// Decides which members share a fold: a member takes the fold of the first earlier member (that does not take
    /// one itself) whose shared part equals its own. `folded` must be up to date (no member taking) when it runs.
    private mutating func planSharing() {
        var roles = Array(repeating: FoldShare.Role.none, count: folded.count)
        providers = Array(repeating: nil, count: folded.count)
        outputs = Array(repeating: nil, count: folded.count)
        for index in folded.indices {
            guard folded[index].member.shareableFold != nil else { continue }
            for earlier in 0..<index where roles[earlier] != .take {
                guard let fold = folded[earlier].member.shareableFold, folded[index].member.sharesFold(with: fold)
                else { continue }
                roles[earlier] = .provide
                roles[index] = .take
                providers[index] = earlier
                // The taker's own part now shares the provider's storage instead of keeping a copy alive.
                var member = folded[index].member
                member.adoptFold(fold)
                folded[index] = Self.holder(member)
                break
            }
        }
        // Every holder was made by this set just now (here or by the caller): none is shared yet.
        for index in folded.indices { folded[index].role = roles[index] }
        providerCount = roles.count(where: { $0 == .provide })
    }
}

/// One member of a `ProjectionSet`, in a class of its own (the base of `TypedProjectionHolder`, which holds a member of
/// one type). The set changes a holder only while it holds the only reference to it (and copies it first otherwise),
/// so a holder is never changed while another thread can read it. A class rather than a protocol: the set's
/// uniqueness check needs a class type (through an existential it sees its own temporary reference too).
class ProjectionHolder<Machine: EventSourcedMachine>: @unchecked Sendable {
    /// What the member does with a shared fold (set by the set's plan, carried over when the holder is copied).
    var role: FoldShare.Role = .none

    /// The member.
    var member: any Projection<Machine> { preconditionFailure("only TypedProjectionHolder is instantiated") }

    /// Folds one event into the member (`Projection.applyUnlessIgnoring`).
    func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State, share: inout FoldShare) {
        preconditionFailure("only TypedProjectionHolder is instantiated")
    }
}

/// The holder of a member of type `P`: its fold is the type's own, reached through one class method call.
private final class TypedProjectionHolder<P: Projection>: ProjectionHolder<P.Machine>, @unchecked Sendable {
    /// The member, changed only by the set that alone holds this holder: no other access can overlap a change, so
    /// the run-time exclusivity check (about 120 instructions per fold) is left out.
    @exclusivity(unchecked) private var value: P

    /// A holder of `value`.
    init(_ value: P) { self.value = value }

    override var member: any Projection<P.Machine> { value }

    override func apply(
        _ event: P.Machine.Event,
        at timestamp: Int64,
        state: P.Machine.State,
        share: inout FoldShare
    ) {
        value.applyUnlessIgnoring(event, at: timestamp, state: state, share: &share)
    }
}

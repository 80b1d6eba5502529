import Crypto

/// A read model folded from a machine's events beside its state, with its own name and schema version.
///
/// The engine applies every committed event to each projection right after the machine's own `apply`, passing the
/// machine state after that event (a projection may look things up there, never change it). A projection is
/// deterministic like the machine: rebuilt from the log it equals the live one. Its snapshot on disk is keyed by
/// `name` and `version`: a changed version is rebuilt from the log instead of loaded.
public protocol Projection<Machine>: Sendable, SnapshotCodable {
    /// The machine whose events it folds.
    associatedtype Machine: EventSourcedMachine

    /// Its name (file names, the CLI's `--projection`, the query API): lower-case words joined by `-`.
    static var name: String { get }
    /// Its schema version; bump it whenever `apply` or the stored shape changes meaning.
    static var version: Int { get }

    /// The projection of an empty log.
    init()

    /// Folds one event, stamped `timestamp` (µs), given the machine state after it.
    mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State)

    /// Folds one event like `apply`, providing or taking a shared fold's output (see `FoldSharing`; default `apply`).
    mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State, share: inout FoldShare)

    /// Whether folding `event` would leave the projection (and any shared fold's output) exactly as it is, told
    /// without folding it: a `ProjectionSet` then skips the projection for that event. Default false: fold every event.
    func ignores(_ event: Machine.Event) -> Bool

    /// Folds one event like `apply(_:at:state:share:)` unless `ignores(_:)` says it changes nothing; an ignoring
    /// provider leaves `FoldShare.nothing`, what its fold would have yielded. What a `ProjectionSet` calls for each
    /// member (default provided): asked and folded in one access to the member, specialized for its type.
    mutating func applyUnlessIgnoring(
        _ event: Machine.Event,
        at timestamp: Int64,
        state: Machine.State,
        share: inout FoldShare
    )

    /// The part of the projection it can share with other members of a set, if any (see `FoldSharing`).
    var shareableFold: (any Sendable)? { get }

    /// Whether `fold` (another member's `shareableFold`) equals this projection's shared part.
    func sharesFold(with fold: any Sendable) -> Bool

    /// Replaces the shared part with `fold`, an equal member's after the same events.
    mutating func adoptFold(_ fold: any Sendable)
}

/// What a `ProjectionSet` hands between members that share a fold, within one event.
public struct FoldShare: Sendable {
    /// What the member does with the share.
    public enum Role: Sendable {
        /// Folds on its own (`apply`).
        case none
        /// Folds the shared part and leaves its output for the members that take it.
        case provide
        /// Takes the output of an equal member's fold instead of folding its shared part, which it leaves stale (the
        /// set gives it the provider's shared part whenever the member is read).
        case take
    }

    /// The member's role for this event.
    public var role: Role
    /// The shared fold's output in a `FoldOutputBox`, or `FoldShare.nothing` when it is empty: set by the provider,
    /// read by the takers. A class reference, not an existential of the output itself: handing a reference on and
    /// casting it to the box's class is a pointer comparison, where a boxed value is copied through its witnesses at
    /// each step and cast by the runtime's general cast (together about 2,000 instructions per event).
    public var output: (any AnyObject & Sendable)?

    /// A share of `role`, carrying `output`.
    public init(role: Role, output: (any AnyObject & Sendable)? = nil) {
        self.role = role
        self.output = output
    }

    /// The output of a shared fold that yielded nothing, which is most events': handed on without allocating a box
    /// (a box per event cost about 300 instructions, allocated, cast and freed).
    public static let nothing: any AnyObject & Sendable = EmptyFoldOutput()
}

/// What a shared fold yields for one event.
public protocol SharedFoldOutput: Sendable {
    /// An output of nothing.
    init()
    /// Whether the output is nothing, as `init()` makes it.
    var isEmpty: Bool { get }
}

/// The class of `FoldShare.nothing`.
private final class EmptyFoldOutput: Sendable {}

/// The output of a shared fold, as its provider hands it to the takers.
final class FoldOutputBox<Output: Sendable>: Sendable {
    /// The output.
    let value: Output

    /// A box holding `value`.
    init(_ value: Output) {
        self.value = value
    }
}

extension Projection {
    /// Ignores nothing: every event is folded.
    public func ignores(_ event: Machine.Event) -> Bool { false }

    /// Folds `event` unless the projection ignores it.
    public mutating func applyUnlessIgnoring(
        _ event: Machine.Event,
        at timestamp: Int64,
        state: Machine.State,
        share: inout FoldShare
    ) {
        guard !ignores(event) else {
            if share.role == .provide { share.output = FoldShare.nothing }
            return
        }
        apply(event, at: timestamp, state: state, share: &share)
    }

    /// Folds on its own: a projection that shares nothing.
    public mutating func apply(
        _ event: Machine.Event,
        at timestamp: Int64,
        state: Machine.State,
        share: inout FoldShare
    ) {
        apply(event, at: timestamp, state: state)
    }

    /// Nothing to share.
    public var shareableFold: (any Sendable)? { nil }

    /// Shares nothing.
    public func sharesFold(with fold: any Sendable) -> Bool { false }

    /// Nothing to adopt.
    public mutating func adoptFold(_ fold: any Sendable) {}
}

/// A projection part of whose fold other projections keep identically (contact-records, metrics@1 and metrics@2 each
/// keep the same builder of open contact records): in a `ProjectionSet`, the first such member folds the part once per
/// event and the others take its output, so the part is folded once, not once per member. Snapshots, hashes and a
/// rebuild of one member alone are unchanged: each member still owns its part, and the set hands the provider's part
/// to the others whenever its members are read.
public protocol FoldSharing: Projection {
    /// The shared part.
    associatedtype SharedFold: Equatable & Sendable
    /// What folding an event into the shared part yields for the rest of the projection.
    associatedtype FoldOutput: SharedFoldOutput

    /// The shared part.
    var sharedFold: SharedFold { get set }

    /// Folds one event into the shared part only.
    mutating func foldShared(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) -> FoldOutput

    /// Folds one event into the rest of the projection, given what the shared part's fold of it yielded.
    mutating func applyRest(_ event: Machine.Event, at timestamp: Int64, state: Machine.State, output: FoldOutput)
}

extension FoldSharing {
    /// Folds the shared part, then the rest.
    public mutating func apply(_ event: Machine.Event, at timestamp: Int64, state: Machine.State) {
        let output = foldShared(event, at: timestamp, state: state)
        applyRest(event, at: timestamp, state: state, output: output)
    }

    /// Folds as `share.role` says: on its own, providing the shared output, or taking it.
    public mutating func apply(
        _ event: Machine.Event,
        at timestamp: Int64,
        state: Machine.State,
        share: inout FoldShare
    ) {
        switch share.role {
        case .none:
            apply(event, at: timestamp, state: state)
        case .provide:
            let output = foldShared(event, at: timestamp, state: state)
            share.output = output.isEmpty ? FoldShare.nothing : FoldOutputBox(output)
            applyRest(event, at: timestamp, state: state, output: output)
        case .take:
            if share.output === FoldShare.nothing {
                applyRest(event, at: timestamp, state: state, output: FoldOutput())
                return
            }
            guard let box = share.output as? FoldOutputBox<FoldOutput> else {
                preconditionFailure("\(Self.key) was set to take a shared fold that its provider did not leave")
            }
            applyRest(event, at: timestamp, state: state, output: box.value)
        }
    }

    /// The shared part.
    public var shareableFold: (any Sendable)? { sharedFold }

    /// Whether `fold` is a shared part of the same kind, equal to this one.
    public func sharesFold(with fold: any Sendable) -> Bool { (fold as? SharedFold) == sharedFold }

    /// Takes `fold` as its shared part when it is of the same kind.
    public mutating func adoptFold(_ fold: any Sendable) {
        if let fold = fold as? SharedFold { sharedFold = fold }
    }
}

extension Projection {
    /// "name@version", how logs and the CLI name it.
    public static var key: String { "\(name)@\(version)" }

    /// SHA-256 (hex) of the canonical snapshot encoding: equal projections have equal hashes.
    public func stateHash() -> String { StateDigest.hex(StateDigest.sha256(snapshotBytes())) }
}

/// SHA-256 for state hashes and checkpoint sections.
public enum StateDigest {
    /// The 32-byte SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// How a machine's own state is saved in a checkpoint: its name, schema version and canonical encoding.
public struct StateSnapshotCodec<State>: Sendable {
    /// The state's name in checkpoint files.
    public var name: String
    /// Its schema version: a checkpoint written under another version is not loaded (the log is replayed).
    public var version: Int
    /// The canonical encoding.
    public var encode: @Sendable (State) -> [UInt8]
    /// Decodes what `encode` wrote.
    public var decode: @Sendable ([UInt8]) throws(DecodeError) -> State
    /// The split encoding a checkpoint stores, if the state has one: the hot bytes and the cold tables.
    public var splitEncoder: (@Sendable (State) -> (bytes: [UInt8], tables: [ColdTableBuild]))?
    /// Decodes what `splitEncoder` wrote, given its cold tables.
    public var splitDecoder: (@Sendable ([UInt8], ColdTables) throws(DecodeError) -> State)?

    /// Creates a codec; without split functions, checkpoints store the canonical encoding whole.
    public init(
        name: String,
        version: Int,
        encode: @escaping @Sendable (State) -> [UInt8],
        decode: @escaping @Sendable ([UInt8]) throws(DecodeError) -> State,
        encodeSplit: (@Sendable (State) -> (bytes: [UInt8], tables: [ColdTableBuild]))? = nil,
        decodeSplit: (@Sendable ([UInt8], ColdTables) throws(DecodeError) -> State)? = nil
    ) {
        self.name = name
        self.version = version
        self.encode = encode
        self.decode = decode
        self.splitEncoder = encodeSplit
        self.splitDecoder = decodeSplit
    }

    /// What a checkpoint stores: the split encoding (hot bytes and cold tables, see `TieredMap`), or else the
    /// canonical encoding whole.
    public func encodeSplit(_ state: State) -> (bytes: [UInt8], tables: [ColdTableBuild]) {
        splitEncoder?(state) ?? (encode(state), [])
    }

    /// Decodes what `encodeSplit` wrote, given its cold tables.
    public func decodeSplit(_ bytes: [UInt8], _ tables: ColdTables) throws(DecodeError) -> State {
        guard let splitDecoder else { return try decode(bytes) }
        return try splitDecoder(bytes, tables)
    }
}

extension StateSnapshotCodec where State: SnapshotCodable & SendableMetatype {
    /// The codec of a `SnapshotCodable` state.
    public static func canonical(name: String, version: Int) -> StateSnapshotCodec {
        StateSnapshotCodec(
            name: name,
            version: version,
            encode: { $0.snapshotBytes() },
            decode: { (bytes) throws(DecodeError) -> State in try State(snapshotBytes: bytes) },
            encodeSplit: { $0.splitSnapshot() },
            decodeSplit: { (bytes, tables) throws(DecodeError) -> State in
                try State(splitSnapshot: bytes, tables: tables)
            }
        )
    }
}

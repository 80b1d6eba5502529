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

import ParleyDomain

/// How checkpoints are taken.
public struct CheckpointPolicy: Sendable {
    /// Take one after this many events since the last (0: never while running).
    public var everyEvents: Int
    /// Take one when the engine closes, if anything changed since the last.
    public var onClose: Bool
    /// Load the newest checkpoint at open (false: always replay the whole log).
    public var loadAtOpen: Bool

    /// A policy; the default checkpoints every 50,000 events and on close, and loads at open.
    public init(everyEvents: Int = 50_000, onClose: Bool = true, loadAtOpen: Bool = true) {
        self.everyEvents = everyEvents
        self.onClose = onClose
        self.loadAtOpen = loadAtOpen
    }

    /// Never write or read checkpoints.
    public static let disabled = CheckpointPolicy(everyEvents: 0, onClose: false, loadAtOpen: false)
}

/// Where one registered projection is.
public struct ProjectionStatus: Sendable, Equatable, Encodable {
    /// Its lifecycle.
    public enum Phase: String, Sendable, Encodable {
        /// Published with every snapshot.
        case ready
        /// Being rebuilt from the log beside the serving copy (if any).
        case rebuilding
        /// Its last rebuild failed (`message` says why); the serving copy, if any, stays.
        case failed
    }

    /// "name@version".
    public var key: String
    /// The name.
    public var name: String
    /// The schema version.
    public var version: Int
    /// Ready, rebuilding or failed.
    public var phase: Phase
    /// Whether a copy is served (ready, or the old copy while rebuilding).
    public var serving: Bool
    /// How it was obtained at open: "checkpoint", "replay" or "rebuild".
    public var source: String
    /// The last rebuild, if any.
    public var lastRebuild: RebuildReport?
    /// Why the last rebuild failed.
    public var message: String?
}

/// What a rebuild did.
public struct RebuildReport: Sendable, Equatable, Encodable {
    /// "name@version".
    public var key: String
    /// Records folded from the log (the backlog up to the start plus the tail committed meanwhile).
    public var events: UInt64
    /// Wall-clock seconds.
    public var seconds: Double
    /// Records folded per second.
    public var eventsPerSecond: Double
    /// The log position the rebuilt projection reflects when swapped in.
    public var position: UInt64
    /// Its state hash.
    public var stateHash: String
    /// Whether it equals the copy it replaced (nil when there was none).
    public var matchesReplaced: Bool?
}

/// What opening found: the checkpoint used (if any) and how much log was replayed.
public struct OpenReport: Sendable, Equatable, Encodable {
    /// The checkpoint file loaded, if any.
    public var checkpoint: String?
    /// Its position (0 without one).
    public var checkpointPosition: UInt64 = 0
    /// Checkpoint files passed over, and why.
    public var rejected: [String] = []
    /// Log records replayed after the checkpoint.
    public var replayedRecords: UInt64 = 0
    /// Projections loaded from the checkpoint.
    public var loaded: [String] = []
    /// Projections the checkpoint lacked (a new version): rebuilt in the background after open.
    public var rebuilding: [String] = []
    /// Wall-clock seconds the open took.
    public var seconds: Double = 0
}

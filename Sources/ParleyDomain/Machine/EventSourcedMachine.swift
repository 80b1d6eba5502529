/// A deterministic, event-sourced state machine: the contract between a domain and the engine that runs it.
///
/// `decide` is pure: it validates a command against the state and returns the events to record (or a typed
/// failure, in which case nothing is written). `apply` folds one recorded event into the state and is the only
/// code that changes it, live and on replay alike. Neither reads a clock, a random source or the network: time
/// arrives as the event timestamps the engine assigns, and identifiers come from `DecisionContext`.
public protocol EventSourcedMachine {
    /// Everything the projections know; a value type, published to readers as an immutable snapshot.
    associatedtype State: Sendable
    /// A request to change the state.
    associatedtype Command: Sendable
    /// A recorded fact; what the log stores.
    associatedtype Event: Sendable
    /// What a caller is told once the command's events are durable.
    associatedtype Reply: Sendable
    /// Why a command was rejected.
    associatedtype Failure: Error & Sendable

    /// The state of an empty log.
    static func initialState() -> State

    /// Validates `command` against `state` at `context.now` and returns the events it causes and the reply.
    static func decide(
        _ state: State,
        _ command: Command,
        context: inout DecisionContext
    ) -> Result<Decision<Event, Reply>, Failure>

    /// `decide` for the single writer, on the state it changes in place instead of on a copy (which would copy every
    /// path of the state it changes): see `InPlaceDecision` for what it leaves in `state`. `observe` is told of each
    /// event right after it is applied, with the state after it (how the writer folds its projections without keeping
    /// a copy of the state per event); after a rejection, what it was told is void.
    static func decideInPlace(
        _ state: inout State,
        _ command: Command,
        context: inout DecisionContext,
        observe: (_ event: Event, _ timestamp: Int64, _ state: State) -> Void
    ) -> InPlaceDecision<State, Event, Reply, Failure>

    /// Folds one recorded event, stamped `timestamp` (µs since the Unix epoch), into `state`.
    static func apply(_ event: Event, at timestamp: Int64, to state: inout State)

    /// The record tag and payload of `event`.
    static func encode(_ event: Event) -> (tag: UInt16, payload: [UInt8])

    /// Decodes a record written by `encode` (any schema version ever written); nil for tags that are not events of
    /// this machine (such records are skipped by replay).
    static func decode(tag: UInt16, payload: UnsafeRawBufferPointer) throws(DecodeError) -> Event?

    /// The earliest deadline (µs) that has not fired yet, if any.
    static func nextDeadline(in state: State) -> Int64?

    /// The command that fires every deadline ≤ `now`, or nil when none is due.
    static func timerCommand(in state: State, now: Int64) -> Command?

    /// The failure reported to every command of a batch the log could not make durable.
    static func storageFailure(_ message: String) -> Failure

    /// How the state is saved in checkpoints; nil (the default) when it is not, and every open replays the log.
    static var stateSnapshot: StateSnapshotCodec<State>? { get }
}

extension EventSourcedMachine {
    /// No checkpoints unless the machine provides a codec.
    public static var stateSnapshot: StateSnapshotCodec<State>? { nil }

    /// Decides on a copy of `state`, then applies the events to `state`, telling `observe` of each.
    public static func decideInPlace(
        _ state: inout State,
        _ command: Command,
        context: inout DecisionContext,
        observe: (_ event: Event, _ timestamp: Int64, _ state: State) -> Void
    ) -> InPlaceDecision<State, Event, Reply, Failure> {
        decideOnCopy(&state, command, context: &context, observe: observe)
    }

    /// `decideInPlace` by `decide` on a copy of `state` and `apply`: what machines without a cheaper way use.
    public static func decideOnCopy(
        _ state: inout State,
        _ command: Command,
        context: inout DecisionContext,
        observe: (_ event: Event, _ timestamp: Int64, _ state: State) -> Void
    ) -> InPlaceDecision<State, Event, Reply, Failure> {
        switch decide(state, command, context: &context) {
        case .failure(let failure):
            return .rejected(failure)
        case .success(let decision):
            for (index, event) in decision.events.enumerated() {
                let timestamp = context.timestamp(ofEvent: index)
                apply(event, at: timestamp, to: &state)
                observe(event, timestamp, state)
            }
            return .decided(decision)
        }
    }
}

/// What `decideInPlace` did, and what it left in the state it was given.
public enum InPlaceDecision<State, Event, Reply, Failure: Error> {
    /// Accepted: the state is now the state after every event of the decision (what `apply` makes of them, each
    /// stamped `context.timestamp(ofEvent:)`), and the observer was told of each event in turn.
    case decided(Decision<Event, Reply>)
    /// Rejected, and the state is as it was given.
    case rejected(Failure)
    /// Rejected after the state had changed (events applied before the failure, which are dropped with it): the
    /// caller must restore the state.
    case rejectedAfterChange(Failure)
}

extension InPlaceDecision: Sendable where State: Sendable, Event: Sendable, Reply: Sendable {}

/// The events a command causes and what its caller is told.
public struct Decision<Event, Reply> {
    /// Events to append, in order; empty for a command that changes nothing (an idempotent retry).
    public var events: [Event]
    /// The answer for the caller, sent after the events are durable.
    public var reply: Reply

    /// Creates a decision.
    public init(events: [Event], reply: Reply) {
        self.events = events
        self.reply = reply
    }
}

extension Decision: Sendable where Event: Sendable, Reply: Sendable {}

/// What `decide` may use beyond the state: the time and a source of fresh identifiers.
///
/// The engine stamps the k-th event of a command `now + k` µs (so every event has its own, strictly increasing
/// timestamp); `timestamp(ofEvent:)` tells `decide` the time an event will carry.
public struct DecisionContext {
    /// The timestamp of the command's first event (µs since the Unix epoch).
    public let now: Int64
    private var generator: any RandomNumberGenerator

    /// Creates a context at `now` drawing identifiers from `generator`.
    public init(now: Int64, generator: any RandomNumberGenerator) {
        self.now = now
        self.generator = generator
    }

    /// The timestamp the command's event number `index` (from 0) will carry.
    public func timestamp(ofEvent index: Int) -> Int64 { now + Int64(index) }

    /// A fresh random identifier (recorded in an event; never regenerated on replay).
    public mutating func newIdentifier() -> Identifier {
        var source = generator
        defer { generator = source }
        return Identifier.random(using: &source)
    }

    /// The generator after the identifiers drawn so far (the engine keeps using it).
    public var randomSource: any RandomNumberGenerator { generator }
}

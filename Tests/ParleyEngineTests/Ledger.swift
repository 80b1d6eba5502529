import ParleyDomain

/// A small bank ledger: just enough domain to exercise the engine.
///
/// Accounts get identifiers from the decision context; `open` of an existing account is an idempotent no-op; a
/// withdrawal beyond the available balance is rejected; a transfer writes two events; a hold reserves money until a
/// deadline, and the timer command releases due holds, recording the deadline.
enum Ledger: EventSourcedMachine {
    struct Account: Hashable, Sendable {
        var id: Identifier
        var balance: Int64 = 0
        var held: Int64 = 0
        var available: Int64 { balance - held }
    }

    struct Hold: Hashable, Sendable {
        var account: String
        var amount: Int64
        var until: Int64
    }

    struct Release: Hashable, Sendable {
        var deadline: Int64
        var at: Int64
    }

    struct State: Hashable, Sendable {
        var accounts: [String: Account] = [:]
        var holds: [Identifier: Hold] = [:]
        var released: [Identifier: Release] = [:]
        var memos: [String] = []
        var events = 0
        var lastTimestamp: Int64 = 0
        /// Events applied with a timestamp not after the previous one; must stay 0.
        var nonIncreasingTimestamps = 0
    }

    enum Command: Sendable {
        case open(String)
        case deposit(String, Int64)
        case withdraw(String, Int64)
        case transfer(from: String, to: String, Int64)
        case hold(String, Int64, forMicroseconds: Int64)
        case releaseHolds(dueBy: Int64)
        case memo(String)
        /// Notes `text` in place, then is refused (`decideInPlace` answers `.rejectedAfterChange`).
        case memoThenRefuse(String)
    }

    enum Event: Sendable, Equatable {
        case opened(id: Identifier, account: String)
        case deposited(account: String, amount: Int64)
        case withdrew(account: String, amount: Int64)
        case held(id: Identifier, account: String, amount: Int64, until: Int64)
        case released(id: Identifier, deadline: Int64)
        case noted(String)
    }

    enum Reply: Sendable, Equatable {
        case opened(Identifier)
        case balance(Int64)
        case held(Identifier)
        case released(Int)
        case noted
    }

    struct Failure: Error, Sendable, Equatable {
        enum Code: Sendable, Equatable {
            case unknownAccount, insufficientFunds, invalidAmount, storage, refused
        }

        var code: Code
        var message: String
    }

    enum Tag {
        static let opened: UInt16 = 1
        static let deposited: UInt16 = 2
        static let withdrew: UInt16 = 3
        static let held: UInt16 = 4
        static let released: UInt16 = 5
        static let noted: UInt16 = 6
    }

    static func initialState() -> State { State() }

    static func decide(
        _ state: State,
        _ command: Command,
        context: inout DecisionContext
    ) -> Result<Decision<Event, Reply>, Failure> {
        func unknown(_ name: String) -> Result<Decision<Event, Reply>, Failure> {
            .failure(Failure(code: .unknownAccount, message: "no account \(name)"))
        }
        func invalid(_ amount: Int64) -> Failure? {
            amount > 0 ? nil : Failure(code: .invalidAmount, message: "amount \(amount) must be positive")
        }
        func uncovered(_ account: Account, _ amount: Int64) -> Failure? {
            amount <= account.available
                ? nil : Failure(code: .insufficientFunds, message: "\(amount) exceeds \(account.available)")
        }

        switch command {
        case .open(let name):
            if let existing = state.accounts[name] {
                return .success(Decision(events: [], reply: .opened(existing.id)))
            }
            let id = context.newIdentifier()
            return .success(Decision(events: [.opened(id: id, account: name)], reply: .opened(id)))
        case .deposit(let name, let amount):
            if let problem = invalid(amount) { return .failure(problem) }
            guard let account = state.accounts[name] else { return unknown(name) }
            let event = Event.deposited(account: name, amount: amount)
            return .success(Decision(events: [event], reply: .balance(account.balance + amount)))
        case .withdraw(let name, let amount):
            if let problem = invalid(amount) { return .failure(problem) }
            guard let account = state.accounts[name] else { return unknown(name) }
            if let problem = uncovered(account, amount) { return .failure(problem) }
            let event = Event.withdrew(account: name, amount: amount)
            return .success(Decision(events: [event], reply: .balance(account.balance - amount)))
        case .transfer(let from, let to, let amount):
            if let problem = invalid(amount) { return .failure(problem) }
            guard let source = state.accounts[from] else { return unknown(from) }
            guard state.accounts[to] != nil else { return unknown(to) }
            if let problem = uncovered(source, amount) { return .failure(problem) }
            let events = [Event.withdrew(account: from, amount: amount), .deposited(account: to, amount: amount)]
            return .success(Decision(events: events, reply: .balance(source.balance - amount)))
        case .hold(let name, let amount, let duration):
            if let problem = invalid(amount) { return .failure(problem) }
            guard let account = state.accounts[name] else { return unknown(name) }
            if let problem = uncovered(account, amount) { return .failure(problem) }
            let id = context.newIdentifier()
            let event = Event.held(id: id, account: name, amount: amount, until: context.now + duration)
            return .success(Decision(events: [event], reply: .held(id)))
        case .releaseHolds(let dueBy):
            let due = state.holds.filter { $0.value.until <= dueBy }.sorted {
                ($0.value.until, $0.key) < ($1.value.until, $1.key)
            }
            let events = due.map { Event.released(id: $0.key, deadline: $0.value.until) }
            return .success(Decision(events: events, reply: .released(events.count)))
        case .memo(let text):
            return .success(Decision(events: [.noted(text)], reply: .noted))
        case .memoThenRefuse(let text):
            return .failure(Failure(code: .refused, message: "refused after noting \(text)"))
        }
    }

    /// `decideOnCopy`, except that `.memoThenRefuse` applies its note to `state` before it is refused.
    static func decideInPlace(
        _ state: inout State,
        _ command: Command,
        context: inout DecisionContext,
        observe: (_ event: Event, _ timestamp: Int64, _ state: State) -> Void
    ) -> InPlaceDecision<State, Event, Reply, Failure> {
        guard case .memoThenRefuse(let text) = command else {
            return decideOnCopy(&state, command, context: &context, observe: observe)
        }
        apply(.noted(text), at: context.now, to: &state)
        // The writer's working projections see the note too, and must be restored with the state.
        observe(.noted(text), context.now, state)
        return .rejectedAfterChange(Failure(code: .refused, message: "refused after noting \(text)"))
    }

    static func apply(_ event: Event, at timestamp: Int64, to state: inout State) {
        if state.events > 0 && timestamp <= state.lastTimestamp { state.nonIncreasingTimestamps += 1 }
        state.events += 1
        state.lastTimestamp = timestamp
        switch event {
        case .opened(let id, let name):
            state.accounts[name] = Account(id: id)
        case .deposited(let name, let amount):
            state.accounts[name]?.balance += amount
        case .withdrew(let name, let amount):
            state.accounts[name]?.balance -= amount
        case .held(let id, let name, let amount, let until):
            state.holds[id] = Hold(account: name, amount: amount, until: until)
            state.accounts[name]?.held += amount
        case .released(let id, let deadline):
            guard let hold = state.holds.removeValue(forKey: id) else { return }
            state.accounts[hold.account]?.held -= hold.amount
            state.released[id] = Release(deadline: deadline, at: timestamp)
        case .noted(let text):
            state.memos.append(text)
        }
    }

    static func encode(_ event: Event) -> (tag: UInt16, payload: [UInt8]) {
        var writer = BinaryWriter()
        writer.write(byte: 1)
        let tag: UInt16
        switch event {
        case .opened(let id, let name):
            tag = Tag.opened
            writer.write(identifier: id)
            writer.write(string: name)
        case .deposited(let name, let amount):
            tag = Tag.deposited
            writer.write(string: name)
            writer.write(varInt: amount)
        case .withdrew(let name, let amount):
            tag = Tag.withdrew
            writer.write(string: name)
            writer.write(varInt: amount)
        case .held(let id, let name, let amount, let until):
            tag = Tag.held
            writer.write(identifier: id)
            writer.write(string: name)
            writer.write(varInt: amount)
            writer.write(varInt: until)
        case .released(let id, let deadline):
            tag = Tag.released
            writer.write(identifier: id)
            writer.write(varInt: deadline)
        case .noted(let text):
            tag = Tag.noted
            writer.write(string: text)
        }
        return (tag, writer.bytes)
    }

    static func decode(tag: UInt16, payload: UnsafeRawBufferPointer) throws(DecodeError) -> Event? {
        guard (Tag.opened...Tag.noted).contains(tag) else { return nil }
        var reader = BinaryReader(payload)
        let version = try reader.readByte()
        guard version == 1 else {
            throw DecodeError(.unsupportedVersion, "ledger event version \(version)", offset: 0)
        }
        let event: Event
        switch tag {
        case Tag.opened:
            let id = try reader.readIdentifier()
            event = .opened(id: id, account: try reader.readString())
        case Tag.deposited:
            let name = try reader.readString()
            event = .deposited(account: name, amount: try reader.readVarInt())
        case Tag.withdrew:
            let name = try reader.readString()
            event = .withdrew(account: name, amount: try reader.readVarInt())
        case Tag.held:
            let id = try reader.readIdentifier()
            let name = try reader.readString()
            let amount = try reader.readVarInt()
            event = .held(id: id, account: name, amount: amount, until: try reader.readVarInt())
        case Tag.released:
            let id = try reader.readIdentifier()
            event = .released(id: id, deadline: try reader.readVarInt())
        default:
            event = .noted(try reader.readString())
        }
        try reader.expectEnd()
        return event
    }

    static func nextDeadline(in state: State) -> Int64? {
        state.holds.values.map(\.until).min()
    }

    static func timerCommand(in state: State, now: Int64) -> Command? {
        guard let deadline = nextDeadline(in: state), deadline <= now else { return nil }
        return .releaseHolds(dueBy: now)
    }

    static func storageFailure(_ message: String) -> Failure {
        Failure(code: .storage, message: message)
    }
}

/// A machine whose timer is always due, to check that timer rounds end: it writes a tick, writes nothing, or
/// refuses, as its mode says.
enum Restless: EventSourcedMachine {
    enum Mode: UInt8, Sendable {
        case ticking = 1
        case silent = 2
        case refusing = 3
    }

    struct State: Hashable, Sendable {
        var mode = Mode.ticking
        var ticks = 0
    }

    enum Command: Sendable {
        case tick
        case setMode(Mode)
    }

    enum Event: Sendable {
        case ticked
        case modeSet(Mode)
    }

    struct Failure: Error, Sendable {
        var message: String
    }

    static func initialState() -> State { State() }

    static func decide(
        _ state: State,
        _ command: Command,
        context: inout DecisionContext
    ) -> Result<Decision<Event, Void>, Failure> {
        switch command {
        case .setMode(let mode):
            return .success(Decision(events: [.modeSet(mode)], reply: ()))
        case .tick:
            switch state.mode {
            case .ticking: return .success(Decision(events: [.ticked], reply: ()))
            case .silent: return .success(Decision(events: [], reply: ()))
            case .refusing: return .failure(Failure(message: "not now"))
            }
        }
    }

    static func apply(_ event: Event, at timestamp: Int64, to state: inout State) {
        switch event {
        case .ticked: state.ticks += 1
        case .modeSet(let mode): state.mode = mode
        }
    }

    static func encode(_ event: Event) -> (tag: UInt16, payload: [UInt8]) {
        switch event {
        case .ticked: (1, [])
        case .modeSet(let mode): (2, [mode.rawValue])
        }
    }

    static func decode(tag: UInt16, payload: UnsafeRawBufferPointer) throws(DecodeError) -> Event? {
        switch tag {
        case 1: return .ticked
        case 2:
            guard payload.count == 1, let mode = Mode(rawValue: payload[0]) else {
                throw DecodeError(.invalidValue, "mode", offset: 0)
            }
            return .modeSet(mode)
        default: return nil
        }
    }

    static func nextDeadline(in state: State) -> Int64? { 0 }

    static func timerCommand(in state: State, now: Int64) -> Command? { .tick }

    static func storageFailure(_ message: String) -> Failure { Failure(message: message) }
}

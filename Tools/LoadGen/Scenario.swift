import Foundation

/// What one load run does: how many chats, how fast they arrive, how the simulated people behave, and the limits
/// the run is judged by.
struct LoadScenario: Sendable, Codable, Equatable {
    /// Concurrent chats to reach and hold.
    var chats: Int
    /// Customers arriving per second (Poisson) until `chats` have started.
    var arrivalRate: Double
    /// Mean seconds between a customer's messages (each wait is drawn from ±`jitter` around it).
    var messageInterval: Double
    /// Relative spread of every think time: a wait is `mean × (1 ± jitter)`, uniformly.
    var jitter: Double
    /// Mean seconds an agent thinks before answering a customer's message.
    var agentThinkTime: Double
    /// Chance that a message is preceded by a typing event.
    var typingFraction: Double
    /// Fraction of customers who close their websocket once during the hold and come back later.
    var leaveFraction: Double
    /// Mean seconds a leaving customer stays away.
    var awaySeconds: Double
    /// Fraction of customers who switch device once during the hold (a second connection, both checked).
    var switchFraction: Double
    /// Fraction of chats in which the agent also has a websocket (the rest: the agent sends on its own timer).
    var agentWebsocketFraction: Double
    /// Agents (nil: enough for `chats` at `concurrency`, plus 5 %).
    var agents: Int?
    /// Chats per agent (the routing profile's chat concurrency, 1–10).
    var concurrency: Int
    /// The most agents one instance gets (at most the users quota); more agents go to more instances.
    var agentsPerInstance: Int
    /// Seconds to hold the plateau.
    var holdSeconds: Double
    /// Bytes of each message's content.
    var messageBytes: Int
    /// Seconds between `aws/heartbeat` frames on every websocket; 0 sends none.
    var heartbeatSeconds: Double
    /// Seconds to wait for every acknowledged message to arrive once sending stops.
    var drainSeconds: Double
    /// Seconds over which the customers leave at the end (each at a uniformly random moment).
    var departureSeconds: Double
    /// The largest share of failed operations the run tolerates.
    var maxErrorRate: Double
    /// Seed of every random choice.
    var seed: UInt64

    /// The agents the run creates.
    var agentCount: Int {
        if let agents { return agents }
        let needed = (chats + concurrency - 1) / concurrency
        return max(1, needed + (needed + 19) / 20)
    }

    /// Users an instance may have: Amazon's default quota, which Parley enforces.
    static let usersQuota = 500

    /// Instances the run spreads its chats and agents over: as few as hold the agents at `agentsPerInstance`.
    var instanceCount: Int { (agentCount + agentsPerInstance - 1) / agentsPerInstance }

    /// Messages a chat carries per second: the customer's and the agent's answers (or timer messages).
    var messagesPerChatPerSecond: Double { 2 / messageInterval }

    /// Messages per second across all chats at the plateau.
    var messagesPerSecond: Double { Double(chats) * messagesPerChatPerSecond }

    /// Checks the parameters; the error names the first bad one.
    func validate() throws(LoadError) {
        func require(_ condition: Bool, _ message: String) throws(LoadError) {
            if !condition { throw LoadError(.invalidScenario, message) }
        }
        try require(chats >= 1, "--chats must be at least 1")
        try require(arrivalRate > 0 && arrivalRate.isFinite, "--arrival-rate must be positive")
        try require(messageInterval > 0, "--message-interval must be positive")
        try require((0...0.95).contains(jitter), "--jitter must be 0–0.95")
        try require(agentThinkTime >= 0, "--think-time must not be negative")
        for (name, value) in [
            ("--typing-fraction", typingFraction), ("--leave-fraction", leaveFraction),
            ("--switch-fraction", switchFraction), ("--agent-websocket-fraction", agentWebsocketFraction),
        ] {
            try require((0...1).contains(value), "\(name) must be 0–1")
        }
        try require(awaySeconds >= 0, "--away must not be negative")
        try require((1...10).contains(concurrency), "--concurrency must be 1–10 (Amazon's chat limit)")
        try require(agents.map { $0 >= 1 } ?? true, "--agents must be at least 1")
        try require(
            (1...Self.usersQuota).contains(agentsPerInstance),
            "--agents-per-instance must be 1–\(Self.usersQuota) (the users quota of an instance)"
        )
        try require(
            agentCount * concurrency >= chats,
            "\(agentCount) agents × \(concurrency) cannot hold \(chats) chats"
        )
        try require(holdSeconds >= 0, "--hold must not be negative")
        try require((16...8_192).contains(messageBytes), "--message-bytes must be 16–8192")
        try require(heartbeatSeconds >= 0, "--heartbeat must not be negative")
        try require(drainSeconds > 0, "--drain must be positive")
        try require(departureSeconds >= 0, "--departure must not be negative")
        try require((0...1).contains(maxErrorRate), "--max-error-rate must be 0–1")
    }
}

/// A failure of the load generator itself or of an operation it ran: a code to count it by and what happened.
struct LoadError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        let name: String
        var description: String { name }

        static let invalidScenario = Code(name: "invalid scenario")
        static let server = Code(name: "server")
        static let http = Code(name: "http")
        static let transport = Code(name: "transport")
        static let protocolViolation = Code(name: "protocol")
        static let timeout = Code(name: "timeout")
    }

    /// The kind.
    var code: Code
    /// What happened.
    var message: String
    /// How failures like this one are counted in the report (e.g. `SendMessage 429 ThrottlingException`).
    var kind: String

    init(_ code: Code, _ message: String, kind: String? = nil) {
        self.code = code
        self.message = message
        self.kind = kind ?? code.name
    }

    var description: String { "\(code): \(message)" }
}

/// A small, fast, seedable random number generator (SplitMix64), so a run's choices follow from `--seed`.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `mean × (1 ± jitter)`, uniformly.
    mutating func around(_ mean: Double, jitter: Double) -> Double {
        guard mean > 0 else { return 0 }
        return mean * Double.random(in: (1 - jitter)...(1 + jitter), using: &self)
    }

    /// An exponentially distributed wait with the given rate (the gaps of a Poisson process).
    mutating func exponential(rate: Double) -> Double {
        -log(1 - Double.random(in: 0..<1, using: &self)) / rate
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

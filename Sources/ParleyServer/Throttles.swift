import Synchronization

/// Per-instance request rates of the chat and control-plane operations, as Amazon Connect applies them
/// (connect-chat.md §1–§2, §10; Amazon's API reference: GetMetricData and GetCurrentMetricData 5/s burst 8, every
/// other control-plane operation 2/s burst 5): one token bucket per instance and operation (SendMessage and SendEvent
/// share one). A request over the rate is refused with `ThrottlingException` (429) and changes nothing.
///
/// Time here is the monotonic clock of the process: throttling is admission control, not domain state, and never
/// reaches the log.
public final class Throttles: Sendable {
    /// A sustained rate (requests per second) and a burst (the bucket's size).
    public struct Rate: Codable, Sendable, Equatable {
        /// Requests per second the bucket refills with.
        public var rate: Double
        /// The most requests accepted at once.
        public var burst: Int

        /// Creates a rate.
        public init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// Amazon's default rates of the operations Parley throttles.
    public static let amazonDefaults: [String: Rate] = [
        "StartChatContact": Rate(rate: 5, burst: 8),
        "CreateParticipantConnection": Rate(rate: 6, burst: 9),
        "SendMessage": Rate(rate: 10, burst: 15),
        "GetTranscript": Rate(rate: 8, burst: 12),
        "DisconnectParticipant": Rate(rate: 3, burst: 5),
        "GetCurrentMetricData": Rate(rate: 5, burst: 8),
        "GetMetricData": Rate(rate: 5, burst: 8),
        "GetMetricDataV2": Rate(rate: 5, burst: 8),
    ]

    /// Amazon's rate of every other control-plane operation.
    public static let controlPlaneDefault = Rate(rate: 2, burst: 5)

    /// Every operation that is throttled, by name (what `throttles` in the configuration may name).
    public static let operations: Set<String> = Set(amazonDefaults.keys).union(ControlPlaneOperations.names)

    /// Operations that share another's bucket.
    static let sharedBuckets = ["SendEvent": "SendMessage"]

    /// The rates in force (defaults overridden by the configuration); empty when throttling is off.
    public let rates: [String: Rate]
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    /// Throttles with Amazon's defaults overridden by `overrides`; `enabled: false` throttles nothing.
    public init(enabled: Bool = true, overrides: [String: Rate] = [:]) {
        var defaults = Self.amazonDefaults
        for operation in ControlPlaneOperations.names where defaults[operation] == nil {
            defaults[operation] = Self.controlPlaneDefault
        }
        rates = enabled ? defaults.merging(overrides) { _, configured in configured } : [:]
        origin = clock.now
    }

    /// Takes one token of `operation`'s bucket in `instance`, or refuses with ThrottlingException.
    public func admit(_ operation: String, instance: String) throws(APIError) {
        let name = Self.sharedBuckets[operation] ?? operation
        guard let rate = rates[name], rate.burst > 0 else { return }
        let elapsed = origin.duration(to: clock.now)
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let admitted = buckets.withLock { buckets -> Bool in
            let key = instance + "\u{0}" + name
            var bucket = buckets[key] ?? Bucket(tokens: Double(rate.burst), updated: now)
            bucket.tokens = min(Double(rate.burst), bucket.tokens + (now - bucket.updated) * max(rate.rate, 0))
            bucket.updated = now
            let admitted = bucket.tokens >= 1
            if admitted { bucket.tokens -= 1 }
            buckets[key] = bucket
            return admitted
        }
        guard admitted else {
            throw APIError(
                .throttling,
                "Rate exceeded: \(operation) is limited to \(rate.rate == rate.rate.rounded() ? String(Int(rate.rate)) : String(rate.rate)) requests per second "
                    + "(burst \(rate.burst)) per instance"
            )
        }
    }
}

/// Failed agent logins per instance and user name: after `allowed` failures within `window` the user's logins are
/// refused (429) until the oldest of them is older than the window, so a password cannot be guessed at the speed
/// the server answers. A success clears the user's failures. Names that do not exist are counted the same way, so
/// the answer never tells whether a user exists. In memory only, like the rate buckets (admission control, not
/// domain state); the table holds at most `capacity` names, the stalest dropped first.
public final class LoginGuard: Sendable {
    /// Failures allowed within the window (0: no guard).
    public let allowed: Int
    /// The window, in seconds.
    public let window: Double
    private let capacity: Int
    private let failures = Mutex<[String: [Double]]>([:])
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// A guard allowing `allowed` failures per `window` seconds and user name.
    public init(allowed: Int, window: Double = 300, capacity: Int = 10_000) {
        self.allowed = allowed
        self.window = window
        self.capacity = capacity
        origin = clock.now
    }

    private var now: Double {
        let elapsed = origin.duration(to: clock.now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private static func key(_ instance: String, _ username: String) -> String { instance + "\u{0}" + username }

    /// Refuses with ThrottlingException while the user has used up the failures of the window.
    public func check(instance: String, username: String) throws(APIError) {
        guard allowed > 0 else { return }
        let now = self.now
        let wait: Double? = failures.withLock { table in
            let key = Self.key(instance, username)
            let recent = (table[key] ?? []).filter { now - $0 < window }
            table[key] = recent.isEmpty ? nil : recent
            guard recent.count >= allowed, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
        if let wait {
            throw APIError(
                .throttling,
                "too many failed logins for \(username): try again in \(Int(wait.rounded(.up))) seconds"
            )
        }
    }

    /// Records a failed login.
    public func failed(instance: String, username: String) {
        guard allowed > 0 else { return }
        let now = self.now
        failures.withLock { table in
            table[Self.key(instance, username), default: []].append(now)
            guard table.count > capacity else { return }
            table = table.filter { now - ($0.value.last ?? 0) < window }
            while table.count > capacity,
                let stalest = table.min(by: { ($0.value.last ?? 0) < ($1.value.last ?? 0) })?.key
            {
                table[stalest] = nil
            }
        }
    }

    /// Clears the failures of a user who logged in.
    public func succeeded(instance: String, username: String) {
        guard allowed > 0 else { return }
        failures.withLock { $0[Self.key(instance, username)] = nil }
    }
}

extension APIError.Code {
    /// The request rate of the operation was exceeded; retry later.
    public static let throttling = APIError.Code(name: "ThrottlingException", httpStatus: 429)
}

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one clock of an engine: microseconds since the Unix epoch, read only by the writer.
///
/// The engine never trusts it to be monotonic: it stamps `max(now(), last + 1)`.
public protocol EngineClock: Sendable {
    /// The current time in µs since the Unix epoch (UTC).
    func now() -> Int64
}

/// The system wall clock (`CLOCK_REALTIME`).
public struct SystemClock: EngineClock {
    /// Creates the wall clock.
    public init() {}

    /// The wall-clock time in µs since the Unix epoch.
    public func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}

/// A clock that moves only when told to; for tests that cover hours of deadlines in milliseconds.
public final class ManualClock: EngineClock {
    private let current: Mutex<Int64>

    /// Creates a clock reading `microseconds` since the Unix epoch.
    public init(_ microseconds: Int64) {
        current = Mutex(microseconds)
    }

    /// The time the clock was last set or advanced to.
    public func now() -> Int64 { current.withLock { $0 } }

    /// Moves the clock forward (or, with a negative amount, backward) by `microseconds`.
    public func advance(byMicroseconds microseconds: Int64) {
        current.withLock { $0 += microseconds }
    }

    /// Moves the clock by `milliseconds`.
    public func advance(byMilliseconds milliseconds: Int64) {
        advance(byMicroseconds: milliseconds * 1_000)
    }

    /// Sets the clock to `microseconds` since the Unix epoch, forwards or backwards.
    public func set(_ microseconds: Int64) {
        current.withLock { $0 = microseconds }
    }
}

import Foundation
import Histogram
import Synchronization

/// A latency the run measures.
enum Metric: String, CaseIterable, Codable, Sendable {
    case startChat = "StartChatContact"
    case connection = "CreateParticipantConnection"
    case websocket = "websocket open+subscribe"
    case sendMessage = "SendMessage"
    case sendEvent = "SendEvent (typing)"
    case transcript = "GetTranscript"
    case disconnect = "DisconnectParticipant"
    case offer = "start → offer on agent stream"
    case accept = "agent accept"
    case agentEnd = "agent end"
    case toAgent = "customer → agent websocket"
    case toCustomer = "agent → customer websocket"
    case deviceSwitch = "device switch probe on both"
    case createUser = "CreateUser"
    case login = "agent login"
}

/// The part of a run a measurement was taken in.
enum Phase: Int, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case setup, ramp, hold, windDown

    var description: String {
        switch self {
        case .setup: "setup"
        case .ramp: "ramp"
        case .hold: "hold"
        case .windDown: "wind-down"
        }
    }
}

/// Monotonic nanoseconds.
enum Clock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func seconds(since start: UInt64) -> Double { Double(now() &- start) / 1e9 }
}

/// Latency histograms by phase and metric (microseconds, three significant digits), event counts and errors by
/// kind; shared by every simulated customer and agent.
final class Stats: Sendable {
    private struct State {
        var phase = Phase.setup
        /// By `slot(phase, metric)`; created on first use, mutated in place.
        var histograms = [Histogram<UInt64>?](repeating: nil, count: Phase.allCases.count * Metric.allCases.count)
        var counts: [Phase: [String: Int]] = [:]
        var errors: [String: Int] = [:]
        var errorSamples: [String] = []
    }

    private let state = Mutex(State())

    /// The phase now.
    var phase: Phase { state.withLock { $0.phase } }

    /// Enters `phase`: later measurements count towards it.
    func enter(_ phase: Phase) { state.withLock { $0.phase = phase } }

    /// Records one latency of `metric` that began at `start` (monotonic ns).
    func record(_ metric: Metric, since start: UInt64) {
        record(metric, from: start, to: Clock.now())
    }

    private static func slot(_ phase: Phase, _ metric: Metric) -> Int {
        phase.rawValue * Metric.allCases.count + (Metric.allCases.firstIndex(of: metric) ?? 0)
    }

    /// Records one latency of `metric` between two monotonic instants (ns).
    func record(_ metric: Metric, from start: UInt64, to end: UInt64) {
        let micros = max(1, (end &- start) / 1_000)
        state.withLock { state in
            let slot = Self.slot(state.phase, metric)
            if state.histograms[slot] == nil {
                state.histograms[slot] = Histogram(
                    highestTrackableValue: 3_600_000_000,
                    numberOfSignificantValueDigits: .three
                )
            }
            _ = state.histograms[slot]?.record(end > start ? micros : 1)
        }
    }

    /// Counts one event of `name` (an operation done, a message delivered, …).
    func count(_ name: String, _ amount: Int = 1) {
        state.withLock { state in state.counts[state.phase, default: [:]][name, default: 0] += amount }
    }

    /// Counts a failure by its kind, keeping the first few messages as examples.
    func error(_ error: LoadError) {
        state.withLock { state in
            state.errors[error.kind, default: 0] += 1
            if state.errorSamples.count < 20 { state.errorSamples.append(error.description) }
        }
    }

    /// Counts a failure of any error type.
    func error(_ error: any Error, operation: String) {
        if let error = error as? LoadError {
            self.error(error)
        } else {
            self.error(LoadError(.transport, "\(operation): \(error)", kind: "\(operation) transport"))
        }
    }

    /// The summary of one histogram.
    struct Summary: Codable, Sendable {
        var count: UInt64
        var p50: Double
        var p99: Double
        var p999: Double
        var max: Double
        var mean: Double
    }

    /// Everything measured so far.
    struct Figures: Codable, Sendable {
        /// Latency summaries (milliseconds) by phase name and metric name.
        var latencies: [String: [String: Summary]]
        /// Counts by phase name and event name.
        var counts: [String: [String: Int]]
        /// Failures by kind.
        var errors: [String: Int]
        /// The first few failures.
        var errorSamples: [String]
    }

    /// A snapshot of the figures.
    func figures() -> Figures {
        state.withLock { state in
            var latencies: [String: [String: Summary]] = [:]
            for phase in Phase.allCases {
                for metric in Metric.allCases {
                    guard let histogram = state.histograms[Self.slot(phase, metric)], histogram.totalCount > 0 else {
                        continue
                    }
                    latencies[phase.description, default: [:]][metric.rawValue] = Summary(
                        count: histogram.totalCount,
                        p50: Double(histogram.valueAtPercentile(50)) / 1_000,
                        p99: Double(histogram.valueAtPercentile(99)) / 1_000,
                        p999: Double(histogram.valueAtPercentile(99.9)) / 1_000,
                        max: Double(histogram.max) / 1_000,
                        mean: histogram.mean / 1_000
                    )
                }
            }
            var counts: [String: [String: Int]] = [:]
            for (phase, values) in state.counts { counts[phase.description] = values }
            return Figures(
                latencies: latencies,
                counts: counts,
                errors: state.errors,
                errorSamples: state.errorSamples
            )
        }
    }
}

import Foundation
import ParleyDomain
import ParleyEngine
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Performs the Lambda calls flows ask for (`LambdaInvocationRequested`) and answers the engine with
/// `completeLambdaInvocation`, outside the single writer.
///
/// The request and the answer are both recorded in the log, so replay never calls out. Calls still pending when the
/// process stops are made again after a restart (at least once), unless their time limit fired first.
public final class LambdaRunner: Sendable {
    /// Performs one call and reports its outcome.
    public typealias Transport = @Sendable (LambdaInvocationRequested) async -> LambdaOutcome

    private let engine: Engine<ChatMachine>
    private let transport: Transport
    private let inFlight = Mutex<Set<Identifier>>([])

    /// A runner for `engine`, calling out with `transport` (by default an HTTP POST).
    public init(engine: Engine<ChatMachine>, transport: @escaping Transport = LambdaRunner.httpPost) {
        self.engine = engine
        self.transport = transport
    }

    /// Performs every pending invocation not already in flight, waits for their answers to be committed, and returns
    /// how many it performed.
    @discardableResult
    public func runPending() async -> Int {
        let claimed = claimPending()
        await withDiscardingTaskGroup { group in
            for request in claimed { group.addTask { await self.perform(request) } }
        }
        return claimed.count
    }

    /// Runs pending invocations as they appear, each as soon as it does (a slow call holds up no other), until the
    /// task is cancelled or the engine is closed.
    ///
    /// It wakes only for a commit that requested an invocation (the engine tells its commit observers), not for every
    /// commit: a runner that re-read the pending calls after each batch cost every command a wake-up.
    public func start() -> Task<Void, Never> {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        engine.observeCommits { _, events in
            if events.contains(where: Self.requestsInvocation) { wake.yield() }
        }
        let engine = self.engine
        return Task {
            // Ends the wakes once the engine has closed; the calls in flight then finish (their answers are refused).
            let closer = Task {
                await engine.waitUntilClosed()
                wake.finish()
            }
            await withDiscardingTaskGroup { group in
                // Observed before this first look: an invocation committed in between is seen by one or the other.
                var waking = wakes.makeAsyncIterator()
                repeat {
                    for request in claimPending() { group.addTask { await self.perform(request) } }
                } while await waking.next() != nil
            }
            wake.finish()
            closer.cancel()
        }
    }

    /// Whether `event` asks for a call.
    private static func requestsInvocation(_ event: ChatEvent) -> Bool {
        if case .lambdaInvocationRequested = event { return true }
        return false
    }

    /// The pending invocations of the current snapshot that are not in flight yet, now marked in flight.
    private func claimPending() -> [LambdaInvocationRequested] {
        let pending = engine.snapshot.state.pendingInvocations.values.map(\.request)
        return inFlight.withLock { flying in pending.filter { flying.insert($0.invocationId).inserted } }
    }

    /// Calls out for `request` and submits the outcome.
    private func perform(_ request: LambdaInvocationRequested) async {
        let outcome = await transport(request)
        _ = await engine.submit(.completeLambdaInvocation(invocationId: request.invocationId, outcome: outcome))
        _ = inFlight.withLock { $0.remove(request.invocationId) }
    }

    /// POSTs the recorded payload as JSON with the invocation's time limit; 2xx is a response, anything else a failure.
    public static let httpPost: Transport = { request in
        guard let url = URL(string: request.url) else { return .failure("not a URL: \(request.url)") }
        var urlRequest = URLRequest(url: url, timeoutInterval: Double(request.timeoutMilliseconds) / 1000)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.setValue(request.invocationId.description, forHTTPHeaderField: "X-Parley-Invocation-Id")
        urlRequest.httpBody = Data(request.payload.utf8)
        do {
            let (data, response) = try await URLSession.shared.data(for: urlRequest)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else { return .failure("HTTP status \(status)") }
            return .response(String(decoding: data, as: UTF8.self))
        } catch {
            return .failure("the call failed: \(error.localizedDescription)")
        }
    }
}

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
        let pending = engine.snapshot.state.pendingInvocations.values.map(\.request)
        let claimed = inFlight.withLock { flying in
            pending.filter { flying.insert($0.invocationId).inserted }
        }
        await withTaskGroup(of: Void.self) { group in
            for request in claimed {
                group.addTask {
                    let outcome = await self.transport(request)
                    _ = await self.engine.submit(
                        .completeLambdaInvocation(invocationId: request.invocationId, outcome: outcome)
                    )
                    _ = self.inFlight.withLock { $0.remove(request.invocationId) }
                }
            }
        }
        return claimed.count
    }

    /// Runs pending invocations as they appear, until the task is cancelled or the engine is closed.
    public func start() -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                let seen = engine.snapshot.position
                await runPending()
                // Returns below `seen + 1` only once the engine is closed: nothing more can come, so stop (looping
                // on would spin, since a closed engine answers every wait at once).
                let next = await engine.waitForSnapshot(atLeast: seen + 1)
                if next.position <= seen { return }
            }
        }
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

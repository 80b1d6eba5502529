import EventLog
import Synchronization

/// A one-shot slot for the result of an `EventLog.enqueue` call, which a task can await later.
///
/// Lets a loader keep many appends in flight (so group commit fills whole frames) while still enqueuing them in
/// order from one task.
final class AppendWaiter: Sendable {
    private struct State {
        var result: Result<AppendReceipt, EventLogError>?
        var waiter: CheckedContinuation<Result<AppendReceipt, EventLogError>, Never>?
    }

    private let state = Mutex(State())

    /// Stores `result` and wakes the task waiting for it, if any.
    func fulfil(_ result: Result<AppendReceipt, EventLogError>) {
        let waiter = state.withLock { state in
            state.result = result
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: result)
    }

    /// The result, once `fulfil` has been called.
    func wait() async -> Result<AppendReceipt, EventLogError> {
        await withCheckedContinuation { continuation in
            let ready: Result<AppendReceipt, EventLogError>? = state.withLock { state in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

import ParleyDomain
import ParleyEngine
import Synchronization

/// Wakes a participant websocket when its chat changes and an agent's event stream when its feed does, instead of
/// waking every one of them on every commit (with 10,000 open chats that costs more than the chats themselves).
///
/// The engine tells it of each committed batch (`Engine.observeCommits`): the chats the batch's events change
/// (`ChatEvent.changedChatId`) and the feeds whose last entry moved are marked changed at the batch's position, and
/// their waiters resume. A reader reads a snapshot at position P, does its work, then waits for a change after P, so
/// no change between its read and its wait is missed.
final class ChangeWatch: Sendable {
    /// What a subscription follows.
    enum Subject: Hashable, Sendable {
        /// A chat's session (transcript, participants, status).
        case chat(Identifier)
        /// A user's agent feed.
        case feed(String)
    }

    /// One reader's interest in a subject; unsubscribe when done.
    final class Subscription: Sendable {
        let subject: Subject
        let id: UInt64
        private struct State {
            var changedAt: UInt64 = 0
            var waiter: CheckedContinuation<Void, Never>?
        }
        private let state = Mutex(State())

        init(subject: Subject, id: UInt64) {
            self.subject = subject
            self.id = id
        }

        /// Marks a change at `position` and wakes the waiter.
        fileprivate func changed(at position: UInt64) {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.changedAt = max(state.changedAt, position)
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Wakes the waiter without a change (a timeout or cancellation).
        fileprivate func release() {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }

        /// Returns once the subject changed after `position`, the task is cancelled, or `timeout` passed.
        /// One task waits on a subscription at a time.
        func wait(after position: UInt64, timeout: Swift.Duration? = nil) async {
            let sleeper = timeout.map { timeout in
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { self?.release() }
                }
            }
            defer { sleeper?.cancel() }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        if state.changedAt > position || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                release()
            }
        }
    }

    private struct Feed {
        var subscriptions: [UInt64: Subscription] = [:]
        /// The feed's last entry's sequence as of the last commit (nil: no feed).
        var lastSequence: Int64?
    }

    private struct State {
        var chats: [Identifier: [UInt64: Subscription]] = [:]
        var feeds: [String: Feed] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Follows `subject` from now on; `current` is the state the caller read (a feed's position is taken from it).
    func subscribe(_ subject: Subject, in current: ChatState) -> Subscription {
        state.withLock { state in
            state.nextId += 1
            let subscription = Subscription(subject: subject, id: state.nextId)
            switch subject {
            case .chat(let chatId):
                state.chats[chatId, default: [:]][subscription.id] = subscription
            case .feed(let userId):
                if state.feeds[userId] == nil {
                    state.feeds[userId] = Feed(lastSequence: current.agentDesk.feeds[userId]?.lastSequence)
                }
                state.feeds[userId]?.subscriptions[subscription.id] = subscription
            }
            return subscription
        }
    }

    /// Stops following; wakes a task still waiting on it.
    func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            switch subscription.subject {
            case .chat(let chatId):
                state.chats[chatId]?[subscription.id] = nil
                if state.chats[chatId]?.isEmpty == true { state.chats[chatId] = nil }
            case .feed(let userId):
                state.feeds[userId]?.subscriptions[subscription.id] = nil
                if state.feeds[userId]?.subscriptions.isEmpty == true { state.feeds[userId] = nil }
            }
        }
        subscription.release()
    }

    /// Called by the engine after each committed batch: wakes the subscriptions whose subject changed. Costs the
    /// batch's events plus one lookup per followed feed (one per agent with an open event stream).
    func committed(_ snapshot: Snapshot<ChatState>, _ events: [ChatEvent]) {
        var woken: [Subscription] = []
        state.withLock { state in
            if !state.chats.isEmpty {
                var seen: Set<Identifier> = []
                for event in events {
                    guard let chatId = event.changedChatId, seen.insert(chatId).inserted,
                        let subscriptions = state.chats[chatId]
                    else { continue }
                    woken += subscriptions.values
                }
            }
            guard !state.feeds.isEmpty else { return }
            let feeds = snapshot.state.agentDesk.feeds
            var moved: [(String, Int64?)] = []
            for (userId, feed) in state.feeds {
                let last = feeds[userId]?.lastSequence
                guard last != feed.lastSequence else { continue }
                moved.append((userId, last))
                woken += feed.subscriptions.values
            }
            for (userId, last) in moved { state.feeds[userId]?.lastSequence = last }
        }
        for subscription in woken { subscription.changed(at: snapshot.position) }
    }
}

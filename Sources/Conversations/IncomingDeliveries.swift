import Storage
import Synchronization

/// The webhook deliveries being received right now, counted by the webhook endpoint, so that receiving comes first
/// during a burst.
///
/// Meta times every delivery: one not acknowledged quickly is sent again (a duplicate to ignore later), and an endpoint
/// that keeps failing is disabled. Storing a delivery is cheap, but answering it is not — applying it, retrieval, the
/// model and the reply are several writes and three HTTP exchanges — and on a small machine both compete for the same
/// cores. So while a burst is being received (from ``ConversationSettings/burstDeliveries`` deliveries at once until
/// none has arrived for ``ConversationSettings/burstGap``), the inbox worker waits for it to end, for at most
/// ``ConversationSettings/burstDeferral``, and then applies everything stored meanwhile, a batch per transaction. A
/// burst that outlasts that bound is sustained load: the inbox is then applied until it is empty before it defers
/// again, so deferring never caps how much is answered. Nothing is lost by waiting: every delivery is in the durable
/// inbox before it is acknowledged. Deliveries that arrive one at a time are never deferred.
public final class IncomingDeliveries: Sendable {
    private struct State {
        var inFlight = 0
        var bursting = false
        /// When the last delivery was acknowledged.
        var lastEnd = ContinuousClock.now
    }

    private let state = Mutex(State())
    private let threshold: Int
    private let gap: Duration
    /// Rung when the last delivery of a burst ends (a waiter then waits out the gap).
    private let lull = WorkBell()

    /// Counts deliveries: a burst begins when `burstDeliveries` are being received at once, and ends when none has been
    /// for `gap` (the time a burst's next delivery may take to arrive, on a busy machine too).
    public init(burstDeliveries: Int, gap: Duration) {
        threshold = max(1, burstDeliveries)
        self.gap = gap
    }

    /// Deliveries being received now.
    public var count: Int { state.withLock { $0.inFlight } }

    /// Whether a burst is being received: it began when ``count`` reached the threshold, and lasts until no delivery has
    /// been received for the gap (the dips between a burst's deliveries do not end it).
    public var isBursting: Bool { state.withLock { $0.bursting && goesOn($0, at: .now) } }

    private func goesOn(_ state: State, at now: ContinuousClock.Instant) -> Bool {
        state.inFlight > 0 || now - state.lastEnd < gap
    }

    /// Counts one delivery while `body` receives it.
    public func receiving<T>(_ body: () async throws -> T) async rethrows -> T {
        state.withLock { state in
            if state.bursting, !goesOn(state, at: .now) { state.bursting = false }
            state.inFlight += 1
            if state.inFlight >= threshold { state.bursting = true }
        }
        defer {
            let last = state.withLock { state in
                state.inFlight -= 1
                state.lastEnd = .now
                return state.inFlight == 0 && state.bursting
            }
            if last { lull.ring() }
        }
        return try await body()
    }

    /// Returns `true` when no burst is being received (at once, or once it ended), `false` after `limit` or when the
    /// task is cancelled.
    @discardableResult
    public func waitForLull(atMost limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !Task.isCancelled {
            let ticket = lull.ticket()
            let now = ContinuousClock.now
            // While deliveries are being received, only the last one's end can end the burst; after it, the gap.
            let wait: Duration? = state.withLock { state in
                guard state.bursting, goesOn(state, at: now) else { return nil }
                return state.inFlight > 0 ? deadline - now : min(deadline - now, state.lastEnd + gap - now)
            }
            guard let wait else { return true }
            guard now < deadline else { return false }
            await lull.wait(since: ticket, atMost: wait)
        }
        return false
    }
}

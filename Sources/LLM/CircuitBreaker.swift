import Foundation
import Synchronization

/// Stops calling a failing service for a while so that callers fail fast.
///
/// *Closed*: calls go through; ``Configuration/failureThreshold`` consecutive failures open it. *Open*: every call is
/// refused at once (``LLMError/Kind/circuitOpen``) until ``Configuration/coolDown`` has passed. *Half-open*: one probe
/// call is let through (others are still refused); its success closes the circuit, its failure opens it for another
/// cool-down. A failure is one HTTP attempt that ended in 429, 5xx, a timeout, a connection error or a malformed answer.
///
/// Thread-safe; share one breaker per upstream service (``OpenAIChatClient`` owns one, shared by its copies).
public final class CircuitBreaker: Sendable {
    /// When to open and for how long.
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open the circuit (at least 1).
        public var failureThreshold: Int
        /// How long the circuit stays open before a probe is allowed.
        public var coolDown: Duration

        /// Defaults: open after 5 consecutive failures, for 30 seconds.
        public init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30)) {
            self.failureThreshold = max(1, failureThreshold)
            self.coolDown = max(.zero, coolDown)
        }
    }

    /// The breaker's state, for health checks and metrics.
    public enum State: Sendable, Hashable {
        /// Calls go through; `failures` consecutive failures so far.
        case closed(failures: Int)
        /// Calls are refused until the monotonic reading `until`.
        case open(until: Duration)
        /// The cool-down has passed; one probe is (or may be) in flight.
        case halfOpen(probeInFlight: Bool)
    }

    /// What a caller may do, as decided by ``acquire()``.
    enum Permit: Sendable {
        /// An ordinary call while closed.
        case normal
        /// The single probe while half-open.
        case probe
    }

    /// The configuration in use.
    public let configuration: Configuration
    private let clock: any LLMClock
    private let state: Mutex<State>

    /// A closed breaker reading time from `clock`.
    public init(configuration: Configuration = Configuration(), clock: any LLMClock = SystemLLMClock()) {
        self.configuration = configuration
        self.clock = clock
        self.state = Mutex(.closed(failures: 0))
    }

    /// The current state (an open circuit whose cool-down has passed reports half-open).
    public var currentState: State {
        let now = clock.now()
        return state.withLock { state in
            if case .open(let until) = state, now >= until { return .halfOpen(probeInFlight: false) }
            return state
        }
    }

    /// Asks to make a call; throws ``LLMError`` of kind `circuitOpen` when the circuit refuses it.
    func acquire() throws(LLMError) -> Permit {
        let now = clock.now()
        let decision: Result<Permit, Refusal> = state.withLock { state in
            switch state {
            case .closed:
                return .success(.normal)
            case .open(let until):
                guard now >= until else { return .failure(Refusal(remaining: until - now)) }
                state = .halfOpen(probeInFlight: true)
                return .success(.probe)
            case .halfOpen(let inFlight):
                guard !inFlight else { return .failure(Refusal(remaining: .zero)) }
                state = .halfOpen(probeInFlight: true)
                return .success(.probe)
            }
        }
        switch decision {
        case .success(let permit):
            return permit
        case .failure(let refusal):
            let detail = refusal.remaining > .zero ? "next probe in \(Self.format(refusal.remaining))" : "a probe request is in flight"
            throw LLMError(.circuitOpen, "circuit breaker open after repeated failures; failing fast (\(detail))")
        }
    }

    private struct Refusal: Error {
        var remaining: Duration
    }

    /// Records a successful call: the circuit closes.
    func recordSuccess() {
        state.withLock { $0 = .closed(failures: 0) }
    }

    /// Records a service failure: counts towards the threshold, or re-opens a half-open circuit.
    func recordFailure() {
        let now = clock.now()
        let coolDown = configuration.coolDown
        let threshold = configuration.failureThreshold
        state.withLock { state in
            switch state {
            case .closed(let failures):
                state = failures + 1 >= threshold ? .open(until: now + coolDown) : .closed(failures: failures + 1)
            case .halfOpen, .open:
                state = .open(until: now + coolDown)
            }
        }
    }

    /// Gives up a permit without a verdict (the call was cancelled or failed for a reason that says nothing about the
    /// service): a half-open probe slot is freed for the next caller.
    func recordNeutral(_ permit: Permit) {
        guard case .probe = permit else { return }
        state.withLock { state in
            if case .halfOpen = state { state = .halfOpen(probeInFlight: false) }
        }
    }

    static func format(_ duration: Duration) -> String {
        let c = duration.components
        let seconds = Double(c.seconds) + Double(c.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}

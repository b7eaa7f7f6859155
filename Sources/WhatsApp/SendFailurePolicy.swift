/// What to do after a failed send, decided by the Graph error `code` (PROTOCOL.md §5.6).
///
/// | policy | codes |
/// |---|---|
/// | ``doNotRetry`` | 131047 (outside the 24 h window: send a template instead), 131026, 100, 131008, 131009, 131021, 131049, 131050, 131051, 131052, 131053, 131062, 130472, 132000–132999 (template problems) |
/// | ``stopAndAlert`` | 190 (access token), 0, 3, 10, 200–299 (permissions), 368, 131031, 131048, 133010 |
/// | ``retry`` | 130429, 131056, 131000, 131016, 2, 1, 4, 80007, and any HTTP 5xx, 429, timeout or transport error |
///
/// Unknown codes: HTTP 5xx and 429 → ``retry``; other 4xx (and 2xx carrying an error) → ``doNotRetry``: a request Meta
/// rejected will be rejected again, and not retrying never loops. A missing status is treated like 4xx.
public enum SendFailurePolicy: Sendable, Equatable {
    /// Permanent for this message: mark it failed with the reason and move on. Retrying would fail the same way.
    case doNotRetry
    /// The account or configuration is broken (token, policy block, spam limit): stop sending from this number and alert
    /// an operator. Retrying cannot help until a human acts.
    case stopAndAlert
    /// Transient: retry later with ``RetryBackoff``.
    case retry

    /// Error codes never retried.
    public static let doNotRetryCodes: Set<Int> = [
        131047, 131026, 100, 131008, 131009, 131021, 131049, 131050, 131051, 131052, 131053, 131062, 130472,
    ]
    /// Error codes that stop sending and call for an operator.
    public static let stopAndAlertCodes: Set<Int> = [190, 0, 3, 10, 368, 131031, 131048, 133010]
    /// Error codes retried with backoff.
    public static let retryCodes: Set<Int> = [130429, 131056, 131000, 131016, 2, 1, 4, 80007]

    /// The policy for a Graph error `code` (`nil`: no error object) that came with `httpStatus` (`nil`: none).
    public static func forError(code: Int?, httpStatus: Int?) -> SendFailurePolicy {
        if let code {
            if retryCodes.contains(code) { return .retry }
            if stopAndAlertCodes.contains(code) || (200...299).contains(code) { return .stopAndAlert }
            if doNotRetryCodes.contains(code) || (132_000...132_999).contains(code) { return .doNotRetry }
        }
        guard let httpStatus else { return .doNotRetry }
        if httpStatus >= 500 || httpStatus == 429 { return .retry }
        return .doNotRetry
    }
}

/// Exponential backoff with jitter for ``SendFailurePolicy/retry``.
///
/// Attempt *n* (1-based: the first retry is attempt 1) waits a random time in `[e/2, e]` where
/// `e = min(cap, base × 2^(n-1))` ("equal jitter": never less than half the nominal delay, so retries of many messages
/// spread out without collapsing to zero). A server `Retry-After` and per-code floors raise the delay: 131056 (pair rate
/// limit, about one message per 6 s to the same user) waits at least 6 s, 4 and 80007 (app/WABA rate limits) at least 60 s.
public struct RetryBackoff: Sendable, Equatable {
    /// The nominal delay of the first retry.
    public var base: Duration
    /// The largest nominal delay.
    public var cap: Duration
    /// How many retries to make before giving up (the caller enforces it with ``shouldRetry(afterAttempt:)``).
    public var maximumAttempts: Int

    /// The defaults: 1 s, 2 s, 4 s, … capped at 5 minutes, 8 retries.
    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300), maximumAttempts: Int = 8) {
        self.base = base
        self.cap = cap
        self.maximumAttempts = maximumAttempts
    }

    /// `true` while another retry is allowed after `attempt` retries have been made.
    public func shouldRetry(afterAttempt attempt: Int) -> Bool { attempt < maximumAttempts }

    /// The nominal (jitter-free) delay of retry `attempt`.
    public func nominalDelay(forAttempt attempt: Int) -> Duration {
        let exponent = max(0, min(attempt - 1, 62))
        let baseSeconds = Self.seconds(base)
        let capSeconds = Self.seconds(cap)
        return Self.duration(min(capSeconds, baseSeconds * pow2(exponent)))
    }

    /// The delay before retry `attempt` (1-based), with jitter from `generator`.
    /// - Parameters:
    ///   - attempt: 1 for the first retry.
    ///   - error: The failure being retried: its `Retry-After` and code-specific floors apply.
    public func delay(forAttempt attempt: Int, after error: GraphAPIError? = nil, using generator: inout some RandomNumberGenerator) -> Duration {
        let nominal = Self.seconds(nominalDelay(forAttempt: attempt))
        var seconds = nominal / 2 + Double.random(in: 0...(nominal / 2), using: &generator)
        if case .api(let response) = error {
            if let retryAfter = response.retryAfter {
                seconds = max(seconds, min(Self.seconds(retryAfter), 3600))
            }
            switch response.code {
            case 131056: seconds = max(seconds, 6)
            case 4, 80007: seconds = max(seconds, 60)
            default: break
            }
        }
        return Self.duration(seconds)
    }

    /// ``delay(forAttempt:after:using:)`` with the system random generator.
    public func delay(forAttempt attempt: Int, after error: GraphAPIError? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(forAttempt: attempt, after: error, using: &generator)
    }

    /// ``delay(forAttempt:after:)`` in seconds, as the outbox and the media queue schedule their retries.
    public func interval(forAttempt attempt: Int) -> Double {
        Self.seconds(delay(forAttempt: attempt))
    }

    private func pow2(_ exponent: Int) -> Double { Double(sign: .plus, exponent: exponent, significand: 1) }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func duration(_ seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

public import Foundation
public import Hummingbird
import Synchronization

/// A token bucket: `limit` requests a minute on average, up to `limit` at once, refilled continuously.
public final class RequestRateLimiter: Sendable {
    /// Requests allowed per minute (also the largest burst).
    public let limit: Int
    private let now: @Sendable () -> Date
    private let state: Mutex<(tokens: Double, updated: Date?)>

    /// A limiter of `limit` requests a minute, timed by `now`.
    public init(limit: Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.limit = max(1, limit)
        self.now = now
        state = Mutex((Double(max(1, limit)), nil))
    }

    /// Takes one request's token; `nil` when there was one, else the whole seconds until there is.
    public func take() -> Int? {
        let date = now()
        let perSecond = Double(limit) / 60
        return state.withLock { state in
            if let updated = state.updated {
                state.tokens = min(Double(limit), state.tokens + max(0, date.timeIntervalSince(updated)) * perSecond)
            }
            state.updated = date
            guard state.tokens >= 1 else { return max(1, Int(((1 - state.tokens) / perSecond).rounded(.up))) }
            state.tokens -= 1
            return nil
        }
    }
}

/// Answers `429 Too Many Requests` with `Retry-After` once the API token has used its requests of the minute.
/// Placed after the token check: requests without the token do not spend the owner's budget.
public struct RequestRateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limiter: RequestRateLimiter

    /// The middleware over `limiter`.
    public init(limiter: RequestRateLimiter) { self.limiter = limiter }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let seconds = limiter.take() {
            var error = APIError(
                .tooManyRequests,
                code: "rate_limited",
                message: "Too many requests: at most \(limiter.limit) a minute. Try again in \(seconds) s."
            )
            error.retryAfter = seconds
            throw error
        }
        return try await next(request, context)
    }
}

public import Foundation

/// Time as the LLM client sees it: a monotonic reading, the wall clock (for `Retry-After` dates) and sleeping.
///
/// The seam lets tests run backoff and circuit-breaker cool-downs without waiting: a test clock advances its reading
/// when asked to sleep. Per-attempt request timeouts are *not* measured with it; they are real time, enforced by the
/// HTTP client.
public protocol LLMClock: Sendable {
    /// Monotonic time since an arbitrary, fixed origin.
    func now() -> Duration
    /// The wall-clock date (used to turn an HTTP-date `Retry-After` into a delay).
    func currentDate() -> Date
    /// Waits for `duration` (throws `CancellationError` when the task is cancelled).
    func sleep(for duration: Duration) async throws
}

/// The real clock: `ContinuousClock`, `Date()`, `Task.sleep`.
public struct SystemLLMClock: LLMClock {
    private static let origin = ContinuousClock.now

    /// The real clock.
    public init() {}

    /// Time since the process first read this clock.
    public func now() -> Duration { ContinuousClock.now - Self.origin }
    /// `Date()`.
    public func currentDate() -> Date { Date() }
    /// `Task.sleep(for:)`.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return }
        try await Task.sleep(for: duration)
    }
}

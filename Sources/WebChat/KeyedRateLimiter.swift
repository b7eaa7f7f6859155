public import Foundation
import Synchronization

/// A token bucket per key (a visitor, an address): `perMinute` requests a minute, in bursts of up to `burst`. Time comes
/// from the injected clock. Keys whose bucket is full again are forgotten when the table grows, so a flood of new keys
/// costs memory only for as long as they are active.
public final class KeyedRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let perSecond: Double
    private let burst: Double
    private let clock: @Sendable () -> Date
    /// How many keys are kept before full buckets are forgotten.
    private let forgetAbove: Int

    public init(perMinute: Int, burst: Int, clock: @escaping @Sendable () -> Date = Date.init, forgetAbove: Int = 10_000) {
        self.perSecond = Double(max(1, perMinute)) / 60
        self.burst = Double(max(1, burst))
        self.clock = clock
        self.forgetAbove = forgetAbove
    }

    /// Takes one token for `key`: `nil` when allowed, else the seconds to wait before the next one.
    public func take(_ key: String) -> Int? {
        let now = clock()
        return buckets.withLock { buckets in
            if buckets.count > forgetAbove {
                buckets = buckets.filter { _, bucket in
                    bucket.tokens + now.timeIntervalSince(bucket.updated) * perSecond < burst
                }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / perSecond).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }
}

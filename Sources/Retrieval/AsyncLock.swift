import Synchronization

/// A lock held across suspension points, taken in arrival order: a waiter suspends its task instead of blocking a
/// thread of the cooperative pool (two on a 2-core machine).
final class AsyncLock: Sendable {
    private let state = Mutex<(isLocked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Runs `body` holding the lock.
    func withLock<Value>(_ body: () async throws -> Value) async rethrows -> Value {
        await lock()
        defer { unlock() }
        return try await body()
    }

    private func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                guard state.isLocked else {
                    state.isLocked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the lock to the first waiter (it stays locked), or unlocks it.
    private func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

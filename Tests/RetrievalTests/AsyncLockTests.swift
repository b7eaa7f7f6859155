import Synchronization
import Testing

@testable import Retrieval

@Suite("AsyncLock")
struct AsyncLockTests {
    /// How many tasks hold the lock now, the most that ever held it at once, and how many were done.
    final class Holders: Sendable {
        let state = Mutex((current: 0, most: 0, done: 0))
    }

    @Test("holders never overlap, even across suspension points, and every waiter gets its turn")
    func mutualExclusion() async throws {
        let lock = AsyncLock()
        let inside = Holders()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await lock.withLock {
                        inside.state.withLock {
                            $0.current += 1
                            $0.most = max($0.most, $0.current)
                        }
                        // A holder that suspends keeps the lock: the others wait instead of entering.
                        await Task.yield()
                        try await Task.sleep(for: .microseconds(50))
                        await Task.yield()
                        inside.state.withLock {
                            $0.current -= 1
                            $0.done += 1
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let (current, most, done) = inside.state.withLock { $0 }
        #expect(current == 0)
        #expect(most == 1)
        #expect(done == 50)
    }

    @Test("a body that throws releases the lock")
    func releasedOnError() async throws {
        struct Failure: Error {}
        let lock = AsyncLock()
        await #expect(throws: Failure.self) {
            try await lock.withLock { throw Failure() }
        }
        #expect(await lock.withLock { 42 } == 42)
    }
}

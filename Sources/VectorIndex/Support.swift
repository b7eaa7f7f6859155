import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random generator (SplitMix64) for level generation.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1].
    mutating func nextUnitDouble() -> Double {
        Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// A shared work counter for parallel loops.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    /// Returns the current value and adds one.
    func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// The closure a worker thread runs, boxed to cross `pthread_create`.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on `count` threads (the calling thread is one of them) and waits for all.
func runThreads(_ count: Int, _ body: @escaping @Sendable () -> Void) {
    if count <= 1 {
        body()
        return
    }
    var threads = [pthread_t]()
    for _ in 1..<count {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                let box = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
                box.run()
                return nil
            },
            box
        )
        if rc == 0 {
            threads.append(thread)
        } else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
        }
    }
    body()
    for thread in threads { pthread_join(thread, nil) }
}

/// A value behind a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex` so that the thread sanitizer (which intercepts pthreads) sees the
/// synchronization; the cost is the same uncontended futex path.
/// `@unchecked Sendable`: `value` is only reached inside `withLock`, under the mutex.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

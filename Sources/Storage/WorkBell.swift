public import Foundation
import GRDB
import Synchronization

/// Wakes a background worker when there may be work for it, so that an idle worker sleeps instead of polling.
///
/// The write that creates work rings the bell (``AppDatabase/workBell(ringingOnChangesTo:)`` rings it after every
/// committed transaction that changed the named tables); a worker with nothing to do waits on it until its next due
/// time. A ring is only a hint: the database stays the truth, the worker looks at it after every wake-up, and a ring
/// missed for any reason (a write by another process) is made up for by the next due-time wake-up.
///
/// A worker takes a ``Ticket`` *before* it looks at the database and waits with it afterwards, so a ring between the
/// look and the wait is never lost:
///
/// ```swift
/// while !Task.isCancelled {
///     let ticket = bell.ticket()
///     if let work = try database.claimWork() { try await handle(work); continue }
///     await bell.wait(since: ticket, atMost: timeUntilNextDue)
/// }
/// ```
public final class WorkBell: Sendable {
    /// The bell's count of rings when a worker last looked for work.
    public struct Ticket: Sendable, Equatable {
        fileprivate let rings: UInt64
    }

    private enum Waiter {
        /// Registered, not suspended yet.
        case pending
        /// Suspended until a ring.
        case waiting(CheckedContinuation<Void, Never>)
        /// Cancelled before it suspended: it must not suspend.
        case cancelled
    }

    private struct State {
        var rings: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())
    /// The database observation that rings the bell, kept for as long as the bell lives.
    private let observation = Mutex<AnyDatabaseCancellable?>(nil)

    /// Whom a ring wakes.
    public enum Waking: Sendable {
        /// Every waiting worker (workers that each look after something different, or a single worker).
        case everyWorker
        /// The worker that has waited longest: for a pool of identical workers, where the one woken claims the work and
        /// its claim, a write, rings again for the next (waking them all made each commit cost every idle worker a
        /// wake-up and a read).
        case oneWorker
    }

    private let waking: Waking

    /// A bell nothing rings yet.
    public init(waking: Waking = .everyWorker) {
        self.waking = waking
    }

    /// Workers suspended in ``wait(since:atMost:)`` now (for tests).
    var suspendedWorkers: Int {
        state.withLock { state in
            state.waiters.values.count { waiter in
                if case .waiting = waiter { return true }
                return false
            }
        }
    }

    /// Call before looking for work; ``wait(since:atMost:)`` returns at once if the bell rang since.
    public func ticket() -> Ticket {
        Ticket(rings: state.withLock { $0.rings })
    }

    /// Wakes every waiting worker, or the one that waited longest (``Waking``), and makes the next wait of any worker
    /// that took its ticket before return at once.
    public func ring() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings &+= 1
            var woken: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
            for (id, waiter) in state.waiters {
                if case .waiting(let continuation) = waiter { woken.append((id, continuation)) }
            }
            if waking == .oneWorker, let first = woken.min(by: { $0.id < $1.id }) { woken = [first] }
            for waiter in woken { state.waiters[waiter.id] = nil }
            return woken.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when the bell rang after `ticket` was taken, after `timeout`, or when the task is cancelled, whichever
    /// comes first.
    public func wait(since ticket: Ticket, atMost timeout: Duration) async {
        guard timeout > .zero, state.withLock({ $0.rings }) == ticket.rings else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.ringing(since: ticket) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Suspends until a ring after `ticket`, or until cancelled.
    private func ringing(since ticket: Ticket) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            state.waiters[state.nextWaiter] = .pending
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    guard case .pending = state.waiters[id], state.rings == ticket.rings else {
                        state.waiters[id] = nil
                        return true
                    }
                    state.waiters[id] = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                switch state.waiters[id] {
                case .pending:
                    state.waiters[id] = .cancelled
                    return nil
                case .waiting(let continuation):
                    state.waiters[id] = nil
                    return continuation
                case .cancelled, nil:
                    return nil
                }
            }
            continuation?.resume()
        }
    }

    /// From `now` until `date` (zero if it passed), rounded up to the millisecond so a worker never wakes just before
    /// its due time.
    public static func duration(until date: Date, from now: Date) -> Duration {
        .milliseconds(Int64((max(0, date.timeIntervalSince(now)) * 1000).rounded(.up)))
    }

    fileprivate func keep(_ cancellable: AnyDatabaseCancellable) {
        observation.withLock { $0 = cancellable }
    }
}

extension AppDatabase {
    /// A bell rung after every committed transaction of this process that changed one of `tables` (writes of other
    /// processes, such as a `balcao` command, are seen at the workers' next due-time wake-up), waking its waiters as
    /// `waking` says.
    public func workBell(ringingOnChangesTo tables: [String], waking: WorkBell.Waking = .everyWorker) -> WorkBell {
        let bell = WorkBell(waking: waking)
        let observation = DatabaseRegionObservation(tracking: tables.map { Table($0) })
        bell.keep(observation.start(in: writer, onError: { _ in }, onChange: { [weak bell] _ in bell?.ring() }))
        return bell
    }

    /// Calls `onCommit` after every committed transaction of this process that changed the database (the
    /// `balcao_database_write_transactions_total` metric); the observation lasts as long as the returned value.
    public func observeWriteTransactions(_ onCommit: @escaping @Sendable () -> Void) -> DatabaseObservation {
        DatabaseObservation(DatabaseRegionObservation(tracking: .fullDatabase).start(in: writer, onError: { _ in }, onChange: { _ in onCommit() }))
    }
}

/// An observation of the database; it ends when this value is released or ``cancel()`` is called.
public final class DatabaseObservation: Sendable {
    private let cancellable: AnyDatabaseCancellable

    init(_ cancellable: AnyDatabaseCancellable) {
        self.cancellable = cancellable
    }

    /// Ends the observation.
    public func cancel() {
        cancellable.cancel()
    }
}

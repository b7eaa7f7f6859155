public import Foundation
public import Storage
import Synchronization

/// Stores webhook bodies in the durable inbox, several deliveries arriving together in one transaction (group
/// commit): a delivery waits only for the commit that holds it, and no one waits for a timer.
///
/// While one transaction is being written, the deliveries that arrive queue up; the next transaction takes all of
/// them. Durability is unchanged: ``store(_:)`` returns only once its row is committed (the webhook's 200 follows),
/// and if the transaction fails every delivery in it gets the error (a 503: Meta sends them again).
public final class InboxWriter: Sendable {
    private typealias Waiter = (body: Data, continuation: CheckedContinuation<Int64, any Error>)

    private struct State {
        var waiting: [Waiter] = []
        var isWriting = false
        /// Deliveries in the transaction being written.
        var writingCount = 0
    }

    private let database: AppDatabase
    private let state = Mutex(State())

    /// A writer for `database`'s inbox.
    public init(database: AppDatabase) {
        self.database = database
    }

    /// Deliveries in the transaction being written, and waiting for the next one (tests).
    var counts: (writing: Int, waiting: Int) { state.withLock { ($0.writingCount, $0.waiting.count) } }

    /// Stores `body` exactly as received; returns its inbox id once it is committed.
    public func store(_ body: Data) async throws -> Int64 {
        try await withCheckedThrowingContinuation { continuation in
            let startsWriting = state.withLock { state in
                state.waiting.append((body, continuation))
                guard !state.isWriting else { return false }
                state.isWriting = true
                return true
            }
            if startsWriting { Task { await writeAll() } }
        }
    }

    /// Writes what is waiting, then what arrived meanwhile, until nothing is left.
    private func writeAll() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = state.waiting
                state.waiting = []
                state.writingCount = batch.count
                if batch.isEmpty { state.isWriting = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let ids = try await database.storeWebhooks(bodies: batch.map(\.body))
                for (waiter, id) in zip(batch, ids) { waiter.continuation.resume(returning: id) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}

public import Foundation
import GRDB

/// A job handed to a worker, with the document it is about.
public struct ClaimedJob: Sendable, Hashable {
    /// The job, already marked running with its attempt counted.
    public var job: Job
    /// The document to process.
    public var document: Document
}

extension AppDatabase {
    /// Queues a new ingestion of an existing document (re-processing, re-indexing) and moves it back to `queued`.
    @discardableResult
    public func enqueueIngestion(documentID: Int64, now: Date = Date()) async throws -> Job {
        try await writer.write { db in
            // One live job per document is enough: a pending or running one will pick up the current original.
            if let live = try Job.filter(Column("documentId") == documentID && ["pending", "running"].contains(Column("state")))
                .fetchOne(db)
            {
                return live
            }
            var job = Job(kind: .ingest, documentId: documentID, now: now)
            try job.insert(db)
            try db.execute(
                sql: "UPDATE document SET status = 'queued', reason = NULL, updatedAt = ? WHERE id = ?",
                arguments: [now, documentID]
            )
            return job
        }
    }

    /// Atomically claims the oldest runnable job (optionally only among `documentIDs`), marking it running.
    public func claimNextJob(among documentIDs: Set<Int64>? = nil, now: Date = Date()) async throws -> ClaimedJob? {
        try await writer.write { db in
            var request = Job.filter(Column("state") == Job.State.pending.rawValue && Column("runAfter") <= now)
            if let documentIDs { request = request.filter(documentIDs.contains(Column("documentId"))) }
            guard var job = try request.order(Column("id")).fetchOne(db),
                let document = try Document.fetchOne(db, key: job.documentId)
            else { return nil }
            job.state = .running
            job.attempts += 1
            job.updatedAt = now
            try job.update(db)
            return ClaimedJob(job: job, document: document)
        }
    }

    /// Marks a job finished.
    public func finishJob(id: Int64, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE job SET state = 'done', updatedAt = ? WHERE id = ?", arguments: [now, id])
        }
    }

    /// Puts a job back in the queue to be retried after `delay`, remembering the error; with `refundAttempt` the run
    /// does not count against the job's attempts (the failure was the machine's, not the file's).
    public func retryJob(id: Int64, error: String, after delay: TimeInterval, refundAttempt: Bool = false, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET state = 'pending', lastError = ?, runAfter = ?, updatedAt = ?,
                        attempts = CASE WHEN ? THEN MAX(0, attempts - 1) ELSE attempts END
                    WHERE id = ?
                    """,
                arguments: [error, now.addingTimeInterval(delay), now, refundAttempt, id]
            )
        }
    }

    /// Gives up on a job; its document ends `failed` with `reason`.
    public func failJob(id: Int64, documentID: Int64, reason: String, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE job SET state = 'failed', lastError = ?, updatedAt = ? WHERE id = ?",
                arguments: [reason, now, id]
            )
            try db.execute(
                sql: "UPDATE document SET status = 'failed', reason = ?, updatedAt = ? WHERE id = ?",
                arguments: [reason, now, documentID]
            )
        }
    }

    /// After a restart (or a crash), returns every job a worker had claimed to the queue; returns how many.
    ///
    /// Their documents go back to `queued`: the work restarts from the stored original, and because every step replaces
    /// what an earlier attempt wrote, nothing is duplicated. A job that has already been started `maxAttempts` times
    /// (each start is counted when it is claimed, before any work) is not requeued: its document ends `failed`, so a
    /// file that takes the process down with it cannot make it crash on every start.
    @discardableResult
    public func requeueInterruptedJobs(maxAttempts: Int = .max, now: Date = Date()) async throws -> Int {
        try await writer.write { db in
            let reason = """
                Processing this file was interrupted \(maxAttempts == 1 ? "once" : "\(maxAttempts) times") before it finished \
                (the service stopped or crashed while reading it); giving up. Try re-processing it, or upload a \
                simpler copy.
                """
            try db.execute(
                sql: """
                    UPDATE document SET status = 'failed', reason = ?, updatedAt = ?
                    WHERE id IN (SELECT documentId FROM job WHERE state = 'running' AND attempts >= ?)
                    """,
                arguments: [reason, now, maxAttempts]
            )
            try db.execute(
                sql: "UPDATE job SET state = 'failed', lastError = ?, updatedAt = ? WHERE state = 'running' AND attempts >= ?",
                arguments: [reason, now, maxAttempts]
            )
            try db.execute(
                sql: """
                    UPDATE document SET status = 'queued', updatedAt = ?
                    WHERE id IN (SELECT documentId FROM job WHERE state = 'running')
                    """,
                arguments: [now]
            )
            try db.execute(sql: "UPDATE job SET state = 'pending', updatedAt = ? WHERE state = 'running'", arguments: [now])
            return db.changesCount
        }
    }

    /// Number of jobs waiting or running (the ingestion queue depth).
    public func pendingJobCount() throws -> Int {
        try reader.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE state IN ('pending', 'running')") ?? 0
        }
    }

    /// Number of jobs of one document that are waiting or running.
    public func pendingJobCount(documentID: Int64) throws -> Int {
        try reader.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM job WHERE documentId = ? AND state IN ('pending', 'running')",
                arguments: [documentID]
            ) ?? 0
        }
    }

    /// The earliest time a pending job becomes runnable, if any is waiting.
    public func nextJobTime() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(runAfter) FROM job WHERE state = 'pending'")
        }
    }
}

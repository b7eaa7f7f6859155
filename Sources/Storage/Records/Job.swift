public import Foundation
public import GRDB

/// A unit of background work, kept in the database so that nothing is lost across restarts.
public struct Job: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// What a job does.
    public enum Kind: String, Codable, Sendable, DatabaseValueConvertible {
        /// Extract, chunk, embed and index a document.
        case ingest
    }

    /// Where a job is.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Waiting for a worker (also after an interrupted run).
        case pending
        /// Claimed by a worker.
        case running
        /// Finished (successfully, or with the document in a final error state).
        case done
        /// Gave up after too many attempts.
        case failed
    }

    /// Row id.
    public var id: Int64?
    /// What to do.
    public var kind: Kind
    /// The document it works on.
    public var documentId: Int64
    /// Where it is.
    public var state: State
    /// How many times a worker started it.
    public var attempts: Int
    /// The last error, in plain words.
    public var lastError: String?
    /// Not to be started before this time (retry back-off).
    public var runAfter: Date
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// Creates a pending job.
    public init(kind: Kind, documentId: Int64, now: Date) {
        self.kind = kind
        self.documentId = documentId
        self.state = .pending
        self.attempts = 0
        self.runAfter = now
        self.createdAt = now
        self.updatedAt = now
    }

    public static let databaseTableName = "job"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

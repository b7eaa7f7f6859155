public import Foundation
public import GRDB

/// A question the assistant could not answer, answered by a person and kept as a searchable text document.
public struct CuratedAnswer: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id.
    public var id: Int64?
    /// The unanswered answer it settles, if it came from one.
    public var answerId: Int64?
    /// The text document holding the question and the answer.
    public var documentId: Int64
    /// The question, as the person wrote it.
    public var question: String
    /// The answer.
    public var answer: String
    /// Who wrote it (a user name), when known.
    public var createdBy: String?
    /// When it was written.
    public var createdAt: Date

    public static let databaseTableName = "curatedAnswer"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

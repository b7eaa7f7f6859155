public import Foundation
public import GRDB

/// An assistant persona that answers from a chosen set of documents.
public struct Agent: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id.
    public var id: Int64?
    /// Unique name.
    public var name: String
    /// When it was created.
    public var createdAt: Date

    /// Creates an agent.
    public init(name: String, now: Date) {
        self.name = name
        self.createdAt = now
    }

    public static let databaseTableName = "agent"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

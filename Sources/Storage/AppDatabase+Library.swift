import Foundation
public import GRDB

/// One page of the document list, with the totals the list header shows.
public struct DocumentPage: Sendable, Hashable {
    /// The documents of this page, newest first.
    public var documents: [Document]
    /// How many documents match the filter (all pages).
    public var total: Int
    /// How many documents are in each state (unfiltered).
    public var countsByStatus: [DocumentStatus: Int]
}

/// Where a passage comes from, for showing an answer's sources.
public struct PassageSource: Sendable, Hashable {
    /// The chunk.
    public var chunkID: Int64
    /// Its document.
    public var documentID: Int64
    /// The document's file name.
    public var filename: String
    /// First page, for paginated documents.
    public var page: Int?
    /// Heading path.
    public var section: String
    /// The passage.
    public var text: String
}

/// A document in a short list (agent forms): no more than a checkbox needs.
public struct DocumentChoice: Sendable, Hashable, Identifiable {
    /// The document's id.
    public var id: Int64
    /// Its file name.
    public var filename: String
    /// Where it is.
    public var status: DocumentStatus
}

extension AppDatabase {
    /// A page of documents, newest first, optionally only those in `statuses`.
    ///
    /// Reads at most `limit` rows through the `createdAt` index, whatever the size of the library.
    public func documentPage(statuses: Set<DocumentStatus>? = nil, limit: Int, offset: Int) throws -> DocumentPage {
        try reader.read { db in
            var request = Document.all()
            if let statuses { request = request.filter(statuses.map(\.rawValue).contains(Document.Columns.status)) }
            let total = try request.fetchCount(db)
            let documents = try request.order(Document.Columns.createdAt.desc, Document.Columns.id.desc)
                .limit(max(0, limit), offset: max(0, offset)).fetchAll(db)
            var counts: [DocumentStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM document GROUP BY status") {
                if let status = DocumentStatus(rawValue: row[0]) { counts[status] = row[1] }
            }
            return DocumentPage(documents: documents, total: total, countsByStatus: counts)
        }
    }

    /// The documents with these ids (unknown ids skipped), in no particular order.
    public func documents(ids: [Int64]) throws -> [Document] {
        guard !ids.isEmpty else { return [] }
        return try reader.read { db in try Document.fetchAll(db, keys: ids) }
    }

    /// Every document's id, name and state, by name: what a form listing documents needs.
    public func documentChoices() throws -> [DocumentChoice] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT id, filename, status FROM document ORDER BY filename COLLATE NOCASE, id").map { row in
                DocumentChoice(id: row[0], filename: row[1], status: DocumentStatus(rawValue: row[2]) ?? .failed)
            }
        }
    }

    /// A slice of a document's chunks, in order.
    public func chunks(ofDocument documentID: Int64, limit: Int, offset: Int) throws -> [Chunk] {
        try reader.read { db in
            try Chunk.filter(Column("documentId") == documentID).order(Column("ordinal"))
                .limit(max(0, limit), offset: max(0, offset)).fetchAll(db)
        }
    }

    /// Where each of these chunks comes from (unknown ids are missing from the result), in one query.
    public func passageSources(chunkIDs: [Int64]) throws -> [Int64: PassageSource] {
        let ids = Array(Set(chunkIDs))
        guard !ids.isEmpty else { return [:] }
        return try reader.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT chunk.id, chunk.documentId, document.filename, chunk.pageStart, chunk.section, chunk.text
                    FROM chunk JOIN document ON document.id = chunk.documentId
                    WHERE chunk.id IN (\(databaseQuestionMarks(count: ids.count)))
                    """,
                arguments: StatementArguments(ids)
            )
            var result: [Int64: PassageSource] = [:]
            for row in rows {
                let source = PassageSource(chunkID: row[0], documentID: row[1], filename: row[2], page: row[3], section: row[4], text: row[5])
                result[source.chunkID] = source
            }
            return result
        }
    }

    /// How many documents each agent answers from, by agent id.
    public func documentCountsByAgent() throws -> [Int64: Int] {
        try reader.read { db in
            var counts: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT agentId, COUNT(*) FROM agentDocument GROUP BY agentId") { counts[row[0]] = row[1] }
            return counts
        }
    }

    /// The names of the agents that answer from a document.
    public func agentNames(ofDocument documentID: Int64) throws -> [String] {
        try reader.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT agent.name FROM agent JOIN agentDocument ON agentDocument.agentId = agent.id WHERE agentDocument.documentId = ? ORDER BY agent.name",
                arguments: [documentID]
            )
        }
    }
}

extension AppDatabase {
    /// How many documents are in each state (`indexed`, `pending`, `failed`, …), inside the caller's transaction.
    public static func documentCountsByStatus(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM document GROUP BY status") {
            counts[row["status"] ?? "", default: 0] += row["n"] as Int
        }
        return counts
    }
}

public import Foundation
import GRDB

/// A chunk about to be stored (ids are assigned by the database).
public struct NewChunk: Sendable, Hashable, Codable {
    /// The text.
    public var text: String
    /// Heading path, outermost first, joined by " › ".
    public var section: String
    /// First page covered.
    public var pageStart: Int?
    /// Last page covered.
    public var pageEnd: Int?
    /// Approximate token count.
    public var tokenCount: Int

    /// Creates a chunk to store.
    public init(text: String, section: String, pageStart: Int?, pageEnd: Int?, tokenCount: Int) {
        self.text = text
        self.section = section
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.tokenCount = tokenCount
    }
}

/// A chunk found by keyword search, with where it comes from.
public struct KeywordHit: Sendable, Hashable {
    /// The chunk's id.
    public var chunkID: Int64
    /// Its document.
    public var documentID: Int64
    /// The document's file name.
    public var filename: String
    /// First page of the chunk, when the document has pages.
    public var page: Int?
    /// Heading path.
    public var section: String
    /// The chunk's text.
    public var text: String
    /// BM25 relevance (higher is better).
    public var score: Double
}

extension AppDatabase {
    /// Replaces all chunks of a document in one transaction and returns the stored chunks with their ids.
    ///
    /// The old chunks' vectors and keyword entries go with them; an interrupted ingestion never leaves a mix of old and new.
    public func replaceChunks(
        documentID: Int64,
        with chunks: [NewChunk],
        now: Date = Date()
    ) async throws -> (stored: [Chunk], removedChunkIDs: [Int64]) {
        try await writer.write { db in
            let removed = try Int64.fetchAll(db, sql: "SELECT id FROM chunk WHERE documentId = ?", arguments: [documentID])
            try db.execute(sql: "DELETE FROM chunk WHERE documentId = ?", arguments: [documentID])
            var stored: [Chunk] = []
            stored.reserveCapacity(chunks.count)
            for (ordinal, new) in chunks.enumerated() {
                var chunk = Chunk(
                    documentId: documentID,
                    ordinal: ordinal,
                    text: new.text,
                    section: new.section,
                    pageStart: new.pageStart,
                    pageEnd: new.pageEnd,
                    tokenCount: new.tokenCount
                )
                try chunk.insert(db)
                stored.append(chunk)
            }
            try db.execute(
                sql: "UPDATE document SET chunks = ?, updatedAt = ? WHERE id = ?",
                arguments: [chunks.count, now, documentID]
            )
            return (stored, removed)
        }
    }

    /// The chunks of a document, in order.
    public func chunks(ofDocument documentID: Int64) throws -> [Chunk] {
        try reader.read { db in
            try Chunk.filter(Column("documentId") == documentID).order(Column("ordinal")).fetchAll(db)
        }
    }

    /// The ids of the chunks of these documents (one query, no chunk text read).
    public func chunkIDs(ofDocuments documentIDs: Set<Int64>) throws -> Set<Int64> {
        guard !documentIDs.isEmpty else { return [] }
        return try reader.read { db in
            Set(
                try Int64.fetchAll(
                    db,
                    sql: "SELECT id FROM chunk WHERE documentId IN (\(databaseQuestionMarks(count: documentIDs.count)))",
                    arguments: StatementArguments(Array(documentIDs))
                )
            )
        }
    }

    /// Chunks by id (in no particular order); unknown ids are skipped.
    public func chunks(ids: [Int64]) throws -> [Chunk] {
        try reader.read { db in try Chunk.fetchAll(db, keys: ids) }
    }

    /// Full-text search over chunks, accent- and case-insensitive and Portuguese-aware, best first.
    ///
    /// Words are compared by their Snowball Portuguese stems (``StemmingTokenizer``), so "devoluções" finds "devolução"
    /// and "trocar" finds "trocas". The question is split into words (stop words dropped unless nothing else is left)
    /// and any of them may match; BM25 ranks chunks that contain more, and rarer, words higher. `documentIDs` restricts
    /// the search (an agent's documents); `nil` searches everything.
    public func searchChunks(_ question: String, limit: Int, documentIDs: Set<Int64>? = nil) throws -> [KeywordHit] {
        guard let pattern = KeywordQuery.ftsPattern(for: question), limit > 0 else { return [] }
        return try reader.read { db in
            var sql = """
                SELECT chunk.id, chunk.documentId, document.filename, chunk.pageStart, chunk.section, chunk.text,
                       bm25(chunkFTS, 1.0, 0.5) AS rank
                FROM chunkFTS
                JOIN chunk ON chunk.id = chunkFTS.rowid
                JOIN document ON document.id = chunk.documentId
                WHERE chunkFTS MATCH ?
                """
            var arguments: StatementArguments = [pattern]
            if let documentIDs {
                if documentIDs.isEmpty { return [] }
                sql += " AND chunk.documentId IN (\(databaseQuestionMarks(count: documentIDs.count)))"
                arguments += StatementArguments(Array(documentIDs))
            }
            sql += " ORDER BY rank LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                KeywordHit(
                    chunkID: row[0],
                    documentID: row[1],
                    filename: row[2],
                    page: row[3],
                    section: row[4],
                    text: row[5],
                    score: -(row[6] as Double)
                )
            }
        }
    }
}

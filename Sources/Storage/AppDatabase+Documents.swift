public import Foundation
import GRDB

/// The outcome of registering an upload.
public struct RegisteredUpload: Sendable, Hashable {
    /// The document (new, or the existing one with the same content).
    public var document: Document
    /// `true` when a document with the same SHA-256 already existed: nothing new was stored or queued.
    public var isDuplicate: Bool
}

extension AppDatabase {
    /// Records an uploaded original and queues its ingestion, or returns the existing document with the same content.
    ///
    /// When `agentName` is given the document is linked to that agent (created on first use), also for duplicates.
    public func registerUpload(
        filename: String,
        sha256: String,
        bytes: Int64,
        format: String?,
        sealedPassword: Data?,
        agentName: String?,
        now: Date = Date()
    ) async throws -> RegisteredUpload {
        try await writer.write { db in
            let result: RegisteredUpload
            if let existing = try Document.filter(Document.Columns.sha256 == sha256).fetchOne(db) {
                result = RegisteredUpload(document: existing, isDuplicate: true)
            } else {
                var document = Document(
                    filename: filename,
                    sha256: sha256,
                    bytes: bytes,
                    format: format,
                    sealedPassword: sealedPassword,
                    now: now
                )
                try document.insert(db)
                var job = Job(kind: .ingest, documentId: document.id!, now: now)
                try job.insert(db)
                result = RegisteredUpload(document: document, isDuplicate: false)
            }
            if let agentName {
                let agent = try Self.findOrCreateAgent(named: agentName, db: db, now: now)
                try db.execute(
                    sql: "INSERT OR IGNORE INTO agentDocument (agentId, documentId) VALUES (?, ?)",
                    arguments: [agent.id, result.document.id]
                )
            }
            return result
        }
    }

    /// The document with this id, if any.
    public func document(id: Int64) throws -> Document? {
        try reader.read { db in try Document.fetchOne(db, key: id) }
    }

    /// Whether a document holds the content with this SHA-256.
    public func documentExists(sha256: String) throws -> Bool {
        try reader.read { db in try Document.filter(Document.Columns.sha256 == sha256).fetchCount(db) > 0 }
    }

    /// Every document, newest first.
    public func documents() throws -> [Document] {
        try reader.read { db in
            try Document.order(Document.Columns.createdAt.desc, Document.Columns.id.desc).fetchAll(db)
        }
    }

    /// Deletes a document with its chunks, vectors and jobs; returns what was deleted and the ids of its chunks.
    public func deleteDocument(id: Int64) async throws -> (document: Document, chunkIDs: [Int64])? {
        try await writer.write { db in
            guard let document = try Document.fetchOne(db, key: id) else { return nil }
            let chunkIDs = try Int64.fetchAll(db, sql: "SELECT id FROM chunk WHERE documentId = ?", arguments: [id])
            _ = try Document.deleteOne(db, key: id)
            return (document, chunkIDs)
        }
    }

    /// Moves a document to `status`, with a reason for the end states that need one.
    public func setStatus(documentID: Int64, _ status: DocumentStatus, reason: String? = nil, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE document SET status = ?, reason = ?, updatedAt = ? WHERE id = ?",
                arguments: [status, reason, now, documentID]
            )
        }
    }

    /// Records how far the reading of a document being extracted has got (pages read by OCR of the pages to read).
    /// Reports may arrive out of order: an earlier one never replaces a later one.
    public func setReadingProgress(documentID: Int64, done: Int, total: Int) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE document SET progressDone = ?, progressTotal = ?
                    WHERE id = ? AND status = 'extracting' AND (progressDone IS NULL OR progressDone < ?)
                    """,
                arguments: [done, total, documentID, done]
            )
        }
    }

    /// Records the format and page count found by extraction.
    public func setExtracted(
        documentID: Int64,
        format: String,
        pages: Int?,
        ocrPages: [Document.ScannedPage] = [],
        now: Date = Date()
    ) async throws {
        let scanned: String? = ocrPages.isEmpty ? nil : String(decoding: try JSONEncoder().encode(ocrPages), as: UTF8.self)
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE document SET format = ?, pages = ?, ocrPages = ?, progressDone = NULL, progressTotal = NULL, updatedAt = ? WHERE id = ?",
                arguments: [format, pages, scanned, now, documentID]
            )
        }
    }

    /// The agent with this name, if it exists.
    public func agent(named name: String) throws -> Agent? {
        try reader.read { db in try Agent.filter(Column("name") == name).fetchOne(db) }
    }

    /// The ids of the documents an agent answers from.
    public func documentIDs(ofAgent agentID: Int64) throws -> [Int64] {
        try reader.read { db in
            try Int64.fetchAll(db, sql: "SELECT documentId FROM agentDocument WHERE agentId = ?", arguments: [agentID])
        }
    }

    /// The topics an agent answers about, for a customer to choose from: its indexed documents' names (without the
    /// extension, `_` and `-` as spaces), curated answers (`FAQ — …`) left out, by name.
    public func documentTopics(ofAgent agentID: Int64) throws -> [(documentID: Int64, title: String)] {
        try reader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.id, d.filename FROM document d JOIN agentDocument a ON a.documentId = d.id
                    WHERE a.agentId = ? AND d.status = 'indexed' AND d.filename NOT LIKE 'FAQ — %'
                    ORDER BY d.filename COLLATE NOCASE
                    """,
                arguments: [agentID]
            ).map { row in
                let filename: String = row[1]
                let stem = filename.contains(".") ? String(filename[..<filename.lastIndex(of: ".")!]) : filename
                let title = stem.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
                    .split(separator: " ").joined(separator: " ")
                return (row[0], title.isEmpty ? filename : title)
            }
        }
    }

    static func findOrCreateAgent(named name: String, db: Database, now: Date) throws -> Agent {
        if let agent = try Agent.filter(Column("name") == name).fetchOne(db) { return agent }
        var agent = Agent(name: name, now: now)
        try agent.insert(db)
        return agent
    }
}

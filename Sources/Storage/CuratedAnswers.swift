public import Foundation
import GRDB

/// Why a curated answer was refused.
public enum CuratedAnswerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The question is empty or longer than ``CuratedAnswers/maxQuestionLength``.
    case invalidQuestion
    /// The answer is empty or longer than ``CuratedAnswers/maxAnswerLength``.
    case invalidAnswer
    /// The agent does not exist.
    case unknownAgent(Int64)

    public var description: String {
        switch self {
        case .invalidQuestion: return "A question needs 1 to \(CuratedAnswers.maxQuestionLength) characters."
        case .invalidAnswer: return "An answer needs 1 to \(CuratedAnswers.maxAnswerLength) characters."
        case .unknownAgent(let id): return "There is no agent \(id)."
        }
    }
}

/// Turns a question and a person's answer into a text document that is ingested and searched like any upload.
///
/// The document is stored as an original (by SHA-256) with a queued ingestion job, linked to the agent that should
/// know it, and recorded as a ``CuratedAnswer`` that settles the unanswered question it came from — all in one
/// transaction, so the question leaves the "unanswered" list exactly when its answer is on its way to the index.
public struct CuratedAnswers: Sendable {
    /// Longest accepted question, in characters.
    public static let maxQuestionLength = 500
    /// Longest accepted answer, in characters.
    public static let maxAnswerLength = 4000

    /// The database.
    public let database: AppDatabase
    /// Where the text document is stored.
    public let originals: OriginalStore

    /// Creates the book of curated answers.
    public init(database: AppDatabase, originals: OriginalStore) {
        self.database = database
        self.originals = originals
    }

    /// Stores a question-and-answer document and queues its ingestion.
    ///
    /// - Parameters:
    ///   - agentID: the agent that answers from it (`nil`: none, e.g. a conversation no agent answered).
    ///   - answerID: the unanswered answer it settles.
    ///   - createdBy: the user who wrote it.
    public func add(
        question: String,
        answer: String,
        agentID: Int64?,
        answerID: Int64?,
        createdBy: String?,
        now: Date = Date()
    ) async throws -> (curated: CuratedAnswer, document: Document) {
        let question = Self.clean(question)
        let answer = Self.clean(answer)
        guard !question.isEmpty, question.count <= Self.maxQuestionLength else { throw CuratedAnswerError.invalidQuestion }
        guard !answer.isEmpty, answer.count <= Self.maxAnswerLength else { throw CuratedAnswerError.invalidAnswer }
        if let agentID, try database.agent(id: agentID) == nil { throw CuratedAnswerError.unknownAgent(agentID) }

        let contents = Data((question + "\n\n" + answer + "\n").utf8)
        let stager = try originals.stage(limit: contents.count)
        let staged: StagedUpload
        do {
            try stager.append(contents)
            staged = try stager.finish()
        } catch {
            stager.discard()
            throw error
        }
        _ = try originals.commit(staged)
        let filename = Self.filename(for: question)
        return try await database.writer.write { db in
            var document: Document
            if let existing = try Document.filter(Document.Columns.sha256 == staged.sha256).fetchOne(db) {
                document = existing
            } else {
                document = Document(filename: filename, sha256: staged.sha256, bytes: staged.bytes, format: "text", now: now)
                try document.insert(db)
                var job = Job(kind: .ingest, documentId: document.id!, now: now)
                try job.insert(db)
            }
            if let agentID {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO agentDocument (agentId, documentId) VALUES (?, ?)",
                    arguments: [agentID, document.id]
                )
            }
            if let answerID {
                // A question is settled once; answering it again replaces the earlier entry's link.
                try db.execute(sql: "UPDATE curatedAnswer SET answerId = NULL WHERE answerId = ?", arguments: [answerID])
            }
            let answerExists = try answerID.map { try Bool.fetchOne(db, sql: "SELECT 1 FROM answer WHERE id = ?", arguments: [$0]) ?? false } ?? false
            var curated = CuratedAnswer(
                answerId: answerExists ? answerID : nil,
                documentId: document.id!,
                question: question,
                answer: answer,
                createdBy: createdBy,
                createdAt: now
            )
            try curated.insert(db)
            return (curated, document)
        }
    }

    /// The document's name: the question, shortened, as a text file ("FAQ — Vocês abrem no domingo?.txt").
    static func filename(for question: String) -> String {
        let flat = question.split(whereSeparator: \.isNewline).joined(separator: " ")
            .replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "\\", with: "-")
        let short = flat.count > 80 ? String(flat.prefix(79)) + "…" : flat
        return "FAQ — \(short).txt"
    }

    /// Trimmed, with Windows line ends made plain and control characters other than line breaks and tabs removed.
    static func clean(_ text: String) -> String {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let kept = unified.unicodeScalars.filter { $0 == "\n" || $0 == "\t" || $0.properties.generalCategory != .control }
        return String(String.UnicodeScalarView(kept)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

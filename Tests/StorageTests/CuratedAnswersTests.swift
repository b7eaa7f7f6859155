import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Curated answers and the library pages' queries")
struct CuratedAnswersTests {
    /// A conversation with one unanswered question; returns the answer's id.
    func unansweredQuestion(_ database: AppDatabase, question: String) throws -> Int64 {
        try database.writer.write { db in
            let now = Date()
            try db.execute(
                sql: """
                    INSERT INTO conversation (phoneNumberID, customerID, addressing, mode, consecutiveUnanswered, createdAt, updatedAt)
                    VALUES ('1', ?, 'to', 'assistant', 1, ?, ?)
                    """,
                arguments: [UUID().uuidString, now, now]
            )
            let conversation = db.lastInsertedRowID
            try db.execute(
                sql:
                    "INSERT INTO answer (conversationId, question, text, outcome, sources, latencyMs, createdAt) VALUES (?, ?, '', 'unanswered', '[]', 1, ?)",
                arguments: [conversation, question, now]
            )
            return db.lastInsertedRowID
        }
    }

    @Test("a curated answer is a queued text document with the question and the answer, linked to the agent and the question")
    func addCreatesQueuedDocument() async throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        let database = try AppDatabase.open(at: directory.database)
        var agent = Agent(name: "loja", now: Date())
        try await database.save(&agent)
        let answerID = try unansweredQuestion(database, question: "vocês abrem domingo?")
        let book = CuratedAnswers(database: database, originals: OriginalStore(directory: directory))

        let (curated, document) = try await book.add(
            question: "  Vocês abrem no domingo?\r\n",
            answer: "Sim, das 9h às 13h.",
            agentID: agent.id,
            answerID: answerID,
            createdBy: "ana"
        )
        #expect(curated.answerId == answerID)
        #expect(curated.question == "Vocês abrem no domingo?")
        #expect(curated.createdBy == "ana")
        #expect(document.status == .queued)
        #expect(document.format == "text")
        #expect(document.filename == "FAQ — Vocês abrem no domingo?.txt")
        let stored = try Data(contentsOf: OriginalStore(directory: directory).url(forSHA256: document.sha256))
        #expect(String(decoding: stored, as: UTF8.self) == "Vocês abrem no domingo?\n\nSim, das 9h às 13h.\n")
        #expect(try database.documentIDs(ofAgent: agent.id!) == [document.id!])
        #expect(try database.pendingJobCount(documentID: document.id!) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.temporary.path).isEmpty)

        // Answering the same question again moves the link to the new entry (a question is settled once).
        let (again, _) = try await book.add(question: "Abrem no domingo?", answer: "Sim.", agentID: nil, answerID: answerID, createdBy: nil)
        let links = try await database.reader.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM curatedAnswer WHERE answerId = ?", arguments: [answerID])
        }
        #expect(links == [again.id!])

        // Deleting the document deletes the entry.
        _ = try await database.deleteDocument(id: document.id!)
        let left = try await database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM curatedAnswer") }
        #expect(left == 1)
    }

    @Test("an empty or overlong question or answer, or an unknown agent, is refused and nothing is stored")
    func refusesBadInput() async throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        let database = try AppDatabase.open(at: directory.database)
        let book = CuratedAnswers(database: database, originals: OriginalStore(directory: directory))
        await #expect(throws: CuratedAnswerError.invalidQuestion) {
            try await book.add(question: " \n ", answer: "x", agentID: nil, answerID: nil, createdBy: nil)
        }
        await #expect(throws: CuratedAnswerError.invalidAnswer) {
            try await book.add(question: "x", answer: "", agentID: nil, answerID: nil, createdBy: nil)
        }
        await #expect(throws: CuratedAnswerError.invalidAnswer) {
            try await book.add(
                question: "x",
                answer: String(repeating: "a", count: CuratedAnswers.maxAnswerLength + 1),
                agentID: nil,
                answerID: nil,
                createdBy: nil
            )
        }
        await #expect(throws: CuratedAnswerError.unknownAgent(42)) {
            try await book.add(question: "x", answer: "y", agentID: 42, answerID: nil, createdBy: nil)
        }
        #expect(try database.documents().isEmpty)
        let originals = (try? FileManager.default.subpathsOfDirectory(atPath: directory.originals.path)) ?? []
        #expect(originals.isEmpty, "originals left behind: \(originals)")
    }

    @Test("the document page is newest first, filtered by state, counted per state; passage sources name their document")
    func documentPageAndSources() async throws {
        let database = try AppDatabase.inMemory()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var ids: [Int64] = []
        for index in 0..<7 {
            let registered = try await database.registerUpload(
                filename: "doc\(index).txt",
                sha256: "sha\(index)",
                bytes: 10,
                format: "text",
                sealedPassword: nil,
                agentName: nil,
                now: start.addingTimeInterval(Double(index))
            )
            ids.append(registered.document.id!)
        }
        try await database.setStatus(documentID: ids[1], .needsOCR, reason: "scan")
        try await database.setStatus(documentID: ids[2], .indexed)

        let first = try database.documentPage(limit: 3, offset: 0)
        #expect(first.total == 7)
        #expect(first.documents.map(\.filename) == ["doc6.txt", "doc5.txt", "doc4.txt"])
        #expect(first.countsByStatus == [.queued: 5, .needsOCR: 1, .indexed: 1])
        let last = try database.documentPage(limit: 3, offset: 6)
        #expect(last.documents.map(\.filename) == ["doc0.txt"])
        let problems = try database.documentPage(statuses: [.needsOCR, .failed, .unreadable], limit: 10, offset: 0)
        #expect(problems.total == 1)
        #expect(problems.documents.map(\.id) == [ids[1]])

        let (stored, _) = try await database.replaceChunks(
            documentID: ids[2],
            with: [NewChunk(text: "Entregamos aos sábados.", section: "Entregas", pageStart: 3, pageEnd: 3, tokenCount: 4)]
        )
        let sources = try database.passageSources(chunkIDs: [stored[0].id!, 999_999])
        #expect(sources.count == 1)
        #expect(
            sources[stored[0].id!]
                == PassageSource(
                    chunkID: stored[0].id!,
                    documentID: ids[2],
                    filename: "doc2.txt",
                    page: 3,
                    section: "Entregas",
                    text: "Entregamos aos sábados."
                )
        )
        #expect(try database.chunks(ofDocument: ids[2], limit: 10, offset: 1).isEmpty)
        #expect(try database.documentChoices().map(\.filename).first == "doc0.txt")
    }
}

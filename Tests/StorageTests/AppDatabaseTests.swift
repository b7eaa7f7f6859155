import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("AppDatabase")
struct AppDatabaseTests {
    @Test("a database file is created in WAL mode with the whole schema")
    func opensFileInWALMode() throws {
        let directory = try TemporaryDirectory()
        let database = try AppDatabase.open(at: directory.url.appendingPathComponent("balcao.sqlite"))
        let mode = try database.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let tables = try database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        for table in ["agent", "agentDocument", "chunk", "chunkFTS", "chunkVector", "document", "job"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        // Opening again runs no migration twice.
        _ = try AppDatabase.open(at: directory.url.appendingPathComponent("balcao.sqlite"))
    }

    @Test("the same content registered twice is one document, one job, reported as a duplicate")
    func duplicateUpload() async throws {
        let database = try AppDatabase.inMemory()
        let first = try await database.registerUpload(
            filename: "a.txt",
            sha256: "ab12",
            bytes: 3,
            format: "text",
            sealedPassword: nil,
            agentName: "vendas"
        )
        let second = try await database.registerUpload(
            filename: "copy.txt",
            sha256: "ab12",
            bytes: 3,
            format: "text",
            sealedPassword: nil,
            agentName: "suporte"
        )
        #expect(!first.isDuplicate)
        #expect(second.isDuplicate)
        #expect(second.document.id == first.document.id)
        #expect(second.document.filename == "a.txt")
        #expect(try database.documents().count == 1)
        #expect(try database.pendingJobCount() == 1)
        // Both agents answer from it.
        for name in ["vendas", "suporte"] {
            let agent = try #require(try database.agent(named: name))
            #expect(try database.documentIDs(ofAgent: agent.id!) == [first.document.id!])
        }
    }

    @Test("keyword search ignores accents and case, and scopes to documents")
    func accentInsensitiveSearch() async throws {
        let database = try AppDatabase.inMemory()
        let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let other = try await database.registerUpload(filename: "b.txt", sha256: "2", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        _ = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: [
                NewChunk(
                    text: "Informação sobre a devolução de produtos em até 7 dias.",
                    section: "Trocas",
                    pageStart: 1,
                    pageEnd: 1,
                    tokenCount: 10
                ),
                NewChunk(text: "Horário de atendimento: segunda a sexta.", section: "Contato", pageStart: 2, pageEnd: 2, tokenCount: 6),
            ]
        )
        _ = try await database.replaceChunks(
            documentID: other.document.id!,
            with: [NewChunk(text: "Outra INFORMAÇÃO qualquer.", section: "", pageStart: nil, pageEnd: nil, tokenCount: 3)]
        )

        let plain = try database.searchChunks("informacao devolucao", limit: 5)
        #expect(plain.first?.text.hasPrefix("Informação sobre a devolução") == true)
        #expect(plain.first?.page == 1)
        #expect(plain.first?.section == "Trocas")
        #expect(plain.count == 2)
        #expect(plain[0].score > plain[1].score)

        let upper = try database.searchChunks("HORARIO", limit: 5)
        #expect(upper.map(\.text) == ["Horário de atendimento: segunda a sexta."])

        let scoped = try database.searchChunks("informação", limit: 5, documentIDs: [other.document.id!])
        #expect(scoped.map(\.documentID) == [other.document.id!])
        #expect(try database.searchChunks("informação", limit: 5, documentIDs: []).isEmpty)
    }

    @Test(
        "FTS syntax in a question is treated as words",
        arguments: ["\"", "a* OR", "NEAR(x y)", "-devolução", "^x:y", "'; DROP TABLE chunk; --", "", "   "]
    )
    func hostileQueries(_ question: String) async throws {
        let database = try AppDatabase.inMemory()
        let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        _ = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: [NewChunk(text: "devolução", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1)]
        )
        _ = try database.searchChunks(question, limit: 5)
        #expect(try database.chunks(ofDocument: doc.document.id!).count == 1)
    }

    @Test("replacing chunks removes the old ones from the keyword index")
    func replaceChunks() async throws {
        let database = try AppDatabase.inMemory()
        let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let first = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: [NewChunk(text: "velho", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1)]
        )
        let second = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: [NewChunk(text: "novo", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1)]
        )
        #expect(second.removedChunkIDs == first.stored.map { $0.id! })
        #expect(try database.searchChunks("velho", limit: 5).isEmpty)
        #expect(try database.searchChunks("novo", limit: 5).count == 1)
        #expect(try database.document(id: doc.document.id!)?.chunks == 1)
    }

    @Test("vectors are replayed in sequence order and go away with their chunks")
    func vectorSequence() async throws {
        let database = try AppDatabase.inMemory()
        let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let stored = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: (0..<3).map { NewChunk(text: "c\($0)", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1) }
        ).stored
        try await database.storeVectors(stored.map { (chunkID: $0.id!, vector: [Float(1), 0.5, -0.25]) }, model: "m1")
        let checkpoint = try database.lastVectorSequence()
        try await database.storeVectors([(chunkID: stored[0].id!, vector: [0, 1, 0])], model: "m1")
        let replay = try database.vectors(after: checkpoint)
        #expect(replay.map(\.chunkID) == [stored[0].id!])
        #expect(replay.first?.vector == [0, 1, 0])
        #expect(try database.vectors(after: 0).count == 3)
        #expect(try database.vectorModels() == ["m1": 3])
        _ = try await database.deleteDocument(id: doc.document.id!)
        #expect(try database.vectorChunkIDs().isEmpty)
    }

    @Test("chunk ids of a set of documents, for scoping vector search")
    func chunkIDsOfDocuments() async throws {
        let database = try AppDatabase.inMemory()
        let first = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let second = try await database.registerUpload(filename: "b.txt", sha256: "2", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let a = try await database.replaceChunks(
            documentID: first.document.id!,
            with: (0..<3).map { NewChunk(text: "a\($0)", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1) }
        ).stored
        _ = try await database.replaceChunks(
            documentID: second.document.id!,
            with: [NewChunk(text: "b", section: "", pageStart: nil, pageEnd: nil, tokenCount: 1)]
        )
        #expect(try database.chunkIDs(ofDocuments: [first.document.id!]) == Set(a.map { $0.id! }))
        #expect(try database.chunkIDs(ofDocuments: [first.document.id!, second.document.id!]).count == 4)
        #expect(try database.chunkIDs(ofDocuments: []).isEmpty)
    }
}

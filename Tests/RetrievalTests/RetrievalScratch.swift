import Embedding
import Foundation
import Logging
import Retrieval
import Storage

/// A temporary data directory with its database and a vector index over it, filled the way ingestion fills them:
/// chunks stored, embedded as passages by the real embedder, then stored and indexed in one step.
final class RetrievalScratch: Sendable {
    let directory: DataDirectory
    let database: AppDatabase
    let embedder: LocalE5Embedder
    let logs = RecordedLogs()

    init() throws {
        embedder = try RealEmbedder.shared()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-retrieval-\(UUID().uuidString)")
        directory = DataDirectory(root: root)
        try directory.create()
        database = try AppDatabase.open(at: directory.database)
    }

    deinit { try? FileManager.default.removeItem(at: directory.root) }

    /// Opens the vector index on this directory (a daemon start: load the snapshot, replay, or rebuild).
    func openIndex() throws -> HNSWChunkIndex {
        try HNSWChunkIndex(
            database: database,
            directory: directory,
            modelIdentity: embedder.modelIdentity,
            dimension: embedder.dimension,
            logger: Logger(label: "test.index", factory: { _ in self.logs })
        )
    }

    /// The search service the daemon builds: keyword search fused with vector search through the real embedder.
    func hybrid(_ index: some VectorSearchIndex) -> SearchService {
        SearchService(database: database, embedder: embedder, vectorIndex: index)
    }

    /// The same store searched by keywords only (what the daemon does without a model).
    func keywordOnly() -> SearchService {
        SearchService(database: database, embedder: nil, vectorIndex: NoVectorIndex())
    }

    /// Stores a document of one chunk per passage (for `agent` when given), embeds and indexes it; returns the chunk ids
    /// in passage order.
    @discardableResult
    func addDocument(_ filename: String, agent: String?, passages: [String], into index: some VectorSearchIndex) async throws -> [Int64] {
        let ids = try await storeDocument(filename, agent: agent, passages: passages)
        let vectors = try await embedder.embed(passages, role: .passage)
        try await index.store(Array(zip(ids, vectors).map { (chunkID: $0, vector: $1) }), model: embedder.modelIdentity, in: database)
        return ids
    }

    /// Stores a document's chunks without any vector; returns their ids in order.
    func storeDocument(_ filename: String, agent: String?, passages: [String]) async throws -> [Int64] {
        let upload = try await database.registerUpload(
            filename: filename,
            sha256: "sha-\(filename)",
            bytes: 1,
            format: "text",
            sealedPassword: nil,
            agentName: agent
        )
        let chunks = passages.map {
            NewChunk(text: $0, section: "", pageStart: nil, pageEnd: nil, tokenCount: $0.split(separator: " ").count)
        }
        let ids = try await database.replaceChunks(documentID: upload.document.id!, with: chunks).stored.map { $0.id! }
        try await database.setStatus(documentID: upload.document.id!, .indexed)
        return ids
    }

    /// The query embedding of a question, as the search service makes it.
    func queryVector(_ question: String) async throws -> [Float] {
        try await embedder.embed([question], role: .query)[0]
    }
}

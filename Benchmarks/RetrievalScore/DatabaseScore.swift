// `RetrievalScore --database DIR`: each side of the search alone, over the chunks a daemon made.
//
// scripts/retrieval/score.py uploads a corpus to the real daemon, asks its questions through the API, stops the daemon
// and runs this over its data directory, so keyword search alone, dense search alone and the hybrid in-process are
// measured on exactly the chunks the product's ingestion wrote. Rankings are by passage id, the document's file name
// without its extension (the scorer uploads each passage as `<id>.txt`), best first, duplicates left to the caller.
import Embedding
import Foundation
import Logging
import Retrieval
import Storage

/// Writes `{"rankings": {"keyword"|"dense"|"hybrid": {question id: [passage id]}}, "relevance": {question id: Relevance}}`.
func scoreDatabase(root: URL, queriesPath: String, modelPath: String, threads: Int, out: String) async throws {
    let directory = DataDirectory(root: root)
    let database = try AppDatabase.open(at: directory.database)
    let questions = readJSONLines(queriesPath).compactMap { row -> (id: String, text: String)? in
        guard let id = row["id"] as? String, let text = row["text"] as? String else { return nil }
        return (id, text)
    }
    let passageOfDocument = Dictionary(
        try database.documents().map { ($0.id!, ($0.filename as NSString).deletingPathExtension) },
        uniquingKeysWith: { first, _ in first }
    )
    let stored = try database.vectors(after: 0)
    let documentOfChunk = Dictionary(
        try database.chunks(ids: stored.map(\.chunkID)).map { ($0.id!, $0.documentId) },
        uniquingKeysWith: { first, _ in first }
    )
    func passages(_ chunkIDs: [Int64]) -> [String] { chunkIDs.compactMap { documentOfChunk[$0].flatMap { passageOfDocument[$0] } } }
    note("\(questions.count) questions over \(stored.count) chunks of \(passageOfDocument.count) documents")

    var keyword: [String: [String]] = [:]
    for question in questions {
        keyword[question.id] = try database.searchChunks(question.text, limit: 100).map(\.documentID).compactMap { passageOfDocument[$0] }
    }

    let embedder = try LocalE5Embedder(modelFile: URL(fileURLWithPath: modelPath), threads: threads)
    let questionVectors = embedder.embedBlocking(questions.map(\.text), role: .query, threads: threads)
    let exact = ExactIndex(vectors: stored.map { ($0.chunkID, $0.vector) })
    var dense: [String: [String]] = [:]
    for (question, vector) in zip(questions, questionVectors) {
        dense[question.id] = passages(try await exact.nearest(to: vector, limit: 100, among: nil).map(\.chunkID))
    }

    let cache = Dictionary(zip(questions.map(\.text), questionVectors), uniquingKeysWith: { first, _ in first })
    let index = try HNSWChunkIndex(
        database: database,
        directory: directory,
        modelIdentity: embedder.modelIdentity,
        dimension: embedder.dimension,
        logger: Logger(label: "retrieval-score")
    )
    let service = SearchService(database: database, embedder: PrecomputedEmbedder(base: embedder, cache: cache), vectorIndex: index)
    var hybrid: [String: [String]] = [:]
    var relevance: [String: [String: Any]] = [:]
    for question in questions {
        let outcome = try await service.retrieve(question.text, limit: 10, agentID: nil)
        // A result's other sources (the same text in another document) rank with it, as the API scorer counts them.
        hybrid[question.id] = outcome.results.flatMap { [$0.documentID] + $0.alsoIn.map(\.documentID) }.compactMap { passageOfDocument[$0] }
        relevance[question.id] = [
            "coverage": outcome.relevance.keywordCoverage,
            "weighted_coverage": outcome.relevance.weightedCoverage,
            "similarity": outcome.relevance.similarity ?? -1,
            "relevant": outcome.relevance.isRelevant,
        ]
    }
    let document: [String: Any] = [
        "rankings": ["keyword": keyword, "dense": dense, "hybrid": hybrid],
        "relevance": relevance,
        "chunks": stored.count,
    ]
    try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]).write(to: URL(fileURLWithPath: out))
    note("wrote \(out)")
}

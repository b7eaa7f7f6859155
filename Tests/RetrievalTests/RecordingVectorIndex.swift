import Storage
import Synchronization

/// A vector index that passes every call to another and remembers what the last search asked and returned, so a test
/// sees the vector side of a hybrid search on its own.
final class RecordingVectorIndex: VectorSearchIndex {
    /// One call of ``nearest(to:limit:among:)``.
    struct Search: Sendable {
        var allowed: Set<Int64>?
        var results: [VectorMatch]
    }

    let wrapped: any VectorSearchIndex
    private let searches = Mutex<[Search]>([])

    init(_ wrapped: any VectorSearchIndex) { self.wrapped = wrapped }

    /// The searches made so far, oldest first.
    var recorded: [Search] { searches.withLock { $0 } }

    func store(_ vectors: [(chunkID: Int64, vector: [Float])], model: String, in database: AppDatabase) async throws {
        try await wrapped.store(vectors, model: model, in: database)
    }

    func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws { try await wrapped.add(vectors) }

    func remove(chunkIDs: [Int64]) async throws { try await wrapped.remove(chunkIDs: chunkIDs) }

    func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch] {
        let results = try await wrapped.nearest(to: query, limit: limit, among: allowed)
        searches.withLock { $0.append(Search(allowed: allowed, results: results)) }
        return results
    }
}

/// One nearest-neighbour hit: a chunk and its similarity to the query (higher is closer).
public struct VectorMatch: Sendable, Hashable {
    /// The chunk's row id.
    public var chunkID: Int64
    /// Similarity to the query: cosine (dot product of unit vectors).
    public var score: Float

    /// Creates a hit.
    public init(chunkID: Int64, score: Float) {
        self.chunkID = chunkID
        self.score = score
    }
}

/// The seam between the pipeline and the vector index.
///
/// The database keeps every vector (the store of truth); an implementation keeps a derived, rebuildable index over them.
/// Ingestion calls ``store(_:model:in:)`` to store a document's vectors and index them, deletion calls
/// ``remove(chunkIDs:)``, retrieval calls ``nearest(to:limit:among:)``.
public protocol VectorSearchIndex: Sendable {
    /// Stores vectors in `database` and adds them to the index, as one step: an index that records which stored vectors
    /// it holds (by sequence number) must never claim one that another caller stored but has not added yet.
    func store(_ vectors: [(chunkID: Int64, vector: [Float])], model: String, in database: AppDatabase) async throws
    /// Adds (or replaces) vectors, keyed by chunk id.
    func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws
    /// Removes vectors; unknown ids are ignored.
    func remove(chunkIDs: [Int64]) async throws
    /// The `limit` closest chunks to `query`, restricted to `allowed` when it is not `nil`, best first.
    func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch]
}

extension VectorSearchIndex {
    /// Stores the vectors, then adds them (for indexes that keep no sequence numbers).
    public func store(_ vectors: [(chunkID: Int64, vector: [Float])], model: String, in database: AppDatabase) async throws {
        try await database.storeVectors(vectors, model: model)
        try await add(vectors)
    }
}

/// An index that holds nothing: used when no embedder is available (keyword-only retrieval).
public struct NoVectorIndex: VectorSearchIndex {
    /// Creates the empty index.
    public init() {}
    /// Ignores the vectors.
    public func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws {}
    /// Ignores the ids.
    public func remove(chunkIDs: [Int64]) async throws {}
    /// Always empty.
    public func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch] { [] }
}

public import Foundation
public import Logging
public import Storage
import Synchronization
import VectorIndex

/// The vector index of the daemon: an in-process HNSW graph over the chunk vectors stored in the database.
///
/// The database holds every vector (the store of truth); the graph is derived. On open, the last snapshot in
/// `<data_dir>/index/` is loaded and every vector written after it (by sequence number) is replayed, so a restart never
/// loses or duplicates a vector. A snapshot that is missing, truncated, corrupt, of another model or out of step with
/// the database is set aside and the graph is rebuilt from the database.
public final class HNSWChunkIndex: VectorSearchIndex, Sendable {
    private let index: HNSWIndex
    private let database: AppDatabase
    private let snapshotFile: URL
    private let modelIdentity: String
    private let logger: Logger
    /// The sequence number the graph is known to contain up to, and whether it changed since the last snapshot.
    private let state: Mutex<(lastSequence: Int64, dirty: Bool)>
    /// Held while a batch is stored and added, so that sequence numbers reach the graph in order.
    private let storing = AsyncLock()

    /// Where the snapshot lives.
    public static func snapshotFile(in directory: DataDirectory) -> URL {
        directory.index.appendingPathComponent("chunks.hnsw")
    }

    /// Loads (or rebuilds) the index for vectors made by `modelIdentity` with `dimension` components.
    public init(database: AppDatabase, directory: DataDirectory, modelIdentity: String, dimension: Int, logger: Logger) throws {
        self.database = database
        self.snapshotFile = Self.snapshotFile(in: directory)
        self.modelIdentity = modelIdentity
        self.logger = logger
        let started = ContinuousClock.now
        var loaded: (HNSWIndex, Int64)?
        if FileManager.default.fileExists(atPath: snapshotFile.path) {
            do {
                let (index, info) = try HNSWIndex.load(from: snapshotFile.path)
                if info.modelIdentity == modelIdentity && info.dimension == dimension {
                    loaded = (index, Int64(info.lastSequence))
                } else {
                    logger.notice("vector index was built for another model; rebuilding", metadata: ["snapshot": "\(info.modelIdentity)"])
                }
            } catch {
                logger.warning("vector index snapshot unusable; rebuilding from the database", metadata: ["error": "\(error)"])
            }
        }
        var (index, lastSequence) = try loaded ?? (Self.emptyIndex(dimension: dimension), 0)
        // Replay what the snapshot does not contain.
        let replayed = try Self.replay(into: index, from: database, after: &lastSequence, model: modelIdentity)
        let stored = try database.vectorModels()[modelIdentity] ?? 0
        if index.count != stored {
            // Deletions since the snapshot (a crash before it was saved): rebuild from the store of truth.
            logger.notice("vector index out of step with the database; rebuilding", metadata: ["index": "\(index.count)", "database": "\(stored)"])
            index = try Self.emptyIndex(dimension: dimension)
            lastSequence = 0
            _ = try Self.replay(into: index, from: database, after: &lastSequence, model: modelIdentity)
        }
        self.index = index
        self.state = Mutex((lastSequence, replayed > 0 || loaded == nil))
        let others = try database.vectorModels().filter { $0.key != modelIdentity }.values.reduce(0, +)
        if others > 0 {
            logger.warning("some chunks were embedded by another model; run `balcao reindex`", metadata: ["chunks": "\(others)"])
        }
        logger.info(
            "vector index ready",
            metadata: ["vectors": "\(index.count)", "replayed": "\(replayed)", "ms": "\((ContinuousClock.now - started) / .milliseconds(1))"]
        )
    }

    private static func emptyIndex(dimension: Int) throws -> HNSWIndex {
        try HNSWIndex(dimension: dimension, metric: .cosine, storage: .float16, m: 16, efConstruction: 200, efSearch: 96)
    }

    /// Adds every vector of `model` written after `sequence`, advancing it; returns how many were added.
    private static func replay(into index: HNSWIndex, from database: AppDatabase, after sequence: inout Int64, model: String) throws -> Int {
        var added = 0
        while true {
            let batch = try database.vectors(after: sequence, limit: 4096)
            guard let last = batch.last else { return added }
            let current = batch.filter { $0.model == model }
            // Rebuilds and replays insert on both cores (incremental adds below stay on the caller's thread).
            try index.addBatch(current.map { (id: $0.chunkID, vector: $0.vector) }, threads: 2)
            added += current.count
            sequence = last.seq
        }
    }

    /// Number of vectors in the index.
    public var count: Int { index.count }

    /// Adds vectors to the graph. It claims no sequence number: vectors stored without ``store(_:model:in:)`` are
    /// replayed again from the database on the next open (adding is idempotent).
    public func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws {
        try index.addBatch(vectors.map { (id: $0.chunkID, vector: $0.vector) }, threads: 1)
        state.withLock { $0.dirty = true }
    }

    /// Stores the vectors and adds them to the graph under one lock, then records the batch's own highest sequence
    /// number: every vector stored at or below it was stored and added by an earlier holder of the lock, so a
    /// snapshot that claims it holds everything up to that number is true, whatever the other ingestion workers do.
    public func store(_ vectors: [(chunkID: Int64, vector: [Float])], model: String, in database: AppDatabase) async throws {
        try await storing.withLock {
            let last = try await database.storeVectors(vectors, model: model)
            try index.addBatch(vectors.map { (id: $0.chunkID, vector: $0.vector) }, threads: 1)
            state.withLock { $0 = (max($0.lastSequence, last), true) }
        }
    }

    public func remove(chunkIDs: [Int64]) async throws {
        if index.remove(ids: chunkIDs) > 0 { state.withLock { $0.dirty = true } }
    }

    public func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch] {
        try index.search(query, k: limit, ef: max(96, limit * 2), filter: allowed).map { VectorMatch(chunkID: $0.id, score: $0.score) }
    }

    /// Writes a snapshot (atomically) when anything changed since the last one.
    public func saveIfChanged() throws {
        let (sequence, dirty) = state.withLock { $0 }
        guard dirty else { return }
        try index.save(to: snapshotFile.path, lastSequence: UInt64(sequence), modelIdentity: modelIdentity)
        state.withLock { $0.dirty = false }
    }
}

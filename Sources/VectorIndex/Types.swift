/// How closeness between two vectors is measured.
public enum VectorMetric: UInt8, Sendable, CaseIterable {
    /// Cosine similarity. Vectors and queries are normalized to unit length on the way in, so the index stores unit
    /// vectors and ranks by their inner product. Scores are cosines in [-1, 1].
    case cosine = 0
    /// Raw inner product (no normalization). Scores are dot products.
    case innerProduct = 1
    /// Euclidean distance. Scores are the *negated squared* Euclidean distance, so that a higher score is closer,
    /// as for the other metrics.
    case l2 = 2
}

/// How the index stores its vectors.
public enum VectorStorage: UInt8, Sendable, CaseIterable {
    /// 32-bit floats: exact, 4 bytes per component.
    case float32 = 0
    /// IEEE 754 half precision: 2 bytes per component, queries stay Float32 (mixed-precision kernels).
    case float16 = 1
    /// Signed 8-bit codes with one Float32 scale per vector (component ≈ code × scale, scale = max |component| / 127):
    /// 1 byte per component plus 4 per vector. Queries stay Float32. The most compact and, on large collections,
    /// the fastest type (half the memory traffic of Float16), at a small cost in recall.
    case int8 = 2

    /// Bytes one component takes in the index.
    public var bytesPerComponent: Int {
        switch self {
        case .float32: 4
        case .float16: 2
        case .int8: 1
        }
    }
}

/// One search hit: the caller's id and its similarity to the query (higher is closer; see ``VectorMetric``).
public struct VectorSearchResult: Sendable, Hashable {
    /// The external id given to ``HNSWIndex/add(id:vector:)``.
    public var id: Int64
    /// Similarity: cosine or inner product, or the negated squared Euclidean distance for ``VectorMetric/l2``.
    public var score: Float

    /// Creates a hit.
    public init(id: Int64, score: Float) {
        self.id = id
        self.score = score
    }
}

/// Errors the index reports.
public enum VectorIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A vector's length differs from the index's dimension.
    case dimensionMismatch(expected: Int, got: Int)
    /// A parameter is outside its allowed range.
    case invalidParameter(String)
    /// A system call failed while saving or loading (`operation`, `errno`).
    case io(operation: String, path: String, errno: Int32)
    /// The file is not an index file (wrong magic number).
    case notAnIndexFile(path: String)
    /// The file was written by an unsupported format version.
    case unsupportedVersion(Int)
    /// The file is shorter than its header says: a partial write or a truncated copy.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The file's contents do not match its checksum, or its header is inconsistent.
    case corrupt(path: String, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case let .dimensionMismatch(expected, got): "vector has \(got) components, the index expects \(expected)"
        case let .invalidParameter(what): "invalid parameter: \(what)"
        case let .io(operation, path, errno): "\(operation) failed for \(path) (errno \(errno))"
        case let .notAnIndexFile(path): "\(path) is not a vector index file"
        case let .unsupportedVersion(version): "unsupported vector index format version \(version)"
        case let .truncated(path, expected, actual): "\(path) is truncated: \(actual) of \(expected) bytes"
        case let .corrupt(path, reason): "\(path) is corrupt: \(reason)"
        }
    }
}

/// What a snapshot file carries besides the index: enough for the caller to replay later changes from its database.
public struct VectorIndexSnapshotInfo: Sendable, Hashable {
    /// The caller's sequence number of the last change contained in the snapshot.
    public var lastSequence: UInt64
    /// Identity of the embedding model the vectors were made by (the caller rebuilds when it changed).
    public var modelIdentity: String
    /// Dimension of the vectors.
    public var dimension: Int
    /// Metric of the index.
    public var metric: VectorMetric
    /// Storage type of the index.
    public var storage: VectorStorage
    /// Number of live (not deleted) vectors.
    public var count: Int
}

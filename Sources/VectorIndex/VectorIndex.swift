/// Placeholder: the HNSW index lands with its own issue.
public enum VectorIndexVersion {
    /// Format version of the index files.
    public static let current = 0
}

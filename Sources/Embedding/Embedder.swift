/// What a text is to the model: a customer's question or a piece of a document.
///
/// E5-family models are trained with a prefix for each role (`query: ` / `passage: `); other models may ignore it.
public enum EmbeddingRole: String, Sendable, Hashable, CaseIterable {
    /// A question to search with.
    case query
    /// A chunk of a document to be found.
    case passage
}

/// Turns texts into unit-length vectors.
///
/// Implementations are safe to call concurrently. Every returned vector has ``dimension`` components and an L2 norm of 1,
/// so the dot product of two vectors is their cosine similarity.
public protocol Embedder: Sendable {
    /// A stable name of the model and its weights (for example `multilingual-e5-small-q4:1571fc98`).
    ///
    /// Stored beside every vector, so that a change of model is noticed and triggers re-indexing.
    var modelIdentity: String { get }

    /// The number of components of every vector this embedder returns.
    var dimension: Int { get }

    /// Embeds a batch of texts in the given role, returning one unit vector per text, in order.
    func embed(_ texts: [String], role: EmbeddingRole) async throws -> [[Float]]
}

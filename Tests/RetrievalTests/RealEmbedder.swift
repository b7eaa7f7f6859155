import Embedding
import Foundation
import Testing

/// The daemon's own local embedder (multilingual-e5-small, 4-bit), loaded once per test process.
///
/// Found as EmbeddingTests find it: in `BALCAO_MODEL_DIR`, else in `<repo>/balcao-data/models`, where `make setup`
/// (run first by `make test`) puts it; the default variant first, as the daemon picks it. A missing model fails the
/// test that needs it, with the command that fetches it: retrieval with real vectors is never silently skipped.
enum RealEmbedder {
    /// `BALCAO_MODEL_DIR`, else `<repo>/balcao-data/models` (the repository root derived from this file's path).
    static var modelDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["BALCAO_MODEL_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("balcao-data/models")
    }

    private static let loaded: Result<LocalE5Embedder, LocalModelError> = Result { () throws(LocalModelError) in
        try LocalE5Embedder(modelFile: LocalE5Embedder.locateModel(in: [modelDirectory]), threads: 2)
    }

    /// The embedder; records an issue saying how to install the model, and throws, when it cannot be loaded.
    static func shared() throws -> LocalE5Embedder {
        switch loaded {
        case .success(let embedder): return embedder
        case .failure(let error):
            Issue.record(
                Comment(
                    rawValue: "The local embedding model is needed by the retrieval tests and could not be loaded: \(error) "
                        + "Run `make setup` (make test runs it first), or set BALCAO_MODEL_DIR to a directory holding it."
                )
            )
            throw error
        }
    }
}

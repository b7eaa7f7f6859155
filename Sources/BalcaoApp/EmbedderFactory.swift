import Embedding
import Foundation
import Logging
import Storage

/// Chooses the embedder the configuration asks for.
enum EmbedderFactory {
    /// The configured embedder, or `nil` (keyword-only search) when the provider is `none` or the local model is missing.
    static func make(configuration: BalcaoConfiguration, directory: DataDirectory, logger: Logger) throws -> (any Embedder)? {
        switch configuration.embedding.provider {
        case "none":
            return nil
        default:
            logger.warning("no embedding model available yet: search is keyword-only")
            return nil
        }
    }
}

import Embedding
import Foundation
import Logging
import Storage

/// Chooses the embedder the configuration asks for.
enum EmbedderFactory {
    /// Where the local model is looked for, in order.
    static func modelDirectories(configuration: BalcaoConfiguration, directory: DataDirectory) -> [URL] {
        var directories = [directory.models]
        if let override = ProcessInfo.processInfo.environment["BALCAO_MODEL_DIR"], !override.isEmpty {
            directories.append(URL(fileURLWithPath: override, isDirectory: true))
        }
        directories.append(URL(fileURLWithPath: "/usr/share/balcao/models", isDirectory: true))
        return directories
    }

    /// The configured embedder, or `nil` (keyword-only search) when the provider is `none` or the local model is missing.
    static func make(configuration: BalcaoConfiguration, directory: DataDirectory, logger: Logger) throws -> (any Embedder)? {
        let settings = configuration.embedding
        switch settings.provider {
        case "none":
            return nil
        case "openai":
            return OpenAICompatibleEmbedder(
                configuration: .init(
                    baseURL: settings.baseURL ?? "",
                    apiKey: settings.apiKey,
                    model: settings.model ?? "",
                    dimension: settings.dimension ?? 0
                ),
                logger: logger
            )
        default:
            let file: URL
            if let path = settings.modelPath {
                file = URL(fileURLWithPath: path)
            } else if let found = LocalE5Embedder.findModel(in: modelDirectories(configuration: configuration, directory: directory)) {
                file = found
            } else {
                logger.warning(
                    "the local embedding model is missing: search is keyword-only until it is installed",
                    metadata: ["fix": "run `make run` or `bash scripts/fetch-model.sh \(directory.models.path)`"]
                )
                return nil
            }
            do {
                return try LocalE5Embedder(modelFile: file, threads: settings.threads)
            } catch {
                logger.error("the local embedding model cannot be used: search is keyword-only", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }
}

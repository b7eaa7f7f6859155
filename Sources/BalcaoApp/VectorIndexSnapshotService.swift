import Logging
import Retrieval
import ServiceLifecycle

/// Saves the vector index snapshot now and then while it changes, and once more on shutdown, so that a start replays
/// few vectors.
struct VectorIndexSnapshotService: Service {
    let index: HNSWChunkIndex
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                save()
            }
        }
        save()
    }

    private func save() {
        do {
            try index.saveIfChanged()
        } catch {
            logger.error("could not save the vector index snapshot", metadata: ["error": "\(error)"])
        }
    }
}

extension Balcao {
    /// Saves the vector index snapshot if it changed (commands call this before they exit).
    public func saveVectorIndex() {
        guard let index = vectorIndex as? HNSWChunkIndex else { return }
        do { try index.saveIfChanged() } catch { logger.error("could not save the vector index snapshot", metadata: ["error": "\(error)"]) }
    }
}

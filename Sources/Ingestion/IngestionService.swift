import Logging
public import ServiceLifecycle
import Storage

/// The background workers that drain the durable job queue.
///
/// On start, jobs left running by a crash or a `kill -9` go back to the queue. Then `concurrency` workers claim jobs one
/// at a time (claiming is an atomic update, so a job is never run twice at once, even by another process on the same
/// database). On graceful shutdown the running jobs stop between steps and stay queued, to resume on the next start.
public struct IngestionService: Service {
    /// The pipeline each worker runs.
    public let pipeline: IngestionPipeline
    /// How many documents are processed at once.
    public let concurrency: Int
    /// How long an idle worker waits before looking for work again.
    public let pollInterval: Duration
    /// Told the outcome and duration of every job run (metrics).
    public var onJobFinished: (@Sendable (IngestionOutcome, Duration) -> Void)?

    /// Creates the service.
    public init(pipeline: IngestionPipeline, concurrency: Int = 2, pollInterval: Duration = .milliseconds(200)) {
        self.pipeline = pipeline
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
    }

    /// Runs the workers until graceful shutdown or cancellation.
    public func run() async throws {
        let requeued = try pipeline.database.requeueInterruptedJobs(maxAttempts: pipeline.maxAttempts)
        if requeued > 0 { pipeline.logger.notice("resuming interrupted ingestion jobs", metadata: ["count": "\(requeued)"]) }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<concurrency {
                    group.addTask { await work() }
                }
            }
        }
    }

    private func work() async {
        while !Task.isCancelled {
            do {
                if let claimed = try pipeline.database.claimNextJob() {
                    let start = ContinuousClock.now
                    let outcome = await pipeline.run(claimed)
                    onJobFinished?(outcome, ContinuousClock.now - start)
                    continue
                }
            } catch {
                pipeline.logger.error("job queue unavailable", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }
}

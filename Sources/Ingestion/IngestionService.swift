import Foundation
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
    /// The longest an idle worker sleeps. Workers do not poll: a queued job wakes them (``WorkBell``), and otherwise
    /// each sleeps until the next retry's back-off ends; this bound only catches jobs queued by another process.
    public let idleWakeUp: Duration
    /// Told the outcome and duration of every job run (metrics).
    public var onJobFinished: (@Sendable (IngestionOutcome, Duration) -> Void)?

    /// Creates the service.
    public init(pipeline: IngestionPipeline, concurrency: Int = 2, idleWakeUp: Duration = .seconds(30)) {
        self.pipeline = pipeline
        self.concurrency = max(1, concurrency)
        self.idleWakeUp = idleWakeUp
    }

    /// Runs the workers until graceful shutdown or cancellation.
    public func run() async throws {
        let requeued = try await pipeline.database.requeueInterruptedJobs(maxAttempts: pipeline.maxAttempts)
        if requeued > 0 { pipeline.logger.notice("resuming interrupted ingestion jobs", metadata: ["count": "\(requeued)"]) }
        let bell = pipeline.database.workBell(ringingOnChangesTo: ["job"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<concurrency {
                    group.addTask { await work(bell) }
                }
            }
        }
    }

    private func work(_ bell: WorkBell) async {
        while !Task.isCancelled {
            let ticket = bell.ticket()
            var wait = idleWakeUp
            do {
                // Read first: a worker with nothing due takes no write lock.
                if let due = try pipeline.database.nextJobTime() {
                    let now = Date()
                    if due <= now, let claimed = try await pipeline.database.claimNextJob(now: now) {
                        let start = ContinuousClock.now
                        let outcome = await pipeline.run(claimed)
                        onJobFinished?(outcome, ContinuousClock.now - start)
                        continue
                    }
                    // Not due yet, or claimed by the other worker meanwhile (whose write rang the bell: no wait then).
                    wait = min(wait, due <= now ? .seconds(1) : WorkBell.duration(until: due, from: now))
                }
            } catch {
                pipeline.logger.error("job queue unavailable", metadata: ["error": "\(error)"])
                wait = .seconds(1)
            }
            await bell.wait(since: ticket, atMost: wait)
        }
    }
}

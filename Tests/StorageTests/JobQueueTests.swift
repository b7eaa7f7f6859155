import Foundation
import Testing

@testable import Storage

@Suite("Job queue")
struct JobQueueTests {
    @Test("a job is claimed by exactly one of many concurrent workers")
    func claimIsAtomic() async throws {
        let directory = try TemporaryDirectory()
        let database = try AppDatabase.open(at: directory.url.appendingPathComponent("db.sqlite"))
        for index in 0..<20 {
            _ = try await database.registerUpload(
                filename: "\(index).txt",
                sha256: "\(index)",
                bytes: 1,
                format: "text",
                sealedPassword: nil,
                agentName: nil
            )
        }
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while let job = try await database.claimNextJob() { mine.append(job.job.id!) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 20)
        #expect(Set(claimed).count == 20)
    }

    @Test("after a crash, running jobs go back to the queue and their documents to queued")
    func requeueAfterCrash() async throws {
        let database = try AppDatabase.inMemory()
        let upload = try await database.registerUpload(filename: "a", sha256: "a", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let claimed = try #require(try await database.claimNextJob())
        try await database.setStatus(documentID: upload.document.id!, .extracting)
        #expect(try await database.claimNextJob() == nil)
        #expect(try await database.requeueInterruptedJobs() == 1)
        #expect(try database.document(id: upload.document.id!)?.status == .queued)
        let again = try #require(try await database.claimNextJob())
        #expect(again.job.id == claimed.job.id)
        #expect(again.job.attempts == 2)
    }

    @Test("a job whose every start ended in a crash stops: no crash loop, the document fails with the reason")
    func crashLoopEnds() async throws {
        let database = try AppDatabase.inMemory()
        let upload = try await database.registerUpload(filename: "a", sha256: "a", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        // Three starts, each "killed" (claimed, never finished, then a restart requeues it).
        for attempt in 1...3 {
            let claimed = try #require(try await database.claimNextJob(), "attempt \(attempt)")
            #expect(claimed.job.attempts == attempt)
            _ = try await database.requeueInterruptedJobs(maxAttempts: 3)
        }
        #expect(try await database.claimNextJob() == nil)
        #expect(try database.pendingJobCount() == 0)
        let document = try #require(try database.document(id: upload.document.id!))
        #expect(document.status == .failed)
        #expect(document.reason?.contains("interrupted 3 times") == true)
    }

    @Test("a run stopped by a full disk is retried without using up an attempt")
    func storageFailureRefundsTheAttempt() async throws {
        let database = try AppDatabase.inMemory()
        _ = try await database.registerUpload(filename: "a", sha256: "a", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let now = Date()
        for _ in 0..<5 {
            let claimed = try #require(try await database.claimNextJob(now: now))
            #expect(claimed.job.attempts == 1)
            try await database.retryJob(id: claimed.job.id!, error: "disk full", after: 0, refundAttempt: true, now: now)
        }
    }

    @Test("a retried job waits for its back-off; a failed one ends the document failed with the reason")
    func retryAndFail() async throws {
        let database = try AppDatabase.inMemory()
        let upload = try await database.registerUpload(filename: "a", sha256: "a", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let now = Date()
        let claimed = try #require(try await database.claimNextJob(now: now))
        try await database.retryJob(id: claimed.job.id!, error: "disk full", after: 60, now: now)
        #expect(try await database.claimNextJob(now: now.addingTimeInterval(30)) == nil)
        let retried = try #require(try await database.claimNextJob(now: now.addingTimeInterval(61)))
        try await database.failJob(id: retried.job.id!, documentID: upload.document.id!, reason: "gave up")
        let document = try #require(try database.document(id: upload.document.id!))
        #expect(document.status == .failed)
        #expect(document.reason == "gave up")
        #expect(try database.pendingJobCount() == 0)
    }

    @Test("re-queueing a document that already has a live job adds no second job")
    func enqueueIsIdempotent() async throws {
        let database = try AppDatabase.inMemory()
        let upload = try await database.registerUpload(filename: "a", sha256: "a", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        try await database.enqueueIngestion(documentID: upload.document.id!)
        #expect(try database.pendingJobCount() == 1)
    }
}

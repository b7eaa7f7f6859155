import ArgumentParser
import BalcaoApp
import Foundation
import Storage

/// `balcao reindex`: rebuilds chunks, vectors and indexes of every document from the stored originals.
struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild chunks and indexes from the stored originals (after a chunking or model change).",
        discussion: "Refuses to run while a daemon uses the same data directory. Interrupted, it resumes where it stopped when run again.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let configuration = try options.load()
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        try directory.create()
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw ValidationError("\(error)") }
        defer { withExtendedLifetime(lock) {} }
        let balcao = try options.open()
        let database = balcao.database
        try database.requeueInterruptedJobs()
        let waiting = try database.pendingJobCount()
        if waiting > 0 {
            print("Resuming an interrupted re-index: \(waiting) documents left.")
        } else {
            let documents = try database.documents()
            for document in documents { try database.enqueueIngestion(documentID: document.id!) }
            print("Re-indexing \(documents.count) documents.")
        }
        let total = try database.pendingJobCount()
        let progress = ProgressLine(total: total)
        let start = ContinuousClock.now
        var done = 0
        var failed = 0
        while let claimed = try database.claimNextJob(now: .distantFuture) {
            let elapsed = ContinuousClock.now - start
            let eta = done > 0 ? " — about \((elapsed / done * (total - done)).formatted(.units(allowed: [.minutes, .seconds], width: .narrow))) left" : ""
            progress.show(index: done, label: claimed.document.filename + eta)
            let outcome = await balcao.pipeline.run(claimed)
            done += 1
            if case .rejected(let status, let reason) = outcome {
                failed += 1
                progress.clear()
                print("✗ \(claimed.document.filename): \(status.rawValue) — \(reason)")
            }
        }
        progress.clear()
        balcao.saveVectorIndex()
        print("Re-indexed \(done - failed) of \(done) documents.")
        if failed > 0 { throw ExitCode.failure }
    }
}

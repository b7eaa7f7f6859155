import ArgumentParser
import BalcaoApp
import Foundation
import Storage

/// `balcao reindex`: rebuilds chunks, vectors and indexes of every document from the stored originals.
struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild chunks and indexes from the stored originals (after a chunking or model change).",
        discussion: """
            Refuses to run while a daemon uses the same data directory. Interrupted, it resumes where it stopped when run \
            again, and the final report (documents, chunks before/after, vectors rebuilt, failures) covers the whole re-index.
            """
    )

    @OptionGroup var options: GlobalOptions

    /// What a re-index started with, kept in `<data_dir>/reindex-state.json` until it ends so that a resumed run
    /// reports on the whole re-index.
    struct State: Codable {
        var startedAt: Date
        var documentIDs: [Int64]
        var chunksBefore: Int
        var vectorsBefore: Int
        var lastVectorSequence: Int64
    }

    func run() async throws {
        let configuration = try options.load()
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        try directory.create()
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw ValidationError("\(error)") }
        defer { withExtendedLifetime(lock) {} }
        let balcao = try options.open()
        let database = balcao.database
        let stateFile = directory.root.appendingPathComponent("reindex-state.json")
        try await database.requeueInterruptedJobs()

        var state = (try? Data(contentsOf: stateFile)).flatMap { try? JSONDecoder().decode(State.self, from: $0) }
        let documents = try database.documents()
        if let state {
            // Resume: every document of the re-index that has not finished since it started is queued again (a run
            // killed while queueing left some without a job).
            let members = Set(state.documentIDs)
            let unfinished = documents.filter { members.contains($0.id!) && !($0.status.isFinal && $0.updatedAt >= state.startedAt) }
            for document in unfinished { try await database.enqueueIngestion(documentID: document.id!) }
            print("Resuming an interrupted re-index: \(try database.pendingJobCount()) of \(state.documentIDs.count) documents left.")
        } else {
            let counts = try database.tableCounts()
            // Whole milliseconds, as the database stores times: a document finished after this instant compares later.
            let fresh = State(
                startedAt: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000),
                documentIDs: documents.map { $0.id! },
                chunksBefore: counts["chunk"] ?? 0,
                vectorsBefore: counts["chunkVector"] ?? 0,
                lastVectorSequence: try database.lastVectorSequence()
            )
            try JSONEncoder().encode(fresh).write(to: stateFile, options: .atomic)
            state = fresh
            for document in documents { try await database.enqueueIngestion(documentID: document.id!) }
            print("Re-indexing \(documents.count) documents.")
        }
        guard let state else { return }

        let total = try database.pendingJobCount()
        let progress = ProgressLine(total: total)
        let start = ContinuousClock.now
        var done = 0
        while let claimed = try await database.claimNextJob(now: .distantFuture) {
            let elapsed = ContinuousClock.now - start
            let eta =
                done > 0 ? " — about \((elapsed / done * (total - done)).formatted(.units(allowed: [.minutes, .seconds], width: .narrow))) left" : ""
            progress.show(index: done, label: claimed.document.filename + eta)
            let outcome = await balcao.pipeline.run(claimed)
            done += 1
            if case .rejected(let status, let reason) = outcome {
                progress.clear()
                print("✗ \(claimed.document.filename): \(status.rawValue) — \(reason)")
            }
        }
        progress.clear()
        balcao.saveVectorIndex()

        // The report covers the whole re-index, earlier interrupted runs included.
        let members = Set(state.documentIDs)
        let finished = try database.documents().filter { members.contains($0.id!) && $0.status.isFinal && $0.updatedAt >= state.startedAt }
        let failures = finished.filter { $0.status != .indexed }
        let counts = try database.tableCounts()
        let rebuilt = try database.vectorCount(after: state.lastVectorSequence)
        print("Re-indexed \(finished.count - failures.count) of \(finished.count) documents.")
        print("  chunks: \(state.chunksBefore) before, \(counts["chunk"] ?? 0) after")
        if let embedder = balcao.embedder {
            print("  vectors: \(rebuilt) rebuilt with \(embedder.modelIdentity) (\(state.vectorsBefore) before, \(counts["chunkVector"] ?? 0) after)")
        } else {
            print("  vectors: none (no embedding model: keyword search only; \(state.vectorsBefore) before, \(counts["chunkVector"] ?? 0) after)")
        }
        print("  failures: \(failures.count)")
        for failure in failures { print("    \(failure.filename): \(failure.status.rawValue) — \(failure.reason ?? "")") }
        if done < finished.count { print("  (\(done) in this run, \(finished.count - done) before the interruption)") }
        try? FileManager.default.removeItem(at: stateFile)
        if !failures.isEmpty { throw ExitCode.failure }
    }
}

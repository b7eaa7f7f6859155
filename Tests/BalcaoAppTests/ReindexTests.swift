import BalcaoTesting
import Foundation
import GRDB
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `balcao reindex` killed in the middle and run again ends exactly where an uninterrupted run ends.
@Suite("balcao reindex", .serialized)
struct ReindexTests {
    final class Scratch: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-reindex-\(UUID().uuidString)", isDirectory: true)
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static func environment(dataDirectory: URL, llm: FakeLLM) -> [String: String] {
        [
            "BALCAO_STORAGE_DATA_DIR": dataDirectory.path, "BALCAO_SERVER_API_TOKEN": "t0ken",
            "BALCAO_EMBEDDING_PROVIDER": "openai", "BALCAO_EMBEDDING_BASE_URL": llm.baseURL, "BALCAO_EMBEDDING_MODEL": "fake-embed",
            "BALCAO_EMBEDDING_DIMENSION": String(FakeEmbeddings.dimension),
        ]
    }

    /// Every chunk with its vector, by document content: what a re-index must reproduce.
    static func contents(of dataDirectory: URL) throws -> [String] {
        let queue = try DatabaseQueue(path: dataDirectory.appendingPathComponent("balcao.sqlite").path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.sha256, d.status, c.ordinal, c.text, hex(v.vector) AS vector, v.model
                    FROM chunk c JOIN document d ON d.id = c.documentId LEFT JOIN chunkVector v ON v.chunkId = c.id
                    ORDER BY d.sha256, c.ordinal
                    """
            ).map { row in
                let values: [DatabaseValue] = ["sha256", "status", "ordinal", "text", "vector", "model"].map { row[$0] }
                return values.map(\.description).joined(separator: "|")
            }
        }
    }

    static func statusCounts(_ dataDirectory: URL) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: dataDirectory.appendingPathComponent("balcao.sqlite").path)
        defer { try? queue.close() }
        return try queue.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM document GROUP BY status").map {
                    ($0["status"] as String, $0["n"] as Int)
                }
            )
        }
    }

    @Test("reindex killed with SIGKILL mid-run resumes, reports the whole re-index, and ends equal to an uninterrupted run")
    func interruptedAndResumed() async throws {
        let scratch = try Scratch()
        let llm = try await FakeLLM.start()
        defer { Task { await llm.stop() } }
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: Self.environment(dataDirectory: dataDirectory, llm: llm))
        var files: [String] = []
        for index in 0..<8 {
            let file = scratch.url.appendingPathComponent("doc-\(index).txt")
            let text = (0..<30).map { "Documento \(index), parágrafo \($0): regras de troca, prazos e garantias da loja número \(index)." }
            try Data(text.joined(separator: "\n\n").utf8).write(to: file)
            files.append(file.path)
        }
        let ingest = try await process.run(["ingest"] + files)
        #expect(ingest.status == 0, "\(ingest.stdout)\(ingest.stderr)")
        let original = try Self.contents(of: dataDirectory)
        #expect(!original.isEmpty)

        // The reference: the same data directory re-indexed without interruption.
        let referenceDirectory = scratch.url.appendingPathComponent("reference")
        try FileManager.default.copyItem(at: dataDirectory, to: referenceDirectory)
        let reference = try await BalcaoProcess(
            workingDirectory: scratch.url,
            environment: Self.environment(dataDirectory: referenceDirectory, llm: llm)
        ).run(["reindex"])
        #expect(reference.status == 0, "\(reference.stdout)\(reference.stderr)")
        #expect(reference.stdout.contains("Re-indexed 8 of 8 documents."), "\(reference.stdout)")

        // Slow embeddings make the run long enough to be killed in the middle.
        llm.setEmbeddingDelay(.milliseconds(200))
        let first = try process.start(["reindex"], log: scratch.url.appendingPathComponent("first.log"))
        var killedMidRun = false
        var allQueued = false
        for _ in 0..<1500 {
            let counts = (try? Self.statusCounts(dataDirectory)) ?? [:]
            let waiting = counts.filter { $0.key != "indexed" }.values.reduce(0, +)
            // First every document is queued again (each embedding takes 200 ms, so none finishes before that)…
            if waiting == 8 { allQueued = true }
            // …then kill once some were redone and several are still waiting.
            if allQueued, (counts["indexed"] ?? 0) >= 2, waiting >= 3 {
                kill(first.processIdentifier, SIGKILL)
                killedMidRun = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        await BalcaoProcess.waitForExit(first)
        #expect(killedMidRun, "the re-index finished before it could be interrupted")
        #expect(first.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("reindex-state.json").path))

        llm.setEmbeddingDelay(.zero)
        let resumed = try await process.run(["reindex"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("Resuming an interrupted re-index"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("Re-indexed 8 of 8 documents."), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("failures: 0"))
        #expect(resumed.stdout.contains("before the interruption"), "\(resumed.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("reindex-state.json").path))

        // Same chunks, same vectors, nothing duplicated, everything indexed: as the uninterrupted run.
        let final = try Self.contents(of: dataDirectory)
        #expect(final == (try Self.contents(of: referenceDirectory)))
        #expect(final == original, "deterministic embeddings: a re-index reproduces the same chunks and vectors")
        #expect(try Self.statusCounts(dataDirectory) == ["indexed": 8])
        // The report's figures: chunk counts before/after, every vector rebuilt.
        let chunks = final.count
        #expect(reference.stdout.contains("chunks: \(chunks) before, \(chunks) after"), "\(reference.stdout)")
        #expect(reference.stdout.contains("vectors: \(chunks) rebuilt"), "\(reference.stdout)")
        #expect(resumed.stdout.contains("chunks: \(chunks) before, \(chunks) after"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("vectors: \(chunks) rebuilt"), "\(resumed.stdout)")
    }
}

import Foundation
import Logging
import Storage
import Testing
import VectorIndex

@testable import Retrieval

/// The vector index's snapshot claims to hold every stored vector up to its sequence number; with several ingestion
/// workers storing at once that claim must stay true, or a restart would silently miss their vectors.
@Suite("Vector index snapshots with concurrent ingestion")
struct VectorSnapshotTests {
    private static let dimension = 8
    private static let model = "test-model"

    private static func vector(_ seed: Int64) -> [Float] {
        var generator = SystemRandomNumberGenerator()
        var values = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        values[Int(seed) % dimension] += 4
        return values
    }

    /// Every vector stored at or below the snapshot's sequence number is in the snapshot.
    private static func checkSnapshot(_ file: URL, database: AppDatabase) throws -> Int {
        let (loaded, info) = try HNSWIndex.load(from: file.path)
        let claimed = try database.vectors(after: 0).filter { $0.seq <= Int64(info.lastSequence) }
        let missing = claimed.filter { !loaded.contains(id: $0.chunkID) }
        #expect(missing.isEmpty, "the snapshot claims sequence \(info.lastSequence) but lacks \(missing.count) vectors")
        return claimed.count
    }

    @Test("two workers store vectors while snapshots are taken: every snapshot's claim holds, and a restart finds every vector")
    func twoWorkers() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-snapshot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = DataDirectory(root: root)
        try directory.create()
        let database = try AppDatabase.open(at: directory.database)
        var chunkIDs: [[Int64]] = []
        for worker in 0..<2 {
            let upload = try await database.registerUpload(
                filename: "\(worker).txt",
                sha256: "sha-\(worker)",
                bytes: 1,
                format: "text",
                sealedPassword: nil,
                agentName: nil
            )
            let chunks = (0..<240).map { NewChunk(text: "trecho \(worker)-\($0)", section: "", pageStart: nil, pageEnd: nil, tokenCount: 3) }
            chunkIDs.append(try await database.replaceChunks(documentID: upload.document.id!, with: chunks).stored.map { $0.id! })
        }
        let logger = Logger(label: "test")
        let index = try HNSWChunkIndex(database: database, directory: directory, modelIdentity: Self.model, dimension: Self.dimension, logger: logger)
        let snapshot = HNSWChunkIndex.snapshotFile(in: directory)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for ids in chunkIDs {
                group.addTask {
                    for start in stride(from: 0, to: ids.count, by: 16) {
                        let batch = ids[start..<min(start + 16, ids.count)].map { (chunkID: $0, vector: Self.vector($0)) }
                        try await index.store(batch, model: Self.model, in: database)
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                for _ in 0..<20 {
                    try index.saveIfChanged()
                    if FileManager.default.fileExists(atPath: snapshot.path) { _ = try Self.checkSnapshot(snapshot, database: database) }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            try await group.waitForAll()
        }
        try index.saveIfChanged()
        #expect(try Self.checkSnapshot(snapshot, database: database) == 480)

        // A restart loads the snapshot, replays nothing it already holds, and finds every vector.
        let reopened = try HNSWChunkIndex(
            database: database,
            directory: directory,
            modelIdentity: Self.model,
            dimension: Self.dimension,
            logger: logger
        )
        #expect(reopened.count == 480)
        let stored = try database.vectors(after: 0)
        #expect(Set(stored.map(\.chunkID)) == Set(chunkIDs.joined()))
        for vector in stored {
            let nearest = try await reopened.nearest(to: vector.vector, limit: 1, among: [vector.chunkID])
            #expect(nearest.first?.chunkID == vector.chunkID)
        }
    }
}

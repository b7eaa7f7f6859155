import Foundation
import Logging
import Retrieval
import Storage
import Testing

/// A restart of the daemon, seen by the vector index with real embeddings: vectors stored after the last snapshot are
/// replayed from the database, and a snapshot that is missing, corrupt or out of step is rebuilt from it; either way
/// every stored vector is found again and questions are answered as before.
@Suite("Vector index restart with the real embedder")
struct VectorIndexRestartTests {
    private typealias Store = PortugueseCorpus.Store

    private static let ready = "vector index ready"
    private static let unusable = "vector index snapshot unusable; rebuilding from the database"
    private static let outOfStep = "vector index out of step with the database; rebuilding"

    /// A snapshot holding the shop's policies but the return policy and the catalogue, which were indexed after it
    /// and never saved (the daemon stopped before its next snapshot).
    private struct Restart {
        let scratch: RetrievalScratch
        /// The chunks of the policies in the snapshot: delivery, payment, opening hours, warranty.
        let saved: [Int64]
        /// The chunks stored after it: the return policy, then the catalogue.
        let unsaved: [Int64]
        let catalogueDocument: Int64

        init() async throws {
            scratch = try RetrievalScratch()
            let index = try scratch.openIndex()
            saved = try await scratch.addDocument(
                "politicas.txt",
                agent: nil,
                passages: Store.policies.filter { $0 != Store.returns },
                into: index
            )
            try index.saveIfChanged()
            #expect(FileManager.default.fileExists(atPath: HNSWChunkIndex.snapshotFile(in: scratch.directory).path))
            let returns = try await scratch.addDocument("devolucoes.txt", agent: nil, passages: [Store.returns], into: index)
            let catalogue = try await scratch.addDocument(
                "catalogo.txt",
                agent: nil,
                passages: [Store.blender] + Store.lookalikeCodes,
                into: index
            )
            unsaved = returns + catalogue
            catalogueDocument = try #require(try scratch.database.chunks(ids: [catalogue[0]]).first).documentId
            scratch.logs.clear()
        }

        var snapshot: URL { HNSWChunkIndex.snapshotFile(in: scratch.directory) }

        /// How many vectors the last open replayed.
        func replayed() throws -> Int {
            let ready = try #require(scratch.logs.metadata(of: VectorIndexRestartTests.ready).last)
            return try #require(ready["replayed"].flatMap { Int("\($0)") })
        }

        /// Every stored vector is its own nearest neighbour in `index` (an unfiltered graph search), and nothing else is in it.
        func expectEveryStoredVector(in index: HNSWChunkIndex) async throws {
            let stored = try scratch.database.vectors(after: 0)
            #expect(index.count == stored.count)
            for vector in stored {
                let nearest = try await index.nearest(to: vector.vector, limit: 1, among: nil)
                #expect(nearest.first?.chunkID == vector.chunkID, "chunk \(vector.chunkID) is not found by its own vector")
            }
        }

        /// Questions answered from a passage in the snapshot and from one replayed after it.
        func expectAnswers(from index: HNSWChunkIndex) async throws {
            let search = scratch.hybrid(index)
            let returns = try await search.search("posso mandar de volta o que comprei?", limit: 3).first?.chunkID
            #expect(returns == unsaved[0])
            let delivery = try await search.search("quanto tempo demora para chegar minha encomenda?", limit: 3).first?.chunkID
            #expect(delivery == saved[0])
        }
    }

    @Test("vectors stored after the last snapshot are replayed on open, not rebuilt")
    func replay() async throws {
        let restart = try await Restart()
        let reopened = try restart.scratch.openIndex()
        #expect(try restart.replayed() == restart.unsaved.count)
        #expect(restart.scratch.logs.metadata(of: Self.unusable).isEmpty)
        #expect(restart.scratch.logs.metadata(of: Self.outOfStep).isEmpty)
        #expect(reopened.count == restart.saved.count + restart.unsaved.count)
        try await restart.expectEveryStoredVector(in: reopened)
        try await restart.expectAnswers(from: reopened)

        // The replayed vectors are in the next snapshot: a second restart replays nothing.
        try reopened.saveIfChanged()
        restart.scratch.logs.clear()
        let again = try restart.scratch.openIndex()
        #expect(try restart.replayed() == 0)
        try await restart.expectEveryStoredVector(in: again)
    }

    /// What happens to the snapshot file before the restart.
    enum Damage: String, CaseIterable, Sendable {
        case deleted, truncated, overwritten
    }

    @Test("a missing or corrupt snapshot is rebuilt from the database", arguments: Damage.allCases)
    func rebuild(damage: Damage) async throws {
        let restart = try await Restart()
        let snapshot = restart.snapshot
        switch damage {
        case .deleted:
            try FileManager.default.removeItem(at: snapshot)
        case .truncated:
            let bytes = try Data(contentsOf: snapshot)
            try bytes.prefix(bytes.count / 2).write(to: snapshot)
        case .overwritten:
            let bytes = try Data(contentsOf: snapshot)
            try Data(repeating: 0x5A, count: bytes.count).write(to: snapshot)
        }
        let reopened = try restart.scratch.openIndex()
        #expect(try restart.replayed() == restart.saved.count + restart.unsaved.count, "every vector is inserted again")
        #expect(restart.scratch.logs.metadata(of: Self.unusable).count == (damage == .deleted ? 0 : 1))
        try await restart.expectEveryStoredVector(in: reopened)
        try await restart.expectAnswers(from: reopened)
    }

    @Test("a document deleted after the snapshot, with the daemon stopped before it left the index, is gone after a restart")
    func deletedSinceSnapshot() async throws {
        let restart = try await Restart()
        let index = try restart.scratch.openIndex()
        try index.saveIfChanged()
        let deleted = try #require(try await restart.scratch.database.deleteDocument(id: restart.catalogueDocument)).chunkIDs
        #expect(!deleted.isEmpty)

        restart.scratch.logs.clear()
        let reopened = try restart.scratch.openIndex()
        #expect(restart.scratch.logs.metadata(of: Self.outOfStep).count == 1)
        try await restart.expectEveryStoredVector(in: reopened)
        let code = try await restart.scratch.hybrid(reopened).search("XPTO-4471", limit: 50).map(\.chunkID)
        #expect(Set(code).isDisjoint(with: deleted))
        let nearest = try await reopened.nearest(to: restart.scratch.queryVector("XPTO-4471"), limit: 50, among: nil).map(\.chunkID)
        #expect(nearest.count == reopened.count)
        #expect(Set(nearest).isDisjoint(with: deleted))
    }
}

import Testing

@testable import VectorIndex

@Suite("Deletes, re-inserts, compaction and filters")
struct UpdateTests {
    @Test("recall holds after 30% deleted and re-added, and after compaction")
    func deleteAndReinsert() throws {
        let metric = VectorMetric.cosine
        let vectors = makeData(.clustered, n: 2000, d: 32, seed: 11)
        let data = items(vectors)
        let queries = makeData(.clustered, n: 40, d: 32, seed: 12)
        let index = try HNSWIndex(dimension: 32, metric: metric, storage: .float32, m: 12, efConstruction: 100)
        try index.addBatch(data, threads: 1)

        // Delete every id ≡ 0, 3, 6 (mod 10): 30%.
        let deleted = data.filter { [0, 3, 6].contains($0.id % 10) }
        #expect(index.remove(ids: deleted.map(\.id)) == deleted.count)
        #expect(index.count == data.count - deleted.count)
        #expect(index.deletedCount == deleted.count)
        let live = data.filter { ![0, 3, 6].contains($0.id % 10) }
        let afterDelete = try recall(index, live, queries: queries, ef: 96, metric: metric)
        #expect(afterDelete >= 0.95, "recall after deletes \(afterDelete)")
        for q in queries.prefix(10) {
            let hits = try index.search(q, k: 10, ef: 96)
            #expect(hits.allSatisfy { ![0, 3, 6].contains($0.id % 10) })
        }

        // Re-add them with new vectors (replacing content) under the same ids.
        let readded: [(id: Int64, vector: [Float])] = makeData(.clustered, n: deleted.count, d: 32, seed: 13).enumerated().map {
            (deleted[$0.offset].id, $0.element)
        }
        try index.addBatch(readded, threads: 1)
        #expect(index.count == data.count)
        let all = live + readded
        let afterReinsert = try recall(index, all, queries: queries, ef: 96, metric: metric)
        #expect(afterReinsert >= 0.95, "recall after re-inserts \(afterReinsert)")

        // Replacing ids tombstones their previous slots; compaction drops every tombstone.
        for item in readded.prefix(100) { try index.add(id: item.id, vector: item.vector) }
        #expect(index.deletedCount == deleted.count + 100)
        index.compact()
        #expect(index.deletedCount == 0)
        #expect(index.count == data.count)
        let afterCompaction = try recall(index, all, queries: queries, ef: 96, metric: metric)
        #expect(afterCompaction >= 0.95, "recall after compaction \(afterCompaction)")
    }

    @Test("automatic compaction once most slots are tombstones")
    func autoCompaction() throws {
        let data = items(makeData(.random, n: 400, d: 16, seed: 21))
        let index = try HNSWIndex(dimension: 16, m: 8, efConstruction: 50, autoCompactFraction: 0.5)
        try index.addBatch(data)
        index.remove(ids: data.prefix(150).map(\.id))
        #expect(index.deletedCount == 150)
        index.remove(ids: data[150..<250].map(\.id))
        #expect(index.deletedCount == 0)
        #expect(index.count == 150)
        let rest = Array(data[250...])
        #expect(try recall(index, rest, queries: makeData(.random, n: 20, d: 16, seed: 22), ef: 64, metric: .cosine) >= 0.95)
    }

    @Test("filtered search at 50%, 5% and 0.1% selectivity", arguments: [0.5, 0.05, 0.001])
    func filtered(selectivity: Double) throws {
        let data = items(makeData(.clustered, n: 3000, d: 32, seed: 31))
        let queries = makeData(.clustered, n: 30, d: 32, seed: 32)
        var rng = TestRNG(33)
        var allowed = Set<Int64>()
        let wanted = max(1, Int(Double(data.count) * selectivity))
        while allowed.count < wanted { allowed.insert(Int64.random(in: 0..<Int64(data.count), using: &rng)) }
        // Default thresholds (graph search at 50%, exact below), and the graph path forced at every selectivity.
        for (fraction, minimum) in [(0.1, 2048), (0.0, 0)] {
            let index = try HNSWIndex(
                dimension: 32,
                metric: .l2,
                storage: .float16,
                m: 12,
                efConstruction: 100,
                exactFilterFraction: fraction,
                exactFilterMinimum: minimum
            )
            try index.addBatch(data, threads: 1)
            let r = try recall(index, data, queries: queries, ef: 96, metric: .l2, filter: allowed)
            #expect(r >= 0.95, "filtered recall \(r) at \(selectivity), exact below \(fraction)")
        }
    }
}

import Dispatch
import Glibc
import Synchronization
import Testing

@testable import VectorIndex

/// Flags shared between the writer and the searchers.
final class SharedState: Sendable {
    let done = Atomic<Bool>(false)
    let searches = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
}

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test("searches run while one writer inserts and removes; results are always complete nodes")
    func searchDuringInserts() throws {
        let data = items(makeData(.clustered, n: 2400, d: 32, seed: 41))
        let queries = makeData(.clustered, n: 50, d: 32, seed: 42)
        let index = try HNSWIndex(dimension: 32, metric: .cosine, storage: .float16, m: 12, efConstruction: 80, initialCapacity: 16)
        try index.addBatch(Array(data.prefix(200)))
        let state = SharedState()
        let group = DispatchGroup()
        for worker in 0..<2 {
            DispatchQueue.global().async(group: group) {
                var i = worker
                while !state.done.load(ordering: .acquiring) {
                    let q = queries[i % queries.count]
                    guard let hits = try? index.search(q, k: 10, ef: 40) else {
                        state.failures.wrappingAdd(1, ordering: .relaxed)
                        continue
                    }
                    let valid =
                        hits.count <= 10 && Set(hits.map(\.id)).count == hits.count
                        && hits.allSatisfy { $0.id >= 0 && $0.id < 2400 && $0.score.isFinite }
                    if !valid { state.failures.wrappingAdd(1, ordering: .relaxed) }
                    i += 2
                    state.searches.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
        // Wait until the searchers run, so that the writes below overlap with them.
        var spins = 0
        while state.searches.load(ordering: .relaxed) == 0 && spins < 10_000 {
            usleep(1000)
            spins += 1
        }
        let before = state.searches.load(ordering: .relaxed)
        // One writer: single inserts (forcing several capacity doublings), a parallel batch, removals.
        for item in data[200..<1200] { try index.add(id: item.id, vector: item.vector) }
        try index.addBatch(Array(data[1200...]), threads: 2)
        index.remove(ids: stride(from: Int64(0), to: 2400, by: 7))
        state.done.store(true, ordering: .releasing)
        group.wait()
        #expect(state.failures.load(ordering: .relaxed) == 0)
        #expect(state.searches.load(ordering: .relaxed) > before)
        let live = data.filter { $0.id % 7 != 0 }
        #expect(index.count == live.count)
        let r = try recall(index, live, queries: queries, ef: 96, metric: .cosine)
        #expect(r >= 0.95, "recall after concurrent build \(r)")
    }
}

@Suite("Parallel build")
struct ParallelBuildTests {
    /// Two threads inserting at once must build as good a graph as one: every vector reachable from the entry
    /// point, and recall as high as a serial build. Small sets make the two inserters meet often (a node found by
    /// one thread while the other is still linking it). Before the two-phase insert, 60 such builds left about 50
    /// vectors that nothing pointed to; the clean-up pass after a parallel batch (which links such nodes again) must
    /// stay a rare repair, not hide a race.
    @Test("a batch built on two threads leaves no vector unreachable and keeps recall, over many small builds")
    func smallParallelBuilds() throws {
        var unreachable = 0
        var relinked = 0
        var total = 0
        var worst = 1.0
        for trial in 0..<40 {
            let n = 150 + 37 * (trial % 12)
            let data = items(makeData(.clustered, n: n, d: 16, seed: 900 + UInt64(trial)))
            let index = try HNSWIndex(dimension: 16, metric: .l2, storage: .float32, m: 6, efConstruction: 40, seed: UInt64(trial))
            try index.addBatch(data, threads: 2)
            unreachable += index.unreachableCount()
            relinked += index.relinkedCount
            total += n
            let queries = makeData(.clustered, n: 20, d: 16, seed: 5000 + UInt64(trial))
            worst = min(worst, try recall(index, data, queries: queries, ef: 64, metric: .l2))
        }
        #expect(unreachable == 0, "\(unreachable) vectors unreachable after parallel builds")
        #expect(relinked * 1000 <= total, "\(relinked) of \(total) vectors needed linking again")
        #expect(worst >= 0.9, "worst recall over the parallel builds \(worst)")
    }
}

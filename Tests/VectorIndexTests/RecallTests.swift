import Testing

@testable import VectorIndex

@Suite("Recall against exact search")
struct RecallTests {
    static let combinations: [(DataKind, VectorMetric, VectorStorage)] = DataKind.allCases.flatMap { kind in
        VectorMetric.allCases.flatMap { metric in VectorStorage.allCases.map { (kind, metric, $0) } }
    }

    @Test("recall@10 ≥ 0.95", arguments: RecallTests.combinations)
    func recallAtTen(kind: DataKind, metric: VectorMetric, storage: VectorStorage) throws {
        let data = items(makeData(kind, n: 1500, d: 32, seed: 7))
        let queries = makeData(kind, n: 40, d: 32, seed: 99)
        let index = try HNSWIndex(dimension: 32, metric: metric, storage: storage, m: 12, efConstruction: 100)
        try index.addBatch(data, threads: 1)  // one thread: the same graph every run
        #expect(index.count == data.count)
        let r = try recall(index, data, queries: queries, ef: 96, metric: metric)
        #expect(r >= 0.95, "recall \(r) for \(kind) \(metric) \(storage)")
    }

    @Test("exact search matches the independent ground truth")
    func exactSearch() throws {
        let data = items(makeData(.random, n: 500, d: 24, seed: 3))
        for metric in VectorMetric.allCases {
            let index = try HNSWIndex(dimension: 24, metric: metric, storage: .float32)
            try index.addBatch(data)
            for q in makeData(.random, n: 10, d: 24, seed: 4) {
                let pool = metric == .cosine ? data.map { ($0.id, normalized($0.vector)) } : data
                let truth = groundTruth(pool, q, k: 5, metric: metric)
                #expect(try index.exactSearch(q, k: 5).map(\.id) == truth)
            }
        }
    }

    @Test("portable, AVX2 and AVX-512 kernels agree")
    func kernelsAgree() throws {
        let data = items(makeData(.clustered, n: 300, d: 67, seed: 5))
        let q = makeData(.clustered, n: 1, d: 67, seed: 6)[0]
        for storage in VectorStorage.allCases {
            for metric in VectorMetric.allCases {
                let portable = try HNSWIndex(dimension: 67, metric: metric, storage: storage, kernelLevel: 0)
                #expect(portable.kernelLevel == 0)
                try portable.addBatch(data, threads: 1)
                let reference = try portable.exactSearch(q, k: 20)
                for level in 1...max(1, HNSWIndex.bestKernelLevel) {
                    let other = try HNSWIndex(dimension: 67, metric: metric, storage: storage, kernelLevel: level)
                    #expect(other.kernelLevel == min(level, HNSWIndex.bestKernelLevel))
                    try other.addBatch(data, threads: 1)
                    let found = try other.exactSearch(q, k: 20)
                    for (x, y) in zip(reference, found) {
                        #expect(abs(x.score - y.score) <= 1e-3 * max(1, abs(x.score)), "\(metric) \(storage) level \(level)")
                    }
                }
            }
        }
    }

    @Test("stored-vector (pair) kernels agree across levels and with Float32 arithmetic")
    func pairKernelsAgree() throws {
        let vectors = makeData(.clustered, n: 40, d: 67, seed: 8)
        for storage in VectorStorage.allCases {
            let graph = Graph(dimension: 67, metric: .l2, storage: storage, m: 4, capacity: 40, upperCapacity: 16)
            for (i, v) in vectors.enumerated() {
                graph.prepareSlot(UInt32(i), id: Int64(i), level: 0)
                v.withUnsafeBufferPointer { graph.storeVector(UInt32(i), from: $0.baseAddress!, storage: storage) }
            }
            let stored = (0..<40).map { graph.floatVector(UInt32($0)) }
            for metric in [VectorMetric.innerProduct, .l2] {
                for level in 0...HNSWIndex.bestKernelLevel {
                    let kernels = Kernels(metric: metric, storage: storage, level: level)
                    for (a, b) in [(0, 1), (2, 39), (17, 18), (5, 5)] {
                        let x = stored[a]
                        let y = stored[b]
                        let expected =
                            metric == .l2
                            ? zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                            : -zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
                        let got = graph.distance(kernels, UInt32(a), UInt32(b))
                        #expect(abs(got - expected) <= 1e-3 * max(1, abs(expected)), "\(storage) \(metric) level \(level)")
                    }
                }
            }
        }
    }

    @Test("batch kernels match the single-vector kernel for every group size and tail", arguments: [1, 7, 16, 67, 384])
    func batchKernelsAgree(dimension: Int) throws {
        let count = 37  // groups of 16 (AVX-512) or 8, then of 4, then single vectors
        let vectors = makeData(.random, n: count, d: dimension, seed: 21)
        let query = makeData(.random, n: 1, d: dimension, seed: 22)[0]
        for storage in VectorStorage.allCases {
            let graph = Graph(dimension: dimension, metric: .l2, storage: storage, m: 4, capacity: count, upperCapacity: 16)
            for (i, v) in vectors.enumerated() {
                graph.prepareSlot(UInt32(i), id: Int64(i), level: 0)
                v.withUnsafeBufferPointer { graph.storeVector(UInt32(i), from: $0.baseAddress!, storage: storage) }
            }
            let context = SearchContext(dimension: dimension, maxM0: 8)
            for metric in [VectorMetric.innerProduct, .l2] {
                for level in 0...HNSWIndex.bestKernelLevel {
                    let kernels = Kernels(metric: metric, storage: storage, level: level)
                    try query.withUnsafeBufferPointer { q in
                        let q = try #require(q.baseAddress)
                        // Every batch length, with the slots in a scrambled order.
                        for length in 0...count {
                            for j in 0..<length { context.gathered[j] = UInt32((j * 11) % count) }
                            graph.gatheredDistances(kernels, context, q, count: length)
                            for j in 0..<length {
                                let expected = graph.distance(kernels, q, context.gathered[j])
                                let got = context.gatheredDistances[j]
                                #expect(
                                    abs(got - expected) <= 1e-4 * max(1, abs(expected)),
                                    "\(storage) \(metric) level \(level) d=\(dimension) length \(length) item \(j)"
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("int8 storage: components within half a quantization step, zero vectors stay zero")
    func int8Quantization() throws {
        let data = makeData(.random, n: 50, d: 45, seed: 12)
        let index = try HNSWIndex(dimension: 45, metric: .l2, storage: .int8)
        try index.addBatch(items(data), threads: 1)
        for (i, v) in data.enumerated() {
            let back = try #require(index.vector(id: Int64(i)))
            let step = v.map(abs).max()! / 127
            #expect(zip(v, back).allSatisfy { abs($0 - $1) <= step / 2 + 1e-6 }, "vector \(i)")
        }
        try index.add(id: 100, vector: [Float](repeating: 0, count: 45))
        #expect(index.vector(id: 100) == [Float](repeating: 0, count: 45))
        let hits = try index.search([Float](repeating: 0, count: 45), k: 3)
        #expect(hits.first?.id == 100 && hits.allSatisfy { $0.score.isFinite })
    }

    @Test("scores: cosine in [-1, 1], L2 is the negated squared distance")
    func scores() throws {
        let cosine = try HNSWIndex(dimension: 3, metric: .cosine)
        try cosine.add(id: 1, vector: [2, 0, 0])
        try cosine.add(id: 2, vector: [0, 3, 0])
        let hits = try cosine.search([1, 0, 0], k: 2)
        #expect(hits.map(\.id) == [1, 2])
        #expect(abs(hits[0].score - 1) < 1e-6 && abs(hits[1].score) < 1e-6)
        let l2 = try HNSWIndex(dimension: 2, metric: .l2, storage: .float16)
        try l2.add(id: 9, vector: [1, 1])
        #expect(try l2.search([4, 5], k: 1) == [VectorSearchResult(id: 9, score: -25)])
    }

    @Test("edge cases: empty index, wrong dimension, replace")
    func edgeCases() throws {
        let index = try HNSWIndex(dimension: 4)
        #expect(try index.search([1, 2, 3, 4], k: 5).isEmpty)
        #expect(throws: VectorIndexError.dimensionMismatch(expected: 4, got: 3)) { try index.search([1, 2, 3], k: 1) }
        #expect(throws: VectorIndexError.self) { try index.add(id: 1, vector: [1]) }
        try index.add(id: 1, vector: [1, 0, 0, 0])
        try index.add(id: 1, vector: [0, 1, 0, 0])
        #expect(index.count == 1)
        #expect(try index.search([0, 1, 0, 0], k: 3).map(\.id) == [1])
        #expect(index.vector(id: 1) == [0, 1, 0, 0])
        #expect(index.remove(id: 1))
        #expect(!index.remove(id: 1))
        #expect(try index.search([0, 1, 0, 0], k: 3).isEmpty)
    }
}

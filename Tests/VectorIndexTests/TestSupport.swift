import Foundation
import Testing

@testable import VectorIndex

/// Deterministic data for the tests.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func gaussian() -> Float {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
}

enum DataKind: String, CaseIterable, Sendable { case random, clustered }

/// `n` vectors of dimension `d`: uniform in [-1, 1], or a mixture of 24 Gaussian clusters.
func makeData(_ kind: DataKind, n: Int, d: Int, seed: UInt64) -> [[Float]] {
    var rng = TestRNG(seed)
    switch kind {
    case .random:
        return (0..<n).map { _ in (0..<d).map { _ in Float.random(in: -1...1, using: &rng) } }
    case .clustered:
        let centers = (0..<24).map { _ in (0..<d).map { _ in rng.gaussian() * 2 } }
        return (0..<n).map { _ in
            let c = centers[Int.random(in: 0..<centers.count, using: &rng)]
            return c.map { $0 + rng.gaussian() * 0.6 }
        }
    }
}

func normalized(_ v: [Float]) -> [Float] {
    let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return s > 0 ? v.map { $0 / s } : v
}

/// Exact top-k ids by the metric, in Float32 over the original vectors (independent of the index's code).
func groundTruth(_ data: [(id: Int64, vector: [Float])], _ query: [Float], k: Int, metric: VectorMetric) -> [Int64] {
    let q = metric == .cosine ? normalized(query) : query
    var scored = data.map { item -> (Int64, Float) in
        let v = item.vector
        switch metric {
        case .cosine, .innerProduct:
            return (item.id, zip(q, v).reduce(0) { $0 + $1.0 * $1.1 })
        case .l2:
            return (item.id, -zip(q, v).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        }
    }
    scored.sort { $0.1 > $1.1 }
    return scored.prefix(k).map(\.0)
}

/// Mean recall@k of the index's search against `groundTruth` (which expects unit vectors for cosine).
func recall(
    _ index: HNSWIndex,
    _ data: [(id: Int64, vector: [Float])],
    queries: [[Float]],
    k: Int = 10,
    ef: Int,
    metric: VectorMetric,
    filter: Set<Int64>? = nil
) throws -> Double {
    var pool = filter.map { f in data.filter { f.contains($0.id) } } ?? data
    if metric == .cosine { pool = pool.map { ($0.id, normalized($0.vector)) } }
    var hits = 0
    var total = 0
    for q in queries {
        let truth = Set(groundTruth(pool, q, k: k, metric: metric))
        let found = try index.search(q, k: k, ef: ef, filter: filter)
        if let filter { #expect(found.allSatisfy { filter.contains($0.id) }) }
        hits += found.filter { truth.contains($0.id) }.count
        total += truth.count
    }
    return total == 0 ? 1 : Double(hits) / Double(total)
}

func items(_ vectors: [[Float]], firstID: Int64 = 0) -> [(id: Int64, vector: [Float])] {
    vectors.enumerated().map { (firstID + Int64($0.offset), $0.element) }
}

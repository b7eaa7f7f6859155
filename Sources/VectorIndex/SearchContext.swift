#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch memory for one search or one insertion: the epoch-stamped visited array, the two heaps, and small
/// buffers. Contexts are pooled by the index and used by one thread at a time, so no search allocates per node.
///
/// `@unchecked Sendable`: a context is only ever touched by the thread that checked it out of the pool (the pool's
/// mutex hands it over), never by two threads at once.
final class SearchContext: @unchecked Sendable {
    private(set) var visited: UnsafeMutablePointer<UInt16>
    private(set) var visitedCapacity: Int
    private(set) var epoch: UInt16 = 0
    /// Min-heap of candidates (bounded by the number of slots: each slot is pushed at most once per search).
    private(set) var candidates: UnsafeMutablePointer<UInt64>
    /// Max-heap of results (at most `ef + 1`).
    private(set) var results: UnsafeMutablePointer<UInt64>
    private(set) var resultsCapacity: Int
    /// Results in ascending distance, drained from ``results``.
    private(set) var sorted: UnsafeMutablePointer<UInt64>
    /// Slots gathered for one batch of distances (a node's unvisited neighbours, or a block of an exact scan), with
    /// their vectors' addresses, their scales (int8) and, after ``Graph/gatheredDistances(_:_:_:count:)``, their
    /// distances. Holds ``gatherCapacity`` entries.
    let gathered: UnsafeMutablePointer<UInt32>
    let gatheredVectors: UnsafeMutablePointer<UnsafeRawPointer?>
    let gatheredScales: UnsafeMutablePointer<Float>
    let gatheredDistances: UnsafeMutablePointer<Float>
    let gatherCapacity: Int
    /// Candidate keys while re-selecting a neighbour's list.
    let linkKeys: UnsafeMutablePointer<UInt64>
    /// Selected neighbours.
    let selected: UnsafeMutablePointer<UInt32>
    /// An insert's selection per level (32 levels × (count, up to M ids)), kept until the node is published.
    let levelSelections: UnsafeMutablePointer<UInt32>
    /// The (normalized) Float32 query.
    let query: UnsafeMutablePointer<Float>
    /// A Float32 copy of a stored vector (compaction of Float16 indexes).
    let convert: UnsafeMutablePointer<Float>
    /// How many keys ``results`` holds after a layer search.
    var resultCount = 0

    init(dimension: Int, maxM0: Int) {
        visitedCapacity = 0
        visited = .allocate(capacity: 1)
        candidates = .allocate(capacity: 1)
        resultsCapacity = 0
        results = .allocate(capacity: 1)
        sorted = .allocate(capacity: 1)
        gatherCapacity = max(maxM0 + 2, 64)
        gathered = .allocate(capacity: gatherCapacity)
        gatheredVectors = .allocate(capacity: gatherCapacity)
        gatheredScales = .allocate(capacity: gatherCapacity)
        gatheredDistances = .allocate(capacity: gatherCapacity)
        linkKeys = .allocate(capacity: maxM0 + 2)
        selected = .allocate(capacity: maxM0 + 2)
        levelSelections = .allocate(capacity: 32 * (maxM0 / 2 + 1))
        query = .allocate(capacity: max(dimension, 1) + 16)
        convert = .allocate(capacity: max(dimension, 1) + 16)
    }

    deinit {
        visited.deallocate()
        candidates.deallocate()
        results.deallocate()
        sorted.deallocate()
        gathered.deallocate()
        gatheredVectors.deallocate()
        gatheredScales.deallocate()
        gatheredDistances.deallocate()
        linkKeys.deallocate()
        selected.deallocate()
        levelSelections.deallocate()
        query.deallocate()
        convert.deallocate()
    }

    /// Makes room for a graph of `capacity` slots and a beam of width `ef`.
    func prepare(capacity: Int, ef: Int) {
        if visitedCapacity < capacity {
            visited.deallocate()
            candidates.deallocate()
            let n = max(capacity, 1024)
            visited = .allocate(capacity: n)
            visited.initialize(repeating: 0, count: n)
            candidates = .allocate(capacity: n + 1)
            visitedCapacity = n
            epoch = 0
        }
        if resultsCapacity < ef + 2 {
            results.deallocate()
            sorted.deallocate()
            resultsCapacity = max(ef + 2, 64)
            results = .allocate(capacity: resultsCapacity)
            sorted = .allocate(capacity: resultsCapacity)
        }
    }

    /// Starts a new traversal: every slot counts as unvisited again.
    @inline(__always)
    func nextEpoch() -> UInt16 {
        epoch &+= 1
        if epoch == 0 {
            visited.update(repeating: 0, count: visitedCapacity)
            epoch = 1
        }
        return epoch
    }

    /// Drains ``results`` into ``sorted`` in ascending distance; returns the count.
    func drainSorted() -> Int {
        var heap = KeyHeap(storage: results, max: true)
        heap.count = resultCount
        let n = resultCount
        var i = n
        while heap.count > 0 {
            i -= 1
            sorted[i] = heap.pop()
        }
        resultCount = 0
        return n
    }
}

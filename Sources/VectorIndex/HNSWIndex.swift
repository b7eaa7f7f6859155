#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-process approximate nearest-neighbour index (HNSW) over vectors keyed by `Int64` ids.
///
/// - Vectors live in one contiguous, cache-line aligned buffer, as Float32, Float16 or int8 (``VectorStorage``); distances
///   use SIMD kernels chosen at run time (AVX-512 or AVX2/FMA/F16C where the CPU has them, a portable SIMD path
///   otherwise).
/// - Any number of threads may search while one writer adds or removes; searches never see a half-linked node.
///   Mutating calls are serialized by an internal writer lock; ``addBatch(_:threads:)`` inserts on several threads.
/// - Removal tombstones a vector (it is still traversed, never returned); ``compact()`` rebuilds without tombstones
///   and runs by itself when more than ``autoCompactFraction`` of the slots are tombstones.
/// - ``save(to:lastSequence:modelIdentity:)`` writes an atomic, checksummed snapshot; ``load(from:)`` maps it back.
///
/// `@unchecked Sendable`: all mutable state sits behind mutexes (`shared`: the current graph and the id map;
/// `writer`: the single-writer section and its random generator; `pool`: scratch contexts), and the graph itself
/// follows the single-writer / atomic-publication protocol documented on `Graph`.
public final class HNSWIndex: @unchecked Sendable {
    /// Components per vector.
    public let dimension: Int
    /// How closeness is measured.
    public let metric: VectorMetric
    /// How vectors are stored.
    public let storage: VectorStorage
    /// Neighbours per node on the upper levels (level 0 keeps up to `2 · m`).
    public let m: Int
    /// Beam width while inserting.
    public let efConstruction: Int
    /// Beam width of a search when the caller gives none.
    public let defaultEfSearch: Int
    /// Filtered searches whose allowed set is smaller than this fraction of the live vectors use exact search.
    public let exactFilterFraction: Double
    /// Filtered searches whose allowed set has at most this many ids always use exact search.
    public let exactFilterMinimum: Int
    /// When tombstones exceed this fraction of all slots, a removal compacts the index.
    public let autoCompactFraction: Double

    let kernels: Kernels
    /// Kernels the graph is built with: the search metric, except for raw inner product, whose graph is built on
    /// Euclidean neighbourhoods (inner product is not a metric; an inner-product graph strands whole clusters).
    let buildKernels: Kernels
    private let levelMultiplier: Double

    struct Shared {
        var graph: Graph
        var idToSlot: [Int64: UInt32]
        var deletedCount: Int
    }

    struct WriterState {
        var rng: SplitMix64
        /// Nodes ``relinkOrphans(_:slots:)`` linked again since the index was made (diagnostics for tests).
        var relinked = 0
    }

    private let shared: Locked<Shared>
    private let writer: Locked<WriterState>
    private let pool = Locked<[SearchContext]>([])

    /// Creates an empty index.
    ///
    /// - Parameters:
    ///   - dimension: components per vector (1…65536).
    ///   - metric: cosine (vectors normalized on the way in), inner product, or L2.
    ///   - storage: Float32; Float16 for half the memory; int8 (per-vector scale) for about a quarter.
    ///   - m: neighbours per node (2…128; 16 is the usual choice).
    ///   - efConstruction: beam width while inserting (≥ m; 200 builds a good graph).
    ///   - efSearch: default beam width of ``search(_:k:ef:filter:)``.
    ///   - initialCapacity: slots to reserve; the index grows by doubling beyond it.
    ///   - exactFilterFraction: see ``exactFilterFraction``.
    ///   - exactFilterMinimum: see ``exactFilterMinimum``.
    ///   - autoCompactFraction: see ``autoCompactFraction``.
    ///   - seed: seed of the level generator (the same inserts in the same order give the same graph on one thread).
    ///   - kernelLevel: force a kernel level (0 portable, 1 AVX2, 2 AVX-512; clamped to what the CPU has); `nil` picks
    ///     the best the CPU supports.
    public init(
        dimension: Int,
        metric: VectorMetric = .cosine,
        storage: VectorStorage = .float32,
        m: Int = 16,
        efConstruction: Int = 200,
        efSearch: Int = 64,
        initialCapacity: Int = 1024,
        exactFilterFraction: Double = 0.1,
        exactFilterMinimum: Int = 2048,
        autoCompactFraction: Double = 0.5,
        seed: UInt64 = 0x5EED_1DE5,
        kernelLevel: Int? = nil
    ) throws(VectorIndexError) {
        guard (1...65536).contains(dimension) else { throw .invalidParameter("dimension \(dimension) not in 1...65536") }
        guard (2...128).contains(m) else { throw .invalidParameter("m \(m) not in 2...128") }
        guard efConstruction >= 1, efSearch >= 1 else { throw .invalidParameter("ef values must be positive") }
        self.dimension = dimension
        self.metric = metric
        self.storage = storage
        self.m = m
        self.efConstruction = max(efConstruction, m)
        self.defaultEfSearch = efSearch
        self.exactFilterFraction = exactFilterFraction
        self.exactFilterMinimum = exactFilterMinimum
        self.autoCompactFraction = autoCompactFraction
        self.kernels = Kernels(metric: metric, storage: storage, level: kernelLevel ?? -1)
        self.buildKernels = Kernels(metric: metric == .innerProduct ? .l2 : metric, storage: storage, level: kernelLevel ?? -1)
        self.levelMultiplier = 1 / log(Double(m))
        let capacity = max(initialCapacity, 16)
        let graph = Graph(
            dimension: dimension,
            metric: metric,
            storage: storage,
            m: m,
            capacity: capacity,
            upperCapacity: HNSWIndex.upperEstimate(capacity: capacity, m: m)
        )
        shared = Locked(Shared(graph: graph, idToSlot: [:], deletedCount: 0))
        writer = Locked(WriterState(rng: SplitMix64(seed: seed)))
    }

    /// An index around a graph loaded from a snapshot.
    init(loaded graph: Graph, efConstruction: Int, idToSlot: [Int64: UInt32], deletedCount: Int, settings: LoadSettings) {
        dimension = graph.dimension
        metric = graph.metric
        storage = graph.storage
        m = graph.maxM
        self.efConstruction = efConstruction
        defaultEfSearch = settings.efSearch
        exactFilterFraction = settings.exactFilterFraction
        exactFilterMinimum = settings.exactFilterMinimum
        autoCompactFraction = settings.autoCompactFraction
        kernels = Kernels(metric: graph.metric, storage: graph.storage)
        buildKernels = Kernels(metric: graph.metric == .innerProduct ? .l2 : graph.metric, storage: graph.storage)
        levelMultiplier = 1 / log(Double(graph.maxM))
        shared = Locked(Shared(graph: graph, idToSlot: idToSlot, deletedCount: deletedCount))
        writer = Locked(WriterState(rng: SplitMix64(seed: 0x5EED_1DE5 &+ UInt64(graph.slotCount))))
    }

    private static func upperEstimate(capacity: Int, m: Int) -> Int {
        // Expected upper levels per node: 1 / (m − 1); leave generous slack.
        capacity * (m + 1) * 2 / max(m - 1, 1) + 16 * (m + 1)
    }

    // MARK: Introspection

    /// Number of live (searchable) vectors.
    public var count: Int { shared.withLock { $0.idToSlot.count } }

    /// Number of tombstoned slots awaiting compaction.
    public var deletedCount: Int { shared.withLock { $0.deletedCount } }

    /// Whether `id` is in the index.
    public func contains(id: Int64) -> Bool { shared.withLock { $0.idToSlot[id] != nil } }

    /// Kernel level in use: 0 portable SIMD, 1 AVX2+FMA+F16C, 2 AVX-512.
    public var kernelLevel: Int { kernels.level }

    /// The best kernel level this CPU supports.
    public static var bestKernelLevel: Int { Kernels.bestLevel }

    /// Bytes held by the index's arrays (vectors, links, ids, flags), excluding scratch memory.
    public var memoryFootprint: Int {
        let g = shared.withLock { $0.graph }
        let slots = g.capacity
        return slots * (g.vectorStride + 4 + (g.maxM0 + 1) * 4 + 4 + 1 + 8 + 1 + 1) + g.upperCapacity * 4
    }

    /// A copy of the stored vector of `id` (Float32; normalized for cosine), or `nil`.
    public func vector(id: Int64) -> [Float]? {
        let found: (Graph, UInt32)? = shared.withLock { s in s.idToSlot[id].map { (s.graph, $0) } }
        guard let (graph, slot) = found else { return nil }
        return graph.floatVector(slot)
    }

    // MARK: Writing

    /// Adds a vector, replacing any vector stored under the same id.
    public func add(id: Int64, vector: [Float]) throws(VectorIndexError) {
        try addBatch([(id: id, vector: vector)], threads: 1)
    }

    /// Adds many vectors (replacing those whose ids exist), inserting on `threads` threads.
    /// Later duplicates of an id within `items` win.
    public func addBatch(_ items: [(id: Int64, vector: [Float])], threads: Int = 2) throws(VectorIndexError) {
        for item in items where item.vector.count != dimension {
            throw .dimensionMismatch(expected: dimension, got: item.vector.count)
        }
        if items.isEmpty { return }
        // Keep the last occurrence of each id.
        var lastIndex: [Int64: Int] = [:]
        lastIndex.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { lastIndex[item.id] = i }
        let unique: [Int] = lastIndex.count == items.count ? Array(items.indices) : items.indices.filter { lastIndex[items[$0].id] == $0 }

        writer.withLock { w in
            // Tombstone the vectors being replaced.
            shared.withLock { s in
                for i in unique {
                    if let old = s.idToSlot.removeValue(forKey: items[i].id) {
                        s.graph.markDeleted(old)
                        s.deletedCount += 1
                    }
                }
            }
            var levels = [Int]()
            levels.reserveCapacity(unique.count)
            var upperNeed = 0
            for _ in unique {
                let level = randomLevel(&w.rng)
                levels.append(level)
                upperNeed += level * (m + 1)
            }
            let graph = reserve(slots: unique.count, upper: upperNeed)
            let base = graph.slotCount
            for (j, i) in unique.enumerated() {
                graph.prepareSlot(UInt32(base + j), id: items[i].id, level: levels[j])
            }
            graph.setSlotCount(base + unique.count)
            let kernels = self.buildKernels
            let efConstruction = self.efConstruction
            let storage = self.storage
            let normalize = metric == .cosine
            let dimension = self.dimension
            let workers = parallelFor(count: unique.count, threads: threads) { j, context in
                let slot = UInt32(base + j)
                let item = items[unique[j]]
                item.vector.withUnsafeBufferPointer { src in
                    let q = context.convert
                    q.update(from: src.baseAddress!, count: dimension)
                    if normalize { normalizeInPlace(q, dimension) }
                    graph.storeVector(slot, from: q, storage: storage)
                    graph.insert(kernels, context, slot: slot, query: q, efConstruction: efConstruction)
                }
            }
            if workers > 1 { w.relinked += relinkOrphans(graph, slots: base..<(base + unique.count)) }
            shared.withLock { s in
                for (j, i) in unique.enumerated() { s.idToSlot[items[i].id] = UInt32(base + j) }
            }
        }
    }

    /// Removes the vector stored under `id`; returns whether there was one. The slot becomes a tombstone until the
    /// next compaction (automatic past ``autoCompactFraction``).
    @discardableResult
    public func remove(id: Int64) -> Bool {
        remove(ids: [id]) > 0
    }

    /// Removes the vectors stored under `ids` (unknown ids are ignored); returns how many were removed.
    @discardableResult
    public func remove(ids: some Sequence<Int64>) -> Int {
        writer.withLock { _ in
            let (removed, needsCompaction) = shared.withLock { s -> (Int, Bool) in
                var removed = 0
                for id in ids {
                    if let slot = s.idToSlot.removeValue(forKey: id) {
                        s.graph.markDeleted(slot)
                        s.deletedCount += 1
                        removed += 1
                    }
                }
                let slots = s.graph.slotCount
                return (removed, slots >= 64 && Double(s.deletedCount) > autoCompactFraction * Double(slots))
            }
            if needsCompaction { compactLocked(threads: 2) }
            return removed
        }
    }

    /// Rebuilds the graph from the live vectors only, dropping every tombstone and reusing their memory.
    /// Searches keep running on the old graph meanwhile.
    public func compact(threads: Int = 2) {
        writer.withLock { w in w.relinked += compactLocked(threads: threads) }
    }

    /// Returns how many nodes were linked again after a parallel rebuild.
    @discardableResult
    private func compactLocked(threads: Int) -> Int {
        let old = shared.withLock { $0.graph }
        let n = old.slotCount
        var live = [UInt32]()
        live.reserveCapacity(n)
        var upperNeed = 0
        for s in 0..<n where old.isLive(UInt32(s)) {
            live.append(UInt32(s))
            upperNeed += Int(old.levels[s]) * (m + 1)
        }
        let capacity = max(live.count + live.count / 4, 16)
        let graph = Graph(
            dimension: dimension,
            metric: metric,
            storage: storage,
            m: m,
            capacity: capacity,
            upperCapacity: max(upperNeed, HNSWIndex.upperEstimate(capacity: capacity, m: m))
        )
        for (j, s) in live.enumerated() {
            graph.prepareSlot(UInt32(j), id: old.ids[Int(s)], level: Int(old.levels[Int(s)]))
            memcpy(graph.vector(UInt32(j)), old.vector(s), old.vectorStride)
            graph.scales[j] = old.scales[Int(s)]
        }
        graph.setSlotCount(live.count)
        let kernels = self.buildKernels
        let efConstruction = self.efConstruction
        let workers = parallelFor(count: live.count, threads: threads) { j, context in
            let slot = UInt32(j)
            let q = graph.floatVector(slot, into: context.convert)
            graph.insert(kernels, context, slot: slot, query: q, efConstruction: efConstruction)
        }
        let relinked = workers > 1 ? relinkOrphans(graph, slots: 0..<live.count) : 0
        var idToSlot = [Int64: UInt32](minimumCapacity: live.count)
        for j in 0..<live.count { idToSlot[graph.ids[j]] = UInt32(j) }
        shared.withLock { s in
            s.graph = graph
            s.idToSlot = idToSlot
            s.deletedCount = 0
        }
        return relinked
    }

    /// The current graph with room for `slots` more slots and `upper` more arena entries (writer only).
    private func reserve(slots: Int, upper: Int) -> Graph {
        let graph = shared.withLock { $0.graph }
        let needSlots = graph.slotCount + slots
        let needUpper = graph.upperUsed + upper
        if needSlots <= graph.capacity && needUpper <= graph.upperCapacity { return graph }
        let capacity = max(needSlots, graph.capacity * 2)
        let grown = graph.grown(
            capacity: capacity,
            upperCapacity: max(needUpper, HNSWIndex.upperEstimate(capacity: capacity, m: m), graph.upperCapacity * 2)
        )
        shared.withLock { $0.graph = grown }
        return grown
    }

    private func randomLevel(_ rng: inout SplitMix64) -> Int {
        let u = max(rng.nextUnitDouble(), 1e-300)
        return min(Int(-log(u) * levelMultiplier), 31)
    }

    // MARK: Searching

    /// The `k` nearest live vectors to `query`, best first.
    ///
    /// - Parameters:
    ///   - ef: beam width (at least `k`); defaults to ``defaultEfSearch``.
    ///   - filter: when given, only these ids may be returned. Small sets (see ``exactFilterFraction`` and
    ///     ``exactFilterMinimum``) are searched exactly; larger ones by a filtered graph search.
    /// - Returns: ids with their scores (cosine, inner product, or negated squared L2 distance).
    public func search(
        _ query: [Float],
        k: Int,
        ef: Int? = nil,
        filter: Set<Int64>? = nil
    ) throws(VectorIndexError)
        -> [VectorSearchResult]
    {
        guard query.count == dimension else { throw .dimensionMismatch(expected: dimension, got: query.count) }
        if k <= 0 { return [] }
        let beam = max(ef ?? defaultEfSearch, k)
        let (graph, deleted, exactSlots): (Graph, Int, [UInt32]?) = shared.withLock { s in
            guard let filter else { return (s.graph, s.deletedCount, nil) }
            let live = s.idToSlot.count
            if filter.count <= exactFilterMinimum || Double(filter.count) < exactFilterFraction * Double(live) {
                var slots = [UInt32]()
                slots.reserveCapacity(min(filter.count, live))
                for id in filter { if let slot = s.idToSlot[id] { slots.append(slot) } }
                return (s.graph, s.deletedCount, slots)
            }
            return (s.graph, s.deletedCount, nil)
        }
        return withContext(graph: graph, ef: beam) { context in
            let q = prepareQuery(query, into: context.query)
            if let exactSlots {
                graph.exactScan(kernels, context, q, k: k, slots: exactSlots, filter: LiveFilter())
            } else if let filter {
                graphSearch(graph, context, q, ef: beam, filter: IDSetFilter(allowed: filter), restricted: true)
            } else {
                if deleted > 0 {
                    graphSearch(graph, context, q, ef: beam, filter: LiveFilter(), restricted: true)
                } else {
                    // No tombstones: every reachable slot is live, so the per-result flag load (a cache miss on
                    // a large index) is skipped, as hnswlib's bare-bone search does.
                    graphSearch(graph, context, q, ef: beam, filter: PresentFilter(), restricted: false)
                }
            }
            return collect(graph, context, k: k)
        }
    }

    /// The exact `k` nearest live vectors (brute force), optionally restricted to `filter`: the ground truth for
    /// tests and the right method for small collections.
    public func exactSearch(_ query: [Float], k: Int, filter: Set<Int64>? = nil) throws(VectorIndexError) -> [VectorSearchResult] {
        guard query.count == dimension else { throw .dimensionMismatch(expected: dimension, got: query.count) }
        if k <= 0 { return [] }
        let (graph, slots): (Graph, [UInt32]?) = shared.withLock { s in
            guard let filter else { return (s.graph, nil) }
            return (s.graph, filter.compactMap { s.idToSlot[$0] })
        }
        return withContext(graph: graph, ef: k) { context in
            let q = prepareQuery(query, into: context.query)
            graph.exactScan(kernels, context, q, k: k, slots: slots, filter: LiveFilter())
            return collect(graph, context, k: k)
        }
    }

    private func graphSearch<F: SlotFilter>(
        _ graph: Graph,
        _ context: SearchContext,
        _ q: UnsafePointer<Float>,
        ef: Int,
        filter: F,
        restricted: Bool
    ) {
        guard let entry = graph.entry else {
            context.resultCount = 0
            return
        }
        let start = graph.distance(kernels, q, entry.slot)
        let (slot, distance) = graph.greedyDescent(
            kernels,
            context,
            q,
            start: entry.slot,
            startDistance: start,
            fromLevel: entry.level,
            toLevel: 1
        )
        graph.searchLayer(
            kernels,
            context,
            q,
            entry: slot,
            entryDistance: distance,
            ef: ef,
            level: 0,
            filter: filter,
            restricted: restricted
        )
    }

    private func collect(_ graph: Graph, _ context: SearchContext, k: Int) -> [VectorSearchResult] {
        let n = context.drainSorted()
        let take = min(n, k)
        var out = [VectorSearchResult]()
        out.reserveCapacity(take)
        for i in 0..<take {
            let key = context.sorted[i]
            out.append(VectorSearchResult(id: graph.ids[Int(keySlot(key))], score: -keyDistance(key)))
        }
        return out
    }

    private func prepareQuery(_ query: [Float], into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        query.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: dimension) }
        if metric == .cosine { normalizeInPlace(buffer, dimension) }
        return UnsafePointer(buffer)
    }

    private func withContext<R>(graph: Graph, ef: Int, _ body: (SearchContext) -> R) -> R {
        let context = pool.withLock { $0.popLast() } ?? SearchContext(dimension: dimension, maxM0: 2 * m)
        context.prepare(capacity: graph.capacity, ef: ef)
        let result = body(context)
        pool.withLock { $0.append(context) }
        return result
    }

    /// After a parallel insert of `slots`: links again, on this thread alone, every new node that none of its own
    /// level-0 neighbours points back to (writer only).
    ///
    /// Two nodes inserted at the same time do not see each other. When both link into the same full list, the
    /// neighbour-selection heuristic may drop the first in favour of the second, assuming the second reaches the
    /// first, which only holds in a serial build; the first can then be left with no incoming link at all. Such
    /// nodes are rare (about one in 10,000 on small clustered sets) and cheap to find from their own lists.
    /// Two such orphans can also point only at each other: a walk from the entry point then finds neither, though
    /// each has a backlink. So a walk follows, and whatever of the batch it does not reach is linked again (twice at
    /// most; a loaded 2-core machine interleaving the two inserters left two such nodes in 40 small builds).
    /// Returns how many it linked again.
    private func relinkOrphans(_ graph: Graph, slots: Range<Int>) -> Int {
        let kernels = buildKernels
        return withContext(graph: graph, ef: efConstruction) { context in
            var relinked = 0
            func relink(_ slot: UInt32) {
                let q = graph.floatVector(slot, into: context.convert)
                graph.relink(kernels, context, slot: slot, query: q, efConstruction: efConstruction)
                relinked += 1
            }
            for s in slots where !graph.hasBacklink(UInt32(s)) { relink(UInt32(s)) }
            for _ in 0..<2 {
                let unreachable = graph.unreachableSlotsAtLevelZero().filter { slots.contains(Int($0)) }
                if unreachable.isEmpty { break }
                unreachable.forEach(relink)
            }
            return relinked
        }
    }

    /// Runs `body(index, context)` for `0 ..< count` on up to `threads` threads, each with its own pooled context;
    /// returns how many threads ran.
    @discardableResult
    private func parallelFor(count: Int, threads: Int, _ body: @escaping @Sendable (Int, SearchContext) -> Void) -> Int {
        let workers = max(1, min(threads, count / 64 + 1))
        let next = Counter()
        runThreads(workers) { [self] in
            let context = pool.withLock { $0.popLast() } ?? SearchContext(dimension: dimension, maxM0: 2 * m)
            while true {
                let i = next.increment()
                if i >= count { break }
                body(i, context)
            }
            pool.withLock { $0.append(context) }
        }
        return workers
    }

    /// Nodes linked again after parallel inserts since the index was made (diagnostics for tests).
    var relinkedCount: Int { writer.withLock { $0.relinked } }

    /// Live or tombstoned vectors a search cannot reach from the entry point (diagnostics for tests).
    func unreachableCount() -> Int {
        writer.withLock { _ in shared.withLock { $0.graph }.unreachableAtLevelZero() }
    }

    // MARK: Snapshot access for persistence

    /// The current graph, id map and tombstone count, read under the writer lock (no insert runs meanwhile).
    func withStableSnapshot<R>(_ body: (Graph, Int) throws(VectorIndexError) -> R) throws(VectorIndexError) -> R {
        try writer.withLock { _ throws(VectorIndexError) -> R in
            let (graph, live) = shared.withLock { ($0.graph, $0.idToSlot.count) }
            return try body(graph, live)
        }
    }
}

/// Run-time settings given to ``HNSWIndex/load(from:efSearch:exactFilterFraction:exactFilterMinimum:autoCompactFraction:)``.
struct LoadSettings {
    var efSearch: Int
    var exactFilterFraction: Double
    var exactFilterMinimum: Int
    var autoCompactFraction: Double
}

/// Scales `v` to unit length (zero vectors stay zero).
func normalizeInPlace(_ v: UnsafeMutablePointer<Float>, _ n: Int) {
    var sum: Float = 0
    for i in 0..<n { sum += v[i] * v[i] }
    guard sum > 0 else { return }
    let scale = 1 / sum.squareRoot()
    for i in 0..<n { v[i] *= scale }
}

extension Graph {
    /// Marks a slot deleted (still traversed, never returned).
    func markDeleted(_ slot: UInt32) {
        storeRelease(flags + Int(slot), SlotFlag.present | SlotFlag.deleted)
    }

    /// Writes a Float32 vector into `slot` in the graph's storage type.
    func storeVector(_ slot: UInt32, from source: UnsafePointer<Float>, storage: VectorStorage) {
        let destination = vector(slot)
        switch storage {
        case .float32: destination.copyMemory(from: source, byteCount: dimension * 4)
        case .float16: VectorConversion.toFloat16(source, destination.assumingMemoryBound(to: UInt16.self), dimension)
        case .int8: scales[Int(slot)] = VectorConversion.toInt8(source, destination.assumingMemoryBound(to: Int8.self), dimension)
        }
    }

    /// The stored vector of `slot` as Float32, in `buffer` (or in place for Float32 storage).
    func floatVector(_ slot: UInt32, into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        switch storage {
        case .float32:
            return UnsafePointer(vector(slot).assumingMemoryBound(to: Float.self))
        case .float16:
            VectorConversion.fromFloat16(vector(slot).assumingMemoryBound(to: UInt16.self), buffer, dimension)
            return UnsafePointer(buffer)
        case .int8:
            VectorConversion.fromInt8(vector(slot).assumingMemoryBound(to: Int8.self), scales[Int(slot)], buffer, dimension)
            return UnsafePointer(buffer)
        }
    }

    /// The stored vector of `slot` as a Float32 array.
    func floatVector(_ slot: UInt32) -> [Float] {
        [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
            switch storage {
            case .float32:
                buffer.baseAddress!.update(from: vector(slot).assumingMemoryBound(to: Float.self), count: dimension)
            case .float16:
                VectorConversion.fromFloat16(vector(slot).assumingMemoryBound(to: UInt16.self), buffer.baseAddress!, dimension)
            case .int8:
                VectorConversion.fromInt8(vector(slot).assumingMemoryBound(to: Int8.self), scales[Int(slot)], buffer.baseAddress!, dimension)
            }
            initialized = dimension
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-slot state bits in ``Graph/flags``.
enum SlotFlag {
    /// The slot holds a fully written vector that is (being) linked into the graph.
    static let present: UInt8 = 1
    /// The slot's vector was removed: still traversed, never returned.
    static let deleted: UInt8 = 2
}

/// The index's memory: one contiguous aligned vector buffer, fixed-size level-0 neighbour slots, an arena for the
/// upper levels, and per-slot scales, ids, levels, flags and spin locks.
///
/// A `Graph` never changes size. Growing means building a bigger copy (``grown(capacity:upperCapacity:)``) and
/// swapping the index's reference; searches that still hold the old copy finish on it undisturbed.
///
/// Thread safety (why `@unchecked Sendable` is sound): every buffer pointer is immutable after `init`. Only one
/// writer (the index's writer lock, or the workers of one batch it runs) mutates contents. Neighbour lists are read
/// and written with acquire/release atomics (plain moves on x86-64), each node's lists are changed under that node's
/// spin lock, and a node becomes reachable only through a release-store of its id into another list (or into the
/// entry point), which happens after its vector, level, id and flags were written. A reader therefore sees either
/// an old or a new neighbour id, and every id it sees refers to a complete node.
final class Graph: @unchecked Sendable {
    let dimension: Int
    let metric: VectorMetric
    let storage: VectorStorage
    /// Maximum neighbours on levels ≥ 1.
    let maxM: Int
    /// Maximum neighbours on level 0 (2 · M).
    let maxM0: Int
    /// Bytes from one vector to the next (a multiple of 64).
    let vectorStride: Int
    /// Slots this graph can hold.
    let capacity: Int
    /// `UInt32`s the upper-level arena can hold.
    let upperCapacity: Int

    let vectors: UnsafeMutableRawPointer
    /// Per slot the vector's scale (int8 storage: component = code × scale; 1 for the other types).
    let scales: UnsafeMutablePointer<Float>
    /// `capacity × (maxM0 + 1)`: per slot a count then `maxM0` ids.
    let links0: UnsafeMutablePointer<UInt32>
    /// Per slot: where its level-1 list starts in ``upperLinks`` (levels ≥ 1 follow, `maxM + 1` apart).
    let upperOffsets: UnsafeMutablePointer<UInt32>
    let upperLinks: UnsafeMutablePointer<UInt32>
    let levels: UnsafeMutablePointer<UInt8>
    let ids: UnsafeMutablePointer<Int64>
    let flags: UnsafeMutablePointer<UInt8>
    let locks: UnsafeMutablePointer<UInt8>
    /// A spin lock held by an insert that raises the entry point's level, for its whole insert.
    let raiseLock: UnsafeMutablePointer<UInt8>
    /// Atomics: [0] slots in use, [1] entry point (`level << 32 | slot`, or ``noEntry``), [2] upper arena in use.
    let atomics: UnsafeMutablePointer<UInt64>

    /// The file mapping the arrays live in, when loaded from a snapshot (unmapped on `deinit`).
    private let mapping: (base: UnsafeMutableRawPointer, length: Int)?

    static let noEntry: UInt64 = UInt64(UInt32.max)

    /// Bytes per vector, rounded up to a cache line.
    static func stride(dimension: Int, storage: VectorStorage) -> Int {
        (dimension * storage.bytesPerComponent + 63) & ~63
    }

    /// A new, empty graph.
    init(dimension: Int, metric: VectorMetric, storage: VectorStorage, m: Int, capacity: Int, upperCapacity: Int) {
        self.dimension = dimension
        self.metric = metric
        self.storage = storage
        self.maxM = m
        self.maxM0 = 2 * m
        self.vectorStride = Graph.stride(dimension: dimension, storage: storage)
        self.capacity = max(capacity, 1)
        self.upperCapacity = max(upperCapacity, 1)
        let n = self.capacity
        vectors = Graph.allocate(n * vectorStride)
        scales = Graph.allocate(n * 4).bindMemory(to: Float.self, capacity: n)
        links0 = Graph.allocate(n * (maxM0 + 1) * 4).bindMemory(to: UInt32.self, capacity: n * (maxM0 + 1))
        upperOffsets = Graph.allocate(n * 4).bindMemory(to: UInt32.self, capacity: n)
        upperLinks = Graph.allocate(self.upperCapacity * 4).bindMemory(to: UInt32.self, capacity: self.upperCapacity)
        levels = Graph.allocate(n).bindMemory(to: UInt8.self, capacity: n)
        ids = Graph.allocate(n * 8).bindMemory(to: Int64.self, capacity: n)
        flags = Graph.allocate(n).bindMemory(to: UInt8.self, capacity: n)
        locks = Graph.allocate(n).bindMemory(to: UInt8.self, capacity: n)
        atomics = Graph.allocate(64).bindMemory(to: UInt64.self, capacity: 8)
        memset(flags, 0, n)
        memset(locks, 0, n)
        raiseLock = Graph.allocate(64).bindMemory(to: UInt8.self, capacity: 64)
        raiseLock.initialize(repeating: 0, count: 64)
        atomics.initialize(repeating: 0, count: 8)
        atomics[1] = Graph.noEntry
        mapping = nil
    }

    /// A graph whose arrays point into a mapped snapshot file (see `HNSWIndex+Persistence.swift`).
    init(
        mappedDimension dimension: Int,
        metric: VectorMetric,
        storage: VectorStorage,
        m: Int,
        slotCount: Int,
        upperUsed: Int,
        entry: UInt64,
        vectors: UnsafeMutableRawPointer,
        scales: UnsafeMutablePointer<Float>,
        links0: UnsafeMutablePointer<UInt32>,
        upperOffsets: UnsafeMutablePointer<UInt32>,
        upperLinks: UnsafeMutablePointer<UInt32>,
        levels: UnsafeMutablePointer<UInt8>,
        ids: UnsafeMutablePointer<Int64>,
        flags: UnsafeMutablePointer<UInt8>,
        mapping: (base: UnsafeMutableRawPointer, length: Int)
    ) {
        self.dimension = dimension
        self.metric = metric
        self.storage = storage
        self.maxM = m
        self.maxM0 = 2 * m
        self.vectorStride = Graph.stride(dimension: dimension, storage: storage)
        self.capacity = slotCount
        self.upperCapacity = upperUsed
        self.vectors = vectors
        self.scales = scales
        self.links0 = links0
        self.upperOffsets = upperOffsets
        self.upperLinks = upperLinks
        self.levels = levels
        self.ids = ids
        self.flags = flags
        self.mapping = mapping
        locks = Graph.allocate(max(slotCount, 1)).bindMemory(to: UInt8.self, capacity: max(slotCount, 1))
        memset(locks, 0, max(slotCount, 1))
        raiseLock = Graph.allocate(64).bindMemory(to: UInt8.self, capacity: 64)
        raiseLock.initialize(repeating: 0, count: 64)
        atomics = Graph.allocate(64).bindMemory(to: UInt64.self, capacity: 8)
        atomics.initialize(repeating: 0, count: 8)
        atomics[0] = UInt64(slotCount)
        atomics[1] = entry
        atomics[2] = UInt64(upperUsed)
    }

    deinit {
        if let mapping {
            munmap(mapping.base, mapping.length)
        } else {
            free(vectors)
            free(scales)
            free(links0)
            free(upperOffsets)
            free(upperLinks)
            free(levels)
            free(ids)
            free(flags)
        }
        free(locks)
        free(raiseLock)
        free(atomics)
    }

    /// 64-byte aligned memory (not zeroed: callers initialize what they read). Blocks of 2 MiB or more are 2 MiB
    /// aligned and advised to use transparent huge pages: the beam search touches vectors at random, and 4 KiB pages
    /// make nearly every distance a TLB miss. Untouched capacity still costs no resident memory.
    private static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        let hugePage = 2 << 20
        if bytes >= hugePage {
            let size = (bytes + hugePage - 1) & ~(hugePage - 1)
            guard posix_memalign(&raw, hugePage, size) == 0, let raw else { fatalError("VectorIndex: out of memory (\(size) bytes)") }
            #if os(Linux)
            _ = madvise(raw, size, Int32(MADV_HUGEPAGE))
            #endif
            return raw
        }
        let size = max((bytes + 63) & ~63, 64)
        guard posix_memalign(&raw, 64, size) == 0, let raw else { fatalError("VectorIndex: out of memory (\(size) bytes)") }
        return raw
    }

    // MARK: Atomics

    /// Slots in use (filled or being filled): `0 ..< slotCount` are valid ids for readers.
    var slotCount: Int {
        get { Int(loadAcquire(atomics)) }
    }

    func setSlotCount(_ value: Int) { storeRelease(atomics, UInt64(value)) }

    /// The entry point: `(slot, level)`, or `nil` when the graph is empty.
    var entry: (slot: UInt32, level: Int)? {
        let packed = loadAcquire(atomics + 1)
        if packed == Graph.noEntry { return nil }
        return (UInt32(truncatingIfNeeded: packed), Int(packed >> 32))
    }

    var packedEntry: UInt64 { loadAcquire(atomics + 1) }

    func setEntry(slot: UInt32, level: Int) { storeRelease(atomics + 1, UInt64(level) << 32 | UInt64(slot)) }

    func clearEntry() { storeRelease(atomics + 1, Graph.noEntry) }

    /// Upper-arena `UInt32`s in use.
    var upperUsed: Int { Int(loadAcquire(atomics + 2)) }

    func setUpperUsed(_ value: Int) { storeRelease(atomics + 2, UInt64(value)) }

    // MARK: Accessors

    @inline(__always)
    func vector(_ slot: UInt32) -> UnsafeMutableRawPointer { vectors + Int(slot) &* vectorStride }

    /// The neighbour list of `slot` on `level`: element 0 is the count, then the ids.
    @inline(__always)
    func list(_ slot: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        if level == 0 { return links0 + Int(slot) &* (maxM0 + 1) }
        return upperLinks + Int(upperOffsets[Int(slot)]) + (level - 1) * (maxM + 1)
    }

    @inline(__always)
    func isDeleted(_ slot: UInt32) -> Bool { loadAcquire(flags + Int(slot)) & SlotFlag.deleted != 0 }

    @inline(__always)
    func isLive(_ slot: UInt32) -> Bool { loadAcquire(flags + Int(slot)) == SlotFlag.present }

    @inline(__always)
    func lock(_ slot: UInt32) { spinLock(locks + Int(slot)) }

    @inline(__always)
    func unlock(_ slot: UInt32) { spinUnlock(locks + Int(slot)) }

    /// Prepares `slot` for insertion: level, empty lists, upper arena space. Writer only; the slot is not yet visible.
    func prepareSlot(_ slot: UInt32, id: Int64, level: Int) {
        let s = Int(slot)
        levels[s] = UInt8(level)
        ids[s] = id
        scales[s] = 1
        storeRelease(flags + s, 0)
        links0[s * (maxM0 + 1)] = 0
        if level > 0 {
            let start = upperUsed
            let need = level * (maxM + 1)
            precondition(start + need <= upperCapacity, "VectorIndex: upper arena overflow")
            upperOffsets[s] = UInt32(start)
            for l in 0..<level { upperLinks[start + l * (maxM + 1)] = 0 }
            setUpperUsed(start + need)
        } else {
            upperOffsets[s] = 0
        }
    }

    /// A copy with room for `capacity` slots and `upperCapacity` arena entries (the writer's slow path).
    func grown(capacity newCapacity: Int, upperCapacity newUpper: Int) -> Graph {
        let g = Graph(
            dimension: dimension,
            metric: metric,
            storage: storage,
            m: maxM,
            capacity: max(newCapacity, capacity),
            upperCapacity: max(newUpper, upperCapacity)
        )
        let n = slotCount
        let upper = upperUsed
        memcpy(g.vectors, vectors, n * vectorStride)
        memcpy(g.scales, scales, n * 4)
        memcpy(g.links0, links0, n * (maxM0 + 1) * 4)
        memcpy(g.upperOffsets, upperOffsets, n * 4)
        memcpy(g.upperLinks, upperLinks, upper * 4)
        memcpy(g.levels, levels, n)
        memcpy(g.ids, ids, n * 8)
        memcpy(g.flags, flags, n)
        g.atomics[0] = UInt64(n)
        g.atomics[1] = packedEntry
        g.atomics[2] = UInt64(upper)
        return g
    }
}

extension Graph {
    /// Present slots that a search cannot reach: not connected to the entry point through level-0 lists (graph
    /// diagnostics for tests; a correctly built graph has none). Single-threaded; call with no writer running.
    func unreachableAtLevelZero() -> Int {
        unreachableSlotsAtLevelZero().count
    }

    /// Present slots a level-0 walk from the entry point does not reach.
    func unreachableSlotsAtLevelZero() -> [UInt32] {
        let n = slotCount
        guard let entry else { return [] }
        var seen = [Bool](repeating: false, count: n)
        var stack = [entry.slot]
        seen[Int(entry.slot)] = true
        while let s = stack.popLast() {
            let list = self.list(s, level: 0)
            for j in 0..<Int(loadAcquire(list)) {
                let t = Int(loadAcquire(list + 1 + j))
                if !seen[t] {
                    seen[t] = true
                    stack.append(UInt32(t))
                }
            }
        }
        var missing: [UInt32] = []
        for s in 0..<n where !seen[s] && flags[s] & SlotFlag.present != 0 { missing.append(UInt32(s)) }
        return missing
    }
}

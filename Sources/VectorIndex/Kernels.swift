import CVectorKernels

/// The distance kernels an index uses, resolved once at construction from the runtime-dispatched C table.
///
/// Internally every metric is a *distance* (lower is closer): the negated inner product for cosine and inner product,
/// the squared Euclidean distance for L2. Public scores are the negated distances.
struct Kernels: @unchecked Sendable {
    typealias QueryKernel = @convention(c) (UnsafePointer<Float>?, UnsafeRawPointer?, Float, Int) -> Float
    typealias PairKernel = @convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Float, Float, Int) -> Float
    typealias BatchKernel =
        @convention(c) (
            UnsafePointer<Float>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?
        ) -> Void

    /// Float32 query against a stored vector (with the stored vector's scale; only int8 uses it).
    let query: QueryKernel
    /// Stored vector against stored vector (with both scales).
    let pair: PairKernel
    /// Float32 query against several stored vectors read in step (see `bvk_query_batch_fn`).
    let batch: BatchKernel
    /// `-1` for inner-product metrics (distance = −dot), `+1` for L2.
    let sign: Float
    /// 0 portable, 1 AVX2+FMA+F16C, 2 AVX-512.
    let level: Int
    /// Whether the kernels read the per-vector scales (int8); the other types skip that load.
    let scaled: Bool

    init(metric: VectorMetric, storage: VectorStorage, level requested: Int = -1) {
        let table = bvk_get_kernels(Int32(requested))!.pointee
        let dot = metric != .l2
        sign = dot ? -1 : 1
        level = Int(table.level)
        scaled = storage == .int8
        switch storage {
        case .float32:
            query = dot ? table.dot_f32! : table.l2sq_f32!
            pair = dot ? table.dot_f32_pair! : table.l2sq_f32_pair!
            batch = dot ? table.dot_f32_batch! : table.l2sq_f32_batch!
        case .float16:
            query = dot ? table.dot_f32_f16! : table.l2sq_f32_f16!
            pair = dot ? table.dot_f16! : table.l2sq_f16!
            batch = dot ? table.dot_f32_f16_batch! : table.l2sq_f32_f16_batch!
        case .int8:
            query = dot ? table.dot_f32_i8! : table.l2sq_f32_i8!
            pair = dot ? table.dot_i8! : table.l2sq_i8!
            batch = dot ? table.dot_f32_i8_batch! : table.l2sq_f32_i8_batch!
        }
    }

    /// The best kernel level this CPU supports (0 portable, 1 AVX2+FMA+F16C, 2 AVX-512).
    static var bestLevel: Int { Int(bvk_best_level()) }
}

/// Maps a float to a `UInt32` with the same order, so (distance, slot) pairs can be compared as one `UInt64`.
@inline(__always)
func orderedBits(_ x: Float) -> UInt32 {
    let b = x.bitPattern
    return (b & 0x8000_0000) != 0 ? ~b : b | 0x8000_0000
}

@inline(__always)
func floatFromOrderedBits(_ b: UInt32) -> Float {
    Float(bitPattern: (b & 0x8000_0000) != 0 ? b & 0x7fff_ffff : ~b)
}

/// A (distance, slot) pair packed so that integer order is distance order.
@inline(__always)
func packKey(_ distance: Float, _ slot: UInt32) -> UInt64 { UInt64(orderedBits(distance)) << 32 | UInt64(slot) }

@inline(__always)
func keySlot(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key) }

@inline(__always)
func keyDistance(_ key: UInt64) -> Float { floatFromOrderedBits(UInt32(truncatingIfNeeded: key >> 32)) }

/// A binary heap of packed keys over caller-owned storage; `max == true` keeps the largest key on top.
struct KeyHeap {
    let storage: UnsafeMutablePointer<UInt64>
    var count: Int = 0
    let isMax: Bool

    init(storage: UnsafeMutablePointer<UInt64>, max: Bool) {
        self.storage = storage
        self.isMax = max
    }

    @inline(__always)
    private func above(_ a: UInt64, _ b: UInt64) -> Bool { isMax ? a > b : a < b }

    @inline(__always)
    var top: UInt64 { storage[0] }

    @inline(__always)
    mutating func push(_ key: UInt64) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = storage[parent]
            if !above(key, p) { break }
            storage[i] = p
            i = parent
        }
        storage[i] = key
    }

    @inline(__always)
    @discardableResult
    mutating func pop() -> UInt64 {
        let result = storage[0]
        count -= 1
        if count > 0 {
            let last = storage[count]
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= count { break }
                if child + 1 < count && above(storage[child + 1], storage[child]) { child += 1 }
                if !above(storage[child], last) { break }
                storage[i] = storage[child]
                i = child
            }
            storage[i] = last
        }
        return result
    }
}

// MARK: - The C kernels' other entry points
//
// This file is the only one that imports CVectorKernels: the rest of the index calls these Swift functions, which the
// optimizer inlines into plain atomic instructions.

/// Acquire load of a neighbour count, a neighbour, or a level's packed entry (readers run beside writers).
@inline(__always) func loadAcquire(_ pointer: UnsafePointer<UInt32>) -> UInt32 { bvk_load_acquire_u32(pointer) }
@inline(__always) func loadAcquire(_ pointer: UnsafePointer<UInt64>) -> UInt64 { bvk_load_acquire_u64(pointer) }
@inline(__always) func loadAcquire(_ pointer: UnsafePointer<UInt8>) -> UInt8 { bvk_load_acquire_u8(pointer) }

/// Release store that publishes what was written before it to acquire loads.
@inline(__always) func storeRelease(_ pointer: UnsafeMutablePointer<UInt32>, _ value: UInt32) { bvk_store_release_u32(pointer, value) }
@inline(__always) func storeRelease(_ pointer: UnsafeMutablePointer<UInt64>, _ value: UInt64) { bvk_store_release_u64(pointer, value) }
@inline(__always) func storeRelease(_ pointer: UnsafeMutablePointer<UInt8>, _ value: UInt8) { bvk_store_release_u8(pointer, value) }

/// Replaces `expected` by `desired` if `pointer` still holds it; `true` when it did.
@inline(__always) func compareExchange(_ pointer: UnsafeMutablePointer<UInt64>, _ expected: UInt64, _ desired: UInt64) -> Bool {
    bvk_cas_u64(pointer, expected, desired) != 0
}

/// Takes the one-byte spin lock at `pointer`.
@inline(__always) func spinLock(_ pointer: UnsafeMutablePointer<UInt8>) { bvk_spin_lock(pointer) }
/// Releases the one-byte spin lock at `pointer`.
@inline(__always) func spinUnlock(_ pointer: UnsafeMutablePointer<UInt8>) { bvk_spin_unlock(pointer) }

/// Asks the CPU to fetch `lines` cache lines from `pointer` for reading.
@inline(__always) func prefetch(_ pointer: UnsafeRawPointer, _ lines: Int32) { bvk_prefetch(pointer, lines) }

/// The snapshot file's checksum over `count` bytes, chained through `seed` (xxHash64-style rounds).
@inline(__always) func checksum64(_ bytes: UnsafeRawPointer, _ count: Int, _ seed: UInt64) -> UInt64 { bvk_checksum64(bytes, count, seed) }

/// Element-type conversions of stored vectors, dispatched like the distance kernels.
enum VectorConversion {
    /// Float32 to Float16 bit patterns (round to nearest even).
    static func toFloat16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, _ count: Int) {
        bvk_f32_to_f16(source, destination, count)
    }
    /// Float16 bit patterns to Float32.
    static func fromFloat16(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        bvk_f16_to_f32(source, destination, count)
    }
    /// Float32 to int8 codes with one scale (max |x| / 127); returns the scale.
    static func toInt8(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Int8>, _ count: Int) -> Float {
        bvk_f32_to_i8(source, destination, count)
    }
    /// int8 codes to Float32 (code × scale).
    static func fromInt8(_ source: UnsafePointer<Int8>, _ scale: Float, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        bvk_i8_to_f32(source, scale, destination, count)
    }
}

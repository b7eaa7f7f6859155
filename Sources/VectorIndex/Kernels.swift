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

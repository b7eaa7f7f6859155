import CEmbeddingKernels

/// The only file that calls the C kernels; everything else works with Swift buffers.
enum Kernels {
    /// 0 = portable, 1 = AVX2+FMA, 2 = AVX-512 VNNI int8 GEMM (plus AVX2+FMA elsewhere).
    static var level: Int { Int(bek_active_isa()) }

    /// Name of the kernel implementation in use.
    static var activeISA: String {
        switch level {
        case 2: "avx512-vnni+avx2+fma"
        case 1: "avx2+fma"
        default: "portable"
        }
    }

    /// Caps the implementation level (`nil` = the best the CPU has).
    static func cap(_ level: Int?) { bek_force_isa(Int32(level ?? -1)) }

    static func q8WeightBytes(n: Int, k: Int) -> Int { bek_q8_weight_bytes(Int32(n), Int32(k)) }
    static func q8ScaleCount(n: Int, k: Int) -> Int { bek_q8_scale_count(Int32(n), Int32(k)) }

    static func q8Pack(_ q4: UnsafeRawPointer, n: Int, k: Int, into packed: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<Float>) {
        bek_q8_pack_q4_0(q4.assumingMemoryBound(to: UInt8.self), Int32(n), Int32(k), packed.assumingMemoryBound(to: UInt8.self), scales)
    }

    /// Quantized activations: int8 values, per-32-block scales and corrections.
    struct Q8Rows {
        let values: UnsafeMutableRawPointer
        let scales: UnsafeMutablePointer<Float>
        let corrections: UnsafeMutableRawPointer
    }

    static func q8Quantize(_ x: UnsafePointer<Float>, m: Int, k: Int, ldx: Int, into q: Q8Rows) {
        bek_q8_quantize_rows(
            x,
            Int32(m),
            Int32(k),
            Int32(ldx),
            q.values.assumingMemoryBound(to: Int8.self),
            q.scales,
            q.corrections.assumingMemoryBound(to: Int32.self)
        )
    }

    static func q8Gemm(
        _ q: Q8Rows,
        m: Int,
        k: Int,
        packed: UnsafeRawPointer,
        scales: UnsafePointer<Float>,
        n: Int,
        bias: UnsafePointer<Float>?,
        _ c: UnsafeMutablePointer<Float>,
        ldc: Int
    ) {
        bek_q8_gemm(
            q.values.assumingMemoryBound(to: Int8.self),
            q.scales,
            q.corrections.assumingMemoryBound(to: Int32.self),
            Int32(m),
            Int32(k),
            packed.assumingMemoryBound(to: UInt8.self),
            scales,
            Int32(n),
            bias,
            c,
            Int32(ldc)
        )
    }

    static func packedCount(n: Int, k: Int) -> Int { bek_packed_count(Int32(n), Int32(k)) }

    static func packNK(_ b: UnsafePointer<Float>, n: Int, k: Int, ldb: Int, into packed: UnsafeMutablePointer<Float>) {
        bek_pack_nk(b, Int32(n), Int32(k), Int32(ldb), packed)
    }

    static func packKN(_ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, into packed: UnsafeMutablePointer<Float>) {
        bek_pack_kn(b, Int32(k), Int32(n), Int32(ldb), packed)
    }

    static func dequantizeQ4(_ q: UnsafeRawPointer, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        bek_dequant_q4_0(q.assumingMemoryBound(to: UInt8.self), Int32(rows), Int32(cols), out)
    }

    /// c[m][n] = bias[n] + Σ_k a[m][k] · B[n][k], with B packed.
    static func gemm(
        _ a: UnsafePointer<Float>,
        lda: Int,
        m: Int,
        k: Int,
        packed: UnsafePointer<Float>,
        n: Int,
        bias: UnsafePointer<Float>?,
        _ c: UnsafeMutablePointer<Float>,
        ldc: Int
    ) {
        bek_gemm(a, Int32(lda), Int32(m), Int32(k), packed, Int32(n), bias, c, Int32(ldc))
    }

    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>,
        _ y: UnsafePointer<Float>?,
        weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>,
        rows: Int,
        cols: Int,
        eps: Float
    ) {
        bek_add_layernorm(x, y, weight, bias, Int32(rows), Int32(cols), eps)
    }

    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { bek_gelu(x, count) }

    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, scale: Float) {
        bek_softmax_rows(x, Int32(rows), Int32(cols), Int32(ld), scale)
    }

    static func erf(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in bek_erf(xb.baseAddress!, ob.baseAddress!, x.count) } }
        return out
    }
}

/// A 64-byte aligned, fixed-size float buffer that frees itself.
final class AlignedFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool = false) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

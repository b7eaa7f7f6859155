/// The post-LayerNorm BERT encoder of multilingual-e5-small with weights prepared for the GEMM kernels.
///
/// On x86-64 with AVX2, linear weights are widened from Q4_0 to u8 once at load (about 24 MB) and multiplied with
/// activations quantized to int8 per 32-block (AVX-512 VNNI or AVX2 kernels); elsewhere they are dequantized to
/// float panels (about 85 MB). The 4-bit word-embedding table stays memory-mapped and only the rows of tokens seen are read.
final class E5Encoder: Sendable {
    /// A linear layer's weight matrix in the form the chosen kernels read.
    enum Weights: Sendable {
        /// Dequantized float panels (AVX2/FMA or portable GEMM).
        case float(AlignedFloats)
        /// u8 VNNI panels with per-block scales (int8 GEMM).
        case int8(AlignedFloats, scales: AlignedFloats)
    }

    struct Layer: Sendable {
        let qkv: Weights, qkvBias: AlignedFloats  // fused Q, K, V: 1152 x 384
        let attnOut: Weights, attnOutBias: AlignedFloats
        let attnNormWeight: AlignedFloats, attnNormBias: AlignedFloats
        let ffnIn: Weights, ffnInBias: AlignedFloats
        let ffnOut: Weights, ffnOutBias: AlignedFloats
        let outNormWeight: AlignedFloats, outNormBias: AlignedFloats
    }

    /// Whether linear layers run on int8 (chosen at load: when the CPU has AVX2 or better; float on the portable path).
    let usesInt8: Bool

    let hidden = 384
    let heads = 12
    let headDim = 32
    let ffn = 1536
    let maxPositions: Int
    let eps: Float
    let layers: [Layer]
    private let file: MappedFile
    private let wordOffset: Int
    private let wordRowBytes: Int
    private let vocabRows: Int
    private let positions: AlignedFloats  // maxPositions x hidden, token type 0 added
    private let embNormWeight: AlignedFloats, embNormBias: AlignedFloats

    init(model: E5ModelFile, int8: Bool = Kernels.level >= 1) {
        let h = hidden
        let ff = ffn
        usesInt8 = int8
        file = model.file
        eps = model.header.eps
        maxPositions = model.header.maxPositions
        vocabRows = model.header.vocabRows
        wordOffset = model.tensors["emb.word"]!.offset
        wordRowBytes = h / 32 * 18
        let typeRow = model.floats("emb.type", count: h)
        var pos = model.floats("emb.pos", count: maxPositions * h)
        for p in 0..<maxPositions { for j in 0..<h { pos[p * h + j] += typeRow[j] } }
        positions = AlignedFloats(pos)
        embNormWeight = AlignedFloats(model.floats("emb.ln.w", count: h))
        embNormBias = AlignedFloats(model.floats("emb.ln.b", count: h))

        func packed(_ names: [String], rows: Int, cols: Int) -> Weights {
            let total = rows * names.count
            if int8 {
                // Q4_0 rows are contiguous per tensor, so stacked tensors are just consecutive rows.
                let q4 = AlignedFloats(count: (total * cols / 32 * 18 + 3) / 4)
                let raw = UnsafeMutableRawPointer(q4.pointer)
                for (i, name) in names.enumerated() {
                    raw.advanced(by: i * rows * cols / 32 * 18).copyMemory(from: model.bytes(name), byteCount: rows * cols / 32 * 18)
                }
                let packed = AlignedFloats(count: (Kernels.q8WeightBytes(n: total, k: cols) + 3) / 4)
                let scales = AlignedFloats(count: Kernels.q8ScaleCount(n: total, k: cols))
                Kernels.q8Pack(raw, n: total, k: cols, into: UnsafeMutableRawPointer(packed.pointer), scales: scales.pointer)
                return .int8(packed, scales: scales)
            }
            let dense = AlignedFloats(count: total * cols)
            for (i, name) in names.enumerated() {
                Kernels.dequantizeQ4(model.bytes(name), rows: rows, cols: cols, into: dense.pointer + i * rows * cols)
            }
            let out = AlignedFloats(count: Kernels.packedCount(n: total, k: cols))
            Kernels.packNK(dense.pointer, n: total, k: cols, ldb: cols, into: out.pointer)
            return .float(out)
        }
        func vector(_ names: [String], count: Int) -> AlignedFloats {
            AlignedFloats(names.flatMap { model.floats($0, count: count) })
        }
        var layers: [Layer] = []
        for l in 0..<model.header.layers {
            let p = "l\(l)."
            layers.append(
                Layer(
                    qkv: packed([p + "q.w", p + "k.w", p + "v.w"], rows: h, cols: h),
                    qkvBias: vector([p + "q.b", p + "k.b", p + "v.b"], count: h),
                    attnOut: packed([p + "ao.w"], rows: h, cols: h),
                    attnOutBias: vector([p + "ao.b"], count: h),
                    attnNormWeight: vector([p + "aln.w"], count: h),
                    attnNormBias: vector([p + "aln.b"], count: h),
                    ffnIn: packed([p + "fi.w"], rows: ff, cols: h),
                    ffnInBias: vector([p + "fi.b"], count: ff),
                    ffnOut: packed([p + "fo.w"], rows: h, cols: ff),
                    ffnOutBias: vector([p + "fo.b"], count: h),
                    outNormWeight: vector([p + "oln.w"], count: h),
                    outNormBias: vector([p + "oln.b"], count: h)
                )
            )
        }
        self.layers = layers
    }

    /// Scratch memory for one forward pass over up to `rows` tokens with sequences of at most `maxLength` tokens.
    final class Scratch {
        let rows: Int
        let x, qkv, ctx, tmp, ffnBuf, scores, packedK, packedV: AlignedFloats
        let quantized: Kernels.Q8Rows
        private let q8Storage: AlignedFloats

        init(rows: Int, maxLength: Int) {
            self.rows = rows
            let padded = (maxLength + 15) / 16 * 16
            x = AlignedFloats(count: rows * 384)
            qkv = AlignedFloats(count: rows * 1152)
            ctx = AlignedFloats(count: rows * 384)
            tmp = AlignedFloats(count: rows * 384)
            ffnBuf = AlignedFloats(count: rows * 1536)
            scores = AlignedFloats(count: maxLength * padded)
            packedK = AlignedFloats(count: padded * 32)
            packedV = AlignedFloats(count: max(maxLength, 1) * 32)
            // int8 activations for K up to 1536: values, then per-block scales, then per-block corrections.
            let blocks = rows * 1536 / 32
            q8Storage = AlignedFloats(count: rows * 1536 / 4 + 2 * blocks)
            let base = UnsafeMutableRawPointer(q8Storage.pointer)
            quantized = Kernels.Q8Rows(
                values: base,
                scales: (base + rows * 1536).assumingMemoryBound(to: Float.self),
                corrections: base + rows * 1536 + blocks * 4
            )
        }
    }

    /// Encodes several sequences (each with its `<s>`/`</s>`) together and writes each one's mean-pooled,
    /// L2-normalized vector to `out[i * 384 ..< (i + 1) * 384]`.
    ///
    /// Sequences are concatenated row-wise, never padded: linear layers work per token and attention runs per
    /// sequence, so a sequence's vector does not depend on what it is batched with.
    func encode(_ sequences: [[Int32]], scratch: Scratch, out: UnsafeMutablePointer<Float>) {
        let h = hidden
        let rows = sequences.reduce(0) { $0 + $1.count }
        precondition(rows <= scratch.rows)
        let x = scratch.x.pointer
        let qkv = scratch.qkv.pointer
        let ctx = scratch.ctx.pointer
        let tmp = scratch.tmp.pointer
        let ffnBuf = scratch.ffnBuf.pointer
        // Embeddings.
        var r = 0
        for seq in sequences {
            for (p, id) in seq.enumerated() {
                let row = x + (r + p) * h
                let tokenRow = Int(id) < vocabRows && id >= 0 ? Int(id) : 3
                Kernels.dequantizeQ4(file.base + wordOffset + tokenRow * wordRowBytes, rows: 1, cols: h, into: row)
                let pos = positions.pointer + p * h
                for j in 0..<h { row[j] += pos[j] }
            }
            r += seq.count
        }
        Kernels.addLayerNorm(x, nil, weight: embNormWeight.pointer, bias: embNormBias.pointer, rows: rows, cols: h, eps: eps)

        let scale = 1 / Float(headDim).squareRoot()
        for layer in layers {
            linear(x, rows: rows, k: h, layer.qkv, n: 3 * h, bias: layer.qkvBias, out: qkv, scratch: scratch)
            var start = 0
            for seq in sequences {
                attention(qkv: qkv + start * 3 * h, length: seq.count, ctx: ctx + start * h, scale: scale, scratch: scratch)
                start += seq.count
            }
            linear(ctx, rows: rows, k: h, layer.attnOut, n: h, bias: layer.attnOutBias, out: tmp, scratch: scratch)
            Kernels.addLayerNorm(
                x,
                tmp,
                weight: layer.attnNormWeight.pointer,
                bias: layer.attnNormBias.pointer,
                rows: rows,
                cols: h,
                eps: eps
            )
            linear(x, rows: rows, k: h, layer.ffnIn, n: ffn, bias: layer.ffnInBias, out: ffnBuf, scratch: scratch)
            Kernels.gelu(ffnBuf, count: rows * ffn)
            linear(ffnBuf, rows: rows, k: ffn, layer.ffnOut, n: h, bias: layer.ffnOutBias, out: tmp, scratch: scratch)
            Kernels.addLayerNorm(
                x,
                tmp,
                weight: layer.outNormWeight.pointer,
                bias: layer.outNormBias.pointer,
                rows: rows,
                cols: h,
                eps: eps
            )
        }
        // Mean pooling over every token (specials included), then L2 normalization.
        pool(sequences: sequences, x: x, out: out)
    }

    /// out[rows x n] = input[rows x k] · Wᵀ + bias.
    private func linear(
        _ input: UnsafeMutablePointer<Float>,
        rows: Int,
        k: Int,
        _ weights: Weights,
        n: Int,
        bias: AlignedFloats,
        out: UnsafeMutablePointer<Float>,
        scratch: Scratch
    ) {
        switch weights {
        case .float(let packed):
            Kernels.gemm(input, lda: k, m: rows, k: k, packed: packed.pointer, n: n, bias: bias.pointer, out, ldc: n)
        case .int8(let packed, let scales):
            Kernels.q8Quantize(input, m: rows, k: k, ldx: k, into: scratch.quantized)
            Kernels.q8Gemm(
                scratch.quantized,
                m: rows,
                k: k,
                packed: UnsafeRawPointer(packed.pointer),
                scales: scales.pointer,
                n: n,
                bias: bias.pointer,
                out,
                ldc: n
            )
        }
    }

    private func pool(sequences: [[Int32]], x: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let h = hidden
        var r = 0
        for (i, seq) in sequences.enumerated() {
            let o = out + i * h
            var acc = [Double](repeating: 0, count: h)
            for t in 0..<seq.count {
                let row = x + (r + t) * h
                for j in 0..<h { acc[j] += Double(row[j]) }
            }
            var norm = 0.0
            for j in 0..<h { norm += acc[j] * acc[j] }
            let inv = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<h { o[j] = Float(acc[j] * inv) }
            r += seq.count
        }
    }

    private func attention(qkv: UnsafeMutablePointer<Float>, length t: Int, ctx: UnsafeMutablePointer<Float>, scale: Float, scratch: Scratch) {
        let h = hidden
        let ld = 3 * h
        let padded = (t + 15) / 16 * 16
        let scores = scratch.scores.pointer
        let pk = scratch.packedK.pointer
        let pv = scratch.packedV.pointer
        for head in 0..<heads {
            let q = qkv + head * headDim
            let k = qkv + h + head * headDim
            let v = qkv + 2 * h + head * headDim
            Kernels.packNK(k, n: t, k: headDim, ldb: ld, into: pk)
            Kernels.gemm(q, lda: ld, m: t, k: headDim, packed: pk, n: t, bias: nil, scores, ldc: padded)
            Kernels.softmaxRows(scores, rows: t, cols: t, ld: padded, scale: scale)
            Kernels.packKN(v, k: t, n: headDim, ldb: ld, into: pv)
            Kernels.gemm(scores, lda: padded, m: t, k: t, packed: pv, n: headDim, bias: nil, ctx + head * headDim, ldc: h)
        }
    }
}

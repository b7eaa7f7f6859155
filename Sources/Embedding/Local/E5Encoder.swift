/// The post-LayerNorm BERT encoder of multilingual-e5-small with weights prepared for the GEMM kernels.
///
/// Linear weights are dequantized from Q4_0 once at load and packed in 16-column panels (about 85 MB);
/// the 4-bit word-embedding table stays memory-mapped and only the rows of tokens seen are read.
final class E5Encoder: Sendable {
    struct Layer: Sendable {
        let qkv: AlignedFloats, qkvBias: AlignedFloats  // fused Q, K, V: 1152 x 384
        let attnOut: AlignedFloats, attnOutBias: AlignedFloats
        let attnNormWeight: AlignedFloats, attnNormBias: AlignedFloats
        let ffnIn: AlignedFloats, ffnInBias: AlignedFloats
        let ffnOut: AlignedFloats, ffnOutBias: AlignedFloats
        let outNormWeight: AlignedFloats, outNormBias: AlignedFloats
    }

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

    init(model: E5ModelFile) {
        let h = hidden, ff = ffn
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

        func packed(_ names: [String], rows: Int, cols: Int) -> AlignedFloats {
            let total = rows * names.count
            let dense = AlignedFloats(count: total * cols)
            for (i, name) in names.enumerated() {
                Kernels.dequantizeQ4(model.bytes(name), rows: rows, cols: cols, into: dense.pointer + i * rows * cols)
            }
            let out = AlignedFloats(count: Kernels.packedCount(n: total, k: cols))
            Kernels.packNK(dense.pointer, n: total, k: cols, ldb: cols, into: out.pointer)
            return out
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
                    attnOut: packed([p + "ao.w"], rows: h, cols: h), attnOutBias: vector([p + "ao.b"], count: h),
                    attnNormWeight: vector([p + "aln.w"], count: h), attnNormBias: vector([p + "aln.b"], count: h),
                    ffnIn: packed([p + "fi.w"], rows: ff, cols: h), ffnInBias: vector([p + "fi.b"], count: ff),
                    ffnOut: packed([p + "fo.w"], rows: h, cols: ff), ffnOutBias: vector([p + "fo.b"], count: h),
                    outNormWeight: vector([p + "oln.w"], count: h), outNormBias: vector([p + "oln.b"], count: h)))
        }
        self.layers = layers
    }

    /// Scratch memory for one forward pass over up to `rows` tokens with sequences of at most `maxLength` tokens.
    final class Scratch {
        let rows: Int
        let x, qkv, ctx, tmp, ffnBuf, scores, packedK, packedV: AlignedFloats

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
        let x = scratch.x.pointer, qkv = scratch.qkv.pointer, ctx = scratch.ctx.pointer
        let tmp = scratch.tmp.pointer, ffnBuf = scratch.ffnBuf.pointer
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
            Kernels.gemm(x, lda: h, m: rows, k: h, packed: layer.qkv.pointer, n: 3 * h, bias: layer.qkvBias.pointer, qkv, ldc: 3 * h)
            var start = 0
            for seq in sequences {
                attention(qkv: qkv + start * 3 * h, length: seq.count, ctx: ctx + start * h, scale: scale, scratch: scratch)
                start += seq.count
            }
            Kernels.gemm(ctx, lda: h, m: rows, k: h, packed: layer.attnOut.pointer, n: h, bias: layer.attnOutBias.pointer, tmp, ldc: h)
            Kernels.addLayerNorm(
                x, tmp, weight: layer.attnNormWeight.pointer, bias: layer.attnNormBias.pointer, rows: rows, cols: h, eps: eps)
            Kernels.gemm(x, lda: h, m: rows, k: h, packed: layer.ffnIn.pointer, n: ffn, bias: layer.ffnInBias.pointer, ffnBuf, ldc: ffn)
            Kernels.gelu(ffnBuf, count: rows * ffn)
            Kernels.gemm(ffnBuf, lda: ffn, m: rows, k: ffn, packed: layer.ffnOut.pointer, n: h, bias: layer.ffnOutBias.pointer, tmp, ldc: h)
            Kernels.addLayerNorm(
                x, tmp, weight: layer.outNormWeight.pointer, bias: layer.outNormBias.pointer, rows: rows, cols: h, eps: eps)
        }
        // Mean pooling over every token (specials included), then L2 normalization.
        pool(sequences: sequences, x: x, out: out)
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
        let h = hidden, ld = 3 * h
        let padded = (t + 15) / 16 * 16
        let scores = scratch.scores.pointer, pk = scratch.packedK.pointer, pv = scratch.packedV.pointer
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

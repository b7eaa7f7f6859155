/// XLM-R's SentencePiece-Unigram tokenizer as stored in an `E5S1` file: per-code-point normalization, then the
/// Viterbi segmentation with the highest total piece score (an uncovered character becomes `<unk>`).
///
/// Mirrors the reference recipe exactly, including its tie-breaking, so token ids match it one for one.
struct E5Tokenizer: Sendable {
    let bos: Int32, eos: Int32, unk: Int32
    let maxPieceScalars: Int
    private let scores: [Float]
    private let unkScore: Double
    private let normalization: [UInt32: [Unicode.Scalar]]
    // Open-addressing hash table over the pieces' UTF-8 bytes.
    private let keyBytes: [UInt8]
    private let keyOffsets: [Int32]  // per piece id, start in keyBytes; keyOffsets[n] = end
    private let slots: [Int32]  // piece id or -1
    private let slotMask: Int

    init(model: E5ModelFile) {
        bos = model.bos
        eos = model.eos
        unk = model.unk
        scores = model.pieceScores
        unkScore = Double(scores.min() ?? 0) - 10.0
        var norm: [UInt32: [Unicode.Scalar]] = [:]
        norm.reserveCapacity(model.normalization.count)
        for (cp, out) in model.normalization {
            norm[cp] = out.map { Unicode.Scalar($0) ?? "\u{FFFD}" }
        }
        normalization = norm

        let n = model.pieceCount
        var bytes: [UInt8] = []
        bytes.reserveCapacity(model.pieceBlobLength)
        var offsets = [Int32](repeating: 0, count: n + 1)
        var maxScalars = 1
        for i in 0..<n {
            offsets[i] = Int32(bytes.count)
            let raw = model.pieceBytes(i)
            // Pieces are decoded leniently (invalid UTF-8 becomes U+FFFD), as the reference does.
            let piece = String(decoding: raw, as: UTF8.self)
            bytes.append(contentsOf: piece.utf8)
            maxScalars = max(maxScalars, piece.unicodeScalars.count)
        }
        offsets[n] = Int32(bytes.count)
        maxPieceScalars = maxScalars
        keyBytes = bytes
        keyOffsets = offsets

        var capacity = 1
        while capacity < n * 2 { capacity <<= 1 }
        var table = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { kb in
            for id in 0..<n {
                let start = Int(offsets[id])
                let end = Int(offsets[id + 1])
                var h = Self.fnvOffset
                for j in start..<end { h = Self.fnvStep(h, kb[j]) }
                var slot = Int(truncatingIfNeeded: h) & mask
                while true {
                    let existing = table[slot]
                    if existing < 0 {
                        table[slot] = Int32(id)
                        break
                    }
                    let es = Int(offsets[Int(existing)])
                    let ee = Int(offsets[Int(existing) + 1])
                    if ee - es == end - start && (0..<(end - start)).allSatisfy({ kb[es + $0] == kb[start + $0] }) {
                        table[slot] = Int32(id)  // a later duplicate wins, like a dict built in id order
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        slots = table
        slotMask = mask
    }

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) static func fnvStep(_ h: UInt64, _ b: UInt8) -> UInt64 { (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }

    /// Normalizes: table mapping per code point, runs of spaces collapsed, one leading space, spaces to U+2581.
    func normalize(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count + 1)
        for scalar in text.unicodeScalars {
            if let mapped = normalization[scalar.value] {
                out.append(contentsOf: mapped)
            } else {
                out.append(scalar)
            }
        }
        var collapsed: [Unicode.Scalar] = []
        collapsed.reserveCapacity(out.count + 1)
        if out.first != " " { collapsed.append(" ") }
        var previousSpace = false
        for s in out {
            let isSpace = s == " "
            if isSpace && previousSpace { continue }
            previousSpace = isSpace
            collapsed.append(s)
        }
        return collapsed.map { $0 == " " ? "\u{2581}" : $0 }
    }

    /// Token ids of `text` without the `<s>`/`</s>` specials and without truncation.
    func pieces(_ text: String) -> [Int32] {
        let scalars = normalize(text)
        let n = scalars.count
        if n == 0 { return [] }
        // UTF-8 bytes and the byte offset of every scalar.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(n * 2)
        var starts = [Int](repeating: 0, count: n + 1)
        for (i, s) in scalars.enumerated() {
            starts[i] = utf8.count
            utf8.append(contentsOf: String(Character(s)).utf8)
        }
        starts[n] = utf8.count

        var best = [Double](repeating: -1e30, count: n + 1)
        var backPiece = [Int32](repeating: 0, count: n + 1)
        var backFrom = [Int](repeating: 0, count: n + 1)
        best[0] = 0
        utf8.withUnsafeBufferPointer { text in
            keyBytes.withUnsafeBufferPointer { kb in
                for i in 0..<n {
                    let bi = best[i]
                    if bi <= -1e29 { continue }
                    var h = Self.fnvOffset
                    let lastEnd = min(n, i + maxPieceScalars)
                    var byte = starts[i]
                    for e in (i + 1)...lastEnd {
                        let endByte = starts[e]
                        while byte < endByte {
                            h = Self.fnvStep(h, text[byte])
                            byte += 1
                        }
                        let id = lookup(hash: h, text: text, from: starts[i], to: endByte, keys: kb)
                        if id >= 0 && id != unk {
                            let sc = bi + Double(scores[Int(id)])
                            if sc > best[e] {
                                best[e] = sc
                                backPiece[e] = id
                                backFrom[e] = i
                            }
                        }
                    }
                    let us = bi + unkScore
                    if us > best[i + 1] {
                        best[i + 1] = us
                        backPiece[i + 1] = -1
                        backFrom[i + 1] = i
                    }
                }
            }
        }
        var ids: [Int32] = []
        var i = n
        while i > 0 {
            ids.append(backPiece[i] < 0 ? unk : backPiece[i])
            i = backFrom[i]
        }
        ids.reverse()
        return ids
    }

    @inline(__always)
    private func lookup(hash: UInt64, text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, keys: UnsafeBufferPointer<UInt8>) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let length = to - from
        while true {
            let id = slots[slot]
            if id < 0 { return -1 }
            let ks = Int(keyOffsets[Int(id)])
            let ke = Int(keyOffsets[Int(id) + 1])
            if ke - ks == length {
                var equal = true
                for j in 0..<length where keys[ks + j] != text[from + j] {
                    equal = false
                    break
                }
                if equal { return id }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// The model input for a text: `[<s>] + pieces[..<maxContent] + [</s>]`.
    func inputIDs(_ text: String, maxContent: Int) -> [Int32] {
        var p = pieces(text)
        if p.count > maxContent { p.removeSubrange(maxContent...) }
        return [bos] + p + [eos]
    }
}

public import Foundation

/// Plain text decoded from bytes, and the encoding that was detected.
public struct DecodedText: Sendable, Hashable {
    /// The text, without a byte-order mark.
    public var text: String
    /// The detected encoding (`utf-8`, `utf-16le`, `windows-1252`, `ibm500`, …).
    public var encoding: String
    /// True when double-encoded UTF-8 (`InformaÃ§Ã£o`) was repaired.
    public var repairedMojibake: Bool
}

extension DocumentExtractor {
    /// Decodes the bytes of a text file: BOM sniffing (UTF-8/16/32), valid UTF-8 (with repair of double-encoded
    /// UTF-8), otherwise the legacy codepage whose decoding looks most like European text.
    public static func decodeText(_ data: Data) -> DecodedText {
        TextDecoder.decode([UInt8](data))
    }
}

enum TextDecoder {
    // MARK: sniffing

    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        if bytes.isEmpty { return false }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
            || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF])
        {
            return true
        }
        let binaryMagics: [[UInt8]] = [
            [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47], Array("GIF8".utf8), [0x1F, 0x8B], Array("BZh".utf8),
            [0x7F, 0x45, 0x4C, 0x46], Array("Rar!".utf8), [0x37, 0x7A, 0xBC, 0xAF], Array("II*\u{0}".utf8), Array("MM\u{0}*".utf8),
            [0x50, 0x4B, 0x05, 0x06], [0x50, 0x4B, 0x07, 0x08], Array("%!PS".utf8), [0x00, 0x00, 0x01, 0x00],
        ]
        for magic in binaryMagics where bytes.starts(with: magic) { return false }
        if utf16Order(bytes) != nil { return true }
        var control = 0
        for b in bytes {
            if b == 0 { return false }
            if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C && b != 0x1B && b != 0x15 && b != 0x25 {
                control += 1
            }
        }
        return control * 20 < bytes.count
    }

    /// UTF-16 without a BOM: NUL bytes at one parity and ASCII-looking bytes at the other.
    private static func utf16Order(_ bytes: [UInt8]) -> String.Encoding? {
        let n = min(bytes.count, 4096) & ~1
        guard n >= 4 else { return nil }
        var evenZero = 0
        var oddZero = 0
        for i in stride(from: 0, to: n, by: 2) {
            if bytes[i] == 0 { evenZero += 1 }
            if bytes[i + 1] == 0 { oddZero += 1 }
        }
        let pairs = n / 2
        if oddZero * 10 > pairs * 7 && evenZero * 10 < pairs { return .utf16LittleEndian }
        if evenZero * 10 > pairs * 7 && oddZero * 10 < pairs { return .utf16BigEndian }
        return nil
    }

    // MARK: decoding

    static func decode(_ bytes: [UInt8]) -> DecodedText {
        // Byte-order marks.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return utf8(Array(bytes.dropFirst(3)), label: "utf-8-sig")
        }
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            return DecodedText(text: decodeUTF32(bytes.dropFirst(4), littleEndian: true), encoding: "utf-32le", repairedMojibake: false)
        }
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            return DecodedText(text: decodeUTF32(bytes.dropFirst(4), littleEndian: false), encoding: "utf-32be", repairedMojibake: false)
        }
        if bytes.starts(with: [0xFF, 0xFE]) {
            return DecodedText(text: decodeUTF16(bytes.dropFirst(2), littleEndian: true), encoding: "utf-16le", repairedMojibake: false)
        }
        if bytes.starts(with: [0xFE, 0xFF]) {
            return DecodedText(text: decodeUTF16(bytes.dropFirst(2), littleEndian: false), encoding: "utf-16be", repairedMojibake: false)
        }
        if let order = utf16Order(bytes) {
            let le = order == .utf16LittleEndian
            return DecodedText(text: decodeUTF16(bytes[...], littleEndian: le), encoding: le ? "utf-16le" : "utf-16be", repairedMojibake: false)
        }
        if bytes.allSatisfy({ $0 < 0x80 }) && !looksLikeEBCDIC(bytes) {
            return DecodedText(text: String(decoding: bytes, as: UTF8.self), encoding: "ascii", repairedMojibake: false)
        }
        if String(validating: bytes, as: UTF8.self) != nil {
            return utf8(bytes, label: "utf-8")
        }
        return legacy(bytes)
    }

    private static func utf8(_ bytes: [UInt8], label: String) -> DecodedText {
        let text = String(decoding: bytes, as: UTF8.self)
        if let repaired = Mojibake.repair(text) {
            return DecodedText(text: repaired, encoding: label, repairedMojibake: true)
        }
        return DecodedText(text: text, encoding: label, repairedMojibake: false)
    }

    private static func decodeUTF16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let a = UInt16(bytes[i])
            let b = UInt16(bytes[i + 1])
            units.append(littleEndian ? a | (b << 8) : (a << 8) | b)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    private static func decodeUTF32(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        var i = bytes.startIndex
        while i + 3 < bytes.endIndex {
            let b0 = UInt32(bytes[i])
            let b1 = UInt32(bytes[i + 1])
            let b2 = UInt32(bytes[i + 2])
            let b3 = UInt32(bytes[i + 3])
            let v = littleEndian ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24
            scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            i += 4
        }
        return String(scalars)
    }

    private static func looksLikeEBCDIC(_ bytes: [UInt8]) -> Bool {
        var ebcdicSpace = 0
        var asciiSpace = 0
        for b in bytes {
            if b == 0x40 { ebcdicSpace += 1 }
            if b == 0x20 { asciiSpace += 1 }
        }
        return ebcdicSpace * 25 > bytes.count && asciiSpace * 200 < bytes.count
    }

    /// A single-byte codepage candidate.
    struct Codepage {
        let name: String
        let table: [UInt32]?  // upper half (128 entries), full (256 entries), or nil for ISO-8859-1
        let isFull: Bool

        func decode(_ bytes: [UInt8]) -> String? {
            var scalars = String.UnicodeScalarView()
            for b in bytes {
                let v: UInt32
                if isFull {
                    v = table![Int(b)]
                    if v == 0 && b != 0 { return nil }
                } else if b < 0x80 {
                    v = UInt32(b)
                } else if let table {
                    v = table[Int(b) - 0x80]
                    if v == 0 { return nil }
                } else {
                    v = UInt32(b)
                }
                scalars.append(Unicode.Scalar(v)!)
            }
            return String(scalars)
        }
    }

    static let candidates: [Codepage] = [
        Codepage(name: "windows-1252", table: Codepages.cp1252, isFull: false),
        Codepage(name: "iso-8859-1", table: nil, isFull: false),
        Codepage(name: "iso-8859-15", table: Codepages.iso885915, isFull: false),
        Codepage(name: "macintosh", table: Codepages.macroman, isFull: false),
        Codepage(name: "ibm850", table: Codepages.cp850, isFull: false),
        Codepage(name: "ibm860", table: Codepages.cp860, isFull: false),
        Codepage(name: "windows-1254", table: Codepages.cp1254, isFull: false),
        Codepage(name: "windows-1250", table: Codepages.cp1250, isFull: false),
        Codepage(name: "windows-1251", table: Codepages.cp1251, isFull: false),
        Codepage(name: "x-mac-cyrillic", table: Codepages.maccyrillic, isFull: false),
        Codepage(name: "ibm500", table: Codepages.cp500, isFull: true),
    ]

    private static func legacy(_ bytes: [UInt8]) -> DecodedText {
        // EBCDIC text has its spaces at 0x40 and almost no 0x20 bytes.
        if looksLikeEBCDIC(bytes), let ebcdic = candidates.last, let text = ebcdic.decode(bytes) {
            return DecodedText(text: text, encoding: ebcdic.name, repairedMojibake: false)
        }
        // Score the candidates on a sample (the first 256 KB, cut at a line end), decode the file with the winner.
        var sample = bytes
        if bytes.count > 262_144 {
            var end = 262_144
            while end > 200_000 && bytes[end - 1] != 0x0A { end -= 1 }
            sample = Array(bytes[..<end])
        }
        var best: (score: Double, candidate: Codepage)? = nil
        for candidate in candidates {
            guard let text = candidate.decode(sample) else { continue }
            let score = Plausible.score(text)
            if best == nil || score > best!.score + 1e-9 {
                best = (score, candidate)
            }
        }
        if let best, let text = best.candidate.decode(bytes) {
            return DecodedText(text: text, encoding: best.candidate.name, repairedMojibake: false)
        }
        return DecodedText(text: String(decoding: bytes, as: UTF8.self), encoding: "utf-8 (lossy)", repairedMojibake: false)
    }
}

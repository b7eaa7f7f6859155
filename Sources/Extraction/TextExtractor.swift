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

/// Scores how much a decoded text looks like real (mostly European) text: common accented letters in letter
/// context score up; control characters, box drawing, rare symbols inside words and case or script changes inside
/// words score down.
enum Plausible {
    static func weight(of s: Unicode.Scalar, next: Unicode.Scalar?) -> Double {
        switch s {
        case "ã", "õ", "Ã", "Õ":
            if let n = next, "oeOEs".unicodeScalars.contains(n) { return 2.5 }
            if let n = next, !n.properties.isAlphabetic { return 1.5 }
            return 0.2
        case "ä", "ö", "ü", "Ä", "Ö", "Ü":
            if let n = next, n.properties.isAlphabetic, !"aeiouAEIOU".unicodeScalars.contains(n) { return 1.2 }
            return 0.3
        case "ç", "Ç": return 1.8
        case "á", "é", "í", "ó", "ú", "Á", "É", "Í", "Ó", "Ú": return 1.8
        case "â", "ê", "ô", "Â", "Ê", "Ô", "à", "À", "è", "È": return 1.3
        case "ñ", "Ñ": return 1.3
        case "ë", "ï", "î", "û", "ù", "ì", "ò", "ÿ", "œ", "Œ", "æ", "Æ", "ø", "Ø", "å", "Å", "ß": return 0.6
        case "ğ", "ı", "ş", "Ş", "İ", "Ğ": return 1.0
        case "ð", "þ", "Ð", "Þ", "ý", "Ý": return -0.5
        case "«", "»", "“", "”", "‘", "’", "–", "—", "…", "€", "°", "º", "ª", "§": return 0.3
        default: break
        }
        let v = s.value
        if v == 0x85 { return 0 }  // NEL: the EBCDIC line end
        if v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D && v != 0x0C { return -10 }
        if v >= 0x7F && v < 0xA0 { return -10 }
        if v >= 0x2500 && v <= 0x259F { return -5 }  // box drawing, blocks
        if v >= 0x0400 && v <= 0x04FF { return s.properties.isAlphabetic ? 0.8 : -1 }
        if s.properties.isAlphabetic { return 0.2 }
        return -2
    }

    static func score(_ text: String) -> Double {
        var total = 0.0
        let scalars = Array(text.unicodeScalars)
        var prev: Unicode.Scalar? = nil
        for i in 0..<scalars.count {
            let s = scalars[i]
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            if s.value >= 0x80 {
                var w = weight(of: s, next: next)
                let isLetter = s.properties.isAlphabetic
                if let p = prev, p.properties.isAlphabetic {
                    if !isLetter { w -= 2 }  // a symbol glued to a letter: "informa‡Æo"
                    // Case change inside a word: "caÇa", "pÃo".
                    if isLetter && s.properties.isUppercase && p.properties.isLowercase { w -= 2.5 }
                    // Script change inside a word: Latin ↔ Cyrillic.
                    let pCyr = (0x0400...0x04FF).contains(p.value)
                    let sCyr = (0x0400...0x04FF).contains(s.value)
                    if isLetter && pCyr != sCyr { w -= 2 }
                }
                if isLetter, let n = next, n.properties.isAlphabetic, n.properties.isUppercase, s.properties.isLowercase {
                    w -= 1
                }
                // Runs of accented Latin letters ("óúñäü") are a sign of a wrong codepage; Cyrillic runs are normal.
                if isLetter, s.value < 0x0400, let p = prev, p.value >= 0x80, p.value < 0x0400, p.properties.isAlphabetic,
                    let n = next, n.value >= 0x80, n.value < 0x0400, n.properties.isAlphabetic
                {
                    w -= 3
                }
                total += w
            } else if s.value < 0x20 && s.value != 0x09 && s.value != 0x0A && s.value != 0x0D && s.value != 0x0C {
                total -= 10
            } else if s.properties.isAlphabetic, let p = prev, (0x0400...0x04FF).contains(p.value) {
                total -= 2
            }
            prev = s
        }
        return total
    }
}

/// Repairs UTF-8 text that was decoded as Windows-1252/Latin-1 and encoded again (`InformaÃ§Ã£o` → `Informação`).
enum Mojibake {
    private static let inverse1252: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (i, v) in Codepages.cp1252.enumerated() where v != 0 { map[v] = UInt8(0x80 + i) }
        return map
    }()

    private static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if let b = inverse1252[v] { return b }
        if v >= 0x80 && v <= 0xFF { return UInt8(v) }  // Latin-1 (and the C1 bytes cp1252 leaves undefined)
        return nil
    }

    /// Returns the repaired text, or nil when nothing looked double-encoded.
    static func repair(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains(where: { $0.value == 0xC3 || $0.value == 0xC2 || $0.value == 0xC5 || $0.value == 0xE2 }) else {
            return nil
        }
        var out = String.UnicodeScalarView()
        var changed = 0
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            guard s.value >= 0xC2 && s.value <= 0xF4, byte(for: s) != nil else {
                out.append(s)
                i += 1
                continue
            }
            // A lead byte shown as a Latin-1 character, followed by continuation bytes shown as cp1252 characters.
            let lead = UInt8(s.value)
            let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
            var bytes: [UInt8] = [lead]
            var j = i + 1
            while j < scalars.count && bytes.count <= needed {
                guard let b = byte(for: scalars[j]), b >= 0x80 && b <= 0xBF else { break }
                bytes.append(b)
                j += 1
            }
            if bytes.count == needed + 1, let decoded = String(validating: bytes, as: UTF8.self) {
                out.append(contentsOf: decoded.unicodeScalars)
                changed += 1
                i = j
            } else {
                out.append(s)
                i += 1
            }
        }
        return changed > 0 ? String(out) : nil
    }
}

/// Plain text, Markdown and CSV: decoded, then split into paragraphs (Markdown headings and lists, CSV rows kept).
struct TextExtractor: Sendable {
    enum Flavor { case plain, markdown, csv }

    func extract(_ data: Data, flavor: Flavor = .plain) -> ExtractedDocument {
        let decoded = TextDecoder.decode([UInt8](data))
        var warnings: [String] = []
        if decoded.encoding != "utf-8" && decoded.encoding != "ascii" {
            warnings.append("Text decoded as \(decoded.encoding).")
        }
        if decoded.repairedMojibake {
            warnings.append("Repaired double-encoded UTF-8 (characters such as “Ã§” were turned back into “ç”).")
        }
        var dropped = TextNormalization.DroppedCounts()
        var blocks: [TextBlock] = []
        var paragraph = ""
        func flush() {
            let text = TextNormalization.normalize(paragraph, dropped: &dropped)
            if !text.isEmpty { blocks.append(TextBlock(kind: .paragraph, text: text)) }
            paragraph = ""
        }
        let normalizedNewlines = decoded.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\u{85}", with: "\n")
        for rawLine in normalizedNewlines.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flush()
                continue
            }
            switch flavor {
            case .csv:
                flush()
                let text = TextNormalization.normalize(trimmed.replacingOccurrences(of: ",", with: " | "), dropped: &dropped)
                if !text.isEmpty { blocks.append(TextBlock(kind: .tableRow, text: text)) }
                continue
            case .markdown:
                if trimmed.hasPrefix("#") {
                    let level = trimmed.prefix { $0 == "#" }.count
                    let rest = trimmed.dropFirst(level)
                    if level <= 6, rest.first == " " {
                        flush()
                        let text = TextNormalization.normalize(String(rest), dropped: &dropped)
                        if !text.isEmpty { blocks.append(TextBlock(kind: .heading(level: level), text: text)) }
                        continue
                    }
                }
                if Lists.looksLikeListItem(trimmed) || trimmed.hasPrefix("* ") || trimmed.hasPrefix("+ ") {
                    flush()
                    let indent = line.prefix { $0 == " " }.count / 2
                    let text = TextNormalization.normalize(trimmed, dropped: &dropped)
                    if !text.isEmpty { blocks.append(TextBlock(kind: .listItem(level: indent), text: text)) }
                    continue
                }
            case .plain:
                break
            }
            TextNormalization.appendLine(trimmed, to: &paragraph)
        }
        flush()
        if dropped.total > 0 {
            warnings.append("Dropped \(dropped.total) control or invalid characters.")
        }
        return ExtractedDocument(format: .text, pageCount: nil, blocks: blocks, warnings: warnings)
    }
}

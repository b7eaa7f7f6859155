import Foundation

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

import Foundation

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

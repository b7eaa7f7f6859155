import Foundation

/// Text clean-up shared by every format: NFKC, control and unmapped characters removed, whitespace collapsed,
/// line-end hyphenation joined.
enum TextNormalization {
    /// Counts of characters dropped while cleaning, reported as warnings.
    struct DroppedCounts: Sendable {
        var control = 0
        var replacement = 0
        var privateUse = 0

        var total: Int { control + replacement + privateUse }

        mutating func add(_ other: DroppedCounts) {
            control += other.control
            replacement += other.replacement
            privateUse += other.privateUse
        }
    }

    /// Applies NFKC (ligatures, `º` → `o`, full-width forms) when the text is not plain ASCII.
    static func nfkc(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        if text.unicodeScalars.allSatisfy(isNFKCStable) { return text }
        return text.precomposedStringWithCompatibilityMapping
    }

    /// Scalars NFKC leaves alone and that never combine with a neighbour: ASCII, and precomposed Latin-1 /
    /// Latin Extended-A letters and signs (a fast path for Portuguese and most European text).
    @inline(__always)
    static func isNFKCStable(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0xA0 { return true }
        if v < 0x100 {
            switch v {
            case 0xA0, 0xA8, 0xAA, 0xAF, 0xB2, 0xB3, 0xB4, 0xB5, 0xB8, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE: return false
            default: return true
            }
        }
        if v < 0x17F { return v != 0x132 && v != 0x133 && v != 0x13F && v != 0x140 && v != 0x149 }
        switch v {
        case 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x20AC: return true  // dashes, quotes, bullet, euro
        default: return false
        }
    }

    /// Removes control characters (except tab and newline, which become spaces unless `keepNewlines`),
    /// U+FFFD, private-use glyphs, soft hyphens and bidi embedding marks; collapses runs of spaces.
    static func clean(_ text: String, dropped: inout DroppedCounts, keepNewlines: Bool = false) -> String {
        // Fast path: printable ASCII and precomposed Latin text with single inner spaces needs no work.
        if isAlreadyClean(text) { return text }
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x0A && keepNewlines {
                // trim trailing spaces before a newline
                out.append(scalar)
                pendingSpace = false
                continue
            }
            if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D || v == 0x0C || v == 0xA0 || v == 0x3000 || (v >= 0x2000 && v <= 0x200A) {
                pendingSpace = true
                continue
            }
            if v < 0x20 || (v >= 0x7F && v < 0xA0) {
                dropped.control += 1
                continue
            }
            if v == 0xFFFD {
                dropped.replacement += 1
                continue
            }
            if (v >= 0xE000 && v <= 0xF8FF) || v >= 0xF0000 {
                dropped.privateUse += 1
                continue
            }
            if (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069) {
                // Bidi embeddings delimit runs (poppler puts one around each right-to-left word).
                pendingSpace = true
                continue
            }
            if v == 0xAD || v == 0x200B || v == 0xFEFF || v == 0x200E || v == 0x200F {
                continue
            }
            if pendingSpace {
                if let last = out.last, last != "\n" { out.append(" ") }
                pendingSpace = false
            }
            out.append(scalar)
        }
        return String(out)
    }

    /// True when `clean` would return `text` unchanged: no control, private-use, replacement or invisible
    /// characters, no special spaces, single spaces between words and none at the ends.
    static func isAlreadyClean(_ text: String) -> Bool {
        var previousSpace = true
        var utf8 = text.utf8.makeIterator()
        while let b = utf8.next() {
            if b == 0x20 {
                if previousSpace { return false }
                previousSpace = true
                continue
            }
            previousSpace = false
            if b < 0x80 {
                if b < 0x20 || b == 0x7F { return false }
                continue
            }
            switch b {
            case 0xC2:
                // U+0080–U+00BF: C1 controls, NBSP and soft hyphen are not clean.
                guard let b1 = utf8.next(), b1 >= 0xA1, b1 != 0xAD else { return false }
            case 0xE2:
                // U+2000–U+206F holds special spaces, zero-width and bidi marks; dashes, quotes, bullets and
                // the ellipsis (U+2010–U+2027) are fine.
                guard let b1 = utf8.next(), let b2 = utf8.next() else { return false }
                if b1 == 0x80 && (b2 < 0x90 || b2 > 0xA7) { return false }
                if b1 == 0x81 && b2 >= 0xA0 { return false }
            case 0xE3:
                guard let b1 = utf8.next(), let b2 = utf8.next() else { return false }
                if b1 == 0x80 && b2 == 0x80 { return false }  // ideographic space
            case 0xEE, 0xEF, 0xF3, 0xF4:
                return false  // private use (U+E000–U+F8FF, planes 15–16), BOM, U+FFFD
            default:
                break
            }
        }
        return !previousSpace
    }

    /// Full normalization of one block's text: NFKC, then cleaning.
    static func normalize(_ text: String, dropped: inout DroppedCounts) -> String {
        clean(nfkc(text), dropped: &dropped)
    }

    /// True when `scalar` is a lowercase letter (the continuation of a hyphenated word).
    static func isLowercaseLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isLowercase && scalar.properties.isAlphabetic
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic
    }

    /// Joins `line` to `accumulated`: a word split by a line-end hyphen is rejoined when the next line starts with a
    /// lowercase letter (`regulamen-` + `to`), while a real compound keeps its hyphen (`Decreto-` + `Lei`).
    static func trimSpaces(_ line: String) -> String {
        let s = line.unicodeScalars
        guard let first = s.first, let last = s.last else { return line }
        if first != " " && first != "\t" && last != " " && last != "\t" { return line }
        var start = s.startIndex
        var end = s.endIndex
        while start < end && (s[start] == " " || s[start] == "\t") { start = s.index(after: start) }
        while end > start && (s[s.index(before: end)] == " " || s[s.index(before: end)] == "\t") { end = s.index(before: end) }
        return String(s[start..<end])
    }

    static func appendLine(_ line: String, to accumulated: inout String) {
        let trimmed = trimSpaces(line)
        if trimmed.isEmpty { return }
        if accumulated.isEmpty {
            accumulated = trimmed
            return
        }
        // Trim trailing spaces of the accumulated text.
        while accumulated.unicodeScalars.last == " " { accumulated.unicodeScalars.removeLast() }
        let scalars = accumulated.unicodeScalars
        if let last = scalars.last, last == "-" || last == "\u{00AD}" || last == "\u{2010}",
            let first = trimmed.unicodeScalars.first, isLetter(first)
        {
            let beforeHyphen = scalars.index(before: scalars.endIndex)
            if beforeHyphen > scalars.startIndex, isLetter(scalars[scalars.index(before: beforeHyphen)]) {
                let before = scalars[scalars.index(before: beforeHyphen)]
                if isLowercaseLetter(first) && last != "\u{2010}" && !startsWithClitic(trimmed, after: before) {
                    // regulamen- + to -> regulamento
                    accumulated.unicodeScalars.removeLast()
                } else if last == "\u{00AD}" {
                    accumulated.unicodeScalars.removeLast()
                }
                // Decreto- + Lei -> Decreto-Lei; procede- + se -> procede-se
                accumulated += trimmed
                return
            }
        }
        accumulated += " "
        accumulated += trimmed
    }

    /// True when `text` ends with a letter followed by a hyphen (a word that may continue in the next block).
    static func endsWithHyphenatedWord(_ text: String) -> Bool {
        let s = text.unicodeScalars
        guard let last = s.last, last == "-" || last == "\u{2010}" else { return false }
        let i = s.index(before: s.endIndex)
        guard i > s.startIndex else { return false }
        return isLetter(s[s.index(before: i)])
    }

    /// Portuguese enclitic pronouns written after a hyphen (`procede-se`, `dá-lhe`, `fazê-lo`, `praticar-se-ão`),
    /// told apart from ordinary syllables (`clas-se`, `Car-los`, `administrati-vos`) by the letter before the hyphen.
    static func startsWithClitic(_ text: String, after previous: Unicode.Scalar) -> Bool {
        var word = ""
        for scalar in text.unicodeScalars {
            if isLetter(scalar) { word.unicodeScalars.append(scalar) } else { break }
            if word.unicodeScalars.count > 4 { return false }
        }
        let p = Character(previous).lowercased()
        switch word {
        case "se": return p != "s"
        case "lhe", "lhes", "o", "a", "os", "as": return true
        case "lo", "la", "los", "las": return "áéíóúâêôã".contains(p)
        case "me", "te": return "aeiouáéíóúâêôãr".contains(p)
        case "nos", "vos": return "mrsuz".contains(p)
        default: return false
        }
    }

    static func startsWithLowercase(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        return isLowercaseLetter(first)
    }
}

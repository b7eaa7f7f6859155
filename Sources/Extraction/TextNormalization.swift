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
        return text.precomposedStringWithCompatibilityMapping
    }

    /// Removes control characters (except tab and newline, which become spaces unless `keepNewlines`),
    /// U+FFFD, private-use glyphs, soft hyphens and bidi embedding marks; collapses runs of spaces.
    static func clean(_ text: String, dropped: inout DroppedCounts, keepNewlines: Bool = false) -> String {
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
            if v == 0xAD || v == 0x200B || v == 0xFEFF || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
                || v == 0x200E || v == 0x200F
            {
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
    static func appendLine(_ line: String, to accumulated: inout String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
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
                if isLowercaseLetter(first) && last != "\u{2010}" && !startsWithClitic(trimmed) {
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

    /// Portuguese (and Spanish) enclitic pronouns written after a hyphen: `procede-se`, `dá-lhe`, `praticar-se-ão`.
    static let clitics: Set<String> = ["se", "lhe", "lhes", "lo", "la", "los", "las", "me", "te", "nos", "vos", "o", "os", "a", "as"]

    static func startsWithClitic(_ text: String) -> Bool {
        var word = ""
        for scalar in text.unicodeScalars {
            if isLetter(scalar) { word.unicodeScalars.append(scalar) } else { break }
            if word.unicodeScalars.count > 4 { return false }
        }
        guard clitics.contains(word) else { return false }
        // A clitic ends the word (space, punctuation, or another hyphen as in "se-ão").
        return true
    }

    static func startsWithLowercase(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        return isLowercaseLetter(first)
    }
}

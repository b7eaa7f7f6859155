/// Splits a long answer into WhatsApp messages of at most `limit` characters (4096 for `text.body`, PROTOCOL.md §5.2).
///
/// Length is measured in UTF-16 code units, which is never less than the count of characters or Unicode scalars, so
/// every part fits whichever way Meta counts. A part ends at the last paragraph break (blank line) that keeps it within
/// the limit, else the last line break, else the last sentence end (`.`, `!`, `?`, `…` and the like, followed by
/// white space), else the last space. A coarser boundary is preferred as long as it fills at least half the limit, so
/// that an early paragraph break does not produce a tiny part (fewer parts also keep clear of the 131056 pair rate limit).
/// Words are cut only when one word alone exceeds the limit, and then between grapheme clusters: an emoji, a flag or a
/// letter with its accents is never broken. White space at the edges of the parts is dropped; an empty or blank text
/// gives no parts.
public enum MessageSplitter {
    /// The parts of `text`, each at most `limit` UTF-16 code units, in order.
    public static func split(_ text: String, limit: Int = OutgoingMessage.maximumTextLength) -> [String] {
        precondition(limit > 0, "limit must be positive")
        let characters = Array(text)
        // offsets[i] = UTF-16 length of characters[0..<i].
        var offsets = [0]
        offsets.reserveCapacity(characters.count + 1)
        for character in characters { offsets.append(offsets[offsets.count - 1] + character.utf16.count) }
        func length(_ start: Int, _ end: Int) -> Int { offsets[end] - offsets[start] }

        var parts: [String] = []
        var start = 0
        while true {
            while start < characters.count, characters[start].isWhitespace { start += 1 }
            guard start < characters.count else { break }
            var end = characters.count
            while end > start, characters[end - 1].isWhitespace { end -= 1 }
            if length(start, end) <= limit {
                parts.append(String(characters[start..<end]))
                break
            }
            // The furthest end that fits.
            var maxEnd = start
            while maxEnd < characters.count, length(start, maxEnd + 1) <= limit { maxEnd += 1 }
            if maxEnd == start {
                // One grapheme cluster longer than the limit (pathological): the only case where scalars are separated.
                parts += splitScalars(characters[start], limit: limit)
                start += 1
                continue
            }
            let cut = bestCut(characters, start: start, maxEnd: maxEnd, minimumFill: limit / 2, length: length)
            var pieceEnd = cut
            while pieceEnd > start, characters[pieceEnd - 1].isWhitespace { pieceEnd -= 1 }
            if pieceEnd > start { parts.append(String(characters[start..<pieceEnd])) }
            start = cut
        }
        return parts
    }

    private enum Level: CaseIterable {
        case paragraph, line, sentence, word
    }

    private static let sentenceEnds: Set<Character> = [".", "!", "?", "…", "。", "！", "？", ";"]
    private static let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]", "»", "*", "_", "~"]

    /// `true` when a part may end just before index `index` (the boundary's white space stays with the earlier part
    /// and is trimmed).
    private static func isBoundary(_ characters: [Character], _ index: Int, level: Level) -> Bool {
        guard index >= 1, index < characters.count else { return false }
        let previous = characters[index - 1]
        switch level {
        case .paragraph:
            let blankLine =
                previous.isNewline && index >= 2
                && (characters[index - 2].isNewline || lineIsBlankBefore(characters, index - 1))
            return blankLine && !followsHeading(characters, index)
        case .line:
            return previous.isNewline && !followsHeading(characters, index)
        case .sentence:
            guard previous.isWhitespace, index >= 2 else { return false }
            var position = index - 2
            while position > 0, closers.contains(characters[position]) { position -= 1 }
            return sentenceEnds.contains(characters[position])
        case .word:
            return previous.isWhitespace
        }
    }

    /// `true` when the last non-blank line before `index` looks like a heading (`# Title`, or a short line that is all
    /// bold, `*Title*`, as ``WhatsAppFormatter`` writes headings): a part should not end with a heading.
    private static func followsHeading(_ characters: [Character], _ index: Int) -> Bool {
        var end = index
        while end > 0, characters[end - 1].isWhitespace { end -= 1 }
        var start = end
        while start > 0, !characters[start - 1].isNewline { start -= 1 }
        guard start < end else { return false }
        let line = characters[start..<end]
        if line.first == "#" { return true }
        return line.count >= 3 && line.count <= 120 && line.first == "*" && line.last == "*"
    }

    /// `true` when the line ending at the newline `newlineIndex` holds only white space.
    private static func lineIsBlankBefore(_ characters: [Character], _ newlineIndex: Int) -> Bool {
        var position = newlineIndex - 1
        while position >= 0, !characters[position].isNewline {
            if !characters[position].isWhitespace { return false }
            position -= 1
        }
        return position >= 0
    }

    private static func bestCut(
        _ characters: [Character],
        start: Int,
        maxEnd: Int,
        minimumFill: Int,
        length: (Int, Int) -> Int
    ) -> Int {
        var fallback: Int?
        for level in Level.allCases {
            var index = maxEnd
            // A boundary at maxEnd itself counts: the character there may be where the next part begins.
            while index > start, !isBoundary(characters, index, level: level) { index -= 1 }
            guard index > start else { continue }
            if length(start, index) >= minimumFill { return index }
            fallback = max(fallback ?? index, index)
        }
        return fallback ?? maxEnd
    }

    private static func splitScalars(_ character: Character, limit: Int) -> [String] {
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        var currentLength = 0
        for scalar in character.unicodeScalars {
            let scalarLength = scalar.utf16.count
            if currentLength + scalarLength > limit, !current.isEmpty {
                parts.append(String(current))
                current = String.UnicodeScalarView()
                currentLength = 0
            }
            current.append(scalar)
            currentLength += scalarLength
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }
}

import Foundation

/// Finds results that hold the same passage: the same policy uploaded as a PDF and as a DOCX, a paragraph repeated in
/// two documents, a chunk wholly inside a longer one. A customer should read such a passage once, and the model's
/// context should not carry it twice.
enum NearDuplicates {
    /// Share of the shorter passage's word triples that must also be in the longer for the two to be one passage.
    static let containment = 0.8

    /// `results` in order, each near-duplicate of an earlier one folded into it as one of its ``SearchResult/alsoIn``
    /// sources.
    static func collapse(_ results: [SearchResult]) -> [SearchResult] {
        var kept: [(result: SearchResult, shingles: Set<Int>, words: [Substring])] = []
        for result in results {
            let words = Self.words(result.text)
            let shingles = Self.shingles(words)
            if let index = kept.firstIndex(where: { isSame(words, shingles, $0.words, $0.shingles) }) {
                kept[index].result.alsoIn.append(PassageSource(result))
                kept[index].result.alsoIn += result.alsoIn
            } else {
                kept.append((result, shingles, words))
            }
        }
        return kept.map(\.result)
    }

    static func isSame(_ a: [Substring], _ aShingles: Set<Int>, _ b: [Substring], _ bShingles: Set<Int>) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return false }
        // Too short for triples to mean much: the same words, in order.
        if min(a.count, b.count) < 8 { return a == b }
        let shared = aShingles.intersection(bShingles).count
        return Double(shared) >= containment * Double(min(aShingles.count, bShingles.count))
    }

    /// Case-, accent- and punctuation-insensitive words.
    static func words(_ text: String) -> [Substring] {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .split { !($0.isLetter || $0.isNumber) }
    }

    /// Hashes of the consecutive word triples.
    static func shingles(_ words: [Substring]) -> Set<Int> {
        guard words.count >= 3 else { return [] }
        var result = Set<Int>()
        for start in 0...(words.count - 3) {
            var hasher = Hasher()
            for word in words[start..<(start + 3)] { hasher.combine(word) }
            result.insert(hasher.finalize())
        }
        return result
    }
}

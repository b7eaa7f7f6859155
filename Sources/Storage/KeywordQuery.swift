import Foundation

/// Turns a customer's free text into a safe FTS5 query.
///
/// User text is never passed to FTS5 as syntax: each word is quoted, so `"`, `*`, `NEAR` or `-` in a question cannot
/// break or change the query.
enum KeywordQuery {
    /// Portuguese and English function words that carry no meaning for retrieval.
    static let stopWords: Set<String> = [
        "a", "à", "ao", "aos", "as", "às", "com", "como", "da", "das", "de", "do", "dos", "e", "é", "em", "essa", "esse",
        "esta", "este", "eu", "isso", "isto", "já", "lhe", "mais", "mas", "me", "meu", "minha", "na", "nas", "no", "nos",
        "o", "os", "ou", "para", "pela", "pelo", "por", "qual", "quais", "quando", "que", "quem", "se", "sem", "ser",
        "seu", "sua", "são", "tem", "um", "uma", "vocês", "você", "foi", "há", "onde",
        "the", "of", "and", "to", "in", "is", "are", "for", "on", "with", "what", "how", "do", "does", "an", "it", "be",
    ]

    /// The words of `text`, lower-cased, split on anything that is not a letter or a digit.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// An FTS5 pattern matching any meaningful word of `text`, or `nil` when it has no words.
    static func ftsPattern(for text: String) -> String? {
        let all = words(text)
        let meaningful = all.filter { !stopWords.contains($0) }
        let chosen = meaningful.isEmpty ? all : meaningful
        guard !chosen.isEmpty else { return nil }
        var seen = Set<String>()
        let unique = chosen.filter { seen.insert($0).inserted }
        return unique.map { "\"\($0)\"" }.joined(separator: " OR ")
    }
}

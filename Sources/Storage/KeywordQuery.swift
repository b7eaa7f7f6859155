import Foundation

/// Turns a customer's free text into a safe FTS5 query.
///
/// User text is never passed to FTS5 as syntax: each word is quoted, so `"`, `*`, `NEAR` or `-` in a question cannot
/// break or change the query.
enum KeywordQuery {
    /// Portuguese and English function words that carry no meaning for retrieval, without accents.
    ///
    /// The Portuguese list is the retrieval reference's (`shared/retrieval/eval.py`), plus the chat around a question
    /// as typed on WhatsApp ("oi", "queria saber", "vcs", "qnto", "pfv"); a word is compared without its accents, so
    /// "voce" and "você" are both dropped. The stemming tokenizer keeps these words in the index; only
    /// questions leave them out.
    static let stopWords: Set<String> = Set(
        """
        a à ao aos aquela aquelas aquele aqueles aquilo as às até com como da das de dela delas dele deles depois do dos
        e é ela elas ele eles em entre era eram essa essas esse esses esta estas este estes eu foi foram há isso isto já
        lhe lhes mais mas me mesmo meu minha muito na nas nem no nos nós nossa nosso num numa o os ou para pela pelas pelo
        pelos por qual quando que quem se sem ser seu seus sua suas são só também te tem têm um uma umas uns você vocês
        vos sido está estão estava será seria pode quais cujo cuja onde
        the of and to in is are for on with what how do does an it be
        oi olá opa queria gostaria saber vc vcs q pra pfv vlw obg obrigado obrigada tb tbm qnto qnta qto pq
        """.split(whereSeparator: \.isWhitespace).map { PortugueseStemmer.fold(String($0)) }
    )

    /// The words of `text`, lower-cased, split on anything that is not a letter or a digit.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// An FTS5 pattern matching any meaningful word of `text`, or `nil` when it has no words.
    static func ftsPattern(for text: String) -> String? {
        let all = words(text)
        let meaningful = all.filter { !stopWords.contains(PortugueseStemmer.fold($0)) }
        let chosen = meaningful.isEmpty ? all : meaningful
        guard !chosen.isEmpty else { return nil }
        var seen = Set<String>()
        let unique = chosen.filter { seen.insert($0).inserted }
        return unique.map { "\"\($0)\"" }.joined(separator: " OR ")
    }
}

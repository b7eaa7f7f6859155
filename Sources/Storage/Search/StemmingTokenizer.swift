public import GRDB

/// The keyword index's FTS5 tokenizer: SQLite's `unicode61` (case folding, Unicode word boundaries), then the Snowball
/// Portuguese stemmer, then accent folding.
///
/// Words are stemmed with their accents (the stemmer's suffix rules need them: "informação" → "inform") and folded
/// afterwards, so documents and questions written with accents meet on the same stem; "devoluções" finds "devolução" and
/// "trocar" finds "trocas". Words typed without accents are handled two ways: a word with no accent and a nasal ending is
/// read with its tilde ("informacao" as "informação", see ``terms(of:forDocument:)``), and each document word whose
/// accents change its stem is also indexed, at the same position, under the stem of its unaccented spelling (an FTS5
/// colocated synonym): "experiencia" finds "experiência". English text goes through the same steps; the Portuguese rules only shorten
/// some English endings (consistently for documents and questions).
///
/// Register it on every connection with `db.add(tokenizer: StemmingTokenizer.self)` before touching `chunkFTS`.
public final class StemmingTokenizer: FTS5WrapperTokenizer {
    /// The name the tokenizer is registered under (and that `chunkFTS`'s schema refers to).
    public static let name = "balcao_pt"

    /// The wrapped tokenizer: `unicode61` keeping diacritics (the stemmer needs them).
    public let wrappedTokenizer: any FTS5Tokenizer

    /// Creates the tokenizer for a connection; SQLite calls this for each table that uses it.
    public init(db: Database, arguments: [String]) throws {
        wrappedTokenizer = try db.makeTokenizer(.unicode61(diacritics: .keep))
    }

    /// Stems (and folds) one token from `unicode61`; documents also get the stem of the unaccented spelling as a synonym.
    public func accept(
        token: String,
        flags: FTS5TokenFlags,
        for tokenization: FTS5Tokenization,
        tokenCallback: FTS5WrapperTokenCallback
    ) throws {
        let terms = Self.terms(of: token, forDocument: tokenization.contains(.document))
        try tokenCallback(terms.primary, flags)
        if let synonym = terms.synonym {
            try tokenCallback(synonym, flags.union(.colocated))
        }
    }

    /// The indexed term of a lower-cased word, and (for documents) the term of its unaccented spelling when it differs.
    ///
    /// A word written without any accent is read as Portuguese typed without its tilde when it has a nasal ending
    /// ("devolucao" as "devolução", "promocoes" as "promoções", "nao" as "não"), in documents and questions alike, so it
    /// meets the accented spelling on the same stem; the ending rules give the same stem either way for other words.
    static func terms(of token: String, forDocument: Bool) -> (primary: String, synonym: String?) {
        let bare = PortugueseStemmer.fold(token)
        guard bare != token else { return (Self.term(restoringNasalEnding(token)), nil) }
        let primary = Self.term(token)
        guard forDocument else { return (primary, nil) }
        let alternative = Self.term(restoringNasalEnding(bare))
        return (primary, alternative == primary ? nil : alternative)
    }

    /// The stem of a lower-cased word, without accents.
    private static func term(_ word: String) -> String { PortugueseStemmer.fold(PortugueseStemmer.stem(word)) }

    /// Nasal endings as Portuguese writes them: "-cao" → "-ção", "-coes" → "-ções", "-oes" → "-ões", "-aes" → "-ães",
    /// "-ao" → "-ão" (for words of more than the ending alone, so the contraction "ao" stays as it is).
    static func restoringNasalEnding(_ word: String) -> String {
        for (ending, nasal) in nasalEndings where word.hasSuffix(ending) && word.count > ending.count {
            return String(word.dropLast(ending.count)) + nasal
        }
        return word
    }

    private static let nasalEndings: [(String, String)] = [("coes", "ções"), ("cao", "ção"), ("oes", "ões"), ("aes", "ães"), ("ao", "ão")]
}

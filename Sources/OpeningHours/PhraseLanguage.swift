/// The language of user-facing text: English for any tag starting with "en", Portuguese (pt-BR) otherwise.
public enum PhraseLanguage: Sendable, Hashable {
    /// Brazilian Portuguese, the default.
    case portuguese
    /// English.
    case english

    /// Chooses the language for a tag such as "pt-BR", "en", "en-US" or "" (case-insensitive).
    public init(tag: String) {
        self = tag.trimmedSpaces.lowercased().hasPrefix("en") ? .english : .portuguese
    }
}

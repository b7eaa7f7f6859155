/// One occurrence of a national holiday in a given year.
public struct Holiday: Sendable, Hashable, Codable {
    /// A stable identifier independent of the year and language, for example "carnival-tuesday".
    public let key: String
    /// The date of the holiday in that year.
    public let date: LocalDate
    /// The name in Brazilian Portuguese, for example "Terça-feira de Carnaval".
    public let portugueseName: String
    /// The name in English, for example "Carnival Tuesday".
    public let englishName: String

    /// Creates a holiday occurrence.
    public init(key: String, date: LocalDate, portugueseName: String, englishName: String) {
        self.key = key
        self.date = date
        self.portugueseName = portugueseName
        self.englishName = englishName
    }

    /// The name in the language of `tag` (English for tags starting with "en", Portuguese otherwise).
    public func name(language tag: String) -> String {
        PhraseLanguage(tag: tag) == .english ? englishName : portugueseName
    }
}

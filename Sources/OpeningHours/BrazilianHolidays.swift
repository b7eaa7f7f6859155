/// Brazil's national holidays, including the Easter-based Carnival, Good Friday and Corpus Christi.
public enum BrazilianHolidays {
    /// The years for which holidays are computed (the Gregorian Easter rule applies from 1583).
    public static let supportedYears = 1583...9999

    /// The first year in which November 20 (Zumbi and Black Consciousness Day) is a national holiday (Lei 14.759/2023).
    public static let blackConsciousnessFirstYear = 2024

    /// Every holiday key, roughly in calendar order (for checkbox lists such as `disabledHolidayKeys`).
    public static let keys: [String] = definitions.map(\.key)

    /// The national holidays of `year`, sorted by date; empty outside `supportedYears`.
    public static func holidays(in year: Int) -> [Holiday] {
        guard let easter = easterSunday(in: year) else { return [] }
        return definitions.compactMap { definition -> Holiday? in
            guard let date = definition.rule.date(in: year, easter: easter) else { return nil }
            return Holiday(key: definition.key, date: date, portugueseName: definition.portuguese, englishName: definition.english)
        }
        .enumerated()
        .sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }
        .map(\.element)
    }

    /// The national holidays falling on `date` (usually none, sometimes two, such as Good Friday on Tiradentes in 2000).
    public static func holidays(on date: LocalDate) -> [Holiday] {
        holidays(in: date.year).filter { $0.date == date }
    }

    /// Easter Sunday of `year` by the anonymous Gregorian algorithm (Meeus/Jones/Butcher); `nil` outside `supportedYears`.
    public static func easterSunday(in year: Int) -> LocalDate? {
        guard supportedYears.contains(year) else { return nil }
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(year: year, month: month, day: day)
    }

    private enum Rule {
        case fixed(month: Int, day: Int, since: Int?)
        case easter(offset: Int)

        func date(in year: Int, easter: LocalDate) -> LocalDate? {
            switch self {
            case .fixed(let month, let day, let since):
                if let since, year < since { return nil }
                return LocalDate(year: year, month: month, day: day)
            case .easter(let offset):
                return easter.adding(days: offset)
            }
        }
    }

    private struct Definition {
        let key: String
        let rule: Rule
        let portuguese: String
        let english: String
    }

    private static let definitions: [Definition] = [
        Definition(
            key: "new-year",
            rule: .fixed(month: 1, day: 1, since: nil),
            portuguese: "Confraternização Universal",
            english: "New Year's Day"
        ),
        Definition(
            key: "carnival-monday",
            rule: .easter(offset: -48),
            portuguese: "Segunda-feira de Carnaval",
            english: "Carnival Monday"
        ),
        Definition(
            key: "carnival-tuesday",
            rule: .easter(offset: -47),
            portuguese: "Terça-feira de Carnaval",
            english: "Carnival Tuesday"
        ),
        Definition(
            key: "good-friday",
            rule: .easter(offset: -2),
            portuguese: "Sexta-feira Santa (Paixão de Cristo)",
            english: "Good Friday"
        ),
        Definition(
            key: "tiradentes",
            rule: .fixed(month: 4, day: 21, since: nil),
            portuguese: "Tiradentes",
            english: "Tiradentes Day"
        ),
        Definition(
            key: "labour-day",
            rule: .fixed(month: 5, day: 1, since: nil),
            portuguese: "Dia do Trabalho",
            english: "Labour Day"
        ),
        Definition(
            key: "corpus-christi",
            rule: .easter(offset: 60),
            portuguese: "Corpus Christi",
            english: "Corpus Christi"
        ),
        Definition(
            key: "independence",
            rule: .fixed(month: 9, day: 7, since: nil),
            portuguese: "Independência do Brasil",
            english: "Independence Day"
        ),
        Definition(
            key: "aparecida",
            rule: .fixed(month: 10, day: 12, since: nil),
            portuguese: "Nossa Senhora Aparecida",
            english: "Our Lady of Aparecida"
        ),
        Definition(
            key: "all-souls",
            rule: .fixed(month: 11, day: 2, since: nil),
            portuguese: "Finados",
            english: "All Souls' Day"
        ),
        Definition(
            key: "republic",
            rule: .fixed(month: 11, day: 15, since: nil),
            portuguese: "Proclamação da República",
            english: "Republic Proclamation Day"
        ),
        Definition(
            key: "black-consciousness",
            rule: .fixed(month: 11, day: 20, since: blackConsciousnessFirstYear),
            portuguese: "Dia Nacional de Zumbi e da Consciência Negra",
            english: "Zumbi and Black Consciousness Day"
        ),
        Definition(
            key: "christmas",
            rule: .fixed(month: 12, day: 25, since: nil),
            portuguese: "Natal",
            english: "Christmas Day"
        ),
    ]
}

import OpeningHours
import Testing

struct BrazilianHolidaysTests {
    private func dates(in year: Int) -> [String: String] {
        Dictionary(uniqueKeysWithValues: BrazilianHolidays.holidays(in: year).map { ($0.key, $0.date.description) })
    }

    @Test func movableHolidaysOf2027() {
        let dates = dates(in: 2027)
        #expect(dates["carnival-monday"] == "2027-02-08")
        #expect(dates["carnival-tuesday"] == "2027-02-09")
        #expect(dates["good-friday"] == "2027-03-26")
        #expect(dates["corpus-christi"] == "2027-05-27")
    }

    @Test func movableHolidaysOf2026() {
        let dates = dates(in: 2026)
        #expect(dates["carnival-monday"] == "2026-02-16")
        #expect(dates["carnival-tuesday"] == "2026-02-17")
        #expect(dates["good-friday"] == "2026-04-03")
        #expect(dates["corpus-christi"] == "2026-06-04")
    }

    @Test func fixedHolidaysOf2026() {
        let dates = dates(in: 2026)
        #expect(dates["new-year"] == "2026-01-01")
        #expect(dates["tiradentes"] == "2026-04-21")
        #expect(dates["labour-day"] == "2026-05-01")
        #expect(dates["independence"] == "2026-09-07")
        #expect(dates["aparecida"] == "2026-10-12")
        #expect(dates["all-souls"] == "2026-11-02")
        #expect(dates["republic"] == "2026-11-15")
        #expect(dates["black-consciousness"] == "2026-11-20")
        #expect(dates["christmas"] == "2026-12-25")
        #expect(dates.count == 13)
    }

    @Test func blackConsciousnessDayIsNationalFrom2024() {
        #expect(dates(in: 2023)["black-consciousness"] == nil)
        #expect(dates(in: 2023).count == 12)
        #expect(dates(in: 2024)["black-consciousness"] == "2024-11-20")
    }

    @Test func holidaysAreSortedByDateWithStableKeys() {
        for year in [1900, 2000, 2011, 2027, 2200] {
            let holidays = BrazilianHolidays.holidays(in: year)
            #expect(holidays.map(\.date) == holidays.map(\.date).sorted())
            #expect(Set(holidays.map(\.key)).isSubset(of: BrazilianHolidays.keys))
        }
        #expect(BrazilianHolidays.keys.count == 13)
    }

    @Test func goodFridayAndTiradentesCanShareADate() throws {
        let both = BrazilianHolidays.holidays(on: try day("2000-04-21")).map(\.key)
        #expect(both == ["good-friday", "tiradentes"])
    }

    @Test func namesInBothLanguages() throws {
        let carnival = try #require(BrazilianHolidays.holidays(in: 2027).first { $0.key == "carnival-tuesday" })
        #expect(carnival.name(language: "pt-BR") == "Terça-feira de Carnaval")
        #expect(carnival.name(language: "en-US") == "Carnival Tuesday")
        let zumbi = try #require(BrazilianHolidays.holidays(in: 2027).first { $0.key == "black-consciousness" })
        #expect(zumbi.portugueseName == "Dia Nacional de Zumbi e da Consciência Negra")
        let goodFriday = try #require(BrazilianHolidays.holidays(in: 2027).first { $0.key == "good-friday" })
        #expect(goodFriday.portugueseName.contains("Sexta-feira Santa"))
    }
}

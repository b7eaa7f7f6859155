import OpeningHours
import Testing

struct EasterTests {
    @Test(arguments: [
        (1900, "1900-04-15"), (1961, "1961-04-02"), (2000, "2000-04-23"), (2008, "2008-03-23"), (2011, "2011-04-24"),
        (2019, "2019-04-21"), (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2027, "2027-03-28"),
        (2038, "2038-04-25"), (2100, "2100-03-28"), (2200, "2200-04-06"),
    ])
    func easterSundayMatchesKnownDates(year: Int, expected: String) throws {
        #expect(BrazilianHolidays.easterSunday(in: year) == (try day(expected)))
    }

    @Test func easterIsAlwaysASundayBetweenMarch22AndApril25() throws {
        for year in 1900...2200 {
            let easter = try #require(BrazilianHolidays.easterSunday(in: year))
            #expect(easter.weekday == .sunday)
            let earliest = try #require(LocalDate(year: year, month: 3, day: 22))
            let latest = try #require(LocalDate(year: year, month: 4, day: 25))
            #expect(earliest <= easter && easter <= latest, "Easter \(easter)")
        }
    }

    @Test func unsupportedYearsHaveNoEaster() {
        #expect(BrazilianHolidays.easterSunday(in: 1500) == nil)
        #expect(BrazilianHolidays.holidays(in: 10_000).isEmpty)
    }
}

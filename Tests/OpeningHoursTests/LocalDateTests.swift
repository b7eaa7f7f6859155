import Foundation
import OpeningHours
import Testing

struct LocalDateTests {
    @Test func parsesAndFormats() throws {
        let date = try day("2027-02-09")
        #expect(date.year == 2027 && date.month == 2 && date.day == 9)
        #expect(date.description == "2027-02-09")
        #expect(date.weekday == .tuesday)
    }

    @Test(arguments: ["2027-02-29", "2027-13-01", "2027-2-9", "27-02-09", "2027/02/09", "", "2027-02-09x", "0000-01-01"])
    func rejectsInvalidDates(text: String) {
        #expect(throws: OpeningHoursError.self) { try day(text) }
    }

    @Test func leapYears() {
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
    }

    @Test func arithmeticAndOrdering() throws {
        let date = try day("2026-12-31")
        #expect(date.adding(days: 1).description == "2027-01-01")
        #expect(date.adding(days: 60).description == "2027-03-01")
        #expect(try day("2024-03-01").adding(days: -1).description == "2024-02-29")
        #expect(try day("2027-03-04").days(since: date) == 63)
        #expect(date < (try day("2027-01-01")))
    }

    @Test func weekdaysMatchFoundationsCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var date = try day("1899-12-25")
        for _ in 0..<800 {
            let components = DateComponents(year: date.year, month: date.month, day: date.day, hour: 12)
            let foundationDate = try #require(calendar.date(from: components))
            #expect(date.weekday.rawValue == calendar.component(.weekday, from: foundationDate), "\(date)")
            date = date.adding(days: 97)
        }
    }

    @Test func localDateOfAnInstantDependsOnTheZone() throws {
        let lateEvening = try instant(2027, 3, 3, 23)
        #expect(LocalDate(lateEvening, in: try #require(TimeZone(identifier: saoPaulo))).description == "2027-03-03")
        #expect(LocalDate(lateEvening, in: try #require(TimeZone(identifier: "UTC"))).description == "2027-03-04")
    }
}

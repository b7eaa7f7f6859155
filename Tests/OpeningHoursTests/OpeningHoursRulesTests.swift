import Foundation
import OpeningHours
import Testing

struct OpeningHoursRulesTests {
    @Test func defaultPolicy() {
        let policy = OpeningHours()
        #expect(policy.timeZoneIdentifier == "America/Sao_Paulo")
        #expect(policy.weekly == .standard)
        #expect(policy.observesNationalHolidays)
        #expect(policy.exceptions.isEmpty && policy.disabledHolidayKeys.isEmpty)
    }

    @Test func openingBoundariesAreStartInclusiveEndExclusive() throws {
        let policy = OpeningHours()
        #expect(policy.isOpen(at: try instant(2027, 3, 3, 8, 0)))
        #expect(!policy.isOpen(at: try instant(2027, 3, 3, 7, 59)))
        #expect(policy.isOpen(at: try instant(2027, 3, 3, 17, 59)))
        #expect(!policy.isOpen(at: try instant(2027, 3, 3, 18, 0)))
        #expect(!policy.isOpen(at: try instant(2027, 3, 7, 10)), "Sunday is closed")
        #expect(policy.isOpen(at: try instant(2027, 3, 6, 11, 30)), "Saturday morning is open")
    }

    @Test func carnivalTuesdayClosesUnlessDisabled() throws {
        let moment = try instant(2027, 2, 9, 10)
        #expect(!OpeningHours().isOpen(at: moment))
        #expect(OpeningHours(disabledHolidayKeys: ["carnival-tuesday"]).isOpen(at: moment))
        #expect(OpeningHours(observesNationalHolidays: false).isOpen(at: moment))
    }

    @Test func reasonsForTheAdminPage() throws {
        let inventory = DatedException(date: try day("2027-03-03"), name: "Inventário", intervals: try hours("08:00-10:00"))
        let policy = OpeningHours(exceptions: [inventory])
        #expect(policy.reason(on: try day("2027-03-04")) == .weekly(.thursday))
        #expect(policy.reason(on: try day("2027-03-03")) == .exception(inventory))
        #expect(policy.reason(on: try day("2027-03-03")).name(language: "pt-BR") == "Inventário")
        let christmas = policy.reason(on: try day("2027-12-25"))
        guard case .nationalHoliday(let holiday) = christmas else {
            Issue.record("expected a national holiday, got \(christmas)")
            return
        }
        #expect(holiday.key == "christmas")
        #expect(christmas.name(language: "en") == "Christmas Day")
        #expect(policy.reason(on: try day("2027-03-04")).name(language: "pt-BR") == nil)
    }

    @Test func exceptionWinsOverHolidayAndWeeklyHours() throws {
        let policy = OpeningHours(exceptions: [
            DatedException(date: try day("2027-12-24"), name: "Véspera de Natal", intervals: try hours("08:00-12:00")),
            DatedException(date: try day("2027-12-25"), name: "Plantão de Natal", intervals: try hours("10:00-14:00")),
        ])
        #expect(OpeningInterval.format(policy.intervals(on: try day("2027-12-24"))) == "08:00-12:00")
        #expect(OpeningInterval.format(policy.intervals(on: try day("2027-12-25"))) == "10:00-14:00")
        #expect(policy.isOpen(at: try instant(2027, 12, 25, 11)))
        #expect(!policy.isOpen(at: try instant(2027, 12, 24, 13)))
        #expect(policy.intervals(on: try day("2026-12-25")).isEmpty)
    }

    @Test func openPastMidnightWithTwoIntervals() throws {
        let late = OpeningHours(weekly: try WeeklySchedule(parsing: [.friday: "18:00-24:00", .saturday: "00:00-02:00"]))
        #expect(late.isOpen(at: try instant(2027, 3, 5, 23, 59)))
        #expect(late.isOpen(at: try instant(2027, 3, 6, 0, 0)))
        #expect(late.isOpen(at: try instant(2027, 3, 6, 1, 59)))
        #expect(!late.isOpen(at: try instant(2027, 3, 6, 2, 0)))
    }

    @Test func alwaysOpenIgnoresHolidays() throws {
        let christmasNight = try instant(2026, 12, 25, 3)
        #expect(OpeningHours.alwaysOpen.isOpen(at: christmasNight))
        #expect(OpeningHours.alwaysOpen.nextOpening(after: christmasNight) == christmasNight)
        #expect(!OpeningHours.alwaysOpen.observesNationalHolidays)
    }

    @Test func holidayCalendarListsHolidaysAndExceptions() throws {
        let policy = OpeningHours(
            exceptions: [
                DatedException(date: try day("2027-11-20"), name: "Plantão", intervals: try hours("09:00-12:00")),
                DatedException(date: try day("2027-07-01"), name: "Inventário"),
                DatedException(date: try day("2028-01-02"), name: "Outro ano"),
            ],
            disabledHolidayKeys: ["carnival-tuesday"]
        )
        let entries = policy.holidayCalendar(year: 2027, language: "pt-BR")
        #expect(entries.count == 15)
        #expect(entries.map(\.date) == entries.map(\.date).sorted())
        let carnival = try #require(entries.first { $0.key == "carnival-tuesday" })
        #expect(!carnival.observed && OpeningInterval.format(carnival.intervals) == "08:00-18:00")
        let monday = try #require(entries.first { $0.key == "carnival-monday" })
        #expect(monday.observed && monday.intervals.isEmpty && monday.name == "Segunda-feira de Carnaval")
        let zumbi = try #require(entries.first { $0.key == "black-consciousness" })
        #expect(!zumbi.observed, "the exception on the same date wins")
        let plantao = try #require(entries.first { $0.name == "Plantão" })
        #expect(plantao.observed && plantao.source == .exception && plantao.key == nil)
        #expect(OpeningInterval.format(plantao.intervals) == "09:00-12:00")
        #expect(policy.holidayCalendar(year: 2027, language: "en").first?.name == "New Year's Day")
        #expect(!entries.contains { $0.name == "Outro ano" })
    }

    @Test func validation() throws {
        #expect(throws: OpeningHoursError.unknownTimeZone("Mars/Olympus")) {
            try OpeningHours(timeZoneIdentifier: "Mars/Olympus").validate()
        }
        let morning = try #require(try hours("08:00-12:00").first)
        let late = try #require(try hours("11:00-13:00").first)
        #expect(throws: OpeningHoursError.overlappingIntervals("08:00-12:00", "11:00-13:00")) {
            try OpeningHours(weekly: WeeklySchedule([.monday: [late, morning]])).validate()
        }
        try OpeningHours().validate()
        try OpeningHours.alwaysOpen.validate()
    }
}

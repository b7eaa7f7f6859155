import Foundation
import OpeningHours
import Testing

struct DaylightSavingTests {
    private func officeHours() throws -> OpeningHours {
        let day = "09:00-17:00"
        let weekly = try WeeklySchedule(parsing: [.monday: day, .tuesday: day, .wednesday: day, .thursday: day, .friday: day])
        return OpeningHours(timeZoneIdentifier: newYork, weekly: weekly, observesNationalHolidays: false)
    }

    @Test func saturdayBeforeSpringForwardOpensMondayAtNineLocal() throws {
        let policy = try officeHours()
        let saturday = try instant(2027, 3, 13, 12, zone: newYork)
        let next = try #require(policy.nextOpening(after: saturday))
        let parts = try localParts(next, zone: newYork)
        #expect(parts.year == 2027 && parts.month == 3 && parts.day == 15)
        #expect(parts.hour == 9 && parts.minute == 0 && parts.weekday == 2)
        #expect(next.timeIntervalSince(saturday) == 44 * 3600, "one hour is lost on Sunday March 14")
        #expect(policy.nextOpeningPhrase(after: saturday, language: "en") == "on Monday at 09:00")
    }

    @Test func saturdayBeforeFallBackOpensMondayAtNineLocal() throws {
        let policy = try officeHours()
        let saturday = try instant(2027, 11, 6, 12, zone: newYork)
        let next = try #require(policy.nextOpening(after: saturday))
        let parts = try localParts(next, zone: newYork)
        #expect(parts.day == 8 && parts.hour == 9 && parts.minute == 0 && parts.weekday == 2)
        #expect(next.timeIntervalSince(saturday) == 46 * 3600, "one hour is gained on Sunday November 7")
    }

    @Test func isOpenUsesTheLocalClockOnBothSidesOfTheChange() throws {
        let policy = try officeHours()
        #expect(policy.isOpen(at: try instant(2027, 3, 12, 16, 59, zone: newYork)))
        #expect(!policy.isOpen(at: try instant(2027, 3, 15, 8, 59, zone: newYork)))
        #expect(policy.isOpen(at: try instant(2027, 3, 15, 9, 0, zone: newYork)))
        #expect(!policy.isOpen(at: try instant(2027, 3, 15, 17, 0, zone: newYork)))
    }

    @Test func intervalInsideTheSkippedHourIsSkipped() throws {
        let weekly = try WeeklySchedule(parsing: [.sunday: "02:00-02:30, 05:00-06:00"])
        let policy = OpeningHours(timeZoneIdentifier: newYork, weekly: weekly, observesNationalHolidays: false)
        let midnight = try instant(2027, 3, 14, 0, zone: newYork)
        let next = try #require(policy.nextOpening(after: midnight))
        let parts = try localParts(next, zone: newYork)
        #expect(parts.day == 14 && parts.hour == 5 && parts.minute == 0)
    }

    @Test func saoPauloHasNoDaylightSavingAnyMore() throws {
        let policy = OpeningHours()
        let saturday = try instant(2027, 10, 30, 13)
        let next = try #require(policy.nextOpening(after: saturday))
        #expect(next.timeIntervalSince(saturday) == 43 * 3600)
    }
}

import OpeningHours
import Testing

struct ParsingTests {
    @Test(arguments: [
        ("08:00-12:00, 13:30-18:00", "08:00-12:00, 13:30-18:00"),
        ("8h-12h", "08:00-12:00"),
        ("8h30 - 12h", "08:30-12:00"),
        ("08:00\u{2013}12:00", "08:00-12:00"),
        ("  13:00 - 18:00 ,08:00-12:00 ", "08:00-12:00, 13:00-18:00"),
        ("18:00-24:00", "18:00-24:00"),
        ("00:00-02:00; 9-17", "00:00-02:00, 09:00-17:00"),
        ("08:00-12:00, 12:00-14:00", "08:00-12:00, 12:00-14:00"),
    ])
    func parsesAndFormatsGoodInput(text: String, formatted: String) throws {
        #expect(OpeningInterval.format(try hours(text)) == formatted)
    }

    @Test(arguments: ["", "   ", "fechado", "Fechado", "closed", " CLOSED "])
    func closedWordsGiveNoIntervals(text: String) throws {
        #expect(try hours(text).isEmpty)
    }

    @Test func splitShiftValues() throws {
        let intervals = try hours("08:00-12:00, 13:30-18:00")
        #expect(intervals.map(\.start.minutes) == [480, 810])
        #expect(intervals.map(\.end.minutes) == [720, 1080])
    }

    @Test func rejectsOverlappingIntervals() {
        #expect(throws: OpeningHoursError.overlappingIntervals("08:00-12:00", "11:00-13:00")) {
            try hours("08:00-12:00, 11:00-13:00")
        }
    }

    @Test func rejectsImpossibleTimes() {
        #expect(throws: OpeningHoursError.invalidTime("25:00")) { try hours("25:00-26:00") }
        #expect(throws: OpeningHoursError.invalidTime("8:75")) { try hours("8:75-12:00") }
        #expect(throws: OpeningHoursError.invalidTime("24:30")) { try hours("20:00-24:30") }
    }

    @Test func rejectsReversedAndEmptyIntervals() {
        #expect(throws: OpeningHoursError.endNotAfterStart("12:00-08:00")) { try hours("12:00-08:00") }
        #expect(throws: OpeningHoursError.endNotAfterStart("08:00-08:00")) { try hours("08:00-08:00") }
        #expect(throws: OpeningHoursError.endNotAfterStart("22:00-02:00")) { try hours("22:00-02:00") }
    }

    @Test(arguments: ["08:00", "08:00-12:00-13:00", "08:00-12:00,", "abc", "8h-", "08-00-12", "8:0-12:00", "8:-12:00"])
    func rejectsMalformedInput(text: String) {
        #expect(throws: OpeningHoursError.self) { try hours(text) }
    }

    @Test func errorsExplainThemselvesInEnglish() {
        #expect(
            OpeningHoursError.overlappingIntervals("08:00-12:00", "11:00-13:00").description
                == "The intervals 08:00-12:00 and 11:00-13:00 overlap."
        )
        #expect(OpeningHoursError.invalidTime("25:00").description.hasPrefix("Invalid time \"25:00\""))
    }

    @Test func timeOfDayBounds() throws {
        #expect(TimeOfDay(minutes: 1440)?.description == "24:00")
        #expect(TimeOfDay(minutes: 1441) == nil)
        #expect(TimeOfDay(minutes: -1) == nil)
        #expect(TimeOfDay(hour: 24, minute: 1) == nil)
        #expect(try TimeOfDay(parsing: "7h05").minutes == 425)
        let noon = try #require(TimeOfDay(hour: 12))
        #expect(OpeningInterval(start: noon, end: noon) == nil)
    }

    @Test func weeklyScheduleFromText() throws {
        let schedule = try WeeklySchedule(parsing: [.monday: "08:00-12:00, 13:00-18:00", .saturday: "fechado"])
        #expect(OpeningInterval.format(schedule[.monday]) == "08:00-12:00, 13:00-18:00")
        #expect(schedule[.saturday].isEmpty)
        #expect(schedule[.tuesday].isEmpty)
        #expect(throws: OpeningHoursError.self) { try WeeklySchedule(parsing: [.friday: "12:00-08:00"]) }
    }

    @Test func standardWeek() {
        let week = WeeklySchedule.standard
        for weekday in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] {
            #expect(OpeningInterval.format(week[weekday]) == "08:00-18:00")
        }
        #expect(OpeningInterval.format(week[.saturday]) == "08:00-12:00")
        #expect(week[.sunday].isEmpty)
    }
}

/// One line of a year's holiday list for the admin page: a national holiday or a dated exception.
public struct HolidayCalendarEntry: Sendable, Hashable, Codable {
    /// Where an entry comes from.
    public enum Source: String, Sendable, Hashable, Codable {
        /// One of Brazil's national holidays.
        case nationalHoliday
        /// A dated exception configured by the business.
        case exception
    }

    /// The date of the holiday or exception.
    public let date: LocalDate
    /// The holiday's name in the requested language, or the exception's name as configured.
    public let name: String
    /// The holiday key (see `BrazilianHolidays.keys`); `nil` for exceptions.
    public let key: String?
    /// Whether the entry is a national holiday or an exception.
    public let source: Source
    /// Whether the entry decides that day's hours (false for a disabled holiday or one overridden by an exception).
    public let observed: Bool
    /// The opening intervals actually in force that day; empty when closed.
    public let intervals: [OpeningInterval]

    /// Creates an entry.
    public init(date: LocalDate, name: String, key: String?, source: Source, observed: Bool, intervals: [OpeningInterval]) {
        self.date = date
        self.name = name
        self.key = key
        self.source = source
        self.observed = observed
        self.intervals = intervals
    }
}

extension OpeningHours {
    /// The national holidays and dated exceptions of `year`, sorted by date (a holiday before an exception on the same date).
    public func holidayCalendar(year: Int, language tag: String = "pt-BR") -> [HolidayCalendarEntry] {
        let holidays = BrazilianHolidays.holidays(in: year).map { holiday in
            HolidayCalendarEntry(
                date: holiday.date,
                name: holiday.name(language: tag),
                key: holiday.key,
                source: .nationalHoliday,
                observed: observes(holidayKey: holiday.key) && exception(on: holiday.date) == nil,
                intervals: intervals(on: holiday.date)
            )
        }
        let dated = exceptions.filter { $0.date.year == year }.map { exception in
            HolidayCalendarEntry(
                date: exception.date,
                name: exception.name,
                key: nil,
                source: .exception,
                observed: self.exception(on: exception.date) == exception,
                intervals: intervals(on: exception.date)
            )
        }
        return (holidays + dated).enumerated()
            .sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }
            .map(\.element)
    }
}

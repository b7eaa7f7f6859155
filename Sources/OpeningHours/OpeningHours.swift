public import Foundation

/// A business's whole opening-hours policy: weekly hours, dated exceptions and national holidays, in one time zone.
///
/// Precedence for a date: a dated exception wins; else an observed national holiday closes the day; else the weekly hours.
public struct OpeningHours: Sendable, Hashable, Codable {
    /// The time zone used when no other is configured.
    public static let defaultTimeZoneIdentifier = "America/Sao_Paulo"

    /// The IANA identifier of the time zone the hours are expressed in.
    public var timeZoneIdentifier: String
    /// The regular hours for each weekday.
    public var weekly: WeeklySchedule
    /// Dated exceptions; if several share a date, the first one wins.
    public var exceptions: [DatedException]
    /// Whether Brazil's national holidays close the business.
    public var observesNationalHolidays: Bool
    /// Keys of national holidays (see `BrazilianHolidays.keys`) on which the business works anyway.
    public var disabledHolidayKeys: Set<String>

    /// Open every day 00:00-24:00, ignoring holidays: the policy for an agent without configured hours.
    public static let alwaysOpen = OpeningHours(weekly: .everyDayAllDay, observesNationalHolidays: false)

    /// Creates a policy; by default the standard week in America/Sao_Paulo, observing every national holiday.
    public init(
        timeZoneIdentifier: String = OpeningHours.defaultTimeZoneIdentifier,
        weekly: WeeklySchedule = .standard,
        exceptions: [DatedException] = [],
        observesNationalHolidays: Bool = true,
        disabledHolidayKeys: Set<String> = []
    ) {
        self.timeZoneIdentifier = timeZoneIdentifier
        self.weekly = weekly
        self.exceptions = exceptions
        self.observesNationalHolidays = observesNationalHolidays
        self.disabledHolidayKeys = disabledHolidayKeys
    }

    /// The schedule's time zone; if the identifier is unknown, a fixed UTC-03:00 (Brasília time) — see `validate()`.
    public var timeZone: TimeZone {
        TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(secondsFromGMT: -3 * 3600) ?? .gmt
    }

    /// Throws if the time zone is unknown or if intervals of the same day overlap (weekly or in an exception).
    public func validate() throws(OpeningHoursError) {
        guard TimeZone(identifier: timeZoneIdentifier) != nil else { throw .unknownTimeZone(timeZoneIdentifier) }
        try weekly.validate()
        for exception in exceptions {
            try OpeningInterval.checkNoOverlap(exception.intervals)
        }
    }

    /// Whether the national holiday with `key` closes the business under this policy.
    public func observes(holidayKey key: String) -> Bool {
        observesNationalHolidays && !disabledHolidayKeys.contains(key)
    }

    /// The first exception for `date`, if any.
    public func exception(on date: LocalDate) -> DatedException? {
        exceptions.first { $0.date == date }
    }

    /// Why `date` has the hours it has: a dated exception, an observed national holiday, or the weekly schedule.
    public func reason(on date: LocalDate) -> DayReason {
        if let exception = exception(on: date) {
            return .exception(exception)
        }
        if let holiday = BrazilianHolidays.holidays(on: date).first(where: { observes(holidayKey: $0.key) }) {
            return .nationalHoliday(holiday)
        }
        return .weekly(date.weekday)
    }

    /// The opening intervals on `date`, sorted by start; empty when closed all day.
    public func intervals(on date: LocalDate) -> [OpeningInterval] {
        switch reason(on: date) {
        case .exception(let exception): exception.intervals.sorted { $0.start < $1.start }
        case .nationalHoliday: []
        case .weekly(let weekday): weekly[weekday]
        }
    }

    /// Decodes a stored policy; missing fields take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            timeZoneIdentifier: try container.decodeIfPresent(String.self, forKey: .timeZoneIdentifier) ?? Self.defaultTimeZoneIdentifier,
            weekly: try container.decodeIfPresent(WeeklySchedule.self, forKey: .weekly) ?? .standard,
            exceptions: try container.decodeIfPresent([DatedException].self, forKey: .exceptions) ?? [],
            observesNationalHolidays: try container.decodeIfPresent(Bool.self, forKey: .observesNationalHolidays) ?? true,
            disabledHolidayKeys: try container.decodeIfPresent(Set<String>.self, forKey: .disabledHolidayKeys) ?? []
        )
    }

    /// Encodes the policy, with `disabledHolidayKeys` sorted so the JSON is stable.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeZoneIdentifier, forKey: .timeZoneIdentifier)
        try container.encode(weekly, forKey: .weekly)
        try container.encode(exceptions, forKey: .exceptions)
        try container.encode(observesNationalHolidays, forKey: .observesNationalHolidays)
        try container.encode(disabledHolidayKeys.sorted(), forKey: .disabledHolidayKeys)
    }

    private enum CodingKeys: String, CodingKey {
        case timeZoneIdentifier, weekly, exceptions, observesNationalHolidays, disabledHolidayKeys
    }
}

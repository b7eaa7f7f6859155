public import Foundation

extension LocalDate {
    /// The local date of `instant` as seen on a wall clock in `timeZone`.
    public init(_ instant: Date, in timeZone: TimeZone) {
        let parts = Calendar.gregorian(in: timeZone).dateComponents([.year, .month, .day], from: instant)
        self.init(unchecked: parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// The instant at which wall clocks in `timeZone` show `time` on this date.
    ///
    /// 24:00 is midnight at the start of the next day. A time skipped by a daylight-saving change
    /// resolves to the first instant after the gap, as Foundation's `Calendar` does.
    public func instant(at time: TimeOfDay, in timeZone: TimeZone) -> Date? {
        let date = time == .endOfDay ? adding(days: 1) : self
        let minutes = time == .endOfDay ? 0 : time.minutes
        var parts = DateComponents()
        parts.year = date.year
        parts.month = date.month
        parts.day = date.day
        parts.hour = minutes / 60
        parts.minute = minutes % 60
        return Calendar.gregorian(in: timeZone).date(from: parts)
    }
}

extension Calendar {
    /// A Gregorian calendar whose time zone is `timeZone`.
    static func gregorian(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

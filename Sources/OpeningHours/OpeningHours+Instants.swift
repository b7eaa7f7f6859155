public import Foundation

extension OpeningHours {
    /// The longest look-ahead of `nextOpening(after:)`, in days.
    public static let searchHorizonDays = 400

    /// Whether the business is open at `instant`, judged by the wall clock in the schedule's time zone.
    ///
    /// Interval starts are inclusive and ends exclusive: with 08:00-18:00, 08:00 is open and 18:00 is closed.
    public func isOpen(at instant: Date) -> Bool {
        let zone = timeZone
        let parts = Calendar.gregorian(in: zone).dateComponents([.year, .month, .day, .hour, .minute], from: instant)
        guard let hour = parts.hour, let minute = parts.minute, let time = TimeOfDay(hour: hour, minute: minute) else {
            return false
        }
        return intervals(on: LocalDate(instant, in: zone)).contains { $0.contains(time) }
    }

    /// The first instant at or after `instant` at which the business is open: `instant` itself when open now.
    ///
    /// Looks at most `searchHorizonDays` days ahead and returns `nil` when the business never opens in that span.
    public func nextOpening(after instant: Date) -> Date? {
        if isOpen(at: instant) {
            return instant
        }
        let zone = timeZone
        let today = LocalDate(instant, in: zone)
        for offset in 0...Self.searchHorizonDays {
            let date = today.adding(days: offset)
            for interval in intervals(on: date) {
                // Skip starts already past and intervals swallowed by a daylight-saving gap.
                guard let start = date.instant(at: interval.start, in: zone), start > instant, isOpen(at: start) else { continue }
                return start
            }
        }
        return nil
    }
}

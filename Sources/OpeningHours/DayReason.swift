/// Which rule decides a date's hours under an `OpeningHours` policy.
public enum DayReason: Sendable, Hashable {
    /// A dated exception replaces the hours (closed all day when it has no intervals).
    case exception(DatedException)
    /// An observed national holiday closes the day.
    case nationalHoliday(Holiday)
    /// The weekly schedule for that weekday applies.
    case weekly(Weekday)

    /// The exception's or holiday's name (Portuguese or English per `tag`); `nil` for an ordinary weekly day.
    public func name(language tag: String) -> String? {
        switch self {
        case .exception(let exception): exception.name
        case .nationalHoliday(let holiday): holiday.name(language: tag)
        case .weekly: nil
        }
    }
}

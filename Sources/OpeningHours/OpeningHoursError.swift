/// An error raised while parsing or validating opening hours.
public enum OpeningHoursError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A time such as "25:00" or "8:75" that is not a valid time of day.
    case invalidTime(String)
    /// An interval that is not written as "start-end", such as "08:00" or "08:00-12:00-13:00".
    case malformedInterval(String)
    /// An interval whose end is not after its start, such as "12:00-08:00".
    case endNotAfterStart(String)
    /// Two intervals of the same day that overlap, such as "08:00-12:00" and "11:00-13:00".
    case overlappingIntervals(String, String)
    /// A date that is not a valid "YYYY-MM-DD" calendar date.
    case invalidDate(String)
    /// A time zone identifier unknown to the system's time zone database.
    case unknownTimeZone(String)

    /// A short English explanation of the error.
    public var description: String {
        switch self {
        case .invalidTime(let text):
            "Invalid time \"\(text)\": use HH:MM between 00:00 and 24:00, for example 08:00 or 8h30."
        case .malformedInterval(let text):
            "Invalid interval \"\(text)\": write it as start-end, for example 08:00-12:00."
        case .endNotAfterStart(let text):
            "Invalid interval \"\(text)\": the end must be after the start (an interval cannot cross midnight)."
        case .overlappingIntervals(let first, let second):
            "The intervals \(first) and \(second) overlap."
        case .invalidDate(let text):
            "Invalid date \"\(text)\": use YYYY-MM-DD, for example 2027-02-09."
        case .unknownTimeZone(let identifier):
            "Unknown time zone \"\(identifier)\": use an IANA identifier such as America/Sao_Paulo."
        }
    }
}

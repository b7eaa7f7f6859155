import Foundation
import OpeningHours
import Testing

let saoPaulo = "America/Sao_Paulo"
let newYork = "America/New_York"

/// The instant at which wall clocks in `zone` show the given local date and time.
func instant(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0, zone: String = saoPaulo) throws -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: zone))
    let parts = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)
    return try #require(calendar.date(from: parts))
}

/// The local year, month, day, hour, minute and weekday of `date` in `zone`.
func localParts(_ date: Date, zone: String = saoPaulo) throws -> DateComponents {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: zone))
    return calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
}

/// A date from "YYYY-MM-DD".
func day(_ text: String) throws -> LocalDate {
    try LocalDate(parsing: text)
}

/// A day's intervals from text such as "08:00-12:00, 13:00-18:00".
func hours(_ text: String) throws -> [OpeningInterval] {
    try OpeningInterval.parseList(text)
}

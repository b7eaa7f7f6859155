public import Foundation

/// The next opening in words relative to now ("amanhã (quinta-feira) às 08:00"), and the handoff sentence that uses it.
public enum NextOpeningPhrase {
    /// Describes `opening` relative to `now`, both read on wall clocks in `timeZone`.
    ///
    /// - Same day: "hoje às 14:00" / "today at 14:00".
    /// - Next day: "amanhã (quinta-feira) às 08:00" / "tomorrow (Thursday) at 08:00".
    /// - Two to six days ahead: "na quinta-feira às 08:00", "no sábado às 08:00" / "on Thursday at 08:00".
    /// - Later: "na quarta-feira, 10 de fevereiro, às 08:00" / "on Wednesday, February 10, at 08:00";
    ///   the year is added ("10 de fevereiro de 2028", "February 10, 2028") when it differs from now's year.
    public static func phrase(for opening: Date, relativeTo now: Date, timeZone: TimeZone, language tag: String) -> String {
        let calendar = Calendar.gregorian(in: timeZone)
        let parts = calendar.dateComponents([.hour, .minute], from: opening)
        let time = "\(TimeOfDay.twoDigits(parts.hour ?? 0)):\(TimeOfDay.twoDigits(parts.minute ?? 0))"
        let day = LocalDate(opening, in: timeZone)
        let today = LocalDate(now, in: timeZone)
        let distance = max(0, day.days(since: today))
        let showYear = day.year != today.year
        switch PhraseLanguage(tag: tag) {
        case .portuguese:
            return portuguese(day: day, distance: distance, time: time, showYear: showYear)
        case .english:
            return english(day: day, distance: distance, time: time, showYear: showYear)
        }
    }

    /// The sentence sent when a customer asks for a person outside business hours; `next` is a phrase from
    /// `phrase(for:relativeTo:timeZone:language:)`, or `nil` when the business has no next opening.
    public static func handoffOutsideHours(next: String?, language tag: String) -> String {
        switch PhraseLanguage(tag: tag) {
        case .portuguese:
            let when = next.map { "quando abrirmos, \($0)" } ?? "assim que possível"
            return "Certo! Estamos fora do horário de atendimento agora. Uma pessoa da nossa equipe vai responder \(when)."
        case .english:
            let when = next.map { "when we open, \($0)" } ?? "as soon as possible"
            return "Sure! We're outside business hours right now. A member of our team will answer \(when)."
        }
    }

    private static func portuguese(day: LocalDate, distance: Int, time: String, showYear: Bool) -> String {
        let weekday = day.weekday
        let article = weekday.isMasculineInPortuguese ? "no" : "na"
        switch distance {
        case 0:
            return "hoje às \(time)"
        case 1:
            return "amanhã (\(weekday.portugueseName)) às \(time)"
        case 2...6:
            return "\(article) \(weekday.portugueseName) às \(time)"
        default:
            let year = showYear ? " de \(day.year)" : ""
            return "\(article) \(weekday.portugueseName), \(day.day) de \(MonthNames.portuguese(day.month))\(year), às \(time)"
        }
    }

    private static func english(day: LocalDate, distance: Int, time: String, showYear: Bool) -> String {
        let weekday = day.weekday.englishName
        switch distance {
        case 0:
            return "today at \(time)"
        case 1:
            return "tomorrow (\(weekday)) at \(time)"
        case 2...6:
            return "on \(weekday) at \(time)"
        default:
            let year = showYear ? ", \(day.year)" : ""
            return "on \(weekday), \(MonthNames.english(day.month)) \(day.day)\(year), at \(time)"
        }
    }
}

extension OpeningHours {
    /// The next opening after `now` in words (see `NextOpeningPhrase`), or `nil` when there is none within the horizon.
    public func nextOpeningPhrase(after now: Date, language tag: String) -> String? {
        nextOpening(after: now).map { NextOpeningPhrase.phrase(for: $0, relativeTo: now, timeZone: timeZone, language: tag) }
    }

    /// The outside-hours handoff sentence for `now`, naming the next opening or saying "as soon as possible" when there is none.
    public func handoffOutsideHours(at now: Date, language tag: String) -> String {
        NextOpeningPhrase.handoffOutsideHours(next: nextOpeningPhrase(after: now, language: tag), language: tag)
    }
}

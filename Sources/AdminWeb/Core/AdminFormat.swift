public import Foundation

/// Numbers, credits, durations and dates written the way each language reads them.
public enum AdminFormat {
    /// `1.234` (pt-BR) / `1,234` (en).
    public static func number(_ value: Int, _ language: AdminLanguage) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(language == .portuguese ? "." : ",") }
            grouped.append(character)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A decimal with `places` decimals: `1.234,50` / `1,234.50`.
    public static func decimal(_ value: Double, places: Int, _ language: AdminLanguage) -> String {
        let rounded = (value * pow(10, Double(places))).rounded() / pow(10, Double(places))
        let whole = Int(rounded.magnitude.rounded(.down))
        let fraction = Int(((rounded.magnitude - Double(whole)) * pow(10, Double(places))).rounded())
        var text = number(whole, language)
        if places > 0 {
            text += (language == .portuguese ? "," : ".") + String(format: "%0\(places)d", fraction)
        }
        return (rounded < 0 ? "-" : "") + text
    }

    /// Credits from micro-credits, with two decimals (more when the amount is smaller than a cent).
    public static func credits(micros: Int64, _ language: AdminLanguage) -> String {
        let value = Double(micros) / 1_000_000
        let places = micros != 0 && abs(micros) < 10_000 ? 6 : 2
        return decimal(value, places: places, language)
    }

    /// `850 ms` / `1,2 s` / `2 min 5 s` / `9 h 5 min` / `2 d 3 h`.
    public static func duration(milliseconds: Int, _ language: AdminLanguage) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 { return decimal(Double(milliseconds) / 1000, places: 1, language) + " s" }
        let seconds = milliseconds / 1000
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        let minutes = seconds / 60
        if minutes < 24 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) d \(minutes % 1440 / 60) h"
    }

    /// `07/03/2025 14:05` / `2025-03-07 14:05`, in the server's time zone.
    public static func dateTime(_ date: Date, _ language: AdminLanguage, timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = language == .portuguese ? "dd/MM/yyyy HH:mm" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// `2025-03-07T14:05:09Z` (CSV, machine-readable).
    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// A wall-clock time of day with minute precision, from 00:00 to 24:00 (24:00 is only meaningful as an interval end).
public struct TimeOfDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Minutes since midnight, in 0...1440.
    public let minutes: Int

    /// Midnight at the start of the day (00:00).
    public static let midnight = TimeOfDay(unchecked: 0)
    /// Midnight at the end of the day (24:00).
    public static let endOfDay = TimeOfDay(unchecked: 1440)

    /// Creates a time from minutes since midnight; `nil` outside 0...1440.
    public init?(minutes: Int) {
        guard (0...1440).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    /// Creates a time from an hour and a minute; `nil` unless it lies between 00:00 and 24:00.
    public init?(hour: Int, minute: Int = 0) {
        guard (0...24).contains(hour), (0...59).contains(minute) else { return nil }
        self.init(minutes: hour * 60 + minute)
    }

    /// Parses "08:00", "8:00", "8h", "8h30", "08h30" or "8" (surrounding spaces are ignored).
    public init(parsing text: String) throws(OpeningHoursError) {
        guard let time = TimeOfDay.parse(text) else { throw .invalidTime(text.trimmedSpaces) }
        self = time
    }

    init(unchecked minutes: Int) {
        self.minutes = minutes
    }

    /// The hour component (0...24).
    public var hour: Int { minutes / 60 }

    /// The minute component (0...59).
    public var minute: Int { minutes % 60 }

    /// The time as "HH:MM", for example "08:00" or "24:00".
    public var description: String {
        "\(Self.twoDigits(hour)):\(Self.twoDigits(minute))"
    }

    /// Orders times chronologically.
    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool {
        lhs.minutes < rhs.minutes
    }

    /// Decodes a time stored as "HH:MM".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = TimeOfDay.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: OpeningHoursError.invalidTime(text).description)
        }
        self = time
    }

    /// Encodes the time as "HH:MM".
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func parse(_ raw: String) -> TimeOfDay? {
        let text = raw.trimmedSpaces.lowercased()
        let hourDigits = text.prefix { $0.isASCII && $0.isNumber }
        guard (1...2).contains(hourDigits.count), let hour = Int(hourDigits) else { return nil }
        var rest = text.dropFirst(hourDigits.count)
        if let separator = rest.first, separator == ":" || separator == "h" {
            rest = rest.dropFirst()
        } else if !rest.isEmpty {
            return nil
        }
        var minute = 0
        if !rest.isEmpty {
            guard rest.count == 2, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(rest) else { return nil }
            minute = value
        } else if text.hasSuffix(":") {
            return nil
        }
        return TimeOfDay(hour: hour, minute: minute)
    }
}

/// A span of opening time within one day, start inclusive and end exclusive; it never crosses midnight.
public struct OpeningInterval: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The first minute the business is open.
    public let start: TimeOfDay
    /// The first minute the business is closed again (24:00 means until midnight).
    public let end: TimeOfDay

    /// The whole day, 00:00-24:00.
    public static let wholeDay = OpeningInterval(unchecked: .midnight, .endOfDay)

    /// Creates an interval; `nil` unless `start < end`.
    public init?(start: TimeOfDay, end: TimeOfDay) {
        guard start < end else { return nil }
        self.start = start
        self.end = end
    }

    /// Parses one interval such as "08:00-12:00", "8h-12h" or "08:00 – 12:00" (hyphen, en dash or em dash).
    public init(parsing text: String) throws(OpeningHoursError) {
        let trimmed = text.trimmedSpaces
        let parts = trimmed.split(omittingEmptySubsequences: false) { Self.dashes.contains($0) }
        guard parts.count == 2 else { throw .malformedInterval(trimmed) }
        let start = try TimeOfDay(parsing: String(parts[0]))
        let end = try TimeOfDay(parsing: String(parts[1]))
        guard let interval = OpeningInterval(start: start, end: end) else { throw .endNotAfterStart(trimmed) }
        self = interval
    }

    init(unchecked start: TimeOfDay, _ end: TimeOfDay) {
        self.start = start
        self.end = end
    }

    /// The interval as "HH:MM-HH:MM", for example "08:00-12:00".
    public var description: String { "\(start)-\(end)" }

    /// Whether the given time of day falls inside the interval (start inclusive, end exclusive).
    public func contains(_ time: TimeOfDay) -> Bool {
        start <= time && time < end
    }

    /// Whether the two intervals share at least one minute (touching intervals do not overlap).
    public func overlaps(_ other: OpeningInterval) -> Bool {
        start < other.end && other.start < end
    }

    /// Decodes `{"start": "08:00", "end": "12:00"}`, rejecting an end that is not after the start.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let start = try container.decode(TimeOfDay.self, forKey: .start)
        let end = try container.decode(TimeOfDay.self, forKey: .end)
        guard let interval = OpeningInterval(start: start, end: end) else {
            let error = OpeningHoursError.endNotAfterStart("\(start)-\(end)")
            throw DecodingError.dataCorruptedError(forKey: .end, in: container, debugDescription: error.description)
        }
        self = interval
    }

    private enum CodingKeys: String, CodingKey {
        case start, end
    }

    private static let dashes: Set<Character> = ["-", "\u{2013}", "\u{2014}"]
}

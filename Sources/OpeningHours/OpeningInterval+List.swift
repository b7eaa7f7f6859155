extension OpeningInterval {
    /// Words that mean "closed all day" when a day's hours are parsed (compared case-insensitively).
    public static let closedWords: Set<String> = ["fechado", "closed"]

    /// Parses one day's hours such as "08:00-12:00, 13:30-18:00" (comma or semicolon separated), sorted by start.
    ///
    /// An empty text, "fechado" or "closed" means closed all day and gives an empty list.
    /// Malformed, reversed and overlapping intervals are rejected.
    public static func parseList(_ text: String) throws(OpeningHoursError) -> [OpeningInterval] {
        let trimmed = text.trimmedSpaces
        if trimmed.isEmpty || closedWords.contains(trimmed.lowercased()) {
            return []
        }
        var intervals: [OpeningInterval] = []
        for part in trimmed.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "," || $0 == ";" }) {
            intervals.append(try OpeningInterval(parsing: String(part)))
        }
        let sorted = intervals.sorted { $0.start < $1.start }
        try checkNoOverlap(sorted)
        return sorted
    }

    /// Formats one day's hours as "08:00-12:00, 13:30-18:00"; an empty list (closed) gives "".
    public static func format(_ intervals: [OpeningInterval]) -> String {
        intervals.sorted { $0.start < $1.start }.map(\.description).joined(separator: ", ")
    }

    /// Throws `overlappingIntervals` for the first pair of intervals that overlap.
    public static func checkNoOverlap(_ intervals: [OpeningInterval]) throws(OpeningHoursError) {
        let sorted = intervals.sorted { $0.start < $1.start }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.overlaps(next) {
            throw .overlappingIntervals(previous.description, next.description)
        }
    }
}

/// Hours for one specific date that replace the weekly schedule (and any national holiday) on that date.
public struct DatedException: Sendable, Hashable, Codable {
    /// The date the exception applies to.
    public var date: LocalDate
    /// A label for the admin page, for example "Férias coletivas" or "Inventário".
    public var name: String
    /// The hours that day; empty means closed all day.
    public var intervals: [OpeningInterval]

    /// Creates an exception; pass no intervals to close the whole day.
    public init(date: LocalDate, name: String, intervals: [OpeningInterval] = []) {
        self.date = date
        self.name = name
        self.intervals = intervals.sorted { $0.start < $1.start }
    }

    /// Whether the exception closes the whole day.
    public var isClosedAllDay: Bool { intervals.isEmpty }

    /// Decodes an exception; missing `intervals` means closed all day and a missing `name` is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            date: try container.decode(LocalDate.self, forKey: .date),
            name: try container.decodeIfPresent(String.self, forKey: .name) ?? "",
            intervals: try container.decodeIfPresent([OpeningInterval].self, forKey: .intervals) ?? []
        )
    }

    private enum CodingKeys: String, CodingKey {
        case date, name, intervals
    }
}

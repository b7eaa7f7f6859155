/// The regular opening intervals for each day of the week; a day without intervals is closed.
public struct WeeklySchedule: Sendable, Hashable, Codable {
    private var days: [Weekday: [OpeningInterval]]

    /// Monday to Friday 08:00-18:00, Saturday 08:00-12:00, Sunday closed.
    public static let standard: WeeklySchedule = {
        let weekdays = OpeningInterval(unchecked: TimeOfDay(unchecked: 8 * 60), TimeOfDay(unchecked: 18 * 60))
        let saturday = OpeningInterval(unchecked: TimeOfDay(unchecked: 8 * 60), TimeOfDay(unchecked: 12 * 60))
        var schedule = WeeklySchedule()
        for day in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] {
            schedule[day] = [weekdays]
        }
        schedule[.saturday] = [saturday]
        return schedule
    }()

    /// Every day 00:00-24:00.
    public static let everyDayAllDay = WeeklySchedule(Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [.wholeDay]) }))

    /// Creates a schedule from each day's intervals; missing days are closed.
    public init(_ days: [Weekday: [OpeningInterval]] = [:]) {
        self.days = [:]
        for (day, intervals) in days {
            self[day] = intervals
        }
    }

    /// Parses each day's hours text (see `OpeningInterval.parseList`); missing days are closed.
    public init(parsing texts: [Weekday: String]) throws(OpeningHoursError) {
        self.init()
        for (day, text) in texts {
            self[day] = try OpeningInterval.parseList(text)
        }
    }

    /// The intervals of a weekday, sorted by start; empty when closed.
    public subscript(day: Weekday) -> [OpeningInterval] {
        get { days[day] ?? [] }
        set { days[day] = newValue.isEmpty ? nil : newValue.sorted { $0.start < $1.start } }
    }

    /// Whether no day has any interval (the business is never open by this schedule).
    public var isAlwaysClosed: Bool {
        days.values.allSatisfy(\.isEmpty)
    }

    /// Throws `overlappingIntervals` if two intervals of the same weekday overlap.
    public func validate() throws(OpeningHoursError) {
        for day in Weekday.allCases {
            try OpeningInterval.checkNoOverlap(self[day])
        }
    }

    /// Decodes `{"monday": [{"start": "08:00", "end": "18:00"}], ...}`; missing days are closed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DayKey.self)
        self.init()
        for day in Weekday.allCases {
            self[day] = try container.decodeIfPresent([OpeningInterval].self, forKey: DayKey(day)) ?? []
        }
    }

    /// Encodes every weekday by its English key, closed days as empty lists.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DayKey.self)
        for day in Weekday.allCases {
            try container.encode(self[day], forKey: DayKey(day))
        }
    }

    private struct DayKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }

        init(_ day: Weekday) {
            stringValue = day.key
        }

        init?(stringValue: String) {
            self.stringValue = stringValue
        }

        init?(intValue: Int) {
            nil
        }
    }
}

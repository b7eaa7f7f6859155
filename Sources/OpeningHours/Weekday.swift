/// A day of the week, numbered like Foundation's Gregorian `Calendar` (1 = Sunday ... 7 = Saturday).
public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable {
    /// Sunday (domingo).
    case sunday = 1
    /// Monday (segunda-feira).
    case monday
    /// Tuesday (terça-feira).
    case tuesday
    /// Wednesday (quarta-feira).
    case wednesday
    /// Thursday (quinta-feira).
    case thursday
    /// Friday (sexta-feira).
    case friday
    /// Saturday (sábado).
    case saturday

    /// The lowercase English name, also used as the JSON key in `WeeklySchedule`, for example "monday".
    public var key: String {
        switch self {
        case .sunday: "sunday"
        case .monday: "monday"
        case .tuesday: "tuesday"
        case .wednesday: "wednesday"
        case .thursday: "thursday"
        case .friday: "friday"
        case .saturday: "saturday"
        }
    }

    /// The English name, for example "Thursday".
    public var englishName: String {
        key.prefix(1).uppercased() + key.dropFirst()
    }

    /// The Portuguese name in lowercase, for example "quinta-feira" or "sábado".
    public var portugueseName: String {
        switch self {
        case .sunday: "domingo"
        case .monday: "segunda-feira"
        case .tuesday: "terça-feira"
        case .wednesday: "quarta-feira"
        case .thursday: "quinta-feira"
        case .friday: "sexta-feira"
        case .saturday: "sábado"
        }
    }

    /// Whether the Portuguese name is masculine ("no sábado", "no domingo") rather than feminine ("na segunda-feira").
    public var isMasculineInPortuguese: Bool {
        self == .saturday || self == .sunday
    }
}

/// Month names written out by hand so that phrases do not depend on the system's locale data.
enum MonthNames {
    /// The English month name for 1...12, for example "February".
    static func english(_ month: Int) -> String {
        name(month, in: english)
    }

    /// The Portuguese month name in lowercase for 1...12, for example "fevereiro".
    static func portuguese(_ month: Int) -> String {
        name(month, in: portuguese)
    }

    private static func name(_ month: Int, in names: [String]) -> String {
        names.indices.contains(month - 1) ? names[month - 1] : String(month)
    }

    private static let english = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    private static let portuguese = [
        "janeiro", "fevereiro", "março", "abril", "maio", "junho",
        "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
    ]
}

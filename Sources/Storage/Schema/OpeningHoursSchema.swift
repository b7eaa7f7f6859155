import GRDB

extension AppDatabase {
    /// Each agent's opening hours (a weekly schedule, dated exceptions and the national holidays it observes, as JSON),
    /// and what its assistant does outside them.
    static func registerOpeningHoursSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("agents v2: opening hours") { db in
            try db.alter(table: "agent") { t in
                t.add(column: "openingHours", .text)
                t.add(column: "outsideHours", .text).notNull().defaults(to: "answer")
                t.add(column: "awayMessage", .text)
            }
        }
    }
}

import GRDB

extension AppDatabase {
    /// Tables of the prepaid credit ledger.
    static func registerCreditsSchema(_ migrator: inout DatabaseMigrator) {
    }
}

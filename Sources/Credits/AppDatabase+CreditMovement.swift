import GRDB
public import Storage

/// Ledger entries recorded after a cursor: what the metrics scrape adds to its balance and spending.
public struct CreditMovement: Sendable, Hashable {
    /// The sum of the entries (top-ups, debits, adjustments), in micro-credits.
    public var total: Int64 = 0
    /// What the debits among them took, in micro-credits (a positive number).
    public var spent: Int64 = 0
    /// The largest entry id counted; `nil` when there was none.
    public var lastEntryID: Int64?
}

extension AppDatabase {
    /// The ledger entries with an id above `entryID`.
    public func creditMovement(afterEntry entryID: Int64) throws -> CreditMovement {
        try reader.readNow { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(amount), 0) AS total, COALESCE(-SUM(CASE WHEN kind = 'debit' THEN amount ELSE 0 END), 0) AS spent,
                           MAX(id) AS last
                    FROM creditEntry WHERE id > ?
                    """,
                arguments: [entryID]
            )
            return CreditMovement(total: row?["total"] ?? 0, spent: row?["spent"] ?? 0, lastEntryID: row?["last"])
        }
    }
}

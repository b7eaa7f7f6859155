import GRDB

extension AppDatabase {
    /// Tables of the prepaid credit ledger (records and queries live in the `Credits` module).
    ///
    /// - `creditEntry`: the append-only ledger. One row per top-up, debit or adjustment; `amount` is a signed integer
    ///   in micro-credits (1 credit = 1 000 000), positive for money in, negative for money out. The balance is
    ///   `SUM(amount)`; nothing stores it. `externalId` (a payment provider's event id, an API idempotency key) is
    ///   unique where present; `reservationId` ties a debit to the reservation it settled, at most once. Triggers
    ///   refuse every UPDATE and DELETE.
    /// - `creditReservation`: holds on the balance taken before an LLM call (the estimated maximum cost), so that
    ///   concurrent turns cannot overdraw. `state` goes `open` → `settled` | `released` | `expired`; an open hold
    ///   stops counting once `expiresAt` has passed (a crashed turn's hold lapses by itself).
    static func registerCreditsSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("credits v1: ledger and reservations") { db in
            try db.create(table: "creditReservation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("amount", .integer).notNull().check { $0 >= 0 }
                t.column("reference", .text)
                t.column("state", .text).notNull().check { ["open", "settled", "released", "expired"].contains($0) }
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
                t.column("closedAt", .datetime)
            }
            try db.create(index: "creditReservation_open", on: "creditReservation", columns: ["state", "expiresAt"])
            try db.create(table: "creditEntry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull().check { ["topUp", "debit", "adjustment"].contains($0) }
                t.column("amount", .integer).notNull()
                t.column("reason", .text).notNull()
                t.column("actor", .text).notNull()
                t.column("externalId", .text).unique()
                t.column("reference", .text)
                t.column("reservationId", .integer).unique().references("creditReservation", onDelete: .restrict)
                t.column("createdAt", .datetime).notNull()
                t.check(sql: "(kind = 'topUp' AND amount > 0) OR (kind = 'debit' AND amount <= 0) OR kind = 'adjustment'")
            }
            try db.execute(
                sql: """
                    CREATE TRIGGER creditEntry_noUpdate BEFORE UPDATE ON creditEntry
                    BEGIN SELECT RAISE(ABORT, 'the credit ledger is append-only'); END;
                    CREATE TRIGGER creditEntry_noDelete BEFORE DELETE ON creditEntry
                    BEGIN SELECT RAISE(ABORT, 'the credit ledger is append-only'); END;
                    """
            )
        }
    }
}

public import Foundation
public import GRDB

extension AppDatabase {
    /// Replaces `text` by `replacement` in every audit entry's target and detail (a customer's number erased under the
    /// LGPD: the entries stay, without it); returns how many entries changed. Runs in the caller's transaction.
    public static func redactAuditEntries(containing text: String, replacement: String, in db: Database) throws -> Int {
        guard !text.isEmpty else { return 0 }
        try db.execute(
            sql: """
                UPDATE auditEntry SET target = REPLACE(target, :text, :replacement), detail = REPLACE(detail, :text, :replacement)
                WHERE instr(target, :text) > 0 OR instr(detail, :text) > 0
                """,
            arguments: ["text": text, "replacement": replacement]
        )
        return db.changesCount
    }
}

extension AppDatabase {
    /// Writes one audit-log entry inside the caller's transaction (so it exists exactly when the change does): what
    /// happened (`customer.erase`), to what, by whom and from which address. The admin page's `AdminAudit` and the
    /// operations outside it (the API's erasure) write through here.
    public static func insertAuditEntry(
        action: String,
        target: String?,
        detail: String?,
        actor: String,
        address: String,
        at date: Date,
        in db: Database
    ) throws {
        try db.execute(
            sql: "INSERT INTO auditEntry (createdAt, actor, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [date, actor, address, action, target, detail]
        )
    }
}

import GRDB

extension AppDatabase {
    /// Tables of the admin web page (records and queries live in the `AdminWeb` module).
    ///
    /// - `adminUser`: people who sign in to `/admin`; `role` is `owner` (everything) or `operator` (day-to-day work).
    ///   `username` is unique without regard to case; `passwordHash` is a bcrypt hash.
    /// - `adminSession`: one row per signed-in browser. The cookie carries a random token; only its SHA-256 is stored
    ///   (`tokenHash`), so a copy of the database signs nobody in. `csrfToken` is the session's anti-forgery token.
    /// - `auditEntry`: who did what, when and from which address (sign-ins, setting changes, top-ups, deletions, …).
    /// - `setting`: settings saved from the admin page; they override the configuration file. A secret is stored sealed
    ///   (`sealed`, AES-GCM through `SecretBox`) and never in `value`.
    static func registerAdminSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("admin v1: users, sessions, audit log, settings") { db in
            try db.create(table: "adminUser") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("username", .text).notNull().unique().collate(.nocase)
                t.column("passwordHash", .text).notNull()
                t.column("role", .text).notNull().check { ["owner", "operator"].contains($0) }
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("lastSignInAt", .datetime)
            }
            try db.create(table: "adminSession") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("tokenHash", .text).notNull().unique()
                t.belongsTo("user", inTable: "adminUser", onDelete: .cascade).notNull()
                t.column("csrfToken", .text).notNull()
                t.column("address", .text).notNull().defaults(to: "")
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("lastSeenAt", .datetime).notNull()
            }
            try db.create(table: "auditEntry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("createdAt", .datetime).notNull().indexed()
                t.column("actor", .text).notNull()
                t.column("address", .text).notNull().defaults(to: "")
                t.column("action", .text).notNull().indexed()
                t.column("target", .text)
                t.column("detail", .text)
            }
            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .text)
                t.column("sealed", .blob)
                t.column("updatedAt", .datetime).notNull()
                t.column("updatedBy", .text).notNull()
            }
        }
        // The dashboard counts by time range: covering indexes keep those counts off the tables (10,000s of rows).
        migrator.registerMigration("admin v2: dashboard indexes") { db in
            try db.create(index: "message_dashboard", on: "message", columns: ["createdAt", "direction", "conversationId"])
            try db.create(index: "answer_dashboard", on: "answer", columns: ["createdAt", "outcome", "latencyMs"])
            try db.create(index: "creditEntry_dashboard", on: "creditEntry", columns: ["kind", "createdAt", "amount"])
        }
    }
}

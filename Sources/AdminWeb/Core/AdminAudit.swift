public import Foundation
public import GRDB
public import Storage

/// One line of the audit log (table `auditEntry`).
public struct AuditEntry: Sendable, Hashable, Codable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// The row id.
    public var id: Int64?
    /// When it happened.
    public var createdAt: Date
    /// Who: a user name, `anonymous`, `cli`, `system`.
    public var actor: String
    /// From which address.
    public var address: String
    /// What happened, a stable dotted name (`auth.sign_in`, `settings.update`, `credits.top_up`, `document.delete`, …).
    public var action: String
    /// What it was done to (a user name, a document id, a setting key).
    public var target: String?
    /// Anything else worth keeping (never a secret).
    public var detail: String?

    /// `auditEntry`.
    public static let databaseTableName = "auditEntry"

    /// Keeps the row id.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Writes the audit log: every sign-in (ok and failed), setting change, top-up, deletion, handoff/takeover/release and
/// user change, with who, when and from which address.
///
/// ```swift
/// try await admin.audit.record("document.delete", target: "\(id)", detail: document.filename, context: context)
/// // or inside a transaction, together with the change itself:
/// try AdminAudit.record("agent.update", target: name, context: context, in: db)
/// ```
public struct AdminAudit: Sendable {
    /// The database.
    public let database: AppDatabase
    /// The clock.
    public let now: @Sendable () -> Date

    /// The audit log of `database`.
    public init(database: AppDatabase, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.now = now
    }

    /// Records an action of the request's user (or `anonymous`) from the request's address.
    public func record(_ action: String, target: String? = nil, detail: String? = nil, context: AdminRequestContext) async throws {
        try await record(action, target: target, detail: detail, actor: context.actorName, address: context.remoteAddress)
    }

    /// Records an action of a named actor.
    public func record(_ action: String, target: String? = nil, detail: String? = nil, actor: String, address: String) async throws {
        let date = now()
        try await database.writer.write { db in
            try Self.insert(action, target: target, detail: detail, actor: actor, address: address, at: date, in: db)
        }
    }

    /// Records an action inside the caller's transaction (so the entry exists exactly when the change does).
    public static func record(_ action: String, target: String? = nil, detail: String? = nil, context: AdminRequestContext, in db: Database) throws {
        try insert(action, target: target, detail: detail, actor: context.actorName, address: context.remoteAddress, at: Date(), in: db)
    }

    /// Records an action of a named actor inside the caller's transaction.
    public static func insert(
        _ action: String,
        target: String?,
        detail: String?,
        actor: String,
        address: String,
        at date: Date = Date(),
        in db: Database
    ) throws {
        try AppDatabase.insertAuditEntry(action: action, target: target, detail: detail, actor: actor, address: address, at: date, in: db)
    }
}

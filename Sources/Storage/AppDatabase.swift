public import Foundation
public import GRDB

/// The daemon's database: one SQLite file in WAL mode, the store of truth.
///
/// A `Sendable` value around a GRDB `DatabaseWriter`, following GRDB's `AppDatabase` pattern: the schema lives in
/// ``migrator`` and writes are grouped into methods named for what they mean (see the `AppDatabase+*.swift` files).
public struct AppDatabase: Sendable {
    /// The connection (a `DatabasePool` in production, a `DatabaseQueue` in some tests).
    public let writer: any DatabaseWriter

    /// Wraps a connection and brings its schema up to date.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// How long a write waits for another connection's lock before failing with ``StorageError/busy``.
    public static let busyTimeout: TimeInterval = 10

    /// Opens (or creates) the database file at `url` in WAL mode and migrates it.
    ///
    /// - Throws: ``DatabaseOpenError`` when the storage is read-only, full or locked (what to do is in its message).
    public static func open(at url: URL) throws -> AppDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            db.add(tokenizer: StemmingTokenizer.self)
        }
        do {
            let pool = try DatabasePool(path: url.path, configuration: configuration)
            return try AppDatabase(pool)
        } catch {
            // SQLite says only "unable to open database file" when it cannot create the WAL index on a read-only
            // mount: ask the file system.
            guard let cause = StorageError(error) ?? (error is DatabaseError ? StorageError.probeWritable(url) : nil) else { throw error }
            throw DatabaseOpenError(path: url.path, cause: cause, detail: "\(error)")
        }
    }

    /// An empty in-memory database, for tests that need no file.
    public static func inMemory() throws -> AppDatabase {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in db.add(tokenizer: StemmingTokenizer.self) }
        return try AppDatabase(DatabaseQueue(configuration: configuration))
    }

    /// A read-only view of the database.
    public var reader: any DatabaseReader { writer }

    /// The schema, as a list of versioned migrations. Never edit a shipped migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: documents, chunks, jobs, agents") { db in
            try db.create(table: "agent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique(onConflict: .abort)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "document") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("filename", .text).notNull()
                t.column("sha256", .text).notNull().unique()
                t.column("bytes", .integer).notNull()
                t.column("format", .text)
                t.column("status", .text).notNull().indexed()
                t.column("reason", .text)
                t.column("pages", .integer)
                t.column("chunks", .integer).notNull().defaults(to: 0)
                t.column("sealedPassword", .blob)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "agentDocument") { t in
                t.belongsTo("agent", onDelete: .cascade).notNull()
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.primaryKey(["agentId", "documentId"])
            }
            try db.create(table: "chunk") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.column("ordinal", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("section", .text).notNull().defaults(to: "")
                t.column("pageStart", .integer)
                t.column("pageEnd", .integer)
                t.column("tokenCount", .integer).notNull()
                t.uniqueKey(["documentId", "ordinal"])
            }
            // The keyword index: accent- and case-insensitive, kept in step with `chunk` by triggers.
            try db.create(virtualTable: "chunkFTS", using: FTS5()) { t in
                t.synchronize(withTable: "chunk")
                t.tokenizer = .unicode61(diacritics: .remove)
                t.column("text")
                t.column("section")
            }
            try db.create(table: "chunkVector") { t in
                // The row id is the sequence number: an index snapshot replays every row after the last one it holds.
                t.autoIncrementedPrimaryKey("seq")
                t.belongsTo("chunk", onDelete: .cascade).notNull().unique()
                t.column("model", .text).notNull()
                t.column("vector", .blob).notNull()
            }
            try db.create(table: "job") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("lastError", .text)
                t.column("runAfter", .datetime).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        // Later capabilities own their tables; each registers its migrations in order (never reorder shipped ones).
        registerConversationsSchema(&migrator)
        registerCreditsSchema(&migrator)
        migrator.registerMigration("v3: Portuguese stemming in the keyword index") { db in
            // Same columns and triggers as v1's index, now through the stemming tokenizer. Creating a synchronized table
            // fills it from `chunk` (GRDB runs FTS5's 'rebuild' command), so every stored chunk is re-tokenized.
            try db.dropFTS5SynchronizationTriggers(forTable: "chunkFTS")
            try db.drop(table: "chunkFTS")
            try db.create(virtualTable: "chunkFTS", using: FTS5()) { t in
                t.synchronize(withTable: "chunk")
                t.tokenizer = StemmingTokenizer.tokenizerDescriptor()
                t.column("text")
                t.column("section")
            }
        }
        registerAdminPagesSchema(&migrator)
        registerAdminSchema(&migrator)
        registerConversationsQueueIndexes(&migrator)
        migrator.registerMigration("documents v2: pages read by OCR, reading progress") { db in
            try db.alter(table: "document") { t in
                t.add(column: "ocrPages", .text)
                t.add(column: "progressDone", .integer)
                t.add(column: "progressTotal", .integer)
            }
        }
        registerCustomerMediaSchema(&migrator)
        registerAnsweringModelSchema(&migrator)
        registerOpeningHoursSchema(&migrator)
        registerConversationLifecycleSchema(&migrator)
        registerCustomerErasureSchema(&migrator)
        registerOperatorTemplateSchema(&migrator)
        registerChannelsSchema(&migrator)
        return migrator
    }
}

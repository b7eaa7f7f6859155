public import Foundation
import GRDB

/// Backups, integrity checks and the figures the operator tools report.
extension AppDatabase {
    /// Copies the database into a new file at `url` with SQLite's online backup API.
    ///
    /// The copy is one consistent snapshot (it is taken inside a single read transaction of the WAL), so the daemon keeps
    /// reading and writing meanwhile and every transaction committed before the copy started is in it.
    public func backup(to url: URL) throws {
        let destination = try DatabaseQueue(path: url.path)
        try writer.backup(to: destination)
        try destination.close()
    }

    /// `PRAGMA integrity_check`: an empty list when the database is sound, otherwise SQLite's complaints.
    public func integrityProblems() throws -> [String] {
        try reader.read { db in
            let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            return rows == ["ok"] ? [] : rows
        }
    }

    /// Runs `body` on the database file at `url` opened read-only (no migration runs, nothing is written), for the
    /// checks `balcao doctor`, backup and restore make beside a running daemon.
    private static func readFile<Value>(at url: URL, _ body: (Database) throws -> Value) throws -> Value {
        var configuration = Configuration()
        configuration.readonly = true
        // The keyword index's tokenizer, without which `PRAGMA integrity_check` cannot read the FTS5 table.
        configuration.prepareDatabase { db in db.add(tokenizer: StemmingTokenizer.self) }
        let queue = try DatabaseQueue(path: url.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read(body)
    }

    /// Opens a database file only to check it (no migration runs, nothing is written): the problems
    /// `PRAGMA integrity_check` finds, or the error that kept the file from opening as a database.
    public static func checkIntegrity(ofFileAt url: URL) -> [String] {
        do {
            return try readFile(at: url) { db in
                let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                return rows == ["ok"] ? [] : rows
            }
        } catch {
            return ["\(error)"]
        }
    }

    /// The SHA-256 of every original the documents of a database file refer to, read without opening it for writing.
    public static func originalDigests(ofFileAt url: URL) throws -> [String] {
        try readFile(at: url) { db in try String.fetchAll(db, sql: "SELECT sha256 FROM document ORDER BY id") }
    }

    /// Migrations of a database file compared with this build's, read without opening it for writing: those not applied
    /// yet (they run at the next start) and those this build does not know (the file is from a newer Balcão).
    public static func migrationStatus(ofFileAt url: URL) throws -> (pending: [String], unknown: [String]) {
        try readFile(at: url) { db in
            let applied = try db.tableExists("grdb_migrations") ? Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
            let known = migrator.migrations
            return (known.filter { !applied.contains($0) }, applied.subtracting(known).sorted())
        }
    }

    /// The chunks of indexed documents and the stored vectors by the model that made them, read from the database file
    /// at `url` without opening it for writing (`balcao doctor` runs beside the daemon).
    public static func vectorCoverage(ofFileAt url: URL) throws -> (indexedChunks: Int, vectorsByModel: [String: Int]) {
        try readFile(at: url) { db in
            let chunks =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM chunk JOIN document ON document.id = chunk.documentId WHERE document.status = 'indexed'"
                ) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM chunkVector GROUP BY model")
            return (chunks, Dictionary(uniqueKeysWithValues: rows.map { ($0["model"] as String, $0["n"] as Int) }))
        }
    }

    /// Migrations this build knows that the database has not applied (empty when up to date).
    public func pendingMigrations() throws -> [String] {
        try reader.read { db in
            let applied = try Self.migrator.appliedIdentifiers(db)
            return Self.migrator.migrations.filter { !applied.contains($0) }
        }
    }

    /// Whether the database can be written to right now: one real write, in a scratch table, committed.
    public func probeWrite(now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, checkedAt DATETIME NOT NULL)")
            try db.execute(sql: "INSERT OR REPLACE INTO probe (id, checkedAt) VALUES (1, ?)", arguments: [now])
        }
    }

    /// The SHA-256 of every stored original the documents refer to.
    public func originalDigests() throws -> [String] {
        try reader.read { db in try String.fetchAll(db, sql: "SELECT sha256 FROM document ORDER BY id") }
    }

    /// Row counts of the main tables, for reports (a table that does not exist counts 0).
    public func tableCounts() throws -> [String: Int] {
        try reader.read(Self.tableCounts)
    }

    /// Row counts of the main tables of a database file, read without opening it for writing.
    public static func tableCounts(ofFileAt url: URL) throws -> [String: Int] {
        try readFile(at: url, tableCounts)
    }

    static func tableCounts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["document", "chunk", "chunkVector", "conversation", "message", "answer", "creditEntry"] {
            guard try db.tableExists(table) else { continue }
            counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
        }
        return counts
    }

    /// Vectors stored after sequence number `sequence`.
    public func vectorCount(after sequence: Int64) throws -> Int {
        try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunkVector WHERE seq > ?", arguments: [sequence]) ?? 0 }
    }
}

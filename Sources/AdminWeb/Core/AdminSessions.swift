import Crypto
public import Foundation
public import GRDB
public import Storage

/// A signed-in browser (table `adminSession`); the cookie's token is stored only as its SHA-256.
public struct AdminSession: Sendable, Hashable, Codable, FetchableRecord, MutablePersistableRecord {
    /// The row id.
    public var id: Int64?
    /// Hex SHA-256 of the cookie's token.
    public var tokenHash: String
    /// The user.
    public var userId: Int64
    /// The anti-forgery token of forms rendered for this session.
    public var csrfToken: String
    /// The address the session was created from.
    public var address: String
    /// When it was created.
    public var createdAt: Date
    /// When it stops working.
    public var expiresAt: Date
    /// The last request seen.
    public var lastSeenAt: Date

    /// `adminSession`.
    public static let databaseTableName = "adminSession"

    /// Keeps the row id.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Creates, finds and ends sessions. A session lasts ``lifetime`` from sign-in, and ends sooner after
/// ``idleTimeout`` without a request.
public struct AdminSessions: Sendable {
    /// The database.
    public let database: AppDatabase
    /// The longest a session lasts.
    public let lifetime: TimeInterval
    /// A session unused this long ends.
    public let idleTimeout: TimeInterval
    /// The clock.
    public let now: @Sendable () -> Date

    /// Sessions stored in `database`.
    public init(
        database: AppDatabase,
        lifetime: TimeInterval = 12 * 3600,
        idleTimeout: TimeInterval = 2 * 3600,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.database = database
        self.lifetime = lifetime
        self.idleTimeout = idleTimeout
        self.now = now
    }

    /// Starts a session for a user inside the caller's transaction; returns the cookie's token (shown once, never stored).
    public func create(userID: Int64, address: String, in db: Database) throws -> (token: String, session: AdminSession) {
        let token = AdminTokens.random()
        let date = now()
        var session = AdminSession(
            id: nil,
            tokenHash: AdminTokens.sha256(token),
            userId: userID,
            csrfToken: AdminTokens.random(),
            address: address,
            createdAt: date,
            expiresAt: date.addingTimeInterval(lifetime),
            lastSeenAt: date
        )
        try session.insert(db)
        // Expired rows are of no use to anyone: sweep them whenever someone signs in.
        try db.execute(
            sql: "DELETE FROM adminSession WHERE expiresAt <= ? OR lastSeenAt <= ?",
            arguments: [date, date.addingTimeInterval(-idleTimeout)]
        )
        return (token, session)
    }

    /// The live session and its user for a cookie's token; `nil` when unknown, expired or idle too long.
    /// Refreshes `lastSeenAt` at most once a minute (so reads stay reads).
    public func identity(token: String) async throws -> AdminIdentity? {
        guard !token.isEmpty, token.utf8.count <= 128 else { return nil }
        let hash = AdminTokens.sha256(token)
        let date = now()
        let found = try database.reader.readNow { db -> (AdminSession, AdminUser)? in
            guard let session = try AdminSession.filter(Column("tokenHash") == hash).fetchOne(db),
                let user = try AdminUser.fetchOne(db, key: session.userId)
            else { return nil }
            return (session, user)
        }
        guard let (session, user) = found, let id = session.id else { return nil }
        guard session.expiresAt > date, session.lastSeenAt > date.addingTimeInterval(-idleTimeout) else { return nil }
        if date.timeIntervalSince(session.lastSeenAt) > 60 {
            // Best effort: a full disk or a locked database must not sign the owner out (the next request tries again).
            try? await database.writer.write { db in
                try db.execute(sql: "UPDATE adminSession SET lastSeenAt = ? WHERE id = ?", arguments: [date, id])
            }
        }
        return AdminIdentity(user: user, sessionID: id, csrfToken: session.csrfToken)
    }

    /// Ends a session.
    public func delete(id: Int64) async throws {
        _ = try await database.writer.write { db in try AdminSession.deleteOne(db, key: id) }
    }
}

/// Random tokens, hashes and constant-time comparison.
public enum AdminTokens {
    /// 32 random bytes as URL-safe base64 without padding (43 characters, safe in cookies and forms).
    public static func random(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Hex SHA-256 of a string.
    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

public import Foundation
public import GRDB
import HummingbirdBcrypt
public import Storage
import Synchronization

/// A person who signs in to the admin page (table `adminUser`).
public struct AdminUser: Sendable, Hashable, Codable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// The row id.
    public var id: Int64?
    /// The sign-in name (unique, case-insensitive).
    public var username: String
    /// bcrypt hash of the password.
    public var passwordHash: String
    /// What the user may do.
    public var role: AdminRole
    /// When the user was created.
    public var createdAt: Date
    /// When the user last changed.
    public var updatedAt: Date
    /// The last successful sign-in.
    public var lastSignInAt: Date?

    /// `adminUser`.
    public static let databaseTableName = "adminUser"

    /// Keeps the row id.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension AdminRole: DatabaseValueConvertible {}

/// Why a user could not be created or changed.
public enum AdminUserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name is empty, too long or has characters other than letters, digits, `.`, `_`, `-`, `@`.
    case invalidUsername
    /// The password is shorter than ``AdminUsers/minimumPasswordLength`` or longer than 72 bytes (bcrypt's limit).
    case weakPassword
    /// Another user has this name.
    case usernameTaken
    /// The last owner cannot be deleted or demoted.
    case lastOwner
    /// No such user.
    case notFound

    public var description: String {
        switch self {
        case .invalidUsername: return "The user name must be 1 to 64 letters, digits or . _ - @"
        case .weakPassword: return "The password must have at least \(AdminUsers.minimumPasswordLength) characters (at most 72 bytes)"
        case .usernameTaken: return "Another user already has this name"
        case .lastOwner: return "The last owner cannot be removed or made an operator"
        case .notFound: return "There is no such user"
        }
    }

    /// The key of the localized message (`strings/core.json`).
    public var messageKey: String {
        switch self {
        case .invalidUsername: return "error_invalid_username"
        case .weakPassword: return "error_weak_password"
        case .usernameTaken: return "error_username_taken"
        case .lastOwner: return "error_last_owner"
        case .notFound: return "error_user_not_found"
        }
    }
}

/// The admin users: creation, password checks, roles. Passwords are hashed with bcrypt.
public struct AdminUsers: Sendable {
    /// Shortest accepted password.
    public static let minimumPasswordLength = 10
    /// The database.
    public let database: AppDatabase
    /// bcrypt cost factor (log2 of the rounds): 12 in production; tests may lower it to keep the suite fast.
    public let bcryptCost: UInt8
    /// The clock.
    public let now: @Sendable () -> Date
    /// A hash of a random password, verified against when the name is unknown (same cost, same time); made on first use.
    private let dummyHash = DummyHash()

    /// Users stored in `database`.
    public init(database: AppDatabase, bcryptCost: UInt8 = 12, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.bcryptCost = max(4, min(31, bcryptCost))
        self.now = now
    }

    /// Whether any user exists (no user: the setup page is open).
    public func hasUsers() throws -> Bool {
        try database.reader.read { db in try AdminUser.fetchCount(db) > 0 }
    }

    /// Every user, by name.
    public func all() throws -> [AdminUser] {
        try database.reader.read { db in try AdminUser.order(Column("username").collating(.nocase)).fetchAll(db) }
    }

    /// The user with this id.
    public func user(id: Int64) throws -> AdminUser? {
        try database.reader.read { db in try AdminUser.fetchOne(db, key: id) }
    }

    /// Checks a name and password.
    public static func validate(username: String, password: String) throws(AdminUserError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        guard (1...64).contains(username.count), username.allSatisfy({ allowed.contains($0) }) else { throw .invalidUsername }
        guard password.count >= minimumPasswordLength, password.utf8.count <= 72 else { throw .weakPassword }
    }

    /// Creates a user (validated, bcrypt-hashed) inside the caller's transaction.
    public func create(username: String, password: String, role: AdminRole, in db: Database) throws -> AdminUser {
        try Self.validate(username: username, password: password)
        if try AdminUser.filter(Column("username").collating(.nocase) == username).fetchCount(db) > 0 { throw AdminUserError.usernameTaken }
        let date = now()
        var user = AdminUser(
            id: nil,
            username: username,
            passwordHash: Bcrypt.hash(password, cost: bcryptCost),
            role: role,
            createdAt: date,
            updatedAt: date,
            lastSignInAt: nil
        )
        try user.insert(db)
        return user
    }

    /// Creates a user.
    public func create(username: String, password: String, role: AdminRole) async throws -> AdminUser {
        try Self.validate(username: username, password: password)
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        return try await database.writer.write { db in
            if try AdminUser.filter(Column("username").collating(.nocase) == username).fetchCount(db) > 0 { throw AdminUserError.usernameTaken }
            let date = now()
            var user = AdminUser(id: nil, username: username, passwordHash: hash, role: role, createdAt: date, updatedAt: date, lastSignInAt: nil)
            try user.insert(db)
            return user
        }
    }

    /// The user when `password` is theirs; `nil` otherwise. Takes bcrypt's time even for an unknown name, so that
    /// the answer's timing does not tell which names exist.
    public func authenticate(username: String, password: String) throws -> AdminUser? {
        let user = try database.reader.read { db in
            try AdminUser.filter(Column("username").collating(.nocase) == username).fetchOne(db)
        }
        guard password.utf8.count <= 72 else { return nil }
        guard let user else {
            let cost = bcryptCost
            let dummy = dummyHash.value.withLock { hash in
                if let hash { return hash }
                let made = Bcrypt.hash(UUID().uuidString, cost: cost)
                hash = made
                return made
            }
            _ = Bcrypt.verify(password, hash: dummy)
            return nil
        }
        return Bcrypt.verify(password, hash: user.passwordHash) ? user : nil
    }

    /// Records a successful sign-in.
    public func recordSignIn(userID: Int64, in db: Database) throws {
        try db.execute(sql: "UPDATE adminUser SET lastSignInAt = ? WHERE id = ?", arguments: [now(), userID])
    }

    /// Changes a user's role; refuses to demote the last owner.
    public func setRole(_ role: AdminRole, userID: Int64, in db: Database) throws -> AdminUser {
        guard var user = try AdminUser.fetchOne(db, key: userID) else { throw AdminUserError.notFound }
        if user.role == .owner, role != .owner, try Self.ownerCount(db) <= 1 { throw AdminUserError.lastOwner }
        user.role = role
        user.updatedAt = now()
        try user.update(db)
        return user
    }

    /// Sets a new password (hash computed by the caller outside the transaction: ``hash(_:)``).
    public func setPasswordHash(_ hash: String, userID: Int64, in db: Database) throws {
        guard try AdminUser.fetchOne(db, key: userID) != nil else { throw AdminUserError.notFound }
        try db.execute(sql: "UPDATE adminUser SET passwordHash = ?, updatedAt = ? WHERE id = ?", arguments: [hash, now(), userID])
        try db.execute(sql: "DELETE FROM adminSession WHERE userId = ?", arguments: [userID])
    }

    /// A bcrypt hash of a (validated) password.
    public func hash(_ password: String) throws -> String {
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= 72 else { throw AdminUserError.weakPassword }
        return Bcrypt.hash(password, cost: bcryptCost)
    }

    /// Deletes a user (and, by cascade, their sessions); refuses to delete the last owner.
    @discardableResult
    public func delete(userID: Int64, in db: Database) throws -> AdminUser {
        guard let user = try AdminUser.fetchOne(db, key: userID) else { throw AdminUserError.notFound }
        if user.role == .owner, try Self.ownerCount(db) <= 1 { throw AdminUserError.lastOwner }
        try AdminUser.deleteOne(db, key: userID)
        return user
    }

    static func ownerCount(_ db: Database) throws -> Int {
        try AdminUser.filter(Column("role") == AdminRole.owner.rawValue).fetchCount(db)
    }

}

/// The lazily made hash ``AdminUsers`` verifies unknown names against.
final class DummyHash: Sendable {
    let value = Mutex<String?>(nil)
}

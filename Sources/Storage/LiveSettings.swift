public import Foundation
public import GRDB
import Synchronization

/// A setting saved from the admin page (table `setting`): it overrides the configuration file's value.
/// Secrets are kept only sealed (``sealed``), never in ``value``.
public struct StoredSetting: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    /// The key, `section.name` as in the configuration file (`llm.base_url`).
    public var key: String
    /// The plain value (not for secrets).
    public var value: String?
    /// The AES-GCM sealed value (secrets).
    public var sealed: Data?
    /// When it was saved.
    public var updatedAt: Date
    /// Who saved it.
    public var updatedBy: String

    /// A setting.
    public init(key: String, value: String?, sealed: Data?, updatedAt: Date, updatedBy: String) {
        self.key = key
        self.value = value
        self.sealed = sealed
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// `setting`.
    public static let databaseTableName = "setting"
}

/// The connection settings the admin page can change while the daemon runs: the language model and WhatsApp.
public struct ConnectionSettings: Sendable, Hashable {
    /// OpenAI-compatible base URL; `nil` means extractive answers only.
    public var llmBaseURL: String?
    /// Model name.
    public var llmModel: String?
    /// API key.
    public var llmAPIKey: String?
    /// Graph API access token.
    public var whatsappAccessToken: String?
    /// App secret that signs webhook bodies.
    public var whatsappAppSecret: String?
    /// Token Meta echoes when verifying the webhook.
    public var whatsappVerifyToken: String?
    /// The business phone number id "test connection" reads (`GET /{phone_number_id}`).
    public var whatsappPhoneNumberID: String?

    /// Settings.
    public init(
        llmBaseURL: String? = nil,
        llmModel: String? = nil,
        llmAPIKey: String? = nil,
        whatsappAccessToken: String? = nil,
        whatsappAppSecret: String? = nil,
        whatsappVerifyToken: String? = nil,
        whatsappPhoneNumberID: String? = nil
    ) {
        self.llmBaseURL = llmBaseURL
        self.llmModel = llmModel
        self.llmAPIKey = llmAPIKey
        self.whatsappAccessToken = whatsappAccessToken
        self.whatsappAppSecret = whatsappAppSecret
        self.whatsappVerifyToken = whatsappVerifyToken
        self.whatsappPhoneNumberID = whatsappPhoneNumberID
    }

    /// One setting the admin page edits.
    public struct Field: Sendable {
        /// The stored key (`llm.base_url`).
        public var key: String
        /// Whether it is a secret (sealed at rest, never shown again).
        public var isSecret: Bool
        /// Where it lives in ``ConnectionSettings``.
        public var keyPath: any WritableKeyPath<ConnectionSettings, String?> & Sendable
    }

    /// Every field, in display order.
    public static let fields: [Field] = [
        Field(key: "llm.base_url", isSecret: false, keyPath: \.llmBaseURL),
        Field(key: "llm.model", isSecret: false, keyPath: \.llmModel),
        Field(key: "llm.api_key", isSecret: true, keyPath: \.llmAPIKey),
        Field(key: "whatsapp.access_token", isSecret: true, keyPath: \.whatsappAccessToken),
        Field(key: "whatsapp.app_secret", isSecret: true, keyPath: \.whatsappAppSecret),
        Field(key: "whatsapp.verify_token", isSecret: true, keyPath: \.whatsappVerifyToken),
        Field(key: "whatsapp.phone_number_id", isSecret: false, keyPath: \.whatsappPhoneNumberID),
    ]
}

/// The effective connection settings: the configuration file's, overridden by those saved from the admin page.
///
/// The answerer and the WhatsApp sender read ``current`` on every use, so a saved setting takes effect without a
/// restart once ``reload()`` has run (the admin page calls it after saving).
public final class LiveSettings: Sendable {
    /// The configuration file's values.
    public let base: ConnectionSettings
    private let database: AppDatabase
    private let secrets: SecretBox
    private let state: Mutex<(settings: ConnectionSettings, version: Int)>

    /// Reads the saved overrides on top of `base`.
    public init(base: ConnectionSettings, database: AppDatabase, secrets: SecretBox) throws {
        self.base = base
        self.database = database
        self.secrets = secrets
        state = Mutex((base, 0))
        try reload()
    }

    /// The effective settings now.
    public var current: ConnectionSettings { state.withLock { $0.settings } }

    /// Increases at every reload (caches of clients built from the settings compare it).
    public var version: Int { state.withLock { $0.version } }

    /// The keys saved from the admin page (overriding the file).
    public func overriddenKeys() throws -> Set<String> {
        try database.reader.read { db in Set(try String.fetchAll(db, sql: "SELECT key FROM setting")) }
    }

    /// Re-reads the saved overrides.
    public func reload() throws {
        let stored = try database.reader.read { db in try StoredSetting.fetchAll(db) }
        var settings = base
        for setting in stored {
            guard let field = ConnectionSettings.fields.first(where: { $0.key == setting.key }) else { continue }
            if let sealed = setting.sealed {
                settings[keyPath: field.keyPath] = try secrets.open(sealed)
            } else {
                settings[keyPath: field.keyPath] = setting.value
            }
        }
        state.withLock { $0 = (settings, $0.version + 1) }
    }

    /// Saves changes (`nil` removes the override, so the file's value applies again), sealing secrets, inside the
    /// caller's transaction. Call ``reload()`` after the transaction commits.
    public func save(_ changes: [String: String?], by actor: String, at date: Date = Date(), in db: Database) throws {
        for (key, value) in changes {
            guard let field = ConnectionSettings.fields.first(where: { $0.key == key }) else { continue }
            guard let value else {
                try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
                continue
            }
            let setting = StoredSetting(
                key: key,
                value: field.isSecret ? nil : value,
                sealed: field.isSecret ? try secrets.seal(value) : nil,
                updatedAt: date,
                updatedBy: actor
            )
            try setting.save(db)
        }
    }
}

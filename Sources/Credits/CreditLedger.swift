public import Foundation
public import GRDB
public import Storage

/// The prepaid credit balance that pays for the LLM: an append-only ledger in the daemon's SQLite database.
///
/// The balance is derived (`SUM(amount)` over ``CreditEntry``), never stored alone. Before an LLM call a turn
/// ``reserve(_:reference:)``s the most the answer can cost; the reservation is refused when the balance less the
/// open reservations less the estimate would fall below ``Configuration/floor``, so concurrent turns never overdraw.
/// After the answer the turn ``settle(_:actualCost:reference:reason:actor:in:)``s the reservation with the real cost,
/// inside the transaction that records the answer; when no LLM answer was produced it ``release(_:)``s it.
/// Reservations left open by a crash stop holding credits after ``Configuration/reservationLifetime``.
///
/// A `Sendable` value: copy it freely; all state is in the database.
public struct CreditLedger: Sendable {
    /// Policy knobs.
    public struct Configuration: Sendable, Hashable {
        /// The lowest the balance may go through reservations (`credits.floor`, default 0; negative allows an overdraft).
        public var floor: CreditAmount
        /// At or below this balance ``CreditStatus/isLow`` is true (`credits.low_balance_threshold`); `nil` for no alert.
        /// A threshold saved from the admin page (setting ``CreditLedger/lowBalanceThresholdSettingKey``) overrides it.
        public var lowBalanceThreshold: CreditAmount?
        /// How long an unsettled reservation holds credits (default 10 minutes, far beyond an LLM call's deadline).
        public var reservationLifetime: Duration

        /// A configuration.
        public init(floor: CreditAmount = .zero, lowBalanceThreshold: CreditAmount? = nil, reservationLifetime: Duration = .seconds(600)) {
            self.floor = floor
            self.lowBalanceThreshold = lowBalanceThreshold
            self.reservationLifetime = max(.seconds(1), reservationLifetime)
        }
    }

    /// The policy in use.
    public let configuration: Configuration
    let writer: any DatabaseWriter
    let clock: @Sendable () -> Date

    /// A ledger over the daemon's database. `now` is the clock (injectable for tests of expiry).
    public init(database: AppDatabase, configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(writer: database.writer, configuration: configuration, now: now)
    }

    /// A ledger over a database connection whose schema is already migrated (by ``AppDatabase``).
    public init(writer: any DatabaseWriter, configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.writer = writer
        self.configuration = configuration
        self.clock = now
    }

    // MARK: Reading

    /// The balance: the sum of every ledger entry.
    public func balance() async throws -> CreditAmount {
        try writer.readNow { db in try Self.balance(db) }
    }

    /// The balance, read inside the caller's database access.
    public func balance(_ db: Database) throws -> CreditAmount {
        try Self.balance(db)
    }

    /// Balance, open reservations and the low-balance verdict, read together.
    public func status() async throws -> CreditStatus {
        let now = clock()
        return try writer.readNow { db in try self.status(db, now: now) }
    }

    /// The setting under which the admin page saves the owner's low-balance threshold.
    public static let lowBalanceThresholdSettingKey = "credits.low_balance_threshold"

    /// The low-balance threshold in effect: the one saved from the admin page, else the configuration's; `nil` for
    /// no alert. Every reader (status, the settlement's alert, the API, the CLI, the admin pages) goes through this.
    public func lowBalanceThreshold(_ db: Database) throws -> CreditAmount? {
        let saved = try String.fetchOne(
            db,
            sql: "SELECT value FROM setting WHERE key = ?",
            arguments: [Self.lowBalanceThresholdSettingKey]
        )
        if let saved, let amount = CreditAmount(parsing: saved) { return amount }
        return configuration.lowBalanceThreshold
    }

    /// Whether the balance is at or below the low-balance threshold (always `false` without one).
    public func isLow() async throws -> Bool {
        try await status().isLow
    }

    /// The latest ledger entries, newest first.
    public func recentEntries(limit: Int = 50) async throws -> [CreditEntry] {
        try writer.readNow { db in
            try CreditEntry.order(Column("id").desc).limit(max(0, limit)).fetchAll(db)
        }
    }

    /// The entry recorded with an external id, if any.
    public func entry(externalID: String) async throws -> CreditEntry? {
        try writer.readNow { db in try CreditEntry.filter(Column("externalId") == externalID).fetchOne(db) }
    }

    // MARK: Top-ups and adjustments

    /// Adds credits. With an `externalID` (a payment event id, an idempotency key) it is idempotent: a second call with
    /// the same id records nothing and returns the first entry with `isNew == false`.
    @discardableResult
    public func topUp(
        amount: CreditAmount,
        reason: String,
        actor: String,
        externalID: String? = nil,
        reference: String? = nil
    ) async throws
        -> TopUpResult
    {
        try await writer.write { db in
            try self.topUp(amount: amount, reason: reason, actor: actor, externalID: externalID, reference: reference, in: db)
        }
    }

    /// ``topUp(amount:reason:actor:externalID:reference:)`` inside the caller's write transaction (e.g. with an audit row).
    @discardableResult
    public func topUp(
        amount: CreditAmount,
        reason: String,
        actor: String,
        externalID: String? = nil,
        reference: String? = nil,
        in db: Database
    )
        throws -> TopUpResult
    {
        guard amount.micros > 0 else { throw CreditError.invalidAmount(amount, "a top-up must be positive") }
        var entry = CreditEntry(
            kind: .topUp,
            amount: amount,
            reason: reason,
            actor: actor,
            externalId: externalID,
            reference: reference,
            createdAt: clock()
        )
        return try Self.insertOnce(&entry, db)
    }

    /// Records a manual correction (either sign, not zero). Idempotent by `externalID` like ``topUp(amount:reason:actor:externalID:reference:)``.
    /// Adjustments are not limited by the floor: an operator may take the balance below it.
    @discardableResult
    public func adjust(
        amount: CreditAmount,
        reason: String,
        actor: String,
        externalID: String? = nil,
        reference: String? = nil
    ) async throws
        -> TopUpResult
    {
        guard amount.micros != 0 else { throw CreditError.invalidAmount(amount, "an adjustment must not be zero") }
        return try await writer.write { db in
            var entry = CreditEntry(
                kind: .adjustment,
                amount: amount,
                reason: reason,
                actor: actor,
                externalId: externalID,
                reference: reference,
                createdAt: self.clock()
            )
            return try Self.insertOnce(&entry, db)
        }
    }

    // MARK: Helpers

    /// The balance, read inside the caller's database access (the one place that sums the ledger).
    public static func balance(_ db: Database) throws -> CreditAmount {
        CreditAmount(micros: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM creditEntry") ?? 0)
    }

    static func reserved(_ db: Database, now: Date) throws -> CreditAmount {
        let sql = "SELECT COALESCE(SUM(amount), 0) FROM creditReservation WHERE state = 'open' AND expiresAt > ?"
        return CreditAmount(micros: try Int64.fetchOne(db, sql: sql, arguments: [now]) ?? 0)
    }

    /// What the debits since `start` took (a positive amount), inside the caller's transaction.
    public static func spent(since start: Date, in db: Database) throws -> CreditAmount {
        let micros =
            try Int64.fetchOne(
                db,
                sql: "SELECT COALESCE(-SUM(amount), 0) FROM creditEntry WHERE kind = 'debit' AND createdAt >= ?",
                arguments: [start]
            ) ?? 0
        return CreditAmount(micros: micros)
    }

    /// Balance, open reservations and the low-balance verdict, read inside the caller's database access.
    public func status(_ db: Database, now: Date) throws -> CreditStatus {
        let balance = try Self.balance(db)
        let reserved = try Self.reserved(db, now: now)
        return CreditStatus(
            balance: balance,
            reserved: reserved,
            floor: configuration.floor,
            lowBalanceThreshold: try lowBalanceThreshold(db)
        )
    }

    /// The largest balance, either way, that a top-up or an adjustment may leave: a trillion credits, far below the
    /// 9.2 trillion where SQLite's integer `SUM` of the ledger overflows and every balance read would fail.
    public static let balanceLimit = CreditAmount(micros: 1_000_000_000_000 * CreditAmount.microsPerCredit)

    private static func insertOnce(_ entry: inout CreditEntry, _ db: Database) throws -> TopUpResult {
        if let externalId = entry.externalId, let existing = try CreditEntry.filter(Column("externalId") == externalId).fetchOne(db) {
            return TopUpResult(entry: existing, isNew: false)
        }
        let (after, overflow) = try balance(db).micros.addingReportingOverflow(entry.amount.micros)
        guard !overflow, (-balanceLimit.micros...balanceLimit.micros).contains(after) else {
            throw CreditError.invalidAmount(entry.amount, "the balance would pass the ledger's limit of \(balanceLimit) credits")
        }
        try entry.insert(db)
        return TopUpResult(entry: entry, isNew: true)
    }
}

/// The outcome of an idempotent ledger write.
public struct TopUpResult: Sendable, Hashable {
    /// The entry recorded now, or the one recorded earlier with the same external id.
    public var entry: CreditEntry
    /// `false` when the external id had been seen before and nothing was recorded.
    public var isNew: Bool
}

/// The balance and what is held against it (`GET /api/v1/credits`).
public struct CreditStatus: Sendable, Hashable, Codable {
    /// The sum of the ledger.
    public var balance: CreditAmount
    /// Held by open, unexpired reservations (turns in progress).
    public var reserved: CreditAmount
    /// The configured floor.
    public var floor: CreditAmount
    /// The configured low-balance threshold.
    public var lowBalanceThreshold: CreditAmount?

    /// A status.
    public init(balance: CreditAmount, reserved: CreditAmount, floor: CreditAmount, lowBalanceThreshold: CreditAmount?) {
        self.balance = balance
        self.reserved = reserved
        self.floor = floor
        self.lowBalanceThreshold = lowBalanceThreshold
    }

    /// What new reservations may take before reaching the floor: `balance − reserved − floor` (0 at least).
    public var available: CreditAmount { max(.zero, balance - reserved - floor) }

    /// Whether the balance is at or below the low-balance threshold.
    public var isLow: Bool {
        guard let threshold = lowBalanceThreshold else { return false }
        return balance <= threshold
    }

    /// Whether no LLM call can be paid for: nothing is left above the floor.
    public var isExhausted: Bool { balance - reserved <= floor }
}

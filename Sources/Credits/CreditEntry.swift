public import Foundation
public import GRDB

/// One line of the append-only credit ledger (table `creditEntry`).
///
/// The balance is the sum of every entry's ``amount``. Entries are never updated or deleted (database triggers refuse
/// it): a mistake is corrected by an ``Kind/adjustment``.
public struct CreditEntry: Sendable, Hashable, Codable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// What kind of movement an entry is.
    public enum Kind: String, Sendable, Hashable, Codable, DatabaseValueConvertible {
        /// Credits bought (CLI, API, payment webhook); positive.
        case topUp
        /// Credits spent on an answer; zero or negative.
        case debit
        /// A manual correction by an operator; either sign.
        case adjustment
    }

    /// The row id (set on insert).
    public var id: Int64?
    /// The kind of movement.
    public var kind: Kind
    /// Signed amount: positive adds to the balance, negative takes from it.
    public var amount: CreditAmount
    /// Why (free text: "Stripe checkout cs_…", "LLM answer", "refund for a wrong answer").
    public var reason: String
    /// Who: `cli`, `api`, `stripe`, `system`, an operator's name.
    public var actor: String
    /// An idempotency key from outside (a Stripe event id, an API `Idempotency-Key`); unique when present.
    public var externalId: String?
    /// What the entry is about (an answer id, a message id, a checkout session).
    public var reference: String?
    /// The reservation a debit settled.
    public var reservationId: Int64?
    /// When it was recorded.
    public var createdAt: Date

    /// An entry not yet inserted.
    public init(
        id: Int64? = nil,
        kind: Kind,
        amount: CreditAmount,
        reason: String,
        actor: String,
        externalId: String? = nil,
        reference: String? = nil,
        reservationId: Int64? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.amount = amount
        self.reason = reason
        self.actor = actor
        self.externalId = externalId
        self.reference = reference
        self.reservationId = reservationId
        self.createdAt = createdAt
    }

    /// `creditEntry`.
    public static let databaseTableName = "creditEntry"

    /// Keeps the row id.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A hold on credits taken before an LLM call (table `creditReservation`); see ``CreditLedger/reserve(_:reference:)``.
public struct CreditReservation: Sendable, Hashable, Codable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Where a reservation is in its life.
    public enum State: String, Sendable, Hashable, Codable, DatabaseValueConvertible {
        /// Holding credits (until settled, released or past ``CreditReservation/expiresAt``).
        case open
        /// Turned into a debit of the real cost.
        case settled
        /// Given back unused (the LLM failed, the answer was extractive).
        case released
        /// Lapsed: the turn never settled it (a crash); swept by ``CreditLedger/expireStaleReservations()``.
        case expired
    }

    /// The row id (set on insert).
    public var id: Int64?
    /// The credits held (the estimated maximum cost), not negative.
    public var amount: CreditAmount
    /// What it is for (a turn or message id).
    public var reference: String?
    /// Its state.
    public var state: State
    /// When it was taken.
    public var createdAt: Date
    /// When it stops holding credits if still open.
    public var expiresAt: Date
    /// When it was settled, released or expired.
    public var closedAt: Date?

    /// A reservation not yet inserted.
    public init(
        id: Int64? = nil,
        amount: CreditAmount,
        reference: String?,
        state: State = .open,
        createdAt: Date,
        expiresAt: Date,
        closedAt: Date? = nil
    ) {
        self.id = id
        self.amount = amount
        self.reference = reference
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.closedAt = closedAt
    }

    /// `creditReservation`.
    public static let databaseTableName = "creditReservation"

    /// Keeps the row id.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension CreditAmount: DatabaseValueConvertible {
    /// The integer number of micro-credits.
    public var databaseValue: DatabaseValue { micros.databaseValue }

    /// Reads an integer number of micro-credits.
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> CreditAmount? {
        Int64.fromDatabaseValue(dbValue).map(CreditAmount.init(micros:))
    }
}

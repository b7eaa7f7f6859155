import Foundation
public import GRDB

extension CreditLedger {
    /// Holds `estimate` credits for an LLM call, atomically: only if `balance − open reservations − estimate ≥ floor`
    /// and something is left above the floor. Throws ``CreditError/insufficientCredits(balance:reserved:requested:floor:)``
    /// otherwise: send the out-of-credits message without calling the LLM.
    ///
    /// `estimate` is the most the answer can cost (``CreditPricing/maximumCost(promptTokens:maxCompletionTokens:)``).
    /// Runs in an `IMMEDIATE` transaction, so concurrent reservations (even from another process) are serialized.
    public func reserve(_ estimate: CreditAmount, reference: String? = nil) async throws -> CreditReservation {
        guard estimate.micros >= 0 else { throw CreditError.invalidAmount(estimate, "a reservation must not be negative") }
        let now = clock()
        let lifetime = configuration.reservationLifetime.components
        let expiresAt = now.addingTimeInterval(Double(lifetime.seconds) + Double(lifetime.attoseconds) / 1e18)
        return try await writer.writeWithoutTransaction { db in
            var reservation: CreditReservation?
            try db.inTransaction(Database.TransactionKind.immediate) {
                let status = try self.status(db, now: now)
                let headroom = status.balance - status.reserved
                guard headroom > status.floor, headroom - estimate >= status.floor else {
                    throw CreditError.insufficientCredits(
                        balance: status.balance,
                        reserved: status.reserved,
                        requested: estimate,
                        floor: status.floor
                    )
                }
                var row = CreditReservation(amount: estimate, reference: reference, createdAt: now, expiresAt: expiresAt)
                try row.insert(db)
                reservation = row
                return .commit
            }
            guard let reservation else { throw CreditError.unknownReservation(0) }
            return reservation
        }
    }

    /// Turns a reservation into a debit of `actualCost`, inside the caller's write transaction, so that the answer and
    /// its debit are recorded together or not at all:
    ///
    /// ```swift
    /// try await database.writer.write { db in
    ///     try answer.insert(db)
    ///     try ledger.settle(reservation, actualCost: cost, reference: "answer:\(answer.id!)", in: db)
    /// }
    /// ```
    ///
    /// The debit is the real cost even when it exceeds the estimate. A reservation that lapsed (the call outlived
    /// ``Configuration/reservationLifetime``) can still be settled; one already settled or released cannot
    /// (``CreditError/reservationClosed(_:state:)``), so a retried transaction never debits twice.
    @discardableResult
    public func settle(
        _ reservation: CreditReservation,
        actualCost: CreditAmount,
        reference: String? = nil,
        reason: String = "LLM answer",
        actor: String = "system",
        in db: Database
    ) throws -> CreditSettlement {
        try settle(reservationID: reservation.id ?? 0, actualCost: actualCost, reference: reference, reason: reason, actor: actor, in: db)
    }

    /// ``settle(_:actualCost:reference:reason:actor:in:)`` for the reservation with this id (what a ``CreditReservation``
    /// handed to another module keeps of it).
    @discardableResult
    public func settle(
        reservationID id: Int64,
        actualCost: CreditAmount,
        reference: String? = nil,
        reason: String = "LLM answer",
        actor: String = "system",
        in db: Database
    ) throws -> CreditSettlement {
        guard db.isInsideTransaction else { throw CreditError.notInTransaction }
        guard actualCost.micros >= 0 else { throw CreditError.invalidAmount(actualCost, "a cost must not be negative") }
        guard let stored = try CreditReservation.fetchOne(db, key: id) else { throw CreditError.unknownReservation(id) }
        guard stored.state == .open || stored.state == .expired else {
            throw CreditError.reservationClosed(id, state: stored.state.rawValue)
        }
        let now = clock()
        let before = try Self.balance(db)
        var entry = CreditEntry(
            kind: .debit,
            amount: -actualCost,
            reason: reason,
            actor: actor,
            reference: reference ?? stored.reference,
            reservationId: id,
            createdAt: now
        )
        try entry.insert(db)
        try db.execute(sql: "UPDATE creditReservation SET state = 'settled', closedAt = ? WHERE id = ?", arguments: [now, id])
        let after = before - actualCost
        var crossed = false
        if let threshold = try lowBalanceThreshold(db) { crossed = before > threshold && after <= threshold }
        return CreditSettlement(entry: entry, balance: after, crossedLowBalanceThreshold: crossed)
    }

    /// ``settle(_:actualCost:reference:reason:actor:in:)`` in a transaction of its own.
    @discardableResult
    public func settle(
        _ reservation: CreditReservation,
        actualCost: CreditAmount,
        reference: String? = nil,
        reason: String = "LLM answer",
        actor: String = "system"
    ) async throws -> CreditSettlement {
        try await writer.write { db in
            try self.settle(reservation, actualCost: actualCost, reference: reference, reason: reason, actor: actor, in: db)
        }
    }

    /// Gives an unused reservation back (the LLM failed or was not needed). Returns `false` when it was no longer open
    /// (already settled, released or expired), which is harmless.
    @discardableResult
    public func release(_ reservation: CreditReservation) async throws -> Bool {
        try await writer.write { db in try self.release(reservation, in: db) }
    }

    /// ``release(_:)`` for the reservation with this id.
    @discardableResult
    public func release(reservationID id: Int64) async throws -> Bool {
        try await writer.write { db in try self.release(reservationID: id, in: db) }
    }

    /// ``release(_:)`` inside the caller's write transaction.
    @discardableResult
    public func release(_ reservation: CreditReservation, in db: Database) throws -> Bool {
        guard let id = reservation.id else { return false }
        return try release(reservationID: id, in: db)
    }

    private func release(reservationID id: Int64, in db: Database) throws -> Bool {
        try db.execute(
            sql: "UPDATE creditReservation SET state = 'released', closedAt = ? WHERE id = ? AND state = 'open'",
            arguments: [clock(), id]
        )
        return db.changesCount > 0
    }

    /// Marks open reservations past their expiry as expired (housekeeping: they already stopped holding credits).
    /// Returns how many.
    @discardableResult
    public func expireStaleReservations() async throws -> Int {
        let now = clock()
        return try await writer.write { db in
            try db.execute(
                sql: "UPDATE creditReservation SET state = 'expired', closedAt = ? WHERE state = 'open' AND expiresAt <= ?",
                arguments: [now, now]
            )
            return db.changesCount
        }
    }

    /// Releases every open reservation. Call once at start-up, before any turn runs: after a crash no turn is in
    /// progress, so every open reservation is stale. Returns how many.
    @discardableResult
    public func releaseAllOpenReservations() async throws -> Int {
        let now = clock()
        return try await writer.write { db in
            try db.execute(sql: "UPDATE creditReservation SET state = 'released', closedAt = ? WHERE state = 'open'", arguments: [now])
            return db.changesCount
        }
    }

    /// Open reservations that still hold credits, oldest first.
    public func openReservations() async throws -> [CreditReservation] {
        let now = clock()
        return try writer.readNow { db in
            try CreditReservation.filter(Column("state") == "open" && Column("expiresAt") > now).order(Column("id")).fetchAll(db)
        }
    }
}

/// What settling a reservation recorded.
public struct CreditSettlement: Sendable, Hashable {
    /// The debit entry.
    public var entry: CreditEntry
    /// The balance after the debit.
    public var balance: CreditAmount
    /// `true` when this debit took the balance from above the low-balance threshold to at or below it: log the alert once.
    public var crossedLowBalanceThreshold: Bool
}

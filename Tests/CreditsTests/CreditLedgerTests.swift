import Credits
import Foundation
import GRDB
import Storage
import Testing

@Suite struct CreditLedgerTests {
    @Test func balanceIsTheSumOfTheLedger() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            #expect(try await ledger.balance() == .zero)
            try await ledger.topUp(amount: CreditAmount(credits: 100), reason: "first purchase", actor: "cli")
            try await ledger.topUp(amount: CreditAmount(parsing: "12.5")!, reason: "bonus", actor: "api")
            try await ledger.adjust(amount: CreditAmount(credits: -2), reason: "correction", actor: "operator")
            let reservation = try await ledger.reserve(CreditAmount(credits: 1), reference: "turn-1")
            try await ledger.settle(reservation, actualCost: CreditAmount(micros: 250_000), reference: "answer-1")
            #expect(try await ledger.balance() == CreditAmount(micros: 110_250_000))

            let entries = try await ledger.recentEntries(limit: 10)
            #expect(entries.map(\.kind) == [.debit, .adjustment, .topUp, .topUp])
            #expect(entries.map(\.amount.micros) == [-250_000, -2_000_000, 12_500_000, 100_000_000])
            #expect(entries[0].reference == "answer-1")
            #expect(entries[0].reservationId == reservation.id)
            #expect(entries[1].actor == "operator" && entries[1].reason == "correction")
            #expect(try await ledger.recentEntries(limit: 2).count == 2)
            // The balance is derived: the sum over the rows, nothing stored.
            let sum = try await database.reader.read { db in try Int64.fetchOne(db, sql: "SELECT SUM(amount) FROM creditEntry") }
            #expect(sum == 110_250_000)
        }
    }

    @Test func invalidAmountsAreRefused() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            await #expect(throws: CreditError.self) { try await ledger.topUp(amount: .zero, reason: "x", actor: "cli") }
            await #expect(throws: CreditError.self) { try await ledger.topUp(amount: CreditAmount(credits: -1), reason: "x", actor: "cli") }
            await #expect(throws: CreditError.self) { try await ledger.adjust(amount: .zero, reason: "x", actor: "cli") }
            await #expect(throws: CreditError.self) { try await ledger.reserve(CreditAmount(micros: -1)) }
        }
    }

    @Test func ledgerIsAppendOnly() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            try await ledger.topUp(amount: CreditAmount(credits: 5), reason: "x", actor: "cli")
            await #expect(throws: DatabaseError.self) {
                try await database.writer.write { db in try db.execute(sql: "UPDATE creditEntry SET amount = 999999999") }
            }
            await #expect(throws: DatabaseError.self) {
                try await database.writer.write { db in try db.execute(sql: "DELETE FROM creditEntry") }
            }
            #expect(try await ledger.balance() == CreditAmount(credits: 5))
        }
    }

    @Test func topUpsAreIdempotentByExternalID() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            let first = try await ledger.topUp(amount: CreditAmount(credits: 50), reason: "Stripe", actor: "stripe", externalID: "evt_1")
            let again = try await ledger.topUp(amount: CreditAmount(credits: 50), reason: "Stripe", actor: "stripe", externalID: "evt_1")
            #expect(first.isNew && !again.isNew)
            #expect(again.entry.id == first.entry.id)
            let other = try await ledger.topUp(amount: CreditAmount(credits: 50), reason: "Stripe", actor: "stripe", externalID: "evt_2")
            #expect(other.isNew)
            // No external id: every call records.
            try await ledger.topUp(amount: CreditAmount(credits: 1), reason: "cli", actor: "cli")
            try await ledger.topUp(amount: CreditAmount(credits: 1), reason: "cli", actor: "cli")
            #expect(try await ledger.balance() == CreditAmount(credits: 102))
            #expect(try await ledger.entry(externalID: "evt_2")?.id == other.entry.id)

            // The same delivery racing itself credits once.
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await ledger.topUp(amount: CreditAmount(credits: 10), reason: "race", actor: "stripe", externalID: "evt_race").isNew
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await ledger.balance() == CreditAmount(credits: 112))
        }
    }

    @Test func lowBalanceStatus() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database, configuration: .init(lowBalanceThreshold: CreditAmount(credits: 10)))
            #expect(try await ledger.isLow())
            try await ledger.topUp(amount: CreditAmount(credits: 11), reason: "x", actor: "cli")
            var status = try await ledger.status()
            #expect(!status.isLow)
            #expect(status.available == CreditAmount(credits: 11))
            let reservation = try await ledger.reserve(CreditAmount(credits: 3))
            status = try await ledger.status()
            #expect(status.reserved == CreditAmount(credits: 3) && status.available == CreditAmount(credits: 8))
            let settlement = try await ledger.settle(reservation, actualCost: CreditAmount(credits: 2))
            #expect(settlement.balance == CreditAmount(credits: 9))
            #expect(settlement.crossedLowBalanceThreshold)
            #expect(try await ledger.isLow())
            let next = try await ledger.reserve(CreditAmount(credits: 1))
            #expect(try await !ledger.settle(next, actualCost: CreditAmount(credits: 1)).crossedLowBalanceThreshold)
            #expect(try await !CreditLedger(database: database).isLow())  // no threshold, no alert
        }
    }

    @Test("the threshold saved from the admin page overrides the configuration's, for the status and the alert")
    func savedThresholdOverridesTheConfiguration() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database, configuration: .init(lowBalanceThreshold: CreditAmount(credits: 10)))
            try await ledger.topUp(amount: CreditAmount(credits: 40), reason: "x", actor: "cli")
            #expect(try await !ledger.isLow())
            try await database.writer.write { db in
                try StoredSetting(
                    key: CreditLedger.lowBalanceThresholdSettingKey,
                    value: "50",
                    sealed: nil,
                    updatedAt: Date(),
                    updatedBy: "owner"
                ).save(db)
            }
            let status = try await ledger.status()
            #expect(status.lowBalanceThreshold == CreditAmount(credits: 50))
            #expect(status.isLow)
            // Lowered below the balance: the alert fires when a settlement crosses the saved threshold, not the file's.
            try await database.writer.write { db in
                try db.execute(sql: "UPDATE setting SET value = '35' WHERE key = ?", arguments: [CreditLedger.lowBalanceThresholdSettingKey])
            }
            #expect(try await !ledger.isLow())
            let reservation = try await ledger.reserve(CreditAmount(credits: 6))
            let settlement = try await ledger.settle(reservation, actualCost: CreditAmount(credits: 6))
            #expect(settlement.balance == CreditAmount(credits: 34))
            #expect(settlement.crossedLowBalanceThreshold)
            #expect(try await ledger.isLow())
        }
    }

    @Test func zeroBalanceRefusesEveryReservation() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            do {
                _ = try await ledger.reserve(CreditAmount(micros: 1), reference: "turn")
                Issue.record("reserved with an empty balance")
            } catch let error as CreditError {
                #expect(error.isInsufficientCredits)
                #expect(error.description.contains("insufficient credits"))
            }
            // Even an estimate of zero: nothing is left above the floor.
            await #expect(throws: CreditError.self) { try await ledger.reserve(.zero) }
            #expect(try await ledger.status().isExhausted)
            #expect(try await ledger.openReservations().isEmpty)
        }
    }

    @Test func reservationRespectsBalanceOpenReservationsAndFloor() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database, configuration: .init(floor: CreditAmount(credits: 2)))
            try await ledger.topUp(amount: CreditAmount(credits: 10), reason: "x", actor: "cli")
            let a = try await ledger.reserve(CreditAmount(credits: 5))
            await #expect(throws: CreditError.self) { try await ledger.reserve(CreditAmount(credits: 4)) }  // 10 − 5 − 4 < 2
            let b = try await ledger.reserve(CreditAmount(credits: 3))  // 10 − 5 − 3 = 2 ≥ 2
            await #expect(throws: CreditError.self) { try await ledger.reserve(.zero) }  // nothing left above the floor
            #expect(try await ledger.openReservations().map(\.id) == [a.id, b.id])
            try await ledger.release(a)
            _ = try await ledger.reserve(CreditAmount(credits: 4))
            // A negative floor is an allowed overdraft.
            let overdraft = CreditLedger(database: database, configuration: .init(floor: CreditAmount(credits: -5)))
            _ = try await overdraft.reserve(CreditAmount(credits: 6))  // 10 − 7 − 6 = −3 ≥ −5
            await #expect(throws: CreditError.self) { try await overdraft.reserve(CreditAmount(credits: 3)) }
        }
    }

    @Test func settleInsideTheCallersTransaction() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            try await ledger.topUp(amount: CreditAmount(credits: 10), reason: "x", actor: "cli")
            try await database.writer.write { db in try db.execute(sql: "CREATE TABLE testAnswer (id INTEGER PRIMARY KEY, text TEXT)") }

            // The caller's transaction fails after settling: neither the answer nor the debit is kept.
            let first = try await ledger.reserve(CreditAmount(credits: 2))
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await database.writer.write { db in
                    try db.execute(sql: "INSERT INTO testAnswer (text) VALUES ('lost')")
                    try ledger.settle(first, actualCost: CreditAmount(credits: 1), reference: "answer:lost", in: db)
                    throw Boom()
                }
            }
            #expect(try await ledger.balance() == CreditAmount(credits: 10))
            #expect(try await database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM testAnswer") } == 0)
            #expect(try await ledger.openReservations().map(\.id) == [first.id])

            // It commits: both are kept.
            let settlement = try await database.writer.write { db in
                try db.execute(sql: "INSERT INTO testAnswer (text) VALUES ('kept')")
                return try ledger.settle(first, actualCost: CreditAmount(credits: 1), reference: "answer:\(db.lastInsertedRowID)", in: db)
            }
            #expect(settlement.entry.reference == "answer:1")
            #expect(settlement.balance == CreditAmount(credits: 9))
            #expect(try await ledger.balance() == CreditAmount(credits: 9))
            #expect(try await ledger.openReservations().isEmpty)

            // Settling twice, or settling a released reservation, is refused.
            await #expect(throws: CreditError.reservationClosed(first.id!, state: "settled")) {
                try await ledger.settle(first, actualCost: CreditAmount(credits: 1))
            }
            let second = try await ledger.reserve(CreditAmount(credits: 1))
            #expect(try await ledger.release(second))
            #expect(try await !ledger.release(second))
            await #expect(throws: CreditError.self) { try await ledger.settle(second, actualCost: .zero) }

            // Outside a transaction.
            let third = try await ledger.reserve(CreditAmount(credits: 1))
            await #expect(throws: CreditError.notInTransaction) {
                try await database.writer.writeWithoutTransaction { db in try ledger.settle(third, actualCost: .zero, in: db) }
            }
        }
    }

    @Test func actualCostAboveTheEstimateIsDebitedInFull() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            try await ledger.topUp(amount: CreditAmount(credits: 1), reason: "x", actor: "cli")
            let reservation = try await ledger.reserve(CreditAmount(micros: 100))
            try await ledger.settle(reservation, actualCost: CreditAmount(micros: 300))
            #expect(try await ledger.balance() == CreditAmount(micros: 999_700))
        }
    }

    @Test func staleReservationsExpire() async throws {
        try await withDatabase { database in
            let clock = TestNow()
            let ledger = CreditLedger(database: database, configuration: .init(reservationLifetime: .seconds(60)), now: clock.closure)
            try await ledger.topUp(amount: CreditAmount(credits: 5), reason: "x", actor: "cli")
            let crashed = try await ledger.reserve(CreditAmount(credits: 5), reference: "turn lost in a crash")
            await #expect(throws: CreditError.self) { try await ledger.reserve(CreditAmount(credits: 1)) }
            clock.advance(seconds: 59)
            await #expect(throws: CreditError.self) { try await ledger.reserve(CreditAmount(credits: 1)) }
            clock.advance(seconds: 2)
            // Lapsed: it no longer holds credits, even before the sweep.
            #expect(try await ledger.status().reserved == .zero)
            let fresh = try await ledger.reserve(CreditAmount(credits: 1))
            #expect(try await ledger.expireStaleReservations() == 1)
            #expect(try await ledger.expireStaleReservations() == 0)
            #expect(try await !ledger.release(crashed))
            // A late settle of the lapsed reservation still debits the real cost, once.
            try await ledger.settle(crashed, actualCost: CreditAmount(credits: 2))
            await #expect(throws: CreditError.self) { try await ledger.settle(crashed, actualCost: CreditAmount(credits: 2)) }
            #expect(try await ledger.balance() == CreditAmount(credits: 3))
            // Start-up after a crash: release whatever is still open.
            #expect(try await ledger.releaseAllOpenReservations() == 1)
            #expect(try await !ledger.release(fresh))
        }
    }

    @Test func concurrentTurnsNeverOverdraw() async throws {
        try await withDatabase { database in
            let floor = CreditAmount(credits: 1)
            let ledger = CreditLedger(database: database, configuration: .init(floor: floor))
            let initial = CreditAmount(credits: 10)
            try await ledger.topUp(amount: initial, reason: "x", actor: "cli")
            let estimate = CreditAmount(micros: 700_000)

            // 50 turns at once: reserve, "call the LLM", then settle the real cost with the answer or release.
            let outcomes = try await withThrowingTaskGroup(of: CreditAmount?.self) { group in
                for turn in 0..<50 {
                    group.addTask {
                        let reservation: CreditReservation
                        do {
                            reservation = try await ledger.reserve(estimate, reference: "turn-\(turn)")
                        } catch let error as CreditError where error.isInsufficientCredits {
                            return nil
                        }
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...20)))
                        if turn % 7 == 0 {  // the LLM failed: extractive answer, nothing to pay
                            try await ledger.release(reservation)
                            return .zero
                        }
                        let cost = CreditAmount(micros: Int64.random(in: 100_000...700_000))
                        try await database.writer.write { db in
                            try db.execute(sql: "CREATE TABLE IF NOT EXISTS testAnswer (turn INTEGER, cost INTEGER)")
                            try db.execute(sql: "INSERT INTO testAnswer VALUES (?, ?)", arguments: [turn, cost.micros])
                            try ledger.settle(reservation, actualCost: cost, reference: "turn-\(turn)", in: db)
                        }
                        return cost
                    }
                }
                return try await group.reduce(into: [CreditAmount?]()) { $0.append($1) }
            }
            let settled = outcomes.compactMap { $0 }.reduce(CreditAmount.zero, +)
            let refused = outcomes.filter { $0 == nil }.count
            let balance = try await ledger.balance()
            #expect(balance >= floor)
            #expect(balance == initial - settled)
            #expect(refused > 0)  // 50 × 0.7 far exceeds the 9 credits above the floor
            #expect(outcomes.count == 50)
            let debits = try await database.reader.read { db in
                try Int64.fetchOne(db, sql: "SELECT -SUM(amount) FROM creditEntry WHERE kind = 'debit'") ?? 0
            }
            let answers = try await database.reader.read { db in try Int64.fetchOne(db, sql: "SELECT SUM(cost) FROM testAnswer") ?? 0 }
            #expect(debits == settled.micros)
            #expect(answers == debits)
            #expect(try await ledger.openReservations().isEmpty)
        }
    }
}

import Credits
import Foundation
import Testing

/// `make fuzz` found two API top-ups of 5e19 credits (each saturating at Int64.max micro-credits) that made SQLite's SUM
/// of the ledger overflow: every balance read failed from then on. No entry may take the balance past the limit now.
@Suite struct BalanceLimitTests {
    @Test func noEntryTakesTheBalancePastTheLimit() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            let limit = CreditLedger.balanceLimit
            try await ledger.topUp(amount: CreditAmount(micros: limit.micros - 1), reason: "nearly all", actor: "api")
            await #expect(throws: CreditError.self) {
                try await ledger.topUp(amount: CreditAmount(micros: 2), reason: "one too many", actor: "api")
            }
            await #expect(throws: CreditError.self) {
                try await ledger.topUp(amount: CreditAmount(credits: 5.382111059177763e+19), reason: "saturated", actor: "api")
            }
            try await ledger.topUp(amount: CreditAmount(micros: 1), reason: "exactly the limit", actor: "api")
            #expect(try await ledger.balance() == limit)
            await #expect(throws: CreditError.self) {
                try await ledger.adjust(amount: CreditAmount(micros: -(2 * limit.micros) - 1), reason: "past the negative limit", actor: "operator")
            }
            #expect(try await ledger.status().balance == limit)
        }
    }

    @Test func aRepeatedExternalIDStillReturnsTheFirstEntry() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            let limit = CreditLedger.balanceLimit
            let first = try await ledger.topUp(amount: limit, reason: "all", actor: "stripe", externalID: "evt_limit")
            let again = try await ledger.topUp(amount: limit, reason: "all", actor: "stripe", externalID: "evt_limit")
            #expect(!again.isNew && again.entry.id == first.entry.id)
        }
    }
}

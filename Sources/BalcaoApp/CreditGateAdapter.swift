import Answering
import Conversations
import Credits
import GRDB
import Logging
import Storage

/// The credit ledger as the conversation flow's gate: hold the most an answer may cost before calling the model, debit
/// the real cost in the transaction that records the answer, release the hold when the model fails.
struct LedgerCreditGate: CreditGate {
    let ledger: CreditLedger
    let logger: Logger
    let pricing: CreditPricing
    let database: AppDatabase
    /// The largest prompt and completion an answer may use (the hold covers them).
    let maxPromptTokens = 6000
    let maxCompletionTokens = Answerer.completionTokenLimit

    func reserve(reference: String) async throws -> CreditHold? {
        let estimate = pricing.maximumCost(promptTokens: maxPromptTokens, maxCompletionTokens: maxCompletionTokens)
        do {
            let reservation = try await ledger.reserve(estimate, reference: reference)
            return CreditHold(id: reservation.id!, amount: reservation.amount.micros)
        } catch let error as CreditError where error.isInsufficientCredits {
            return nil
        }
    }

    func settle(_ hold: CreditHold, promptTokens: Int, completionTokens: Int, reference: String, in db: Database) throws -> Int64 {
        guard let reservation = try CreditReservation.fetchOne(db, key: hold.id) else { throw CreditError.unknownReservation(hold.id) }
        let cost = pricing.cost(promptTokens: promptTokens, completionTokens: completionTokens)
        let settlement = try ledger.settle(reservation, actualCost: cost, reference: reference, in: db)
        if settlement.crossedLowBalanceThreshold {
            logger.warning("credit balance is low", metadata: ["balance": "\(settlement.balance)"])
        }
        return cost.micros
    }

    func release(_ hold: CreditHold) async throws {
        guard let reservation = try database.writer.readNow({ db in try CreditReservation.fetchOne(db, key: hold.id) }) else { return }
        try await ledger.release(reservation)
    }
}

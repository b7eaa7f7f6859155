import Answering
public import Credits
public import GRDB
public import Logging

/// The credit ledger as the conversation flow's gate: hold the most an answer may cost before calling the model, debit
/// the real cost in the transaction that records the answer, release the hold when the model fails.
public struct LedgerCreditGate: CreditGate {
    let ledger: CreditLedger
    let logger: Logger
    let pricing: CreditPricing
    /// The largest prompt and completion an answer may use (the hold covers them).
    let maxPromptTokens = 6000
    let maxCompletionTokens = Answerer.completionTokenLimit

    /// A gate debiting `ledger` at `pricing`; a settlement that crosses the low-balance threshold is logged to `logger`.
    public init(ledger: CreditLedger, pricing: CreditPricing, logger: Logger) {
        self.ledger = ledger
        self.pricing = pricing
        self.logger = logger
    }

    public func reserve(reference: String) async throws -> CreditHold? {
        let estimate = pricing.maximumCost(promptTokens: maxPromptTokens, maxCompletionTokens: maxCompletionTokens)
        do {
            let reservation = try await ledger.reserve(estimate, reference: reference)
            return CreditHold(id: reservation.id!, amount: reservation.amount.micros)
        } catch let error as CreditError where error.isInsufficientCredits {
            return nil
        }
    }

    public func settle(_ hold: CreditHold, promptTokens: Int, completionTokens: Int, reference: String, in db: Database) throws -> Int64 {
        let cost = pricing.cost(promptTokens: promptTokens, completionTokens: completionTokens)
        let settlement = try ledger.settle(reservationID: hold.id, actualCost: cost, reference: reference, in: db)
        if settlement.crossedLowBalanceThreshold {
            logger.warning("credit balance is low", metadata: ["balance": "\(settlement.balance)"])
        }
        return cost.micros
    }

    public func release(_ hold: CreditHold) async throws {
        try await ledger.release(reservationID: hold.id)
    }
}

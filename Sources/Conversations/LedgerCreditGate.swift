import Answering
public import Credits
public import GRDB
public import LLM
public import Logging

/// The credit ledger as the conversation flow's gate: hold the most an answer may cost before calling the model, debit
/// the real cost in the transaction that records the answer, release the hold when the model fails.
///
/// With a fallback model the hold covers the dearer of the two, and the debit is at the price of the one that answered.
public struct LedgerCreditGate: CreditGate {
    let ledger: CreditLedger
    let logger: Logger
    let pricing: CreditPricing
    let fallbackPricing: CreditPricing
    /// The largest prompt and completion an answer may use (the hold covers them).
    let maxPromptTokens = 6000
    let maxCompletionTokens = Answerer.completionTokenLimit

    /// A gate debiting `ledger` at `pricing` for the primary model's answers and at `fallbackPricing` (the primary's
    /// when not given) for the fallback's; a settlement that crosses the low-balance threshold is logged to `logger`.
    public init(ledger: CreditLedger, pricing: CreditPricing, fallbackPricing: CreditPricing? = nil, logger: Logger) {
        self.ledger = ledger
        self.pricing = pricing
        self.fallbackPricing = fallbackPricing ?? pricing
        self.logger = logger
    }

    /// The pricing of a model.
    func pricing(of tier: ChatModelTier) -> CreditPricing {
        switch tier {
        case .primary: pricing
        case .fallback: fallbackPricing
        }
    }

    public func reserve(reference: String) async throws -> CreditHold? {
        let estimate =
            ChatModelTier.allCases.map {
                pricing(of: $0).maximumCost(promptTokens: maxPromptTokens, maxCompletionTokens: maxCompletionTokens)
            }.max() ?? .zero
        do {
            let reservation = try await ledger.reserve(estimate, reference: reference)
            return CreditHold(id: reservation.id!, amount: reservation.amount.micros)
        } catch let error as CreditError where error.isInsufficientCredits {
            return nil
        }
    }

    public func settle(
        _ hold: CreditHold,
        promptTokens: Int,
        completionTokens: Int,
        tier: ChatModelTier,
        reference: String,
        in db: Database
    ) throws -> Int64 {
        let cost = pricing(of: tier).cost(promptTokens: promptTokens, completionTokens: completionTokens)
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

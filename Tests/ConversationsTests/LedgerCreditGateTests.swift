import Credits
import Foundation
import GRDB
import Logging
import Storage
import Testing

@testable import Conversations

/// The credit ledger as the conversation flow's gate, against a real database file: the hold covers the most an
/// answer may cost, the debit is the real cost recorded in the answer's transaction, a failed answer costs nothing.
@Suite("Credits as the conversation flow's gate")
struct LedgerCreditGateTests {
    /// 0.1 credit per 1,000 prompt tokens, 0.2 per 1,000 completion tokens, 1 per answer: the most an answer may cost
    /// (6,000 prompt tokens, the completion limit of 700) is 0.6 + 0.14 + 1 = 1.74 credits.
    static let pricing = CreditPricing(
        pricePer1kInputTokens: CreditAmount(parsing: "0.1")!,
        pricePer1kOutputTokens: CreditAmount(parsing: "0.2")!,
        pricePerAnswer: CreditAmount(credits: 1)
    )

    @Test("hold the most an answer may cost, debit its real cost once, release a failed answer's hold")
    func holdSettleRelease() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let ledger = CreditLedger(database: test.database)
        let gate = LedgerCreditGate(ledger: ledger, pricing: Self.pricing, logger: Logger(label: "test"))
        try await ledger.topUp(amount: CreditAmount(credits: 2), reason: "test", actor: "test")

        let hold = try #require(try await gate.reserve(reference: "turn-1"))
        #expect(hold.amount == 1_740_000)
        #expect(try await gate.reserve(reference: "turn-2") == nil, "0.26 credits left beside the hold cannot cover another answer")

        // 1,000 prompt and 100 completion tokens: 0.1 + 0.02 + 1 = 1.12 credits, debited with the answer.
        let cost = try await test.database.writer.write { db in
            try gate.settle(hold, promptTokens: 1000, completionTokens: 100, tier: .primary, reference: "answer-1", in: db)
        }
        #expect(cost == 1_120_000)
        #expect(try await ledger.balance() == CreditAmount(micros: 880_000))
        await #expect(throws: CreditError.self, "a settled hold is never debited twice") {
            try await test.database.writer.write { db in
                try gate.settle(hold, promptTokens: 1000, completionTokens: 100, tier: .primary, reference: "answer-1", in: db)
            }
        }

        try await ledger.topUp(amount: CreditAmount(credits: 5), reason: "test", actor: "test")
        let failed = try #require(try await gate.reserve(reference: "turn-3"))
        try await gate.release(failed)
        #expect(try await ledger.balance() == CreditAmount(micros: 5_880_000), "a released hold costs nothing")
        #expect(try await ledger.status().reserved == .zero)
    }
}

/// What an answer costs: per 1 000 prompt tokens, per 1 000 completion tokens, and a flat price per answer
/// (`credits.price_per_1k_input_tokens`, `credits.price_per_1k_output_tokens`, `credits.price_per_answer`).
///
/// The three add up; a deployment usually sets either the token prices or the flat price. The token part is rounded
/// up to the next micro-credit, once, over both directions, so that many tiny answers are never free.
public struct CreditPricing: Sendable, Hashable, Codable {
    /// Price of 1 000 prompt (input) tokens.
    public var pricePer1kInputTokens: CreditAmount
    /// Price of 1 000 completion (output) tokens.
    public var pricePer1kOutputTokens: CreditAmount
    /// Price of every answer, whatever its length.
    public var pricePerAnswer: CreditAmount

    /// A pricing; every part defaults to zero.
    public init(pricePer1kInputTokens: CreditAmount = .zero, pricePer1kOutputTokens: CreditAmount = .zero, pricePerAnswer: CreditAmount = .zero) {
        self.pricePer1kInputTokens = pricePer1kInputTokens
        self.pricePer1kOutputTokens = pricePer1kOutputTokens
        self.pricePerAnswer = pricePerAnswer
    }

    /// Whether every price is zero (the LLM costs nothing).
    public var isFree: Bool {
        pricePer1kInputTokens.micros <= 0 && pricePer1kOutputTokens.micros <= 0 && pricePerAnswer.micros <= 0
    }

    /// The cost of one answer that used these tokens:
    /// `⌈(prompt × in + completion × out) / 1000⌉ + perAnswer` (negative counts are taken as zero).
    public func cost(promptTokens: Int, completionTokens: Int) -> CreditAmount {
        let input = Self.product(Int64(max(0, promptTokens)), max(0, pricePer1kInputTokens.micros))
        let output = Self.product(Int64(max(0, completionTokens)), max(0, pricePer1kOutputTokens.micros))
        let (sum, overflow) = input.addingReportingOverflow(output)
        let tokenPart = overflow ? Int64.max / 1000 : (sum / 1000 + (sum % 1000 == 0 ? 0 : 1))
        return CreditAmount(micros: tokenPart) + CreditAmount(micros: max(0, pricePerAnswer.micros))
    }

    /// The most an answer can cost: the prompt's tokens (counted or estimated) and the reply's token limit.
    /// What to reserve before calling the LLM (see ``CreditLedger/reserve(_:reference:)``).
    public func maximumCost(promptTokens: Int, maxCompletionTokens: Int) -> CreditAmount {
        cost(promptTokens: promptTokens, completionTokens: maxCompletionTokens)
    }

    private static func product(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int64.max / 2 : value
    }
}

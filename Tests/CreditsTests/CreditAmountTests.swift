import Credits
import Foundation
import Testing

@Suite struct CreditAmountTests {
    @Test func parsingAndFormatting() {
        #expect(CreditAmount(parsing: "100")?.micros == 100_000_000)
        #expect(CreditAmount(parsing: "12.5")?.micros == 12_500_000)
        #expect(CreditAmount(parsing: "0.000150")?.micros == 150)
        #expect(CreditAmount(parsing: "-3")?.micros == -3_000_000)
        #expect(CreditAmount(parsing: ".5")?.micros == 500_000)
        #expect(CreditAmount(parsing: " 7 ")?.micros == 7_000_000)
        for bad in ["", "abc", "1.2.3", "1.0000001", "1e3", "1,5", "- 1", "99999999999999999999", "."] {
            #expect(CreditAmount(parsing: bad) == nil, "\(bad)")
        }
        #expect(CreditAmount(micros: 12_500_000).formatted == "12.5")
        #expect(CreditAmount(micros: -3_000_000).formatted == "-3")
        #expect(CreditAmount(micros: 150).formatted == "0.00015")
        #expect(CreditAmount(micros: -150).formatted == "-0.00015")
        #expect(CreditAmount.zero.formatted == "0")
        #expect(CreditAmount(micros: 12_345_678).formatted(decimalPlaces: 2) == "12.35")
        #expect(CreditAmount(micros: -1_005_000).formatted(decimalPlaces: 2) == "-1.01")
        #expect(CreditAmount(micros: 5_000_000).formatted(decimalPlaces: 0) == "5")
        for micros: Int64 in [0, 1, 999_999, 1_000_000, -42_000_001, 123_456_789_012] {
            #expect(CreditAmount(parsing: CreditAmount(micros: micros).formatted)?.micros == micros)
        }
    }

    @Test func decimalAndDoubleConversions() {
        #expect(CreditAmount(credits: Decimal(string: "0.15")!).micros == 150_000)
        #expect(CreditAmount(credits: 0.15).micros == 150_000)
        #expect(CreditAmount(credits: 0.0000005).micros == 1)  // half away from zero
        #expect(CreditAmount(credits: 3).micros == 3_000_000)
        #expect(CreditAmount(micros: 2_500_000).decimal == Decimal(string: "2.5"))
        #expect(CreditAmount(credits: 1) + CreditAmount(micros: 5) - CreditAmount(micros: 10) == CreditAmount(micros: 999_995))
        #expect(-CreditAmount(credits: 2) < .zero)
    }

    @Test func codableAsMicros() throws {
        let data = try JSONEncoder().encode(CreditAmount(micros: 1_500_000))
        #expect(String(decoding: data, as: UTF8.self) == "1500000")
        #expect(try JSONDecoder().decode(CreditAmount.self, from: data) == CreditAmount(micros: 1_500_000))
    }

    @Test func pricingPerTokensAndPerAnswer() {
        let tokens = CreditPricing(pricePer1kInputTokens: CreditAmount(credits: 0.15), pricePer1kOutputTokens: CreditAmount(credits: 0.6))
        // 1 200 × 150 000 + 350 × 600 000 = 180 000 000 + 210 000 000 micro-credit-tokens → 390 000 micro-credits.
        #expect(tokens.cost(promptTokens: 1200, completionTokens: 350) == CreditAmount(micros: 390_000))
        // Rounded up once: 1 token × 1 micro / 1000 → 1 micro.
        #expect(CreditPricing(pricePer1kInputTokens: CreditAmount(micros: 1)).cost(promptTokens: 1, completionTokens: 0).micros == 1)
        #expect(tokens.cost(promptTokens: 0, completionTokens: 0) == .zero)
        #expect(tokens.cost(promptTokens: -5, completionTokens: -1) == .zero)
        #expect(tokens.maximumCost(promptTokens: 1000, maxCompletionTokens: 500) == CreditAmount(micros: 150_000 + 300_000))
        let flat = CreditPricing(pricePerAnswer: CreditAmount(credits: 0.05))
        #expect(flat.cost(promptTokens: 99_999, completionTokens: 99_999) == CreditAmount(micros: 50_000))
        let both = CreditPricing(pricePer1kInputTokens: CreditAmount(credits: 1), pricePerAnswer: CreditAmount(credits: 2))
        #expect(both.cost(promptTokens: 500, completionTokens: 0) == CreditAmount(micros: 2_500_000))
        #expect(CreditPricing().isFree && !flat.isFree)
        // Absurd figures saturate instead of trapping.
        let huge = CreditPricing(pricePer1kInputTokens: CreditAmount(micros: .max))
        #expect(huge.cost(promptTokens: .max, completionTokens: .max) > .zero)
    }
}

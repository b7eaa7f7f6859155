import BalcaoApp
import BalcaoTesting
import Conversations
import Credits
import Foundation
import HummingbirdTesting
import Testing

/// A customer who floods the assistant gets one polite notice and a person instead of more model calls. Real daemon,
/// fake Graph API and LLM over loopback.
@Suite("Flood limits per customer", .serialized)
struct CustomerLimitsTests {
    static let notice = "Recebi muitas mensagens suas em pouco tempo."

    /// Sends `count` questions one turn at a time (each waits for its reply); returns every text sent.
    static func ask(_ count: Int, harness: WhatsAppHarness, client: some TestClientProtocol) async throws -> [String] {
        for index in 1...count {
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução? (\(index))"), client: client)
            _ = await harness.waitForSends(index, settle: .milliseconds(50))
        }
        return harness.sentTexts.compactMap(\.textBody)
    }

    @Test("three turns an hour: the fourth question gets the notice, the model is not called, and a person is waited for")
    func turnsPerHour() async throws {
        let harness = try await WhatsAppHarness.start { $0.limits.customerTurnsPerHour = 3 }
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let sent = try await Self.ask(4, harness: harness, client: client)
            #expect(sent.count == 4)
            #expect(sent.prefix(3).allSatisfy { $0.contains("7 dias") })
            #expect(sent.last?.hasPrefix(Self.notice) == true)
            #expect(harness.llm?.requestCount == 3)
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            #expect(conversation.mode == .human)
            // Handed to a person: the next message is stored, not answered.
            try await harness.deliver(WhatsAppHarness.textWebhook("Oi? Alguém?"), client: client)
            #expect(await harness.waitForSends(5, settle: .milliseconds(50), timeout: .seconds(3)).count == 4)
            #expect(harness.llm?.requestCount == 3)
        }
    }

    @Test("two credits a day: the answer that would spend past them is replaced by the notice")
    func spendPerDay() async throws {
        let harness = try await WhatsAppHarness.start { configuration in
            configuration.credits.pricePerAnswer = 1
            configuration.limits.customerCreditsPerDay = 2
        }
        defer { Task { await harness.stop() } }
        _ = try await harness.daemon.balcao.ledger.topUp(amount: CreditAmount(credits: 10), reason: "test", actor: "test")
        try await harness.run { client in
            let sent = try await Self.ask(3, harness: harness, client: client)
            #expect(sent.count == 3)
            #expect(sent.last?.hasPrefix(Self.notice) == true)
            #expect(harness.llm?.requestCount == 2)
            #expect(try await harness.daemon.balcao.ledger.balance() == CreditAmount(credits: 8))
        }
    }
}

import BalcaoApp
import BalcaoTesting
import Conversations
import Credits
import Foundation
import HummingbirdTesting
import Testing

/// `[llm_fallback]`: a second model answers when the first cannot, at its own price; with both down the passages are
/// quoted. And a customer's reply to an earlier message brings that message's text to the prompt. Real daemon, fake
/// Graph API and two fake LLMs over loopback.
@Suite("Fallback model and quoted replies", .serialized)
struct FallbackModelTests {
    static let fallbackReply = "Pelo modelo reserva: a devolução pode ser pedida em até **7 dias** (politica.txt)."

    /// A harness whose primary model costs 1 credit an answer and whose fallback costs 0.25, with 10 credits.
    static func start(fallback: FakeLLM) async throws -> WhatsAppHarness {
        let harness = try await WhatsAppHarness.start { configuration in
            configuration.credits.pricePerAnswer = 1
            configuration.llmFallback.baseURL = fallback.baseURL
            configuration.llmFallback.model = "modelo-reserva"
            configuration.llmFallback.pricePerAnswer = 0.25
            configuration.llmFallback.timeoutSeconds = 60
        }
        _ = try await harness.daemon.balcao.ledger.topUp(amount: CreditAmount(credits: 10), reason: "test", actor: "test")
        return harness
    }

    /// Runs `body` against a live daemon of ``start(fallback:)`` with its fallback model, stopping both afterwards.
    static func withFallback(_ body: @Sendable (WhatsAppHarness, FakeLLM, any TestClientProtocol) async throws -> Void) async throws {
        let fallback = try await FakeLLM.start(reply: fallbackReply)
        let harness = try await start(fallback: fallback)
        defer {
            Task {
                await harness.stop()
                await fallback.stop()
            }
        }
        try await harness.run { client in try await body(harness, fallback, client) }
    }

    @Test("the primary model down: the fallback answers, is charged at its own price, and the answer records it")
    func fallbackAnswers() async throws {
        try await Self.withFallback { harness, fallback, client in
            harness.llm?.failNext(1000, status: 503)
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody?.contains("Pelo modelo reserva") == true)
            #expect((harness.llm?.requestCount ?? 0) >= 1)
            #expect(fallback.requestCount == 1)
            #expect(fallback.lastRequest?.model == "modelo-reserva")

            let balcao = harness.daemon.balcao
            let conversation = try #require(try balcao.database.conversations().first)
            let answer = try #require(try balcao.database.answers(ofConversation: conversation.id!).last)
            #expect(answer.outcome == .generated)
            #expect(answer.model == "modelo-reserva")
            #expect(answer.modelTier == "fallback")
            #expect(answer.cost == CreditAmount(credits: 0.25).micros)
            #expect(try await balcao.ledger.balance() == CreditAmount(credits: 9.75))

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"balcao_answers_by_model_total{model="modelo-reserva",tier="fallback"} 1"#))
        }
    }

    @Test("the primary model up: it answers at its price and the fallback is never asked")
    func primaryAnswers() async throws {
        try await Self.withFallback { harness, fallback, client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.first?.textBody?.contains("7 dias") == true)
            #expect(sent.first?.textBody?.contains("modelo reserva") == false)
            #expect(fallback.requestCount == 0)
            let balcao = harness.daemon.balcao
            let conversation = try #require(try balcao.database.conversations().first)
            let answer = try #require(try balcao.database.answers(ofConversation: conversation.id!).last)
            #expect(answer.model == "fake-model")
            #expect(answer.modelTier == "primary")
            #expect(try await balcao.ledger.balance() == CreditAmount(credits: 9))
        }
    }

    @Test("both models down: the passages are quoted and nothing is debited")
    func bothDown() async throws {
        try await Self.withFallback { harness, fallback, client in
            harness.llm?.failNext(1000, status: 503)
            fallback.failNext(1000, status: 500)
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução dos produtos?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            let text = try #require(sent.first?.textBody)
            #expect(text.contains("Encontrei isto nos nossos documentos"))
            #expect(text.contains("até 7 dias corridos após a entrega"))
            #expect(fallback.requestCount >= 1)
            let balcao = harness.daemon.balcao
            let conversation = try #require(try balcao.database.conversations().first)
            let answer = try #require(try balcao.database.answers(ofConversation: conversation.id!).last)
            #expect(answer.outcome == .extractive)
            #expect(answer.model == nil)
            #expect(try await balcao.ledger.balance() == CreditAmount(credits: 10))
            #expect(try await balcao.ledger.status().reserved == .zero)
        }
    }

    @Test("a reply to an earlier message brings that message's text to the prompt; a quote of an unknown message does not")
    func quotedReply() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let llm = try #require(harness.llm)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let first = await harness.waitForSends(1)
            let answered = try #require(first.first?.responseMessageID)
            #expect(llm.lastRequest?.prompt.contains("respondendo a esta mensagem anterior") == false)

            try await harness.deliver(WhatsAppHarness.textWebhook("E vale para devolução de presente?", replyingTo: answered), client: client)
            _ = await harness.waitForSends(2)
            let prompt = try #require(llm.lastRequest?.messages.first?.content)
            #expect(prompt.contains("O cliente está respondendo a esta mensagem anterior"))
            #expect(prompt.contains("[Mensagem do assistente]\nVocê pode devolver em até *7 dias* após a entrega (politica.txt)."))

            try await harness.deliver(
                WhatsAppHarness.textWebhook("E a devolução pelo correio?", replyingTo: "wamid.NOT-OURS"),
                client: client
            )
            _ = await harness.waitForSends(3)
            #expect(llm.requestCount == 3)
            #expect(llm.lastRequest?.messages.first?.content.contains("respondendo a esta mensagem anterior") == false)
        }
    }
}

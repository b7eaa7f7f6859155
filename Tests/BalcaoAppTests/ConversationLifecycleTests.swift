import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import GRDB
import HummingbirdTesting
import Storage
import Synchronization
import Testing

/// Reply buttons, "did it help?", the follow-up after a silence and closing, as a customer meets them on WhatsApp:
/// real daemon, fake Graph API (which checks interactive messages as Meta does) and fake LLM over loopback. Hours of
/// silence pass on the daemon's clock, never on the test's.
@Suite("Buttons, feedback, follow-up and closing on WhatsApp", .serialized)
struct ConversationLifecycleTests {
    /// A clock that runs at the real pace from where the test moves it.
    final class MovableClock: Sendable {
        private let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
        func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    }

    static let outOfScope = "Vocês vendem bicicletas elétricas aro 29?"

    /// A change to the conversation table wakes the follow-up and closing worker (as a new message would), which
    /// then reads the moved clock.
    static func wakeLifecycle(_ harness: WhatsAppHarness) async throws {
        try await harness.daemon.balcao.database.writer.write { db in
            try db.execute(sql: "UPDATE conversation SET updatedAt = updatedAt")
        }
    }

    @Test("an answer that found nothing carries a 'Falar com atendente' button; tapping it hands off without the model")
    func handoffButton() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook(Self.outOfScope), client: client)
            let offer = try #require(await harness.waitForSends(1).first)
            #expect(offer.textBody?.contains("não encontrei essa informação") == true)
            #expect(offer.replyButtons.map(\.id) == ["balcao:handoff"])
            #expect(offer.replyButtons.map(\.title) == ["Falar com atendente"])

            let tap = WhatsAppHarness.buttonTapWebhook(
                id: "balcao:handoff",
                title: "Falar com atendente",
                under: try #require(offer.responseMessageID)
            )
            try await harness.deliver(tap, client: client)
            let sent = await harness.waitForSends(2)
            #expect(sent.count == 2)
            #expect(
                sent.last?.textBody == "Certo! Vou chamar uma pessoa da nossa equipe para continuar o atendimento. Aguarde um momento, por favor."
            )
            #expect(sent.last?.replyButtons.isEmpty == true)
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            #expect(conversation.mode == .human)
            #expect(harness.llm?.requestCount == 0)
        }
    }

    @Test("'Isso ajudou?' follows an answer once a day; 'Não' is feedback, not a question, and lands in the review list")
    func feedbackButtons() async throws {
        let harness = try await WhatsAppHarness.start { $0.conversations.feedbackButtons = true }
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(2)
            #expect(sent.count == 2)
            #expect(sent.first?.textBody?.contains("7 dias") == true)
            let question = try #require(sent.last)
            #expect(question.textBody == "Isso ajudou?")
            #expect(question.replyButtons.map(\.id) == ["balcao:feedback:yes", "balcao:feedback:no"])
            #expect(question.replyButtons.map(\.title) == ["Sim", "Não"])

            let tap = WhatsAppHarness.buttonTapWebhook(id: "balcao:feedback:no", title: "Não", under: try #require(question.responseMessageID))
            try await harness.deliver(tap, client: client)
            let afterTap = await harness.waitForSends(3)
            #expect(afterTap.count == 3)
            #expect(afterTap.last?.textBody == "Sinto muito que não tenha ajudado. Quer falar com uma pessoa da nossa equipe?")
            #expect(afterTap.last?.replyButtons.map(\.id) == ["balcao:handoff"])
            #expect(harness.llm?.requestCount == 1, "the tap is not a question for the model")

            let conversation = try #require(try database.conversations().first)
            let answers = try database.answers(ofConversation: conversation.id!)
            #expect(answers.count == 1)
            #expect(answers.first?.feedback == "no")
            #expect(answers.first?.feedbackSource == "customer")
            let review = try database.unansweredQuestions(limit: 10, offset: 0)
            #expect(review.questions.map(\.question) == ["Qual o prazo para devolução?"])
            #expect(review.questions.first?.notHelpfulAnswer?.contains("7 dias") == true)

            // The same day: answered, not asked again.
            try await harness.deliver(WhatsAppHarness.textWebhook("E o reembolso, demora quanto?"), client: client)
            let later = await harness.waitForSends(4)
            #expect(later.count == 4)
            #expect(later.last?.replyButtons.isEmpty == true)
        }
    }

    @Test("one follow-up after two hours of silence, then closing after a day, then the next message opens it again")
    func followUpCloseReopen() async throws {
        let clock = MovableClock()
        let harness = try await WhatsAppHarness.start(configure: { $0.conversations.followUp = true }, clock: { clock.now() })
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", at: clock.now()), client: client)
            #expect(await harness.waitForSends(1).count == 1)

            clock.advance(2 * 3600 + 60)
            try await Self.wakeLifecycle(harness)
            let followed = await harness.waitForSends(2)
            #expect(followed.count == 2)
            #expect(followed.last?.textBody == "Posso ajudar em mais alguma coisa?")

            clock.advance(24 * 3600 + 60)
            try await Self.wakeLifecycle(harness)
            #expect(try await eventually(timeout: .seconds(30)) { try database.conversations().first?.status == .closed })
            #expect(harness.sentTexts.count == 2, "one follow-up only")
            let closure = try database.reader.read { db in
                try Row.fetchOne(db, sql: "SELECT resolution, answered, handedOff, confirmed FROM conversationClosure")
            }
            #expect(closure?["resolution"] == "assistant")
            #expect(closure?["answered"] == 1)

            try await harness.deliver(WhatsAppHarness.textWebhook("Oi de novo! E o reembolso?", at: clock.now()), client: client)
            #expect(await harness.waitForSends(3).count == 3)
            let conversations = try database.conversations()
            #expect(conversations.count == 1, "the same thread, its history kept")
            #expect(conversations.first?.status == .open)
            #expect(conversations.first?.followedUpAt == nil)
            #expect(try database.messages(ofConversation: conversations.first!.id!).count == 5)
        }
    }

    @Test("a message delivered late (sent 25 hours ago) opens a conversation that stays open: silence counts from its arrival")
    func lateDeliveryDoesNotClose() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        try await harness.run { client in
            let sent = Date().addingTimeInterval(-25 * 3600)
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", at: sent), client: client)
            #expect(try await eventually(timeout: .seconds(30)) { try database.answers(ofConversation: 1).count == 1 })
            try await Self.wakeLifecycle(harness)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try database.conversations().first?.status == .open)
            let closures = try await database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversationClosure") }
            #expect(closures == 0)
        }
    }

    @Test("'oi' with nothing to search for gets the agent's topics as a list; a tapped topic is answered from the documents")
    func topicList() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let balcao = harness.daemon.balcao
        let file = harness.daemon.dataDirectory.appendingPathComponent("horario_de_funcionamento.txt")
        try Data("Horário de funcionamento\n\nA loja abre de segunda a sábado, das 9h às 20h.".utf8).write(to: file)
        _ = try await balcao.library.add(fileAt: file, agent: "loja", password: nil)
        while let job = try await balcao.database.claimNextJob() { await balcao.pipeline.run(job) }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Oi, boa tarde!"), client: client)
            let list = try #require(await harness.waitForSends(1).first)
            #expect(list.textBody == "Olá! Sobre qual destes assuntos você quer saber? Escolha na lista ou escreva sua pergunta.")
            #expect(list.listButton == "Ver assuntos")
            #expect(list.listRows.map(\.title) == ["horario de funcionamento", "politica"])
            #expect(harness.llm?.requestCount == 0)
            #expect(try balcao.database.answers(ofConversation: 1).isEmpty, "not an unanswered question")

            let row = try #require(list.listRows.first)
            let tap = WhatsAppHarness.buttonTapWebhook(id: row.id, title: row.title, under: try #require(list.responseMessageID), list: true)
            try await harness.deliver(tap, client: client)
            #expect(await harness.waitForSends(2).count == 2)
            #expect(harness.llm?.requestCount == 1)
            #expect(harness.llm?.lastRequest?.prompt.contains("A loja abre de segunda a sábado") == true)
        }
    }
}

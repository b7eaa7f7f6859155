import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import HummingbirdTesting
import OpeningHours
import Storage
import Synchronization
import Testing

/// Opening hours as a customer meets them on WhatsApp: a hand-off asked when the business is closed names the next
/// opening and waits for it; with "away message only" the assistant answers nothing outside hours. Real daemon, fake
/// Graph API and LLM over loopback; the daemon's clock is set to the instants the tests name.
@Suite("Opening hours on WhatsApp", .serialized)
struct OpeningHoursFlowTests {
    /// A clock that starts at a given instant and runs at the real pace from there (the quiet period and the sends
    /// still take real time; the business hours are judged at the instant named).
    final class ShiftedClock: Sendable {
        private let offset: TimeInterval
        init(startingAt instant: Date) { offset = instant.timeIntervalSinceNow }
        func now() -> Date { Date().addingTimeInterval(offset) }
    }

    static let saoPaulo = TimeZone(identifier: "America/Sao_Paulo")!

    /// An instant on São Paulo's wall clock.
    static func local(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = saoPaulo
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    /// A daemon at `instant` whose agent keeps the standard hours (Monday to Friday 08:00–18:00, Saturday 08:00–12:00)
    /// in São Paulo, observing the national holidays.
    static func start(at instant: Date, policy: Agent.OutsideHoursPolicy = .answer) async throws -> (WhatsAppHarness, ShiftedClock) {
        let clock = ShiftedClock(startingAt: instant)
        let harness = try await WhatsAppHarness.start(clock: { clock.now() })
        let database = harness.daemon.balcao.database
        var agent = try #require(try database.agent(named: "loja"))
        agent.openingHours = OpeningHours()
        agent.outsideHours = policy
        try await database.save(&agent)
        return (harness, clock)
    }

    /// Asks for a person at `instant`; returns the reply and the conversation afterwards.
    static func askForPerson(at instant: Date) async throws -> (reply: String, conversation: Conversation, harness: WhatsAppHarness) {
        let (harness, clock) = try await start(at: instant)
        let reply = Mutex<String?>(nil)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Quero falar com um atendente", at: clock.now()), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            reply.withLock { $0 = sent.first?.textBody }
        }
        let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
        return (try #require(reply.withLock { $0 }), conversation, harness)
    }

    @Test("a hand-off asked at 23:00 on a Wednesday names Thursday's opening, and waits for it")
    func wednesdayNight() async throws {
        let (reply, conversation, harness) = try await Self.askForPerson(at: Self.local(2027, 3, 3, 23))
        defer { Task { await harness.stop() } }
        #expect(
            reply
                == "Certo! Estamos fora do horário de atendimento agora. Uma pessoa da nossa equipe vai responder quando abrirmos, amanhã (quinta-feira) às 08:00."
        )
        #expect(conversation.mode == .human)
        // The assistant stays silent until a person has had the configured time-out after the opening (240 minutes).
        let until = try #require(conversation.humanUntil)
        #expect(abs(until.timeIntervalSince(Self.local(2027, 3, 4, 8).addingTimeInterval(240 * 60))) < 1)
        #expect(harness.llm?.requestCount == 0)
    }

    @Test("a hand-off on Carnival Tuesday (computed from Easter) names Wednesday's opening")
    func carnivalTuesday() async throws {
        let (reply, _, harness) = try await Self.askForPerson(at: Self.local(2027, 2, 9, 10))
        defer { Task { await harness.stop() } }
        #expect(reply.hasSuffix("vai responder quando abrirmos, amanhã (quarta-feira) às 08:00."))
    }

    @Test("inside opening hours a hand-off gets the usual sentence")
    func insideHours() async throws {
        let (reply, conversation, harness) = try await Self.askForPerson(at: Self.local(2027, 3, 4, 10))
        defer { Task { await harness.stop() } }
        #expect(reply == "Certo! Vou chamar uma pessoa da nossa equipe para continuar o atendimento. Aguarde um momento, por favor.")
        let until = try #require(conversation.humanUntil)
        #expect(abs(until.timeIntervalSince(Self.local(2027, 3, 4, 10).addingTimeInterval(240 * 60))) < 5)
    }

    @Test("with 'away message only', a question on Saturday afternoon gets the away message naming Monday, not an answer")
    func awayMessageOnly() async throws {
        let (harness, clock) = try await Self.start(at: Self.local(2027, 3, 6, 15), policy: .awayMessageOnly)
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", at: clock.now()), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(
                sent.first?.textBody
                    == "Olá! Estamos fora do horário de atendimento agora. Sua mensagem ficou registrada e uma pessoa da nossa equipe vai responder quando abrirmos, na segunda-feira às 08:00."
            )
            #expect(harness.llm?.requestCount == 0)
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            #expect(conversation.mode == .human)
        }
    }
}

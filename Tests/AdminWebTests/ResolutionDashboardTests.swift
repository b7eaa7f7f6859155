import AdminWeb
import BalcaoApp
import Conversations
import Foundation
import GRDB
import HummingbirdTesting
import OpeningHours
import Storage
import Testing

/// The resolution rate on the dashboard for a fixed set of conversations closed by silence, the review list with
/// answers that did not help, an operator's mark, and the open / waiting / closed filter.
@Suite("Resolution rate and feedback pages")
struct ResolutionDashboardTests {
    /// One conversation, all of it a day and a half ago: its answers (outcome, feedback) and whether a person wrote.
    static func insertConversation(
        _ database: AppDatabase,
        customer: String,
        agentID: Int64,
        answers: [(outcome: String, feedback: String?)],
        question: String,
        at date: Date
    ) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO conversation (phoneNumberID, customerID, addressing, customerName, agentId, mode, consecutiveUnanswered,
                                              lastInboundAt, createdAt, updatedAt, openedAt)
                    VALUES ('106540352242922', ?, 'to', ?, ?, 'assistant', 0, ?, ?, ?, ?)
                    """,
                arguments: [customer, "Cliente \(customer.suffix(2))", agentID, date, date, date, date]
            )
            let conversation = db.lastInsertedRowID
            for answer in answers {
                try db.execute(
                    sql: "INSERT INTO turn (conversationId, state, dueAt, createdAt, updatedAt) VALUES (?, 'done', ?, ?, ?)",
                    arguments: [conversation, date, date, date]
                )
                let turn = db.lastInsertedRowID
                try db.execute(
                    sql: """
                        INSERT INTO message (conversationId, turnId, direction, author, kind, text, createdAt, updatedAt)
                        VALUES (?, ?, 'in', 'customer', 'text', ?, ?, ?), (?, ?, 'out', 'assistant', 'text', 'Resposta.', ?, ?)
                        """,
                    arguments: [conversation, turn, question, date, date, conversation, turn, date, date]
                )
                try db.execute(
                    sql: """
                        INSERT INTO answer (conversationId, turnId, question, text, outcome, sources, latencyMs, createdAt,
                                            feedback, feedbackSource, feedbackAt)
                        VALUES (?, ?, ?, 'A devolução é em até 7 dias.', ?, '[]', 10, ?, ?, ?, ?)
                        """,
                    arguments: [
                        conversation, turn, question, answer.outcome, date, answer.feedback,
                        answer.feedback == nil ? nil : "customer", answer.feedback == nil ? nil : date,
                    ]
                )
            }
        }
    }

    @Test("five conversations closed by silence: two resolved by the assistant (40 %), one by a person; figures per agent")
    func resolutionFigures() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)  // one question left unanswered: unresolved
        let database = harness.balcao.database
        let then = harness.clock.now.addingTimeInterval(-36 * 3600)
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE conversation SET openedAt = ?, createdAt = ?, updatedAt = ?", arguments: [then, then, then])
            try db.execute(sql: "UPDATE message SET createdAt = ?, updatedAt = ?", arguments: [then, then])
            try db.execute(sql: "UPDATE answer SET createdAt = ?", arguments: [then])
        }
        let agent = fixture.agentID
        try await Self.insertConversation(
            database,
            customer: "5511900000001",
            agentID: agent,
            answers: [("generated", "yes")],
            question: "Qual o prazo?",
            at: then
        )
        try await Self.insertConversation(
            database,
            customer: "5511900000002",
            agentID: agent,
            answers: [("generated", nil)],
            question: "Prazo?",
            at: then
        )
        try await Self.insertConversation(
            database,
            customer: "5511900000003",
            agentID: agent,
            answers: [("generated", nil), ("handoff", nil)],
            question: "Quero um atendente",
            at: then
        )
        try await Self.insertConversation(
            database,
            customer: "5511900000004",
            agentID: agent,
            answers: [("extractive", "no")],
            question: "Posso trocar o tamanho?",
            at: then
        )
        var settings = ConversationSettings()
        settings.followUp = false
        let done = try await database.applyLifecycle(LifecycleRules(settings), now: harness.clock.now) { _ in "" }
        #expect(done.closed == 5)
        #expect(done.followUps == 0)
        let stats = try database.activityStats(now: harness.clock.now)
        #expect(stats.month.closed == 5)
        #expect(stats.month.resolvedByAssistant == 2)
        #expect(stats.month.resolvedByPerson == 1)
        #expect(stats.month.helpful == 1)
        #expect(stats.month.notHelpful == 1)
        #expect(stats.agents.map(\.agentName) == ["loja"])

        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            let dashboard = try await browser.get("/admin/dashboard")
            #expect(dashboard.text.contains("<span class=\"stat-value\">40%</span><span class=\"stat-note\">2 de 5 conversas encerradas</span>"))
            #expect(dashboard.text.contains("Uma conversa conta como resolvida pelo assistente quando o cliente diz que a resposta ajudou"))
            #expect(dashboard.text.contains("<td>loja</td><td class=\"right\">5</td><td class=\"right\">2</td><td class=\"right\">40%</td>"))
            #expect(dashboard.text.contains("<span class=\"stat-value\">1 / 1</span>"))

            let closed = try await browser.get("/admin/conversations?filter=closed")
            #expect(closed.text.contains("Cliente 04"))
            let open = try await browser.get("/admin/conversations?filter=open")
            #expect(!open.text.contains("Cliente 04"))

            // The answer that did not help waits in the review list beside the unanswered question.
            let review = try await browser.get("/admin/unanswered")
            #expect(review.text.contains("Posso trocar o tamanho?"))
            #expect(review.text.contains("Vocês entregam aos domingos?"))
            #expect(review.text.contains("Não ajudou"))
            #expect(!review.text.contains(">Prazo?<"))

            // An operator marks another answer as not helpful: audited, and in the review list too.
            let second = try #require(try database.conversations().first { $0.customerID == "5511900000002" })
            let answer = try #require(try database.answers(ofConversation: second.id!).first)
            let thread = try await browser.get("/admin/conversations/\(second.id!)")
            #expect(thread.text.contains("/answers/\(answer.id!)/feedback"))
            let marked = try await browser.post("/admin/conversations/\(second.id!)/answers/\(answer.id!)/feedback", [("helpful", "no")])
            #expect(marked.status == .seeOther)
            #expect(try database.answers(ofConversation: second.id!).first?.feedback == "no")
            #expect(try database.answers(ofConversation: second.id!).first?.feedbackSource == "operator")
            #expect(try await browser.get("/admin/unanswered").text.contains(">Prazo?<"))
            let foreign = try await browser.post("/admin/conversations/\(fixture.conversationID)/answers/\(answer.id!)/feedback", [("helpful", "no")])
            #expect(foreign.status == .notFound, "an answer of another conversation")
        }
        let actions = try await database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT action FROM auditEntry WHERE action = 'answer.feedback'")
        }
        #expect(actions.count == 1)
    }

    @Test("a person's reply time is shown apart for hand-offs asked inside and outside the agent's opening hours")
    func personReplyInsideAndOutsideHours() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        // Open around the clock on weekdays in UTC, closed on weekends: a Saturday hand-off is outside hours.
        var agent = try #require(try database.agent(id: fixture.agentID))
        var hours = OpeningHours(timeZoneIdentifier: "UTC")
        hours.observesNationalHolidays = false
        for day in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] { hours.weekly[day] = [.wholeDay] }
        hours.weekly[.saturday] = []
        hours.weekly[.sunday] = []
        agent.openingHours = hours
        try await database.save(&agent)
        let now = harness.clock.now
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let lastSaturday = calendar.nextDate(
            after: now.addingTimeInterval(-8 * 86_400),
            matching: DateComponents(hour: 10, weekday: 7),
            matchingPolicy: .nextTime
        )!
        let lastWednesday = calendar.nextDate(
            after: now.addingTimeInterval(-8 * 86_400),
            matching: DateComponents(hour: 10, weekday: 4),
            matchingPolicy: .nextTime
        )!
        for (asked, waited) in [(lastSaturday, 26.0 * 3600), (lastWednesday, 300.0)] {
            try await database.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO answer (conversationId, question, text, outcome, sources, latencyMs, createdAt)
                        VALUES (?, 'atendente', 'Certo!', 'handoff', '[]', 5, ?)
                        """,
                    arguments: [fixture.conversationID, asked]
                )
                try db.execute(
                    sql: """
                        INSERT INTO message (conversationId, direction, author, kind, text, status, createdAt, updatedAt)
                        VALUES (?, 'out', 'operator', 'text', 'Oi, sou a Ana.', 'sent', ?, ?)
                        """,
                    arguments: [fixture.conversationID, asked.addingTimeInterval(waited), asked.addingTimeInterval(waited)]
                )
            }
        }
        let stats = try database.activityStats(now: now)
        #expect(stats.handoffsOutsideHours == 1)
        #expect(stats.handoffsInsideHours == 1)
        #expect(stats.personReplyInsideHoursMs == 300_000)
        // The Saturday hand-off waited for the first operator message after it: 26 hours.
        #expect(stats.personReplyOutsideHoursMs == 26 * 3_600_000)
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            let dashboard = try await browser.get("/admin/dashboard")
            #expect(dashboard.text.contains("<span class=\"stat-value\">5 min 0 s</span>"))
            #expect(dashboard.text.contains("<span class=\"stat-value\">1 d 2 h</span>"))
        }
    }
}

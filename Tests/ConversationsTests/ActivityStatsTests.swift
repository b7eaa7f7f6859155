import Foundation
import GRDB
import Storage
import Testing

@testable import Conversations

@Suite("Activity figures (the admin dashboard's)")
struct ActivityStatsTests {
    /// Messages and answers placed at known local times: today, earlier this month, and before the 30 days.
    @Test("today and 30-day totals, the daily series and reply-time percentiles count each row in its local day")
    func figures() throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let zone = try #require(TimeZone(identifier: "America/Sao_Paulo"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 24, hour: 15)))
        let startOfToday = calendar.startOfDay(for: now)
        func at(daysAgo: Int, hour: Int) -> Date {
            calendar.date(byAdding: .hour, value: hour, to: calendar.date(byAdding: .day, value: -daysAgo, to: startOfToday)!)!
        }
        try test.database.writer.write { db in
            for customer in 1...3 {
                try db.execute(
                    sql: """
                        INSERT INTO conversation (phoneNumberID, customerID, addressing, createdAt, updatedAt)
                        VALUES ('PN', ?, 'wa_id', ?, ?)
                        """,
                    arguments: ["55119\(customer)", now, now]
                )
            }
            func message(_ conversation: Int, _ direction: String, _ date: Date) throws {
                try db.execute(
                    sql: """
                        INSERT INTO message (conversationId, direction, author, kind, text, createdAt, updatedAt)
                        VALUES (?, ?, ?, 'text', 'oi', ?, ?)
                        """,
                    arguments: [conversation, direction, direction == "in" ? "customer" : "assistant", date, date]
                )
            }
            func answer(_ conversation: Int, _ outcome: String, latency: Int, _ date: Date) throws {
                try db.execute(
                    sql: """
                        INSERT INTO answer (conversationId, question, text, outcome, sources, latencyMs, createdAt)
                        VALUES (?, 'q', 'a', ?, '[]', ?, ?)
                        """,
                    arguments: [conversation, outcome, latency, date]
                )
            }
            // Today: 00:30 local is today even though it is yesterday in UTC (São Paulo is UTC-3).
            try message(1, "in", at(daysAgo: 0, hour: 0).addingTimeInterval(1800))
            try message(1, "out", at(daysAgo: 0, hour: 1))
            try message(2, "in", at(daysAgo: 0, hour: 9))
            try answer(1, "generated", latency: 100, at(daysAgo: 0, hour: 1))
            try answer(2, "handoff", latency: 5, at(daysAgo: 0, hour: 9))
            // Ten days ago and 29 days ago (the first day of the window).
            try message(3, "in", at(daysAgo: 10, hour: 12))
            try message(3, "out", at(daysAgo: 10, hour: 12))
            try answer(3, "extractive", latency: 300, at(daysAgo: 10, hour: 12))
            try message(2, "in", at(daysAgo: 29, hour: 2))
            try answer(2, "unanswered", latency: 50, at(daysAgo: 29, hour: 2))
            // Outside the window: 31 days ago.
            try message(3, "in", at(daysAgo: 31, hour: 12))
            try answer(3, "generated", latency: 9_000, at(daysAgo: 31, hour: 12))
        }
        let stats = try test.database.activityStats(now: now, timeZone: zone)

        #expect(stats.today.conversations == 2)
        #expect(stats.today.messagesIn == 2 && stats.today.messagesOut == 1)
        #expect(stats.today.answered == 1 && stats.today.handedOff == 1 && stats.today.unanswered == 0)
        #expect(stats.today.medianReplyMs == 100)

        #expect(stats.month.conversations == 3)
        #expect(stats.month.messagesIn == 4 && stats.month.messagesOut == 2)
        #expect(stats.month.answered == 2 && stats.month.handedOff == 1 && stats.month.unanswered == 1)
        #expect(stats.month.medianReplyMs == 100 && stats.month.p95ReplyMs == 300)

        #expect(stats.days.count == 30)
        #expect(stats.days.first?.date == "2026-10-26" && stats.days.last?.date == "2026-11-24")
        #expect(stats.days[0].messagesIn == 1 && stats.days[0].unanswered == 1)
        #expect(stats.days[19].messagesIn == 1 && stats.days[19].answered == 1)
        #expect(stats.days[29].messagesIn == 2 && stats.days[29].handedOff == 1)
    }

    @Test("the metrics cursor: answers by outcome and turns after the last ids counted, nothing twice")
    func activityAfterCursor() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await test.database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO conversation (phoneNumberID, customerID, addressing, createdAt, updatedAt) VALUES ('PN', '5511', 'wa_id', ?, ?)",
                arguments: [now, now]
            )
            for outcome in ["generated", "generated", "handoff"] {
                try db.execute(
                    sql:
                        "INSERT INTO answer (conversationId, question, text, outcome, sources, latencyMs, createdAt) VALUES (1, 'q', 'a', ?, '[]', 1, ?)",
                    arguments: [outcome, now]
                )
            }
        }
        let first = try test.database.conversationActivity(afterAnswer: 0, afterTurn: 0)
        #expect(first.answersByOutcome == [.init(outcome: "generated", channel: "whatsapp"): 2, .init(outcome: "handoff", channel: "whatsapp"): 1])
        #expect(first.lastAnswerID == 3)
        #expect(first.turns.isEmpty && first.lastTurnID == nil)
        let again = try test.database.conversationActivity(afterAnswer: 3, afterTurn: 0)
        #expect(again.answersByOutcome.isEmpty && again.lastAnswerID == nil)
    }
}

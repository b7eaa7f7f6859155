import Credits
import Foundation
import GRDB

/// The figures of the dashboard, read in one database access.
struct DashboardStats: Sendable {
    /// Totals over a period.
    struct Period: Sendable {
        var conversations = 0
        var messagesIn = 0
        var messagesOut = 0
        var answered = 0
        var handedOff = 0
        var unanswered = 0
        var medianReplyMs: Int?
        var p95ReplyMs: Int?
        var creditsSpentMicros: Int64 = 0
    }

    /// One day of the 30-day charts.
    struct Day: Sendable {
        var date: String  // YYYY-MM-DD, local
        var messagesIn = 0
        var messagesOut = 0
        var answered = 0
        var handedOff = 0
        var unanswered = 0
    }

    var today = Period()
    var month = Period()
    var days: [Day] = []
    var balanceMicros: Int64 = 0
    var documentsIndexed = 0
    var documentsTotal = 0
    var documentsFailed = 0

    /// Days the balance lasts at the last 30 days' spending; `nil` when nothing was spent.
    var daysOfBalanceLeft: Double? {
        guard month.creditsSpentMicros > 0 else { return nil }
        return max(0, Double(balanceMicros)) / (Double(month.creditsSpentMicros) / 30)
    }

    /// Reads the figures: `now` and the server's time zone decide where "today" and each day begin.
    ///
    /// Each of the 30 days is counted by a range query over the covering indexes (`message_dashboard`,
    /// `answer_dashboard`), so no row's date is parsed; the 30-day and today's totals are the sums of those days.
    static func load(_ db: Database, now: Date, timeZone: TimeZone = .current) throws -> DashboardStats {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let startOfToday = calendar.startOfDay(for: now)
        let startOfMonth = calendar.date(byAdding: .day, value: -29, to: startOfToday) ?? startOfToday
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"

        var stats = DashboardStats()
        // Day boundaries in the server's zone (a day is 23 or 25 hours when the clocks change).
        let boundaries = (0...30).map { calendar.date(byAdding: .day, value: $0, to: startOfMonth) ?? startOfMonth }
        let messageCounts = try db.cachedStatement(
            sql: "SELECT direction, COUNT(*) FROM message WHERE createdAt >= ? AND createdAt < ? GROUP BY direction"
        )
        // `+outcome`: group without reading through the outcome index, which would visit every answer ever given.
        let answerCounts = try db.cachedStatement(
            sql: "SELECT outcome, COUNT(*) FROM answer WHERE createdAt >= ? AND createdAt < ? GROUP BY +outcome"
        )
        for index in 0..<30 {
            var day = Day(date: formatter.string(from: boundaries[index]))
            let range: StatementArguments = [boundaries[index], boundaries[index + 1]]
            for row in try Row.fetchAll(messageCounts, arguments: range) {
                let count: Int = row[1]
                if (row[0] as String?) == "in" { day.messagesIn += count } else { day.messagesOut += count }
            }
            for row in try Row.fetchAll(answerCounts, arguments: range) {
                let count: Int = row[1]
                switch row[0] as String? {
                case "generated", "extractive": day.answered += count
                case "handoff": day.handedOff += count
                default: day.unanswered += count
                }
            }
            stats.days.append(day)
        }
        stats.month = try period(db, since: startOfMonth, days: stats.days)
        stats.today = try period(db, since: startOfToday, days: stats.days.suffix(1))

        stats.balanceMicros = try CreditLedger.balance(db).micros
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM document GROUP BY status") {
            let count: Int = row["n"]
            stats.documentsTotal += count
            switch row["status"] as String? {
            case "indexed": stats.documentsIndexed += count
            case "failed", "unreadable", "needs_ocr": stats.documentsFailed += count
            default: break
            }
        }
        return stats
    }

    /// The totals of a period: the sums of its days, plus what cannot be summed (distinct conversations, percentiles).
    static func period(_ db: Database, since start: Date, days: some Sequence<Day>) throws -> Period {
        var period = Period()
        for day in days {
            period.messagesIn += day.messagesIn
            period.messagesOut += day.messagesOut
            period.answered += day.answered
            period.handedOff += day.handedOff
            period.unanswered += day.unanswered
        }
        period.conversations =
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT conversationId) FROM message WHERE createdAt >= ?", arguments: [start]) ?? 0
        // Time to reply of the answers sent (the assistant's own answers; handoffs wait for people).
        var latencies = try Int.fetchAll(
            db,
            sql: "SELECT latencyMs FROM answer WHERE createdAt >= ? AND +outcome IN ('generated', 'extractive')",
            arguments: [start]
        )
        latencies.sort()
        period.medianReplyMs = percentile(latencies, 0.5)
        period.p95ReplyMs = percentile(latencies, 0.95)
        period.creditsSpentMicros =
            try Int64.fetchOne(
                db,
                sql: "SELECT COALESCE(-SUM(amount), 0) FROM creditEntry WHERE kind = 'debit' AND createdAt >= ?",
                arguments: [start]
            )
            ?? 0
        return period
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int], _ p: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

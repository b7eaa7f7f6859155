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
    static func load(_ db: Database, now: Date, timeZone: TimeZone = .current) throws -> DashboardStats {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let startOfToday = calendar.startOfDay(for: now)
        let startOfMonth = calendar.date(byAdding: .day, value: -29, to: startOfToday) ?? startOfToday
        var stats = DashboardStats()
        stats.today = try period(db, since: startOfToday)
        stats.month = try period(db, since: startOfMonth)

        // Daily series, grouped by local date: SQLite shifts the stored UTC time by the zone's offset.
        let offset = "\(timeZone.secondsFromGMT(for: now)) seconds"
        var days: [String: Day] = [:]
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        var order: [String] = []
        for index in 0..<30 {
            let date = formatter.string(from: calendar.date(byAdding: .day, value: index, to: startOfMonth) ?? startOfMonth)
            order.append(date)
            days[date] = Day(date: date)
        }
        let messageRows = try Row.fetchAll(
            db, sql: "SELECT date(createdAt, ?) AS day, direction, COUNT(*) AS n FROM message WHERE createdAt >= ? GROUP BY day, direction",
            arguments: [offset, startOfMonth])
        for row in messageRows {
            guard let day: String = row["day"], days[day] != nil else { continue }
            let count: Int = row["n"]
            if (row["direction"] as String?) == "in" { days[day]?.messagesIn += count } else { days[day]?.messagesOut += count }
        }
        let answerRows = try Row.fetchAll(
            db, sql: "SELECT date(createdAt, ?) AS day, outcome, COUNT(*) AS n FROM answer WHERE createdAt >= ? GROUP BY day, outcome",
            arguments: [offset, startOfMonth])
        for row in answerRows {
            guard let day: String = row["day"], days[day] != nil else { continue }
            let count: Int = row["n"]
            switch row["outcome"] as String? {
            case "generated", "extractive": days[day]?.answered += count
            case "handoff": days[day]?.handedOff += count
            default: days[day]?.unanswered += count
            }
        }
        stats.days = order.compactMap { days[$0] }

        stats.balanceMicros = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM creditEntry") ?? 0
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

    static func period(_ db: Database, since start: Date) throws -> Period {
        var period = Period()
        period.conversations =
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT conversationId) FROM message WHERE createdAt >= ?", arguments: [start]) ?? 0
        for row in try Row.fetchAll(db, sql: "SELECT direction, COUNT(*) AS n FROM message WHERE createdAt >= ? GROUP BY direction", arguments: [start]) {
            let count: Int = row["n"]
            if (row["direction"] as String?) == "in" { period.messagesIn += count } else { period.messagesOut += count }
        }
        for row in try Row.fetchAll(db, sql: "SELECT outcome, COUNT(*) AS n FROM answer WHERE createdAt >= ? GROUP BY outcome", arguments: [start]) {
            let count: Int = row["n"]
            switch row["outcome"] as String? {
            case "generated", "extractive": period.answered += count
            case "handoff": period.handedOff += count
            default: period.unanswered += count
            }
        }
        // Time to reply of the answers sent (the assistant's own answers; handoffs wait for people).
        let latencies = try Int.fetchAll(
            db, sql: "SELECT latencyMs FROM answer WHERE createdAt >= ? AND outcome IN ('generated', 'extractive') ORDER BY latencyMs",
            arguments: [start])
        period.medianReplyMs = percentile(latencies, 0.5)
        period.p95ReplyMs = percentile(latencies, 0.95)
        period.creditsSpentMicros =
            try Int64.fetchOne(db, sql: "SELECT COALESCE(-SUM(amount), 0) FROM creditEntry WHERE kind = 'debit' AND createdAt >= ?", arguments: [start])
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

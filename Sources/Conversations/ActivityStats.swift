import Credits
public import Foundation
import GRDB
public import Storage

/// The figures of the admin dashboard, read in one database access: messages, answers and reply times by day,
/// credits spent, the balance and the documents by state.
public struct ActivityStats: Sendable {
    /// Totals over a period.
    public struct Period: Sendable {
        public var conversations = 0
        public var messagesIn = 0
        public var messagesOut = 0
        public var answered = 0
        public var handedOff = 0
        public var unanswered = 0
        public var medianReplyMs: Int?
        public var p95ReplyMs: Int?
        public var creditsSpentMicros: Int64 = 0
        /// Conversations closed (each opening once), and how many of them the assistant resolved
        /// (``ConversationClosure/resolution(answered:handedOff:confirmed:rejected:)``) or a person did.
        public var closed = 0
        public var resolvedByAssistant = 0
        public var resolvedByPerson = 0
        /// Answers the customer or an operator said helped, or did not.
        public var helpful = 0
        public var notHelpful = 0

        /// The share of closed conversations the assistant resolved; `nil` when none closed.
        public var resolutionRate: Double? { closed == 0 ? nil : Double(resolvedByAssistant) / Double(closed) }
    }

    /// One agent's conversations closed in the last 30 days.
    public struct AgentResolution: Sendable {
        public var agentID: Int64?
        public var agentName: String?
        public var closed = 0
        public var resolvedByAssistant = 0

        /// The share the assistant resolved.
        public var resolutionRate: Double { closed == 0 ? 0 : Double(resolvedByAssistant) / Double(closed) }
    }

    /// One day of the 30-day charts.
    public struct Day: Sendable {
        public var date: String  // YYYY-MM-DD, local
        public var messagesIn = 0
        public var messagesOut = 0
        public var answered = 0
        public var handedOff = 0
        public var unanswered = 0
        public var closed = 0
        public var resolvedByAssistant = 0
        public var resolvedByPerson = 0
    }

    public var today = Period()
    /// How long customers handed to a person waited for a person's first message (median, last 30 days), for hand-offs
    /// asked inside the agent's opening hours and outside them; `nil` where there was none.
    public var personReplyInsideHoursMs: Int?
    public var personReplyOutsideHoursMs: Int?
    /// The hand-offs behind those figures.
    public var handoffsInsideHours = 0
    public var handoffsOutsideHours = 0
    /// The last 30 days' closed conversations by agent, most first.
    public var agents: [AgentResolution] = []
    /// The last 30 days on each channel that had any, busiest first.
    public var channels: [ChannelActivity] = []

    /// A channel's last 30 days.
    public struct ChannelActivity: Sendable {
        public var channel: String
        /// Conversations with a message in the period.
        public var conversations = 0
        /// Customers' messages.
        public var messagesIn = 0
        /// Answers the assistant gave (generated or quoted).
        public var answered = 0
        /// Hand-offs to a person.
        public var handedOff = 0
    }
    public var month = Period()
    public var days: [Day] = []
    public var balanceMicros: Int64 = 0
    public var documentsIndexed = 0
    public var documentsTotal = 0
    public var documentsFailed = 0

    /// Days the balance lasts at the last 30 days' spending; `nil` when nothing was spent.
    public var daysOfBalanceLeft: Double? {
        guard month.creditsSpentMicros > 0 else { return nil }
        return max(0, Double(balanceMicros)) / (Double(month.creditsSpentMicros) / 30)
    }

    /// Reads the figures: `now` and the server's time zone decide where "today" and each day begin.
    ///
    /// Each of the 30 days is counted by a range query over the covering indexes (`message_dashboard`,
    /// `answer_dashboard`), so no row's date is parsed; the 30-day and today's totals are the sums of those days.
    static func load(_ db: Database, now: Date, timeZone: TimeZone) throws -> ActivityStats {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let startOfToday = calendar.startOfDay(for: now)
        let startOfMonth = calendar.date(byAdding: .day, value: -29, to: startOfToday) ?? startOfToday
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"

        var stats = ActivityStats()
        // Day boundaries in the server's zone (a day is 23 or 25 hours when the clocks change).
        let boundaries = (0...30).map { calendar.date(byAdding: .day, value: $0, to: startOfMonth) ?? startOfMonth }
        // Erased customers' messages and answers still count, from what is left of them (`anonymousActivity`).
        let messageCounts = try db.cachedStatement(
            sql: """
                SELECT direction, COUNT(*) FROM message WHERE createdAt >= ?1 AND createdAt < ?2 GROUP BY direction
                UNION ALL SELECT kind, COUNT(*) FROM anonymousActivity WHERE createdAt >= ?1 AND createdAt < ?2 AND kind IN ('in', 'out')
                GROUP BY kind
                """
        )
        // `+outcome`: group without reading through the outcome index, which would visit every answer ever given.
        let answerCounts = try db.cachedStatement(
            sql: """
                SELECT outcome, COUNT(*) FROM answer WHERE createdAt >= ?1 AND createdAt < ?2 GROUP BY +outcome
                UNION ALL SELECT kind, COUNT(*) FROM anonymousActivity WHERE createdAt >= ?1 AND createdAt < ?2
                AND kind NOT IN ('in', 'out') GROUP BY kind
                """
        )
        let closures = try db.cachedStatement(
            sql: "SELECT resolution, COUNT(*) FROM conversationClosure WHERE closedAt >= ? AND closedAt < ? GROUP BY resolution"
        )
        for index in 0..<30 {
            var day = Day(date: formatter.string(from: boundaries[index]))
            let range: StatementArguments = [boundaries[index], boundaries[index + 1]]
            for row in try Row.fetchAll(closures, arguments: range) {
                let count: Int = row[1]
                day.closed += count
                switch row[0] as String? {
                case ConversationClosure.Resolution.assistant.rawValue: day.resolvedByAssistant += count
                case ConversationClosure.Resolution.person.rawValue: day.resolvedByPerson += count
                default: break
                }
            }
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
        var agents: [Int64?: AgentResolution] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT c.agentId, a.name, c.resolution, COUNT(*) FROM conversationClosure c LEFT JOIN agent a ON a.id = c.agentId
                WHERE c.closedAt >= ? GROUP BY c.agentId, c.resolution
                """,
            arguments: [startOfMonth]
        ) {
            let id: Int64? = row[0]
            var agent = agents[id] ?? AgentResolution(agentID: id, agentName: row[1])
            let count: Int = row[3]
            agent.closed += count
            if (row[2] as String?) == ConversationClosure.Resolution.assistant.rawValue { agent.resolvedByAssistant += count }
            agents[id] = agent
        }
        try personReplyTimes(db, since: startOfMonth, into: &stats)
        stats.channels = try channelActivity(db, since: startOfMonth)
        stats.agents = agents.values.sorted { ($0.closed, $1.agentName ?? "") > ($1.closed, $0.agentName ?? "") }

        stats.balanceMicros = try CreditLedger.balance(db).micros
        for (status, count) in try AppDatabase.documentCountsByStatus(db) {
            stats.documentsTotal += count
            switch status {
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
            period.closed += day.closed
            period.resolvedByAssistant += day.resolvedByAssistant
            period.resolvedByPerson += day.resolvedByPerson
        }
        for row in try Row.fetchAll(
            db,
            sql: "SELECT feedback, COUNT(*) FROM answer INDEXED BY answer_feedback WHERE feedback IS NOT NULL AND feedbackAt >= ? GROUP BY feedback",
            arguments: [start]
        ) {
            if (row[0] as String?) == "yes" { period.helpful = row[1] } else { period.notHelpful = row[1] }
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
        period.creditsSpentMicros = try CreditLedger.spent(since: start, in: db).micros
        return period
    }

    /// For each hand-off of the period, the time to the first message an operator wrote after it in that conversation,
    /// split by whether the agent's opening hours were open when it was asked (no hours: inside).
    static func personReplyTimes(_ db: Database, since start: Date, into stats: inout ActivityStats) throws {
        let agents = Dictionary(uniqueKeysWithValues: try Agent.fetchAll(db).compactMap { agent in agent.id.map { ($0, agent) } })
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.createdAt AS askedAt, c.agentId AS agentId,
                       (SELECT MIN(m.createdAt) FROM message m
                        WHERE m.conversationId = a.conversationId AND m.author = 'operator' AND m.createdAt >= a.createdAt) AS repliedAt
                FROM answer a JOIN conversation c ON c.id = a.conversationId
                WHERE a.createdAt >= ? AND +a.outcome = 'handoff'
                """,
            arguments: [start]
        )
        var inside: [Int] = []
        var outside: [Int] = []
        for row in rows {
            let asked: Date = row["askedAt"]
            let open = (row["agentId"] as Int64?).flatMap { agents[$0] }?.isOpen(at: asked) ?? true
            if open { stats.handoffsInsideHours += 1 } else { stats.handoffsOutsideHours += 1 }
            guard let replied = row["repliedAt"] as Date? else { continue }
            let waited = Int(replied.timeIntervalSince(asked) * 1000)
            if open { inside.append(waited) } else { outside.append(waited) }
        }
        stats.personReplyInsideHoursMs = percentile(inside.sorted(), 0.5)
        stats.personReplyOutsideHoursMs = percentile(outside.sorted(), 0.5)
    }

    /// Each channel's conversations, customers' messages, answers and hand-offs since `start` (erased customers' are
    /// left out: their channel was erased with them).
    static func channelActivity(_ db: Database, since start: Date) throws -> [ChannelActivity] {
        var channels: [String: ChannelActivity] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT c.channel, COUNT(DISTINCT m.conversationId), SUM(m.direction = 'in')
                FROM message m JOIN conversation c ON c.id = m.conversationId WHERE m.createdAt >= ? GROUP BY c.channel
                """,
            arguments: [start]
        ) {
            let channel: String = row[0]
            channels[channel, default: ChannelActivity(channel: channel)].conversations = row[1]
            channels[channel, default: ChannelActivity(channel: channel)].messagesIn = row[2] ?? 0
        }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT c.channel, a.outcome, COUNT(*) FROM answer a JOIN conversation c ON c.id = a.conversationId
                WHERE a.createdAt >= ? GROUP BY c.channel, +a.outcome
                """,
            arguments: [start]
        ) {
            let channel: String = row[0]
            let count: Int = row[2]
            switch row[1] as String? {
            case "generated", "extractive": channels[channel, default: ChannelActivity(channel: channel)].answered += count
            case "handoff": channels[channel, default: ChannelActivity(channel: channel)].handedOff += count
            default: break
            }
        }
        return channels.values.sorted { ($0.conversations, $1.channel) > ($1.conversations, $0.channel) }
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int], _ p: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

extension AppDatabase {
    /// The dashboard's figures at `now`; `timeZone` decides where "today" and each of the 30 days begin.
    public func activityStats(now: Date, timeZone: TimeZone = .current) throws -> ActivityStats {
        try reader.readNow { db in try ActivityStats.load(db, now: now, timeZone: timeZone) }
    }
}

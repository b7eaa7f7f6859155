public import Foundation
import GRDB
public import Storage

/// Answers and turns recorded after a cursor: what the metrics scrape adds to its counters.
public struct ConversationActivity: Sendable, Hashable {
    /// A model as the answers record it.
    public struct ModelKey: Sendable, Hashable {
        /// Its name, as its server gave it.
        public var model: String
        /// `primary` or `fallback`.
        public var tier: String
    }

    /// An outcome on a channel.
    public struct OutcomeKey: Sendable, Hashable, Comparable {
        /// `generated`, `extractive`, `handoff`, …
        public var outcome: String
        /// `whatsapp`, `instagram`, `web`.
        public var channel: String

        public static func < (lhs: OutcomeKey, rhs: OutcomeKey) -> Bool { (lhs.outcome, lhs.channel) < (rhs.outcome, rhs.channel) }
    }

    /// Answers by outcome and channel.
    public var answersByOutcome: [OutcomeKey: Int] = [:]
    /// Answers the language models wrote, by the model's name and tier (`primary`, `fallback`).
    public var answersByModel: [ModelKey: Int] = [:]
    /// The largest answer id counted; `nil` when there was none.
    public var lastAnswerID: Int64?
    /// Turns processed, by channel.
    public var turns: [String: Int] = [:]
    /// The largest turn id counted; `nil` when there was none.
    public var lastTurnID: Int64?
}

/// What one customer's conversation used recently, for the flood limits.
public struct CustomerUsage: Sendable, Hashable {
    /// Turns answered (answers recorded) since the hour's start.
    public var turnsLastHour = 0
    /// Credits debited for its answers since the day's start, in micro-credits.
    public var spentLastDay: Int64 = 0
}

extension AppDatabase {
    /// What the conversation used in the hour and the 24 hours before `now`.
    public func customerUsage(conversationID: Int64, now: Date) throws -> CustomerUsage {
        try reader.readNow { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(CASE WHEN createdAt >= ? THEN 1 ELSE 0 END), 0) AS turns, COALESCE(SUM(cost), 0) AS spent
                    FROM answer WHERE conversationId = ? AND createdAt >= ?
                    """,
                arguments: [now.addingTimeInterval(-3600), conversationID, now.addingTimeInterval(-86_400)]
            )
            return CustomerUsage(turnsLastHour: row?["turns"] ?? 0, spentLastDay: row?["spent"] ?? 0)
        }
    }

    /// The answers with an id above `answerID` and the turns with an id above `turnID`.
    public func conversationActivity(afterAnswer answerID: Int64, afterTurn turnID: Int64) throws -> ConversationActivity {
        try reader.readNow { db in
            var activity = ConversationActivity()
            let answers = try Row.fetchAll(
                db,
                sql: """
                    SELECT answer.outcome, conversation.channel, COUNT(*) AS n, MAX(answer.id) AS last
                    FROM answer JOIN conversation ON conversation.id = answer.conversationId
                    WHERE answer.id > ? GROUP BY answer.outcome, conversation.channel
                    """,
                arguments: [answerID]
            )
            for row in answers {
                activity.answersByOutcome[ConversationActivity.OutcomeKey(outcome: row["outcome"], channel: row["channel"]), default: 0] +=
                    row["n"] as Int
                activity.lastAnswerID = max(activity.lastAnswerID ?? 0, row["last"] as Int64)
            }
            let models = try Row.fetchAll(
                db,
                sql: """
                    SELECT model, COALESCE(modelTier, 'primary') AS tier, COUNT(*) AS n FROM answer
                    WHERE id > ? AND model IS NOT NULL GROUP BY model, tier
                    """,
                arguments: [answerID]
            )
            for row in models {
                activity.answersByModel[ConversationActivity.ModelKey(model: row["model"], tier: row["tier"]), default: 0] += row["n"] as Int
            }
            let turns = try Row.fetchAll(
                db,
                sql: """
                    SELECT conversation.channel, COUNT(*) AS n, MAX(turn.id) AS last
                    FROM turn JOIN conversation ON conversation.id = turn.conversationId
                    WHERE turn.id > ? GROUP BY conversation.channel
                    """,
                arguments: [turnID]
            )
            for row in turns {
                activity.turns[row["channel"], default: 0] += row["n"] as Int
                activity.lastTurnID = max(activity.lastTurnID ?? 0, row["last"] as Int64)
            }
            return activity
        }
    }
}

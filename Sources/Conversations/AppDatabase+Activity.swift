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

    /// Answers by outcome (`generated`, `extractive`, `handoff`, …).
    public var answersByOutcome: [String: Int] = [:]
    /// Answers the language models wrote, by the model's name and tier (`primary`, `fallback`).
    public var answersByModel: [ModelKey: Int] = [:]
    /// The largest answer id counted; `nil` when there was none.
    public var lastAnswerID: Int64?
    /// Turns processed.
    public var turns = 0
    /// The largest turn id counted; `nil` when there was none.
    public var lastTurnID: Int64?
}

extension AppDatabase {
    /// The answers with an id above `answerID` and the turns with an id above `turnID`.
    public func conversationActivity(afterAnswer answerID: Int64, afterTurn turnID: Int64) throws -> ConversationActivity {
        try reader.readNow { db in
            var activity = ConversationActivity()
            let answers = try Row.fetchAll(
                db,
                sql: "SELECT outcome, COUNT(*) AS n, MAX(id) AS last FROM answer WHERE id > ? GROUP BY outcome",
                arguments: [answerID]
            )
            for row in answers {
                activity.answersByOutcome[row["outcome"], default: 0] += row["n"] as Int
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
            if let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MAX(id) AS last FROM turn WHERE id > ?", arguments: [turnID]) {
                activity.turns = row["n"]
                activity.lastTurnID = row["last"]
            }
            return activity
        }
    }
}

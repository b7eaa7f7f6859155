public import Foundation
import GRDB
public import Storage

/// Which conversations a list shows.
public struct ConversationFilter: Sendable, Hashable {
    /// The kind of conversations.
    public enum Kind: String, Sendable, CaseIterable {
        /// Every conversation.
        case all
        /// Going on (not closed after a silence).
        case open
        /// Waiting for a person: handed off or taken over (human mode), not closed.
        case waiting
        /// Closed after a silence (the next message opens it again).
        case closed
        /// With at least one question the assistant could not answer.
        case unanswered
    }

    /// The kind of conversations.
    public var kind: Kind
    /// Only conversations active at or after this time.
    public var from: Date?
    /// Only conversations active before this time.
    public var to: Date?
    /// Only conversations on this channel.
    public var channel: MessagingChannel?

    /// Creates a filter.
    public init(kind: Kind = .all, from: Date? = nil, to: Date? = nil, channel: MessagingChannel? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.channel = channel
    }
}

/// A conversation as a list shows it: who, which agent, the last message.
public struct ConversationSummary: Sendable, Hashable, Identifiable {
    /// The conversation.
    public var conversation: Conversation
    /// The name of the agent answering it.
    public var agentName: String?
    /// The text of its last message.
    public var lastText: String?
    /// Who wrote the last message (`customer`, `assistant`, `operator`, `system`).
    public var lastAuthor: String?
    /// When the last message was written.
    public var lastAt: Date?

    /// The conversation's id.
    public var id: Int64 { conversation.id ?? 0 }
}

/// One page of a conversation list.
public struct ConversationPage: Sendable, Hashable {
    /// The conversations, most recently active first.
    public var summaries: [ConversationSummary]
    /// How many conversations match the filter.
    public var total: Int
}

/// A question the assistant could not answer, not yet turned into a curated answer.
public struct UnansweredQuestion: Sendable, Hashable, Identifiable {
    /// The answer record (outcome `unanswered`).
    public var id: Int64
    /// The conversation it was asked in.
    public var conversationID: Int64
    /// The customer's text.
    public var question: String
    /// When it was asked.
    public var askedAt: Date
    /// The customer's name.
    public var customerName: String?
    /// The customer's id (phone number).
    public var customerID: String
    /// The agent answering that conversation.
    public var agentID: Int64?
    /// That agent's name.
    public var agentName: String?
    /// When the question was answered but the answer did not help: that answer.
    public var notHelpfulAnswer: String?
}

/// Messages of a conversation changed since a cursor: new ones and outgoing ones whose delivery status moved.
public struct ConversationChanges: Sendable, Hashable {
    /// New or changed messages, in order.
    public var messages: [ConversationMessage]
    /// The conversation now.
    public var conversation: Conversation
    /// The files those messages carried, by message id.
    public var media: [Int64: CustomerMedia] = [:]
}

extension AppDatabase {
    /// A page of conversations matching `filter`, most recently active first.
    ///
    /// Reads through the `updatedAt` (or `mode, updatedAt`) index and fetches each listed conversation's last message
    /// by its own index lookup, so the cost is the page size, not the number of conversations.
    public func conversationPage(_ filter: ConversationFilter, limit: Int, offset: Int) throws -> ConversationPage {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        switch filter.kind {
        case .all: break
        case .open: conditions.append("c.status = 'open'")
        case .waiting: conditions.append("c.mode = 'human' AND c.status = 'open'")
        case .closed: conditions.append("c.status = 'closed'")
        case .unanswered:
            // Probes the (conversationId, outcome) index per conversation: the page stops after `limit` matches.
            conditions.append("EXISTS (SELECT 1 FROM answer a WHERE a.conversationId = c.id AND a.outcome = 'unanswered')")
        }
        if let from = filter.from {
            conditions.append("c.updatedAt >= ?")
            arguments += [from]
        }
        if let to = filter.to {
            conditions.append("c.updatedAt < ?")
            arguments += [to]
        }
        if let channel = filter.channel {
            conditions.append("c.channel = ?")
            arguments += [channel]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try reader.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversation c \(whereClause)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.*, agent.name AS agentName, m.text AS lastText, m.author AS lastAuthor, m.createdAt AS lastAt
                    FROM (SELECT * FROM conversation c \(whereClause) ORDER BY c.updatedAt DESC, c.id DESC LIMIT ? OFFSET ?) c
                    LEFT JOIN agent ON agent.id = c.agentId
                    LEFT JOIN message m ON m.id = (SELECT MAX(id) FROM message WHERE conversationId = c.id)
                    ORDER BY c.updatedAt DESC, c.id DESC
                    """,
                arguments: arguments + [max(0, limit), max(0, offset)]
            )
            let summaries = try rows.map { row in
                ConversationSummary(
                    conversation: try Conversation(row: row),
                    agentName: row["agentName"],
                    lastText: row["lastText"],
                    lastAuthor: row["lastAuthor"],
                    lastAt: row["lastAt"]
                )
            }
            return ConversationPage(summaries: summaries, total: total)
        }
    }

    /// A value that changes whenever the conversation list could show something new: a conversation opened, active,
    /// switched mode or deleted, or any message added. Three index lookups and a count; the admin list polls it.
    public func conversationListVersion() throws -> String {
        try reader.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM conversation), (SELECT MAX(updatedAt) FROM conversation),
                           (SELECT MAX(id) FROM message)
                    """
            )
            let count: Int = row?[0] ?? 0
            let updated: String = row?[1] ?? ""
            let message: Int64 = row?[2] ?? 0
            return "\(count)-\(message)-\(updated)"
        }
    }

    /// The last `limit` messages of a conversation before message `before` (all when `nil`), in order.
    public func messages(ofConversation id: Int64, before: Int64?, limit: Int) throws -> [ConversationMessage] {
        try reader.read { db in
            var request = ConversationMessage.filter(Column("conversationId") == id)
            if let before { request = request.filter(Column("id") < before) }
            return try request.order(Column("id").desc).limit(max(0, limit)).fetchAll(db).reversed()
        }
    }

    /// The answers recorded for these turns, by turn id: what each assistant reply was built from.
    public func answers(forTurns turnIDs: [Int64]) throws -> [Int64: AnswerRecord] {
        let ids = Array(Set(turnIDs))
        guard !ids.isEmpty else { return [:] }
        return try reader.read { db in
            var result: [Int64: AnswerRecord] = [:]
            for answer in try AnswerRecord.filter(ids.contains(Column("turnId"))).order(Column("id")).fetchAll(db) {
                if let turn = answer.turnId { result[turn] = answer }
            }
            return result
        }
    }

    /// Messages of a conversation created after message `afterID` or changed after `since`, with the conversation:
    /// what a live thread view needs to catch up. `nil` when the conversation does not exist.
    public func conversationChanges(id: Int64, afterID: Int64, since: Date?) throws -> ConversationChanges? {
        try reader.read { db in
            guard let conversation = try Conversation.fetchOne(db, key: id) else { return nil }
            var request = ConversationMessage.filter(Column("conversationId") == id)
            if let since {
                request = request.filter(Column("id") > afterID || Column("updatedAt") > since)
            } else {
                request = request.filter(Column("id") > afterID)
            }
            let messages = try request.order(Column("id")).limit(500).fetchAll(db)
            let media = try customerMedia(forMessages: messages.filter { $0.direction == "in" }.compactMap(\.id), db: db)
            return ConversationChanges(messages: messages, conversation: conversation, media: media)
        }
    }

    /// The review list: questions the assistant could not answer, and answers the customer or an operator said did not
    /// help, that no one has turned into a curated answer yet, newest first, with their total.
    public func unansweredQuestions(limit: Int, offset: Int) throws -> (questions: [UnansweredQuestion], total: Int) {
        try reader.read { db in
            let condition = """
                (a.outcome = 'unanswered' OR a.feedback = 'no') AND NOT EXISTS (SELECT 1 FROM curatedAnswer k WHERE k.answerId = a.id)
                """
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM answer a WHERE \(condition)") ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.conversationId, a.question, a.createdAt, c.customerName, c.customerID, c.agentId, agent.name,
                           a.feedback, a.text
                    FROM (SELECT * FROM answer a WHERE \(condition) ORDER BY a.id DESC LIMIT ? OFFSET ?) a
                    JOIN conversation c ON c.id = a.conversationId
                    LEFT JOIN agent ON agent.id = c.agentId
                    ORDER BY a.id DESC
                    """,
                arguments: [max(0, limit), max(0, offset)]
            )
            let questions = rows.map { row in
                UnansweredQuestion(
                    id: row[0],
                    conversationID: row[1],
                    question: row[2],
                    askedAt: row[3],
                    customerName: row[4],
                    customerID: row[5],
                    agentID: row[6],
                    agentName: row[7],
                    notHelpfulAnswer: (row[8] as String?) == "no" ? row[9] : nil
                )
            }
            return (questions, total)
        }
    }

    /// One unanswered question by its answer id (also once curated), with its conversation's agent.
    public func unansweredQuestion(id: Int64) throws -> UnansweredQuestion? {
        try reader.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT a.id, a.conversationId, a.question, a.createdAt, c.customerName, c.customerID, c.agentId, agent.name,
                               a.feedback, a.text
                        FROM answer a JOIN conversation c ON c.id = a.conversationId LEFT JOIN agent ON agent.id = c.agentId
                        WHERE a.id = ? AND (a.outcome = 'unanswered' OR a.feedback = 'no')
                        """,
                    arguments: [id]
                )
            else { return nil }
            return UnansweredQuestion(
                id: row[0],
                conversationID: row[1],
                question: row[2],
                askedAt: row[3],
                customerName: row[4],
                customerID: row[5],
                agentID: row[6],
                agentName: row[7],
                notHelpfulAnswer: (row[8] as String?) == "no" ? row[9] : nil
            )
        }
    }
}

public import Foundation
import GRDB
public import Storage

extension AppDatabase {
    /// A conversation by id, inside a transaction of the conversation path (a statement prepared once per connection).
    func conversation(id: Int64?, db: Database) throws -> Conversation? {
        try Conversation.fetchOne(db.cachedStatement(sql: "SELECT * FROM conversation WHERE id = ?"), arguments: [id])
    }

    // MARK: Reading

    /// Conversations, most recent first.
    public func conversations(limit: Int = 100) throws -> [Conversation] {
        try reader.read { db in try Conversation.order(Column("updatedAt").desc).limit(limit).fetchAll(db) }
    }

    /// One conversation.
    public func conversation(id: Int64) throws -> Conversation? {
        try reader.read { db in try Conversation.fetchOne(db, key: id) }
    }

    /// The messages of a conversation, in order.
    public func messages(ofConversation id: Int64) throws -> [ConversationMessage] {
        try reader.read { db in try ConversationMessage.filter(Column("conversationId") == id).order(Column("id")).fetchAll(db) }
    }

    /// The answers of a conversation, in order.
    public func answers(ofConversation id: Int64) throws -> [AnswerRecord] {
        try reader.read { db in try AnswerRecord.filter(Column("conversationId") == id).order(Column("id")).fetchAll(db) }
    }

    /// Recent answers with one outcome (the "unanswered" list), newest first.
    public func answers(outcome: AnswerRecord.Outcome, limit: Int) throws -> [AnswerRecord] {
        try reader.read { db in
            try AnswerRecord.filter(Column("outcome") == outcome.rawValue).order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// Changes who answers a conversation (`human` until `until`, or back to the assistant).
    public func setMode(conversationID: Int64, _ mode: Conversation.Mode, until: Date?, now: Date = Date()) async throws -> Conversation? {
        try await writer.write { db in
            guard var conversation = try Conversation.fetchOne(db, key: conversationID) else { return nil }
            conversation.mode = mode
            conversation.humanUntil = mode == .human ? until : nil
            conversation.consecutiveUnanswered = 0
            conversation.updatedAt = now
            try conversation.update(db)
            return conversation
        }
    }

    /// Queues an operator's reply and, when the assistant had the conversation, gives it to the person until
    /// `humanUntil` (the assistant stays silent meanwhile) — in one transaction. Returns the message's id and the
    /// conversation as it is now; `nil` when there is no such conversation.
    public func enqueueOperatorReply(
        conversationID: Int64,
        text: String,
        template: TemplateChoice? = nil,
        humanUntil: Date,
        now: Date = Date()
    ) async throws -> (messageID: Int64, conversation: Conversation)? {
        try await writer.write { db in
            guard var conversation = try Conversation.fetchOne(db, key: conversationID) else { return nil }
            if conversation.mode == .assistant {
                conversation.mode = .human
                conversation.humanUntil = humanUntil
                conversation.consecutiveUnanswered = 0
                conversation.updatedAt = now
                try conversation.update(db)
            }
            let item = try enqueueReply(conversationID: conversationID, text: text, author: "operator", turnID: nil, db: db, now: now)
            if let template {
                try db.execute(
                    sql: "UPDATE message SET template = ?, kind = 'template' WHERE id = ?",
                    arguments: [String(decoding: try JSONEncoder().encode(template), as: UTF8.self), item.messageId]
                )
            }
            return (item.messageId, conversation)
        }
    }
}

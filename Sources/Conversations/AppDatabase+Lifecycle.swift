public import Foundation
import GRDB
public import Storage

/// An open conversation as the follow-up and closing worker sees it.
struct OpenConversation {
    var conversation: Conversation
    /// Its last message (either way).
    var lastMessageAt: Date
    /// Whether that message is the assistant's.
    var lastFromAssistant: Bool
    /// A turn of it is still being gathered or answered: it is not silent, whatever its messages' times say.
    var busy: Bool
}

/// When the follow-up and closing rules act, from ``ConversationSettings``.
public struct LifecycleRules: Sendable, Hashable {
    /// Silence after the assistant's last message before the one follow-up; `nil`: none.
    public var followUpAfter: TimeInterval?
    /// Silence before a conversation closes; `nil`: never.
    public var closeAfter: TimeInterval?

    /// The rules of `settings`.
    public init(_ settings: ConversationSettings) {
        followUpAfter = settings.followUp ? settings.followUpAfter : nil
        closeAfter = settings.closeAfter
    }

    /// When `open`'s follow-up is due, if it gets one: in assistant mode, after the assistant spoke last, once per
    /// opening, and only while the 24-hour window allows a free-form message.
    func followUpDue(_ open: OpenConversation) -> Date? {
        guard let followUpAfter, !open.busy, open.conversation.followedUpAt == nil, open.conversation.mode == .assistant, open.lastFromAssistant,
            let lastInbound = open.conversation.lastInboundAt
        else { return nil }
        let due = open.lastMessageAt.addingTimeInterval(followUpAfter)
        return due < lastInbound.addingTimeInterval(23.5 * 3600) ? due : nil
    }

    /// When `open` closes: after the silence, and not while a person is expected to answer it.
    func closeDue(_ open: OpenConversation) -> Date? {
        guard let closeAfter, !open.busy else { return nil }
        let silent = open.lastMessageAt.addingTimeInterval(closeAfter)
        guard open.conversation.mode == .human else { return silent }
        return max(silent, open.conversation.humanUntil ?? silent)
    }
}

extension AppDatabase {
    /// Open conversations with their last message.
    func openConversations(_ db: Database) throws -> [OpenConversation] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.*,
                       (SELECT MAX(m.createdAt) FROM message m WHERE m.conversationId = c.id) AS lastMessageAt,
                       (SELECT m.direction = 'out' AND m.author = 'assistant' FROM message m WHERE m.conversationId = c.id
                        ORDER BY m.id DESC LIMIT 1) AS lastFromAssistant,
                       EXISTS (SELECT 1 FROM turn t WHERE t.conversationId = c.id AND t.state != 'done') AS busy
                FROM conversation c INDEXED BY conversation_open WHERE c.status = 'open'
                """
        )
        return try rows.map { row in
            let conversation = try Conversation(row: row)
            // A message's time is when it was sent (a delivery may arrive late: a phone back online, Meta retrying);
            // the conversation's own last activity counts too, so a late delivery does not close it at once.
            let lastMessage: Date = row["lastMessageAt"] ?? conversation.updatedAt
            return OpenConversation(
                conversation: conversation,
                lastMessageAt: max(lastMessage, conversation.updatedAt),
                lastFromAssistant: row["lastFromAssistant"] ?? false,
                busy: row["busy"] ?? false
            )
        }
    }

    /// When the next follow-up or closing is due; `nil` when none is.
    public func nextLifecycleDue(_ rules: LifecycleRules) throws -> Date? {
        guard rules.followUpAfter != nil || rules.closeAfter != nil else { return nil }
        return try reader.readNow { db in
            try openConversations(db).flatMap { [rules.followUpDue($0), rules.closeDue($0)].compactMap { $0 } }.min()
        }
    }

    /// Sends the follow-ups and closes the conversations that are due at `now`; `followUp` is the follow-up's text for a
    /// conversation. Returns how many of each. A closing records how the conversation went (``ConversationClosure``).
    @discardableResult
    public func applyLifecycle(
        _ rules: LifecycleRules,
        now: Date,
        followUp: (Conversation) throws -> String
    ) async throws -> (followUps: Int, closed: Int) {
        // The agent's language is read outside the write (the text is the caller's).
        let due = try reader.readNow { db in try openConversations(db) }
        var texts: [Int64: String] = [:]
        for open in due where rules.followUpDue(open).map({ $0 <= now }) == true {
            texts[open.conversation.id!] = try followUp(open.conversation)
        }
        let followUps = texts
        return try await writer.write { db in
            var counts = (followUps: 0, closed: 0)
            // Read again inside the write: a message that arrived meanwhile restarts the silence.
            for open in try openConversations(db) {
                if let close = rules.closeDue(open), close <= now {
                    try self.close(open.conversation, now: now, db: db)
                    counts.closed += 1
                } else if let due = rules.followUpDue(open), due <= now, let text = followUps[open.conversation.id!] {
                    try enqueueReply(conversationID: open.conversation.id!, text: text, author: "assistant", turnID: nil, db: db, now: now)
                    try db.execute(sql: "UPDATE conversation SET followedUpAt = ? WHERE id = ?", arguments: [now, open.conversation.id])
                    counts.followUps += 1
                }
            }
            return counts
        }
    }

    /// Closes a conversation and records how this opening of it went.
    private func close(_ conversation: Conversation, now: Date, db: Database) throws {
        let id = conversation.id!
        let opened = conversation.openedAt ?? conversation.createdAt
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT
                  (SELECT COUNT(*) FROM answer WHERE conversationId = :id AND createdAt >= :opened
                     AND outcome IN ('generated', 'extractive')) AS answered,
                  (SELECT COUNT(*) FROM answer WHERE conversationId = :id AND createdAt >= :opened
                     AND outcome IN ('handoff', 'out_of_credits'))
                  + (SELECT COUNT(*) FROM message WHERE conversationId = :id AND createdAt >= :opened AND author = 'operator') AS handedOff,
                  (SELECT COUNT(*) FROM answer WHERE conversationId = :id AND feedbackAt >= :opened AND feedback = 'yes') AS confirmed,
                  (SELECT COUNT(*) FROM answer WHERE conversationId = :id AND feedbackAt >= :opened AND feedback = 'no') AS rejected
                """,
            arguments: ["id": id, "opened": opened]
        )
        let answered: Int = row?["answered"] ?? 0
        let handedOff = (row?["handedOff"] ?? 0) > 0
        let confirmed = (row?["confirmed"] ?? 0) > 0
        let rejected = (row?["rejected"] ?? 0) > 0
        let resolution = ConversationClosure.resolution(answered: answered, handedOff: handedOff, confirmed: confirmed, rejected: rejected)
        try db.execute(
            sql: """
                INSERT INTO conversationClosure (conversationId, agentId, openedAt, closedAt, resolution, answered, handedOff, confirmed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, conversation.agentId, opened, now, resolution.rawValue, answered, handedOff, confirmed]
        )
        try db.execute(
            sql: "UPDATE conversation SET status = 'closed', closedAt = ?, mode = 'assistant', humanUntil = NULL WHERE id = ?",
            arguments: [now, id]
        )
    }

    /// The last time this conversation was asked "did it help?".
    public func lastFeedbackQuestion(conversationID: Int64) throws -> Date? {
        try reader.readNow { db in
            try Date.fetchOne(
                db,
                sql: """
                    SELECT MAX(createdAt) FROM message WHERE conversationId = ? AND direction = 'out' AND buttons LIKE '%balcao:feedback:%'
                    """,
                arguments: [conversationID]
            )
        }
    }

    /// Records whether the answer a "did it help?" question was asked under helped: the question is the message
    /// `promptWamid` names, or, when none is named (a word typed instead of a tap), the conversation's latest one.
    /// Returns the answer's id; `nil` when no such answer exists.
    @discardableResult
    public func recordFeedback(conversationID: Int64, promptWamid: String?, helpful: Bool, source: String, now: Date) async throws -> Int64? {
        try await writer.write { db in
            let turnID: Int64?? =
                if let promptWamid {
                    try Int64?.fetchOne(
                        db,
                        sql: "SELECT turnId FROM message WHERE conversationId = ? AND wamid = ? AND direction = 'out'",
                        arguments: [conversationID, promptWamid]
                    )
                } else {
                    try Int64?.fetchOne(
                        db,
                        sql: """
                            SELECT turnId FROM message WHERE conversationId = ? AND direction = 'out' AND buttons LIKE '%balcao:feedback:%'
                            ORDER BY id DESC LIMIT 1
                            """,
                        arguments: [conversationID]
                    )
                }
            guard let turnID = turnID.flatMap({ $0 }),
                let answerID = try Int64.fetchOne(
                    db,
                    sql: "SELECT id FROM answer WHERE turnId = ? ORDER BY id DESC LIMIT 1",
                    arguments: [turnID]
                )
            else { return nil }
            try setFeedback(answerID: answerID, helpful: helpful, source: source, now: now, db: db)
            return answerID
        }
    }

    /// An operator's mark on an answer: it helped, it did not, or (`nil`) no mark. Returns whether the answer exists.
    @discardableResult
    public func markAnswer(_ answerID: Int64, helpful: Bool?, now: Date) async throws -> Bool {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM answer WHERE id = ?", arguments: [answerID]) == true else { return false }
            if let helpful {
                try setFeedback(answerID: answerID, helpful: helpful, source: "operator", now: now, db: db)
            } else {
                try db.execute(sql: "UPDATE answer SET feedback = NULL, feedbackSource = NULL, feedbackAt = NULL WHERE id = ?", arguments: [answerID])
            }
            return true
        }
    }

    private func setFeedback(answerID: Int64, helpful: Bool, source: String, now: Date, db: Database) throws {
        try db.execute(
            sql: "UPDATE answer SET feedback = ?, feedbackSource = ?, feedbackAt = ? WHERE id = ?",
            arguments: [helpful ? "yes" : "no", source, now, answerID]
        )
    }
}

extension ConversationClosure {
    /// Who resolved an opening of a conversation (the definition the dashboard states): the assistant when the customer
    /// said an answer helped, or when it closed after at least one answer with no hand-off and no "did not help"; a
    /// person when one was asked for or answered; otherwise unresolved.
    public static func resolution(answered: Int, handedOff: Bool, confirmed: Bool, rejected: Bool) -> Resolution {
        if confirmed { return .assistant }
        if handedOff { return .person }
        if rejected || answered == 0 { return .unresolved }
        return .assistant
    }
}

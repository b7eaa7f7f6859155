public import Foundation
public import GRDB
public import Storage

/// A turn claimed for answering, with what the answer needs.
public struct ClaimedTurn: Sendable, Hashable {
    /// The turn.
    public var turn: Turn
    /// Its conversation.
    public var conversation: Conversation
    /// The customer's messages of this turn, in order.
    public var messages: [ConversationMessage]
    /// Earlier messages of the conversation, oldest first.
    public var history: [ConversationMessage]
    /// The files this turn's messages carried (read or failed: a turn is claimed only once they are settled), by
    /// message id.
    public var media: [Int64: CustomerMedia] = [:]
    /// The earlier messages of the conversation this turn's messages reply to (WhatsApp's `context.id`), by their
    /// channel id; a quoted message of another conversation, or one never stored, is not here.
    public var quoted: [String: ConversationMessage] = [:]
}

extension AppDatabase {

    /// Claims the turn whose quiet period ended first, skipping conversations that already have a turn in progress
    /// (so one customer's turns are answered strictly in order).
    public func claimDueTurn(now: Date = Date()) async throws -> ClaimedTurn? {
        try await writer.write { db in
            guard
                var turn = try Turn.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT * FROM turn t INDEXED BY turn_collecting_due WHERE t.state = 'collecting' AND t.dueAt <= ?
                            AND NOT EXISTS (SELECT 1 FROM turn p WHERE p.conversationId = t.conversationId AND p.state = 'processing')
                            AND NOT EXISTS (SELECT 1 FROM turn e WHERE e.conversationId = t.conversationId AND e.state = 'collecting' AND e.id < t.id)
                            AND NOT EXISTS (SELECT 1 FROM customerMedia m WHERE m.turnId = t.id AND m.state IN ('pending', 'fetching'))
                            ORDER BY t.dueAt, t.id LIMIT 1
                            """
                    ),
                    arguments: [now]
                )
            else { return nil }
            turn.state = .processing
            turn.updatedAt = now
            try turn.update(db)
            let conversation = try conversation(id: turn.conversationId, db: db)!
            let messages = try ConversationMessage.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM message WHERE turnId = ? ORDER BY createdAt, id"),
                arguments: [turn.id]
            )
            let firstID = messages.first?.id ?? .max
            let history = try ConversationMessage.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM message WHERE conversationId = ? AND id < ? AND kind IN ('text', 'interactive', 'button')
                        ORDER BY id DESC LIMIT 20
                        """
                ),
                arguments: [conversation.id, firstID]
            ).reversed()
            let media = try customerMedia(forMessages: messages.compactMap(\.id), db: db)
            var claimed = ClaimedTurn(turn: turn, conversation: conversation, messages: messages, history: Array(history), media: media)
            let quotedIDs = Array(Set(messages.compactMap(\.quotedWamid)))
            if !quotedIDs.isEmpty {
                let quoted =
                    try ConversationMessage
                    .filter(Column("conversationId") == conversation.id && quotedIDs.contains(Column("wamid")))
                    .fetchAll(db)
                for message in quoted { if let wamid = message.wamid { claimed.quoted[wamid] = message } }
            }
            return claimed
        }
    }

    /// After a restart, turns that were being answered are answered again: nothing was sent for them, because the reply
    /// and the end of the turn are written in one transaction.
    @discardableResult
    public func requeueInterruptedTurns(now: Date = Date()) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "UPDATE turn SET state = 'collecting', dueAt = ?, updatedAt = ? WHERE state = 'processing'", arguments: [now, now])
            return db.changesCount
        }
    }

    /// The earliest time a turn ``claimDueTurn(now:)`` could claim becomes due (a read: an idle worker sleeps until then).
    /// Turns held up behind another turn of their conversation, or waiting for a customer's file to be read, are left
    /// out: the end of that turn, or the file's, wakes the workers.
    public func nextTurnDue() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT t.dueAt FROM turn t INDEXED BY turn_collecting_due WHERE t.state = 'collecting'
                        AND NOT EXISTS (SELECT 1 FROM turn p WHERE p.conversationId = t.conversationId AND p.state = 'processing')
                        AND NOT EXISTS (SELECT 1 FROM turn e WHERE e.conversationId = t.conversationId AND e.state = 'collecting' AND e.id < t.id)
                        AND NOT EXISTS (SELECT 1 FROM customerMedia m WHERE m.turnId = t.id AND m.state IN ('pending', 'fetching'))
                        ORDER BY t.dueAt LIMIT 1
                        """
                )
            )
        }
    }

    /// Ends a turn: records the answer (its cost is what `debit` charges), queues the replies (already formatted for
    /// WhatsApp) and applies conversation changes — all in one transaction.
    ///
    /// When a person took the conversation over while the answer was being written (it is in human mode now, and was
    /// not — or not until the same time — when the turn was claimed), the answer is recorded but nothing is sent and the
    /// conversation is left in the person's hands.
    ///
    /// With `claimingFirstReply`, the first reply is also claimed for sending in the same transaction when nothing older
    /// of the conversation is unsent (as ``claimSend(now:)`` would claim it): the turn sends it at once, without a hop
    /// through the outbox workers. The claim is returned; the other replies wait in the outbox behind it.
    @discardableResult
    public func finishTurn(
        _ claimed: ClaimedTurn,
        answer: AnswerRecord?,
        replies: [String],
        options: ReplyOptions? = nil,
        conversationChanges: @escaping @Sendable (inout Conversation) -> Void = { _ in },
        now: Date = Date(),
        claimingFirstReply: Bool = false,
        debit: @escaping @Sendable (Database) throws -> Int64 = { _ in 0 }
    ) async throws -> ClaimedSend? {
        try await writer.write { db in
            if var answer {
                answer.cost = try debit(db)
                try answer.insert(db)
            }
            let current = try conversation(id: claimed.conversation.id, db: db)
            let takenOver =
                current.map { current in
                    current.mode == .human && (claimed.conversation.mode != .human || current.humanUntil != claimed.conversation.humanUntil)
                } ?? false
            var queued: [OutboxItem] = []
            if !takenOver {
                for (index, reply) in replies.enumerated() {
                    queued.append(
                        try enqueueReply(
                            conversationID: claimed.conversation.id!,
                            text: reply,
                            author: "assistant",
                            turnID: claimed.turn.id,
                            options: index == replies.count - 1 ? options : nil,
                            db: db,
                            now: now
                        )
                    )
                }
            }
            if var conversation = current {
                if !takenOver { conversationChanges(&conversation) }
                conversation.updatedAt = now
                try conversation.update(db)
            }
            try db.cachedStatement(sql: "UPDATE turn SET state = 'done', updatedAt = ? WHERE id = ?").execute(arguments: [now, claimed.turn.id])
            guard claimingFirstReply, let first = queued.first, try isNextToSend(first, db: db) else { return nil }
            return try claim(first, db: db, now: now)
        }
    }
}

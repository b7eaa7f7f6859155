public import Foundation
public import GRDB
public import Storage

/// What applying one webhook delivery did.
public struct InboxApplication: Sendable, Hashable {
    /// New customer messages stored.
    public var newMessages = 0
    /// Messages already seen (duplicate deliveries), ignored.
    public var duplicates = 0
    /// Statuses that changed an outgoing message.
    public var statusUpdates = 0
    /// Statuses naming neither a known message id nor one of our outbox items (ignored: nothing is guessed).
    public var unmatchedStatuses = 0
    /// Statuses showing that an item already sent under another message id reached WhatsApp again: a second copy
    /// (a resend after the reconcile time, when the first attempt's status came too late).
    public var secondCopies = 0
}

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
}

/// An outgoing message claimed for sending.
public struct ClaimedSend: Sendable, Hashable {
    /// The outbox item (already marked `sending`, its attempt counted).
    public var item: OutboxItem
    /// The message to send.
    public var message: ConversationMessage
    /// Its conversation (recipient, addressing, 24-hour window).
    public var conversation: Conversation

    /// What this attempt carries as `biz_opaque_callback_data`.
    public var callback: OutboxCallback { OutboxCallback(outboxID: item.id!, attempt: item.attempts) }
}

extension AppDatabase {
    // MARK: Inbox

    /// Stores a webhook body exactly as received; returns its inbox id. Called before the HTTP 200 is sent.
    @discardableResult
    public func storeWebhook(body: Data, now: Date = Date()) async throws -> Int64 {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO webhookInbox (receivedAt, body) VALUES (?, ?)", arguments: [now, body])
            return db.lastInsertedRowID
        }
    }

    /// Inbox entries not yet applied, oldest first.
    public func unprocessedWebhooks(limit: Int = 100) throws -> [(id: Int64, body: Data)] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT id, body FROM webhookInbox WHERE processedAt IS NULL ORDER BY id LIMIT ?", arguments: [limit])
                .map { (id: $0[0], body: $0[1]) }
        }
    }

    /// Marks an inbox entry that could not be read at all (kept for inspection, never retried).
    public func rejectWebhook(id: Int64, error: String, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE webhookInbox SET processedAt = ?, error = ? WHERE id = ?", arguments: [now, error, id])
        }
    }

    /// Applies the events of one inbox entry in one transaction: new messages join (or open) their conversation's
    /// collecting turn, duplicates are ignored, statuses move outgoing messages forward. Marks the entry processed.
    public func applyWebhook(
        id: Int64,
        events: [InboundEvent],
        quietPeriod: TimeInterval,
        textOnlyReply: @escaping @Sendable (Conversation) -> String,
        now: Date = Date()
    ) async throws -> InboxApplication {
        try await writer.write { db in
            var result = InboxApplication()
            for event in events {
                switch event {
                case .message(let message):
                    if try applyMessage(message, db: db, quietPeriod: quietPeriod, textOnlyReply: textOnlyReply, now: now) {
                        result.newMessages += 1
                    } else {
                        result.duplicates += 1
                    }
                case .status(let status):
                    switch try applyStatus(status, db: db, now: now) {
                    case .applied: result.statusUpdates += 1
                    case .stale: break
                    case .unmatched: result.unmatchedStatuses += 1
                    case .secondCopy: result.secondCopies += 1
                    }
                }
            }
            try db.execute(sql: "UPDATE webhookInbox SET processedAt = ? WHERE id = ?", arguments: [now, id])
            return result
        }
    }

    private func applyMessage(
        _ message: InboundMessage,
        db: Database,
        quietPeriod: TimeInterval,
        textOnlyReply: (Conversation) -> String,
        now: Date
    ) throws -> Bool {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE wamid = ?", arguments: [message.id]) == true { return false }
        var conversation =
            try conversation(phoneNumberID: message.phoneNumberID, customerID: message.customerID, db: db)
            ?? newConversation(for: message, db: db, now: now)
        conversation.lastInboundAt = max(conversation.lastInboundAt ?? .distantPast, message.timestamp)
        if let name = message.customerName, !name.isEmpty { conversation.customerName = name }
        conversation.addressing = message.addressing
        conversation.updatedAt = now
        try conversation.update(db)

        var turnID: Int64?
        let text: String
        switch message.content {
        case .text(let body):
            text = body
            turnID = try openTurn(conversationID: conversation.id!, db: db, dueAt: now.addingTimeInterval(quietPeriod), now: now)
        case .unreadable(let kind):
            text = "[\(kind)]"
        case .recordOnly(_, let body):
            text = body
        }
        var stored = ConversationMessage(
            conversationId: conversation.id!,
            turnId: turnID,
            direction: "in",
            author: "customer",
            wamid: message.id,
            kind: message.kind,
            text: text,
            status: nil,
            statusReason: nil,
            createdAt: message.timestamp,
            updatedAt: now
        )
        try stored.insert(db)
        if case .unreadable = message.content, conversation.mode == .assistant {
            try enqueueReply(conversationID: conversation.id!, text: textOnlyReply(conversation), author: "assistant", turnID: nil, db: db, now: now)
        }
        return true
    }

    private enum StatusEffect {
        case applied, stale, unmatched, secondCopy
    }

    /// Settles an outgoing message by its WhatsApp id when that is known, else by the outbox item its callback data
    /// names (the answer to a send that timed out, or that a killed process never recorded). A status naming neither
    /// changes nothing: no item is guessed.
    private func applyStatus(_ status: InboundStatus, db: Database, now: Date) throws -> StatusEffect {
        if let row = try Row.fetchOne(
            db,
            sql: "SELECT id, status FROM message WHERE wamid = ? AND direction = 'out'",
            arguments: [status.messageID]
        ) {
            let messageID: Int64 = row["id"]
            // Its item was settled when the id was learned; one still open here is settled now.
            try db.execute(
                sql: "UPDATE outbox SET state = 'sent', lastError = NULL, updatedAt = ? WHERE messageId = ? AND state <> 'sent'",
                arguments: [now, messageID]
            )
            let current = (row["status"] as String?).flatMap(InboundStatus.State.init(rawValue:))
            if let current, current >= status.state { return .stale }
            try db.execute(
                sql: "UPDATE message SET status = ?, statusReason = ?, updatedAt = ? WHERE id = ?",
                arguments: [status.state.rawValue, status.errorDescription, now, messageID]
            )
            return .applied
        }
        guard let callback = OutboxCallback(status.callbackData), var item = try OutboxItem.fetchOne(db, key: callback.outboxID),
            let conversation = try Conversation.fetchOne(db, key: item.conversationId),
            status.phoneNumberID.isEmpty || conversation.phoneNumberID == status.phoneNumberID,
            callback.attempt <= item.attempts
        else { return .unmatched }
        if item.state == .sent {
            // Settled already under another id: this copy went out too (an earlier or later attempt of the same item).
            return status.state == .sent ? .secondCopy : .stale
        }
        // Sending, uncertain, pending again after the reconcile time, or even failed by a later attempt: WhatsApp has
        // it, so it is sent and never sent again.
        item.state = .sent
        item.lastError = nil
        item.updatedAt = now
        try item.update(db)
        try db.execute(
            sql: "UPDATE message SET wamid = ?, status = ?, statusReason = ?, updatedAt = ? WHERE id = ?",
            arguments: [status.messageID, status.state.rawValue, status.errorDescription, now, item.messageId]
        )
        return .applied
    }

    private func conversation(phoneNumberID: String, customerID: String, db: Database) throws -> Conversation? {
        try Conversation.filter(Column("phoneNumberID") == phoneNumberID && Column("customerID") == customerID).fetchOne(db)
    }

    private func newConversation(for message: InboundMessage, db: Database, now: Date) throws -> Conversation {
        let agentID = try agentID(forPhoneNumberID: message.phoneNumberID, db: db)
        var conversation = Conversation(
            phoneNumberID: message.phoneNumberID,
            customerID: message.customerID,
            addressing: message.addressing,
            customerName: message.customerName,
            agentId: agentID,
            mode: .assistant,
            consecutiveUnanswered: 0,
            lastInboundAt: message.timestamp,
            createdAt: now,
            updatedAt: now
        )
        try conversation.insert(db)
        return conversation
    }

    private func agentID(forPhoneNumberID phoneNumberID: String, db: Database) throws -> Int64? {
        let agents = try Agent.fetchAll(db)
        if let claimed = agents.first(where: { $0.phoneNumberIDs.contains(phoneNumberID) }) { return claimed.id }
        if let fallback = agents.first(where: \.isDefault) { return fallback.id }
        return agents.count == 1 ? agents[0].id : nil
    }

    /// The collecting turn of a conversation with its quiet period extended, or a new one.
    private func openTurn(conversationID: Int64, db: Database, dueAt: Date, now: Date) throws -> Int64 {
        if var turn = try Turn.filter(Column("conversationId") == conversationID && Column("state") == Turn.State.collecting.rawValue).fetchOne(db) {
            turn.dueAt = max(turn.dueAt, dueAt)
            turn.updatedAt = now
            try turn.update(db)
            return turn.id!
        }
        var turn = Turn(conversationId: conversationID, state: .collecting, dueAt: dueAt, createdAt: now, updatedAt: now)
        try turn.insert(db)
        return turn.id!
    }

    // MARK: Turns

    /// Claims the turn whose quiet period ended first, skipping conversations that already have a turn in progress
    /// (so one customer's turns are answered strictly in order).
    public func claimDueTurn(now: Date = Date()) async throws -> ClaimedTurn? {
        try await writer.write { db in
            guard
                var turn = try Turn.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM turn t WHERE t.state = 'collecting' AND t.dueAt <= ?
                        AND NOT EXISTS (SELECT 1 FROM turn p WHERE p.conversationId = t.conversationId AND p.state = 'processing')
                        AND NOT EXISTS (SELECT 1 FROM turn e WHERE e.conversationId = t.conversationId AND e.state = 'collecting' AND e.id < t.id)
                        ORDER BY t.dueAt, t.id LIMIT 1
                        """,
                    arguments: [now]
                )
            else { return nil }
            turn.state = .processing
            turn.updatedAt = now
            try turn.update(db)
            let conversation = try Conversation.fetchOne(db, key: turn.conversationId)!
            let messages = try ConversationMessage.filter(Column("turnId") == turn.id).order(Column("createdAt"), Column("id")).fetchAll(db)
            let firstID = messages.first?.id ?? .max
            let history =
                try ConversationMessage
                .filter(
                    Column("conversationId") == conversation.id && Column("id") < firstID
                        && ["text", "interactive", "button"].contains(Column("kind"))
                )
                .order(Column("id").desc).limit(20).fetchAll(db).reversed()
            return ClaimedTurn(turn: turn, conversation: conversation, messages: messages, history: Array(history))
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
    /// Turns held up behind another turn of their conversation are left out: the end of that turn wakes the workers.
    public func nextTurnDue() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db,
                sql: """
                    SELECT MIN(t.dueAt) FROM turn t WHERE t.state = 'collecting'
                    AND NOT EXISTS (SELECT 1 FROM turn p WHERE p.conversationId = t.conversationId AND p.state = 'processing')
                    AND NOT EXISTS (SELECT 1 FROM turn e WHERE e.conversationId = t.conversationId AND e.state = 'collecting' AND e.id < t.id)
                    """
            )
        }
    }

    /// Ends a turn: records the answer (its cost is what `debit` charges), queues the replies (already formatted for
    /// WhatsApp) and applies conversation changes — all in one transaction.
    ///
    /// When a person took the conversation over while the answer was being written (it is in human mode now, and was
    /// not — or not until the same time — when the turn was claimed), the answer is recorded but nothing is sent and the
    /// conversation is left in the person's hands.
    public func finishTurn(
        _ claimed: ClaimedTurn,
        answer: AnswerRecord?,
        replies: [String],
        conversationChanges: @escaping @Sendable (inout Conversation) -> Void = { _ in },
        now: Date = Date(),
        debit: @escaping @Sendable (Database) throws -> Int64 = { _ in 0 }
    ) async throws {
        try await writer.write { db in
            if var answer {
                answer.cost = try debit(db)
                try answer.insert(db)
            }
            let current = try Conversation.fetchOne(db, key: claimed.conversation.id)
            let takenOver =
                current.map { current in
                    current.mode == .human && (claimed.conversation.mode != .human || current.humanUntil != claimed.conversation.humanUntil)
                } ?? false
            if !takenOver {
                for reply in replies {
                    try enqueueReply(
                        conversationID: claimed.conversation.id!,
                        text: reply,
                        author: "assistant",
                        turnID: claimed.turn.id,
                        db: db,
                        now: now
                    )
                }
            }
            if var conversation = current {
                if !takenOver { conversationChanges(&conversation) }
                conversation.updatedAt = now
                try conversation.update(db)
            }
            try db.execute(sql: "UPDATE turn SET state = 'done', updatedAt = ? WHERE id = ?", arguments: [now, claimed.turn.id])
        }
    }

    // MARK: Outbox

    /// Queues an outgoing text message (also for operators' replies).
    @discardableResult
    public func enqueueReply(conversationID: Int64, text: String, author: String, turnID: Int64? = nil, now: Date = Date()) throws -> Int64 {
        try writer.write { db in try enqueueReply(conversationID: conversationID, text: text, author: author, turnID: turnID, db: db, now: now) }
    }

    @discardableResult
    func enqueueReply(conversationID: Int64, text: String, author: String, turnID: Int64?, db: Database, now: Date) throws -> Int64 {
        var message = ConversationMessage(
            conversationId: conversationID,
            turnId: turnID,
            direction: "out",
            author: author,
            wamid: nil,
            kind: "text",
            text: text,
            status: "queued",
            statusReason: nil,
            createdAt: now,
            updatedAt: now
        )
        try message.insert(db)
        var item = OutboxItem(
            messageId: message.id!,
            conversationId: conversationID,
            state: .pending,
            attempts: 0,
            nextAttemptAt: now,
            lastError: nil,
            lastAttemptAt: nil,
            createdAt: now,
            updatedAt: now
        )
        try item.insert(db)
        return message.id!
    }

    /// Claims the oldest sendable outbox item whose conversation has nothing older still unsent, marking it `sending`
    /// and counting the attempt *before* anything is sent (the attempt is what ``ClaimedSend/callback`` names).
    public func claimSend(now: Date = Date()) async throws -> ClaimedSend? {
        try await writer.write { db in
            guard
                var item = try OutboxItem.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM outbox o WHERE o.state = 'pending' AND o.nextAttemptAt <= ?
                        AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversationId = o.conversationId
                                        AND e.id < o.id AND e.state IN ('pending', 'sending', 'uncertain'))
                        ORDER BY o.id LIMIT 1
                        """,
                    arguments: [now]
                )
            else { return nil }
            item.state = .sending
            item.attempts += 1
            item.lastAttemptAt = now
            item.updatedAt = now
            try item.update(db)
            try db.execute(sql: "UPDATE message SET status = 'sending', updatedAt = ? WHERE id = ?", arguments: [now, item.messageId])
            let message = try ConversationMessage.fetchOne(db, key: item.messageId)!
            let conversation = try Conversation.fetchOne(db, key: item.conversationId)!
            return ClaimedSend(item: item, message: message, conversation: conversation)
        }
    }

    /// The earliest time ``claimSend(now:)`` could claim an item (a read: an idle sender sleeps until then). Items held
    /// up behind an earlier unsent one of their conversation are left out: settling that one wakes the senders.
    public func nextSendDue() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db,
                sql: """
                    SELECT MIN(o.nextAttemptAt) FROM outbox o WHERE o.state = 'pending'
                    AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversationId = o.conversationId
                                    AND e.id < o.id AND e.state IN ('pending', 'sending', 'uncertain'))
                    """
            )
        }
    }

    /// Since when the oldest `uncertain` item has waited for its status (a read: the reconcile deadline is this plus the
    /// reconcile time).
    public func oldestUncertainSend() throws -> Date? {
        try reader.read { db in try Date.fetchOne(db, sql: "SELECT MIN(updatedAt) FROM outbox WHERE state = 'uncertain'") }
    }

    /// Records a successful send.
    public func markSent(_ item: OutboxItem, messageID: String, kind: String = "text", now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE outbox SET state = 'sent', lastError = NULL, updatedAt = ? WHERE id = ?", arguments: [now, item.id])
            try db.execute(
                sql:
                    "UPDATE message SET wamid = ?, kind = ?, status = CASE WHEN status IN ('delivered', 'read') THEN status ELSE 'sent' END, updatedAt = ? WHERE id = ?",
                arguments: [messageID, kind, now, item.messageId]
            )
        }
    }

    /// Puts an item being sent back to be tried again after `delay`. An item a status webhook settled meanwhile (an
    /// earlier attempt reached WhatsApp after all) stays settled.
    public func retrySend(_ item: OutboxItem, error: String, after delay: TimeInterval, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'pending', lastError = ?, nextAttemptAt = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                arguments: [error, now.addingTimeInterval(delay), now, item.id]
            )
            guard db.changesCount > 0 else { return }
            try db.execute(
                sql: "UPDATE message SET status = 'queued', statusReason = ?, updatedAt = ? WHERE id = ?",
                arguments: [error, now, item.messageId]
            )
        }
    }

    /// Gives up on an item being sent; the message shows why. An item a status webhook settled meanwhile stays settled.
    public func failSend(_ item: OutboxItem, reason: String, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'failed', lastError = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                arguments: [reason, now, item.id]
            )
            guard db.changesCount > 0 else { return }
            try db.execute(
                sql: "UPDATE message SET status = 'failed', statusReason = ?, updatedAt = ? WHERE id = ?",
                arguments: [reason, now, item.messageId]
            )
        }
    }

    /// Leaves an item whose send outcome is unknown (timeout, connection lost after the request went out) `uncertain`
    /// from `now` (its `updatedAt`): a status webhook carrying its callback data settles it, else
    /// ``retryUnconfirmedSends(olderThan:now:)`` sends it again once the reconcile time has passed. An item settled
    /// meanwhile (its status came first) stays settled.
    public func markUncertain(_ item: OutboxItem, error: String, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'uncertain', lastError = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                arguments: [error, now, item.id]
            )
        }
    }

    /// At start, items that were `sending` when the process stopped (killed mid-send: the request may have reached
    /// WhatsApp) become `uncertain`, never sent again at once; returns how many. Every uncertain item waits for its
    /// status from `now` on: no status webhook could arrive while no daemon was running, and WhatsApp is still
    /// retrying those it has.
    @discardableResult
    public func recoverInterruptedSends(now: Date = Date()) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'uncertain', lastError = ?, updatedAt = ? WHERE state = 'sending'",
                arguments: ["The process stopped during the send; waiting for its status.", now]
            )
            let interrupted = db.changesCount
            try db.execute(sql: "UPDATE outbox SET updatedAt = ? WHERE state = 'uncertain'", arguments: [now])
            return interrupted
        }
    }

    /// Items `uncertain` since before `cutoff` (their `updatedAt`) with no status webhook since: back to pending, to be
    /// sent again now. Returns them (as they were) so the caller can log and count each.
    @discardableResult
    public func retryUnconfirmedSends(olderThan cutoff: Date, now: Date = Date()) async throws -> [OutboxItem] {
        try await writer.write { db in
            let items = try OutboxItem.filter(Column("state") == OutboxItem.State.uncertain.rawValue && Column("updatedAt") < cutoff)
                .order(Column("id")).fetchAll(db)
            for item in items {
                try db.execute(
                    sql: "UPDATE outbox SET state = 'pending', nextAttemptAt = ?, updatedAt = ? WHERE id = ?",
                    arguments: [now, now, item.id]
                )
                try db.execute(
                    sql: "UPDATE message SET status = 'queued', statusReason = ?, updatedAt = ? WHERE id = ? AND status = 'sending'",
                    arguments: ["No confirmation from WhatsApp; sending again.", now, item.messageId]
                )
            }
            return items
        }
    }

    /// The outbox item of an outgoing message.
    public func outboxItem(ofMessage messageID: Int64) throws -> OutboxItem? {
        try reader.read { db in try OutboxItem.filter(Column("messageId") == messageID).fetchOne(db) }
    }

    /// Records something an operator must act on (an invalid access token, a blocked account).
    public func raiseAlert(kind: String, message: String, now: Date = Date()) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO alert (kind, message, createdAt) VALUES (?, ?, ?)", arguments: [kind, message, now])
        }
    }

    /// Alerts not yet resolved, newest first.
    public func openAlerts() throws -> [(kind: String, message: String, createdAt: Date)] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, message, createdAt FROM alert WHERE resolvedAt IS NULL ORDER BY id DESC")
                .map { (kind: $0[0], message: $0[1], createdAt: $0[2]) }
        }
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
            let messageID = try enqueueReply(conversationID: conversationID, text: text, author: "operator", turnID: nil, db: db, now: now)
            return (messageID, conversation)
        }
    }
}

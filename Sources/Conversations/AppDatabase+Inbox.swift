public import Foundation
import GRDB
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

/// An inbox entry as the inbox worker read it: the events of its body, or why the body could not be read.
public struct InboxEntry: Sendable {
    /// What the body held.
    public enum Content: Sendable {
        /// The body's events.
        case events([InboundEvent])
        /// The body could not be read (kept for inspection, never retried).
        case unreadable(String)
    }

    /// The inbox id.
    public var id: Int64
    /// What the body held.
    public var content: Content

    /// An entry whose body held `events`.
    public init(id: Int64, events: [InboundEvent]) {
        self.id = id
        self.content = .events(events)
    }

    /// An entry whose body could not be read, with why.
    public init(id: Int64, unreadable error: String) {
        self.id = id
        self.content = .unreadable(error)
    }
}

extension AppDatabase {

    /// Stores a delivery of `channel` exactly as received; returns its inbox id. Called before the HTTP 200 is sent.
    @discardableResult
    public func storeWebhook(body: Data, channel: MessagingChannel = .whatsapp, now: Date = Date()) async throws -> Int64 {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO webhookInbox (receivedAt, body, channel) VALUES (?, ?, ?)")
                .execute(arguments: [now, body, channel])
            return db.lastInsertedRowID
        }
    }

    /// Inbox entries not yet applied, oldest first.
    public func unprocessedWebhooks(limit: Int = 100) throws -> [(id: Int64, channel: MessagingChannel, body: Data)] {
        try reader.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, channel, body FROM webhookInbox WHERE processedAt IS NULL ORDER BY id LIMIT ?"),
                arguments: [limit]
            )
            .map { (id: $0[0], channel: MessagingChannel(rawValue: $0[1]) ?? .whatsapp, body: $0[2]) }
        }
    }

    /// Inbox entries whose body could not be read, with why, oldest first (kept for inspection, never retried).
    public func unreadableWebhooks() throws -> [(id: Int64, error: String)] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT id, error FROM webhookInbox WHERE error IS NOT NULL ORDER BY id").map { (id: $0[0], error: $0[1]) }
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
        try await applyWebhooks([InboxEntry(id: id, events: events)], quietPeriod: quietPeriod, textOnlyReply: textOnlyReply, now: now)
    }

    /// Applies inbox entries in order, all in one transaction (as ``applyWebhook(id:events:quietPeriod:textOnlyReply:now:)``
    /// each), and marks each processed; an unreadable entry is marked with its error and never retried.
    public func applyWebhooks(
        _ entries: [InboxEntry],
        quietPeriod: TimeInterval,
        textOnlyReply: @escaping @Sendable (Conversation) -> String,
        now: Date = Date()
    ) async throws -> InboxApplication {
        try await writer.write { db in
            var result = InboxApplication()
            for entry in entries {
                switch entry.content {
                case .unreadable(let error):
                    try db.cachedStatement(sql: "UPDATE webhookInbox SET processedAt = ?, error = ? WHERE id = ?")
                        .execute(arguments: [now, error, entry.id])
                    continue
                case .events(let events):
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
                    try db.cachedStatement(sql: "UPDATE webhookInbox SET processedAt = ? WHERE id = ?").execute(arguments: [now, entry.id])
                }
            }
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
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM message WHERE wamid = ?"), arguments: [message.id]) == true { return false }
        var conversation =
            try conversation(phoneNumberID: message.phoneNumberID, customerID: message.customerID, db: db)
            ?? newConversation(for: message, db: db, now: now)
        conversation.lastInboundAt = max(conversation.lastInboundAt ?? .distantPast, message.timestamp)
        if conversation.status == .closed, !message.isRecordOnly {
            // Closed after a silence: this message opens it again, its history kept.
            conversation.status = .open
            conversation.openedAt = now
            conversation.followedUpAt = nil
            conversation.closedAt = nil
        }
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
        case .media(let media):
            // The caption is what the customer typed; the file's text joins the turn once it is read, and the turn
            // waits for it.
            text = media.caption ?? ""
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
            updatedAt: now,
            quotedWamid: message.quotedMessageID,
            buttonID: message.buttonID
        )
        try stored.insert(db)
        if case .media(let media) = message.content {
            try recordMedia(media, conversationID: conversation.id!, messageID: stored.id!, turnID: turnID, db: db, now: now)
        }
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
            db.cachedStatement(sql: "SELECT id, status FROM message WHERE wamid = ? AND direction = 'out'"),
            arguments: [status.messageID]
        ) {
            let messageID: Int64 = row["id"]
            // Its item was settled when the id was learned; one still open here is settled now.
            try db.cachedStatement(sql: "UPDATE outbox SET state = 'sent', lastError = NULL, updatedAt = ? WHERE messageId = ? AND state <> 'sent'")
                .execute(arguments: [now, messageID])
            let current = (row["status"] as String?).flatMap(InboundStatus.State.init(rawValue:))
            if let current, current >= status.state { return .stale }
            try db.cachedStatement(sql: "UPDATE message SET status = ?, statusReason = ?, updatedAt = ? WHERE id = ?")
                .execute(arguments: [status.state.rawValue, status.errorDescription, now, messageID])
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
        try Conversation.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM conversation WHERE phoneNumberID = ? AND customerID = ?"),
            arguments: [phoneNumberID, customerID]
        )
    }

    private func newConversation(for message: InboundMessage, db: Database, now: Date) throws -> Conversation {
        let agentID = try agentID(for: message, db: db)
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
            updatedAt: now,
            openedAt: now,
            channel: message.channel
        )
        try conversation.insert(db)
        return conversation
    }

    /// Among the agents that answer the message's channel: the one the customer chose (the widget's), the one that
    /// claims the business account, the default, or the only one.
    private func agentID(for message: InboundMessage, db: Database) throws -> Int64? {
        let agents = try Agent.fetchAll(db).filter { $0.answers(message.channel) }
        if let name = message.agentName, let chosen = agents.first(where: { $0.name == name }) { return chosen.id }
        if let claimed = agents.first(where: { $0.phoneNumberIDs.contains(message.phoneNumberID) }) { return claimed.id }
        if let fallback = agents.first(where: \.isDefault) { return fallback.id }
        return agents.count == 1 ? agents[0].id : nil
    }

    /// The collecting turn of a conversation with its quiet period extended, or a new one.
    private func openTurn(conversationID: Int64, db: Database, dueAt: Date, now: Date) throws -> Int64 {
        if var turn = try Turn.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM turn WHERE conversationId = ? AND state = 'collecting'"),
            arguments: [conversationID]
        ) {
            turn.dueAt = max(turn.dueAt, dueAt)
            turn.updatedAt = now
            try turn.update(db)
            return turn.id!
        }
        var turn = Turn(conversationId: conversationID, state: .collecting, dueAt: dueAt, createdAt: now, updatedAt: now)
        try turn.insert(db)
        return turn.id!
    }
}

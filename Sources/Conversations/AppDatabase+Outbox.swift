public import Foundation
import GRDB
public import Storage

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

    /// Queues an outgoing text message (also for operators' replies).
    @discardableResult
    public func enqueueReply(conversationID: Int64, text: String, author: String, turnID: Int64? = nil, now: Date = Date()) async throws -> Int64 {
        try await writer.write { db in
            try enqueueReply(conversationID: conversationID, text: text, author: author, turnID: turnID, db: db, now: now).messageId
        }
    }

    /// Queues an outgoing text message; returns its outbox item.
    @discardableResult
    func enqueueReply(
        conversationID: Int64,
        text: String,
        author: String,
        turnID: Int64?,
        options: ReplyOptions? = nil,
        db: Database,
        now: Date
    ) throws -> OutboxItem {
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
            updatedAt: now,
            buttons: try options.flatMap { $0.options.isEmpty ? nil : String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
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
        return item
    }

    /// Claims the oldest sendable outbox item whose conversation has nothing older still unsent, marking it `sending`
    /// and counting the attempt *before* anything is sent (the attempt is what ``ClaimedSend/callback`` names).
    public func claimSend(now: Date = Date()) async throws -> ClaimedSend? {
        try await writer.write { db in
            guard
                let item = try OutboxItem.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT * FROM outbox o WHERE o.state = 'pending' AND o.nextAttemptAt <= ?
                            AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversationId = o.conversationId
                                            AND e.id < o.id AND e.state IN ('pending', 'sending', 'uncertain'))
                            ORDER BY o.id LIMIT 1
                            """
                    ),
                    arguments: [now]
                )
            else { return nil }
            return try claim(item, db: db, now: now)
        }
    }

    /// Marks `item` `sending` and counts the attempt, before anything is sent.
    func claim(_ item: OutboxItem, db: Database, now: Date) throws -> ClaimedSend {
        var item = item
        item.state = .sending
        item.attempts += 1
        item.lastAttemptAt = now
        item.updatedAt = now
        try item.update(db)
        try db.cachedStatement(sql: "UPDATE message SET status = 'sending', updatedAt = ? WHERE id = ?").execute(arguments: [now, item.messageId])
        let message = try ConversationMessage.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM message WHERE id = ?"),
            arguments: [item.messageId]
        )!
        let conversation = try conversation(id: item.conversationId, db: db)!
        return ClaimedSend(item: item, message: message, conversation: conversation)
    }

    /// Whether `item` is next of its conversation: nothing older of it is still waiting or being sent.
    func isNextToSend(_ item: OutboxItem, db: Database) throws -> Bool {
        try !Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM outbox e WHERE e.conversationId = ? AND e.id < ?
                                   AND e.state IN ('pending', 'sending', 'uncertain'))
                    """
            ),
            arguments: [item.conversationId, item.id]
        )!
    }

    /// The earliest time ``claimSend(now:)`` could claim an item (a read: an idle sender sleeps until then). Items held
    /// up behind an earlier unsent one of their conversation are left out: settling that one wakes the senders.
    public func nextSendDue() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT o.nextAttemptAt FROM outbox o INDEXED BY outbox_pending_due WHERE o.state = 'pending'
                        AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversationId = o.conversationId
                                        AND e.id < o.id AND e.state IN ('pending', 'sending', 'uncertain'))
                        ORDER BY o.nextAttemptAt LIMIT 1
                        """
                )
            )
        }
    }

    /// Since when the oldest `uncertain` item has waited for its status (a read: the reconcile deadline is this plus the
    /// reconcile time).
    public func oldestUncertainSend() throws -> Date? {
        try reader.read { db in try Date.fetchOne(db.cachedStatement(sql: "SELECT MIN(updatedAt) FROM outbox WHERE state = 'uncertain'")) }
    }

    /// Records a successful send.
    public func markSent(_ item: OutboxItem, messageID: String, kind: String = "text", now: Date = Date()) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE outbox SET state = 'sent', lastError = NULL, updatedAt = ? WHERE id = ?").execute(arguments: [
                now, item.id,
            ])
            try db.cachedStatement(
                sql:
                    "UPDATE message SET wamid = ?, kind = ?, status = CASE WHEN status IN ('delivered', 'read') THEN status ELSE 'sent' END, updatedAt = ? WHERE id = ?"
            ).execute(arguments: [messageID, kind, now, item.messageId])
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
}

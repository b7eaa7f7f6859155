import GRDB

extension AppDatabase {
    /// Tables of the WhatsApp conversation flow: the durable webhook inbox, conversations, messages, turns, the outbox
    /// and the record of every answer.
    static func registerConversationsSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2: conversations, inbox, outbox, answers") { db in
            // Agents gain what answering needs; all optional so existing agents keep working.
            try db.alter(table: "agent") { t in
                t.add(column: "persona", .text).notNull().defaults(to: "")
                t.add(column: "instructions", .text).notNull().defaults(to: "")
                t.add(column: "language", .text).notNull().defaults(to: "pt-BR")
                t.add(column: "phoneNumberIDs", .text).notNull().defaults(to: "[]")
                t.add(column: "handoffKeywords", .text).notNull().defaults(to: "[]")
                t.add(column: "outOfCreditsMessage", .text)
                t.add(column: "outOfScopeMessage", .text)
                t.add(column: "isDefault", .boolean).notNull().defaults(to: false)
            }
            // Every webhook body exactly as received, stored before the 200 goes out.
            try db.create(table: "webhookInbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("receivedAt", .datetime).notNull()
                t.column("body", .blob).notNull()
                t.column("processedAt", .datetime).indexed()
                t.column("error", .text)
            }
            try db.create(table: "conversation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("phoneNumberID", .text).notNull()
                t.column("customerID", .text).notNull()
                t.column("addressing", .text).notNull()
                t.column("customerName", .text)
                t.belongsTo("agent", onDelete: .setNull)
                t.column("mode", .text).notNull().defaults(to: "assistant")
                t.column("humanUntil", .datetime)
                t.column("consecutiveUnanswered", .integer).notNull().defaults(to: 0)
                t.column("lastInboundAt", .datetime)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull().indexed()
                t.uniqueKey(["phoneNumberID", "customerID"])
            }
            try db.create(table: "turn") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("dueAt", .datetime).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "message") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.belongsTo("turn", onDelete: .setNull)
                t.column("direction", .text).notNull()
                t.column("author", .text).notNull()
                // WhatsApp's id: unique, so a delivery seen twice (at once or after a restart) is stored once.
                t.column("wamid", .text).unique()
                t.column("kind", .text).notNull()
                t.column("text", .text).notNull()
                t.column("status", .text)
                t.column("statusReason", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("message", onDelete: .cascade).notNull()
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("lastError", .text)
                t.column("lastAttemptAt", .datetime)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "answer") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.belongsTo("turn", onDelete: .setNull)
                t.column("question", .text).notNull()
                t.column("text", .text).notNull()
                t.column("outcome", .text).notNull().indexed()
                t.column("sources", .text).notNull()
                t.column("latencyMs", .integer).notNull()
                t.column("promptTokens", .integer).notNull().defaults(to: 0)
                t.column("completionTokens", .integer).notNull().defaults(to: 0)
                t.column("cost", .integer).notNull().defaults(to: 0)
                t.column("createdAt", .datetime).notNull().indexed()
            }
            try db.create(table: "alert") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("message", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("resolvedAt", .datetime)
            }
        }
    }
}

extension AppDatabase {
    /// Indexes that keep the workers' queue queries cheap however long the queue grows (a burst of thousands of
    /// deliveries): the next due turn and the next due send are read in index order instead of sorting every waiting
    /// row on each claim.
    static func registerConversationsQueueIndexes(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v2: work queue indexes") { db in
            try db.execute(sql: "CREATE INDEX turn_collecting_due ON turn(dueAt, id) WHERE state = 'collecting'")
            try db.execute(sql: "CREATE INDEX outbox_pending_due ON outbox(nextAttemptAt, id) WHERE state = 'pending'")
            // "Is an earlier turn or send of this conversation still open?": a lookup, not a walk through its history.
            try db.execute(sql: "CREATE INDEX turn_conversation_state ON turn(conversationId, state)")
            try db.execute(sql: "CREATE INDEX outbox_conversation_state ON outbox(conversationId, state)")
        }
    }
}

extension AppDatabase {
    /// Files customers send (photos, stickers, documents): each is fetched from the channel, kept in `media/` for the
    /// retention period, read (OCR or the document extractors) in the isolated reader, and its text given to the turn
    /// it belongs to, which waits for it.
    static func registerCustomerMediaSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v3: media customers send") { db in
            try db.create(table: "customerMedia") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("conversation", onDelete: .cascade).notNull()
                t.belongsTo("message", onDelete: .cascade).notNull().unique()
                t.belongsTo("turn", onDelete: .setNull)
                t.column("kind", .text).notNull()
                t.column("channelMediaID", .text).notNull()
                t.column("declaredMimeType", .text)
                t.column("filename", .text)
                // pending → fetching → read | failed; a read file is removed after the retention period (removedAt).
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("failure", .text)
                t.column("failureDetail", .text)
                t.column("mimeType", .text)
                t.column("byteCount", .integer)
                t.column("sha256", .text)
                t.column("text", .text)
                t.column("textSource", .text)
                t.column("confidence", .double)
                t.column("pageCount", .integer)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("removedAt", .datetime)
            }
            try db.execute(sql: "CREATE INDEX customerMedia_pending_due ON customerMedia(nextAttemptAt, id) WHERE state = 'pending'")
            try db.execute(sql: "CREATE INDEX customerMedia_open_turn ON customerMedia(turnId) WHERE state IN ('pending', 'fetching')")
            try db.execute(sql: "CREATE INDEX customerMedia_kept ON customerMedia(createdAt) WHERE byteCount IS NOT NULL AND removedAt IS NULL")
        }
    }
}

extension AppDatabase {
    /// Which model wrote each answer (the primary or the fallback, each charged at its own price), and which earlier
    /// message a customer's reply quotes (its text joins the prompt).
    static func registerAnsweringModelSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v4: answering model, quoted messages") { db in
            try db.alter(table: "answer") { t in
                t.add(column: "model", .text)
                t.add(column: "modelTier", .text)
            }
            try db.alter(table: "message") { t in
                t.add(column: "quotedWamid", .text)
            }
        }
    }
}

extension AppDatabase {
    /// Conversations close after a silence (and open again with the next message), answers carry the customer's or
    /// an operator's "did it help?", replies carry reply buttons and taps their id, and each closing is recorded for the
    /// resolution rate without the customer's identity.
    static func registerConversationLifecycleSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v5: closing, feedback, reply buttons") { db in
            try db.alter(table: "conversation") { t in
                t.add(column: "status", .text).notNull().defaults(to: "open")
                t.add(column: "openedAt", .datetime)
                t.add(column: "followedUpAt", .datetime)
                t.add(column: "closedAt", .datetime)
            }
            try db.execute(sql: "CREATE INDEX conversation_open ON conversation(id) WHERE status = 'open'")
            try db.alter(table: "answer") { t in
                t.add(column: "feedback", .text)
                t.add(column: "feedbackSource", .text)
                t.add(column: "feedbackAt", .datetime)
            }
            try db.execute(sql: "CREATE INDEX answer_feedback ON answer(feedbackAt) WHERE feedback IS NOT NULL")
            try db.alter(table: "message") { t in
                t.add(column: "buttons", .text)
                t.add(column: "buttonID", .text)
            }
            try db.create(table: "conversationClosure") { t in
                t.autoIncrementedPrimaryKey("id")
                // Kept when the conversation is erased (its counts stay on the dashboard), without who it was.
                t.belongsTo("conversation", onDelete: .setNull)
                t.belongsTo("agent", onDelete: .setNull)
                t.column("openedAt", .datetime).notNull()
                t.column("closedAt", .datetime).notNull().indexed()
                t.column("resolution", .text).notNull()
                t.column("answered", .integer).notNull()
                t.column("handedOff", .boolean).notNull()
                t.column("confirmed", .boolean).notNull()
            }
        }
    }
}

extension AppDatabase {
    /// What is left of an erased customer's conversations for the dashboard: when each message and answer was, and of
    /// which kind — no text, no number, no conversation.
    static func registerCustomerErasureSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v6: anonymous activity of erased customers") { db in
            try db.create(table: "anonymousActivity") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("createdAt", .datetime).notNull()
                // `in` / `out` for a message; the outcome for an answer (`generated`, `handoff`, …).
                t.column("kind", .text).notNull()
            }
            try db.execute(sql: "CREATE INDEX anonymousActivity_dashboard ON anonymousActivity(createdAt, kind)")
        }
    }
}

extension AppDatabase {
    /// A message an operator sends as an approved template (the customer's 24 hours are over): its name, language and
    /// parameters, as JSON.
    static func registerOperatorTemplateSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v7: templates operators send") { db in
            try db.alter(table: "message") { t in
                t.add(column: "template", .text)
            }
        }
    }
}

extension AppDatabase {
    /// More channels than WhatsApp: each conversation and each stored delivery names its channel (existing ones are
    /// WhatsApp's), and each agent the channels it answers (all of them, unless its owner says otherwise).
    ///
    /// A conversation stays unique by business account and customer: Meta's account ids (a WhatsApp number's, an
    /// Instagram account's) are ids of one graph and never equal, and the web widget's are `web:` names.
    static func registerChannelsSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("conversations v8: channels") { db in
            try db.alter(table: "conversation") { t in
                t.add(column: "channel", .text).notNull().defaults(to: "whatsapp")
            }
            try db.create(index: "conversation_on_channel_updatedAt", on: "conversation", columns: ["channel", "updatedAt"])
            try db.alter(table: "webhookInbox") { t in
                t.add(column: "channel", .text).notNull().defaults(to: "whatsapp")
            }
            try db.alter(table: "agent") { t in
                t.add(column: "channels", .text).notNull().defaults(to: #"["whatsapp","instagram","web"]"#)
            }
        }
        migrator.registerMigration("agents v3: the website's chat widget") { db in
            try db.alter(table: "agent") { t in
                // The sites whose pages may show the agent's widget (`https://loja.example`), as JSON: none until set.
                t.add(column: "widgetOrigins", .text).notNull().defaults(to: "[]")
                t.add(column: "widgetTitle", .text)
                t.add(column: "widgetShowsSources", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("conversations v9: a widget visitor's contact") { db in
            try db.alter(table: "agent") { t in
                // Whether the widget asks a visitor waiting for a person how to answer them later, and the privacy notice
                // shown above the form (`nil`: the localized default).
                t.add(column: "widgetAsksContact", .boolean).notNull().defaults(to: true)
                t.add(column: "widgetContactNotice", .text)
            }
            try db.alter(table: "conversation") { t in
                // What the visitor left (JSON: name, contact, when), erased with the conversation.
                t.add(column: "contact", .text)
            }
        }
    }
}

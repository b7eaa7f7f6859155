import GRDB

extension AppDatabase {
    /// What the admin pages add: curated answers and the indexes their lists are read through.
    ///
    /// - `curatedAnswer`: a question the assistant could not answer, turned by a person into a question-and-answer entry.
    ///   The entry is an ordinary text document (`documentId`, ingested and searched like any upload); the row remembers
    ///   which unanswered question (`answerId`) it settles, so that question leaves the "unanswered" list. Deleting the
    ///   document deletes the row (the question shows up again); a deleted answer leaves the entry in place.
    /// - Indexes: conversations listed by mode ("waiting for a person") newest first, answers of one conversation by
    ///   outcome (the "unanswered" filter), documents newest first.
    static func registerAdminPagesSchema(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("admin pages v1: curated answers, list indexes") { db in
            try db.create(table: "curatedAnswer") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("answerId", .integer).unique().references("answer", onDelete: .setNull)
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.column("question", .text).notNull()
                t.column("answer", .text).notNull()
                t.column("createdBy", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(index: "conversation_mode_updatedAt", on: "conversation", columns: ["mode", "updatedAt"])
            try db.create(index: "answer_conversationId_outcome", on: "answer", columns: ["conversationId", "outcome"])
            try db.create(index: "document_createdAt", on: "document", columns: ["createdAt"])
        }
    }
}

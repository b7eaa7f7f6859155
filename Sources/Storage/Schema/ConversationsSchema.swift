import GRDB

extension AppDatabase {
    /// Tables of the WhatsApp conversation flow: inbox, messages, conversations, outbox, answers.
    static func registerConversationsSchema(_ migrator: inout DatabaseMigrator) {
    }
}

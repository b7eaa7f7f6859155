public import Foundation
import GRDB
public import Storage
import ZIPFoundation

/// A customer's rights under Brazil's data-protection law (LGPD, art. 18): to see everything held about them, and to
/// have it erased. A customer is their WhatsApp id (the phone number, or the business-scoped id when it is hidden),
/// across every business number.
public struct CustomerData: Sendable {
    /// The store.
    public let database: AppDatabase
    /// Where customers' files are kept.
    public let mediaStore: CustomerMediaStore

    /// The customer data of `database`, with files in `mediaStore`.
    public init(database: AppDatabase, mediaStore: CustomerMediaStore) {
        self.database = database
        self.mediaStore = mediaStore
    }

    /// What an erasure removed.
    public struct Erasure: Sendable, Hashable {
        public var conversations = 0
        public var messages = 0
        public var answers = 0
        public var files = 0
        /// Raw webhook deliveries that named the customer.
        public var deliveries = 0
        /// Audit entries whose text named the customer (the number is replaced, the entry kept).
        public var auditEntries = 0

        /// What was removed, in words for the audit log.
        public var summary: String {
            "\(conversations) conversations, \(messages) messages, \(answers) answers, \(files) files, \(deliveries) webhook deliveries; "
                + "number removed from \(auditEntries) audit entries"
        }
    }

    /// Whether anything is held about `customerID`.
    public func exists(_ customerID: String) throws -> Bool {
        try database.reader.readNow { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM conversation WHERE customerID = ? LIMIT 1", arguments: [customerID]) == true
        }
    }

    // MARK: Export

    /// Everything held about the customer, as `customer.json` in a zip archive written to `url`, with each file they sent
    /// still kept under `media/`. `nil` when nothing is held.
    public func export(_ customerID: String, to url: URL, now: Date) throws -> URL? {
        let snapshot = try database.reader.readNow { db -> (Export, [(path: String, mediaID: Int64)])? in
            let conversations = try Conversation.filter(Column("customerID") == customerID).order(Column("id")).fetchAll(db)
            guard !conversations.isEmpty else { return nil }
            var export = Export(customerID: customerID, exportedAt: now, conversations: [])
            var files: [(String, Int64)] = []
            for conversation in conversations {
                let id = conversation.id!
                let messages = try ConversationMessage.filter(Column("conversationId") == id).order(Column("id")).fetchAll(db)
                let answers = try AnswerRecord.filter(Column("conversationId") == id).order(Column("id")).fetchAll(db)
                let media = try CustomerMedia.filter(Column("conversationId") == id).order(Column("id")).fetchAll(db)
                var item = Export.Conversation(
                    businessNumber: conversation.phoneNumberID,
                    channel: conversation.channel.rawValue,
                    customerName: conversation.customerName,
                    contact: conversation.customerContact,
                    startedAt: conversation.createdAt,
                    status: conversation.status.rawValue,
                    messages: messages.map {
                        .init(direction: $0.direction, author: $0.author, kind: $0.kind, text: $0.text, at: $0.createdAt, status: $0.status)
                    },
                    answers: answers.map {
                        .init(question: $0.question, answer: $0.text, outcome: $0.outcome.rawValue, at: $0.createdAt, feedback: $0.feedback)
                    },
                    files: []
                )
                for file in media {
                    let kept = file.isKept && FileManager.default.fileExists(atPath: mediaStore.url(forMediaID: file.id!).path)
                    let path = kept ? "media/\(file.id!)\(Self.fileExtension(file.mimeType))" : nil
                    if let path { files.append((path, file.id!)) }
                    item.files.append(
                        .init(
                            kind: file.kind.rawValue,
                            filename: file.filename,
                            mimeType: file.mimeType,
                            receivedAt: file.createdAt,
                            textRead: file.text,
                            file: path
                        )
                    )
                }
                export.conversations.append(item)
            }
            return (export, files)
        }
        guard let (export, files) = snapshot else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let json = try encoder.encode(export)
        try? FileManager.default.removeItem(at: url)
        let zip = try Archive(url: url, accessMode: .create)
        try zip.addEntry(with: "customer.json", type: .file, uncompressedSize: Int64(json.count), compressionMethod: .deflate) { position, size in
            json.subdata(in: Int(position)..<Int(position) + size)
        }
        for file in files {
            // A file removed meanwhile (its retention ended) is left out; the JSON still says what was read from it.
            try? zip.addEntry(with: file.path, fileURL: mediaStore.url(forMediaID: file.mediaID), compressionMethod: .none)
        }
        return url
    }

    /// `customer.json`.
    struct Export: Codable {
        struct Message: Codable {
            var direction: String
            var author: String
            var kind: String
            var text: String
            var at: Date
            var status: String?
        }
        struct Answer: Codable {
            var question: String
            var answer: String
            var outcome: String
            var at: Date
            var feedback: String?
        }
        struct File: Codable {
            var kind: String
            var filename: String?
            var mimeType: String?
            var receivedAt: Date
            var textRead: String?
            var file: String?
        }
        struct Conversation: Codable {
            var businessNumber: String
            var channel: String
            var customerName: String?
            /// What they left in the widget's form for a person to answer later.
            var contact: CustomerContact?
            var startedAt: Date
            var status: String
            var messages: [Message]
            var answers: [Answer]
            var files: [File]
        }
        var customerID: String
        var exportedAt: Date
        var conversations: [Conversation]
    }

    static func fileExtension(_ mimeType: String?) -> String {
        switch mimeType?.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) {
        case "image/jpeg": ".jpg"
        case "image/png": ".png"
        case "image/webp": ".webp"
        case "application/pdf": ".pdf"
        case "audio/ogg": ".ogg"
        case "text/plain": ".txt"
        case "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"
        default: ""
        }
    }

    // MARK: Erasure

    /// Erases everything held about the customer: their conversations with every message, answer, turn, send and file
    /// (and the text read from them), the raw deliveries that named them, and their number in the audit log (replaced by
    /// `[apagado]`). What stays is anonymous: the dashboard's counts (when each message and answer was, and of what
    /// kind), the resolution records and the credit ledger, none of which names them. Deleted content is overwritten
    /// (`secure_delete`) and the write-ahead log emptied, so neither the database file nor a backup taken afterwards
    /// holds it. `nil` when nothing was held.
    ///
    /// The audit log records the erasure (`customer.erase` by `actor` from `address`) in the same transaction, without
    /// the number: only what was removed.
    public func erase(_ customerID: String, actor: String, address: String = "", now: Date) async throws -> Erasure? {
        guard !customerID.isEmpty else { return nil }
        let result = try await database.writer.barrierWriteWithoutTransaction { db -> (Erasure, [Int64])? in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            var erased: (Erasure, [Int64])?
            try db.inTransaction {
                erased = try Self.erase(customerID, in: db)
                guard let (erasure, _) = erased else { return .rollback }
                try AppDatabase.insertAuditEntry(
                    action: "customer.erase",
                    target: nil,
                    detail: erasure.summary,
                    actor: actor,
                    address: address,
                    at: now,
                    in: db
                )
                return .commit
            }
            // Empty the write-ahead log: the pages that held the erased content must not linger there either.
            try db.checkpoint(.truncate)
            return erased
        }
        guard let (erasure, mediaIDs) = result else { return nil }
        for id in mediaIDs { mediaStore.remove(mediaID: id) }
        return erasure
    }

    /// The erasure's database part; returns what it removed and the files to delete, or `nil` when nothing is held.
    static func erase(_ customerID: String, in db: Database) throws -> (Erasure, [Int64])? {
        let ids = try Int64.fetchAll(db, sql: "SELECT id FROM conversation WHERE customerID = ?", arguments: [customerID])
        guard !ids.isEmpty else { return nil }
        var erasure = Erasure(conversations: ids.count)
        let list = ids.map(String.init).joined(separator: ",")  // integers from the database: safe to inline
        let mediaIDs = try Int64.fetchAll(db, sql: "SELECT id FROM customerMedia WHERE conversationId IN (\(list))")
        erasure.files = mediaIDs.count
        erasure.messages = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE conversationId IN (\(list))") ?? 0
        erasure.answers = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM answer WHERE conversationId IN (\(list))") ?? 0
        // The dashboard keeps counting them, anonymously.
        try db.execute(
            sql: "INSERT INTO anonymousActivity (createdAt, kind) SELECT createdAt, direction FROM message WHERE conversationId IN (\(list))"
        )
        try db.execute(sql: "INSERT INTO anonymousActivity (createdAt, kind) SELECT createdAt, outcome FROM answer WHERE conversationId IN (\(list))")
        try db.execute(sql: "DELETE FROM conversation WHERE id IN (\(list))")  // messages, answers, turns, sends, files: cascade
        // Raw deliveries carry the number and the texts (messages and statuses alike).
        try db.execute(sql: "DELETE FROM webhookInbox WHERE instr(body, ?) > 0", arguments: [Data(customerID.utf8)])
        erasure.deliveries = db.changesCount
        erasure.auditEntries = try AppDatabase.redactAuditEntries(containing: customerID, replacement: "[apagado]", in: db)
        return (erasure, mediaIDs)
    }

    // MARK: Retention

    /// Erases the customers whose conversations have all been silent for `retention` (their last message before
    /// `now - retention`); returns how many customers.
    public func applyRetention(_ retention: TimeInterval, now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-retention)
        let customers = try database.reader.readNow { db in
            try String.fetchAll(
                db,
                sql: "SELECT customerID FROM conversation GROUP BY customerID HAVING MAX(updatedAt) < ?",
                arguments: [cutoff]
            )
        }
        var erased = 0
        for customer in customers where try await erase(customer, actor: "retention", now: now) != nil { erased += 1 }
        return erased
    }

    /// When the next customer's retention ends (their last activity plus `retention`); `nil` when none is held.
    public func nextRetentionDue(_ retention: TimeInterval) throws -> Date? {
        try database.reader.readNow { db in
            try Date.fetchOne(db, sql: "SELECT MIN(last) FROM (SELECT MAX(updatedAt) AS last FROM conversation GROUP BY customerID)")
        }.map { $0.addingTimeInterval(retention) }
    }
}

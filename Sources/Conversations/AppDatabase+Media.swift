public import Foundation
import GRDB
public import Storage

/// What reading a customer's file gave.
public struct MediaText: Sendable, Hashable {
    /// The text found (empty for a photo without text).
    public var text: String
    /// `ocr`, `document` or `transcript`.
    public var source: String
    /// OCR's mean confidence (0–1), for images.
    public var confidence: Double?
    /// A document's pages.
    public var pageCount: Int?

    /// What was read.
    public init(text: String, source: String, confidence: Double? = nil, pageCount: Int? = nil) {
        self.text = text
        self.source = source
        self.confidence = confidence
        self.pageCount = pageCount
    }
}

/// How one attempt at a customer's file ended.
public enum MediaAttemptOutcome: Sendable, Hashable {
    /// Fetched, kept and read.
    case read(MediaText, mimeType: String, byteCount: Int, sha256: String)
    /// Not usable: the customer is told why; nothing is kept.
    case failed(CustomerMedia.Failure, detail: String)
    /// The fetch failed in a way the channel's policy retries, at `retryAt`.
    case retry(detail: String, retryAt: Date)
}

extension AppDatabase {
    /// The longest text kept of one file (a 300-page PDF's text would otherwise sit in every turn's read).
    public static let customerMediaTextLimit = 200_000

    /// Records a media message's file for fetching (inside the inbox's transaction).
    func recordMedia(_ media: InboundMedia, conversationID: Int64, messageID: Int64, turnID: Int64?, db: Database, now: Date) throws {
        var record = CustomerMedia(
            conversationId: conversationID,
            messageId: messageID,
            turnId: turnID,
            kind: media.kind,
            channelMediaID: media.channelMediaID,
            declaredMimeType: media.mimeType,
            filename: media.filename,
            state: .pending,
            attempts: 0,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now
        )
        try record.insert(db)
    }

    /// Claims the file whose next attempt is due first: it becomes `fetching`, its attempt counted before any work.
    public func claimDueMedia(now: Date = Date()) async throws -> CustomerMedia? {
        try await writer.write { db in
            guard
                var media = try CustomerMedia.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT * FROM customerMedia
                            WHERE state = 'pending' AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT 1
                            """
                    ),
                    arguments: [now]
                )
            else { return nil }
            media.state = .fetching
            media.attempts += 1
            media.updatedAt = now
            try media.update(db)
            return media
        }
    }

    /// When the next file's attempt is due (a read: an idle worker sleeps until then).
    public func nextMediaDue() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db.cachedStatement(
                    sql: "SELECT nextAttemptAt FROM customerMedia WHERE state = 'pending' ORDER BY nextAttemptAt LIMIT 1"
                )
            )
        }
    }

    /// Records how an attempt ended, and wakes the turn waiting for the file when it is settled.
    public func finishMedia(id: Int64, _ outcome: MediaAttemptOutcome, now: Date = Date()) async throws {
        try await writer.write { db in
            guard var media = try CustomerMedia.fetchOne(db, key: id) else { return }
            switch outcome {
            case .read(let reading, let mimeType, let byteCount, let sha256):
                media.state = .read
                media.mimeType = mimeType
                media.byteCount = byteCount
                media.sha256 = sha256
                media.text = String(reading.text.prefix(Self.customerMediaTextLimit)).replacingNULCharacters
                media.textSource = reading.source
                media.confidence = reading.confidence
                media.pageCount = reading.pageCount
                media.failure = nil
                media.failureDetail = nil
            case .failed(let failure, let detail):
                media.state = .failed
                media.failure = failure
                media.failureDetail = String(detail.prefix(1000)).replacingNULCharacters
                media.byteCount = nil
            case .retry(let detail, let retryAt):
                media.state = .pending
                media.nextAttemptAt = retryAt
                media.failureDetail = String(detail.prefix(1000)).replacingNULCharacters
            }
            media.updatedAt = now
            try media.update(db)
            // The message changes with its file: a live thread shows what became of it.
            try db.cachedStatement(sql: "UPDATE message SET updatedAt = ? WHERE id = ?").execute(arguments: [now, media.messageId])
            if media.state != .pending, let turnID = media.turnId {
                // The turn waited for this file: touching it rings the turn workers' bell.
                try db.cachedStatement(sql: "UPDATE turn SET updatedAt = ? WHERE id = ?").execute(arguments: [now, turnID])
            }
        }
    }

    /// After a restart, files that were being fetched are fetched again, unless their attempts ran out: a file whose
    /// reading took the whole process down must not do it on every start. Returns how many were requeued and failed.
    @discardableResult
    public func recoverInterruptedMedia(maximumAttempts: Int, now: Date = Date()) async throws -> (requeued: Int, failed: Int) {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE customerMedia SET state = 'failed', failure = 'unreadable', byteCount = NULL, updatedAt = ?,
                    failureDetail = 'interrupted ' || attempts || ' times while it was being fetched or read'
                    WHERE state = 'fetching' AND attempts >= ?
                    """,
                arguments: [now, maximumAttempts]
            )
            let failed = db.changesCount
            if failed > 0 {
                try db.execute(
                    sql: """
                        UPDATE turn SET updatedAt = ? WHERE id IN
                        (SELECT turnId FROM customerMedia WHERE state = 'failed' AND updatedAt = ? AND turnId IS NOT NULL)
                        """,
                    arguments: [now, now]
                )
            }
            try db.execute(
                sql: "UPDATE customerMedia SET state = 'pending', nextAttemptAt = ?, updatedAt = ? WHERE state = 'fetching'",
                arguments: [now, now]
            )
            return (db.changesCount, failed)
        }
    }

    /// Files kept since before `cutoff`, oldest first: their retention period is over.
    public func mediaKept(before cutoff: Date, limit: Int = 100) throws -> [Int64] {
        try reader.read { db in
            try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM customerMedia
                        WHERE byteCount IS NOT NULL AND removedAt IS NULL AND createdAt < ? ORDER BY createdAt LIMIT ?
                        """
                ),
                arguments: [cutoff, limit]
            )
        }
    }

    /// When the oldest kept file was received (its retention ends first), if any is kept.
    public func oldestKeptMedia() throws -> Date? {
        try reader.read { db in
            try Date.fetchOne(
                db.cachedStatement(
                    sql: "SELECT createdAt FROM customerMedia WHERE byteCount IS NOT NULL AND removedAt IS NULL ORDER BY createdAt LIMIT 1"
                )
            )
        }
    }

    /// Records that these files were removed from disk (what was read from them stays with the conversation).
    public func markMediaRemoved(_ ids: [Int64], now: Date = Date()) async throws {
        guard !ids.isEmpty else { return }
        try await writer.write { db in
            for id in ids {
                try db.cachedStatement(sql: "UPDATE customerMedia SET removedAt = ?, updatedAt = ? WHERE id = ?").execute(arguments: [now, now, id])
            }
        }
    }

    /// A customer's file by id, for the admin page.
    public func customerMedia(id: Int64) throws -> CustomerMedia? {
        try reader.read { db in try CustomerMedia.fetchOne(db, key: id) }
    }

    /// The files these messages carried, by message id (for the thread on the admin page).
    public func customerMedia(forMessages ids: [Int64]) throws -> [Int64: CustomerMedia] {
        try reader.read { db in try customerMedia(forMessages: ids, db: db) }
    }

    /// The files of a conversation's messages, by message id.
    func customerMedia(forMessages ids: [Int64], db: Database) throws -> [Int64: CustomerMedia] {
        guard !ids.isEmpty else { return [:] }
        let media = try CustomerMedia.filter(ids.contains(Column("messageId"))).fetchAll(db)
        return Dictionary(media.map { ($0.messageId, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

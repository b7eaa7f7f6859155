public import Foundation
public import GRDB

/// A file a customer sent (a photo, a sticker, a document): fetched from the channel, kept for the retention period,
/// read in the isolated reader, and its text given to the turn it belongs to. The turn waits while it is `pending` or
/// `fetching`.
public struct CustomerMedia: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// What the file is to the assistant.
    public enum Kind: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// A photo: read by OCR (and shown to the model when it can see).
        case image
        /// A sticker: an image like a photo.
        case sticker
        /// A document (PDF, DOCX, TXT or an image sent as a file): read by the document extractors.
        case document
        /// A voice note or another recording (Ogg Opus): transcribed, and its words are the customer's message.
        case audio
    }

    /// Where it is.
    public enum State: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Waiting to be fetched (first, or again after a failed download).
        case pending
        /// Being fetched and read.
        case fetching
        /// Read: ``text`` holds what was understood (possibly nothing, for a photo without text).
        case read
        /// Could not be used: ``failure`` says why; nothing is kept.
        case failed
    }

    /// Why a file could not be used: each is told to the customer in words.
    public enum Failure: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Larger than the limit.
        case tooLarge = "too_large"
        /// A type the assistant does not read.
        case unsupportedType = "unsupported_type"
        /// Damaged, protected by a password, or not what it claims to be.
        case unreadable
        /// The channel would not give it (after the retries the policy allows).
        case unavailable
        /// The file could not be written here (a full disk).
        case notStored = "not_stored"
        /// A recording longer than the limit.
        case tooLong = "too_long"
    }

    /// Row id.
    public var id: Int64?
    /// The conversation.
    public var conversationId: Int64
    /// The customer's message that carried it.
    public var messageId: Int64
    /// The turn waiting for it.
    public var turnId: Int64?
    /// What it is.
    public var kind: Kind
    /// The channel's id for it (WhatsApp's media id, valid for a few days).
    public var channelMediaID: String
    /// The media type the webhook gave.
    public var declaredMimeType: String?
    /// A document's file name, as the customer's phone gave it.
    public var filename: String?
    /// Where it is.
    public var state: State
    /// Fetch attempts begun (counted before each one, so a crash counts).
    public var attempts: Int
    /// When the next attempt may begin.
    public var nextAttemptAt: Date
    /// Why it failed.
    public var failure: Failure?
    /// The technical reason, for the owner.
    public var failureDetail: String?
    /// The media type of the file fetched.
    public var mimeType: String?
    /// Its size, while it is kept (`nil` when it never was).
    public var byteCount: Int?
    /// Its SHA-256.
    public var sha256: String?
    /// What was read from it.
    public var text: String?
    /// `ocr`, `document` or `transcript`.
    public var textSource: String?
    /// OCR's mean confidence (0–1), for images.
    public var confidence: Double?
    /// A document's pages.
    public var pageCount: Int?
    /// Received.
    public var createdAt: Date
    /// Last change.
    public var updatedAt: Date
    /// When the kept file was removed (the retention period passed).
    public var removedAt: Date?

    public static let databaseTableName = "customerMedia"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Whether the file is still kept on disk.
    public var isKept: Bool { byteCount != nil && removedAt == nil }

    /// Whether it is a picture (a photo or a sticker).
    public var isPicture: Bool { kind == .image || kind == .sticker }
}

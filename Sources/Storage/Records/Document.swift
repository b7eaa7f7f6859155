public import Foundation
public import GRDB

/// Where a document is on its way to being searchable.
///
/// `queued → extracting → chunking → embedding → indexed`, or one of the end states `failed`, `needsOCR`, `unreadable`
/// with a human-readable reason.
public enum DocumentStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case queued
    case extracting
    case chunking
    case embedding
    case indexed
    case failed
    case needsOCR = "needs_ocr"
    case unreadable

    /// Whether the document has reached a state it will not leave without a new job.
    public var isFinal: Bool {
        switch self {
        case .indexed, .failed, .needsOCR, .unreadable: return true
        case .queued, .extracting, .chunking, .embedding: return false
        }
    }
}

/// An uploaded document: its original (by SHA-256), its processing state and what came out of it.
public struct Document: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id; `nil` until inserted.
    public var id: Int64?
    /// The name the file was uploaded with (display only; the type is sniffed from content).
    public var filename: String
    /// Lower-case hex SHA-256 of the original bytes; unique.
    public var sha256: String
    /// Size of the original in bytes.
    public var bytes: Int64
    /// `pdf`, `docx`, `text` or `image` once sniffed.
    public var format: String?
    /// Processing state.
    public var status: DocumentStatus
    /// Why the document did not reach `indexed`, in plain words.
    public var reason: String?
    /// Number of pages, for paginated formats.
    public var pages: Int?
    /// Number of chunks indexed.
    public var chunks: Int
    /// The password of an encrypted PDF, sealed with the data directory's key (never stored in clear).
    public var sealedPassword: Data?
    /// The pages whose text was read by OCR, with the engine's confidence in each (`nil`: none was).
    public var ocrPages: [ScannedPage]?
    /// While a long scan is being read: the pages read so far…
    public var progressDone: Int?
    /// …of this many.
    public var progressTotal: Int?
    /// When the document was first uploaded.
    public var createdAt: Date
    /// When its state last changed.
    public var updatedAt: Date

    /// A page read by OCR.
    public struct ScannedPage: Codable, Sendable, Hashable {
        /// The 1-based page.
        public var page: Int
        /// The OCR engine's mean word confidence, 0–1.
        public var confidence: Double

        /// A page read by OCR.
        public init(page: Int, confidence: Double) {
            self.page = page
            self.confidence = confidence
        }
    }

    /// Below this confidence an OCR page is flagged for the owner to check.
    public static let lowOCRConfidence = 0.6

    /// The mean confidence of the pages read by OCR; `nil` when none was.
    public var ocrConfidence: Double? {
        guard let ocrPages, !ocrPages.isEmpty else { return nil }
        return ocrPages.reduce(0) { $0 + $1.confidence } / Double(ocrPages.count)
    }

    /// The pages OCR read with low confidence, in order.
    public var lowConfidencePages: [Int] {
        (ocrPages ?? []).filter { $0.confidence < Self.lowOCRConfidence }.map(\.page)
    }

    /// Creates a queued document.
    public init(filename: String, sha256: String, bytes: Int64, format: String?, sealedPassword: Data? = nil, now: Date) {
        self.filename = filename
        self.sha256 = sha256
        self.bytes = bytes
        self.format = format
        self.status = .queued
        self.chunks = 0
        self.sealedPassword = sealedPassword
        self.createdAt = now
        self.updatedAt = now
    }

    public static let databaseTableName = "document"

    /// Columns, for type-safe requests.
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let sha256 = Column(CodingKeys.sha256)
        public static let status = Column(CodingKeys.status)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

public import GRDB

/// A searchable piece of a document: a few paragraphs of one section, with where it came from.
public struct Chunk: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id; `nil` until inserted.
    public var id: Int64?
    /// The document it belongs to.
    public var documentId: Int64
    /// Position in the document, from 0.
    public var ordinal: Int
    /// The text that is searched and quoted.
    public var text: String
    /// The heading path, outermost first, joined by " › " (empty when the document has no headings).
    public var section: String
    /// First page the chunk covers (paginated formats only).
    public var pageStart: Int?
    /// Last page the chunk covers.
    public var pageEnd: Int?
    /// Approximate number of tokens in ``text``.
    public var tokenCount: Int

    /// Creates a chunk.
    public init(
        documentId: Int64,
        ordinal: Int,
        text: String,
        section: String,
        pageStart: Int?,
        pageEnd: Int?,
        tokenCount: Int
    ) {
        self.documentId = documentId
        self.ordinal = ordinal
        self.text = text
        self.section = section
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.tokenCount = tokenCount
    }

    public static let databaseTableName = "chunk"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

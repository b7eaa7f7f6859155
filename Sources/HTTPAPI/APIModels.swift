import Foundation
import Hummingbird
import Retrieval
import Storage

/// A document as the API shows it.
struct APIDocument: ResponseEncodable, Sendable {
    var id: Int64
    var filename: String
    var sha256: String
    var bytes: Int64
    var status: String
    var reason: String?
    var pages: Int?
    var chunks: Int
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, filename, sha256, bytes, status, reason, pages, chunks
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ document: Document) {
        id = document.id ?? 0
        filename = document.filename
        sha256 = document.sha256
        bytes = document.bytes
        status = document.status.rawValue
        reason = document.reason
        pages = document.pages
        chunks = document.chunks
        createdAt = Self.timestamp(document.createdAt)
        updatedAt = Self.timestamp(document.updatedAt)
    }

    /// Encodes `reason` and `pages` as `null` when absent, so every document has the same keys.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(filename, forKey: .filename)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(status, forKey: .status)
        try container.encode(reason, forKey: .reason)
        try container.encode(pages, forKey: .pages)
        try container.encode(chunks, forKey: .chunks)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(
                separator: .omitted
            )
        )
    }
}

/// `{"documents": […]}`.
struct APIDocumentList: ResponseEncodable, Sendable {
    var documents: [APIDocument]
}

/// One search hit as the API shows it.
struct APISearchResult: Codable, Sendable {
    var documentID: Int64
    var filename: String
    var page: Int?
    var section: String
    var text: String
    var score: Double

    enum CodingKeys: String, CodingKey {
        case documentID = "document_id"
        case filename, page, section, text, score
    }

    init(_ result: SearchResult) {
        documentID = result.documentID
        filename = result.filename
        page = result.page
        section = result.section
        text = result.text
        score = result.score
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(documentID, forKey: .documentID)
        try container.encode(filename, forKey: .filename)
        try container.encode(page, forKey: .page)
        try container.encode(section, forKey: .section)
        try container.encode(text, forKey: .text)
        try container.encode(score, forKey: .score)
    }
}

/// `{"results": […]}`.
struct APISearchResponse: ResponseEncodable, Sendable {
    var results: [APISearchResult]
}

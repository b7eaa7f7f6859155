public import Retrieval

/// A passage chosen to answer a question, with its source for the citation.
public struct Passage: Sendable, Hashable, Codable {
    /// The chunk.
    public var chunkID: Int64
    /// The document.
    public var documentID: Int64
    /// The document's file name.
    public var filename: String
    /// First page, when the document has pages.
    public var page: Int?
    /// Section path.
    public var section: String
    /// The text.
    public var text: String
    /// Retrieval score (comparable within one question only).
    public var score: Double

    /// Makes a passage of a search result.
    public init(_ result: SearchResult) {
        chunkID = result.chunkID
        documentID = result.documentID
        filename = result.filename
        page = result.page
        section = result.section
        text = result.text
        score = result.score
    }

    /// "regulamento.pdf, p. 3 — Trocas".
    public func citation(pageWord: String = "p.") -> String {
        var source = filename
        if let page { source += ", \(pageWord) \(page)" }
        if !section.isEmpty { source += " — \(section)" }
        return source
    }
}

/// What retrieval found for a question.
public struct RetrievedPassages: Sendable, Hashable {
    /// Best first.
    public var passages: [Passage]
    /// Whether the best passages are about the question at all; when not, the assistant says it does not know.
    public var isRelevant: Bool

    /// Creates a result.
    public init(passages: [Passage], isRelevant: Bool) {
        self.passages = passages
        self.isRelevant = isRelevant
    }
}

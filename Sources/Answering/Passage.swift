public import Retrieval

/// A passage chosen to answer a question: a search result, with its source for the citation.
public typealias Passage = SearchResult

extension SearchResult {
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

import Foundation
public import Extraction
public import Storage

/// Splits a document into chunks that follow its sections and paragraphs.
///
/// A chunk never spans two sections: a heading closes the chunk before it. Within a section paragraphs are packed up to
/// ``maxTokens``; the next chunk starts with the last sentences of the previous one (about ``overlapTokens``) so that
/// an answer straddling the boundary is found in one piece. A paragraph longer than the budget is cut at sentence ends
/// (or, failing those, at word boundaries). Every chunk keeps its section path and page range for citations.
public struct Chunker: Sendable {
    /// Upper bound of a chunk, in estimated model tokens.
    public var maxTokens: Int
    /// Tokens repeated from the end of one chunk at the start of the next.
    public var overlapTokens: Int

    /// Creates a chunker; the defaults keep chunks well inside a 512-token embedding window.
    public init(maxTokens: Int = 300, overlapTokens: Int = 40) {
        precondition(maxTokens > 0 && overlapTokens >= 0 && overlapTokens < maxTokens)
        self.maxTokens = maxTokens
        self.overlapTokens = overlapTokens
    }

    /// A rough count of SentencePiece tokens: multilingual models spend about one token per short word, more on long
    /// or rare words, and one per punctuation mark.
    public static func estimateTokens(_ text: String) -> Int {
        var tokens = 0
        var wordLength = 0
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                wordLength += 1
            } else {
                if wordLength > 0 { tokens += 1 + wordLength / 6 }
                wordLength = 0
                if !scalar.properties.isWhitespace { tokens += 1 }
            }
        }
        if wordLength > 0 { tokens += 1 + wordLength / 6 }
        return tokens
    }

    /// The chunks of `document`, in reading order.
    public func chunks(of document: ExtractedDocument) -> [NewChunk] {
        var builder = Builder(chunker: self)
        var headings: [(level: Int, text: String)] = []
        for block in document.blocks {
            let text = block.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            switch block.kind {
            case .heading(let level):
                builder.flush(carryOverlap: false)
                headings.removeAll { $0.level >= level }
                headings.append((level, text))
                builder.section = headings.map(\.text).joined(separator: " › ")
            case .paragraph, .listItem, .tableRow:
                builder.add(text, page: block.page)
            }
        }
        builder.flush(carryOverlap: false)
        return builder.chunks
    }

    /// Accumulates pieces of one section into chunks.
    private struct Builder {
        let chunker: Chunker
        var section = ""
        var pieces: [(text: String, tokens: Int, page: Int?)] = []
        var tokens = 0
        var chunks: [NewChunk] = []
        /// Whether the pieces hold anything beyond the overlap carried from the previous chunk.
        var hasFreshText = false

        init(chunker: Chunker) {
            self.chunker = chunker
        }

        mutating func add(_ text: String, page: Int?) {
            let count = Chunker.estimateTokens(text)
            if count > chunker.maxTokens {
                for part in Chunker.split(text, maxTokens: chunker.maxTokens) { add(part, page: page) }
                return
            }
            if tokens + count > chunker.maxTokens && hasFreshText { flush(carryOverlap: true) }
            pieces.append((text, count, page))
            tokens += count
            hasFreshText = true
        }

        mutating func flush(carryOverlap: Bool) {
            defer { hasFreshText = false }
            guard hasFreshText else {
                pieces.removeAll()
                tokens = 0
                return
            }
            let pages = pieces.compactMap(\.page)
            let text = pieces.map(\.text).joined(separator: "\n")
            chunks.append(
                NewChunk(
                    text: text, section: section, pageStart: pages.min(), pageEnd: pages.max(),
                    tokenCount: Chunker.estimateTokens(text)))
            guard carryOverlap, chunker.overlapTokens > 0, let last = pieces.last else {
                pieces.removeAll()
                tokens = 0
                return
            }
            let tail = Chunker.tail(of: last.text, maxTokens: chunker.overlapTokens)
            pieces = tail.isEmpty ? [] : [(tail, Chunker.estimateTokens(tail), last.page)]
            tokens = pieces.first?.tokens ?? 0
        }
    }

    /// Sentences of `text` (kept with their closing punctuation).
    static func sentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var previous: Character = " "
        for character in text {
            if character.isWhitespace, ".!?;:".contains(previous), !current.isEmpty {
                result.append(current)
                current = ""
                previous = character
                continue
            }
            if !(current.isEmpty && character.isWhitespace) { current.append(character) }
            previous = character
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Cuts an over-long paragraph into parts of at most `maxTokens`, at sentence ends where possible.
    static func split(_ text: String, maxTokens: Int) -> [String] {
        var parts: [String] = []
        var current: [String] = []
        var currentTokens = 0
        func emit() {
            if !current.isEmpty { parts.append(current.joined(separator: " ")) }
            current = []
            currentTokens = 0
        }
        for sentence in sentences(text) {
            let count = estimateTokens(sentence)
            if count > maxTokens {
                emit()
                for word in sentence.split(separator: " ") {
                    let wordTokens = estimateTokens(String(word))
                    if currentTokens + wordTokens > maxTokens { emit() }
                    current.append(String(word))
                    currentTokens += wordTokens
                }
                emit()
                continue
            }
            if currentTokens + count > maxTokens { emit() }
            current.append(sentence)
            currentTokens += count
        }
        emit()
        return parts
    }

    /// The last whole sentences of `text` that fit in `maxTokens` (empty when even the last sentence is too long).
    static func tail(of text: String, maxTokens: Int) -> String {
        var kept: [String] = []
        var count = 0
        for sentence in sentences(text).reversed() {
            let tokens = estimateTokens(sentence)
            if count + tokens > maxTokens { break }
            kept.insert(sentence, at: 0)
            count += tokens
        }
        return kept.joined(separator: " ")
    }
}

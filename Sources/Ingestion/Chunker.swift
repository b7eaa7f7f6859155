public import Extraction
import Foundation
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
        var counter = TokenCounter()
        for scalar in text.unicodeScalars { counter.add(scalar) }
        return counter.tokens
    }

    /// The running count behind ``estimateTokens(_:)``, so a text can be measured as it grows.
    struct TokenCounter {
        /// Tokens of the finished words and the punctuation so far.
        private var closed = 0
        /// Letters and digits of the word still open at the end.
        private var wordLength = 0

        /// The estimate for everything added so far.
        var tokens: Int { closed + (wordLength > 0 ? 1 + wordLength / 6 : 0) }

        mutating func add(_ scalar: Unicode.Scalar) {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                wordLength += 1
            } else {
                if wordLength > 0 { closed += 1 + wordLength / 6 }
                wordLength = 0
                if !scalar.properties.isWhitespace { closed += 1 }
            }
        }

        mutating func add(_ character: Character) {
            for scalar in character.unicodeScalars { add(scalar) }
        }
    }

    /// The chunks of `document`, in reading order.
    public func chunks(of document: ExtractedDocument) -> [NewChunk] {
        var builder = Builder(chunker: self)
        var headings: [(level: Int, text: String)] = []
        for block in document.blocks {
            let text = block.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            switch block.kind {
            case .heading where Chunker.estimateTokens(text) > maxTokens / 3:
                // A "heading" this long is running text with a heading style: as a section path it would be repeated
                // in every chunk of the section (and embedded with each), so it is kept as a paragraph.
                builder.add(text, page: block.page)
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
            guard count > chunker.maxTokens else { return append(text, tokens: count, page: page) }
            // `split` returns parts within the budget (a run with no break is cut hard), so this does not recurse.
            for part in Chunker.split(text, maxTokens: chunker.maxTokens) {
                append(part, tokens: Chunker.estimateTokens(part), page: page)
            }
        }

        private mutating func append(_ text: String, tokens count: Int, page: Int?) {
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
                    text: text,
                    section: section,
                    pageStart: pages.min(),
                    pageEnd: pages.max(),
                    tokenCount: Chunker.estimateTokens(text)
                )
            )
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

    /// Cuts an over-long paragraph into parts of at most `maxTokens`, at sentence ends where possible, else at word
    /// boundaries; a run with no break at all (a long URL, a base64 blob) is cut hard, so every part is within budget.
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
                for word in sentence.split(whereSeparator: \.isWhitespace) {
                    let wordTokens = estimateTokens(String(word))
                    if wordTokens > maxTokens {
                        emit()
                        parts.append(contentsOf: hardCut(word, maxTokens: maxTokens))
                        continue
                    }
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

    /// Cuts a run with no white space into pieces of at most `maxTokens` estimated tokens, at character boundaries, in
    /// one pass.
    static func hardCut(_ run: Substring, maxTokens: Int) -> [String] {
        var pieces: [String] = []
        var piece = ""
        var counter = TokenCounter()
        for character in run {
            var extended = counter
            extended.add(character)
            if extended.tokens > maxTokens && !piece.isEmpty {
                pieces.append(piece)
                piece = ""
                counter = TokenCounter()
                counter.add(character)
            } else {
                counter = extended
            }
            piece.append(character)
        }
        if !piece.isEmpty { pieces.append(piece) }
        return pieces
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

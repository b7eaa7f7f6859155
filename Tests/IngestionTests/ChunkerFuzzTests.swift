import Extraction
import Storage
import Testing

@testable import Ingestion

/// Hostile and random text through the chunker: it always ends, every chunk is within budget, and no text is lost.
@Suite("Chunker under hostile text")
struct ChunkerFuzzTests {
    /// The text of `chunks` without white space, for comparing with what went in: the chunker re-spaces text, and an
    /// invisible format character (zero-width space or joiner) that clings to white space may go with it.
    private static func letters(_ texts: [String]) -> [Unicode.Scalar] {
        texts.joined().unicodeScalars.filter { !$0.properties.isWhitespace && !$0.properties.isDefaultIgnorableCodePoint }
    }

    /// Where two scalar sequences first differ, shortly (`nil` when equal).
    private static func difference(_ got: [Unicode.Scalar], _ expected: [Unicode.Scalar]) -> String? {
        guard got != expected else { return nil }
        let index = zip(got, expected).prefix { $0 == $1 }.count
        func around(_ scalars: [Unicode.Scalar]) -> String {
            scalars[max(0, index - 5)..<min(scalars.count, index + 5)].map { String(format: "U+%04X", $0.value) }.joined(separator: " ")
        }
        return "lengths \(got.count) vs \(expected.count), first difference at \(index): [\(around(got))] vs [\(around(expected))]"
    }

    @Test("a run longer than the budget (a long URL) is cut hard instead of recursing forever")
    func longURL() {
        // The file that took the daemon down: `Veja https://loja.example/aaaa…(4,000)… para detalhes.`
        let text = "Veja https://loja.example/" + String(repeating: "a", count: 4_000) + " para detalhes."
        let chunker = Chunker(maxTokens: 300, overlapTokens: 0)
        let chunks = chunker.chunks(of: ExtractedDocument(format: .text, pageCount: nil, blocks: [TextBlock(kind: .paragraph, text: text)]))
        #expect(chunks.count >= 3)
        #expect(chunks.allSatisfy { $0.tokenCount <= 300 })
        #expect(Self.difference(Self.letters(chunks.map(\.text)), Self.letters([text])) == nil)
    }

    @Test("a base64 blob of a megabyte, one line, is cut in one pass")
    func base64Blob() {
        var generator = SeededGenerator(seed: 7)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let blob = String((0..<1_000_000).map { _ in alphabet[Int(generator.next() % 64)] })
        let chunks = Chunker(maxTokens: 300, overlapTokens: 0).chunks(
            of: ExtractedDocument(format: .text, pageCount: nil, blocks: [TextBlock(kind: .paragraph, text: blob)])
        )
        #expect(chunks.allSatisfy { $0.tokenCount <= 300 })
        #expect(chunks.map(\.text).joined() == blob)
    }

    @Test("a heading of running-text length is kept as text, not repeated as every chunk's section")
    func hugeHeading() {
        let heading = String(repeating: "Título enorme ", count: 500)
        let chunks = Chunker().chunks(
            of: ExtractedDocument(
                format: .docx,
                pageCount: nil,
                blocks: [TextBlock(kind: .heading(level: 1), text: heading), TextBlock(kind: .paragraph, text: "Texto.")]
            )
        )
        #expect(chunks.allSatisfy { $0.section.isEmpty })
        #expect(chunks.last?.text.hasSuffix("Texto.") == true)
    }

    @Test("random text from every Unicode category: ends, stays within budget, loses nothing", arguments: 0..<40)
    func randomText(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let maxTokens = [8, 40, 300][Int(seed % 3)]
        let chunker = Chunker(maxTokens: maxTokens, overlapTokens: 0)
        let blocks = (0..<Int(generator.next() % 12 + 1)).map { _ -> TextBlock in
            let text = RandomText.make(length: Int(generator.next() % 6_000), using: &generator)
            let kind: TextBlock.Kind =
                switch generator.next() % 4 {
                case 0: .heading(level: Int(generator.next() % 4) + 1)
                case 1: .tableRow
                case 2: .listItem(level: 0)
                default: .paragraph
                }
            return TextBlock(kind: kind, text: text, page: Int(generator.next() % 3))
        }
        let chunks = chunker.chunks(of: ExtractedDocument(format: .text, pageCount: 3, blocks: blocks))
        for chunk in chunks where chunk.text.count > 1 {
            #expect(chunk.tokenCount <= maxTokens, "seed \(seed): a chunk of \(chunk.tokenCount) tokens")
        }
        // Headings short enough to be sections leave the text; everything else is in the chunks, in order.
        let bodies = blocks.filter { block in
            if case .heading = block.kind { return Chunker.estimateTokens(block.text) > maxTokens / 3 }
            return true
        }
        let lost = Self.difference(Self.letters(chunks.map(\.text)), Self.letters(bodies.map(\.text)))
        #expect(lost == nil, "seed \(seed): \(lost ?? "")")
    }
}

/// Text mixing the things that break text code: long runs, combining marks, emoji sequences, scripts written right to
/// left, control and format characters, lone punctuation, and white space of every kind.
enum RandomText {
    static let pieces: [String] = [
        "a", "ç", "ã", "Ü", "ß", "ﬁ", "1", "٣", "日本", "한국어", "עברית", "العربية", "ไทย", "😀", "👩‍👩‍👧‍👦", "🇧🇷", "e\u{301}",
        "a\u{300}\u{301}\u{302}\u{303}", "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{202E}", "\u{0007}", "\u{001B}[31m", "\u{7F}",
        ".", "!", "?", ";", ":", "…", "—", "-", "/", "|", " ", "  ", "\t", "\n", "\r\n", "\u{00A0}", "\u{2028}", "\u{3000}",
        "https://exemplo.com.br/", "R$ 1.234,56", "\u{FFFD}", "\u{E000}", "\u{10FFFF}",
    ]

    static func make(length: Int, using generator: inout SeededGenerator) -> String {
        var text = ""
        while text.unicodeScalars.count < length {
            let choice = generator.next() % 10
            if choice == 0 {
                // A long unbroken run.
                text += String(repeating: pieces[Int(generator.next() % 3)], count: Int(generator.next() % 3_000))
            } else {
                text += pieces[Int(generator.next() % UInt64(pieces.count))]
            }
        }
        return text
    }
}

/// A small deterministic generator (SplitMix64), so that a failing seed replays.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D4_9CEB_133B_11EB
        return z ^ (z >> 31)
    }
}

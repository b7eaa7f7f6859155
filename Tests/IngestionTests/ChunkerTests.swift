import Extraction
import Storage
import Testing

@testable import Ingestion

@Suite("Chunker")
struct ChunkerTests {
    @Test("chunks follow sections and keep the heading path and page range")
    func sections() {
        let document = ExtractedDocument(
            format: .pdf,
            pageCount: 3,
            blocks: [
                TextBlock(kind: .heading(level: 1), text: "Política de trocas", page: 1),
                TextBlock(kind: .paragraph, text: "Trocas em até 7 dias.", page: 1),
                TextBlock(kind: .heading(level: 2), text: "Prazos", page: 2),
                TextBlock(kind: .paragraph, text: "O prazo conta da entrega.", page: 2),
                TextBlock(kind: .paragraph, text: "Produtos usados não são trocados.", page: 3),
                TextBlock(kind: .heading(level: 1), text: "Pagamento", page: 3),
                TextBlock(kind: .tableRow, text: "Pix | à vista", page: 3),
            ]
        )
        let chunks = Chunker().chunks(of: document)
        #expect(chunks.map(\.section) == ["Política de trocas", "Política de trocas › Prazos", "Pagamento"])
        #expect(chunks[1].text == "O prazo conta da entrega.\nProdutos usados não são trocados.")
        #expect(chunks[1].pageStart == 2)
        #expect(chunks[1].pageEnd == 3)
        #expect(chunks[2].text == "Pix | à vista")
    }

    @Test("long sections are cut within the token budget, with overlap, losing no sentence")
    func budgetAndOverlap() {
        let sentences = (1...120).map { "A frase número \($0) explica uma regra do contrato." }
        let paragraphs = stride(from: 0, to: sentences.count, by: 4).map { sentences[$0..<min($0 + 4, sentences.count)].joined(separator: " ") }
        let document = ExtractedDocument(
            format: .text,
            pageCount: nil,
            blocks: paragraphs.map { TextBlock(kind: .paragraph, text: $0) }
        )
        let chunker = Chunker(maxTokens: 120, overlapTokens: 20)
        let chunks = chunker.chunks(of: document)
        #expect(chunks.count > 5)
        for chunk in chunks {
            #expect(chunk.tokenCount <= 120 + 20, "chunk of \(chunk.tokenCount) tokens")
        }
        let joined = chunks.map(\.text).joined(separator: " ")
        for sentence in sentences { #expect(joined.contains(sentence)) }
        // Each chunk after the first starts with the end of the previous one.
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let firstSentence = Chunker.sentences(next.text).first!
            #expect(previous.text.contains(firstSentence))
        }
    }

    @Test("a paragraph longer than the budget is split at sentence ends, then at words")
    func splitsLongParagraph() {
        let long = (1...200).map { "palavra\($0)" }.joined(separator: " ")
        let parts = Chunker.split("Primeira frase curta. " + long, maxTokens: 50)
        #expect(parts.first == "Primeira frase curta.")
        #expect(parts.dropFirst().allSatisfy { Chunker.estimateTokens($0) <= 50 })
        #expect(parts.joined(separator: " ") == "Primeira frase curta. " + long)
    }

    @Test("empty documents and headings without text give no chunks")
    func empty() {
        let document = ExtractedDocument(
            format: .docx,
            pageCount: nil,
            blocks: [TextBlock(kind: .heading(level: 1), text: "Só título"), TextBlock(kind: .paragraph, text: "  ")]
        )
        #expect(Chunker().chunks(of: document).isEmpty)
    }
}

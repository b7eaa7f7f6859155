import Foundation
import Retrieval
import Storage
import Testing

/// The same passage held by several documents (a store's policies as a PDF and as a DOCX, a paragraph inside a longer
/// chunk) is returned once, with all its sources, so neither the customer nor the model reads it twice.
@Suite("Duplicate passages")
struct DuplicatePassageTests {
    private typealias Store = PortugueseCorpus.Store

    /// The policies uploaded twice with different extraction (line breaks, case, punctuation), plus a page holding the
    /// returns paragraph inside longer text.
    private static func shop() async throws -> (RetrievalScratch, HNSWChunkIndex) {
        let scratch = try RetrievalScratch()
        let index = try scratch.openIndex()
        try await scratch.addDocument("politicas.pdf", agent: nil, passages: Store.policies, into: index)
        let reflowed = Store.policies.map { $0.replacingOccurrences(of: ", ", with: ",\n").replacingOccurrences(of: ":", with: " —") }
        try await scratch.addDocument("politicas.docx", agent: nil, passages: reflowed, into: index)
        try await scratch.addDocument(
            "faq.txt",
            agent: nil,
            passages: ["Perguntas frequentes da loja. " + Store.returns + " Dúvidas? Fale conosco pelo WhatsApp."],
            into: index
        )
        return (scratch, index)
    }

    @Test("hybrid and keyword-only search return the returns policy once, with its three sources")
    func collapsed() async throws {
        let (scratch, index) = try await Self.shop()
        for (service, isHybrid) in [(scratch.hybrid(index), true), (scratch.keywordOnly(), false)] {
            let results = try await service.search("como faço para devolver um produto?", limit: 5)
            let first = try #require(results.first)
            #expect(first.text.contains("devolver o produto em até 7 dias"))
            let sources = Set([first.filename] + first.alsoIn.map(\.filename))
            #expect(sources == ["politicas.pdf", "politicas.docx", "faq.txt"], "\(first.filename) + \(first.alsoIn)")
            let returnsResults = results.filter { $0.text.contains("7 dias corridos") }
            #expect(returnsResults.count == 1, "the returns paragraph is shown \(returnsResults.count) times")
            // No passage twice; with vectors, five distinct passages still fill the five places (keyword search finds
            // only the two that hold the question's words: returns and warranty, "produtos").
            #expect(Set(results.map { $0.text.prefix(20) }).count == results.count)
            #expect(results.count == (isHybrid ? 5 : 2))
        }
    }

    @Test("passages that only share a sentence, as neighbouring chunks share their overlap, stay apart")
    func overlapIsNotADuplicate() async throws {
        let scratch = try RetrievalScratch()
        let index = try scratch.openIndex()
        let shared = "O item deve estar na embalagem original, sem sinais de uso, com a nota fiscal."
        try await scratch.addDocument(
            "manual.txt",
            agent: nil,
            passages: [
                "Trocas: você pode trocar o produto por outro tamanho ou cor em até 30 dias, uma vez, sem custo. " + shared,
                shared + " Devoluções por arrependimento seguem o Código de Defesa do Consumidor: 7 dias com reembolso.",
            ],
            into: index
        )
        let results = try await scratch.hybrid(index).search("trocar ou devolver com nota fiscal", limit: 5)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.alsoIn.isEmpty })
    }
}

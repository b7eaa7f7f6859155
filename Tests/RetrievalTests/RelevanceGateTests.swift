import Foundation
import Retrieval
import Storage
import Testing

/// The relevance gate with the real embedder, on a shop's policies: the questions it answers, and the ones it refuses
/// although the policies hold some of their words.
@Suite("Relevance gate")
struct RelevanceGateTests {
    private typealias Store = PortugueseCorpus.Store

    /// The shop's policies indexed by the real embedder.
    private struct Shop {
        let scratch: RetrievalScratch
        let index: HNSWChunkIndex

        init() async throws {
            scratch = try RetrievalScratch()
            index = try scratch.openIndex()
            try await scratch.addDocument("politicas.txt", agent: nil, passages: Store.policies, into: index)
        }

        func hybrid(_ question: String) async throws -> Relevance {
            try await scratch.hybrid(index).retrieve(question, limit: 5, agentID: nil).relevance
        }

        func keywordOnly(_ question: String) async throws -> Relevance {
            try await scratch.keywordOnly().retrieve(question, limit: 5, agentID: nil).relevance
        }
    }

    @Test(
        "questions the policies answer are answered, typed as customers type them",
        arguments: [
            "Qual o prazo para devolver um produto?",
            "oi, boa tarde! vcs aceitam pix? 🙏",
            "a loja abre sábado?",
            // No word in common: the nearest passage is close enough on its own.
            "posso mandar de volta o que comprei?",
            "quanto tempo demora para chegar minha encomenda?",
        ]
    )
    func answered(question: String) async throws {
        let relevance = try await Shop().hybrid(question)
        #expect(relevance.isRelevant, "\(relevance)")
    }

    @Test(
        "questions about what the policies never mention are refused, even when they share words with them",
        arguments: [
            // "entrega" and "domingo" are in the policies, "pizza" and "calabresa" are not and weigh the most.
            "Vocês fazem entrega de pizza de calabresa no domingo?",
            "Quem ganhou a copa do mundo de 2002?",
            "Qual a previsão do tempo para amanhã em Curitiba?",
        ]
    )
    func refused(question: String) async throws {
        let shop = try await Shop()
        let relevance = try await shop.hybrid(question)
        #expect(!relevance.isRelevant, "\(relevance)")
    }

    @Test("counting only the words the documents know, the pizza question looked covered: the rarity weighting is what refuses it")
    func weightingMatters() async throws {
        let shop = try await Shop()
        let question = "Vocês fazem entrega de pizza de calabresa no domingo?"
        let hybrid = try await shop.hybrid(question)
        #expect(hybrid.keywordCoverage >= 0.5)
        #expect(hybrid.weightedCoverage < RelevanceGate().minimumWeightedCoverage)
        // Without vectors the daemon keeps the lexical rule, which answers it.
        #expect(try await shop.keywordOnly(question).isRelevant)
    }

    @Test("the decision on the signals")
    func decision() {
        let gate = RelevanceGate(minimumWeightedCoverage: 0.5, sufficientSimilarity: 0.9, minimumCoverage: 0.5)
        #expect(gate.decide(0, 0.5, 0.1), "enough rare words in one passage")
        #expect(!gate.decide(1, 0.49, 0.89), "every known word, but a word the documents never use weighs the most")
        #expect(gate.decide(0, 0, 0.9), "a paraphrase: no word in common, very close")
        #expect(gate.decide(0.5, 0, nil), "keyword search only: half of the known words")
        #expect(!gate.decide(0.49, 1, nil), "keyword search only: the weighted coverage is not used")
    }
}

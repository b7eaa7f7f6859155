import Foundation
import Retrieval
import Storage
import Testing

/// Hybrid search through the real local embedder: each side finds what the other misses, and the fusion keeps both.
@Suite("Hybrid search with the real embedder")
struct HybridSearchTests {
    private typealias Store = PortugueseCorpus.Store

    /// The shop's documents indexed by the real embedder, searched through a recording index.
    private struct Shop {
        let scratch: RetrievalScratch
        let index: RecordingVectorIndex
        /// Chunk id of each passage of ``PortugueseCorpus/Store/all``.
        let chunkOf: [String: Int64]

        init() async throws {
            scratch = try RetrievalScratch()
            index = RecordingVectorIndex(try scratch.openIndex())
            let policies = try await scratch.addDocument("politicas.txt", agent: "loja", passages: Store.policies, into: index)
            let catalogue = try await scratch.addDocument(
                "catalogo.txt",
                agent: "loja",
                passages: [Store.blender] + Store.lookalikeCodes,
                into: index
            )
            chunkOf = Dictionary(uniqueKeysWithValues: zip(Store.all, policies + catalogue))
        }

        /// 1-based rank of `passage` in a list of chunk ids, or `nil` when absent.
        func rank(of passage: String, in ids: [Int64]) -> Int? {
            ids.firstIndex(of: chunkOf[passage]!).map { $0 + 1 }
        }
    }

    @Test(
        "a question sharing no word with its passage: keyword search misses it, the vector side finds it, hybrid ranks it first",
        arguments: [
            ("posso mandar de volta o que comprei?", Store.returns),
            ("quanto tempo demora para chegar minha encomenda?", Store.delivery),
            ("o aparelho estragou depois de um mês, vocês consertam?", Store.warranty),
        ]
    )
    // On this corpus the answering passage leads the vector list by 0.010 to 0.015 of cosine, and no passage shares a word
    // with these questions, so the fused list is the vector list: a fusion that dropped the vectors would find nothing.
    func paraphrase(question: String, passage: String) async throws {
        let shop = try await Shop()
        let keyword = try await shop.scratch.keywordOnly().search(question, limit: 50).map(\.chunkID)
        #expect(shop.rank(of: passage, in: keyword) == nil, "keyword search alone should not find it: no word in common")

        let hybrid = try await shop.scratch.hybrid(shop.index).search(question, limit: 5).map(\.chunkID)
        let vector = try #require(shop.index.recorded.last).results.map(\.chunkID)
        #expect(shop.rank(of: passage, in: vector) == 1, "the vector side ranks it \(String(describing: shop.rank(of: passage, in: vector)))")
        #expect(shop.rank(of: passage, in: hybrid) == 1, "hybrid search ranks it \(String(describing: shop.rank(of: passage, in: hybrid)))")
    }

    @Test("an exact rare product code: keyword search pins it down, and hybrid ranks it first although the vector side does not")
    func productCode() async throws {
        let shop = try await Shop()
        let question = "XPTO-4471"
        let keyword = try await shop.scratch.keywordOnly().search(question, limit: 50).map(\.chunkID)
        #expect(keyword == [shop.chunkOf[Store.blender]!], "only the blender's passage holds the code's words")

        let hybrid = try await shop.scratch.hybrid(shop.index).search(question, limit: 5).map(\.chunkID)
        let vector = try #require(shop.index.recorded.last).results.map(\.chunkID)
        let vectorRank = try #require(shop.rank(of: Store.blender, in: vector))
        // The model reads codes by their pieces: the look-alike lines (4 of them, the first at 0.90 against 0.86) rank above the
        // exact code's long passage (5th). More than 2 keeps a margin for other kernels and storage rounding.
        #expect(vectorRank > 2, "the vector side should rank the look-alike codes above the exact one; it ranks it \(vectorRank)")
        let hybridRank = shop.rank(of: Store.blender, in: hybrid)
        #expect(hybridRank == 1, "hybrid search ranks it \(String(describing: hybridRank))")
    }
}

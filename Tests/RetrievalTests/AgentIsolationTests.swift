import Foundation
import Retrieval
import Storage
import Testing

@testable import VectorIndex

/// An agent answers from its own documents only: its search never returns another agent's chunk, on the keyword side,
/// the vector side or after the fusion, even when that chunk is the best match of the whole store.
@Suite("Agent isolation in hybrid search")
struct AgentIsolationTests {
    private typealias Store = PortugueseCorpus.Store
    private typealias Clinic = PortugueseCorpus.Clinic

    /// A shop (a few chunks: its filtered vector searches are exact scans) and a dental clinic whose records are more
    /// than the vector index scans exactly, so that its filtered searches walk the graph and meet the shop's chunks.
    private struct TwoAgents {
        let scratch: RetrievalScratch
        let index: RecordingVectorIndex
        let chunks: [String: Set<Int64>]
        let chunkOf: [String: Int64]

        init() async throws {
            scratch = try RetrievalScratch()
            // Filler records go straight to the database so that opening the index inserts them on both cores.
            let exactScanLimit = try HNSWIndex(dimension: scratch.embedder.dimension).exactFilterMinimum
            let records = (0..<(exactScanLimit + 100)).map { "Registro interno \($0) do arquivo de prontuários." }
            let recordIDs = try await scratch.storeDocument("prontuarios.txt", agent: "clinica", passages: records)
            var generator = SplitMix64(seed: 13)
            var fillers: [(chunkID: Int64, vector: [Float])] = []
            for id in recordIDs {
                fillers.append((id, Self.randomUnitVector(dimension: scratch.embedder.dimension, using: &generator)))
            }
            try await scratch.database.storeVectors(fillers, model: scratch.embedder.modelIdentity)
            index = RecordingVectorIndex(try scratch.openIndex())

            let shop = try await scratch.addDocument("politicas.txt", agent: "loja", passages: Store.all, into: index)
            let clinic = try await scratch.addDocument("clinica.txt", agent: "clinica", passages: Clinic.all, into: index)
            chunks = ["loja": Set(shop), "clinica": Set(clinic + recordIDs)]
            chunkOf = Dictionary(uniqueKeysWithValues: zip(Store.all + Clinic.all, shop + clinic))
            #expect(chunks["clinica"]!.count > exactScanLimit, "the clinic's vector searches must take the filtered graph path")
        }

        static func randomUnitVector(dimension: Int, using generator: inout SplitMix64) -> [Float] {
            let values = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return values.map { $0 / norm }
        }
    }

    @Test(
        "a question about the other agent's documents finds none of its chunks, keyword, vector or fused",
        arguments: [
            // (agent, other agent, question, the other agent's passage that answers it). The shop's searches scan its few
            // chunks exactly; the clinic's walk the graph with a filter.
            ("loja", "clinica", "quanto custa o clareamento dental?", Clinic.whitening),
            ("clinica", "loja", "aceitam pagamento por PIX?", Store.payment),
            ("clinica", "loja", "posso mandar de volta o que comprei?", Store.returns),
        ]
    )
    func isolation(agent: String, other: String, question: String, otherBest: String) async throws {
        let setup = try await TwoAgents()
        let own = setup.chunks[agent]!
        let foreign = setup.chunks[other]!
        let best = setup.chunkOf[otherBest]!

        // Unscoped, the other agent's passage is the best match on each side where it matches at all.
        let everyone = try await setup.scratch.hybrid(setup.index).search(question, limit: 5)
        #expect(everyone.first?.chunkID == best)
        #expect(try #require(setup.index.recorded.last).results.first?.chunkID == best, "the other agent's chunk is the nearest vector")
        let keywordEveryone = try await setup.scratch.keywordOnly().search(question, limit: 50)
        if let first = keywordEveryone.first { #expect(first.chunkID == best) }

        // Scoped to the agent: nothing of the other agent on any side.
        let keyword = try await setup.scratch.keywordOnly().search(question, limit: 50, agent: agent).map(\.chunkID)
        #expect(Set(keyword).isDisjoint(with: foreign), "keyword side leaked \(Set(keyword).intersection(foreign))")
        #expect(Set(keyword).isSubset(of: own))

        let fused = try await setup.scratch.hybrid(setup.index).search(question, limit: 50, agent: agent).map(\.chunkID)
        let vectorSearch = try #require(setup.index.recorded.last)
        let vector = vectorSearch.results.map(\.chunkID)
        #expect(vectorSearch.allowed == own, "the vector side is restricted to the agent's chunks")
        #expect(!vector.isEmpty)
        #expect(Set(vector).isDisjoint(with: foreign), "vector side leaked \(Set(vector).intersection(foreign))")
        #expect(Set(vector).isSubset(of: own))
        #expect(!fused.isEmpty)
        #expect(Set(fused).isDisjoint(with: foreign), "fused results leaked \(Set(fused).intersection(foreign))")
        #expect(Set(fused).isSubset(of: own))
    }

    @Test("an agent without documents finds nothing, though every other chunk matches")
    func agentWithoutDocuments() async throws {
        let scratch = try RetrievalScratch()
        let index = RecordingVectorIndex(try scratch.openIndex())
        try await scratch.addDocument("politicas.txt", agent: "loja", passages: Store.all, into: index)
        var empty = Agent(name: "vazio", now: Date())
        try await scratch.database.save(&empty)

        let question = "aceitam pagamento por PIX?"
        #expect(try await !scratch.hybrid(index).search(question).isEmpty)
        #expect(try await scratch.keywordOnly().search(question, agent: "vazio").isEmpty)
        #expect(try await scratch.hybrid(index).search(question, agent: "vazio").isEmpty)
        let vectorSearch = try #require(index.recorded.last)
        #expect(vectorSearch.allowed == [])
        #expect(vectorSearch.results.isEmpty)
    }
}

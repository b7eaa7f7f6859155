import Embedding
import Foundation
import Testing

extension EncoderTests {
    @Suite("LocalE5Embedder parity with the reference")
    struct LocalE5ParityTests {
        @Test("input_ids match the reference for every text", arguments: E5ModelVariant.all.map(\.fileName))
        func inputIDs(fileName: String) throws {
            let embedder = try TestSupport.embedder(fileName)
            let refs = TestSupport.references.filter { $0.model == fileName }
            #expect(refs.count >= 20)
            for ref in refs {
                let ids = embedder.inputIDs(for: ref.text, role: ref.is_query ? .query : .passage)
                #expect(ids == ref.input_ids, "text: \(ref.text.debugDescription)")
            }
        }

        @Test("embeddings are within cosine 0.999 of the reference", arguments: E5ModelVariant.all.map(\.fileName))
        func embeddings(fileName: String) async throws {
            let embedder = try TestSupport.embedder(fileName)
            let refs = TestSupport.references.filter { $0.model == fileName }
            for role in EmbeddingRole.allCases {
                let subset = refs.filter { $0.is_query == (role == .query) }
                let vectors = try await embedder.embed(subset.map(\.text), role: role)
                #expect(vectors.count == subset.count)
                var minimum = 1.0
                defer { print("parity \(fileName) \(role): min cosine \(minimum) over \(subset.count) texts") }
                for (ref, v) in zip(subset, vectors) {
                    #expect(v.count == 384)
                    let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    #expect(abs(norm - 1) < 1e-4)
                    let cos = TestSupport.cosine(v, ref.embedding)
                    minimum = min(minimum, cos)
                    #expect(cos >= 0.999, "cosine \(cos) for \(ref.text.debugDescription)")
                }
            }
        }

        @Test("a text's vector does not depend on its batch (no padding effects)")
        func batchInvariance() async throws {
            let embedder = try TestSupport.embedder(E5ModelVariant.englishPortuguese.fileName)
            let short = "Qual é o prazo de entrega?"
            let long = TestSupport.references.map(\.text).max { $0.count < $1.count }!
            let alone = try await embedder.embed([short], role: .passage)[0]
            let mixed = try await embedder.embed([long, short, "a", long + " extra", short + " e mais"], role: .passage)
            let batched = mixed[1]
            let maxDiff = zip(alone, batched).map { abs($0 - $1) }.max()!
            #expect(maxDiff < 1e-5)
            // One thread and two threads agree too.
            let oneThread = embedder.embedBlocking([long, short], role: .passage, threads: 1)
            let twoThreads = embedder.embedBlocking([long, short], role: .passage, threads: 2)
            #expect(zip(oneThread[0], twoThreads[0]).map { abs($0 - $1) }.max()! < 1e-5)
            #expect(zip(oneThread[1], alone).map { abs($0 - $1) }.max()! < 1e-5)
        }

        @Test("identity, dimension and empty batches")
        func identity() async throws {
            let full = try TestSupport.embedder(E5ModelVariant.full.fileName)
            #expect(full.modelIdentity == "multilingual-e5-small-q4:1571fc98")
            #expect(full.dimension == 384)
            let enpt = try TestSupport.embedder(E5ModelVariant.englishPortuguese.fileName)
            #expect(enpt.modelIdentity == "portuguese-multilingual-e5-small-q4:d06eb0b0")
            #expect(try await enpt.embed([], role: .query).isEmpty)
            let sidecar = try String(contentsOf: enpt.modelFile.appendingPathExtension("verified"), encoding: .utf8)
            #expect(sidecar.contains(E5ModelVariant.englishPortuguese.sha256))
        }
    }
}

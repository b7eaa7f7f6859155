import Embedding
import Foundation
import Testing

extension EncoderTests {
    @Suite("Kernel implementations")
    struct KernelTests {
        @Test("every kernel level this CPU has matches the reference", arguments: LocalE5Embedder.KernelLevel.allCases)
        func levels(level: LocalE5Embedder.KernelLevel) throws {
            let embedder = try TestSupport.embedder(E5ModelVariant.full.fileName)
            LocalE5Embedder.capKernels(at: level)
            defer { LocalE5Embedder.capKernels(at: nil) }
            let refs = TestSupport.references.filter { $0.model == E5ModelVariant.full.fileName }
            for role in EmbeddingRole.allCases {
                // The portable int8 product is plain scalar C: a sample keeps the test quick.
                let subset = Array(refs.filter { $0.is_query == (role == .query) }.prefix(level == .portable ? 4 : 100))
                let vectors = embedder.embedBlocking(subset.map(\.text), role: role)
                for (v, ref) in zip(vectors, subset) {
                    #expect(TestSupport.cosine(v, ref.embedding) >= 0.999, "\(LocalE5Embedder.kernelImplementation): \(ref.text.debugDescription)")
                }
            }
        }

        @Test("the portable kernels give the same vectors as the SIMD ones")
        func portableMatches() async throws {
            let embedder = try TestSupport.embedder(E5ModelVariant.englishPortuguese.fileName)
            let refs = TestSupport.references.filter { $0.model == E5ModelVariant.englishPortuguese.fileName && !$0.is_query }.prefix(6)
            let automatic = embedder.embedBlocking(refs.map(\.text), role: .passage, threads: 1)
            LocalE5Embedder.capKernels(at: .portable)
            #expect(LocalE5Embedder.kernelImplementation == "portable")
            let portable = embedder.embedBlocking(refs.map(\.text), role: .passage, threads: 1)
            LocalE5Embedder.capKernels(at: nil)
            for ((a, p), ref) in zip(zip(automatic, portable), refs) {
                #expect(TestSupport.cosine(a, p) > 0.9999)
                #expect(TestSupport.cosine(p, ref.embedding) >= 0.999)
            }
        }
    }

    @Suite("Float kernels on an int8-capable machine")
    struct FloatPathTests {
        @Test("a model loaded under the portable cap uses float weights and matches the reference")
        func floatWeights() throws {
            let url = TestSupport.modelDirectory.appendingPathComponent(E5ModelVariant.englishPortuguese.fileName)
            LocalE5Embedder.capKernels(at: .portable)
            let embedder: LocalE5Embedder
            do {
                defer { LocalE5Embedder.capKernels(at: nil) }
                embedder = try LocalE5Embedder(modelFile: url, threads: 1)
            } catch {
                Issue.record("Model unavailable: \(error)")
                return
            }
            #expect(!embedder.usesInt8MatrixProducts)
            LocalE5Embedder.capKernels(at: .portable)
            defer { LocalE5Embedder.capKernels(at: nil) }
            let refs = TestSupport.references.filter { $0.model == E5ModelVariant.englishPortuguese.fileName }
            for role in EmbeddingRole.allCases {
                let subset = refs.filter { $0.is_query == (role == .query) }
                let vectors = embedder.embedBlocking(subset.map(\.text), role: role)
                for (v, ref) in zip(vectors, subset) {
                    #expect(TestSupport.cosine(v, ref.embedding) >= 0.999, "\(ref.text.debugDescription)")
                }
            }
        }
    }
}

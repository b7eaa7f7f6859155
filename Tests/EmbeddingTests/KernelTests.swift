import Embedding
import Foundation
import Testing

@Suite("Kernel implementations")
struct KernelTests {
    @Test("the portable kernels give the same vectors as the SIMD ones")
    func portableMatches() async throws {
        let embedder = try TestSupport.embedder(E5ModelVariant.englishPortuguese.fileName)
        let refs = TestSupport.references.filter { $0.model == E5ModelVariant.englishPortuguese.fileName && !$0.is_query }.prefix(6)
        let automatic = embedder.embedBlocking(refs.map(\.text), role: .passage, threads: 1)
        LocalE5Embedder.usePortableKernels(true)
        #expect(LocalE5Embedder.kernelImplementation == "portable")
        let portable = embedder.embedBlocking(refs.map(\.text), role: .passage, threads: 1)
        LocalE5Embedder.usePortableKernels(false)
        for ((a, p), ref) in zip(zip(automatic, portable), refs) {
            #expect(TestSupport.cosine(a, p) > 0.99999)
            #expect(TestSupport.cosine(p, ref.embedding) >= 0.999)
        }
    }
}

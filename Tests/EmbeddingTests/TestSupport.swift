import Embedding
import Foundation
import Testing

/// Tests that run the encoder, one at a time: some of them cap the kernels process-wide, which must not
/// change what a neighbouring test computes.
@Suite(.serialized) enum EncoderTests {}

/// Shared fixtures: the model files (loaded once per test process) and the parity reference.
enum TestSupport {
    /// `BALCAO_MODEL_DIR`, else `<repo>/balcao-data/models` (the repo root derived from this file's path).
    static var modelDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["BALCAO_MODEL_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("balcao-data/models")
    }

    static let loaded: [String: Result<LocalE5Embedder, LocalModelError>] = {
        var out: [String: Result<LocalE5Embedder, LocalModelError>] = [:]
        for v in E5ModelVariant.all {
            let url = modelDirectory.appendingPathComponent(v.fileName)
            out[v.fileName] = Result { () throws(LocalModelError) in try LocalE5Embedder(modelFile: url, threads: 2) }
        }
        return out
    }()

    /// The embedder for a model file; fails the test with instructions when the file is missing.
    static func embedder(_ fileName: String) throws -> LocalE5Embedder {
        switch loaded[fileName]! {
        case .success(let e): return e
        case .failure(let error):
            let message =
                "Model \(fileName) unavailable: \(error) Run `bash scripts/fetch-model.sh` (make test fetches it first) "
                + "or set BALCAO_MODEL_DIR."
            Issue.record(Comment(rawValue: message))
            throw error
        }
    }

    struct Reference: Decodable, Sendable {
        let model: String
        let is_query: Bool
        let text: String
        let input_ids: [Int32]
        let embedding: [Float]
    }

    static let references: [Reference] = {
        let url = Bundle.module.url(forResource: "reference", withExtension: "jsonl", subdirectory: "Fixtures")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONDecoder().decode(Reference.self, from: Data($0.utf8)) }
    }()

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}

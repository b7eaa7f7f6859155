import Crypto
import Foundation

/// Deterministic embeddings in the OpenAI `/embeddings` wire format: each input's vector is derived from its SHA-256, so
/// two runs over the same text store the same vectors.
public enum FakeEmbeddings {
    /// Length of every vector.
    public static let dimension = 8

    /// The vector of one input (not normalized; the client normalizes).
    public static func vector(for text: String) -> [Float] {
        let digest = Array(SHA256.hash(data: Data(text.utf8)))
        return (0..<dimension).map { Float(Int(digest[$0]) - 128) / 128 + 0.01 }
    }

    /// Status and body answering a request body `{"model": …, "input": [...]}` (or a single string input).
    static func answer(_ body: Data) -> (Int, [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return (400, Array(#"{"error":{"message":"invalid JSON","type":"invalid_request_error"}}"#.utf8))
        }
        let inputs: [String]
        if let list = object["input"] as? [String] {
            inputs = list
        } else if let single = object["input"] as? String {
            inputs = [single]
        } else {
            return (400, Array(#"{"error":{"message":"input is required","type":"invalid_request_error"}}"#.utf8))
        }
        let data: [[String: Any]] = inputs.enumerated().map { index, text in
            ["object": "embedding", "index": index, "embedding": vector(for: text).map(Double.init)]
        }
        let response: [String: Any] = [
            "object": "list", "data": data, "model": object["model"] as? String ?? "fake-embedding",
            "usage": ["prompt_tokens": inputs.count, "total_tokens": inputs.count],
        ]
        return (200, Array((try? JSONSerialization.data(withJSONObject: response)) ?? Data()))
    }
}

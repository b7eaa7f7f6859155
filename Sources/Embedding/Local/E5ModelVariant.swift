/// A model file Balcão knows: its file name, a stable model name and its expected SHA-256.
public struct E5ModelVariant: Sendable, Hashable {
    /// The file name inside a models directory.
    public let fileName: String
    /// The model's name as used in ``LocalE5Embedder/modelIdentity``.
    public let modelName: String
    /// The lowercase hex SHA-256 of the file.
    public let sha256: String

    /// intfloat/multilingual-e5-small, 4-bit, full 250,002-piece vocabulary (every language). The default.
    public static let full = E5ModelVariant(
        fileName: "e5-small-q4.bin",
        modelName: "multilingual-e5-small-q4",
        sha256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
    )

    /// cnmoro/portuguese-multilingual-e5-small, 4-bit, vocabulary pruned to English and Portuguese (47,284 pieces).
    public static let englishPortuguese = E5ModelVariant(
        fileName: "e5-small-enpt-q4.bin",
        modelName: "portuguese-multilingual-e5-small-q4",
        sha256: "d06eb0b0ae4e8a46813ece6d2dd9a9f3880ea3a44c8968d72d0a6fd670ec5234"
    )

    /// Every known variant, default first.
    public static let all: [E5ModelVariant] = [.full, .englishPortuguese]

    static func named(_ fileName: String) -> E5ModelVariant? { all.first { $0.fileName == fileName } }
    static func withDigest(_ sha256: String) -> E5ModelVariant? { all.first { $0.sha256 == sha256 } }
}

/// Why a local embedding model could not be loaded.
///
/// Every case's ``description`` is a complete sentence an operator can act on.
public enum LocalModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model file does not exist.
    case missingModel(path: String)
    /// None of the known model files was found in any of the searched directories.
    case noModelFound(searched: [String])
    /// The file exists but is not a valid model file (bad magic, unexpected sizes, truncated, or wrong checksum).
    case corruptModel(path: String, reason: String)
    /// The file exists but could not be opened or mapped.
    case unreadable(path: String, reason: String)

    static let fetchHint = "run `make run` (which fetches it) or `bash scripts/fetch-model.sh` to download it"

    /// A message for logs and the command line.
    public var description: String {
        switch self {
        case .missingModel(let path):
            return "Embedding model file not found at \(path); \(Self.fetchHint)."
        case .noModelFound(let searched):
            return "No embedding model file (\(E5ModelVariant.all.map(\.fileName).joined(separator: " or "))) found in "
                + "\(searched.joined(separator: ", ")); \(Self.fetchHint)."
        case .corruptModel(let path, let reason):
            return "Embedding model file \(path) is corrupt (\(reason)); delete it and \(Self.fetchHint)."
        case .unreadable(let path, let reason):
            return "Embedding model file \(path) could not be read: \(reason)."
        }
    }
}

public import Foundation
import Crypto

/// Seals secrets (passwords of encrypted documents, API keys) with AES-GCM before they are stored in the database.
///
/// The 256-bit key lives in `<data_dir>/secret.key`, created on first use with mode 0600. Losing the key makes sealed
/// values unreadable, never readable by someone else.
public struct SecretBox: Sendable {
    /// The raw key; `SymmetricKey` itself is not `Sendable`, so one is made per operation.
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Loads the key file, creating it when it does not exist.
    public init(keyFile: URL) throws {
        let manager = FileManager.default
        if let data = manager.contents(atPath: keyFile.path), data.count == 32 {
            keyBytes = data
            return
        }
        let fresh = SymmetricKey(size: .bits256)
        let bytes = fresh.withUnsafeBytes { Data($0) }
        guard manager.createFile(atPath: keyFile.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: keyFile.path])
        }
        keyBytes = bytes
    }

    /// Encrypts and authenticates a string.
    public func seal(_ secret: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else {
            throw CocoaError(.coderInvalidValue)
        }
        return combined
    }

    /// Decrypts a sealed value; throws when it was tampered with or sealed with another key.
    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }
}

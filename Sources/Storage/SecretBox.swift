import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Seals secrets (passwords of encrypted documents, API keys) with AES-GCM before they are stored in the database.
///
/// The 256-bit key lives in `<data_dir>/secret.key`, created on first use with mode 0600. Losing the key makes sealed
/// values unreadable, never readable by someone else. An existing key file is never replaced: one that cannot be read
/// or has the wrong size is an error (``SecretKeyError``), since a fresh key would silently make every sealed value
/// unreadable.
public struct SecretBox: Sendable {
    /// The size of the key file: a raw 256-bit key.
    public static let keySize = 32

    /// The raw key; `SymmetricKey` itself is not `Sendable`, so one is made per operation.
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Loads the key file, creating it only when no file exists at that path.
    ///
    /// - Throws: ``SecretKeyError`` when the file exists but cannot be read or is not exactly ``keySize`` bytes (it
    ///   is left untouched), or when a new key cannot be written.
    public init(keyFile: URL) throws {
        if let existing = try Self.read(keyFile) {
            keyBytes = existing
            return
        }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        // Another process may create the key between the check and the link: then that key is the one to use.
        if try Self.createAtomically(keyFile, contents: fresh) {
            keyBytes = fresh
        } else if let existing = try Self.read(keyFile) {
            keyBytes = existing
        } else {
            throw SecretKeyError.unreadable(path: keyFile.path, reason: "it disappeared while it was being created")
        }
    }

    /// The key in the file, or `nil` when there is no file at all.
    private static func read(_ keyFile: URL) throws -> Data? {
        let path = keyFile.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT {
                // A symbolic link to nowhere is a missing key somewhere else, not a place for a new one.
                if lstat(path, &info) == 0 { throw SecretKeyError.unreadable(path: path, reason: "it is a symbolic link to a missing file") }
                return nil
            }
            throw SecretKeyError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SecretKeyError.unreadable(path: path, reason: "it is not a regular file")
        }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SecretKeyError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        // One byte more than a key, to tell a long file from a key.
        var buffer = [UInt8](repeating: 0, count: keySize + 1)
        var count = 0
        while count < buffer.count {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw SecretKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            count += got
        }
        guard count == keySize else {
            throw SecretKeyError.wrongSize(path: path, bytes: count > keySize ? Int(info.st_size) : count)
        }
        return Data(buffer.prefix(keySize))
    }

    /// Writes `contents` to a private temporary file beside `keyFile`, flushes it, and links it in under the final
    /// name only if that name is still free, so a crash leaves either no key file or a whole one. Returns `false`
    /// when a key file appeared meanwhile (it is not touched).
    private static func createAtomically(_ keyFile: URL, contents: Data) throws -> Bool {
        let directory = keyFile.deletingLastPathComponent().path
        let temporary = directory + "/.secret.key-\(UUID().uuidString)"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw creationError(keyFile, errno) }
        defer { unlink(temporary) }
        var failure: Int32 = 0
        contents.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += result
            }
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure != 0 { throw creationError(keyFile, failure) }
        // link(2) fails with EEXIST rather than replacing an existing file, unlike rename(2).
        guard link(temporary, keyFile.path) == 0 else {
            if errno == EEXIST { return false }
            throw creationError(keyFile, errno)
        }
        let directoryDescriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return true
    }

    private static func creationError(_ keyFile: URL, _ code: Int32) -> any Error {
        SecretKeyError.cannotCreate(path: keyFile.path, reason: String(cString: strerror(code)))
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

/// Why the key file could not be used. The daemon and the command line refuse to start with this message: the file
/// is left as it is, for the operator to restore or move away.
public enum SecretKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file exists but is not a 32-byte key (truncated, emptied, or overwritten with something else).
    case wrongSize(path: String, bytes: Int)
    /// The file exists but cannot be read (permissions, not a regular file, an I/O error).
    case unreadable(path: String, reason: String)
    /// There was no key and a new one could not be written (a full disk, a read-only or foreign data directory).
    case cannotCreate(path: String, reason: String)

    public var description: String {
        switch self {
        case .wrongSize(let path, let bytes):
            return "The secret key file \(path) is damaged: it has \(bytes) bytes instead of \(SecretBox.keySize). "
                + Self.whatToDo
        case .unreadable(let path, let reason):
            return "The secret key file \(path) cannot be read: \(reason). Make it a file readable by the user running "
                + "Balcão (chown balcao:balcao \(path); chmod 600 \(path)). If it is damaged: " + Self.whatToDo
        case .cannotCreate(let path, let reason):
            return "Cannot create the secret key file \(path): \(reason). The data directory must be writable by the user running "
                + "Balcão, on a disk with free space."
        }
    }

    private static let whatToDo =
        "Balcão does not replace it: the secrets saved in the database (the language model's API key, the WhatsApp token, "
        + "document passwords) open only with the original key. Restore it from a backup (balcao restore FILE, or copy "
        + "secret.key out of the backup archive), or move it away to start with a new key, which makes the saved secrets "
        + "unreadable (enter them again on the admin page)."
}

public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The layout of the daemon's data directory.
///
/// ```
/// <root>/balcao.sqlite        the store of truth (WAL)
/// <root>/originals/ab/abcd…   uploaded files by SHA-256, never modified
/// <root>/index/               vector index files (rebuildable)
/// <root>/models/              local embedding model files
/// <root>/media/<id>           files customers sent, kept for the retention period
/// <root>/tmp/                 uploads in progress
/// ```
public struct DataDirectory: Sendable, Hashable {
    /// The directory itself.
    public let root: URL

    /// Describes the directory at `root` (nothing is created until ``create()``).
    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// The SQLite database file.
    public var database: URL { root.appendingPathComponent("balcao.sqlite") }
    /// Where originals are kept.
    public var originals: URL { root.appendingPathComponent("originals", isDirectory: true) }
    /// Where the vector index is kept.
    public var index: URL { root.appendingPathComponent("index", isDirectory: true) }
    /// Where local models are looked for first.
    public var models: URL { root.appendingPathComponent("models", isDirectory: true) }
    /// Files customers sent in conversations, each under its media record's id.
    public var media: URL { root.appendingPathComponent("media", isDirectory: true) }
    /// Scratch space for uploads in progress (same file system as `originals`, so finished files are renamed in).
    public var temporary: URL { root.appendingPathComponent("tmp", isDirectory: true) }
    /// The key that seals secrets stored in the database.
    public var secretKey: URL { root.appendingPathComponent("secret.key") }
    /// Held by the running daemon.
    public var lockFile: URL { root.appendingPathComponent("balcao.lock") }

    /// Creates the directory tree (owner-only permissions).
    public func create() throws {
        let manager = FileManager.default
        for directory in [root, originals, index, models, media, temporary] {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Deletes uploads a crash left half-written. Only the holder of the ``DataDirectoryLock`` may call this: another
    /// process's uploads in progress live in the same folder.
    public func removeLeftoverUploads(lock: DataDirectoryLock) {
        let manager = FileManager.default
        for leftover in (try? manager.contentsOfDirectory(at: temporary, includingPropertiesForKeys: nil)) ?? [] {
            try? manager.removeItem(at: leftover)
        }
        withExtendedLifetime(lock) {}
    }
}

/// An exclusive advisory lock on a data directory: one daemon (or one offline re-index) at a time.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    /// Why the lock could not be taken.
    public enum LockError: Error, CustomStringConvertible {
        /// Another process holds it.
        case held(path: String)
        /// The lock file could not be opened.
        case cannotOpen(path: String, errno: Int32)

        public var description: String {
            switch self {
            case .held(let path):
                return "Another Balcão process (a running daemon or re-index) is using this data directory (lock: \(path)). Stop it first."
            case .cannotOpen(let path, let code):
                let reason = "Cannot open the lock file \(path): \(String(cString: strerror(code)))."
                let directory = (path as NSString).deletingLastPathComponent
                switch code {
                case EROFS, EACCES, EPERM:
                    return reason + " Balcão needs to write in its data directory \(directory): remount it read-write, or give it to "
                        + "the user running Balcão (chown -R balcao:balcao \(directory); chmod 700 \(directory))."
                case ENOSPC, EDQUOT:
                    return reason + " Free space on the disk holding \(directory) and start again."
                default:
                    return reason
                }
            }
        }
    }

    /// Takes the lock without waiting, or throws ``LockError/held(path:)``.
    public init(directory: DataDirectory) throws {
        let path = directory.lockFile.path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LockError.cannotOpen(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw LockError.held(path: path)
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
